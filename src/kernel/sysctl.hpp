// Sysctls as files under /proc/sys (the sysctl(8) program only does the same).
// Keys are given as paths below /proc/sys, "net/ipv4/ip_forward", because an
// interface name may itself contain a dot ("eth0.100").
#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace contain::kernel {

// The value without its trailing newline. ENOENT if there is no such key
// (for example, the interface is gone).
Result<std::string> read_sysctl(std::string_view key);
Status write_sysctl(std::string_view key, std::string_view value);

}  // namespace contain::kernel
