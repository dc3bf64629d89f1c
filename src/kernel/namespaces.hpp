// Joining the namespaces of another process (setns), the pidfd way and the
// /proc/PID/ns way.
#pragma once

#include <sys/types.h>

#include "core/error.hpp"

namespace contain::kernel {

// Joins the namespaces of the process behind `pidfd` (flags: CLONE_NEW*),
// with one setns() on the pidfd; on kernels without it, one setns() per
// /proc/PID/ns/* file. CLONE_NEWPID affects the children made afterwards.
Status join_namespaces(int pidfd, pid_t pid, int flags);

}  // namespace contain::kernel
