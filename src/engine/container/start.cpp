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

}  // namespace contain::engine
