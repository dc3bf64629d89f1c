// The state records of named namespaces, shared by net, bridge and network code.
// A namespace record: {"name", "created", "links": [{"name" (host end),
// "ifindex", "peer", "kind": "veth", "bridge"?, "network"?, "address"?}]}.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/names.hpp"
#include "engine/state.hpp"

namespace contain::engine {

// The kinds of record under /run/contain/<kind>/, one place for all.
inline constexpr std::string_view kNetnsKind = "netns";
inline constexpr std::string_view kBridgeKind = "bridge";
inline constexpr std::string_view kNetworkKind = "network";
inline constexpr std::string_view kContainerKind = "containers";
inline constexpr std::string_view kNatKind = "nat";
inline constexpr std::string_view kForwardKind = "forward";
inline constexpr std::string_view kIsolationKind = "isolation";
inline constexpr std::string_view kLocalnetKind = "localnet";
inline constexpr std::string_view kShapeKind = "shape";
// A marker: our nftables table exists (written before it is made, removed after it goes).
inline constexpr std::string_view kFirewallKind = "firewall";
inline constexpr std::string_view kAllKinds[] = {
    kNetnsKind,   kBridgeKind,    kNetworkKind,  kContainerKind, kNatKind,
    kForwardKind, kIsolationKind, kLocalnetKind, kShapeKind,     kFirewallKind};
// Who owns a record, a firewall entry or a link: "<kind>/<name>", recorded as
// "owner" and, after kAliasPrefix, as the alias of the links it owns.
inline std::string netns_owner(std::string_view name) { return "netns/" + std::string(name); }
inline std::string network_owner(std::string_view name) { return "network/" + std::string(name); }
inline std::string bridge_owner(std::string_view name) { return "bridge/" + std::string(name); }
inline std::string container_owner(std::string_view name) {
  return "container/" + std::string(name);
}
// Owner aliases on links: kAliasPrefix + "<kind>/<name>".
inline constexpr std::string_view kNetnsOwnerPrefix = "contain:netns/";
inline constexpr std::string_view kNetworkOwnerPrefix = "contain:network/";
inline constexpr std::string_view kShapeOwnerPrefix = "contain:shape/";

// A namespace record without links; `created`: contain made the namespace.
nlohmann::json new_netns_record(const NetnsName& name, bool created);
// The namespace's record, or a fresh one for a namespace contain did not create.
Result<nlohmann::json> load_netns_record(const StateStore& store, const NetnsName& name);
// Forgets, in the record of namespace `netns` (if it has one), the links
// `forget` selects.
Status forget_netns_links(const StateStore& store, std::string_view netns,
                          const std::function<bool(const nlohmann::json&)>& forget);
// Writes it, or removes it when it no longer records anything.
Status save_netns_record(const StateStore& store, const NetnsName& name,
                         const nlohmann::json& record);

}  // namespace contain::engine
