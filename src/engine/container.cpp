#include "engine/container.hpp"

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
#include "engine/container_cgroups.hpp"
#include "engine/container_child.hpp"
#include "engine/container_pasta.hpp"
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

namespace {

using model::ContainerName;
using model::ContainerSpec;
using model::NetworkChoice;
using nlohmann::json;

// Next to the caller's container records (/run/contain/logs for root).
std::string log_dir() { return container_state_root() + "/logs"; }

std::string log_path(std::string_view name) { return fmt::format("{}/{}.log", log_dir(), name); }

std::string now_utc() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr)));
}

}  // namespace

Result<std::string> new_container_id() { return random_hex(32); }

namespace {

Error no_such_container(const ContainerName& name) {
  return Error::failed(
      fmt::format("container {} does not exist (see 'contain ps -a')", quote(name.str())), ENOENT);
}

Result<json> load(const ContainerName& name) {
  auto record = TRY(StateStore::containers_reader().read(kContainerKind, name.str()));
  if (!record) return fail(no_such_container(name));
  return std::move(*record);
}

bool is_running(const json& r) {
  return r.value("status", "") == "running" &&
         kernel::process_alive(r.value("pid", 0), r.value("pid_start", std::uint64_t{0}));
}

bool monitor_alive(const json& r) {
  return kernel::process_alive(r.value("monitor_pid", 0),
                               r.value("monitor_start", std::uint64_t{0}));
}

json new_record(const ContainerSpec& spec, const detail::PreparedSecurity& security) {
  json ports = json::array();
  for (const auto& p : spec.ports) ports.push_back(p.str());
  return {{"name", spec.name.str()},
          {"id", spec.id},
          {"hostname", spec.hostname},
          {"command", spec.command},
          {"environment", spec.environment},
          {"workdir", spec.workdir},
          {"rootfs", spec.rootfs ? json(*spec.rootfs) : json(nullptr)},
          {"network", spec.network.str()},
          {"address", spec.ip ? json(spec.ip->str()) : json(nullptr)},
          {"ports", ports},
          {"init", spec.init},
          {"detached", spec.detach},
          {"tty", spec.tty},
          {"security", security.to_json(spec)},
          // Recorded before they are made: gc removes them after a crash.
          {"cgroups", security.cgroups.to_json()},
          {"limits", detail::limits_json(spec.limits)},
          {"userns", security.userns.to_json()},
          {"created", now_utc()},
          {"status", "created"},
          {"pid", 0},
          // Until the container runs, the process starting it answers for it
          // (gc leaves a container alone while its monitor lives).
          {"monitor_pid", ::getpid()},
          {"monitor_start", kernel::process_start_time(::getpid()).value_or(0)}};
}

// Changes a record under the store's lock.
template <class Change>
Status update_record(const ContainerName& name, Change change) {
  auto store = TRY(StateStore::lock_containers());
  auto record = TRY(store.read(kContainerKind, name.str()));
  if (!record) return fail(no_such_container(name));
  change(*record);
  return store.write(kContainerKind, name.str(), *record);
}

void remove_record(const ContainerName& name) {
  if (auto store = StateStore::lock_containers()) {
    (void)store->remove(kContainerKind, name.str());
    ::unlink(log_path(name.str()).c_str());
    ::rmdir(log_dir().c_str());
  }
}

// Host side, before anything is created: what this build cannot do yet.
Status check_network_available(const ContainerSpec& spec) {
  // A host port that is already forwarded is refused before anything is made.
  if (!spec.ports.empty()) {
    auto forwards = TRY(list_forwards());
    for (const auto& p : spec.ports) {
      for (const auto& f : forwards)
        if (f.protocol == p.protocol && f.host_port == p.host_port &&
            (!f.host_address || !p.host_address || *f.host_address == *p.host_address))
          return fail(Error::failed(
              fmt::format("-p {}: host port {}/{} is already forwarded to {} (see 'contain "
                          "forward list' and 'contain ps')",
                          p.str(), p.host_port.str(), protocol_name(p.protocol), f.to),
              EADDRINUSE));
    }
  }
  if (spec.network.kind == NetworkChoice::Kind::managed) {
    auto name = TRY(NetworkName::parse(spec.network.name));
    auto network = TRY_WRAP(inspect_network(name), "--network");
    // The container's address is of the subnet's family: a port published on
    // an address of the other family could never reach it.
    auto family = [](int f) { return f == AF_INET ? "IPv4" : "IPv6"; };
    for (const auto& p : spec.ports)
      if (p.host_address && p.host_address->family() != network.subnet.family())
        return fail(Error::usage(fmt::format(
            "-p {}: host address {} is {} but network {} ({}) is {}; publish on an {} address or "
            "on every address (-p {}:{}{})",
            p.str(), p.host_address->str(), family(p.host_address->family()), quote(name.str()),
            network.subnet.str(), family(network.subnet.family()), family(network.subnet.family()),
            p.host_port.str(), p.container_port.str(), p.protocol == Protocol::udp ? "/udp" : "")));
    if (spec.ip && !network.subnet.contains(*spec.ip))
      return fail(
          Error::usage(fmt::format("--ip {} is not in network {}'s subnet {}", spec.ip->str(),
                                   quote(name.str()), network.subnet.str())));
  }
  if (spec.network.kind == NetworkChoice::Kind::netns) {
    auto ns = TRY(model::NetnsSpec::parse(spec.network.name));
    if (const NetnsName* name = ns.name(); name && !kernel::netns_exists(*name))
      return fail(Error::failed(
          fmt::format(
              "--network netns:{}: network namespace {} does not exist (see 'contain net list')",
              name->str(), quote(name->str())),
          ENOENT));
    if (!ns.name()) TRY(resolve_netns(ns));
  }
  return {};
}

// Under the lock: a name in use is refused, otherwise the record is written
// before any process exists, so that a crash leaves something `gc` can find.
// A detached container's log file is made here too (the log folder is removed
// under the lock when its last log goes), and returned.
Result<UniqueFd> reserve_name(const ContainerSpec& spec, detail::PreparedSecurity& security) {
  auto store = TRY(StateStore::lock_containers());
  if (TRY(store.read(kContainerKind, spec.name.str())))
    return fail(Error::failed(
        fmt::format("container name {} is already in use (remove it with 'contain rm {}' or "
                    "choose another with --name)",
                    quote(spec.name.str()), spec.name.str()),
        EEXIST));
  // Its host id range is taken with the record, and given back when the record goes.
  TRY(detail::allocate_userns(store, security.userns));
  UniqueFd log_fd;
  if (spec.detach) {
    std::string what = fmt::format("start container {}", quote(spec.name.str()));
    if (::mkdir(log_dir().c_str(), 0755) < 0 && errno != EEXIST)
      return fail(Error::system(fmt::format("{}: create {}", what, log_dir())));
    std::string log = log_path(spec.name.str());
    log_fd =
        UniqueFd(::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640));
    if (!log_fd) return fail(Error::system(fmt::format("{}: create {}", what, log)));
  }
  auto written = store.write(kContainerKind, spec.name.str(), new_record(spec, security));
  if (!written) {
    ::unlink(log_path(spec.name.str()).c_str());
    ::rmdir(log_dir().c_str());
    return fail(std::move(written).error());
  }
  return log_fd;
}

// A container's place on a managed network. Its network namespace is held
// only while the link is made in it: when the container exits, the kernel
// starts destroying the namespace (and the veth pair in it) at once, in its
// batched cleanup, which is cheaper than deleting the veth ourselves, and
// teardown overlaps with that instead of starting it.
struct NetworkAttachment {
  std::optional<NetworkName> network;
  std::string owner;     // "container/NAME"
  int host_ifindex = 0;  // the host end on the bridge
  IpAddress ip;
  bool forwards = false;  // it publishes ports (forwards owned by it)
};

// Waits until the host end of an exited container's veth is gone. The kernel
// destroys the container's network namespace, and the veth pair in it, in its
// batched cleanup (a few ms here, tens under load): cheaper than deleting the
// pair ourselves, and what makes `ip link` show nothing of the container once
// `contain run`, `stop` or `rm` returns. Bounded: if something else still
// holds the namespace after the bound, the pair is deleted by hand.
// Returns false if the link may still be there.
bool await_host_link_gone(int host_ifindex) {
  auto watch = kernel::NetlinkSocket::open();
  if (!watch) return false;
  nl_socket_disable_seq_check(watch->get());
  nl_socket_set_buffer_size(watch->get(), 1 << 20, 0);
  // Subscribe, then look, so that no removal can slip in between.
  if (!watch->check(nl_socket_add_membership(watch->get(), RTNLGRP_LINK), "watch link changes"))
    return false;
  auto link = kernel::get_link(*watch, host_ifindex);
  if (!link) return link.error().code() == ENODEV;
  if (wait_for_links_gone(*watch, {host_ifindex}, std::chrono::milliseconds(2000)).empty())
    return true;
  auto deleted = kernel::delete_link(*watch, host_ifindex);
  return deleted || deleted.error().code() == ENODEV;
}

// After the container has exited: waits for its veth to go with its
// namespace (without holding the state lock), then removes its published
// ports and gives its address back. Should the veth outlive the wait, the
// address stays marked as releasing until that link is gone (see
// defer_release): it is never handed to another container while the old veth
// could still answer for it.
void release_container(NetworkAttachment& attachment) {
  if (!attachment.network) return;
  bool gone = await_host_link_gone(attachment.host_ifindex);
  if (auto store = StateStore::lock_containers()) {
    if (attachment.forwards) (void)remove_firewall_owned_by(*store, attachment.owner);
    if (gone || !defer_release(*store, attachment.owner, attachment.host_ifindex,
                               attachment.network->str()))
      (void)release_attachments(*store, {attachment.owner});
    // What `bridge attach`, `net veth` ... container:NAME recorded since.
    (void)forget_netns_records_owned_by(*store, {attachment.owner});
  }
  attachment.network.reset();
}

// Parent, host namespaces, after clone and before the go: the interface is born
// inside the container's namespace (referenced by fd), addressed and routed.
Result<NetworkAttachment> attach_container(const ContainerSpec& spec, int pidfd, pid_t pid) {
  NetworkAttachment attachment;
  if (spec.network.kind != NetworkChoice::Kind::managed) return attachment;
  attachment.network = TRY(NetworkName::parse(spec.network.name));
  attachment.owner = container_owner(spec.name.str());
  auto attached = TRY([&]() -> Result<Attachment> {
    UniqueFd netns = TRY(kernel::open_netns_of(pidfd, pid));
    return attach_to_network(*attachment.network, NetnsRef::from_fd(netns.get(), attachment.owner),
                             spec.ip, TRY(IfName::parse("eth0")));
  }());
  attachment.host_ifindex = attached.host_ifindex;
  attachment.ip = attached.ip;
  attachment.forwards = !spec.ports.empty();
  // Published ports: forwards from the host to the container's address (on
  // the network's bridge), owned by the container so that they all go in one
  // transaction when it does.
  auto published = [&]() -> Status {
    auto bridge = TRY(IfName::parse(attached.bridge));
    for (const auto& p : spec.ports) {
      ForwardSpec forward{p.protocol,
                          p.host_port,
                          p.host_address,
                          attachment.ip,
                          p.container_port,
                          attachment.owner,
                          std::pair(bridge, Cidr(attached.ip, attached.prefix))};
      auto added = add_forward(forward);
      if (!added) return fail(std::move(added).error().wrap(fmt::format("-p {}", p.str())));
    }
    return {};
  }();
  if (!published) {
    release_container(attachment);
    return fail(std::move(published).error());
  }
  return attachment;
}

struct Started {
  pid_t pid = 0;
  UniqueFd pidfd;
  std::uint64_t start_time = 0;
  UniqueFd sync;  // the parent's end of the sync socket, if the report is read later
  NetworkAttachment network;
  detail::PastaProcess pasta;  // --network pasta (rootless)
  UniqueFd terminal;           // -t: the master of the command's pseudo-terminal
};

Status record_started(const ContainerName& name, const Started& started) {
  pid_t self = ::getpid();
  return update_record(name, [&](json& r) {
    if (started.network.network) r["address"] = started.network.ip.str();
    if (started.pasta.pid) {
      r["pasta_pid"] = started.pasta.pid;
      r["pasta_start"] = started.pasta.start_time;
    }
    r["status"] = "running";
    r["pid"] = started.pid;
    r["pid_start"] = started.start_time;
    // The process that reserved the name is the monitor of a foreground run
    // already; a detached container's monitor takes over here.
    if (r.value("monitor_pid", 0) != self) {
      r["monitor_pid"] = self;
      r["monitor_start"] = kernel::process_start_time(self).value_or(0);
    }
  });
}

struct Stdio {
  int in = -1, out = -1, err = -1;
};

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Parent, -t: the child sent no terminal; its report says why, or it died without one.
Error terminal_error(const std::string& what, const kernel::ChildError& report) {
  if (report.what[0] == '\0')
    return Error::failed(what + ": it ended before its terminal was ready");
  return kernel::child_error(fmt::format("{}: {}", what, report.what), report);
}

// Parent side of starting a container, in the host's namespaces, as root:
//   1. prepare everything the child reads (argv, environment, paths, fds);
//   2. clone3 into new PID/UTS/IPC/mount/cgroup (and network) namespaces;
//   3. configure the network from outside, through the child's pidfd;
//   4. tell the child the network is ready;
//   5. read its report: EOF means exec succeeded, a frame says what failed.
// A foreground caller skips step 5 (`report_later`): it waits for the exit
// anyway and then reads the report from Started::sync, which saves a wake-up
// between clone and exec.
Result<Started> start_process(const ContainerSpec& spec, const detail::PreparedSecurity& security,
                              Stdio stdio, SignalForwarding* forwarding = nullptr,
                              TerminalHandoff* terminal = nullptr, bool report_later = false) {
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
  TRY_WRAP(record_started(spec.name, started), what);
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

// What the monitor tells `contain run -d` once the command runs (or why not).
struct MonitorReport {
  std::int32_t ok = 0;
  std::int32_t err = 0;
  std::int32_t exit_code = 1;
  char message[1024] = {};
};

// The monitor: in its own session, the container's parent. Starts it, says so,
// waits for it, records how it ended.
[[noreturn]] void run_monitor(const ContainerSpec& spec, const detail::PreparedSecurity& security,
                              int log_fd, int report_fd) {
  // Nothing of the caller's may stay open here (its pipes, its terminal): a
  // caller reading our output until EOF would otherwise wait for the container.
  // We keep the log (3), the report pipe (4) and /dev/null (5), CLOEXEC.
  // (Through descriptors above 100 first, so that no dup3 overwrites another.)
  int high_log = ::fcntl(log_fd, F_DUPFD_CLOEXEC, 100);
  int high_report = ::fcntl(report_fd, F_DUPFD_CLOEXEC, 100);
  int high_null = ::fcntl(::open("/dev/null", O_RDWR | O_CLOEXEC), F_DUPFD_CLOEXEC, 100);
  log_fd = ::dup3(high_log, 3, O_CLOEXEC);
  report_fd = ::dup3(high_report, 4, O_CLOEXEC);
  int null_fd = ::dup3(high_null, 5, O_CLOEXEC);
  ::close_range(6, ~0U, 0);
  for (int fd = 0; fd < 3; ++fd) ::dup2(null_fd, fd);
  // Nor its working directory: the container's paths are all absolute.
  [[maybe_unused]] int rc = ::chdir("/");
  ::signal(SIGHUP, SIG_IGN);
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);

  MonitorReport report;
  auto started = start_process(spec, security, {null_fd, log_fd, log_fd});
  if (!started) {
    const Error& e = started.error();
    report.err = e.code();
    report.exit_code = e.exit_code();
    std::snprintf(report.message, sizeof report.message, "%s", e.message().c_str());
    remove_record(spec.name);
    [[maybe_unused]] auto n = ::write(report_fd, &report, sizeof report);
    ::_exit(1);
  }
  report.ok = 1;
  [[maybe_unused]] auto n = ::write(report_fd, &report, sizeof report);
  ::close(report_fd);
  ::close(log_fd);
  // We stay as long as the container does: what the firewall work used is
  // given back (its removal at the end makes a new context, ~0.5 ms).
  kernel::Nftables::close_process_context();
  kernel::give_back_free_memory();

  int code = wait_for(started->pid);
  bool oom = detail::oom_killed(security.cgroups);
  (void)detail::remove_cgroups(security.cgroups);
  detail::stop_pasta(started->pasta);
  release_container(started->network);
  (void)update_record(spec.name, [&](json& r) {
    r["status"] = "exited";
    r["exit_code"] = code;
    r["oom_killed"] = oom;
    r["finished"] = now_utc();
  });
  ::_exit(0);
}

}  // namespace

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

Result<std::string> run_container_detached(ContainerSpec spec) {
  auto security = TRY(detail::prepare_security(spec));
  security.cgroups = TRY(detail::plan_cgroups(spec));
  TRY(check_network_available(spec));
  UniqueFd log_fd = TRY(reserve_name(spec, security));
  Undo undo;
  undo.add([&] { remove_record(spec.name); });
  std::string what = fmt::format("start container {}", quote(spec.name.str()));
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) < 0) return fail(Error::system(what + ": create a pipe"));
  UniqueFd report_read(pipe_fds[0]), report_write(pipe_fds[1]);

  pid_t middle = ::fork();
  if (middle < 0) return fail(Error::system(what + ": fork the monitor"));
  if (middle == 0) {
    // Between us and the monitor: a new session without a terminal, then the
    // monitor, then leave, so that the monitor is nobody's child but init's
    // (or the nearest subreaper's) and never our zombie.
    report_read.reset();
    ::setsid();
    pid_t monitor = ::fork();
    if (monitor != 0) ::_exit(monitor < 0 ? 1 : 0);
    run_monitor(spec, security, log_fd.release(), report_write.release());
  }
  report_write.reset();
  log_fd.reset();
  int status = 0;
  while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) {
  }
  MonitorReport report;
  ssize_t n;
  do n = ::read(report_read.get(), &report, sizeof report);
  while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof report))
    return fail(Error::failed(fmt::format("{}: its monitor ended before starting it", what)));
  if (!report.ok) {
    report.message[sizeof report.message - 1] = '\0';
    Error e = Error::failed(report.message, report.err);
    if (report.exit_code != 1 && report.exit_code != 2)
      return fail(std::move(e).with_exit_code(report.exit_code));
    return fail(std::move(e));
  }
  undo.commit();
  return spec.id;
}

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
      ContainerInfo info;
      info.name = r.value("name", name);
      info.id = r.value("id", "");
      info.status = r.value("status", "created");
      if (info.status == "running" && !is_running(r)) info.status = "exited";
      if (r.contains("exit_code")) info.exit_code = r["exit_code"].get<int>();
      info.oom_killed = r.value("oom_killed", false);
      if (info.status == "running") info.pid = r.value("pid", 0);
      if (!all && info.status != "running") continue;
      info.network = r.value("network", "none");
      if (r.contains("address") && r["address"].is_string()) info.address = r["address"];
      // Managed networks are root's: only root's own containers can be on them.
      if (auto it = on_networks.find(container_owner(info.name));
          user == ::geteuid() && it != on_networks.end())
        info.networks = it->second;
      info.ports = r.value("ports", std::vector<std::string>{});
      info.command = r.value("command", std::vector<std::string>{});
      info.created = r.value("created", "");
      info.finished = r.value("finished", "");
      info.detached = r.value("detached", false);
      info.user = user;
      out.push_back(std::move(info));
    }
  }
  return out;
}

Result<nlohmann::json> inspect_container(const ContainerName& name) {
  auto r = TRY(load(name));
  if (r.value("status", "") == "running" && !is_running(r)) r["status"] = "exited";
  // As /proc/PID/ns names them.
  r["namespaces"] = {"pid", "uts", "ipc", "mnt", "cgroup", "net"};
  if (!r.contains("oom_killed") && r.value("status", "") == "exited") r["oom_killed"] = false;
  if (detail::has_userns(r)) r["namespaces"].push_back("user");
  return r;
}

Result<int> exec_in_container(const ContainerName& name, const std::vector<std::string>& argv,
                              const ExecOptions& options) {
  if (argv.empty())
    return fail(Error::usage("exec: no command given; usage: contain exec NAME -- CMD [ARG...]"));
  auto r = TRY(load(name));
  std::string what = fmt::format("exec in container {}", quote(name.str()));
  auto not_running = [&] {
    return fail(Error::failed(fmt::format(
        "{}: it is not running (see 'contain ps -a'; start a new one with 'contain run')", what)));
  };
  if (!is_running(r)) return not_running();
  pid_t pid = r["pid"].get<int>();
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
  std::vector<std::string> env = r.value("environment", std::vector<std::string>{});
  for (const auto& entry : options.environment) {
    auto key = entry.substr(0, entry.find('=') + 1);
    std::erase_if(env, [&](const std::string& e) { return e.starts_with(key); });
    env.push_back(entry);
  }
  std::string workdir = options.workdir.empty() ? r.value("workdir", "/") : options.workdir;
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
  pid_t pid = r["pid"].get<int>();
  auto pidfd = kernel::open_pidfd(pid);
  if (!pidfd || !is_running(r)) return {};  // it ended meanwhile
  UniqueFd monitor;
  if (auto m = kernel::open_pidfd(r.value("monitor_pid", 0)); m && monitor_alive(r))
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
  auto r = TRY(load(name));
  if (!is_running(r)) return {};
  return end_container(name, r, seconds);
}

Status remove_container(const ContainerName& name, bool force) {
  auto r = TRY(load(name));
  if (is_running(r)) {
    if (!force)
      return fail(Error::failed(fmt::format(
          "container {} is running: stop it first ('contain stop {}') or use 'contain rm -f {}'",
          quote(name.str()), name.str(), name.str())));
    // Marked before it is ended: should rm be killed from here on, gc
    // finishes the removal once the container has ended.
    TRY(update_record(name, [](json& record) { record["phase"] = kPhaseDeleting; }));
    TRY(end_container(name, r, -1));
  }
  // Its monitor removed its cgroups when it ended; if the monitor was killed, we do.
  if (auto plan = detail::CgroupPlan::from_record(r)) TRY(detail::remove_cgroups(*plan));
  auto store = TRY(StateStore::lock_containers());
  detail::stop_recorded_pasta(r);
  if (auto now = TRY(store.read(kContainerKind, name.str()));
      now && !in_phase(*now, kPhaseDeleting)) {
    (*now)["phase"] = kPhaseDeleting;
    TRY(store.write(kContainerKind, name.str(), *now));
  }
  // Its monitor freed its address when it ended; if the monitor was killed, we do.
  TRY(remove_firewall_owned_by(store, container_owner(name.str())));
  TRY(release_attachments(store, {container_owner(name.str())}));
  TRY(forget_netns_records_owned_by(store, {container_owner(name.str())}));
  TRY(store.remove(kContainerKind, name.str()));
  ::unlink(log_path(name.str()).c_str());
  ::rmdir(log_dir().c_str());
  return {};
}

Status read_logs(const ContainerName& name, bool follow,
                 const std::function<void(std::string_view)>& sink) {
  auto r = TRY(load(name));
  if (!r.value("detached", false))
    return fail(Error::failed(fmt::format(
        "container {} runs in the foreground: its output goes to the terminal of 'contain run', "
        "there is no log (use 'contain run -d' for one)",
        quote(name.str()))));
  std::string path = log_path(name.str());
  std::string what = fmt::format("logs of container {}", quote(name.str()));
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    // A container's output may hold secrets: its log is readable by root only (0640).
    if (errno == EACCES)
      return fail(Error::failed(
          fmt::format("{}: {} is readable by root only (a container's output may hold secrets); "
                      "run 'contain logs' as root",
                      what, path),
          EACCES));
    return fail(Error::system(fmt::format("{}: open {}", what, path)));
  }
  // Watch before reading, so that nothing written in between is missed.
  UniqueFd watch, monitor;
  if (follow && monitor_alive(r)) {
    if (auto m = kernel::open_pidfd(r.value("monitor_pid", 0)); m && monitor_alive(r)) {
      monitor = std::move(*m);
      watch.reset(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
      if (!watch || ::inotify_add_watch(watch.get(), path.c_str(), IN_MODIFY) < 0)
        return fail(Error::system(fmt::format("{}: watch {}", what, path)));
    }
  }
  auto drain = [&]() -> Status {
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail(Error::system(fmt::format("{}: read {}", what, path)));
      if (n == 0) return {};
      sink(std::string_view(buf, static_cast<std::size_t>(n)));
    }
  };
  TRY(drain());
  if (!monitor) return {};
  for (;;) {
    pollfd fds[2] = {{watch.get(), POLLIN, 0}, {monitor.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return fail(Error::system(fmt::format("{}: wait for output", what)));
    }
    if (fds[0].revents & POLLIN) {
      char events[4096];
      while (::read(watch.get(), events, sizeof events) > 0) {
      }
    }
    TRY(drain());
    if (fds[1].revents & POLLIN) return drain();  // finished: what is left, then done
  }
}

Result<std::vector<ContainerStats>> container_stats(const std::vector<ContainerName>& names) {
  std::vector<json> records;
  if (names.empty()) {
    for (auto& [name, r] : TRY(StateStore::reader().read_all(kContainerKind)))
      if (is_running(r)) records.push_back(std::move(r));
  } else {
    for (const auto& name : names) {
      auto r = TRY(load(name));
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
    out.push_back({r.value("name", ""), r.value("id", ""), sample.memory_usage, sample.memory_limit,
                   sample.cpu_usage_ns, sample.pids, sample.pids_limit, sample.throttled_periods});
  }
  return out;
}

Status update_container(const ContainerName& name, const model::ResourceLimits& limits) {
  std::string what = fmt::format("update container {}", quote(name.str()));
  TRY_WRAP(model::validate_limits(limits), what);
  auto r = TRY(load(name));
  if (!is_running(r))
    return fail(Error::failed(fmt::format(
        "{}: it is not running (see 'contain ps -a'); limits are set on running containers",
        what)));
  auto plan = TRY_WRAP(detail::CgroupPlan::from_record(r), what);
  TRY_WRAP(detail::update_limits(plan, limits), what);
  return update_record(name, [&](json& record) {
    json& recorded = record["limits"];
    if (!recorded.is_object()) recorded = json::object();
    const json given = detail::limits_json(limits);
    for (auto it = given.begin(); it != given.end(); ++it) recorded[it.key()] = it.value();
  });
}

Result<std::vector<std::string>> collect_container_garbage(const StateStore& store) {
  std::vector<std::string> done;
  for (auto& [name, r] : TRY(store.read_all(kContainerKind))) {
    std::string status = r.value("status", "created");
    // An `rm` killed half way marked it "deleting": finished once it has ended.
    bool removing = in_phase(r, kPhaseDeleting);
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
    if (!r.value("detached", false)) {
      TRY(store.remove(kContainerKind, name));
      done.push_back(
          fmt::format("removed the record of container {} (it and its 'contain run' "
                      "are gone){}",
                      name, had_cgroups ? "; removed its cgroups" : ""));
      continue;
    }
    r["status"] = "exited";
    r["finished"] = now_utc();
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
  for (const auto& [name, r] : TRY(store.read_all(kContainerKind)))
    ids.push_back(r.value("id", ""));
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
