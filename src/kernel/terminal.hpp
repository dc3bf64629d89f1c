// Pseudo-terminals for `run -t` and `exec -t`: the child makes one of its own
// (its controlling terminal, its stdin, stdout and stderr) and hands the master
// side to the parent over the sync socket; the parent relays between its own
// stdio and that master, with its own terminal, if any, in raw mode.
#pragma once

#include <sys/ioctl.h>
#include <termios.h>

#include <optional>

#include "core/error.hpp"
#include "core/unique_fd.hpp"
#include "kernel/child.hpp"

namespace contain::kernel {

// The byte that comes with the master descriptor over the sync socket.
inline constexpr char kTerminalReady = 'T';

// Child, after it has joined or made its namespaces and root: opens `ptmx`
// (the multiplexer of the devpts instance the path resolves to), unlocks it,
// gives it `size` if any, and makes its peer the controlling terminal of a new
// session (setsid: the caller must not lead a process group) and descriptors
// 0, 1 and 2. The master (CLOEXEC) goes to the parent over `sync_fd` with
// kTerminalReady and is closed here. `pts_number` gets the peer's index in its
// devpts (for /dev/console). No allocation.
bool make_controlling_terminal(const char* ptmx, const winsize* size, int sync_fd, int& pts_number,
                               ChildError& e);

// Child, --rootfs, after pivot_root: /dev/pts/N bound over /dev/console (an
// empty file made first, as runc does), so that what writes to the console
// reaches the caller's terminal.
bool bind_console(int pts_number, ChildError& e);

// Parent: what came first over the sync socket after the go: the master
// (returned), or the child's error report (`report` filled, empty fd), or EOF
// (empty fd, report.err == 0: the child died without a word).
UniqueFd receive_terminal(int sync_fd, ChildError& report);

// The window size of `fd` if it is a terminal.
std::optional<winsize> window_size(int fd);

// Our stdin in raw mode while this lives, if it is a terminal: keys go to the
// container's terminal as typed (Ctrl-C included, which its line discipline
// turns into SIGINT for its foreground group). Restored on destruction.
class RawMode {
 public:
  explicit RawMode(int fd);
  RawMode(const RawMode&) = delete;
  RawMode& operator=(const RawMode&) = delete;
  ~RawMode();

 private:
  int fd_ = -1;
  termios saved_{};
};

// Parent: relays stdin -> master and master -> stdout until the command
// (`pidfd`) has exited and the master is drained (EIO: every holder of the
// peer is gone; or, should something the command left behind keep it open, no
// output for 200 ms after the exit). The window size of stdin is copied to the
// master on SIGWINCH. Event-driven: one poll over stdin, master, pidfd and a
// signalfd.
Status relay_terminal(int master, int pidfd);

// The monitor of a detached -t container: appends what the command writes to
// its terminal to `log` as the terminal gives it (`\r\n` line ends, as Docker's
// log of a -t container), until the command (`pidfd`) has exited and the
// master is drained. Nothing is written to the master: the command's input
// stays open and empty. The master stays open all along, so the command never
// gets a hangup (SIGHUP, EIO) from its terminal, even once nothing holds its
// peer for a while. A log that cannot be written loses that output, not the
// container. Event-driven: one poll over master and pidfd.
Status log_terminal_output(int master, int pidfd, int log);

}  // namespace contain::kernel
