#include "core/error.hpp"

#include <cstring>

namespace contain {

Error Error::system(std::string what, int err) {
  std::string message = std::move(what);
  if (err != 0) {
    message += ": ";
    message += std::strerror(err);
  }
  return Error(ErrorKind::operation, err, std::move(message));
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
