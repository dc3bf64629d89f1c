// A container's cgroups: where they go (under the caller's own group in each
// hierarchy, in a contain/<id> subtree), what they limit, and their removal.
// Internal to the engine; the record keeps the plan ("cgroups") so that exec,
// stats, update, rm and gc find the groups again.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/device_rules.hpp"
#include "core/error.hpp"
#include "core/unique_fd.hpp"
#include "engine/record/container.hpp"
#include "kernel/cgroup.hpp"
#include "model/cgroups.hpp"
#include "model/container.hpp"

namespace contain::engine::detail {

// One group of a container: a directory in one hierarchy.
struct CgroupGroup {
  std::string path;  // <the caller's group>/contain/<id>
  bool v2 = false;
  std::vector<std::string> controllers;  // those this group is for
  bool has(std::string_view controller) const;
};

// A node made in the container's /dev (--device with --rootfs).
struct DeviceNode {
  std::string path;  // inside the container
  mode_t mode = 0;   // S_IFCHR or S_IFBLK | 0666
  dev_t device = 0;
};

struct CgroupPlan {
  std::vector<CgroupGroup> groups;
  std::vector<model::CgroupWrite> writes;  // the limits, in order
  bool restrict_devices = false;           // not with --privileged
  std::vector<DeviceRule> device_rules;    // the allow-list: defaults and --device
  std::vector<DeviceNode> device_nodes;

  const CgroupGroup* for_controller(std::string_view controller) const;
  std::vector<ContainerCgroupRecord> to_record() const;  // the record's "cgroups"
  // From a record; groups whose path is not a contain/<id> group of this
  // container are refused (a damaged record must never make us kill others).
  static Result<CgroupPlan> from_record(const ContainerRecord& record);
};

// Host side, before anything is created: reads the layout and decides the
// groups and writes. A limit whose controller is missing, or a caller who may
// not create groups (rootless on v1), is an error naming the controller.
// Without limits, hierarchies the caller cannot write to are left out.
Result<CgroupPlan> plan_cgroups(const model::ContainerSpec& spec);
// The same, for a given layout (a fake tree in the unit tests).
Result<CgroupPlan> plan_cgroups_in(const kernel::cgroup::Layout& layout,
                                   const model::ContainerSpec& spec);

// Host side, before clone: makes the groups and writes limits and the device
// allow-list. On failure nothing is left.
Status create_cgroups(const CgroupPlan& plan);
// What create_cgroups does once the directories exist: the controllers handed
// down (v2), cpusets, the device allow-list and the limits. Separate so that
// the writers can be tested on a fake tree, where mkdir makes no files.
Status configure_cgroups(const CgroupPlan& plan);
// Host side, before clone: the `tasks` files of the v1 groups. The child,
// still single-threaded, writes "0" into each as its first act
// (kernel::cgroup::join_self): a move the kernel makes without the global
// lock whose first holder waits for an RCU grace period, which a parent's
// cgroup.procs write would pay (7-19 ms here, more than the rest of a start).
Result<std::vector<UniqueFd>> open_v1_tasks(const CgroupPlan& plan);
// Host side, between clone and go: moves the process into the v2 groups
// (cgroup.procs; v2 has no per-thread move across domains). The v1 groups it
// has joined itself through open_v1_tasks' files.
Status join_v2_cgroups(const CgroupPlan& plan, pid_t pid);
// Ends what is left in the groups and removes them (and the contain/ parent
// when it is empty). Groups already gone are fine.
Status remove_cgroups(const CgroupPlan& plan);

// After the container exited, before removal: whether the OOM killer acted
// in its memory group (memory.oom_control on v1, memory.events on v2).
bool oom_killed(const CgroupPlan& plan);

// What `contain stats` shows.
struct CgroupStats {
  std::optional<std::uint64_t> memory_usage, memory_limit;
  std::optional<std::uint64_t> cpu_usage_ns;
  std::optional<std::uint64_t> pids, pids_limit;
  std::optional<std::uint64_t> throttled_periods;
};
CgroupStats read_stats(const CgroupPlan& plan);

// `contain update`: writes the given limits into the running container's groups.
Status update_limits(const CgroupPlan& plan, const model::ResourceLimits& limits);

// The record's "limits": what was asked for, in Docker's terms.
nlohmann::json limits_json(const model::ResourceLimits& limits);

// gc: groups under the caller's contain/ folders whose id no record names.
std::vector<CgroupGroup> orphan_groups(const std::vector<std::string>& known_ids);
// gc: the caller's contain/ folders, where they are empty (a command killed
// after making one and before making its container's group leaves it).
void remove_empty_parents();

}  // namespace contain::engine::detail
