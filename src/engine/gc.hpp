// Reconciling the state store with the kernel after a crash or SIGKILL.
#pragma once

#include <string>
#include <vector>

#include "core/error.hpp"

namespace contain::engine {

// Removes what the store or the kernel holds of ours that no longer has a
// counterpart: records of namespaces that are gone (and the host links they
// recorded), and links carrying our alias whose owner no longer exists.
// Returns one line per thing it removed.
Result<std::vector<std::string>> collect_garbage();

}  // namespace contain::engine
