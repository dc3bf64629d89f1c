#include "kernel/process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/unique_fd.hpp"
#include "kernel/child.hpp"

extern char** environ;

namespace contain::kernel {

namespace {

// Child, after fork, still in the caller's namespaces: enter the network
// namespace and give it the view of the system `ip netns exec` gives.
bool enter_netns_view(const char* name, int netns_fd, ChildError& e) {
  if (::setns(netns_fd, CLONE_NEWNET) < 0) return e.fail("enter the network namespace");
  if (::unshare(CLONE_NEWNS) < 0) return e.fail("create a mount namespace");
  // Our mounts must not propagate back to the host.
  if (::mount("", "/", "none", MS_SLAVE | MS_REC, nullptr) < 0)
    return e.fail("make / a slave mount");
  // A sysfs mounted from inside the namespace lists its own network devices.
  unsigned long sys_flags = 0;
  struct statvfs st;
  if (::statvfs("/sys", &st) == 0 && (st.f_flag & ST_RDONLY)) sys_flags |= MS_RDONLY;
  if (::umount2("/sys", MNT_DETACH) == 0 || errno == EINVAL)
    ::mount(name ? name : "sysfs", "/sys", "sysfs", sys_flags, nullptr);  // best effort
  // /etc/netns/NAME/FILE is bound over /etc/FILE (resolv.conf, hosts...).
  if (!name) return true;
  char dir_path[4096];
  std::snprintf(dir_path, sizeof dir_path, "/etc/netns/%s", name);
  if (DIR* dir = ::opendir(dir_path)) {
    while (dirent* entry = ::readdir(dir)) {
      if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0) continue;
      char from[4400], to[300];
      std::snprintf(from, sizeof from, "%s/%s", dir_path, entry->d_name);
      std::snprintf(to, sizeof to, "/etc/%s", entry->d_name);
      ::mount(from, to, "none", MS_BIND, nullptr);
    }
    ::closedir(dir);
  }
  return true;
}

pid_t g_forward_to = 0;
void forward_signal(int sig) {
  if (g_forward_to > 0) ::kill(g_forward_to, sig);
}

}  // namespace

int shell_status(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 1;
}

Result<int> run_in_netns(const NetnsName* name, std::string_view label, int netns_fd,
                         const std::vector<std::string>& argv) {
  if (argv.empty()) return fail(Error::usage("no command given: put it after '--'"));
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
    return fail(Error::system("create the sync socket"));
  UniqueFd read_end(pair[0]), write_end(pair[1]);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) return fail(Error::system("fork"));
  if (pid == 0) {
    // Child: no allocation, no exceptions; failures go back over the pipe.
    read_end.reset();
    ChildError e;
    if (!enter_netns_view(name ? name->c_str() : nullptr, netns_fd, e))
      child_exit_with(write_end.get(), e);
    exec_or_report(args.data(), environ, write_end.get());
  }
  // Parent.
  write_end.reset();
  struct sigaction ignore {
  }, forward{}, old_int{}, old_quit{}, old_term{}, old_hup{};
  ignore.sa_handler = SIG_IGN;
  forward.sa_handler = forward_signal;
  g_forward_to = pid;
  ::sigaction(SIGINT, &ignore, &old_int);
  ::sigaction(SIGQUIT, &ignore, &old_quit);
  ::sigaction(SIGTERM, &forward, &old_term);
  ::sigaction(SIGHUP, &forward, &old_hup);

  ChildError report;
  bool failed = read_child_error(read_end.get(), report);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  g_forward_to = 0;
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGQUIT, &old_quit, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  ::sigaction(SIGHUP, &old_hup, nullptr);

  if (failed) {
    bool exec_failed = report.exit_code == 126 || report.exit_code == 127;
    return fail(child_error(
        exec_failed ? std::string(report.what)
                    : fmt::format("run in network namespace {}: {}", quote(label), report.what),
        report));
  }
  return shell_status(status);
}

Result<Cloned> clone_with_pidfd(std::uint64_t namespace_flags) {
  int pidfd = -1;
  clone_args args{};
  args.flags = CLONE_PIDFD | namespace_flags;
  args.pidfd = reinterpret_cast<std::uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
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

bool process_alive(pid_t pid, std::uint64_t start_time) {
  if (pid <= 0) return false;
  auto started = process_start_time(pid);
  return started && *started == start_time;
}

Status join_namespaces(int pidfd, pid_t pid, int flags) {
  if (::setns(pidfd, flags) == 0) return {};
  if (errno != EINVAL) return fail(Error::system("join the container's namespaces"));
  // Kernels before 5.8 take only namespace files.
  static const std::pair<int, const char*> kinds[] = {
      {CLONE_NEWUSER, "user"}, {CLONE_NEWCGROUP, "cgroup"}, {CLONE_NEWIPC, "ipc"},
      {CLONE_NEWUTS, "uts"},   {CLONE_NEWNET, "net"},       {CLONE_NEWPID, "pid"},
      {CLONE_NEWNS, "mnt"}};
  for (auto [flag, name] : kinds) {
    if (!(flags & flag)) continue;
    std::string path = fmt::format("/proc/{}/ns/{}", pid, name);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd || ::setns(fd.get(), flag) < 0)
      return fail(Error::system(fmt::format("join the container's {} namespace", name)));
  }
  return {};
}

}  // namespace contain::kernel
