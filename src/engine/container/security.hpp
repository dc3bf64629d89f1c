// A container's confinement, prepared by the parent before anything is created
// (so bad values fail first), read by the child after clone, recorded for
// `exec` and `inspect`. Internal to the engine.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "engine/container/cgroups.hpp"
#include "engine/container/userns.hpp"
#include "kernel/confine.hpp"
#include "kernel/seccomp.hpp"
#include "model/container.hpp"

namespace contain::engine::detail {

struct PreparedSecurity {
  bool privileged = false;
  model::CapabilitySet capabilities = 0;
  kernel::seccomp::Program program;  // empty: unconfined
  std::string seccomp = "default";   // default, unconfined or the profile file
  bool no_new_privs = false;
  bool change_user = false;
  model::ResolvedUser user;
  std::vector<gid_t> groups;
  bool masked_paths = true;  // Docker's masked and read-only paths (not --privileged)
  // Paths and mount data the child reads (no allocation after clone).
  std::string rootfs;  // the directory that becomes / (DIR, or DIR/.. merged with --overlay)
  std::vector<std::string> tmpfs_data;
  std::string shm_options = "mode=1777,size=65536k";
  // Its cgroups (resource limits, devices): planned before anything is made.
  CgroupPlan cgroups;
  // The user namespace, its maps allocated when the name is reserved.
  PreparedUserns userns;

  // Points into this object: it must outlive the child's use.
  kernel::Confinement confinement() const;
  // What the record keeps ("security") for exec and inspect.
  ContainerSecurityRecord to_record(const model::ContainerSpec& spec) const;
};

// Resolves capabilities against the caller's bounding set, the seccomp program,
// the user in the container's /etc/passwd and /etc/group, and checks that
// every volume's host path exists. Usage errors (exit 2) for bad values.
Result<PreparedSecurity> prepare_security(const model::ContainerSpec& spec);

// exec: the container's confinement from its record, with exec's own --user
// and --privileged; the same capabilities, filter and no_new_privs otherwise.
struct ExecOverrides {
  std::optional<model::UserRequest> user = {};
  bool privileged = false;
};
Result<PreparedSecurity> exec_security(const ContainerRecord& record,
                                       const ExecOverrides& overrides, int container_pid);

// Gives process `pid` the container's --ulimit limits and, if set, its OOM
// score adjustment, from the host side (prlimit, /proc/PID/oom_score_adj): a
// child in a user namespace could only lower them, and a process exec starts
// has contain's own until then.
Status apply_limits(pid_t pid, const std::vector<model::Ulimit>& ulimits,
                    std::optional<int> oom_score_adj);
// The same from a container's record, for a process exec starts in it (its
// score only where run set it: not rootless without --oom-score-adj).
Status apply_recorded_limits(pid_t pid, const ContainerRecord& record);

}  // namespace contain::engine::detail
