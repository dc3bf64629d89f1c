// Validated names. A string becomes a typed name once, at the edge; code below
// never re-checks it.
#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace contain {

// A named network namespace: a file name under /run/netns.
class NetnsName {
 public:
  static constexpr std::size_t kMaxLength = 255;  // NAME_MAX
  static Result<NetnsName> parse(std::string_view text);
  const std::string& str() const { return value_; }
  const char* c_str() const { return value_.c_str(); }
  auto operator<=>(const NetnsName&) const = default;

 private:
  explicit NetnsName(std::string value) : value_(std::move(value)) {}
  std::string value_;
};

// A network interface name, as the kernel's dev_valid_name() accepts it.
class IfName {
 public:
  static constexpr std::size_t kMaxLength = 15;  // IFNAMSIZ - 1
  static Result<IfName> parse(std::string_view text);
  const std::string& str() const { return value_; }
  const char* c_str() const { return value_.c_str(); }
  auto operator<=>(const IfName&) const = default;

 private:
  explicit IfName(std::string value) : value_(std::move(value)) {}
  std::string value_;
};

// A managed network's name. Its bridge is "cn-NAME", so the name is at most 12
// bytes of letters, digits, '-', '_' and '.'.
class NetworkName {
 public:
  static constexpr std::size_t kMaxLength = 12;
  static Result<NetworkName> parse(std::string_view text);
  const std::string& str() const { return value_; }
  // The interface name of the network's bridge.
  std::string bridge() const { return "cn-" + value_; }
  auto operator<=>(const NetworkName&) const = default;

 private:
  explicit NetworkName(std::string value) : value_(std::move(value)) {}
  std::string value_;
};

// Quotes a user-supplied string for an error message, escaping what does not print.
std::string quote(std::string_view text);

}  // namespace contain
