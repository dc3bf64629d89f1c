// The default seccomp profile compiled at build time (tools/seccomp_gen.cpp
// writes the definition into the build tree), for Docker's default
// capabilities.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <span>

namespace contain::kernel::seccomp {

struct Prebuilt {
  std::span<const sock_filter> program;
  // The capabilities the program was resolved for, restricted to `relevant`:
  // those that some rule of the profile depends on.
  std::uint64_t capabilities;
  std::uint64_t relevant;
};

Prebuilt prebuilt_default();

}  // namespace contain::kernel::seccomp
