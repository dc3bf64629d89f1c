// The state records of named namespaces, shared by net, bridge and network code.
// A namespace record: {"name", "created", "links": [{"name" (host end),
// "ifindex", "peer", "kind": "veth", "bridge"?, "network"?, "address"?}]}.
#pragma once

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/names.hpp"
#include "engine/state.hpp"

namespace contain::engine {

inline constexpr std::string_view kNetnsKind = "netns";
inline constexpr std::string_view kBridgeKind = "bridge";
inline constexpr std::string_view kNetworkKind = "network";

// The namespace's record, or a fresh one for a namespace contain did not create.
Result<nlohmann::json> load_netns_record(const StateStore& store, const NetnsName& name);
// Writes it, or removes it when it no longer records anything.
Status save_netns_record(const StateStore& store, const NetnsName& name,
                         const nlohmann::json& record);

}  // namespace contain::engine
