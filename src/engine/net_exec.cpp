// `contain net exec`: the command in a named network namespace, as `ip netns
// exec` runs it. The policy (which mounts, which /etc) is here; the kernel
// layer gives the primitives.
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "core/unique_fd.hpp"
#include "engine/foreground.hpp"
#include "engine/net.hpp"
#include "kernel/child.hpp"
#include "kernel/netns.hpp"
#include "kernel/process.hpp"

extern char** environ;

namespace contain::engine {

namespace {

using kernel::ChildError;

// The byte the parent sends once the command may run (the terminal is its).
constexpr char kGo = 'G';

// Child, in the network namespace: /etc/netns/NAME/FILE bound over /etc/FILE
// (resolv.conf, hosts...). Read with getdents64 into a stack buffer: after a
// raw clone3 the child must not allocate (opendir would), as a caller's thread
// may have held the allocator's lock.
void bind_etc_netns(const char* name) {
  char dir_path[4096];
  std::snprintf(dir_path, sizeof dir_path, "/etc/netns/%s", name);
  int dir = ::open(dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return;
  alignas(dirent64) char entries[4096];
  for (;;) {
    ssize_t n = ::getdents64(dir, entries, sizeof entries);
    if (n <= 0) break;
    for (ssize_t at = 0; at < n;) {
      const auto* entry = reinterpret_cast<const dirent64*>(entries + at);
      at += entry->d_reclen;
      if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0) continue;
      char from[4400], to[300];
      std::snprintf(from, sizeof from, "%s/%s", dir_path, entry->d_name);
      std::snprintf(to, sizeof to, "/etc/%s", entry->d_name);
      ::mount(from, to, "none", MS_BIND, nullptr);
    }
  }
  ::close(dir);
}

// Child, after clone, still in the caller's namespaces: enter the network
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
  if (name) bind_etc_netns(name);
  return true;
}

}  // namespace

Result<int> run_in_netns(const NetnsName* name, std::string_view label, int netns_fd,
                         const std::vector<std::string>& argv) {
  if (argv.empty()) return fail(Error::usage("no command given: put it after '--'"));
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
    return fail(Error::system("create the sync socket"));
  UniqueFd parent_end(pair[0]), child_end(pair[1]);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  // In place before the command exists: a SIGTERM from here on reaches it.
  SignalForwarding forwarding;
  TerminalHandoff terminal;
  auto cloned = TRY(kernel::clone_with_pidfd(0));
  if (cloned.pid == 0) {
    // Child: no allocation, no exceptions; failures go back over the socket.
    parent_end.reset();
    // The command gets the caller's signal dispositions, as with `ip netns exec`.
    forwarding.restore_in_child();
    await_go(terminal, child_end.get(), kGo);
    ChildError e;
    if (!enter_netns_view(name ? name->c_str() : nullptr, netns_fd, e))
      kernel::child_exit_with(child_end.get(), e);
    kernel::exec_or_report(args.data(), environ, child_end.get());
  }
  // Parent.
  child_end.reset();
  forwarding.forward_to(cloned.pidfd.get());
  terminal.give_to(cloned.pid);
  [[maybe_unused]] auto sent = ::send(parent_end.get(), &kGo, 1, MSG_NOSIGNAL);
  ChildError report;
  bool failed = kernel::read_child_error(parent_end.get(), report);
  int status = wait_for(cloned.pid);
  if (failed) {
    bool exec_failed = report.exit_code == 126 || report.exit_code == 127;
    return fail(kernel::child_error(
        exec_failed ? std::string(report.what)
                    : fmt::format("run in network namespace {}: {}", quote(label), report.what),
        report));
  }
  return status;
}

Result<int> exec_in_netns(const NetnsRef& netns, const std::vector<std::string>& argv) {
  auto fd = TRY(netns.open());
  return run_in_netns(netns.name(), netns.text(), fd.get(), argv);
}

}  // namespace contain::engine
