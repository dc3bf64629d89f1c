// Port forwarding: a host port (and address) to a namespace or an address,
// DNAT elements of the firewall table (table.hpp) with hairpin NAT, and
// route_localnet on the host link when 127.0.0.1 is forwarded.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "core/ip.hpp"
#include "core/names.hpp"
#include "core/port.hpp"
#include "engine/bridge_link.hpp"
#include "engine/record/forward.hpp"
#include "engine/record/localnet.hpp"
#include "engine/state.hpp"
#include "model/firewall.hpp"

namespace contain::engine {

// The address of a namespace on its contain-managed interface (a veth from
// `net veth`, or a bridge port), read from the kernel inside the namespace, and
// the host link through which the host reaches it.
struct ManagedAddress {
  std::optional<Cidr> v4;
  std::optional<Cidr> v6;
  std::string host_interface;
};
Result<ManagedAddress> managed_address(const StoreReader& store, const NetnsRef& netns);

struct ForwardSpec {
  Protocol protocol = Protocol::tcp;
  contain::Port host_port = contain::Port::from_number(1);
  std::optional<IpAddress> host_address;
  std::variant<NetnsRef, IpAddress> to;
  contain::Port to_port = contain::Port::from_number(1);
  // Who the forward belongs to, for remove_firewall_owned_by: by default
  // the namespace's owner (NetnsRef::owner) and nobody for an address; a container's
  // published ports are "container/NAME".
  std::string owner = {};
  // For an address target: the host link it is reached through and that
  // link's subnet (for hairpin NAT and route_localnet), when the caller knows
  // them (a container on a managed network: its bridge); else looked up among
  // the host's addresses.
  std::optional<std::pair<IfName, Cidr>> via = {};
  // For an address target: its addresses of other families (a dual-stack
  // container: one forward, a target per family), with their subnets on the
  // link of `via` (in the same order) when `via` is given.
  std::vector<IpAddress> more_to = {};
  std::vector<Cidr> more_via = {};
};
Status add_forward(const ForwardSpec& spec);
// Many forwards at once: one lock, every element in one nftables transaction
// (a container with 1,000 published ports). All or nothing.
Status add_forwards(const std::vector<ForwardSpec>& specs);
// Every forward, by host port, protocol and address.
Result<std::vector<ForwardRecord>> list_forwards(const StoreReader& store);
Result<std::vector<ForwardRecord>> list_forwards();
Status remove_forward(Protocol protocol, contain::Port host_port,
                      const std::optional<IpAddress>& host_address);

// Removes every forward with a target inside `subnet` (a network being
// deleted takes the published ports of its namespaces with it).
Status remove_forwards_into(const StateStore& store, const Cidr& subnet);

namespace firewall_detail {

// What a forward's record puts in the firewall table: its DNAT element and
// the hairpin elements of its targets.
void add_forward_elements(model::FirewallElements& e, const ForwardRecord& f);

// Restores route_localnet on links no forward needs any more. A link that is
// gone (its namespace was deleted) has nothing to restore.
void release_route_localnet(const StateStore& store, const std::set<std::string>& candidates,
                            const std::set<std::string>& still_used);

}  // namespace firewall_detail

}  // namespace contain::engine
