#include "engine/foreground.hpp"

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel/process.hpp"
#include "kernel/terminal.hpp"

namespace contain::engine {

namespace {

// Read by the handler: only lock-free atomic types of the size of an int.
volatile sig_atomic_t g_forward_pidfd = -1;
volatile sig_atomic_t g_pending_signal = 0;

void forward_signal(int sig, siginfo_t* info, void*) {
  if (info && info->si_code == SI_KERNEL) return;
  if (g_forward_pidfd >= 0)
    ::syscall(SYS_pidfd_send_signal, g_forward_pidfd, sig, nullptr, 0);
  else
    g_pending_signal = sig;
}

}  // namespace

SignalForwarding::SignalForwarding() {
  sigset_t four;
  sigemptyset(&four);
  for (int sig : kSignals) sigaddset(&four, sig);
  blocked_ = ::sigprocmask(SIG_BLOCK, &four, &old_mask_) == 0;
  struct sigaction forward {};
  forward.sa_sigaction = forward_signal;
  forward.sa_flags = SA_SIGINFO | SA_RESTART;
  for (int i = 0; i < 4; ++i) ::sigaction(kSignals[i], &forward, &old_[i]);
}

SignalForwarding::~SignalForwarding() {
  g_forward_pidfd = -1;
  g_pending_signal = 0;
  // Dispositions first: a signal still held (no command was started) then
  // acts as if we had never caught it.
  for (int i = 0; i < 4; ++i) ::sigaction(kSignals[i], &old_[i], nullptr);
  if (blocked_) ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
}

void SignalForwarding::forward_to(int pidfd) {
  g_forward_pidfd = pidfd;
  if (int sig = g_pending_signal) ::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0);
  // What came while blocked is delivered now, to the handler, which passes it on.
  if (blocked_) ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
  blocked_ = false;
}

void SignalForwarding::restore_in_child() const {
  for (int i = 0; i < 4; ++i) ::sigaction(kSignals[i], &old_[i], nullptr);
  ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
}

TerminalHandoff::TerminalHandoff(bool take) {
  if (take && ::isatty(STDIN_FILENO) && ::tcgetpgrp(STDIN_FILENO) == ::getpgrp())
    fd_ = STDIN_FILENO;
}

TerminalHandoff::~TerminalHandoff() {
  if (!given_) return;
  // We are a background group now: taking the terminal back raises SIGTTOU
  // unless it is blocked.
  sigset_t ttou, old;
  sigemptyset(&ttou);
  sigaddset(&ttou, SIGTTOU);
  ::sigprocmask(SIG_BLOCK, &ttou, &old);
  ::tcsetpgrp(fd_, ::getpgrp());
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
}

void TerminalHandoff::give_to(pid_t pid) {
  if (fd_ < 0) return;
  ::setpgid(pid, pid);
  given_ = ::tcsetpgrp(fd_, pid) == 0;
}

void await_go(const TerminalHandoff& terminal, int sync_fd, char go) {
  if (terminal.active()) ::setpgid(0, 0);
  char byte = 0;
  ssize_t n;
  do n = ::recv(sync_fd, &byte, 1, 0);
  while (n < 0 && errno == EINTR);
  if (n != 1 || byte != go) ::_exit(1);
}

Status relay_terminal_or_kill(int master, int pidfd) {
  auto relayed = kernel::relay_terminal(master, pidfd);
  if (!relayed) (void)kernel::signal_pidfd(pidfd, SIGKILL);
  return relayed;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return kernel::shell_status(status);
}

}  // namespace contain::engine
