// cgroups, v1 and v2, through their files under /sys/fs/cgroup (no helper
// program, no systemd): where each controller lives, making and removing
// groups, moving a process in, ending every process of a group, and the v2
// device filter (an eBPF program attached with the bpf system call).
#pragma once

#include <linux/bpf.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/device_rules.hpp"
#include "core/error.hpp"
#include "core/unique_fd.hpp"
#include "kernel/child.hpp"

namespace contain::kernel::cgroup {

// --- What the kernel shows (pure parsers, fuzzed) ---

// A cgroup file system in /proc/self/mountinfo: where it is mounted, the
// directory of the hierarchy the mount shows (its root), and for v1 the
// controllers it carries (from the super options; "name=systemd" is not one).
struct Mount {
  std::string mount_point;
  std::string root;
  bool v2 = false;
  std::vector<std::string> controllers;
};
std::vector<Mount> parse_mounts(std::string_view mountinfo);

// One line of /proc/PID/cgroup: "4:memory:/user.slice" (v1), "0::/a/b" (v2).
struct Membership {
  int hierarchy_id = 0;
  std::vector<std::string> controllers;  // empty for v2 (and for named hierarchies)
  std::string path;
};
Result<std::vector<Membership>> parse_proc_cgroup(std::string_view text);

// A value of a flat-keyed file ("oom_kill 3" in memory.oom_control,
// memory.events, cpu.stat, memory.stat, pids.events).
std::optional<std::uint64_t> keyed_value(std::string_view text, std::string_view key);

// One hierarchy the caller is in, with the caller's own group in it.
struct Hierarchy {
  std::string mount_point;  // "/sys/fs/cgroup/memory", "/sys/fs/cgroup/unified"
  bool v2 = false;
  // v1: the controllers mounted there; v2: those the caller's group may hand
  // to its children (its cgroup.controllers).
  std::vector<std::string> controllers;
  std::string own;  // the caller's group, absolute: mount_point + its path in /proc/self/cgroup
  bool has(std::string_view controller) const;
};

// Per controller, where it lives: a v1 hierarchy of its own (or shared, as
// cpu,cpuacct), or the v2 hierarchy. On the hybrid layout, a controller
// mounted as v1 is used there even if v2 exists.
struct Layout {
  std::vector<Hierarchy> hierarchies;
  const Hierarchy* for_controller(std::string_view controller) const;
};

// From the texts of /proc/self/mountinfo and /proc/self/cgroup; the v2
// hierarchy's controllers are read from its files (so a fake tree in a
// temporary folder serves as well as /sys/fs/cgroup).
Result<Layout> layout_from(std::string_view mountinfo, std::string_view proc_cgroup);
// The caller's layout (/proc/self/mountinfo, /proc/self/cgroup).
Result<Layout> detect_layout();

// Whether the caller's own groups of `controllers` are all known not to be
// writable by it, without the layout: /proc/self/mountinfo is formatted whole
// by the kernel (0.03-0.1 ms), which a rootless caller on cgroup v1, or on v2
// without delegation, pays for nothing. Each group is looked for where cgroup
// file systems are mounted on every distribution: <base>/<the hierarchy's
// controllers> for v1, <base> or <base>/unified (the hybrid layout) for v2; it
// must be there, on a file system of that kind, and access(W_OK) must refuse
// it. False when unsure (not there, writable, another error): then the layout
// decides. `proc_cgroup` is the text of /proc/self/cgroup.
bool own_groups_unwritable(std::string_view proc_cgroup,
                           const std::vector<std::string>& controllers,
                           const std::string& base = "/sys/fs/cgroup");

// A cgroup file, one write(2) as the kernel expects; the error names the file.
Status write_file(const std::string& path, std::string_view value);
Result<std::string> read_file(const std::string& path);

// mkdir; true if made, false if it existed.
Result<bool> make_group(const std::string& path);
// Moves a process (all its threads) into a group: cgroup.procs.
Status add_process(const std::string& group, pid_t pid);
// v1: a group's `tasks` file, opened for writing (O_CLOEXEC). A
// single-threaded process that writes "0" into it moves itself
// (join_self). Unlike a cgroup.procs write, that move skips the kernel's
// global threadgroup lock, whose first writer waits for an RCU grace period
// (7-19 ms measured on this machine; `cgroup.procs` of any hierarchy pays it).
Result<UniqueFd> open_tasks(const std::string& group);
// In the process that moves: one write(2) of "0" to an open `tasks` file.
// Async-signal-safe (a child between clone and exec calls it); errno is kept.
bool join_self(int tasks_fd);
// join_self for a cloned child: on failure, records in `e` what went wrong.
// A real-time process can only join a cpu group that has a real-time budget
// (cpu.rt_runtime_us), and the kernel answers EINVAL, whose text misleads:
// then the report says that instead. Async-signal-safe.
bool join_self(int tasks_fd, ChildError& e);
// The processes in a group (cgroup.procs), as our PID namespace numbers them.
Result<std::vector<pid_t>> processes(const std::string& group);

// Ends every process in a group and removes it, within `bound`: on v2
// cgroup.kill, then a wait on cgroup.events (inotify) until it is empty; on
// v1 a kill loop (SIGKILL through pidfds of the listed processes, a wait on
// those pidfds), repeated while new processes appear. A group already gone is
// not an error.
Status remove_group(const std::string& group, bool v2,
                    std::chrono::milliseconds bound = std::chrono::milliseconds(5000));

// --- v2 device filter ---

// BPF_PROG_TYPE_CGROUP_DEVICE: returns 1 (allow) for an access some rule
// covers, 0 otherwise. The same decisions as the v1 devices controller's
// allow-list (unit-tested by running the program in a small interpreter).
std::vector<bpf_insn> device_program(const std::vector<DeviceRule>& rules);
// Loads the program and attaches it to the group (BPF_CGROUP_DEVICE). The
// kernel drops it with the group.
Status attach_device_program(const std::string& group, const std::vector<bpf_insn>& program);

}  // namespace contain::kernel::cgroup
