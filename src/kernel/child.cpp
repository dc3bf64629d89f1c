#include "kernel/child.hpp"

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>

extern char** environ;

namespace contain::kernel {

bool ChildError::fail(const char* format, ...) {
  err = errno;
  va_list args;
  va_start(args, format);
  std::vsnprintf(what, sizeof what, format, args);
  va_end(args);
  return false;
}

void reset_signals(std::uint64_t mask) {
  for (int sig = 1; sig < NSIG && sig <= 64; ++sig)
    if (mask & (std::uint64_t{1} << (sig - 1))) ::signal(sig, SIG_DFL);
}

bool close_inherited_descriptors(ChildError& e) {
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0 && errno != ENOSYS && errno != EINVAL)
    return e.fail("mark inherited descriptors close-on-exec");
  return true;
}

void exec_or_report(char* const* argv, char* const* envp, int sync_fd) {
  environ = const_cast<char**>(envp);
  ::execvp(argv[0], argv);
  ChildError e;
  bool missing = errno == ENOENT;
  e.fail("%s: %s", argv[0], missing ? "command not found" : "cannot execute");
  if (missing) e.err = 0;
  e.exit_code = missing ? 127 : 126;
  child_exit_with(sync_fd, e);
}

void child_exit_with(int sync_fd, const ChildError& error) {
  [[maybe_unused]] auto n = ::send(sync_fd, &error, sizeof error, MSG_NOSIGNAL);
  ::_exit(error.exit_code);
}

Error child_error(std::string message, const ChildError& report) {
  Error error = report.err ? Error::system(std::move(message), report.err)
                           : Error::failed(std::move(message));
  if (report.exit_code == 126 || report.exit_code == 127)
    return std::move(error).with_exit_code(report.exit_code);
  return error;
}

bool read_child_error(int sync_fd, ChildError& error) {
  ssize_t n;
  // A child that failed with our go byte still unread in its queue resets the
  // connection: the kernel reports ECONNRESET once, before the report it
  // queued for us, which the next recv returns.
  bool reset_seen = false;
  for (;;) {
    n = ::recv(sync_fd, &error, sizeof error, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ECONNRESET && !reset_seen) {
      reset_seen = true;
      continue;
    }
    break;
  }
  if (n != static_cast<ssize_t>(sizeof error)) return false;
  error.what[sizeof error.what - 1] = '\0';
  return true;
}

}  // namespace contain::kernel
