// The record of a masqueraded subnet, nat/<SUBNET>[@OUT] (engine/firewall/nat):
// {"subnet": CIDR, "out": IFNAME or null, "owner": "network/NAME", ... or ""}.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/ip.hpp"
#include "engine/record/fields.hpp"

namespace contain::engine {

struct NatRecord {
  static constexpr std::string_view kKind = "nat";
  Cidr subnet = {};
  // Masquerade only traffic leaving through this interface; none: everywhere
  // outside the NAT subnets.
  std::optional<std::string> out = {};
  std::string owner = {};  // "" when made by `nat enable`

  record::Unknown unknown = {};  // a newer version's fields (record/fields.hpp)

  static Result<NatRecord> from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;
};

}  // namespace contain::engine
