#include "engine/container/start.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <linux/rtnetlink.h>
#include <netlink/socket.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <map>

#include "core/random.hpp"
#include "core/undo.hpp"
#include "core/unique_fd.hpp"
#include "engine/container/cgroups.hpp"
#include "engine/container/child.hpp"
#include "engine/container/container.hpp"
#include "engine/container/network.hpp"
#include "engine/container/pasta.hpp"
#include "engine/container/record.hpp"
#include "engine/firewall.hpp"
#include "engine/foreground.hpp"
#include "engine/net.hpp"
#include "engine/network.hpp"
#include "engine/records.hpp"
#include "engine/state.hpp"
#include "kernel/child.hpp"
#include "kernel/memory.hpp"
#include "kernel/namespaces.hpp"
#include "kernel/netlink/libnl.hpp"
#include "kernel/netlink/link.hpp"
#include "kernel/netns.hpp"
#include "kernel/nft/context.hpp"
#include "kernel/process.hpp"
#include "kernel/terminal.hpp"

namespace contain::engine {

using model::ContainerName;
using model::ContainerSpec;
using model::NetworkChoice;
using nlohmann::json;
using namespace detail;

namespace detail {

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

Error terminal_error(const std::string& what, const kernel::ChildError& report) {
  if (report.what[0] == '\0')
    return Error::failed(what + ": it ended before its terminal was ready");
  return kernel::child_error(fmt::format("{}: {}", what, report.what), report);
}

Result<Started> start_process(const ContainerSpec& spec, const detail::PreparedSecurity& security,
                              Stdio stdio, SignalForwarding* forwarding, TerminalHandoff* terminal,
                              bool report_later) {
  std::string what = fmt::format("start container {}", quote(spec.name.str()));
  std::vector<char*> argv = c_strings(spec.command);
  std::vector<char*> envp = c_strings(spec.environment);
  UniqueFd join_netns;
  if (spec.network.kind == NetworkChoice::Kind::netns)
    join_netns = TRY_WRAP(
        TRY_WRAP(resolve_netns(TRY(model::NetnsSpec::parse(spec.network.name))), what).open(),
        what);

  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
    return fail(Error::system(what + ": create the sync socket"));
  UniqueFd parent_end(pair[0]), child_end(pair[1]);

  detail::ChildPlan plan;
  plan.sync_fd = child_end.get();
  plan.parent_sync_fd = parent_end.get();
  // With a user namespace, the clone happens in the joined namespace instead.
  plan.join_netns_fd = security.userns.enabled() ? -1 : join_netns.get();
  plan.netns_from_clone = security.userns.enabled() && join_netns;
  detail::plan_userns(security.userns, plan);
  plan.rootfs = spec.rootfs ? security.rootfs.c_str() : nullptr;
  plan.lower_rootfs = spec.security.overlay ? spec.rootfs->c_str() : nullptr;
  plan.confinement = security.confinement();
  plan.security = &spec.security;
  plan.prepared = &security;
  plan.hostname = spec.hostname.c_str();
  plan.workdir = spec.workdir.c_str();
  plan.argv = argv.data();
  plan.envp = envp.data();
  plan.init = spec.init;
  plan.own_process_group = terminal && terminal->active();
  plan.signals_to_reset = kernel::signals_not_default();
  plan.stdin_fd = stdio.in;
  plan.stdout_fd = stdio.out;
  plan.stderr_fd = stdio.err;
  plan.tty = spec.tty;
  if (auto size = spec.tty ? kernel::window_size(STDIN_FILENO) : std::nullopt) {
    plan.has_window = true;
    plan.window = *size;
  }

  // The cgroups exist before the child does; it joins them before the go.
  // (The cgroup namespace is the child's to make, once it is in them.)
  TRY_WRAP(detail::create_cgroups(security.cgroups), what);
  Undo cgroups_undo;
  cgroups_undo.add([&] { (void)detail::remove_cgroups(security.cgroups); });
  std::uint64_t flags = CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNS;
  if (!join_netns) flags |= CLONE_NEWNET;
  if (security.userns.enabled()) flags |= CLONE_NEWUSER;
  auto cloned = TRY_WRAP(detail::clone_container(flags, security.userns, join_netns.get()), what);
  if (cloned.pid == 0) detail::run_container_child(plan);  // never returns

  // Parent again. Until the command runs, failing means killing and reaping the child.
  child_end.reset();
  if (forwarding) forwarding->forward_to(cloned.pidfd.get());
  if (terminal) terminal->give_to(cloned.pid);
  pid_t pid = cloned.pid;
  Started started;
  // Undone in reverse order: the child is ended first (its namespace goes with
  // it), then its network, if it has one by then, is released.
  Undo undo;
  undo.add([&] { release_container(started.network); });
  undo.add([&] {
    (void)kernel::signal_pidfd(cloned.pidfd.get(), SIGKILL);
    (void)wait_for(pid);
  });
  started.start_time = kernel::process_start_time(pid).value_or(0);
  started.pid = pid;
  TRY_WRAP(detail::join_cgroups(security.cgroups, pid), what);
  // Its user namespace's maps (and idmapped mounts), before it does anything.
  TRY_WRAP(detail::configure_userns(spec, security.userns, pid, parent_end.get()), what);
  undo.add([&] { detail::stop_pasta(started.pasta); });
  started.pasta = TRY_WRAP(detail::start_pasta(spec, pid), what);
  // The network, configured from outside before the command starts.
  started.network = TRY_WRAP(attach_container(spec, cloned.pidfd.get(), pid), what);
  // Recorded before the command runs, so that whoever it tells it is up finds it.
  TRY_WRAP(record_running(spec.name, {.pid = started.pid,
                                      .start_time = started.start_time,
                                      .address = started.network.network
                                                     ? std::optional(started.network.ip.str())
                                                     : std::nullopt,
                                      .pasta_pid = started.pasta.pid,
                                      .pasta_start = started.pasta.start_time}),
           what);
  // If the child already failed, the send fails with EPIPE; its report says why.
  [[maybe_unused]] auto sent = ::send(parent_end.get(), &detail::kNetworkReady, 1, MSG_NOSIGNAL);
  kernel::ChildError report;
  // -t: the child's terminal comes first (or its report of why not).
  if (spec.tty) {
    started.terminal = kernel::receive_terminal(parent_end.get(), report);
    if (!started.terminal) return fail(terminal_error(what, report));
  }
  if (report_later)
    started.sync = std::move(parent_end);
  else if (kernel::read_child_error(parent_end.get(), report))
    return fail(kernel::child_error(fmt::format("{}: {}", what, report.what), report));
  started.pidfd = std::move(cloned.pidfd);
  undo.commit();
  cgroups_undo.commit();
  return started;
}

}  // namespace detail

Result<int> run_container(ContainerSpec spec, RunOutcome* outcome) {
  auto security = TRY(detail::prepare_security(spec));
  security.cgroups = TRY(detail::plan_cgroups(spec));
  TRY(check_network_available(spec));
  TRY(reserve_name(spec, security));
  Undo undo;
  undo.add([&] { remove_record(spec.name); });
  SignalForwarding forwarding;
  // With -t the command's terminal is its own; ours stays with us, relaying.
  TerminalHandoff terminal(!spec.tty);
  auto started =
      TRY(start_process(spec, security, {}, &forwarding, &terminal, /*report_later=*/true));
  Status relayed;
  if (started.terminal) {
    relayed = kernel::relay_terminal(started.terminal.get(), started.pidfd.get());
    if (!relayed) (void)kernel::signal_pidfd(started.pidfd.get(), SIGKILL);
  }
  int status = wait_for(started.pid);
  if (outcome) outcome->oom_killed = detail::oom_killed(security.cgroups);
  (void)detail::remove_cgroups(security.cgroups);
  detail::stop_pasta(started.pasta);
  release_container(started.network);
  // Every holder of the child's end is gone now: this read does not block.
  kernel::ChildError report;
  if (kernel::read_child_error(started.sync.get(), report))
    return fail(kernel::child_error(
        fmt::format("start container {}: {}", quote(spec.name.str()), report.what), report));
  if (!relayed) return fail(std::move(relayed).error());
  return status;
}

Result<std::vector<ContainerInfo>> list_containers(bool all, bool all_users,
                                                   std::vector<Error>* skipped) {
  if (all_users && ::geteuid() != 0)
    return fail(Error::usage(
        "ps --all-users: only root may list other users' containers; run it with sudo, or "
        "without --all-users for your own"));
  std::vector<std::pair<StateStore, uid_t>> stores;
  stores.emplace_back(StateStore::containers_reader(), ::geteuid());
  if (all_users)
    for (auto& [root, uid] : StateStore::user_container_roots())
      stores.emplace_back(StateStore::reader_at(root), uid);
  std::vector<ContainerInfo> out;
  std::map<std::string, std::vector<ContainerInfo::OnNetwork>> on_networks;  // by owner
  for (const auto& net : TRY(list_networks()))
    for (const auto& a : net.attachments) on_networks[a.owner].push_back({net.name, a.ip.str()});
  for (const auto& [store, user] : stores) {
    auto records = store.read_all(kContainerKind);
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

Result<int> exec_in_container(const ContainerName& name, const std::vector<std::string>& argv,
                              const ExecOptions& options) {
  if (argv.empty())
    return fail(Error::usage("exec: no command given; usage: contain exec NAME -- CMD [ARG...]"));
  auto r = TRY(load_record(name));
  std::string what = fmt::format("exec in container {}", quote(name.str()));
  auto not_running = [&] {
    return fail(Error::failed(fmt::format(
        "{}: it is not running (see 'contain ps -a'; start a new one with 'contain run')", what)));
  };
  if (!is_running(r)) return not_running();
  pid_t pid = recorded_pid(r);
  auto pidfd = kernel::open_pidfd(pid);
  // The pidfd pins the process: checked after opening, the pid cannot have been reused.
  if (!pidfd || !is_running(r)) return not_running();
  SignalForwarding forwarding;
  TerminalHandoff terminal(!options.tty);
  std::optional<winsize> window =
      options.tty ? kernel::window_size(STDIN_FILENO) : std::optional<winsize>();
  std::string root_path = fmt::format("/proc/{}/root", pid);
  UniqueFd root(::open(root_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail(Error::system(fmt::format("{}: open {}", what, root_path)));
  std::vector<std::string> env = recorded_environment(r);
  for (const auto& entry : options.environment) {
    auto key = entry.substr(0, entry.find('=') + 1);
    std::erase_if(env, [&](const std::string& e) { return e.starts_with(key); });
    env.push_back(entry);
  }
  std::string workdir = options.workdir.empty() ? recorded_workdir(r) : options.workdir;
  auto security = TRY_WRAP(
      detail::exec_security(r, {.user = options.user, .privileged = options.privileged}, pid),
      what);
  auto cgroups = TRY_WRAP(detail::CgroupPlan::from_record(r), what);
  // In its user namespace we arrive as nobody: become its root (or --user) there.
  // Rootless, we join it here already: only inside it may we enter its PID
  // namespace, and there is no way back out (see below).
  const bool rootless = detail::is_rootless(r);
  const int userns_flag = detail::has_userns(r) && !rootless ? CLONE_NEWUSER : 0;
  if (detail::has_userns(r)) security.change_user = true;
  const kernel::Confinement confinement = security.confinement();
  std::vector<char*> args = c_strings(argv), envp = c_strings(env);

  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
    return fail(Error::system(what + ": create the sync socket"));
  UniqueFd parent_end(pair[0]), child_end(pair[1]);
  // Host side: the PID namespace applies to the children we make from now on,
  // so the command is a process of the container (it shows in its /proc). To
  // that child only: right after the clone we go back to our own, so that a
  // library caller's later children stay in its namespace.
  UniqueFd own_pid_ns(::open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
  if (!own_pid_ns) return fail(Error::system(what + ": open /proc/self/ns/pid"));
  TRY_WRAP(
      kernel::join_namespaces(pidfd->get(), pid, CLONE_NEWPID | (rootless ? CLONE_NEWUSER : 0)),
      what);
  std::uint64_t signals_to_reset = kernel::signals_not_default();
  auto clone_result = kernel::clone_with_pidfd(0);
  if (clone_result && clone_result->pid == 0) {
    // Child, in the container's PID namespace, otherwise still on the host:
    // join the rest at once, then the container's root, working directory and
    // environment.
    kernel::ChildError e;
    int pts_number = -1;
    parent_end.reset();
    kernel::reset_signals(signals_to_reset);
    ::sigprocmask(SIG_SETMASK, &forwarding.caller_mask(), nullptr);
    char go = 0;
    if (terminal.active()) ::setpgid(0, 0);
    // The parent hands over the terminal, then says go. EOF means it is gone
    // (killed between clone and go): the command must not run orphaned.
    ssize_t n;
    do n = ::recv(child_end.get(), &go, 1, 0);
    while (n < 0 && errno == EINTR);
    if (n != 1 || go != detail::kNetworkReady) ::_exit(1);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (!kernel::join_namespaces(pidfd->get(), pid,
                                 userns_flag | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWUTS |
                                     CLONE_NEWIPC | CLONE_NEWCGROUP))
      e.fail("join the container's namespaces");
    else if (::fchdir(root.get()) < 0 || ::chroot(".") < 0)
      e.fail("enter the container's root");
    else if (::chdir(workdir.c_str()) < 0)
      e.fail("enter the working directory %s", workdir.c_str());
    // -t: made here, after chroot, rather than by opening /proc/PID/root/dev/ptmx
    // from the host: there an absolute link the container put in /dev would be
    // resolved against the host's root, and could hand us a host device. Here
    // every link resolves inside the container's root, to its own devpts.
    else if (options.tty &&
             !kernel::make_controlling_terminal("/dev/ptmx", window ? &*window : nullptr,
                                                child_end.get(), pts_number, e)) {
    } else if (kernel::close_inherited_descriptors(e) && kernel::confine(confinement, e))
      kernel::exec_or_report(args.data(), envp.data(), child_end.get());
    kernel::child_exit_with(child_end.get(), e);
  }
  // Rootless, we stay (the user namespace we joined has no say over our own
  // PID namespace); this process only waits for the command from here on.
  int back = rootless || ::setns(own_pid_ns.get(), CLONE_NEWPID) == 0 ? 0 : errno;
  auto cloned = TRY_WRAP(std::move(clone_result), what);
  if (back != 0) {
    (void)kernel::signal_pidfd(cloned.pidfd.get(), SIGKILL);
    wait_for(cloned.pid);
    return fail(Error::system(what + ": return to our own PID namespace", back));
  }
  child_end.reset();
  // The command counts against the container's limits, as everything in it.
  if (auto joined = detail::join_cgroups(cgroups, cloned.pid); !joined) {
    (void)kernel::signal_pidfd(cloned.pidfd.get(), SIGKILL);
    wait_for(cloned.pid);
    return fail(std::move(joined).error().wrap(what));
  }
  // And the container's rlimits and OOM score, not contain's: exec is no way out.
  if (auto limited = detail::apply_recorded_limits(cloned.pid, r); !limited) {
    (void)kernel::signal_pidfd(cloned.pidfd.get(), SIGKILL);
    wait_for(cloned.pid);
    return fail(std::move(limited).error().wrap(what));
  }
  forwarding.forward_to(cloned.pidfd.get());
  terminal.give_to(cloned.pid);
  [[maybe_unused]] auto sent = ::send(parent_end.get(), &detail::kNetworkReady, 1, MSG_NOSIGNAL);
  kernel::ChildError report;
  UniqueFd master;
  if (options.tty) {
    master = kernel::receive_terminal(parent_end.get(), report);
    if (!master) {
      wait_for(cloned.pid);
      return fail(terminal_error(what, report));
    }
  }
  if (kernel::read_child_error(parent_end.get(), report)) {
    wait_for(cloned.pid);
    return fail(kernel::child_error(fmt::format("{}: {}", what, report.what), report));
  }
  if (master) {
    if (auto relayed = kernel::relay_terminal(master.get(), cloned.pidfd.get()); !relayed) {
      (void)kernel::signal_pidfd(cloned.pidfd.get(), SIGKILL);
      wait_for(cloned.pid);
      return fail(std::move(relayed).error().wrap(what));
    }
  }
  return wait_for(cloned.pid);
}

namespace {

// Kills (SIGTERM, then SIGKILL after `seconds`; SIGKILL at once if negative)
// and waits until the container and its monitor have finished.
Status end_container(const ContainerName& name, const json& r, int seconds) {
  std::string what = fmt::format("stop container {}", quote(name.str()));
  pid_t pid = recorded_pid(r);
  auto pidfd = kernel::open_pidfd(pid);
  if (!pidfd || !is_running(r)) return {};  // it ended meanwhile
  UniqueFd monitor;
  if (auto m = kernel::open_pidfd(recorded_monitor_pid(r)); m && monitor_alive(r))
    monitor = std::move(*m);
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
    TRY(update_record(name, mark_deleting));
    TRY(end_container(name, r, -1));
  }
  // Its monitor removed its cgroups when it ended; if the monitor was killed, we do.
  if (auto plan = detail::CgroupPlan::from_record(r)) TRY(detail::remove_cgroups(*plan));
  auto store = TRY(StateStore::lock_containers());
  detail::stop_recorded_pasta(r);
  if (auto now = TRY(store.read(kContainerKind, name.str())); now && !is_deleting(*now)) {
    mark_deleting(*now);
    TRY(store.write(kContainerKind, name.str(), *now));
  }
  // Its monitor freed its address when it ended; if the monitor was killed, we do.
  TRY(remove_firewall_owned_by(store, container_owner(name.str())));
  TRY(release_attachments(store, {container_owner(name.str())}));
  TRY(forget_netns_records_owned_by(store, {container_owner(name.str())}));
  TRY(store.remove(kContainerKind, name.str()));
  remove_log(name.str());
  return {};
}

Result<std::vector<ContainerStats>> container_stats(const std::vector<ContainerName>& names) {
  std::vector<json> records;
  if (names.empty()) {
    for (auto& [name, r] : TRY(StateStore::reader().read_all(kContainerKind)))
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
    out.push_back({recorded_name(r), recorded_id(r), sample.memory_usage, sample.memory_limit,
                   sample.cpu_usage_ns, sample.pids, sample.pids_limit, sample.throttled_periods});
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
  for (auto& [name, r] : TRY(store.read_all(kContainerKind))) {
    std::string status = recorded_status(r);
    // An `rm` killed half way marked it "deleting": finished once it has ended.
    bool removing = is_deleting(r);
    if (is_running(r) || monitor_alive(r)) continue;
    detail::stop_recorded_pasta(r);
    // Its cgroups, also of an exited container whose monitor died before
    // removing them (their processes are ended first).
    auto cgroups = detail::CgroupPlan::from_record(r);
    bool had_cgroups = false;
    if (cgroups) {
      for (const auto& g : cgroups->groups) had_cgroups |= ::access(g.path.c_str(), F_OK) == 0;
      TRY(detail::remove_cgroups(*cgroups));
    }
    if (status == "exited" && !removing) {
      if (had_cgroups) done.push_back(fmt::format("removed the cgroups of container {}", name));
      continue;
    }
    TRY(delete_attachment_links(store, container_owner(name)));
    TRY(remove_firewall_owned_by(store, container_owner(name)));
    TRY(release_attachments(store, {container_owner(name)}));
    TRY(forget_netns_records_owned_by(store, {container_owner(name)}));
    if (removing) {
      TRY(store.remove(kContainerKind, name));
      ::unlink(log_path(name).c_str());
      done.push_back(
          fmt::format("removed container {} ('contain rm' was interrupted; finished it)", name));
      continue;
    }
    if (!is_detached(r)) {
      TRY(store.remove(kContainerKind, name));
      done.push_back(
          fmt::format("removed the record of container {} (it and its 'contain run' "
                      "are gone){}",
                      name, had_cgroups ? "; removed its cgroups" : ""));
      continue;
    }
    mark_exited(r);
    TRY(store.write(kContainerKind, name, r));
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
      if (!TRY(store.read(kContainerKind, name))) orphans.push_back(std::move(name));
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
  for (const auto& [name, r] : TRY(store.read_all(kContainerKind))) ids.push_back(recorded_id(r));
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
