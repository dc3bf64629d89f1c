#include "engine/container/start.hpp"

#include <fmt/format.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/undo.hpp"
#include "core/unique_fd.hpp"
#include "engine/container/cgroups.hpp"
#include "engine/container/child.hpp"
#include "engine/container/container.hpp"
#include "engine/container/network.hpp"
#include "engine/container/pasta.hpp"
#include "engine/container/record.hpp"
#include "engine/container/security.hpp"
#include "engine/container/userns.hpp"
#include "engine/foreground.hpp"
#include "engine/net.hpp"
#include "kernel/child.hpp"
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

namespace {

// What the parent's stages share while one container starts. Everything the
// child reads is prepared before the first stage, since after clone the child
// may only read it.
struct Starting {
  const ContainerSpec& spec;
  const PreparedSecurity& security;
  std::string what;  // "start container NAME", for errors
  SignalForwarding* forwarding;
  TerminalHandoff* terminal;
  bool report_later;
  WrittenRecord* written;                     // the record as reserve_name wrote it
  std::vector<std::string> environment = {};  // the configured one, TERM=xterm with -t
  std::vector<char*> argv = {}, envp = {};
  UniqueFd join_netns = {};                  // --network netns:NS
  UniqueFd parent_end = {}, child_end = {};  // the sync socket
  std::vector<UniqueFd> cgroup_tasks = {};   // v1 `tasks` files the child writes into
  std::vector<int> cgroup_tasks_fds = {};
  ChildPlan plan = {};
  kernel::Cloned child = {};  // pid 0 until the clone stage
  Started started = {};
};

// Before the first stage, nothing changed yet: argv and environment, the
// namespace to join, the sync socket and the child's plan.
Status prepare(Starting& s, Stdio stdio) {
  const ContainerSpec& spec = s.spec;
  const PreparedSecurity& security = s.security;
  s.argv = c_strings(spec.command);
  s.environment = model::process_environment(spec.environment, spec.tty);
  s.envp = c_strings(s.environment);
  if (spec.network.kind == NetworkChoice::Kind::netns)
    s.join_netns = TRY_WRAP(
        TRY_WRAP(resolve_netns(TRY(model::NetnsSpec::parse(spec.network.name))), s.what).open(),
        s.what);

  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
    return fail(Error::system(s.what + ": create the sync socket"));
  s.parent_end = UniqueFd(pair[0]);
  s.child_end = UniqueFd(pair[1]);

  ChildPlan& plan = s.plan;
  plan.sync_fd = s.child_end.get();
  plan.parent_sync_fd = s.parent_end.get();
  // With a user namespace, the clone happens in the joined namespace instead.
  plan.join_netns_fd = security.userns.enabled() ? -1 : s.join_netns.get();
  plan.netns_from_clone = security.userns.enabled() && s.join_netns;
  plan_userns(security.userns, plan);
  plan.rootfs = spec.rootfs ? security.rootfs.c_str() : nullptr;
  plan.lower_rootfs = spec.security.overlay ? spec.rootfs->c_str() : nullptr;
  plan.confinement = security.confinement();
  plan.security = &spec.security;
  plan.prepared = &security;
  plan.hostname = spec.hostname.c_str();
  plan.workdir = spec.workdir.c_str();
  plan.argv = s.argv.data();
  plan.envp = s.envp.data();
  plan.init = spec.init;
  plan.own_process_group = s.terminal && s.terminal->active();
  plan.signals_to_reset = kernel::signals_not_default();
  plan.stdin_fd = stdio.in;
  plan.stdout_fd = stdio.out;
  plan.stderr_fd = stdio.err;
  plan.tty = spec.tty;
  if (auto size = spec.tty ? kernel::window_size(STDIN_FILENO) : std::nullopt) {
    plan.has_window = true;
    plan.window = *size;
  }
  return {};
}

// --- The parent's stages, in the order they run (kParentStages below). All
// run in the host's namespaces, as the caller: root, or an unprivileged user
// (rootless: cgroups only where delegated to them, maps through
// newuidmap/newgidmap, pasta for the network). Each says what undoes it, and
// when: while the child still lives, or once it has been killed and reaped
// (which the rollback does between the two). ---

// The cgroups exist before the child does; it joins them before the go (the
// cgroup namespace is the child's to make, once it is in them): the v1 ones
// itself, first thing, through their `tasks` files opened here.
// Undo, once the child has ended: remove them.
Status create_cgroups(Starting& s) {
  TRY_WRAP(detail::create_cgroups(s.security.cgroups), s.what);
  s.cgroup_tasks = TRY_WRAP(open_v1_tasks(s.security.cgroups), s.what);
  for (const auto& fd : s.cgroup_tasks) s.cgroup_tasks_fds.push_back(fd.get());
  s.plan.cgroup_tasks_fds = s.cgroup_tasks_fds.data();
  s.plan.cgroup_tasks_fd_count = static_cast<int>(s.cgroup_tasks_fds.size());
  return {};
}
void remove_cgroups(Starting& s) { (void)detail::remove_cgroups(s.security.cgroups); }

// clone3 into new PID, UTS, IPC and mount namespaces, a new network namespace
// unless it joins one (--network netns:NS), a new user namespace with
// --userns or rootless (then cloned inside NS, see clone_container). The
// child runs its own stage table (container/child) and waits for the go.
// From here signals sent to us reach it and the terminal is its.
// Undo: none of its own; the rollback kills and reaps the child.
Status clone_child(Starting& s) {
  std::uint64_t flags = CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNS;
  if (!s.join_netns) flags |= CLONE_NEWNET;
  if (s.security.userns.enabled()) flags |= CLONE_NEWUSER;
  s.child = TRY_WRAP(clone_container(flags, s.security.userns, s.join_netns.get()), s.what);
  if (s.child.pid == 0) run_container_child(s.plan);  // never returns
  s.child_end.reset();
  s.cgroup_tasks.clear();
  if (s.forwarding) s.forwarding->forward_to(s.child.pidfd.get());
  if (s.terminal) s.terminal->give_to(s.child.pid);
  s.started.start_time = kernel::process_start_time(s.child.pid).value_or(0);
  s.started.pid = s.child.pid;
  return {};
}

// The child joins its cgroups (limits, devices) before it runs anything of
// the user's: the v2 groups, here (the v1 ones it joined itself).
// Undo: none (the groups go with create_cgroups' undo).
Status join_cgroups(Starting& s) {
  TRY_WRAP(detail::join_v2_cgroups(s.security.cgroups, s.child.pid), s.what);
  return {};
}

// With a user namespace: its maps (written as root, or through
// newuidmap/newgidmap rootless), idmapped root and volumes, --ulimit and
// --oom-score-adj set from outside, before the child does anything; nothing
// otherwise. Undo: none (all of it goes with the child).
Status map_ids(Starting& s) {
  TRY_WRAP(configure_userns(s.spec, s.security.userns, s.child.pid, s.parent_end.get()), s.what);
  return {};
}

// --network pasta (rootless): pasta joins the child's user and network
// namespaces and configures them; nothing for other networks.
// Undo, while the child lives: stop pasta.
Status start_pasta(Starting& s) {
  s.started.pasta = TRY_WRAP(detail::start_pasta(s.spec, s.child.pid), s.what);
  return {};
}
void stop_pasta(Starting& s) { detail::stop_pasta(s.started.pasta); }

// On a managed network, as root: the veth born in the child's network
// namespace (referenced through its pidfd), addressed and routed, and the -p
// forwards to it; nothing for other networks. Undo, once the child has ended
// (its namespace, and the veth in it, go with it): the forwards removed and
// the address given back.
Status attach_network(Starting& s) {
  s.started.network = TRY_WRAP(attach_container(s.spec, s.child.pidfd.get(), s.child.pid), s.what);
  return {};
}
void release_network(Starting& s) { release_container(s.spec, s.started.network); }

// Under the store's lock: the record says running, with the pid and address,
// before the command runs, so that whoever it tells it is up finds it.
// Undo: none here; the caller removes the whole record (reserve_name's undo).
Status record(Starting& s) {
  const Started& started = s.started;
  TRY_WRAP(
      record_running(s.spec.name,
                     {.pid = started.pid,
                      .start_time = started.start_time,
                      .address = started.network.network ? std::optional(started.network.ip.str())
                                                         : std::nullopt,
                      .pasta_pid = started.pasta.pid,
                      .pasta_start = started.pasta.start_time},
                     s.written),
      s.what);
  return {};
}

// The go: the child may run the command. With -t its terminal comes first (or
// its report of why not). Then its report: EOF means exec succeeded, a frame
// says what failed; a foreground caller reads it after the exit instead
// (report_later), which saves a wake-up between clone and exec.
// Undo: none.
Status go(Starting& s) {
  // If the child already failed, the send fails with EPIPE; its report says why.
  [[maybe_unused]] auto sent = ::send(s.parent_end.get(), &kNetworkReady, 1, MSG_NOSIGNAL);
  kernel::ChildError report;
  if (s.spec.tty) {
    s.started.terminal = kernel::receive_terminal(s.parent_end.get(), report);
    if (!s.started.terminal) return fail(terminal_error(s.what, report));
  }
  if (s.report_later)
    s.started.sync = std::move(s.parent_end);
  else if (kernel::read_child_error(s.parent_end.get(), report))
    return fail(kernel::child_error(fmt::format("{}: {}", s.what, report.what), report));
  return {};
}

enum class UndoWhen { child_lives, child_ended };

struct ParentStage {
  Status (*run)(Starting&);
  void (*undo)(Starting&);  // null: nothing to undo
  UndoWhen when = UndoWhen::child_ended;
};

// A new facility is one entry here (and, if the child has its part, one in
// container/child's table). The order is pinned by tests/integration/
// kill_points_container.sh, which kills the command at each of its calls that
// change something.
constexpr ParentStage kParentStages[] = {
    // Host, before clone; root, or rootless in a group delegated to the user.
    {create_cgroups, remove_cgroups, UndoWhen::child_ended},
    // Host (inside NS for the clone's moment with a user namespace and netns:NS).
    {clone_child, nullptr},
    // Host cgroup files, as the caller.
    {join_cgroups, nullptr},
    // Host /proc/PID files: as root, or rootless through newuidmap/newgidmap.
    {map_ids, nullptr},
    // Rootless only: pasta, as the user, joins the child's namespaces.
    {start_pasta, stop_pasta, UndoWhen::child_lives},
    // Host, as root: netlink into the child's network namespace, nftables.
    {attach_network, release_network, UndoWhen::child_ended},
    // The state store, under its lock.
    {record, nullptr},
    // The sync socket.
    {go, nullptr},
};

// After a failed stage: the undos of the `done` stages before it that need the
// child, in reverse; then the child is killed and reaped (its namespaces go
// with it); then the other undos, in reverse.
void roll_back(Starting& s, std::size_t done) {
  for (std::size_t i = done; i-- > 0;)
    if (kParentStages[i].undo && kParentStages[i].when == UndoWhen::child_lives)
      kParentStages[i].undo(s);
  if (s.child.pid > 0) {
    (void)kernel::signal_pidfd(s.child.pidfd.get(), SIGKILL);
    (void)wait_for(s.child.pid);
  }
  for (std::size_t i = done; i-- > 0;)
    if (kParentStages[i].undo && kParentStages[i].when == UndoWhen::child_ended)
      kParentStages[i].undo(s);
}

}  // namespace

Result<Started> start_process(const ContainerSpec& spec, const PreparedSecurity& security,
                              Stdio stdio, WrittenRecord* written, SignalForwarding* forwarding,
                              TerminalHandoff* terminal, bool report_later) {
  Starting s{.spec = spec,
             .security = security,
             .what = fmt::format("start container {}", quote(spec.name.str())),
             .forwarding = forwarding,
             .terminal = terminal,
             .report_later = report_later,
             .written = written};
  TRY(prepare(s, stdio));
  for (std::size_t i = 0; i < std::size(kParentStages); ++i) {
    if (auto ran = kParentStages[i].run(s); !ran) {
      roll_back(s, i);
      return fail(std::move(ran).error());
    }
  }
  s.started.pidfd = std::move(s.child.pidfd);
  return std::move(s.started);
}

}  // namespace detail

Result<int> run_container(ContainerSpec spec, RunOutcome* outcome) {
  auto security = TRY(detail::prepare_security(spec));
  security.cgroups = TRY(detail::plan_cgroups(spec));
  TRY(check_network_available(spec));
  detail::WrittenRecord written;
  TRY(reserve_name(spec, security, &written));
  Undo undo;
  undo.add([&] { remove_record(spec.name); });
  SignalForwarding forwarding;
  // With -t the command's terminal is its own; ours stays with us, relaying.
  TerminalHandoff terminal(!spec.tty);
  auto started = TRY(
      start_process(spec, security, {}, &written, &forwarding, &terminal, /*report_later=*/true));
  Status relayed;
  if (started.terminal)
    relayed = relay_terminal_or_kill(started.terminal.get(), started.pidfd.get());
  int status = wait_for(started.pid);
  if (outcome) outcome->oom_killed = detail::oom_killed(security.cgroups);
  release_container(spec, started.network, &security.cgroups, &started.pasta);
  // Every holder of the child's end is gone now: this read does not block.
  kernel::ChildError report;
  if (kernel::read_child_error(started.sync.get(), report))
    return fail(kernel::child_error(
        fmt::format("start container {}: {}", quote(spec.name.str()), report.what), report));
  if (!relayed) return fail(std::move(relayed).error());
  return status;
}

}  // namespace contain::engine
