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
#include "engine/record/nat.hpp"
#include "engine/state.hpp"
#include "model/firewall.hpp"

namespace contain::engine {

Status enable_nat(const StateStore& store, const Cidr& subnet, const std::optional<IfName>& out,
                  std::string_view owner);
Status enable_nat(const Cidr& subnet, const std::optional<IfName>& out);
// Removes every NAT entry of the subnet (with or without --out).
Status disable_nat(const Cidr& subnet);
Result<std::vector<NatRecord>> list_nat(const StoreReader& store);
Result<std::vector<NatRecord>> list_nat();

namespace firewall_detail {
// What a NAT record puts in the firewall table.
inline model::NatEntry nat_element(const NatRecord& r) { return {r.subnet, r.out}; }
}  // namespace firewall_detail

}  // namespace contain::engine
