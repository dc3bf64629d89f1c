// Capability checks, so that a missing privilege is reported before anything changes.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/error.hpp"

namespace contain::kernel {

// Fails with one clear line unless the effective set holds CAP_SYS_ADMIN and
// CAP_NET_ADMIN; `command` names what needed them.
Status require_admin_capabilities(std::string_view command);

// The calling thread's capability bounding set, bit N for capability N (as
// CapBnd in /proc/self/status), asked of the kernel one capability at a time:
// a few dozen prctl calls cost less than /proc/self/status, which the kernel
// formats whole.
Result<std::uint64_t> bounding_set();

}  // namespace contain::kernel
