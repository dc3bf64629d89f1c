#include "engine/record/localnet.hpp"

#include "engine/record/fields.hpp"

namespace contain::engine {

Result<LocalnetRecord> LocalnetRecord::from_json(const nlohmann::json& j) {
  record::Fields f(j);
  TRY(f.object());
  LocalnetRecord r;
  TRY(f.opt("previous", r.previous));
  r.unknown = f.unknown();
  return r;
}

}  // namespace contain::engine
