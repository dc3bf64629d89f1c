#include "engine/record/isolation.hpp"

#include "engine/record/fields.hpp"

namespace contain::engine {

using nlohmann::json;

Result<IsolationRecord> IsolationRecord::from_json(const json& j) {
  record::Fields f(j);
  TRY(f.object());
  IsolationRecord r;
  TRY(f.opt("bridge", r.bridge));
  TRY(f.opt("subnet", r.subnet));
  TRY(f.opt("owner", r.owner));
  r.unknown = f.unknown();
  return r;
}

json IsolationRecord::to_json() const {
  json j{{"bridge", bridge}, {"subnet", subnet}, {"owner", owner}};
  unknown.put(j);
  return j;
}

}  // namespace contain::engine
