// The marker of our nftables table, firewall/table (engine/firewall/table):
// written before the table is made, removed after it is deleted, so gc knows
// whether a table it does not find was deleted behind our back.
// {"family": "inet", "name": "contain"}.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace contain::engine {

struct FirewallRecord {
  static constexpr std::string_view kKind = "firewall";
  static constexpr std::string_view kName = "table";  // the only record of the kind
  std::string family = "inet";
  std::string name = "contain";

  static Result<FirewallRecord> from_json(const nlohmann::json& j);
  nlohmann::json to_json() const { return {{"family", family}, {"name", name}}; }
};

}  // namespace contain::engine
