#include "kernel/netns.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>

#include "kernel/netlink/socket.hpp"

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
  // A socket kept open in it would keep it, and its links, alive.
  if (struct stat ns{}; ::stat(path.c_str(), &ns) == 0) forget_cached_sockets(ns.st_dev, ns.st_ino);
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

namespace {

const char* namespace_kind(int type) {
  switch (type) {
    case CLONE_NEWNS:  // as /proc/PID/ns names it
      return "mnt";
    case CLONE_NEWUTS:
      return "UTS";
    case CLONE_NEWIPC:
      return "IPC";
    case CLONE_NEWUSER:
      return "user";
    case CLONE_NEWPID:
      return "PID";
    case CLONE_NEWCGROUP:
      return "cgroup";
    case CLONE_NEWTIME:
      return "time";
    default:
      return "other";
  }
}

// The inode of a namespace named as the kernel shows it: "net:[4026532567]".
std::optional<std::uint64_t> net_inode_of(std::string_view text) {
  constexpr std::string_view prefix = "net:[";
  if (!text.starts_with(prefix) || !text.ends_with(']')) return std::nullopt;
  std::string_view digits = text.substr(prefix.size(), text.size() - prefix.size() - 1);
  std::uint64_t ino = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ino);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
    return std::nullopt;
  return ino;
}

// Calls `each` with every entry name of a directory (none if it cannot be read).
template <class Each>
void for_each_entry(const std::string& dir, Each each) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  while (dirent* entry = ::readdir(d)) {
    std::string_view n = entry->d_name;
    if (n != "." && n != "..") each(n);
  }
  ::closedir(d);
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

Result<UniqueFd> open_netns_file(const std::string& path) {
  UniqueFd handle(::open(path.c_str(), O_PATH | O_CLOEXEC));
  if (!handle) {
    if (errno == ENOENT) return fail(Error::failed("no such file", ENOENT));
    return fail(Error::system("open it"));
  }
  struct stat st {};
  if (::fstat(handle.get(), &st) < 0) return fail(Error::system("stat it"));
  if (!S_ISREG(st.st_mode)) return fail(Error::failed("it is not a namespace file", ENOTTY));
  // Reopened through the handle: the same inode, whatever the path means by now.
  std::string self = fmt::format("/proc/self/fd/{}", handle.get());
  UniqueFd fd(::open(self.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return fail(Error::system("open it"));
  int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
  if (type < 0) {
    if (errno == ENOTTY || errno == EINVAL)
      return fail(Error::failed("it is not a namespace file", ENOTTY));
    return fail(Error::system("ask which namespace it is"));
  }
  if (type != CLONE_NEWNET)
    return fail(Error::failed(
        fmt::format("it is a {} namespace, not a network namespace", namespace_kind(type)),
        EINVAL));
  return fd;
}

Result<NetnsId> netns_id(int netns_fd) {
  struct stat st {};
  if (::fstat(netns_fd, &st) < 0) return fail(Error::system("stat a network namespace"));
  return NetnsId{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
}

Result<std::set<NetnsId>> live_netns_ids() {
  std::set<NetnsId> ids;
  struct stat self {};
  if (::stat("/proc/thread-self/ns/net", &self) < 0)
    return fail(Error::system("stat /proc/thread-self/ns/net"));
  // Every namespace file lives on the one nsfs: the device is the same for all.
  auto dev = static_cast<std::uint64_t>(self.st_dev);
  ids.insert({dev, static_cast<std::uint64_t>(self.st_ino)});
  std::set<std::uint64_t> mount_namespaces;
  auto bind_mounts_seen_by = [&](const std::string& base) {
    // Bind mounts belong to a mount namespace: each one's table is read once.
    struct stat mnt {};
    if (::stat((base + "/ns/mnt").c_str(), &mnt) < 0 ||
        !mount_namespaces.insert(static_cast<std::uint64_t>(mnt.st_ino)).second)
      return;
    // The fourth field of a mountinfo line is the mount's root: "net:[INODE]" for nsfs.
    std::ifstream mountinfo(base + "/mountinfo");
    for (std::string line; std::getline(mountinfo, line);) {
      std::string_view rest = line;
      for (int field = 0; field < 3; ++field) {
        auto space = rest.find(' ');
        rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
      }
      if (auto ino = net_inode_of(rest.substr(0, rest.find(' ')))) ids.insert({dev, *ino});
    }
  };
  bind_mounts_seen_by("/proc/self");
  for_each_entry("/proc", [&](std::string_view pid) {
    if (!all_digits(pid)) return;
    std::string base = fmt::format("/proc/{}", pid);
    bind_mounts_seen_by(base);
    for_each_entry(base + "/task", [&](std::string_view tid) {
      struct stat st {};
      if (::stat(fmt::format("{}/task/{}/ns/net", base, tid).c_str(), &st) == 0)
        ids.insert({static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)});
    });
    std::string fds = base + "/fd";
    for_each_entry(fds, [&](std::string_view fd) {
      char target[64];
      std::string link = fmt::format("{}/{}", fds, fd);
      ssize_t n = ::readlink(link.c_str(), target, sizeof target);
      if (n <= 0 || n == static_cast<ssize_t>(sizeof target)) return;
      if (auto ino = net_inode_of(std::string_view(target, static_cast<std::size_t>(n))))
        ids.insert({dev, *ino});
    });
  });
  return ids;
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
