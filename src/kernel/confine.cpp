#include "kernel/confine.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace contain::kernel {

namespace {

constexpr int kSysAdmin = 21;

bool needs_admin_for_filter(const Confinement& c) {
  return !c.privileged && c.filter && !c.no_new_privs && !(c.capabilities & (1ull << kSysAdmin));
}

bool capset(std::uint64_t permitted, std::uint64_t effective, ChildError& e) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    data[i].permitted = static_cast<std::uint32_t>(permitted >> (32 * i));
    data[i].effective = static_cast<std::uint32_t>(effective >> (32 * i));
  }
  if (::syscall(SYS_capset, &header, data) < 0) return e.fail("set the capabilities");
  return true;
}

}  // namespace

bool set_oom_score_adj(int value, ChildError& e) {
  int fd = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return e.fail("open /proc/self/oom_score_adj");
  char text[16];
  int n = std::snprintf(text, sizeof text, "%d", value);
  bool ok = ::write(fd, text, n) == n;
  int err = errno;
  ::close(fd);
  errno = err;
  return ok || e.fail("set oom_score_adj to %d", value);
}

bool set_rlimit(int resource, std::uint64_t soft, std::uint64_t hard, ChildError& e) {
  rlimit limit{soft, hard};
  if (::setrlimit(static_cast<__rlimit_resource>(resource), &limit) == 0) return true;
  return e.fail("set resource limit %d (raising a hard limit needs CAP_SYS_RESOURCE)", resource);
}

bool mask_paths(const char* root, ChildError& e) {
  static const char* const masked[] = {"/proc/acpi",
                                       "/proc/asound",
                                       "/proc/interrupts",
                                       "/proc/kcore",
                                       "/proc/keys",
                                       "/proc/latency_stats",
                                       "/proc/sched_debug",
                                       "/proc/scsi",
                                       "/proc/timer_list",
                                       "/proc/timer_stats",
                                       "/sys/devices/virtual/powercap",
                                       "/sys/firmware"};
  static const char* const read_only[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                          "/proc/sysrq-trigger"};
  char path[4200];
  for (const char* sub : masked) {
    std::snprintf(path, sizeof path, "%s%s", root, sub);
    struct stat st;
    if (::lstat(path, &st) < 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (::mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  "size=0,mode=555") < 0)
        return e.fail("mask %s", sub);
    } else if (::mount("/dev/null", path, nullptr, MS_BIND, nullptr) < 0) {
      return e.fail("mask %s", sub);
    }
  }
  for (const char* sub : read_only) {
    std::snprintf(path, sizeof path, "%s%s", root, sub);
    if (::access(path, F_OK) < 0) continue;
    if (::mount(path, path, nullptr, MS_BIND | MS_REC, nullptr) < 0 ||
        ::mount(path, path, nullptr,
                MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) < 0)
      return e.fail("make %s read-only", sub);
  }
  return true;
}

bool drop_bounding_set(const Confinement& c, ChildError& e) {
  if (c.privileged) return true;
  for (int cap = 0; cap < 64; ++cap) {
    if (c.capabilities & (1ull << cap)) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0) continue;
    if (errno == EINVAL) break;  // above the kernel's last capability
    return e.fail("drop capability %d from the bounding set", cap);
  }
  return true;
}

bool change_user(const Confinement& c, ChildError& e) {
  if (!c.change_user) return true;
  // In a user namespace whose gid map an unprivileged caller wrote, setgroups
  // is denied (EPERM): with no groups asked for, there is nothing to change.
  if (::setgroups(c.group_count, c.groups) < 0 && !(errno == EPERM && c.group_count == 0))
    return e.fail("set the supplementary groups");
  if (::setresgid(c.gid, c.gid, c.gid) < 0) return e.fail("set the group id to %u", c.gid);
  if (!c.privileged && ::prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS, 0, 0, 0) < 0)
    return e.fail("keep capabilities across the user change");
  if (::setresuid(c.uid, c.uid, c.uid) < 0) return e.fail("set the user id to %u", c.uid);
  return true;
}

bool set_capabilities(const Confinement& c, ChildError& e) {
  if (c.privileged) return true;
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
    return e.fail("clear the ambient capabilities");
  std::uint64_t keep = needs_admin_for_filter(c) ? (1ull << kSysAdmin) : 0;
  return capset(c.capabilities | keep, c.capabilities | keep, e);
}

bool set_no_new_privs(const Confinement& c, ChildError& e) {
  if (!c.no_new_privs) return true;
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return e.fail("set no_new_privs");
  return true;
}

bool load_filter(const Confinement& c, ChildError& e) {
  if (c.privileged || !c.filter) return true;
  sock_fprog program{c.filter_length, const_cast<sock_filter*>(c.filter)};
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) < 0)
    return e.fail("load the seccomp filter");
  return true;
}

bool finish_capabilities(const Confinement& c, ChildError& e) {
  if (!needs_admin_for_filter(c)) return true;
  return capset(c.capabilities, c.capabilities, e);
}

bool confine(const Confinement& c, ChildError& e) {
  return drop_bounding_set(c, e) && change_user(c, e) && set_capabilities(c, e) &&
         set_no_new_privs(c, e) && load_filter(c, e) && finish_capabilities(c, e);
}

}  // namespace contain::kernel
