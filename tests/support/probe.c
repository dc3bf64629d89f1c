// probe: what may a process do? Prints one "key value" line per question, for
// integration tests to compare with what a container should allow:
//   CapEff/CapPrm/CapBnd/CapInh/CapAmb/NoNewPrivs/Seccomp  from /proc/self/status
//   <call> ok|ENAME                                        for each system call tried
//   read:<path> / write:<path> ok|ENAME|absent             for masked and read-only paths
// Every call is made so that success changes nothing that matters (a mount on
// a fresh directory of its own, reboot(0) which is no valid command, ...).
// Static, so that it runs in any root file system.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

static const char* errno_name(int err) {
  switch (err) {
    case 0:
      return "ok";
    case EPERM:
      return "EPERM";
    case ENOENT:
      return "ENOENT";
    case ESRCH:
      return "ESRCH";
    case EINTR:
      return "EINTR";
    case EIO:
      return "EIO";
    case EBADF:
      return "EBADF";
    case ECHILD:
      return "ECHILD";
    case EAGAIN:
      return "EAGAIN";
    case ENOMEM:
      return "ENOMEM";
    case EACCES:
      return "EACCES";
    case EFAULT:
      return "EFAULT";
    case EBUSY:
      return "EBUSY";
    case EEXIST:
      return "EEXIST";
    case ENOTDIR:
      return "ENOTDIR";
    case EISDIR:
      return "EISDIR";
    case EINVAL:
      return "EINVAL";
    case ENOSPC:
      return "ENOSPC";
    case EROFS:
      return "EROFS";
    case ENOSYS:
      return "ENOSYS";
    case EAFNOSUPPORT:
      return "EAFNOSUPPORT";
    case EPROTONOSUPPORT:
      return "EPROTONOSUPPORT";
    case EADDRINUSE:
      return "EADDRINUSE";
    case EOPNOTSUPP:
      return "EOPNOTSUPP";
    case ENODEV:
      return "ENODEV";
    default: {
      static char buf[16];
      snprintf(buf, sizeof buf, "E%d", err);
      return buf;
    }
  }
}

static void report(const char* what, long rc) {
  printf("%s %s\n", what, errno_name(rc < 0 ? errno : 0));
}

static void status_lines(void) {
  FILE* f = fopen("/proc/self/status", "r");
  if (!f) {
    printf("status %s\n", errno_name(errno));
    return;
  }
  char line[256];
  while (fgets(line, sizeof line, f)) {
    static const char* keys[] = {"CapInh:",     "CapPrm:",  "CapEff:", "CapBnd:", "CapAmb:",
                                 "NoNewPrivs:", "Seccomp:", "Uid:",    "Gid:",    "Groups:"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; ++i)
      if (strncmp(line, keys[i], strlen(keys[i])) == 0) {
        char* value = line + strlen(keys[i]);
        while (*value == '\t' || *value == ' ') ++value;
        // "Uid: 0 0 0 0" -> "Uid 0 0 0 0"
        printf("%.*s %s", (int)strlen(keys[i]) - 1, keys[i], value);
      }
  }
  fclose(f);
}

// A child that does `call` and exits with its errno: calls that change the
// calling process (unshare, personality, setns) leave the probe as it was.
static void in_child(const char* what, long (*call)(void)) {
  pid_t pid = fork();
  if (pid < 0) {
    printf("%s fork-%s\n", what, errno_name(errno));
    return;
  }
  if (pid == 0) _exit(call() < 0 ? errno : 0);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  printf("%s %s\n", what, WIFEXITED(status) ? errno_name(WEXITSTATUS(status)) : "killed");
}

static long do_unshare_ns(void) { return unshare(CLONE_NEWNS); }
static long do_unshare_user(void) { return unshare(CLONE_NEWUSER); }
static long do_personality(void) {
  // READ_IMPLIES_EXEC: refused by the default profile.
  long rc = syscall(SYS_personality, 0x0400000);
  return rc < 0 ? rc : 0;
}
static long do_clone_newnet(void) {
  long rc = syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0);
  if (rc == 0) _exit(0);
  if (rc > 0) waitpid((pid_t)rc, NULL, 0);
  return rc < 0 ? rc : 0;
}
static long do_clone3(void) {
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.exit_signal = SIGCHLD;
  long rc = syscall(SYS_clone3, &args, sizeof args);
  if (rc == 0) _exit(0);
  if (rc > 0) waitpid((pid_t)rc, NULL, 0);
  return rc < 0 ? rc : 0;
}
static long do_ptrace_parent(void) { return ptrace(PTRACE_SEIZE, getppid(), NULL, NULL); }
static long do_sethostname(void) { return sethostname("probe", 5); }

static void path_access(const char* path) {
  char key[300];
  struct stat st;
  if (lstat(path, &st) < 0) {
    printf("read:%s absent\nwrite:%s absent\n", path, path);
    return;
  }
  snprintf(key, sizeof key, "read:%s", path);
  if (S_ISDIR(st.st_mode)) {
    // A masked directory is an empty tmpfs: count what is in it.
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    report(key, fd);
    if (fd >= 0) close(fd);
    char probe_file[300];
    snprintf(probe_file, sizeof probe_file, "%s/.probe", path);
    snprintf(key, sizeof key, "write:%s", path);
    fd = open(probe_file, O_WRONLY | O_CREAT | O_EXCL, 0600);
    report(key, fd);
    if (fd >= 0) {
      close(fd);
      unlink(probe_file);
    }
    return;
  }
  int fd = open(path, O_RDONLY | O_NONBLOCK);
  if (fd >= 0) {
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf);
    // A file masked by /dev/null reads as empty.
    printf("%s %s\n", key, n < 0 ? errno_name(errno) : n == 0 ? "empty" : "ok");
    close(fd);
  } else {
    report(key, fd);
  }
  snprintf(key, sizeof key, "write:%s", path);
  // Opening for writing is the question; nothing is written.
  fd = open(path, O_WRONLY | O_NONBLOCK);
  report(key, fd);
  if (fd >= 0) close(fd);
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  status_lines();
  in_child("unshare-mnt", do_unshare_ns);
  in_child("unshare-user", do_unshare_user);

  // mount and umount2 on a directory of our own, in a private mount namespace
  // when we may make one, so the host never sees it.
  char dir[] = "/tmp/probe-XXXXXX";
  const char* target = mkdtemp(dir) ? dir : "/";
  long rc = mount("none", target, "tmpfs", 0, "size=4k");
  report("mount", rc);
  // Without a mount of our own, a path that does not exist: ENOENT when the
  // filter lets the call through, EPERM when it does not.
  report("umount2", rc == 0 ? umount2(target, 0) : umount2("/nonexistent-probe", 0));
  if (target == dir) rmdir(dir);
  // pivot_root with bad arguments: the filter's EPERM comes first, else EINVAL or EBUSY.
  report("pivot_root", syscall(SYS_pivot_root, "/nonexistent-new", "/nonexistent-old"));
  report("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0));
  report("init_module", syscall(SYS_init_module, NULL, 0, ""));
  report("bpf", syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, NULL, 0));
  report("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0));
  report("add_key", syscall(SYS_add_key, "user", "probe", "x", 1, -3));
  // ptrace of a process that is not our child: a child seizes its parent (no
  // stop; its exit detaches).
  in_child("ptrace", do_ptrace_parent);
  in_child("clone-newnet", do_clone_newnet);
  in_child("clone3", do_clone3);
  report("syscall1000", syscall(1000));
  report("swapon", syscall(SYS_swapon, "/nonexistent-swap", 0));
  report("reboot", syscall(SYS_reboot, 0, 0, 0, NULL));
  in_child("sethostname", do_sethostname);
  int vsock = socket(AF_VSOCK, SOCK_STREAM, 0);
  report("socket-vsock", vsock);
  if (vsock >= 0) close(vsock);
  int alg = socket(38 /* AF_ALG */, SOCK_SEQPACKET, 0);
  report("socket-alg", alg);
  if (alg >= 0) close(alg);
  int inet = socket(AF_INET, SOCK_STREAM, 0);
  report("socket-inet", inet);
  if (inet >= 0) close(inet);
  in_child("personality", do_personality);

  static const char* paths[] = {"/proc/acpi",
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
                                "/sys/firmware",
                                "/proc/bus",
                                "/proc/fs",
                                "/proc/irq",
                                "/proc/sys",
                                "/proc/sysrq-trigger",
                                "/proc/sys/kernel/hostname"};
  for (size_t i = 0; i < sizeof paths / sizeof *paths; ++i) path_access(paths[i]);
  for (int i = 1; i < argc; ++i) path_access(argv[i]);
  return 0;
}
