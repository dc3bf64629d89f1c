// A container's confinement, decided before anything is created: its
// capabilities (model/security) and its seccomp program, the default one
// compiled at build time when it fits, another compiled now.
#pragma once

#include <string>

#include "core/error.hpp"
#include "kernel/seccomp.hpp"
#include "model/security.hpp"

namespace contain::engine {

// The caller's capability bounding set (kernel/caps).
Result<model::CapabilitySet> caller_bounding_set();

// The seccomp program for `options` and the container's `capabilities`: empty
// for seccomp=unconfined; the build-time program for the default profile when
// the capabilities its rules depend on agree with Docker's defaults; compiled
// now otherwise (a profile file: read, parsed and resolved here, bad files
// refused with exit 2). With `cache_root` (a state root: the containers' own),
// a program compiled now is kept in CACHE_ROOT/cache/seccomp and taken from
// there next time (model/seccomp_cache); without it nothing is written.
Result<kernel::seccomp::Program> seccomp_program(const model::SecurityOptions& options,
                                                 model::CapabilitySet capabilities,
                                                 const std::string& cache_root = {});

}  // namespace contain::engine
