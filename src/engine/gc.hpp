// Reconciling the state store with the kernel after a crash or SIGKILL.
#pragma once

#include <string>
#include <vector>

#include "core/error.hpp"

namespace contain::engine {

// Reconciles every kind of record contain keeps with the kernel, under the
// state lock: containers whose process and monitor died; namespaces that are
// gone (and links recorded for them); host links of ours whose namespace is
// gone; network attachments whose owner or interface is gone (the address is
// released); networks whose bridge was deleted; bridges that are gone; NAT,
// isolation and forwards whose owner, bridge or target is gone (one nftables
// transaction), route_localnet no forward needs, the table itself; shaping
// whose target is gone and ifb devices of ours left without a device.
// Nothing alive is touched, nor anything without our alias, record or table.
// Returns one line per thing it removed.
Result<std::vector<std::string>> collect_garbage();

}  // namespace contain::engine
