// A command in the foreground of `contain run`, `contain exec` and `contain
// net exec`: signals sent to contain reach it, and the terminal is its while it
// runs. One implementation for the three.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "core/error.hpp"

namespace contain::engine {

// While a foreground command runs, SIGINT, SIGQUIT, SIGTERM and SIGHUP sent to
// us go to it. Those the terminal sends (SI_KERNEL) reached its whole
// foreground process group already, the command included, and are not doubled
// (nor do they end us). Made before the command exists, it also blocks the
// four until forward_to: one that comes meanwhile waits, in us (then it is
// passed on) or in the new child (then it acts once the child has set its
// dispositions back and unblocked it), so that no signal can leave the command
// running without us, or reach our handler inside the child. One at a time
// per process.
class SignalForwarding {
 public:
  SignalForwarding();
  SignalForwarding(const SignalForwarding&) = delete;
  SignalForwarding& operator=(const SignalForwarding&) = delete;
  ~SignalForwarding();
  // The command's pidfd: signals from now on go to it; the four are unblocked.
  void forward_to(int pidfd);
  // Child, before exec: the caller's dispositions and signal mask back
  // (sigaction and sigprocmask are async-signal-safe).
  void restore_in_child() const;
  // Child that resets its dispositions itself: the mask to set after that.
  const sigset_t& caller_mask() const { return old_mask_; }

 private:
  static constexpr int kSignals[4] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP};
  struct sigaction old_[4];
  sigset_t old_mask_;
  bool blocked_ = false;
};

// A foreground command on a terminal gets the terminal: its process group
// becomes the foreground one, as a shell does for a job, and we take it back
// when the command is done. The child calls setpgid(0, 0) when active() and
// waits for the parent's go before exec, so it never reads a terminal that is
// not yet its.
class TerminalHandoff {
 public:
  // `take` false: never (the command gets a terminal of its own, -t).
  explicit TerminalHandoff(bool take = true);
  TerminalHandoff(const TerminalHandoff&) = delete;
  TerminalHandoff& operator=(const TerminalHandoff&) = delete;
  ~TerminalHandoff();
  bool active() const { return fd_ >= 0; }
  // Both sides call setpgid, so it holds whoever runs first.
  void give_to(pid_t pid);

 private:
  int fd_ = -1;
  bool given_ = false;
};

// Child of a foreground command (`exec`, `net exec`), after clone, before
// exec: a process group of its own when the terminal is to be handed to it,
// then the parent's `go` byte, sent once the terminal is its. EOF or another
// byte means the parent is gone (killed between clone and go): the command
// must not run without it, and the child exits. Async-signal-safe.
void await_go(const TerminalHandoff& terminal, int sync_fd, char go);

// -t: relays between our stdio and the command's pseudo-terminal `master`
// until the command (`pidfd`) exits. Should the relay fail, the command is
// killed: it must not run on without us.
Status relay_terminal_or_kill(int master, int pidfd);

// Waits for our child `pid` and returns its status as a shell reports it.
int wait_for(pid_t pid);

}  // namespace contain::engine
