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
// `shm_options` is the data of /dev/shm's tmpfs ("mode=1777,size=65536k").
// With `root_mount_fd` (an idmapped copy of rootfs, kernel/userns), that copy
// is attached on rootfs instead of the bind. Where sysfs may not be mounted
// (a user namespace in a network namespace it does not own), the host's /sys
// is bound read-only instead.
bool prepare_rootfs(const char* rootfs, const char* shm_options, int root_mount_fd, ChildError& e);

// Makes the prepared `rootfs` the root with pivot_root and detaches the old
// root, so no path leads back to the host's files.
bool pivot_into(const char* rootfs, ChildError& e);

// Binds `source` (a host path) onto `target`, made first as a directory or an
// empty file like the source; read-only if asked (a second, remounting call:
// the kernel ignores MS_RDONLY on the first).
bool bind_volume(const char* source, const char* target, bool read_only, ChildError& e);

// Attaches the detached (idmapped) mount `fd` of host path `source` onto
// `target`, made first like the source.
bool attach_volume(const char* source, int fd, const char* target, ChildError& e);

// A tmpfs on `target` (made if missing) with mount(2) `flags` and `data`.
bool mount_tmpfs(const char* target, unsigned long flags, const char* data, ChildError& e);

// Remounts the bind mount at `target` read-only (the mounts below it keep theirs).
bool remount_read_only(const char* target, ChildError& e);

// --overlay: `lower` stays untouched; a tmpfs is mounted over it holding the
// upper and work directories and the merged view at `merged`
// (`lower`/merged, which the caller then uses as the rootfs). The lower
// directory is reached through a descriptor opened before the tmpfs covers it.
// `lower_fd`, if not -1, is the lower layer instead (an idmapped copy of `lower`).
bool mount_overlay_root(const char* lower, const char* merged, int lower_fd, ChildError& e);

}  // namespace contain::kernel
