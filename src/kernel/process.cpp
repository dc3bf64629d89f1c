#include "kernel/process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/unique_fd.hpp"
#include "kernel/child.hpp"

extern char** environ;

namespace contain::kernel {

int shell_status(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 1;
}

Result<Cloned> clone_with_pidfd(std::uint64_t namespace_flags, int exit_signal) {
  int pidfd = -1;
  clone_args args{};
  args.flags = CLONE_PIDFD | namespace_flags;
  args.pidfd = reinterpret_cast<std::uint64_t>(&pidfd);
  args.exit_signal = static_cast<std::uint64_t>(exit_signal);
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) return fail(Error::system("create the container process (clone3)"));
  Cloned cloned;
  cloned.pid = static_cast<pid_t>(pid);
  if (pid > 0) cloned.pidfd.reset(pidfd);
  return cloned;
}

Result<UniqueFd> open_pidfd(pid_t pid) {
  UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!fd) return fail(Error::system(fmt::format("open process {}", pid)));
  return fd;
}

Status signal_pidfd(int pidfd, int signal) {
  if (::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0) < 0 && errno != ESRCH)
    return fail(Error::system(fmt::format("send signal {}", signal)));
  return {};
}

Result<bool> wait_pidfd(int pidfd, int timeout_ms) {
  pollfd p{pidfd, POLLIN, 0};
  for (;;) {
    int n = ::poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(Error::system("wait for a process"));
    return n > 0;
  }
}

std::uint64_t signals_not_default() {
  char text[4096];
  UniqueFd fd(::open("/proc/self/status", O_RDONLY | O_CLOEXEC));
  ssize_t n = fd ? ::read(fd.get(), text, sizeof text - 1) : -1;
  if (n <= 0) return ~std::uint64_t{0};
  text[n] = '\0';
  std::uint64_t mask = 0;
  int found = 0;
  for (const char* field : {"\nSigIgn:", "\nSigCgt:"}) {
    if (const char* at = std::strstr(text, field)) {
      mask |= std::strtoull(at + std::strlen(field), nullptr, 16);
      ++found;
    }
  }
  return found == 2 ? mask : ~std::uint64_t{0};
}

std::optional<std::uint64_t> process_start_time(pid_t pid) {
  char path[64], text[1024];
  std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  ssize_t n = ::read(fd.get(), text, sizeof text - 1);
  if (n <= 0) return std::nullopt;
  text[n] = '\0';
  // The command name (field 2) may hold spaces and parentheses: fields 3.. follow the last ')'.
  const char* p = std::strrchr(text, ')');
  if (!p) return std::nullopt;
  ++p;
  for (int field = 3; field <= 22; ++field) {
    while (*p == ' ') ++p;
    if (!*p) return std::nullopt;
    if (field == 3 && *p == 'Z') return std::nullopt;  // a zombie has finished
    if (field == 22) return std::strtoull(p, nullptr, 10);
    while (*p && *p != ' ') ++p;
  }
  return std::nullopt;
}

void reserve_descriptors(std::size_t count) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) < 0) return;
  const rlim_t wanted = static_cast<rlim_t>(count) + 64;
  if (limit.rlim_cur < wanted && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    (void)::setrlimit(RLIMIT_NOFILE, &limit);
  }
  const int highest = static_cast<int>(std::min<rlim_t>(wanted, limit.rlim_cur) - 1);
  if (highest <= 2) return;
  // A copy at the lowest free descriptor >= highest: the table grows to hold it.
  UniqueFd any(::open("/", O_PATH | O_CLOEXEC));
  if (any) [[maybe_unused]]
    UniqueFd grown(::fcntl(any.get(), F_DUPFD_CLOEXEC, highest));
}

bool process_alive(pid_t pid, std::uint64_t start_time) {
  if (pid <= 0) return false;
  auto started = process_start_time(pid);
  return started && *started == start_time;
}

}  // namespace contain::kernel
