// `contain exec`: a command in a running container, in its namespaces, root,
// working directory, environment, cgroups and limits, and under its
// confinement (capabilities, seccomp filter, no_new_privs, user): exec is
// never a way out.
#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/unique_fd.hpp"
#include "engine/container/cgroups.hpp"
#include "engine/container/child.hpp"
#include "engine/container/container.hpp"
#include "engine/container/record.hpp"
#include "engine/container/security.hpp"
#include "engine/container/start.hpp"
#include "engine/container/userns.hpp"
#include "engine/foreground.hpp"
#include "kernel/cgroup.hpp"
#include "kernel/child.hpp"
#include "kernel/confine.hpp"
#include "kernel/namespaces.hpp"
#include "kernel/process.hpp"
#include "kernel/terminal.hpp"

namespace contain::engine {

using model::ContainerName;
using nlohmann::json;
using namespace detail;

namespace {

// What the exec child reads after clone, prepared by the parent (the child
// allocates nothing).
struct ExecChild {
  int container_pidfd = -1;
  pid_t container_pid = 0;
  int namespaces = 0;  // those joined after the go (the PID namespace is ours already)
  int root_fd = -1;    // /proc/PID/root of the container
  const char* workdir = "/";
  int sync_fd = -1, parent_sync_fd = -1;
  const std::vector<UniqueFd>& cgroup_tasks;  // v1: joined first thing (open_v1_tasks)
  std::uint64_t signals_to_reset = 0;
  const SignalForwarding& forwarding;
  const TerminalHandoff& terminal;
  bool tty = false;
  const winsize* window = nullptr;  // -t: the caller's size, if it has one
  const kernel::Confinement& confinement;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
};

// Child, in the container's PID namespace, otherwise still on the host: join
// the rest at once, then the container's root, working directory and
// environment, then its confinement, and exec. Never returns.
[[noreturn]] void run_exec_child(const ExecChild& c) {
  kernel::ChildError e;
  int pts_number = -1;
  ::close(c.parent_sync_fd);
  // The container's v1 cgroups, while we are one thread (see
  // kernel::cgroup::open_tasks); a failure is reported after the go.
  bool joined = true;
  for (const auto& tasks : c.cgroup_tasks)
    if (joined) joined = kernel::cgroup::join_self(tasks.get(), e);
  kernel::reset_signals(c.signals_to_reset);
  ::sigprocmask(SIG_SETMASK, &c.forwarding.caller_mask(), nullptr);
  // The parent hands over the terminal, then says go.
  await_go(c.terminal, c.sync_fd, kNetworkReady);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (!joined) {
  } else if (!kernel::join_namespaces(c.container_pidfd, c.container_pid, c.namespaces))
    e.fail("join the container's namespaces");
  else if (::fchdir(c.root_fd) < 0 || ::chroot(".") < 0)
    e.fail("enter the container's root");
  else if (::chdir(c.workdir) < 0)
    e.fail("enter the working directory %s", c.workdir);
  // -t: made here, after chroot, rather than by opening /proc/PID/root/dev/ptmx
  // from the host: there an absolute link the container put in /dev would be
  // resolved against the host's root, and could hand us a host device. Here
  // every link resolves inside the container's root, to its own devpts.
  else if (c.tty &&
           !kernel::make_controlling_terminal("/dev/ptmx", c.window, c.sync_fd, pts_number, e)) {
  } else if (kernel::close_inherited_descriptors(e) && kernel::confine(c.confinement, e))
    kernel::exec_or_report(c.argv, c.envp, c.sync_fd);
  kernel::child_exit_with(c.sync_fd, e);
}

}  // namespace

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
  pid_t pid = r.pid;
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
  // As docker exec: the container's configured environment, TERM=xterm on a
  // terminal unless that sets TERM, then -e.
  std::vector<std::string> env = model::process_environment(r.environment, options.tty);
  for (const auto& entry : options.environment) {
    auto key = entry.substr(0, entry.find('=') + 1);
    std::erase_if(env, [&](const std::string& e) { return e.starts_with(key); });
    env.push_back(entry);
  }
  std::string workdir = options.workdir.empty() ? r.workdir : options.workdir;
  auto security = TRY_WRAP(
      detail::exec_security(r, {.user = options.user, .privileged = options.privileged}, pid),
      what);
  auto cgroups = TRY_WRAP(detail::CgroupPlan::from_record(r), what);
  auto cgroup_tasks = TRY_WRAP(detail::open_v1_tasks(cgroups), what);
  // In its user namespace we arrive as nobody: become its root (or --user) there.
  // Rootless, we join it here already: only inside it may we enter its PID
  // namespace, and there is no way back out (see below).
  const bool rootless = r.rootless();
  const int userns_flag = r.userns && !rootless ? CLONE_NEWUSER : 0;
  if (r.userns) security.change_user = true;
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
  const ExecChild child{.container_pidfd = pidfd->get(),
                        .container_pid = pid,
                        .namespaces = userns_flag | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWUTS |
                                      CLONE_NEWIPC | CLONE_NEWCGROUP,
                        .root_fd = root.get(),
                        .workdir = workdir.c_str(),
                        .sync_fd = child_end.get(),
                        .parent_sync_fd = parent_end.get(),
                        .cgroup_tasks = cgroup_tasks,
                        .signals_to_reset = kernel::signals_not_default(),
                        .forwarding = forwarding,
                        .terminal = terminal,
                        .tty = options.tty,
                        .window = window ? &*window : nullptr,
                        .confinement = confinement,
                        .argv = args.data(),
                        .envp = envp.data()};
  auto clone_result = kernel::clone_with_pidfd(0);
  if (clone_result && clone_result->pid == 0) run_exec_child(child);  // never returns
  // Rootless, we stay (the user namespace we joined has no say over our own
  // PID namespace); this process only waits for the command from here on.
  int back = rootless || ::setns(own_pid_ns.get(), CLONE_NEWPID) == 0 ? 0 : errno;
  auto cloned = TRY_WRAP(std::move(clone_result), what);
  // Until the go, failing means killing and reaping the child.
  auto kill_child = [&](Error error) -> Result<int> {
    (void)kernel::signal_pidfd(cloned.pidfd.get(), SIGKILL);
    wait_for(cloned.pid);
    return fail(std::move(error));
  };
  if (back != 0) return kill_child(Error::system(what + ": return to our own PID namespace", back));
  child_end.reset();
  cgroup_tasks.clear();
  // The command counts against the container's limits, as everything in it
  // (the v1 groups it joined itself).
  if (auto joined = detail::join_v2_cgroups(cgroups, cloned.pid); !joined)
    return kill_child(std::move(joined).error().wrap(what));
  // And the container's rlimits and OOM score, not contain's: exec is no way out.
  if (auto limited = detail::apply_recorded_limits(cloned.pid, r); !limited)
    return kill_child(std::move(limited).error().wrap(what));
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
    if (auto relayed = relay_terminal_or_kill(master.get(), cloned.pidfd.get()); !relayed) {
      wait_for(cloned.pid);
      return fail(std::move(relayed).error().wrap(what));
    }
  }
  return wait_for(cloned.pid);
}

}  // namespace contain::engine
