// Capability checks, so that a missing privilege is reported before anything changes.
#pragma once

#include <string_view>

#include "core/error.hpp"

namespace contain::kernel {

// Fails with one clear line unless the effective set holds CAP_SYS_ADMIN and
// CAP_NET_ADMIN; `command` names what needed them.
Status require_admin_capabilities(std::string_view command);

}  // namespace contain::kernel
