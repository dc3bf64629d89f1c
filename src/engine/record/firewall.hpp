// The marker of our nftables table, firewall/table (engine/firewall/table):
// written before the table is made, removed after it is deleted, so gc knows
// whether a table it does not find was deleted behind our back.
// {"family": "inet", "name": "contain"}.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "engine/record/fields.hpp"

namespace contain::engine {

struct FirewallRecord {
  static constexpr std::string_view kKind = "firewall";
  static constexpr std::string_view kName = "table";  // the only record of the kind
  std::string family = "inet";
  std::string name = "contain";

  record::Unknown unknown = {};  // a newer version's fields (record/fields.hpp)

  static Result<FirewallRecord> from_json(const nlohmann::json& j);
  nlohmann::json to_json() const {
    nlohmann::json j{{"family", family}, {"name", name}};
    unknown.put(j);
    return j;
  }
};

}  // namespace contain::engine
