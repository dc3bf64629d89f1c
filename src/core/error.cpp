#include "core/error.hpp"

#include <cstring>
#include <string_view>

namespace contain {

Error Error::system(std::string what, int err) {
  std::string message = std::move(what);
  if (err != 0) {
    message += ": ";
    message += std::strerror(err);
  }
  return Error(ErrorKind::operation, err, std::move(message));
}

namespace {

const char* what_to_do(int err) {
  switch (err) {
    case EPERM:
    case EACCES:
      return "run it as root: contain needs CAP_NET_ADMIN and CAP_SYS_ADMIN for this";
    case EEXIST:
      return "it exists already: remove it or choose another name";
    case ENOENT:
    case ENODEV:
    case ESRCH:
    case ENXIO:
      return "it is gone or never was: check the name; 'contain gc' removes records of what is "
             "gone";
    case EBUSY:
      return "it is in use: stop what uses it, then try again";
    case EADDRINUSE:
      return "the address or port is taken: choose another";
    case ENOMEM:
    case ENOSPC:
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
      return "the system is out of a resource (memory, descriptors or a kernel table): free some "
             "and try again";
    case EINVAL:
    case EOPNOTSUPP:
    case EAFNOSUPPORT:
    case EPROTONOSUPPORT:
      return "the kernel refused these settings: it may lack the feature (a module not loaded) or "
             "the values conflict";
    default:
      return "run 'contain gc' and try again; if it persists, report it with the command line";
  }
}

}  // namespace

std::string Error::for_user() const {
  if (errno_ == 0) return message_;
  std::string_view reason = std::strerror(errno_);
  if (!std::string_view(message_).ends_with(reason)) return message_;
  return message_ + " (" + what_to_do(errno_) + ")";
}

Error& Error::wrap(std::string_view context) & {
  if (!context.empty()) message_ = std::string(context) + ": " + message_;
  return *this;
}

Error&& Error::wrap(std::string_view context) && {
  wrap(context);
  return std::move(*this);
}

}  // namespace contain
