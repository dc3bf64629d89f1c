// The state records of named namespaces, shared by net, bridge and network code.
// A namespace record: {"name", "created", "links": [{"name" (host end),
// "ifindex", "peer", "kind": "veth", "bridge"?, "network"?, "address"?}]}.
#pragma once

#include <nlohmann/json.hpp>

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
// Owner aliases on links: kAliasPrefix + "<kind>/<name>".
inline constexpr std::string_view kNetnsOwnerPrefix = "contain:netns/";
inline constexpr std::string_view kNetworkOwnerPrefix = "contain:network/";
inline constexpr std::string_view kShapeOwnerPrefix = "contain:shape/";

// The namespace's record, or a fresh one for a namespace contain did not create.
Result<nlohmann::json> load_netns_record(const StateStore& store, const NetnsName& name);
// Writes it, or removes it when it no longer records anything.
Status save_netns_record(const StateStore& store, const NetnsName& name,
                         const nlohmann::json& record);

}  // namespace contain::engine
