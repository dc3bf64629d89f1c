#include "engine/container/child.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "kernel/cgroup.hpp"
#include "kernel/confine.hpp"
#include "kernel/mount.hpp"
#include "kernel/netlink/link.hpp"
#include "kernel/process.hpp"
#include "kernel/userns.hpp"

namespace contain::engine::detail {

namespace {

using kernel::ChildError;

// --- The stages, in the order they run. All run in the child, as root, in the
// new PID, UTS, IPC and mount namespaces (and the new network namespace
// unless the container joins a named one), before exec; the cgroup namespace
// comes once the child is in its cgroups (v1: it joins them first thing; v2:
// the parent places it before the go). ---

// Signals as a fresh process expects them: the parent may ignore SIGINT while
// it waits, and ignored signals would survive exec. Only those not at their
// default are touched (one system call each). If the parent dies before
// exec, so do we (the sync socket also says so: EOF instead of "ready").
bool reset_signals(const ChildPlan& plan, ChildError& e) {
  if (plan.parent_sync_fd >= 0) ::close(plan.parent_sync_fd);
  kernel::reset_signals(plan.signals_to_reset);
  sigset_t none;
  sigemptyset(&none);
  if (::sigprocmask(SIG_SETMASK, &none, nullptr) < 0) return e.fail("reset the signal mask");
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) return e.fail("set the parent-death signal");
  return true;
}

// cgroups (v1): the child moves itself, while it is still one thread, into
// the groups whose `tasks` files the parent opened; then closes them. The
// parent placing it through cgroup.procs would wait for an RCU grace period
// (see kernel::cgroup::open_tasks). Before anything else, so that everything
// the child does and starts counts against the container's limits.
bool join_cgroups(const ChildPlan& plan, ChildError& e) {
  for (int i = 0; i < plan.cgroup_tasks_fd_count; ++i) {
    if (!kernel::cgroup::join_self(plan.cgroup_tasks_fds[i], e)) return false;
    ::close(plan.cgroup_tasks_fds[i]);
  }
  return true;
}

// Session: an interactive command owns the terminal (the parent hands it over),
// so that a shell's job control finds its own group in the foreground and
// Ctrl-C reaches the command, not us.
bool process_group(const ChildPlan& plan, ChildError& e) {
  if (plan.own_process_group && ::setpgid(0, 0) < 0) return e.fail("create a process group");
  return true;
}

// Descriptors: the command gets stdin, stdout and stderr, nothing else of
// ours or of our caller's (everything above 2 closes at exec).
bool close_inherited_descriptors(const ChildPlan&, ChildError& e) {
  return kernel::close_inherited_descriptors(e);
}

// Detached containers write to their log file and read nothing.
bool redirect_stdio(const ChildPlan& plan, ChildError& e) {
  const int fds[3] = {plan.stdin_fd, plan.stdout_fd, plan.stderr_fd};
  for (int target = 0; target < 3; ++target)
    if (fds[target] >= 0 && ::dup2(fds[target], target) < 0)
      return e.fail("redirect fd %d", target);
  return true;
}

// User namespace (--userns, rootless): the parent writes our maps; until then
// we are nobody inside and must touch no file. With the maps come the
// idmapped mounts it made. Then we become the container's root: every
// capability, in this user namespace only.
bool join_user_namespace(const ChildPlan& plan, ChildError& e) {
  if (!plan.userns) return true;
  return kernel::receive_with_fds(plan.sync_fd, kMapsReady, plan.mount_fds, plan.mount_fd_count,
                                  e) &&
         kernel::become_root_inside(e);
}

// Network namespace (--network netns:NS): enter the named one instead of a new one.
bool join_named_netns(const ChildPlan& plan, ChildError& e) {
  if (plan.join_netns_fd < 0) return true;
  if (::setns(plan.join_netns_fd, CLONE_NEWNET) < 0) return e.fail("enter the network namespace");
  return true;
}

// Mount namespace: nothing propagates to or from the host from here on.
bool private_mounts(const ChildPlan&, ChildError& e) { return kernel::make_mounts_private(e); }

// Still the host's /proc, as root: the OOM score (0 unless --oom-score-adj,
// whatever ours is) and --ulimit limits, inherited by everything in the container.
// In a user namespace the parent set both from outside (configure_userns).
bool oom_score_adj(const ChildPlan& plan, ChildError& e) {
  if (plan.userns) return true;
  return kernel::set_oom_score_adj(plan.security->oom_score_adj, e);
}

bool resource_limits(const ChildPlan& plan, ChildError& e) {
  if (plan.userns) return true;
  for (const auto& limit : plan.security->ulimits)
    if (!kernel::set_rlimit(limit.resource, limit.soft, limit.hard, e)) return false;
  return true;
}

// A path inside the container's future root (the rootfs before pivot_root,
// or the host's / shared), in a buffer of the caller's.
const char* inside(const ChildPlan& plan, const std::string& path, char (&buffer)[4200]) {
  std::snprintf(buffer, sizeof buffer, "%s%s", plan.rootfs ? plan.rootfs : "", path.c_str());
  return buffer;
}

// The idmapped root the parent sent, or -1 (no user namespace, or rootless).
int root_mount_fd(const ChildPlan& plan) { return plan.idmapped_root ? plan.mount_fds[0] : -1; }

// Mount namespace, --overlay: DIR stays untouched below a tmpfs holding the
// writable layer; plan.rootfs is the merged view.
// With a user namespace, the lower layer is the idmapped copy of DIR.
bool overlay_root(const ChildPlan& plan, ChildError& e) {
  if (!plan.lower_rootfs) return true;
  return kernel::mount_overlay_root(plan.lower_rootfs, plan.rootfs, root_mount_fd(plan), e);
}

// Mount namespace: the rootfs prepared to become / (with /proc, /dev, /sys),
// or, sharing the host's files, a fresh /proc that shows only the container.
bool file_system(const ChildPlan& plan, ChildError& e) {
  if (!plan.rootfs) return kernel::mount_proc("/proc", e);
  int root_fd = plan.lower_rootfs ? -1 : root_mount_fd(plan);
  return kernel::prepare_rootfs(plan.rootfs, plan.prepared->shm_options.c_str(), root_fd, e);
}

// Mount namespace, --device with --rootfs: the node in the container's /dev
// (a tmpfs of its own); the devices cgroup allows it.
bool device_nodes(const ChildPlan& plan, ChildError& e) {
  char target[4200];
  for (const auto& node : plan.prepared->cgroups.device_nodes) {
    const char* path = inside(plan, node.path, target);
    ::unlink(path);
    if (::mknod(path, node.mode, node.device) < 0) return e.fail("create device %s", path);
    // mknod obeys the umask.
    if (::chmod(path, node.mode & 07777) < 0) return e.fail("chmod device %s", path);
  }
  return true;
}

// Mount namespace: -v binds from the host, then --tmpfs mounts.
bool volumes(const ChildPlan& plan, ChildError& e) {
  char target[4200];
  const auto& volumes = plan.security->volumes;
  for (std::size_t i = 0; i < volumes.size(); ++i) {
    const auto& volume = volumes[i];
    int index = plan.volume_fd_index ? plan.volume_fd_index[i] : -1;
    bool ok = index >= 0
                  ? kernel::attach_volume(volume.host.c_str(), plan.mount_fds[index],
                                          inside(plan, volume.container, target), e)
                  : kernel::bind_volume(volume.host.c_str(), inside(plan, volume.container, target),
                                        volume.read_only, e);
    if (!ok) return false;
  }
  return true;
}

bool tmpfs_mounts(const ChildPlan& plan, ChildError& e) {
  char target[4200];
  for (std::size_t i = 0; i < plan.security->tmpfs.size(); ++i) {
    const auto& t = plan.security->tmpfs[i];
    unsigned long flags = (t.read_only ? MS_RDONLY : 0) | (t.noexec ? MS_NOEXEC : 0) |
                          (t.nosuid ? MS_NOSUID : 0) | (t.nodev ? MS_NODEV : 0);
    if (!kernel::mount_tmpfs(inside(plan, t.path, target), flags,
                             plan.prepared->tmpfs_data[i].c_str(), e))
      return false;
  }
  return true;
}

// Mount namespace, --read-only: the root's own mount becomes read-only; the
// mounts on it (/proc, /dev, volumes, tmpfs) keep their modes.
bool read_only_root(const ChildPlan& plan, ChildError& e) {
  if (!plan.security->read_only) return true;
  return kernel::remount_read_only(plan.rootfs ? plan.rootfs : "/", e);
}

// Mount namespace: pivot_root into the rootfs; the old root is detached.
bool pivot(const ChildPlan& plan, ChildError& e) {
  return !plan.rootfs || kernel::pivot_into(plan.rootfs, e);
}

// Mount namespace, the container's /proc and /sys: Docker's masked and
// read-only paths (not with --privileged).
bool masked_paths(const ChildPlan& plan, ChildError& e) {
  return !plan.prepared->masked_paths || kernel::mask_paths("", e);
}

// UTS namespace.
bool hostname(const ChildPlan& plan, ChildError& e) {
  if (::sethostname(plan.hostname, std::strlen(plan.hostname)) < 0)
    return e.fail("set the hostname to %s", plan.hostname);
  return true;
}

// Network namespace, a new one: only loopback exists, and it starts down.
bool loopback(const ChildPlan& plan, ChildError& e) {
  return plan.join_netns_fd >= 0 || plan.netns_from_clone || kernel::bring_loopback_up(e);
}

// The parent configures the network from outside (links into our namespace,
// addresses, routes) meanwhile; it says when it is done.
bool wait_for_network(const ChildPlan& plan, ChildError& e) {
  char byte = 0;
  ssize_t n;
  do n = ::recv(plan.sync_fd, &byte, 1, 0);
  while (n < 0 && errno == EINTR);
  if (n == 1 && byte == kNetworkReady) return true;
  if (n == 0) errno = EPIPE;
  return e.fail("wait for the network to be ready");
}

// Cgroup namespace, made only now that the parent has placed us in our
// cgroups: inside, /proc/self/cgroup shows "/" and the groups above ours
// are out of sight.
bool cgroup_namespace(const ChildPlan&, ChildError& e) {
  if (::unshare(CLONE_NEWCGROUP) < 0) return e.fail("create the cgroup namespace");
  return true;
}

// -t, after pivot_root and the go: the terminal comes from whatever devpts
// /dev/ptmx resolves to now, which is the container's own instance (or, without
// --rootfs, the host's): resolved inside the new root, no link the rootfs holds
// can lead it elsewhere. With --rootfs, /dev/console is that terminal too. The
// master goes to the parent, which has already sent the go and waits for it.
bool terminal(const ChildPlan& plan, ChildError& e) {
  if (!plan.tty) return true;
  int pts_number = -1;
  if (!kernel::make_controlling_terminal("/dev/ptmx", plan.has_window ? &plan.window : nullptr,
                                         plan.sync_fd, pts_number, e))
    return false;
  return !plan.rootfs || kernel::bind_console(pts_number, e);
}

// The container's root (after pivot_root) or the host's.
bool working_directory(const ChildPlan& plan, ChildError& e) {
  if (::chdir(plan.workdir) < 0) return e.fail("enter the working directory %s", plan.workdir);
  return true;
}

// --- Privileges, in the kernel's order, last before exec (kernel/confine). ---

// CAP_SETPCAP still held: the bounding set shrinks to the container's set.
bool bounding_set(const ChildPlan& plan, ChildError& e) {
  return kernel::drop_bounding_set(plan.confinement, e);
}

// --user: groups, gid, uid; the permitted set kept across the change (a
// non-root command still loses it at exec, as in Docker).
bool user_and_groups(const ChildPlan& plan, ChildError& e) {
  return kernel::change_user(plan.confinement, e);
}

// Permitted and effective become the container's set (plus CAP_SYS_ADMIN until
// the filter is in, when no_new_privs is off); inheritable and ambient empty.
bool capabilities(const ChildPlan& plan, ChildError& e) {
  return kernel::set_capabilities(plan.confinement, e);
}

bool no_new_privs(const ChildPlan& plan, ChildError& e) {
  return kernel::set_no_new_privs(plan.confinement, e);
}

// Last but one: every call after it must pass the filter (capset, execve).
bool seccomp_filter(const ChildPlan& plan, ChildError& e) {
  return kernel::load_filter(plan.confinement, e);
}

bool drop_filter_privilege(const ChildPlan& plan, ChildError& e) {
  return kernel::finish_capabilities(plan.confinement, e);
}

using Stage = bool (*)(const ChildPlan&, ChildError&);
constexpr Stage kStages[] = {reset_signals,
                             join_cgroups,
                             process_group,
                             redirect_stdio,
                             close_inherited_descriptors,
                             join_user_namespace,
                             oom_score_adj,
                             resource_limits,
                             join_named_netns,
                             private_mounts,
                             overlay_root,
                             file_system,
                             device_nodes,
                             volumes,
                             tmpfs_mounts,
                             read_only_root,
                             pivot,
                             masked_paths,
                             hostname,
                             loopback,
                             wait_for_network,
                             terminal,
                             cgroup_namespace,
                             working_directory,
                             bounding_set,
                             user_and_groups,
                             capabilities,
                             no_new_privs,
                             seccomp_filter,
                             drop_filter_privilege};

// Replaces the process with the command, PATH looked up in its environment.
[[noreturn]] void exec_command(const ChildPlan& plan) {
  kernel::exec_or_report(plan.argv, plan.envp, plan.sync_fd);
}

// --init: PID 1 of the container is this loop. The command runs as PID 2; we
// reap every zombie (orphans are re-parented to PID 1) and pass signals on.
// Our exit status is the command's.
[[noreturn]] void run_init(const ChildPlan& plan) {
  sigset_t all, old;
  sigfillset(&all);
  ::sigprocmask(SIG_SETMASK, &all, &old);
  // Init keeps no descriptor: nothing of ours or our caller's stays in the
  // container. The command, which still needs the sync socket to report a
  // failed exec, waits until init has closed everything (EOF on `closed`), so
  // it never sees init holding a descriptor.
  int closed[2];
  ChildError e;
  if (::pipe2(closed, O_CLOEXEC) < 0) {
    e.fail("start the command under --init");
    kernel::child_exit_with(plan.sync_fd, e);
  }
  pid_t command = ::fork();
  if (command < 0) {
    e.fail("start the command under --init");
    kernel::child_exit_with(plan.sync_fd, e);
  }
  if (command == 0) {
    ::close(closed[1]);
    char byte;
    while (::read(closed[0], &byte, 1) < 0 && errno == EINTR) {
    }
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    exec_command(plan);
  }
  ::close_range(3, ~0U, 0);
  for (;;) {
    siginfo_t info;
    int sig = ::sigwaitinfo(&all, &info);
    if (sig < 0) continue;
    if (sig == SIGCHLD) {
      for (;;) {
        int status = 0;
        pid_t done = ::waitpid(-1, &status, WNOHANG);
        if (done <= 0) break;
        if (done == command) ::_exit(kernel::shell_status(status));
      }
      continue;
    }
    // A signal from the terminal (SI_KERNEL) reached the whole foreground
    // process group, the command included: passing it on would double it.
    if (info.si_code != SI_KERNEL) ::kill(command, sig);
  }
}

}  // namespace

void run_container_child(const ChildPlan& plan) {
  ChildError e;
  for (Stage stage : kStages)
    if (!stage(plan, e)) kernel::child_exit_with(plan.sync_fd, e);
  if (plan.init) run_init(plan);
  exec_command(plan);
}

}  // namespace contain::engine::detail
