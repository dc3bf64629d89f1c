#include "kernel/mount.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace contain::kernel {

namespace {

// A path under the rootfs, in a caller's buffer (no allocation after clone).
struct Path {
  char text[4096];
  Path(const char* root, const char* sub) { std::snprintf(text, sizeof text, "%s%s", root, sub); }
  operator const char*() const { return text; }
};

bool ensure_dir(const char* path, ChildError& e) {
  if (::mkdir(path, 0755) == 0 || errno == EEXIST) return true;
  return e.fail("create directory %s", path);
}

bool ensure_file(const char* path, ChildError& e) {
  int fd = ::open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd < 0) return e.fail("create %s", path);
  ::close(fd);
  return true;
}

bool mount_or_fail(const char* source, const char* target, const char* type, unsigned long flags,
                   const char* data, ChildError& e) {
  if (::mount(source, target, type, flags, data) == 0) return true;
  return e.fail("mount %s on %s", type ? type : source, target);
}

bool prepare_dev(const char* rootfs, const char* shm_options, ChildError& e) {
  Path dev(rootfs, "/dev");
  if (!ensure_dir(dev, e)) return false;
  if (!mount_or_fail("tmpfs", dev, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k", e))
    return false;
  // Device nodes are made with mknod (a mount each would cost more to make and
  // to tear down); where mknod is not allowed, they are bound from the host.
  // Refused once (a user namespace: always), it is not tried for the others.
  bool may_mknod = true;
  static const struct {
    const char* name;
    unsigned major, minor;
  } nodes[] = {{"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
               {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};
  for (const auto& node : nodes) {
    char host[64], inside[4200];
    std::snprintf(host, sizeof host, "/dev/%s", node.name);
    std::snprintf(inside, sizeof inside, "%s/dev/%s", rootfs, node.name);
    if (may_mknod && ::mknod(inside, S_IFCHR | 0666, makedev(node.major, node.minor)) == 0) {
      // mknod obeys the umask; device nodes are world-usable.
      ::chmod(inside, 0666);
      continue;
    }
    if (may_mknod && errno != EPERM) return e.fail("create %s", inside);
    may_mknod = false;
    if (!ensure_file(inside, e)) return false;
    if (::mount(host, inside, nullptr, MS_BIND, nullptr) < 0)
      return e.fail("bind %s into the container", host);
  }
  Path pts(rootfs, "/dev/pts"), shm(rootfs, "/dev/shm"), mqueue(rootfs, "/dev/mqueue");
  if (!ensure_dir(pts, e) || !ensure_dir(shm, e) || !ensure_dir(mqueue, e)) return false;
  if (!mount_or_fail("devpts", pts, "devpts", MS_NOSUID | MS_NOEXEC,
                     "newinstance,ptmxmode=0666,mode=0620", e))
    return false;
  if (!mount_or_fail("shm", shm, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, shm_options, e))
    return false;
  // POSIX message queues of the container's own IPC namespace (the one the
  // mounting process is in).
  if (!mount_or_fail("mqueue", mqueue, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr, e))
    return false;
  static const char* const links[][2] = {{"pts/ptmx", "/dev/ptmx"},
                                         {"/proc/self/fd", "/dev/fd"},
                                         {"/proc/self/fd/0", "/dev/stdin"},
                                         {"/proc/self/fd/1", "/dev/stdout"},
                                         {"/proc/self/fd/2", "/dev/stderr"}};
  for (const auto& link : links) {
    Path at(rootfs, link[1]);
    if (::symlink(link[0], at) < 0) return e.fail("create symlink %s", link[1]);
  }
  return true;
}

}  // namespace

bool make_mounts_private(ChildError& e) {
  if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0) return true;
  return e.fail("make all mounts private");
}

bool mount_proc(const char* target, ChildError& e) {
  return mount_or_fail("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr, e);
}

bool prepare_rootfs(const char* rootfs, const char* shm_options, int root_mount_fd, ChildError& e) {
  if (root_mount_fd >= 0) {
    if (::move_mount(root_mount_fd, "", AT_FDCWD, rootfs, MOVE_MOUNT_F_EMPTY_PATH) < 0)
      return e.fail("attach the idmapped root file system on %s", rootfs);
  } else if (::mount(rootfs, rootfs, nullptr, MS_BIND | MS_REC, nullptr) < 0) {
    return e.fail("bind the root file system %s onto itself", rootfs);
  }
  Path proc(rootfs, "/proc"), sys(rootfs, "/sys");
  if (!ensure_dir(proc, e) || !mount_proc(proc, e)) return false;
  if (!prepare_dev(rootfs, shm_options, e)) return false;
  if (!ensure_dir(sys, e)) return false;
  // A sysfs mounted in the container's network namespace lists its own devices.
  constexpr unsigned long kSysFlags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (::mount("sysfs", sys, "sysfs", kSysFlags, nullptr) == 0) return true;
  // Only the owner of the network namespace's user namespace may: a user
  // namespace in a joined network namespace of the host's gets the host's, read-only.
  if (errno != EPERM) return e.fail("mount sysfs on %s", static_cast<const char*>(sys));
  if (::mount("/sys", sys, nullptr, MS_BIND | MS_REC, nullptr) < 0 ||
      ::mount(nullptr, sys, nullptr, MS_BIND | MS_REMOUNT | kSysFlags, nullptr) < 0)
    return e.fail("bind /sys read-only on %s", static_cast<const char*>(sys));
  return true;
}

bool pivot_into(const char* rootfs, ChildError& e) {
  if (::chdir(rootfs) < 0) return e.fail("enter %s", rootfs);
  // pivot_root(".", "."): the old root is stacked under the new one and can be
  // detached from "." without needing a directory for it inside the rootfs.
  if (::syscall(SYS_pivot_root, ".", ".") < 0) return e.fail("pivot_root into %s", rootfs);
  if (::umount2(".", MNT_DETACH) < 0) return e.fail("detach the old root");
  if (::chdir("/") < 0) return e.fail("enter the new root");
  return true;
}

bool bind_volume(const char* source, const char* target, bool read_only, ChildError& e) {
  struct stat st;
  if (::stat(source, &st) < 0) return e.fail("volume %s", source);
  if (S_ISDIR(st.st_mode) ? !ensure_dir(target, e) : !ensure_file(target, e)) return false;
  if (::mount(source, target, nullptr, MS_BIND | MS_REC, nullptr) < 0)
    return e.fail("bind %s onto %s", source, target);
  if (read_only && ::mount(nullptr, target, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) < 0)
    return e.fail("make %s read-only", target);
  return true;
}

bool attach_volume(const char* source, int fd, const char* target, ChildError& e) {
  struct stat st;
  if (::stat(source, &st) < 0) return e.fail("volume %s", source);
  if (S_ISDIR(st.st_mode) ? !ensure_dir(target, e) : !ensure_file(target, e)) return false;
  if (::move_mount(fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return e.fail("attach the idmapped %s onto %s", source, target);
  return true;
}

bool mount_tmpfs(const char* target, unsigned long flags, const char* data, ChildError& e) {
  return ensure_dir(target, e) && mount_or_fail("tmpfs", target, "tmpfs", flags, data, e);
}

bool remount_read_only(const char* target, ChildError& e) {
  if (::mount(nullptr, target, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) == 0)
    return true;
  return e.fail("make %s read-only", target);
}

bool mount_overlay_root(const char* lower, const char* merged, int given_lower_fd, ChildError& e) {
  // overlayfs takes no detached mount as a layer: the idmapped copy is
  // attached on DIR first, and DIR (now showing it) is opened below.
  if (given_lower_fd >= 0 &&
      ::move_mount(given_lower_fd, "", AT_FDCWD, lower, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return e.fail("attach the idmapped root file system on %s", lower);
  int lower_fd = ::open(lower, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (lower_fd < 0) return e.fail("open %s", lower);
  if (!mount_or_fail("tmpfs", lower, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755", e)) return false;
  char upper[4200], work[4200], options[9000];
  std::snprintf(upper, sizeof upper, "%s/upper", lower);
  std::snprintf(work, sizeof work, "%s/work", lower);
  if (!ensure_dir(upper, e) || !ensure_dir(work, e) || !ensure_dir(merged, e)) return false;
  std::snprintf(options, sizeof options, "lowerdir=/proc/self/fd/%d,upperdir=%s,workdir=%s",
                lower_fd, upper, work);
  bool ok = mount_or_fail("overlay", merged, "overlay", 0, options, e);
  ::close(lower_fd);
  return ok;
}

}  // namespace contain::kernel
