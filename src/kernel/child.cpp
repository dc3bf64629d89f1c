#include "kernel/child.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>

namespace contain::kernel {

bool ChildError::fail(const char* format, ...) {
  err = errno;
  va_list args;
  va_start(args, format);
  std::vsnprintf(what, sizeof what, format, args);
  va_end(args);
  return false;
}

void child_exit_with(int sync_fd, const ChildError& error) {
  [[maybe_unused]] auto n = ::send(sync_fd, &error, sizeof error, MSG_NOSIGNAL);
  ::_exit(error.exit_code);
}

bool read_child_error(int sync_fd, ChildError& error) {
  ssize_t n;
  do n = ::recv(sync_fd, &error, sizeof error, 0);
  while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof error)) return false;
  error.what[sizeof error.what - 1] = '\0';
  return true;
}

}  // namespace contain::kernel
