// Mounts a container's child makes in its new mount namespace. These run after
// clone and before exec, so they allocate nothing and report through ChildError.
#pragma once

#include "kernel/child.hpp"

namespace contain::kernel {

// Makes every mount private (recursively), so nothing we mount propagates back
// to the host and nothing the host mounts later appears inside.
bool make_mounts_private(ChildError& e);

// A fresh procfs on `target`: it shows the PID namespace of the caller's
// children, that is the container's.
bool mount_proc(const char* target, ChildError& e);

// Prepares `rootfs` to become `/`: bound onto itself (pivot_root needs a mount
// point), /proc, a minimal /dev (null zero full random urandom tty bound from
// the host, pts, shm, the usual symlinks) and a read-only /sys.
bool prepare_rootfs(const char* rootfs, ChildError& e);

// Makes the prepared `rootfs` the root with pivot_root and detaches the old
// root, so no path leads back to the host's files.
bool pivot_into(const char* rootfs, ChildError& e);

}  // namespace contain::kernel
