#include "kernel/netns.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace contain::kernel {

namespace {

Result<UniqueFd> open_current_netns() {
  UniqueFd fd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!fd) return fail(Error::system("open /proc/thread-self/ns/net"));
  return fd;
}

// iproute2's rule: /run/netns is a shared mount point, so that a namespace
// mounted there later shows up in every mount namespace that shares it.
// Done as ip/ipnetns.c does it today: under an flock on the directory (two
// first-time set-ups at once, ours or `ip netns add`, would stack bind mounts),
// and the new bind mount made private before shared: a bind mount of a
// directory on a shared /run (systemd's default) joins /run's peer group, and
// every namespace mounted below it would then be mounted twice.
Status prepare_netns_dir() {
  if (::mkdir(kNetnsDir, 0755) < 0 && errno != EEXIST)
    return fail(Error::system(fmt::format("create {}", kNetnsDir)));
  UniqueFd lock(::open(kNetnsDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!lock) return fail(Error::system(fmt::format("open {}", kNetnsDir)));
  // As iproute2: without the lock (a file system that refuses flock) we go on.
  while (::flock(lock.get(), LOCK_EX) < 0 && errno == EINTR) {
  }
  if (::mount("", kNetnsDir, "none", MS_SHARED | MS_REC, nullptr) == 0) return {};
  if (errno != EINVAL) return fail(Error::system(fmt::format("make {} a shared mount", kNetnsDir)));
  // Not a mount point yet: bind it onto itself, out of its parent's peer
  // group, then shared in a group of its own.
  if (::mount(kNetnsDir, kNetnsDir, "none", MS_BIND | MS_REC, nullptr) < 0)
    return fail(Error::system(fmt::format("bind-mount {} onto itself", kNetnsDir)));
  if (::mount("", kNetnsDir, "none", MS_PRIVATE | MS_REC, nullptr) < 0)
    return fail(Error::system(fmt::format("make {} a private mount", kNetnsDir)));
  if (::mount("", kNetnsDir, "none", MS_SHARED | MS_REC, nullptr) < 0)
    return fail(Error::system(fmt::format("make {} a shared mount", kNetnsDir)));
  return {};
}

}  // namespace

std::string netns_path(const NetnsName& name) {
  return fmt::format("{}/{}", kNetnsDir, name.str());
}

Result<UniqueFd> open_netns(const NetnsName& name) {
  UniqueFd fd(::open(netns_path(name).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT)
      return fail(
          Error::failed(fmt::format("network namespace {} does not exist (see 'contain net list')",
                                    quote(name.str())),
                        ENOENT));
    return fail(Error::system(fmt::format("open network namespace {}", quote(name.str()))));
  }
  return fd;
}

bool netns_exists(const NetnsName& name) { return ::access(netns_path(name).c_str(), F_OK) == 0; }

Result<UniqueFd> create_netns(const NetnsName& name) {
  std::string what = fmt::format("create network namespace {}", quote(name.str()));
  TRY_WRAP(prepare_netns_dir(), what);
  std::string path = netns_path(name);
  {
    UniqueFd file(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0));
    if (!file) {
      if (errno == EEXIST)
        return fail(Error::failed(
            fmt::format("{}: it already exists (delete it first or choose another name)", what),
            EEXIST));
      return fail(Error::system(fmt::format("{}: create {}", what, path)));
    }
  }
  auto previous = TRY_WRAP(open_current_netns(), what);
  // unshare() moves this thread into the new namespace; bind-mount it onto the
  // file so it outlives us, then go back.
  auto undo_file = [&] { ::unlink(path.c_str()); };
  if (::unshare(CLONE_NEWNET) < 0) {
    Error e = Error::system(fmt::format("{}: unshare", what));
    undo_file();
    return fail(std::move(e));
  }
  Status result;
  UniqueFd created;
  if (::mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) < 0) {
    result = fail(Error::system(fmt::format("{}: bind-mount onto {}", what, path)));
  } else {
    created.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!created) result = fail(Error::system(fmt::format("{}: open {}", what, path)));
  }
  if (::setns(previous.get(), CLONE_NEWNET) < 0) {
    // We cannot return to where we were: nothing after this could be trusted.
    std::abort();
  }
  if (!result) {
    ::umount2(path.c_str(), MNT_DETACH);
    undo_file();
    return fail(std::move(result).error());
  }
  return created;
}

Status remove_netns(const NetnsName& name) {
  std::string path = netns_path(name);
  if (::umount2(path.c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return fail(Error::system(fmt::format("unmount {}", path)));
  if (::unlink(path.c_str()) < 0) {
    if (errno == ENOENT)
      return fail(
          Error::failed(fmt::format("network namespace {} does not exist (see 'contain net list')",
                                    quote(name.str())),
                        ENOENT));
    return fail(Error::system(fmt::format("remove {}", path)));
  }
  return {};
}

Result<std::vector<std::string>> list_netns_names() {
  std::vector<std::string> names;
  DIR* dir = ::opendir(kNetnsDir);
  if (!dir) {
    if (errno == ENOENT) return names;
    return fail(Error::system(fmt::format("read {}", kNetnsDir)));
  }
  while (dirent* entry = ::readdir(dir)) {
    std::string_view n = entry->d_name;
    if (n == "." || n == "..") continue;
    names.emplace_back(n);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

Result<UniqueFd> open_netns_of(int pidfd, pid_t pid) {
  // From linux/pidfd.h of Linux 6.11; Debian 12's headers predate it.
  constexpr unsigned long kPidfdGetNetNamespace = _IO(0xFF, 4);
  UniqueFd fd(::ioctl(pidfd, kPidfdGetNetNamespace, 0));
  if (fd) return fd;
  std::string path = fmt::format("/proc/{}/ns/net", pid);
  fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail(Error::system(fmt::format("open {}", path)));
  // The pid may have been reused between the two: the pidfd says whether the
  // process we mean is still there (signal 0 tests without sending).
  if (::syscall(SYS_pidfd_send_signal, pidfd, 0, nullptr, 0) < 0)
    return fail(Error::system(fmt::format("open the network namespace of process {}", pid)));
  return fd;
}

Result<NetnsGuard> NetnsGuard::enter(int netns_fd) {
  auto previous = TRY(open_current_netns());
  if (::setns(netns_fd, CLONE_NEWNET) < 0) return fail(Error::system("enter network namespace"));
  return NetnsGuard(std::move(previous));
}

NetnsGuard::~NetnsGuard() {
  if (previous_ && ::setns(previous_.get(), CLONE_NEWNET) < 0) std::abort();
}

}  // namespace contain::kernel
