// Errors are values: an errno (so callers can test for ENOENT and carry on), a
// message built from the innermost reason outwards, and an exit-code class.
#pragma once

#include <cerrno>
#include <expected>
#include <string>
#include <utility>

namespace contain {

enum class ErrorKind {
  operation,  // the request was fine but the system refused it: exit 1
  usage,      // the request itself is wrong: exit 2
};

class [[nodiscard]] Error {
 public:
  // Bad input: nothing was tried.
  static Error usage(std::string message) { return Error(ErrorKind::usage, 0, std::move(message)); }
  // A refused operation that has no errno (or one given explicitly).
  static Error failed(std::string message, int err = 0) {
    return Error(ErrorKind::operation, err, std::move(message));
  }
  // A failed system call: `what` says what we tried, errno says why.
  static Error system(std::string what, int err = errno);

  // Prepends the context: "attach ns1 to br0: create veth: File exists".
  Error& wrap(std::string_view context) &;
  Error&& wrap(std::string_view context) &&;

  int code() const { return errno_; }
  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  // The message as printed: a message that ends with the system's bare reason
  // ("...: File exists") gets what to do about it, by errno.
  std::string for_user() const;
  int exit_code() const {
    if (exit_code_ != 0) return exit_code_;
    return kind_ == ErrorKind::usage ? 2 : 1;
  }
  // A specific exit status, for errors a shell user knows by number
  // (127: command not found, 126: not executable).
  Error&& with_exit_code(int code) && {
    exit_code_ = code;
    return std::move(*this);
  }

 private:
  Error(ErrorKind kind, int err, std::string message)
      : kind_(kind), errno_(err), message_(std::move(message)) {}

  ErrorKind kind_;
  int errno_;
  std::string message_;
  int exit_code_ = 0;
};

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(Error e) { return std::unexpected(std::move(e)); }

}  // namespace contain

// TRY(expr): evaluates a Result; returns its error from the calling function, or
// yields its value. A GNU statement expression, as in the kernel and systemd.
#define TRY(...)                                                                \
  ({                                                                            \
    auto&& try_result_ = (__VA_ARGS__);                                         \
    if (!try_result_) return ::std::unexpected(std::move(try_result_).error()); \
    std::move(try_result_).value();                                             \
  })

// TRY_WRAP(expr, context): as TRY, adding context to the error.
#define TRY_WRAP(expr, context)                                                               \
  ({                                                                                          \
    auto&& try_result_ = (expr);                                                              \
    if (!try_result_) return ::std::unexpected(std::move(try_result_).error().wrap(context)); \
    std::move(try_result_).value();                                                           \
  })
