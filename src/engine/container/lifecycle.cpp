// What happens to containers after `run`: ps, inspect, stop, rm, stats,
// update, and their part of `contain gc`.
#include <dirent.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <map>

#include "core/unique_fd.hpp"
#include "engine/container/cgroups.hpp"
#include "engine/container/container.hpp"
#include "engine/container/pasta.hpp"
#include "engine/container/record.hpp"
#include "engine/firewall.hpp"
#include "engine/net.hpp"
#include "engine/network.hpp"
#include "engine/records.hpp"
#include "engine/release.hpp"
#include "engine/state.hpp"
#include "kernel/process.hpp"

namespace contain::engine {

using model::ContainerName;
using nlohmann::json;
using namespace detail;

Result<std::vector<ContainerInfo>> list_containers(bool all, bool all_users,
                                                   std::vector<Error>* skipped) {
  if (all_users && ::geteuid() != 0)
    return fail(Error::usage(
        "ps --all-users: only root may list other users' containers; run it with sudo, or "
        "without --all-users for your own"));
  std::vector<std::pair<StoreReader, uid_t>> stores;
  stores.emplace_back(StateStore::containers_reader(), ::geteuid());
  if (all_users)
    for (auto& [root, uid] : StateStore::user_container_roots())
      stores.emplace_back(StateStore::reader_at(root), uid);
  std::vector<ContainerInfo> out;
  std::map<std::string, std::vector<ContainerInfo::OnNetwork>> on_networks;  // by owner
  for (const auto& net : TRY(list_networks()))
    for (const auto& a : net.attachments) on_networks[a.owner].push_back({net.name, a.ip.str()});
  for (const auto& [store, user] : stores) {
    auto records = store.get_all<ContainerRecord>();
    if (!records && user != ::geteuid()) {
      // A user's own folder: theirs to mend, not a reason to hide everyone else's.
      if (skipped)
        skipped->push_back(
            Error::failed(fmt::format("the containers of user {} in {} are left out: {}", user,
                                      store.root(), records.error().message()),
                          records.error().code()));
      continue;
    }
    for (const auto& [name, r] : TRY(std::move(records))) {
      ContainerInfo info = container_summary(name, r);
      if (!all && info.status != "running") continue;
      add_container_details(r, info);
      // Managed networks are root's: only root's own containers can be on them.
      if (auto it = on_networks.find(container_owner(info.name));
          user == ::geteuid() && it != on_networks.end())
        info.networks = it->second;
      info.user = user;
      out.push_back(std::move(info));
    }
  }
  return out;
}

Result<nlohmann::json> inspect_container(const ContainerName& name) {
  return inspect_view(TRY(load_record(name)));
}

namespace {

// Kills (SIGTERM, then SIGKILL after `seconds`; SIGKILL at once if negative)
// and waits until the container and its monitor have finished.
Status end_container(const ContainerName& name, const ContainerRecord& r, int seconds) {
  std::string what = fmt::format("stop container {}", quote(name.str()));
  pid_t pid = r.pid;
  auto pidfd = kernel::open_pidfd(pid);
  if (!pidfd || !is_running(r)) return {};  // it ended meanwhile
  UniqueFd monitor;
  if (auto m = kernel::open_pidfd(r.monitor_pid); m && monitor_alive(r)) monitor = std::move(*m);
  bool exited = false;
  if (seconds >= 0) {
    TRY_WRAP(kernel::signal_pidfd(pidfd->get(), SIGTERM), what);
    exited = TRY_WRAP(kernel::wait_pidfd(pidfd->get(), seconds * 1000), what);
  }
  if (!exited) {
    TRY_WRAP(kernel::signal_pidfd(pidfd->get(), SIGKILL), what);
    TRY_WRAP(kernel::wait_pidfd(pidfd->get(), -1), what);
  }
  // The monitor records the exit status (or, in the foreground, `contain run`
  // removes the record) right after: wait for that too, so that what we print
  // next is true.
  if (monitor) TRY_WRAP(kernel::wait_pidfd(monitor.get(), 10000), what);
  return {};
}

}  // namespace

Status stop_container(const ContainerName& name, int seconds) {
  auto r = TRY(load_record(name));
  if (!is_running(r)) return {};
  return end_container(name, r, seconds);
}

Status remove_container(const ContainerName& name, bool force) {
  auto r = TRY(load_record(name));
  if (is_running(r)) {
    if (!force)
      return fail(Error::failed(fmt::format(
          "container {} is running: stop it first ('contain stop {}') or use 'contain rm -f {}'",
          quote(name.str()), name.str(), name.str())));
    // Marked before it is ended: should rm be killed from here on, gc
    // finishes the removal once the container has ended.
    TRY(update_record(name, [](ContainerRecord& now) { now.phase = record::Phase::deleting; }));
    TRY(end_container(name, r, -1));
  }
  auto store = TRY(StateStore::lock_containers());
  if (auto now = TRY(store.get<ContainerRecord>(name.str()));
      now && now->phase != record::Phase::deleting) {
    now->phase = record::Phase::deleting;
    TRY(store.put(name.str(), *now));
  }
  // Its monitor removed its cgroups and gave back its address when it ended;
  // if the monitor was killed, we do (release.hpp).
  TRY(release_owned_by(&store, {container_owner(name.str())},
                       {.event = ReleaseEvent::container_removed, .container_record = &r}));
  TRY(store.erase<ContainerRecord>(name.str()));
  remove_log(name.str());
  return {};
}

Result<std::vector<ContainerStats>> container_stats(const std::vector<ContainerName>& names) {
  std::vector<ContainerRecord> records;
  if (names.empty()) {
    for (auto& [name, r] : TRY(StateStore::reader().get_all<ContainerRecord>()))
      if (is_running(r)) records.push_back(std::move(r));
  } else {
    for (const auto& name : names) {
      auto r = TRY(load_record(name));
      if (!is_running(r))
        return fail(Error::failed(
            fmt::format("container {} is not running (see 'contain ps -a')", quote(name.str()))));
      records.push_back(std::move(r));
    }
  }
  std::vector<ContainerStats> out;
  for (const auto& r : records) {
    auto plan = TRY(detail::CgroupPlan::from_record(r));
    auto sample = detail::read_stats(plan);
    out.push_back({r.name, r.id, sample.memory_usage, sample.memory_limit, sample.cpu_usage_ns,
                   sample.pids, sample.pids_limit, sample.throttled_periods});
  }
  return out;
}

Status update_container(const ContainerName& name, const model::ResourceLimits& limits) {
  std::string what = fmt::format("update container {}", quote(name.str()));
  TRY_WRAP(model::validate_limits(limits), what);
  auto r = TRY(load_record(name));
  if (!is_running(r))
    return fail(Error::failed(fmt::format(
        "{}: it is not running (see 'contain ps -a'); limits are set on running containers",
        what)));
  auto plan = TRY_WRAP(detail::CgroupPlan::from_record(r), what);
  TRY_WRAP(detail::update_limits(plan, limits), what);
  return record_limits(name, limits);
}

Result<std::vector<std::string>> collect_container_garbage(const StateStore& store) {
  std::vector<std::string> done;
  for (auto& [name, r] : TRY(store.get_all<ContainerRecord>())) {
    const std::string status = r.status;
    // An `rm` killed half way marked it "deleting": finished once it has ended.
    bool removing = r.phase == record::Phase::deleting;
    if (is_running(r) || monitor_alive(r)) continue;
    // Its cgroups, also of an exited container whose monitor died before
    // removing them (their processes are ended first), and its pasta; unless
    // it exited (its monitor gave them back), its links, forwards and
    // addresses (release.hpp).
    bool had_cgroups = false;
    if (auto cgroups = detail::CgroupPlan::from_record(r))
      for (const auto& g : cgroups->groups) had_cgroups |= ::access(g.path.c_str(), F_OK) == 0;
    bool exited = status == "exited" && !removing;
    TRY(release_owned_by(
        &store, {container_owner(name)},
        {.event = exited ? ReleaseEvent::exited_collected : ReleaseEvent::container_collected,
         .container_record = &r}));
    if (exited) {
      if (had_cgroups) done.push_back(fmt::format("removed the cgroups of container {}", name));
      continue;
    }
    if (removing) {
      TRY(store.erase<ContainerRecord>(name));
      ::unlink(log_path(name).c_str());
      done.push_back(
          fmt::format("removed container {} ('contain rm' was interrupted; finished it)", name));
      continue;
    }
    if (!r.detached) {
      TRY(store.erase<ContainerRecord>(name));
      done.push_back(
          fmt::format("removed the record of container {} (it and its 'contain run' "
                      "are gone){}",
                      name, had_cgroups ? "; removed its cgroups" : ""));
      continue;
    }
    mark_exited(r);
    TRY(store.put(name, r));
    done.push_back(fmt::format("marked container {} exited (it and its monitor are gone){}", name,
                               had_cgroups ? "; removed its cgroups" : ""));
  }
  // Logs without a container: a `run -d` killed between making its log and
  // its record, or an `rm` killed between removing them.
  if (DIR* dir = ::opendir(log_dir().c_str())) {
    std::vector<std::string> orphans;
    while (dirent* entry = ::readdir(dir)) {
      std::string_view file = entry->d_name;
      if (!file.ends_with(".log")) continue;
      std::string name(file.substr(0, file.size() - 4));
      if (!TRY(store.get<ContainerRecord>(name))) orphans.push_back(std::move(name));
    }
    ::closedir(dir);
    for (const auto& name : orphans) {
      if (::unlink(log_path(name).c_str()) < 0 && errno != ENOENT)
        return fail(Error::system(fmt::format("remove {}", log_path(name))));
      done.push_back(fmt::format("removed {} (no container {} exists)", log_path(name), name));
    }
  }
  if (::rmdir(log_dir().c_str()) == 0)
    done.push_back(fmt::format("removed the empty folder {}", log_dir()));
  // Groups under our contain/ folders that no record names (a crash between
  // a record's removal and its groups' cannot happen, but a record set aside
  // as corrupt can leave them).
  std::vector<std::string> ids;
  TRY(store.visit<ContainerRecord>([&](const std::string&, const ContainerRecord& r) {
    ids.push_back(r.id);
    return Status{};
  }));
  // Only empty ones: processes in a group no record of ours names may be
  // another state store's (a sandbox with a /run of its own under the same
  // caller's group), never ours to kill.
  for (auto& group : detail::orphan_groups(ids))
    if (::rmdir(group.path.c_str()) == 0)
      done.push_back(fmt::format("removed cgroup {} (no container owns it)", group.path));
  detail::remove_empty_parents();
  return done;
}

}  // namespace contain::engine
