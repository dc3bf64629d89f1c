#include "engine/container/cgroups.hpp"

#include <dirent.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "core/undo.hpp"
#include "kernel/cgroup.hpp"

namespace contain::engine::detail {

namespace {

using nlohmann::json;
namespace cgroup = kernel::cgroup;

// Every container is accounted in these (stats, OOM reporting), wherever
// they are available; cpuset only when asked for.
constexpr std::string_view kAccounting[] = {"memory", "pids", "cpu", "cpuacct"};

std::string parent_of(const std::string& path) { return path.substr(0, path.rfind('/')); }

bool is_hex_id(std::string_view id) {
  return id.size() == 64 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// A group path from a record must be an absolute <somewhere>/contain/<the
// record's id>: anything else could be someone else's group, whose processes
// removal would kill.
bool is_container_group(std::string_view path, std::string_view id) {
  std::string tail = fmt::format("/contain/{}", id);
  return path.starts_with("/") && path.ends_with(tail) &&
         path.find("/../") == std::string_view::npos && path.find("/./") == std::string_view::npos;
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// Where a container is placed: the accounting controllers, cpuset when asked
// for, devices unless privileged.
std::vector<std::string> wanted_controllers(const model::ContainerSpec& spec) {
  std::vector<std::string> wanted(std::begin(kAccounting), std::end(kAccounting));
  if (spec.limits.cpuset_cpus || spec.limits.cpuset_mems) wanted.push_back("cpuset");
  if (!spec.security.capabilities.privileged) wanted.push_back("devices");
  return wanted;
}

Error unavailable(const model::NeededController& need, std::string_view why) {
  return Error::failed(fmt::format("{}: {}; nothing was created (run without {}, or {})",
                                   need.option, why, need.option,
                                   "where the controller is available to you"));
}

// The parent of a container's group (<own>/contain) is shared by every
// container of the caller: made when missing, removed when the last goes.
// v1 cpuset groups start with no CPUs and no memory nodes: a new one gets its
// parent's.
Status ensure_subtree_control(const CgroupGroup& group) {
  std::string parent = parent_of(group.path);
  std::string own = parent_of(parent);
  if (group.v2) {
    // Controllers reach a v2 group only through its ancestors' subtree_control.
    std::string enable;
    for (const auto& c : group.controllers)
      if (c != "cpuacct") enable += (enable.empty() ? "+" : " +") + c;
    if (!enable.empty()) {
      auto own_enabled = cgroup::write_file(own + "/cgroup.subtree_control", enable);
      if (!own_enabled && own_enabled.error().code() == EBUSY)
        return fail(std::move(own_enabled)
                        .error()
                        .wrap(fmt::format(
                            "cgroup v2 lets a group with processes hand no controllers to its "
                            "children, and {} has processes; start contain from a group of its "
                            "own (for example with systemd-run --scope)",
                            own)));
      TRY(std::move(own_enabled));
      TRY(cgroup::write_file(parent + "/cgroup.subtree_control", enable));
    }
  } else if (group.has("cpuset")) {
    for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
      auto current = TRY(cgroup::read_file(parent + "/" + file));
      if (current.find_first_not_of(" \n") == std::string::npos)
        TRY(cgroup::write_file(parent + "/" + file, TRY(cgroup::read_file(own + "/" + file))));
    }
  }
  return {};
}

Status ensure_parent(const CgroupGroup& group) {
  TRY(cgroup::make_group(parent_of(group.path)));
  return ensure_subtree_control(group);
}

Status write_limits(const CgroupPlan& plan, const std::vector<model::CgroupWrite>& writes) {
  // Some writes depend on each other's order in ways that depend on the
  // current values (memsw must stay at or above memory): what the kernel
  // refuses with EINVAL is tried again after the others.
  std::vector<const model::CgroupWrite*> pending;
  for (const auto& w : writes) pending.push_back(&w);
  while (!pending.empty()) {
    std::vector<const model::CgroupWrite*> refused;
    std::optional<Error> last;
    for (const auto* w : pending) {
      const CgroupGroup* group = plan.for_controller(w->controller);
      if (!group) continue;
      auto written = cgroup::write_file(group->path + "/" + w->file, w->value);
      if (written) continue;
      if (written.error().code() != EINVAL) return fail(std::move(written).error());
      refused.push_back(w);
      last = std::move(written).error();
    }
    if (refused.size() == pending.size()) return fail(std::move(*last));
    pending = std::move(refused);
  }
  return {};
}

Status configure_group(const CgroupPlan& plan, const CgroupGroup& group) {
  if (!group.v2 && group.has("cpuset")) {
    // Writes below set the limits; a group must have CPUs and memory nodes
    // before any process can join it.
    std::string parent = parent_of(group.path);
    for (const char* file : {"cpuset.cpus", "cpuset.mems"})
      TRY(cgroup::write_file(group.path + "/" + file, TRY(cgroup::read_file(parent + "/" + file))));
  }
  if (plan.restrict_devices && !group.v2 && group.has("devices")) {
    TRY(cgroup::write_file(group.path + "/devices.deny", "a"));
    for (const auto& rule : plan.device_rules)
      TRY(cgroup::write_file(group.path + "/devices.allow", rule.str()));
  }
  if (plan.restrict_devices && group.v2)
    TRY(cgroup::attach_device_program(group.path, cgroup::device_program(plan.device_rules)));
  return {};
}

Status create_group(const CgroupPlan& plan, const CgroupGroup& group) {
  // A concurrent removal of the last other container may take the shared
  // parent away between our two mkdirs: then the parent is made again.
  for (int attempt = 0;; ++attempt) {
    TRY(ensure_parent(group));
    auto made = cgroup::make_group(group.path);
    if (made && *made) break;
    if (made)
      return fail(Error::failed(fmt::format("cgroup {} exists already", group.path), EEXIST));
    if (made.error().code() != ENOENT || attempt == 3) return fail(std::move(made).error());
  }
  return configure_group(plan, group);
}

Status remove_group_and_parent(const CgroupGroup& group) {
  // Usually gone already (the monitor removed them before rm or gc looked).
  if (!exists(group.path)) return {};
  TRY(cgroup::remove_group(group.path, group.v2));
  // The shared parent goes with the last container; another one may still be
  // in it (EBUSY, ENOTEMPTY) or have removed it already (ENOENT).
  ::rmdir(parent_of(group.path).c_str());
  return {};
}

std::optional<std::uint64_t> read_number(const std::string& path) {
  auto text = cgroup::read_file(path);
  if (!text) return std::nullopt;
  std::string value = *text;
  while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
  if (value == "max") return std::nullopt;
  try {
    std::size_t used = 0;
    auto n = std::stoull(value, &used);
    if (used != value.size()) return std::nullopt;
    return n;
  } catch (...) {
    return std::nullopt;
  }
}

std::optional<std::uint64_t> read_keyed(const std::string& path, std::string_view key) {
  auto text = cgroup::read_file(path);
  if (!text) return std::nullopt;
  return cgroup::keyed_value(*text, key);
}

// --device: the node's type and number on the host, and the rule allowing it.
Result<DeviceNode> device_node(const model::DeviceRequest& request, DeviceRule& rule) {
  struct stat st;
  if (::stat(request.host.c_str(), &st) < 0)
    return fail(Error::system(fmt::format("--device {}: {}", request.str(), request.host)));
  if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
    return fail(Error::usage(
        fmt::format("--device {}: {} is not a device node (a character or block device)",
                    request.str(), request.host)));
  rule.type = S_ISCHR(st.st_mode) ? 'c' : 'b';
  rule.major = major(st.st_rdev);
  rule.minor = minor(st.st_rdev);
  rule.read = request.read;
  rule.write = request.write;
  rule.mknod = request.mknod;
  return DeviceNode{request.container, (st.st_mode & S_IFMT) | 0666, st.st_rdev};
}

}  // namespace

bool CgroupGroup::has(std::string_view controller) const {
  return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

const CgroupGroup* CgroupPlan::for_controller(std::string_view controller) const {
  for (const auto& g : groups)
    if (g.has(controller)) return &g;
  return nullptr;
}

std::vector<ContainerCgroupRecord> CgroupPlan::to_record() const {
  std::vector<ContainerCgroupRecord> out;
  for (const auto& g : groups) out.push_back({g.path, g.v2, g.controllers});
  return out;
}

Result<CgroupPlan> CgroupPlan::from_record(const ContainerRecord& record) {
  CgroupPlan plan;
  if (record.cgroups.empty()) return plan;
  const std::string& id = record.id;
  if (!is_hex_id(id)) return fail(Error::failed("the container record has no valid id"));
  for (const auto& g : record.cgroups) {
    CgroupGroup group;
    group.path = g.path;
    if (!is_container_group(group.path, id))
      return fail(Error::failed(fmt::format(
          "the container record names {} as its cgroup, which is not a contain/{} group; "
          "refusing to touch it",
          group.path, id.substr(0, 12))));
    group.v2 = g.v2;
    group.controllers = g.controllers;
    plan.groups.push_back(std::move(group));
  }
  return plan;
}

Result<CgroupPlan> plan_cgroups(const model::ContainerSpec& spec) {
  // Rootless without limits, on cgroup v1 or v2 without delegation: no group
  // of ours can be made, as the layout would say; said without it, whose
  // /proc/self/mountinfo is most of this function's time. The plan is what
  // the layout's would be: no group, the device rules alone.
  if (::geteuid() != 0 && model::needed_controllers(spec.limits).empty()) {
    auto proc_cgroup = cgroup::read_file("/proc/self/cgroup");
    if (proc_cgroup && cgroup::own_groups_unwritable(*proc_cgroup, wanted_controllers(spec)))
      return plan_cgroups_in(cgroup::Layout{}, spec);
  }
  auto layout = cgroup::detect_layout();
  if (!layout) {
    auto needs = model::needed_controllers(spec.limits);
    if (needs.empty()) return CgroupPlan{};  // no limits: accounting is a bonus
    return fail(unavailable(needs.front(), layout.error().message()));
  }
  return plan_cgroups_in(*layout, spec);
}

Result<CgroupPlan> plan_cgroups_in(const kernel::cgroup::Layout& layout_,
                                   const model::ContainerSpec& spec) {
  CgroupPlan plan;
  const auto& limits = spec.limits;
  auto needs = model::needed_controllers(limits);
  const auto* layout = &layout_;
  // The controllers to place the container in, each in the hierarchy that
  // carries it; one group per hierarchy.
  std::vector<std::string> wanted = wanted_controllers(spec);
  plan.restrict_devices = !spec.security.capabilities.privileged;
  auto writable = [](const cgroup::Hierarchy& h) { return ::access(h.own.c_str(), W_OK) == 0; };
  for (const auto& need : needs) {
    const auto* h = layout->for_controller(need.controller);
    if (!h)
      return fail(unavailable(
          need, fmt::format("the {} cgroup controller is not available here (neither mounted as "
                            "cgroup v1 nor enabled for this group in cgroup v2)",
                            need.controller)));
    if (!writable(*h))
      return fail(unavailable(
          need, fmt::format("the {} cgroup controller needs a group of ours under {}, which this "
                            "user may not write to (rootless on cgroup v1 cannot set limits)",
                            need.controller, h->own)));
  }
  const cgroup::Hierarchy* v2 = nullptr;
  for (const auto& h : layout->hierarchies)
    if (h.v2) v2 = &h;
  for (const auto& controller : wanted) {
    const auto* h = layout->for_controller(controller);
    // Devices on v2 are an eBPF program on the v2 group, not a controller.
    if (!h && controller == "devices" && v2 && layout->for_controller("memory") == v2) h = v2;
    if (!h || !writable(*h)) continue;
    std::string path = fmt::format("{}/contain/{}", h->own, spec.id);
    auto it = std::find_if(plan.groups.begin(), plan.groups.end(),
                           [&](const CgroupGroup& g) { return g.path == path; });
    if (it == plan.groups.end()) {
      plan.groups.push_back({path, h->v2, {}});
      it = std::prev(plan.groups.end());
    }
    it->controllers.push_back(controller);
  }
  // Devices are restricted only where a group restricts them.
  if (!plan.for_controller("devices")) plan.restrict_devices = false;

  for (const auto& group : plan.groups) {
    auto writes = group.v2 ? model::v2_limit_writes(limits) : model::v1_limit_writes(limits);
    for (auto& w : writes) {
      if (!group.has(w.controller)) continue;
      // Swap accounting may be off (no memsw files): only --memory-swap needs it.
      if (w.file == "memory.memsw.limit_in_bytes" || w.file == "memory.swap.max") {
        if (!exists(parent_of(parent_of(group.path)) + "/" + w.file)) {
          if (limits.memory_swap)
            return fail(unavailable({"memory", "--memory-swap"},
                                    "this kernel does not account swap in cgroups (no " + w.file +
                                        "; boot with swapaccount=1)"));
          continue;
        }
      }
      plan.writes.push_back(std::move(w));
    }
  }
  plan.device_rules = model::default_device_rules();
  for (const auto& request : spec.devices) {
    DeviceRule rule;
    auto node = TRY(device_node(request, rule));
    plan.device_rules.push_back(rule);
    if (spec.rootfs)
      plan.device_nodes.push_back(std::move(node));
    else if (request.container != request.host)
      return fail(Error::usage(fmt::format(
          "--device {}: without --rootfs the container sees the host's /dev, so the device "
          "keeps its host path; give --device {} or use --rootfs",
          request.str(), request.host)));
  }
  if (!spec.devices.empty() && !plan.restrict_devices && !spec.security.capabilities.privileged &&
      !plan.groups.empty())
    return fail(Error::failed(
        "--device: the devices cgroup controller is not available here; nothing was created"));
  return plan;
}

Status create_cgroups(const CgroupPlan& plan) {
  Undo undo;
  for (const auto& group : plan.groups) {
    undo.add([&] { (void)remove_group_and_parent(group); });
    TRY_WRAP(create_group(plan, group), "set up the container's cgroups");
  }
  TRY_WRAP(write_limits(plan, plan.writes), "set the container's limits");
  undo.commit();
  return {};
}

Status configure_cgroups(const CgroupPlan& plan) {
  for (const auto& group : plan.groups) {
    TRY(ensure_subtree_control(group));
    TRY(configure_group(plan, group));
  }
  return write_limits(plan, plan.writes);
}

Result<std::vector<UniqueFd>> open_v1_tasks(const CgroupPlan& plan) {
  std::vector<UniqueFd> out;
  for (const auto& group : plan.groups)
    if (!group.v2)
      out.push_back(TRY_WRAP(cgroup::open_tasks(group.path), "place the container in its cgroups"));
  return out;
}

Status join_v2_cgroups(const CgroupPlan& plan, pid_t pid) {
  for (const auto& group : plan.groups)
    if (group.v2)
      TRY_WRAP(cgroup::add_process(group.path, pid), "place the container in its cgroups");
  return {};
}

Status remove_cgroups(const CgroupPlan& plan) {
  std::optional<Error> first;
  for (const auto& group : plan.groups)
    if (auto removed = remove_group_and_parent(group); !removed && !first)
      first = std::move(removed).error();
  if (first) return fail(std::move(*first).wrap("remove the container's cgroups"));
  return {};
}

bool oom_killed(const CgroupPlan& plan) {
  const auto* group = plan.for_controller("memory");
  if (!group) return false;
  auto kills = group->v2 ? read_keyed(group->path + "/memory.events", "oom_kill")
                         : read_keyed(group->path + "/memory.oom_control", "oom_kill");
  return kills.value_or(0) > 0;
}

CgroupStats read_stats(const CgroupPlan& plan) {
  CgroupStats s;
  if (const auto* g = plan.for_controller("memory")) {
    // As docker stats: the usage without the page cache the kernel can drop at once.
    auto usage = read_number(g->path + (g->v2 ? "/memory.current" : "/memory.usage_in_bytes"));
    auto inactive =
        read_keyed(g->path + "/memory.stat", g->v2 ? "inactive_file" : "total_inactive_file");
    if (usage) s.memory_usage = *usage - std::min(*usage, inactive.value_or(0));
    auto limit = read_number(g->path + (g->v2 ? "/memory.max" : "/memory.limit_in_bytes"));
    // v1 says "no limit" with a huge number: the machine's memory is the limit then.
    std::uint64_t host = static_cast<std::uint64_t>(::sysconf(_SC_PHYS_PAGES)) *
                         static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    s.memory_limit = limit && *limit < host ? *limit : host;
  }
  if (const auto* g = plan.for_controller("cpuacct"); g && !g->v2) {
    s.cpu_usage_ns = read_number(g->path + "/cpuacct.usage");
  } else if (const auto* c = plan.for_controller("cpu"); c && c->v2) {
    if (auto usec = read_keyed(c->path + "/cpu.stat", "usage_usec")) s.cpu_usage_ns = *usec * 1000;
  }
  if (const auto* g = plan.for_controller("cpu"))
    s.throttled_periods = read_keyed(g->path + "/cpu.stat", "nr_throttled");
  if (const auto* g = plan.for_controller("pids")) {
    s.pids = read_number(g->path + "/pids.current");
    s.pids_limit = read_number(g->path + "/pids.max");
  }
  return s;
}

Status update_limits(const CgroupPlan& plan, const model::ResourceLimits& limits) {
  for (const auto& need : model::needed_controllers(limits))
    if (!plan.for_controller(need.controller))
      return fail(Error::failed(fmt::format(
          "{}: the container has no {} cgroup (it was started where that controller was not "
          "available to it)",
          need.option, need.controller)));
  std::vector<model::CgroupWrite> writes;
  for (const auto& group : plan.groups) {
    auto all = group.v2 ? model::v2_limit_writes(limits) : model::v1_limit_writes(limits);
    for (auto& w : all) {
      if (!group.has(w.controller)) continue;
      // Only what was given changes: --memory alone leaves swap as it is,
      // unless the new memory limit would be above it.
      bool swap_file = w.file == "memory.memsw.limit_in_bytes" || w.file == "memory.swap.max";
      if (swap_file && (!limits.memory_swap || !exists(group.path + "/" + w.file))) continue;
      writes.push_back(std::move(w));
    }
    if (!group.v2 && group.has("memory") && limits.memory && !limits.memory_swap) {
      auto memsw = read_number(group.path + "/memory.memsw.limit_in_bytes");
      if (memsw && *memsw < *limits.memory)
        writes.push_back(
            {"memory", "memory.memsw.limit_in_bytes", std::to_string(*limits.memory * 2)});
    }
  }
  return write_limits(plan, writes);
}

json limits_json(const model::ResourceLimits& l) {
  json out = json::object();
  if (l.memory) out["memory"] = *l.memory;
  if (l.memory_swap) out["memory_swap"] = *l.memory_swap;
  if (l.memory_reservation) out["memory_reservation"] = *l.memory_reservation;
  if (l.pids_limit) out["pids_limit"] = *l.pids_limit;
  if (l.nano_cpus) out["nano_cpus"] = *l.nano_cpus;
  if (l.cpu_shares) out["cpu_shares"] = *l.cpu_shares;
  if (l.cpuset_cpus) out["cpuset_cpus"] = *l.cpuset_cpus;
  if (l.cpuset_mems) out["cpuset_mems"] = *l.cpuset_mems;
  return out;
}

void remove_empty_parents() {
  auto layout = cgroup::detect_layout();
  if (!layout) return;
  // rmdir removes only an empty group: another container's keeps it.
  for (const auto& h : layout->hierarchies) ::rmdir((h.own + "/contain").c_str());
}

std::vector<CgroupGroup> orphan_groups(const std::vector<std::string>& known_ids) {
  std::vector<CgroupGroup> out;
  auto layout = cgroup::detect_layout();
  if (!layout) return out;
  std::set<std::string> known(known_ids.begin(), known_ids.end());
  for (const auto& h : layout->hierarchies) {
    std::string parent = h.own + "/contain";
    DIR* dir = ::opendir(parent.c_str());
    if (!dir) continue;
    while (const dirent* entry = ::readdir(dir)) {
      std::string name = entry->d_name;
      if (entry->d_type != DT_DIR || !is_hex_id(name) || known.contains(name)) continue;
      out.push_back({parent + "/" + name, h.v2, h.controllers});
    }
    ::closedir(dir);
  }
  return out;
}

}  // namespace contain::engine::detail
