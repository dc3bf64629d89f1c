#include "kernel/terminal.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace contain::kernel {

namespace {

bool send_fd(int sock, char byte, int fd) {
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  ssize_t n;
  do n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n == 1;
}

// Writes all of it (blocking), or fails.
bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd out{fd, POLLOUT, 0};
      ::poll(&out, 1, -1);
      continue;
    }
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

bool make_controlling_terminal(const char* ptmx, const winsize* size, int sync_fd, int& pts_number,
                               ChildError& e) {
  int master = ::open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return e.fail("open %s for a terminal", ptmx);
  int unlock = 0;
  bool ok = ::ioctl(master, TIOCSPTLCK, &unlock) == 0 || e.fail("unlock the terminal %s", ptmx);
  // Before the command can ask for it: set here, not by the parent after it
  // received the master, which would race with a command that reads it first.
  if (ok && size && ::ioctl(master, TIOCSWINSZ, size) < 0) ok = e.fail("set the window size");
  if (ok && ::ioctl(master, TIOCGPTN, &pts_number) < 0) ok = e.fail("number the terminal");
  // The peer from the master itself, not by path: it is that instance's,
  // whatever /dev/pts is in this root.
  int peer = ok ? ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY) : -1;
  if (ok && peer < 0) ok = e.fail("open the terminal's peer");
  if (ok && ::setsid() < 0) ok = e.fail("start a session for the terminal");
  if (ok && ::ioctl(peer, TIOCSCTTY, 0) < 0) ok = e.fail("make the terminal the controlling one");
  for (int target = 0; ok && target < 3; ++target)
    if (::dup2(peer, target) < 0) ok = e.fail("redirect fd %d to the terminal", target);
  if (ok && !send_fd(sync_fd, kTerminalReady, master)) ok = e.fail("hand the terminal to contain");
  if (peer > 2) ::close(peer);
  ::close(master);
  return ok;
}

bool bind_console(int pts_number, ChildError& e) {
  char pts[64];
  std::snprintf(pts, sizeof pts, "/dev/pts/%d", pts_number);
  int fd = ::open("/dev/console", O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return e.fail("create /dev/console");
  ::close(fd);
  if (::mount(pts, "/dev/console", nullptr, MS_BIND, nullptr) < 0)
    return e.fail("bind %s over /dev/console", pts);
  return true;
}

UniqueFd receive_terminal(int sync_fd, ChildError& report) {
  report = ChildError{};
  iovec iov{&report, sizeof report};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  bool reset_seen = false;
  for (;;) {
    n = ::recvmsg(sync_fd, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    // As read_child_error: a child that failed with our go unread resets the
    // connection once before its report.
    if (n < 0 && errno == ECONNRESET && !reset_seen) {
      reset_seen = true;
      continue;
    }
    break;
  }
  UniqueFd master;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
        c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
      master.reset(fd);
    }
  if (n == 1 && master) {
    char byte;
    std::memcpy(&byte, &report, 1);
    report = ChildError{};
    if (byte == kTerminalReady) return master;
    master.reset();
  }
  if (n != static_cast<ssize_t>(sizeof report)) report = ChildError{};
  report.what[sizeof report.what - 1] = '\0';
  return {};
}

std::optional<winsize> window_size(int fd) {
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) < 0) return std::nullopt;
  return size;
}

RawMode::RawMode(int fd) {
  if (!::isatty(fd) || ::tcgetattr(fd, &saved_) < 0) return;
  termios raw = saved_;
  ::cfmakeraw(&raw);
  if (::tcsetattr(fd, TCSANOW, &raw) == 0) fd_ = fd;
}

RawMode::~RawMode() {
  if (fd_ < 0) return;
  // Restoring from a background group would raise SIGTTOU.
  sigset_t ttou, old;
  sigemptyset(&ttou);
  sigaddset(&ttou, SIGTTOU);
  ::sigprocmask(SIG_BLOCK, &ttou, &old);
  ::tcsetattr(fd_, TCSANOW, &saved_);
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
}

Status relay_terminal(int master, int pidfd) {
  // SIGWINCH is ignored by default: blocked and read from a signalfd while we
  // relay; the size is copied once first, so a change before the block is not lost.
  sigset_t winch, old_mask;
  sigemptyset(&winch);
  sigaddset(&winch, SIGWINCH);
  if (::sigprocmask(SIG_BLOCK, &winch, &old_mask) < 0)
    return fail(Error::system("relay the terminal: block SIGWINCH"));
  struct RestoreMask {
    sigset_t mask;
    ~RestoreMask() { ::sigprocmask(SIG_SETMASK, &mask, nullptr); }
  } restore{old_mask};
  UniqueFd resized(::signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!resized) return fail(Error::system("relay the terminal: signalfd for SIGWINCH"));
  const bool stdin_is_terminal = ::isatty(STDIN_FILENO);
  auto copy_size = [&] {
    if (!stdin_is_terminal) return;
    if (auto size = window_size(STDIN_FILENO)) ::ioctl(master, TIOCSWINSZ, &*size);
  };
  copy_size();
  // Non-blocking master: a read after poll never hangs, and a command that
  // stopped reading its input cannot stop us relaying its output.
  ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
  RawMode raw(STDIN_FILENO);

  char input[4096];
  std::size_t pending = 0, pending_at = 0;  // stdin data not yet taken by the master
  bool stdin_open = true, exited = false;
  char output[16384];
  for (;;) {
    pollfd fds[4] = {{master, static_cast<short>(POLLIN | (pending ? POLLOUT : 0)), 0},
                     {pidfd, static_cast<short>(exited ? 0 : POLLIN), 0},
                     {resized.get(), POLLIN, 0},
                     {STDIN_FILENO, static_cast<short>(stdin_open && !pending ? POLLIN : 0), 0}};
    // Once the command has exited, its output is drained until EIO; the bound
    // only matters if something it left behind still holds the terminal.
    int ready = ::poll(fds, 4, exited ? 200 : -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return fail(Error::system("relay the terminal: poll"));
    }
    if (ready == 0) return {};
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(master, output, sizeof output);
      if (n > 0) {
        // Our stdout gone (a closed pipe) is no reason to stop: the command runs on.
        (void)write_all(STDOUT_FILENO, output, static_cast<std::size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        // EIO: no process holds the peer any more.
        if (exited) return {};
        // Before the exit is seen: stop polling the master, wait for the pidfd.
        pending = 0;
        stdin_open = false;
        pollfd exit_fd{pidfd, POLLIN, 0};
        while (::poll(&exit_fd, 1, -1) < 0 && errno == EINTR) {
        }
        return {};
      }
    }
    if (fds[0].revents & POLLOUT && pending) {
      ssize_t n = ::write(master, input + pending_at, pending - pending_at);
      if (n > 0) {
        pending_at += static_cast<std::size_t>(n);
        if (pending_at == pending) pending = pending_at = 0;
      } else if (n < 0 && errno != EINTR && errno != EAGAIN) {
        pending = pending_at = 0;
      }
    }
    if (fds[1].revents & POLLIN) exited = true;
    if (fds[2].revents & POLLIN) {
      signalfd_siginfo info;
      while (::read(resized.get(), &info, sizeof info) > 0) {
      }
      copy_size();
    }
    if (fds[3].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(STDIN_FILENO, input, sizeof input);
      if (n > 0) {
        pending = static_cast<std::size_t>(n);
        pending_at = 0;
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        // End of our input: the terminal's end-of-file character, as a user
        // would type it, so that a command reading a line sees EOF.
        stdin_open = false;
        input[0] = 0x04;
        pending = 1;
        pending_at = 0;
      }
    }
  }
}

Status log_terminal_output(int master, int pidfd, int log) {
  // Non-blocking: the reads after the exit stop at EAGAIN should something the
  // command passed on still hold the peer.
  ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
  char output[16384];
  // What is left, read until nothing is: once no process holds the peer, a
  // read first pushes what the kernel still had in flight (n_tty_read flushes
  // the terminal's buffer work), then says EIO; so nothing written before the
  // exit is lost.
  auto drain = [&] {
    for (;;) {
      ssize_t n = ::read(master, output, sizeof output);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      (void)write_all(log, output, static_cast<std::size_t>(n));
    }
  };
  bool peer_open = true;
  for (;;) {
    // EIO while the command lives (it closed its stdio, nothing else holds the
    // peer): the master is kept, but no longer polled (it would report
    // POLLHUP at once, for ever). Should the command reopen /dev/tty after
    // that, what it writes there reaches the log at its exit.
    pollfd fds[2] = {{pidfd, POLLIN, 0}, {master, static_cast<short>(peer_open ? POLLIN : 0), 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return fail(Error::system("log the terminal: poll"));
    }
    if (fds[0].revents & POLLIN) {
      drain();
      return {};
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(master, output, sizeof output);
      if (n > 0)
        (void)write_all(log, output, static_cast<std::size_t>(n));
      else if (n == 0 || (errno != EINTR && errno != EAGAIN))
        peer_open = false;
    }
  }
}

}  // namespace contain::kernel
