#include "engine/record/firewall.hpp"

#include "engine/record/fields.hpp"

namespace contain::engine {

Result<FirewallRecord> FirewallRecord::from_json(const nlohmann::json& j) {
  record::Fields f(j);
  TRY(f.object());
  FirewallRecord r;
  TRY(f.opt("family", r.family));
  TRY(f.opt("name", r.name));
  r.unknown = f.unknown();
  return r;
}

}  // namespace contain::engine
