#include "engine/record/nat.hpp"

#include "engine/record/fields.hpp"

namespace contain::engine {

using nlohmann::json;

Result<NatRecord> NatRecord::from_json(const json& j) {
  record::Fields f(j);
  TRY(f.object());
  NatRecord r;
  TRY(f.req("subnet", r.subnet));
  TRY(f.opt("out", r.out));
  TRY(f.opt("owner", r.owner));
  r.unknown = f.unknown();
  return r;
}

json NatRecord::to_json() const {
  json j{{"subnet", subnet.str()}, {"out", out ? json(*out) : json(nullptr)}, {"owner", owner}};
  unknown.put(j);
  return j;
}

}  // namespace contain::engine
