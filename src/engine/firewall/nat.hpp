// NAT to the outside: masquerade elements of the firewall table (table.hpp),
// one record per subnet (and output interface).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/ip.hpp"
#include "core/names.hpp"
#include "engine/state.hpp"

namespace contain::engine {

struct NatInfo {
  Cidr subnet;
  std::optional<std::string> out;
  std::string owner;  // "" when made by `nat enable`
};
Status enable_nat(const StateStore& store, const Cidr& subnet, const std::optional<IfName>& out,
                  std::string_view owner);
Status enable_nat(const Cidr& subnet, const std::optional<IfName>& out);
// Removes every NAT entry of the subnet (with or without --out).
Status disable_nat(const Cidr& subnet);
Result<std::vector<NatInfo>> list_nat();

namespace firewall_detail {
Result<NatInfo> nat_of(const nlohmann::json& r);
}  // namespace firewall_detail

}  // namespace contain::engine
