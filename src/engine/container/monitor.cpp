// `contain run -d`: a monitor process of the container's own (no daemon is
// shared between containers) starts it, stays its parent, keeps its output in
// the log and records how it ended; `contain logs` reads that log.
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "core/undo.hpp"
#include "core/unique_fd.hpp"
#include "engine/container/cgroups.hpp"
#include "engine/container/container.hpp"
#include "engine/container/network.hpp"
#include "engine/container/pasta.hpp"
#include "engine/container/record.hpp"
#include "engine/container/security.hpp"
#include "engine/container/start.hpp"
#include "engine/foreground.hpp"
#include "kernel/memory.hpp"
#include "kernel/nft/context.hpp"
#include "kernel/process.hpp"
#include "kernel/terminal.hpp"

namespace contain::engine {

namespace {

using model::ContainerName;
using model::ContainerSpec;
using namespace detail;

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
                              detail::WrittenRecord& written, int log_fd, int report_fd) {
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
  auto started = start_process(spec, security, {null_fd, log_fd, log_fd}, &written);
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
  // We stay as long as the container does: what the firewall work used is
  // given back (its removal at the end makes a new context, ~0.5 ms).
  kernel::Nftables::close_process_context();
  kernel::give_back_free_memory();

  // -t: the command writes to its terminal, whose master only we hold: its
  // output goes into the log from here, and the master stays open until it
  // has ended (closed, it would hang the command up). Without -t, the command
  // writes to the log itself.
  if (started->terminal)
    (void)kernel::log_terminal_output(started->terminal.get(), started->pidfd.get(), log_fd);
  ::close(log_fd);
  int code = wait_for(started->pid);
  bool oom = detail::oom_killed(security.cgroups);
  release_container(spec, started->network, &security.cgroups, &started->pasta);
  (void)record_exited(spec.name, code, oom, &written);
  ::_exit(0);
}

}  // namespace

Result<std::string> run_container_detached(ContainerSpec spec) {
  auto security = TRY(detail::prepare_security(spec));
  security.cgroups = TRY(detail::plan_cgroups(spec));
  TRY(check_network_available(spec));
  detail::WrittenRecord written;
  UniqueFd log_fd = TRY(reserve_name(spec, security, &written));
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
    run_monitor(spec, security, written, log_fd.release(), report_write.release());
  }
  report_write.reset();
  log_fd.reset();
  wait_for(middle);
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

Status read_logs(const ContainerName& name, bool follow,
                 const std::function<void(std::string_view)>& sink) {
  auto r = TRY(load_record(name));
  if (!r.detached)
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
    if (auto m = kernel::open_pidfd(r.monitor_pid); m && monitor_alive(r)) {
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

}  // namespace contain::engine
