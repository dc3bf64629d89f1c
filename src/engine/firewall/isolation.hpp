// Isolation of managed networks: traffic routed from one isolated bridge to
// another is dropped; within a bridge, to the outside and to published ports it
// passes. Elements of the firewall table (table.hpp).
#pragma once

#include <string_view>

#include "core/error.hpp"
#include "core/ip.hpp"
#include "core/names.hpp"
#include "engine/record/isolation.hpp"
#include "engine/state.hpp"

namespace contain::engine {

Status isolate_network(const StateStore& store, const Cidr& subnet, const IfName& bridge,
                       std::string_view owner);
Status unisolate_network(const StateStore& store, const IfName& bridge);

}  // namespace contain::engine
