#include "kernel/userns.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

extern char** environ;

namespace contain::kernel {

namespace {

Status write_file(const std::string& path, const std::string& text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return fail(Error::system(fmt::format("open {}", path)));
  // One write: the kernel takes a map only whole, in a single write(2).
  ssize_t n = ::write(fd.get(), text.data(), text.size());
  if (n != static_cast<ssize_t>(text.size()))
    return fail(Error::system(fmt::format("write {} to {}", text.substr(0, text.find('\n')), path),
                              n < 0 ? errno : EIO));
  return {};
}

// Runs a setuid helper of the uidmap package and waits for it; its stderr,
// if it fails, becomes part of the error.
Status run_map_helper(const char* helper, pid_t pid, const std::vector<std::uint32_t>& args) {
  std::vector<std::string> strings{helper, std::to_string(pid)};
  for (auto a : args) strings.push_back(std::to_string(a));
  std::vector<char*> argv;
  for (auto& s : strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) < 0) return fail(Error::system("create a pipe"));
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 2);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t child = 0;
  int rc = ::posix_spawnp(&child, helper, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  write_end.reset();
  if (rc != 0)
    return fail(Error::system(
        fmt::format("run {} (install the 'uidmap' package, or remove your /etc/subuid and "
                    "/etc/subgid entries for a one-id map)",
                    helper),
        rc));
  std::string output;
  char buf[512];
  for (;;) {
    ssize_t n = ::read(read_end.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (output.size() < 4096) output.append(buf, static_cast<std::size_t>(n));
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
  for (auto& c : output)
    if (c == '\n') c = ' ';
  return fail(
      Error::failed(fmt::format("{} failed{}{} (check your entries in /etc/subuid and /etc/subgid)",
                                helper, output.empty() ? "" : ": ", output),
                    EPERM));
}

}  // namespace

Status write_id_maps(pid_t pid, const std::string& uid_map, const std::string& gid_map,
                     bool deny_setgroups) {
  TRY_WRAP(write_file(fmt::format("/proc/{}/uid_map", pid), uid_map), "write the uid map");
  if (deny_setgroups)
    TRY_WRAP(write_file(fmt::format("/proc/{}/setgroups", pid), "deny"), "deny setgroups");
  TRY_WRAP(write_file(fmt::format("/proc/{}/gid_map", pid), gid_map), "write the gid map");
  return {};
}

Status write_id_maps_with_helpers(pid_t pid, const std::vector<std::uint32_t>& uid_args,
                                  const std::vector<std::uint32_t>& gid_args) {
  TRY(run_map_helper("newuidmap", pid, uid_args));
  TRY(run_map_helper("newgidmap", pid, gid_args));
  return {};
}

Result<UniqueFd> open_user_namespace(pid_t pid) {
  std::string path = fmt::format("/proc/{}/ns/user", pid);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail(Error::system(fmt::format("open {}", path)));
  return fd;
}

Result<UniqueFd> idmapped_tree(const std::string& path, int userns_fd, bool recursive,
                               bool read_only, std::string_view what) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  UniqueFd tree(::open_tree(AT_FDCWD, path.c_str(), flags));
  if (!tree) return fail(Error::system(fmt::format("{}: copy the mount of {}", what, path)));
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_IDMAP | (read_only ? MOUNT_ATTR_RDONLY : 0);
  attr.userns_fd = static_cast<std::uint64_t>(userns_fd);
  if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
                      sizeof attr) == 0)
    return tree;
  int err = errno;
  if (err == EINVAL || err == EOPNOTSUPP)
    return fail(Error::failed(
        fmt::format("{}: the file system of {} cannot be idmapped (the kernel supports idmapped "
                    "mounts on ext4, xfs, btrfs, tmpfs (6.3+), overlayfs and a few others); "
                    "move it to one that can, or run without --userns",
                    what, path),
        err));
  return fail(Error::system(fmt::format("{}: idmap the mount of {}", what, path), err));
}

Status send_with_fds(int sock, char byte, const std::vector<int>& fds) {
  iovec iov{&byte, 1};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
  if (!fds.empty()) {
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t n;
  do n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n != 1) return fail(Error::system("tell the container its user namespace is ready"));
  return {};
}

bool receive_with_fds(int sock, char expected, int* fds, int max_fds, ChildError& e) {
  for (int i = 0; i < max_fds; ++i) fds[i] = -1;
  char byte = 0;
  iovec iov{&byte, 1};
  // Room for up to 64 descriptors (a container with more idmapped volumes is refused earlier).
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 64)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n == 0) errno = EPIPE;
  if (n != 1 || byte != expected) return e.fail("wait for the user namespace's id maps");
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int count = static_cast<int>((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    const unsigned char* data = CMSG_DATA(c);
    for (int i = 0; i < count && i < max_fds; ++i)
      std::memcpy(&fds[i], data + i * sizeof(int), sizeof(int));
  }
  return true;
}

bool become_root_inside(ChildError& e) {
  if (::setresgid(0, 0, 0) < 0) return e.fail("become group 0 in the user namespace");
  // Denied (EPERM) when setgroups was turned off for an unprivileged map: then
  // the process has no groups that could matter inside anyway.
  if (::setgroups(0, nullptr) < 0 && errno != EPERM) return e.fail("clear the groups");
  if (::setresuid(0, 0, 0) < 0) return e.fail("become root in the user namespace");
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) return e.fail("set the parent-death signal");
  return true;
}

bool attach_mount(int fd, const char* target, ChildError& e) {
  if (::move_mount(fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) == 0) return true;
  return e.fail("attach the idmapped mount on %s", target);
}

}  // namespace contain::kernel
