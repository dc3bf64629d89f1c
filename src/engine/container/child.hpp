// The container's first process, between clone3 and exec. Internal to the engine.
#pragma once

#include <cstdint>

#include "engine/container/security.hpp"
#include "kernel/child.hpp"
#include "kernel/confine.hpp"
#include "kernel/terminal.hpp"

namespace contain::engine::detail {

// Everything the child needs, prepared by the parent before clone: after clone
// the child only reads it (no allocation, no exceptions).
struct ChildPlan {
  int sync_fd = -1;  // the child's end of the CLOEXEC SEQPACKET socketpair
  // The parent's end, closed first thing in the child: should the parent die
  // before the go (even before the child could ask for a parent-death
  // signal), the child reads EOF and gives up instead of waiting for ever.
  int parent_sync_fd = -1;
  // --network netns:NS: the namespace to enter; else -1, and the child has a
  // network namespace of its own, where it brings loopback up.
  int join_netns_fd = -1;
  const char* rootfs = nullptr;  // --rootfs, absolute; null: share the host's files
  const char* hostname = nullptr;
  const char* workdir = "/";
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  bool init = false;  // our minimal init as PID 1, the command as PID 2
  // On a terminal, the container gets a process group of its own that the
  // parent makes the terminal's foreground group before the go.
  bool own_process_group = false;
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;  // -1: inherited
  // The `tasks` files of the container's v1 cgroups (open_v1_tasks), which the
  // child writes "0" into and closes as its first act; the parent places it
  // in v2 groups from outside.
  const int* cgroup_tasks_fds = nullptr;
  int cgroup_tasks_fd_count = 0;
  // Signals ignored or caught at clone (kernel::signals_not_default()): the
  // child sets them back to default (a handler of ours must not run in it, and
  // an ignored signal would stay ignored across exec).
  std::uint64_t signals_to_reset = ~std::uint64_t{0};
  // What takes privileges away (capabilities, user, no_new_privs, seccomp), and
  // the options and prepared data it comes from (mounts, limits): both owned by
  // the parent.
  kernel::Confinement confinement = {};
  const model::ContainerSecurity* security = nullptr;
  const PreparedSecurity* prepared = nullptr;
  const char* lower_rootfs = nullptr;  // --overlay: the untouched DIR; rootfs is the merged view
  // A user namespace (container/userns): the child waits for its maps and
  // receives the idmapped root (index 0 if idmapped_root) and volumes
  // (volume_fd_index[i] >= 0) into mount_fds, its own copy of a parent buffer.
  bool userns = false;
  bool idmapped_root = false;
  const int* volume_fd_index = nullptr;
  int* mount_fds = nullptr;
  int mount_fd_count = 0;
  // Cloned inside the --network netns:NS namespace already (with a user
  // namespace): nothing to join, and its loopback is not ours to set.
  bool netns_from_clone = false;
  // -t: the command runs on a new pseudo-terminal of the container's devpts
  // (the host's without --rootfs), sized as the caller's if it has one.
  bool tty = false;
  bool has_window = false;
  winsize window = {};
};

// The child's ordered stages, then exec. Never returns: the command replaces
// the process, or the child reports why not over plan.sync_fd and exits.
[[noreturn]] void run_container_child(const ChildPlan& plan);

// The byte the parent sends once the container's network and cgroups are ready.
inline constexpr char kNetworkReady = 'G';

}  // namespace contain::engine::detail
