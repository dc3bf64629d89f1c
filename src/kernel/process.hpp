// Processes: clone3 with a pidfd, waiting, signalling, start times (namespaces.hpp joins them).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/names.hpp"
#include "core/unique_fd.hpp"

namespace contain::kernel {

// The status a shell would report for a waitpid() status.
int shell_status(int wait_status);

// clone3 with CLONE_PIDFD and `namespace_flags` (CLONE_NEW*) in one call; the
// child gets SIGCHLD's exit signal and, like fork, runs on a copy of the
// caller's stack. Returns 0 in the child, the pid (and its pidfd) in the parent.
// glibc 2.36 has no clone3 wrapper: this is the raw system call.
struct Cloned {
  pid_t pid = 0;
  UniqueFd pidfd;
};
Result<Cloned> clone_with_pidfd(std::uint64_t namespace_flags, int exit_signal = SIGCHLD);

// A pidfd for a process we did not create. ESRCH if it is gone.
Result<UniqueFd> open_pidfd(pid_t pid);
Status signal_pidfd(int pidfd, int signal);
// Waits until the process behind `pidfd` has exited (a zombie counts), at most
// `timeout_ms` (-1: no limit). Returns whether it exited.
Result<bool> wait_pidfd(int pidfd, int timeout_ms);

// The signals this process ignores or catches (bit N-1 for signal N; from
// SigIgn and SigCgt of /proc/self/status): the ones a child must set back to
// default before exec. All of them if the file cannot be read.
std::uint64_t signals_not_default();

// When the process started, in clock ticks since boot (field 22 of
// /proc/PID/stat): with the pid, it tells a process from a later one that
// reused its pid. nullopt if there is no such process.
std::optional<std::uint64_t> process_start_time(pid_t pid);
// True if `pid` runs and started at `start_time` (and is not a zombie).
bool process_alive(pid_t pid, std::uint64_t start_time);

// Before starting threads that will hold about `count` descriptors: raises the
// soft RLIMIT_NOFILE towards the hard one if it is lower, and grows the
// descriptor table to `count` entries at once. Once the table is shared by
// threads, each growth waits for an RCU grace period (expand_fdtable), which
// a lab of a thousand namespaces paid a dozen times. Best effort: nothing
// fails here; a later open says what went wrong.
void reserve_descriptors(std::size_t count);

}  // namespace contain::kernel
