// What a freshly cloned child may use before exec: no allocation, no exceptions.
// A failing step fills a ChildError; the child sends it to its parent as one
// framed message over the CLOEXEC sync socket and leaves with _exit. The parent
// reads either that message or EOF, which means exec succeeded.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.hpp"

namespace contain::kernel {

struct ChildError {
  std::int32_t err = 0;        // errno of the failed call, 0 if none
  std::int32_t exit_code = 1;  // 127: command not found, 126: not executable
  char what[240] = {};         // "mount proc on /proc" — the step and its object

  // Records errno and the formatted step; returns false so that steps can
  // `return e.fail(...)`.
  bool fail(const char* format, ...) __attribute__((format(printf, 2, 3)));
};

// Child: sends the error over the sync socket (a SOCK_SEQPACKET, so one message
// is one frame) and exits with its exit code.
[[noreturn]] void child_exit_with(int sync_fd, const ChildError& error);

// Child: sets the signals whose bit (N-1 for signal N) is in `mask` back to
// their default (see signals_not_default() in kernel/process.hpp).
void reset_signals(std::uint64_t mask);

// Child: marks every descriptor above 2 close-on-exec, so that the command
// gets stdin, stdout and stderr and nothing else of ours or our caller's.
bool close_inherited_descriptors(ChildError& e);

// Child: replaces the process with argv, PATH looked up, environment `envp`;
// if that fails, reports "ARGV0: command not found" (exit 127) or "cannot
// execute" (126) over the sync socket and exits.
[[noreturn]] void exec_or_report(char* const* argv, char* const* envp, int sync_fd);

// Parent: the Error for a child's report, `message` its text; a command that
// was not found or could not be executed keeps the shell's exit code (127, 126).
Error child_error(std::string message, const ChildError& report);

// Parent: reads one frame. Returns true and fills `error` if the child reported
// one, false on EOF (the child exec'd, or died without a word).
bool read_child_error(int sync_fd, ChildError& error);

}  // namespace contain::kernel
