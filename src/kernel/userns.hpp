// User namespaces: id maps (written by the parent, or by the setuid
// newuidmap/newgidmap for an unprivileged caller), idmapped mounts
// (open_tree + mount_setattr(MOUNT_ATTR_IDMAP)), and the child's side: the
// detached mounts it receives over its sync socket and its change to root
// inside.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/unique_fd.hpp"
#include "kernel/child.hpp"

namespace contain::kernel {

// Parent, in the parent user namespace: writes /proc/PID/uid_map, then
// /proc/PID/setgroups ("deny" if `deny_setgroups`: the kernel requires it
// before an unprivileged process writes a gid map) and /proc/PID/gid_map.
// Each map is the text of model::id_map_text (one "inside outside count" a line).
Status write_id_maps(pid_t pid, const std::string& uid_map, const std::string& gid_map,
                     bool deny_setgroups);

// Parent, unprivileged: the setuid helpers of the `uidmap` package write the
// maps (the kernel lets only a privileged writer map more than one's own id).
// `uid_args`/`gid_args` are "inside outside count" triples, flattened.
Status write_id_maps_with_helpers(pid_t pid, const std::vector<std::uint32_t>& uid_args,
                                  const std::vector<std::uint32_t>& gid_args);

// /proc/PID/ns/user, opened for mount_setattr.
Result<UniqueFd> open_user_namespace(pid_t pid);

// Parent, in the initial user namespace: a detached copy of the mount at
// `path` (with the mounts below it if `recursive`) whose ids are seen through
// the user namespace `userns_fd`: files owned by host id H appear owned by the
// id H maps to inside, and files the container creates as id I are stored as
// host id I. Read-only if asked. A filesystem that cannot be idmapped is an
// error that says so and what to do.
Result<UniqueFd> idmapped_tree(const std::string& path, int userns_fd, bool recursive,
                               bool read_only, std::string_view what);

// Parent: sends `byte` with the descriptors `fds` (SCM_RIGHTS) over the
// SEQPACKET sync socket.
Status send_with_fds(int sock, char byte, const std::vector<int>& fds);

// Child: receives one byte and up to `max_fds` descriptors; fails unless the
// byte is `expected` (EOF: the parent is gone). `fds` gets what came, the
// rest set to -1. No allocation.
bool receive_with_fds(int sock, char expected, int* fds, int max_fds, ChildError& e);

// Child, just inside a new user namespace whose maps the parent wrote: takes
// ids 0 inside (root of the container) and keeps the parent-death signal,
// which the kernel clears on a change of effective id.
bool become_root_inside(ChildError& e);

// Child: attaches the detached mount `fd` (from idmapped_tree) at `target`.
bool attach_mount(int fd, const char* target, ChildError& e);

}  // namespace contain::kernel
