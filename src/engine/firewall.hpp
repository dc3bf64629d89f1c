// NAT, port forwarding and isolation between managed networks: elements of the
// nftables table `inet contain` (see model/firewall.hpp), plus the sysctls they
// need. Each call is one nftables transaction. The table is made on first use
// and deleted with its last element.
//
// Functions taking a StateStore run under the caller's lock (so that
// `net delete`, `network create` ... can do their firewall part inside their own
// operation); the others take the lock themselves.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "core/ip.hpp"
#include "core/names.hpp"
#include "core/port.hpp"
#include "engine/ports.hpp"
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
Result<ManagedAddress> managed_address(const StateStore& store, const NetnsRef& netns);

// --- NAT ---
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

// --- Forwards ---
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
};
struct ForwardInfo {
  Protocol protocol = Protocol::tcp;
  contain::Port host_port = contain::Port::from_number(1);
  std::optional<IpAddress> host_address;
  std::string to;     // as given: "NS:PORT" or "IP:PORT"
  std::string owner;  // "netns/NAME" for NS:PORT forwards
  std::vector<model::ForwardTarget> targets;
};
Status add_forward(const ForwardSpec& spec);
Result<std::vector<ForwardInfo>> list_forwards();
Status remove_forward(Protocol protocol, contain::Port host_port,
                      const std::optional<IpAddress>& host_address);

// --- Isolation of managed networks ---
// Traffic routed from one isolated bridge to another is dropped; within a
// bridge, to the outside and to published ports it passes.
Status isolate_network(const StateStore& store, const Cidr& subnet, const IfName& bridge,
                       std::string_view owner);
Status unisolate_network(const StateStore& store, const IfName& bridge);

// Removes every NAT entry, forward and isolation whose owner is `owner`
// ("netns/NAME", "network/NAME", "bridge/NAME"), or one of `owners`, in one transaction.
Status remove_firewall_owned_by(const StateStore& store, std::string_view owner);
Status remove_firewall_owned_by(const StateStore& store, const std::set<std::string>& owners);

// Removes every forward with a target inside `subnet` (a network being
// deleted takes the published ports of its namespaces with it).
Status remove_forwards_into(const StateStore& store, const Cidr& subnet);

// For `contain gc` (the caller holds the lock): removes the records
// ({kind, name}, kind "nat", "forward" or "isolation") and their elements in one
// transaction, then reconciles the rest with the kernel: the table is made again
// from the records if it was deleted behind our back, deleted if no entry is
// left, and route_localnet is restored where no forward needs it any more.
// Returns one line per thing done beyond removing `records`.
Result<std::vector<std::string>> collect_firewall_garbage(
    const StateStore& store, const std::vector<std::pair<std::string, std::string>>& records);

}  // namespace contain::engine
