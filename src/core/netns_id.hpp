// The identity of a network namespace: the device and inode of its namespace
// file (what stat(2) of /proc/PID/ns/net, or of any bind mount of it, says).
// Two references name the same namespace exactly when their identities are
// equal; records of namespaces without a name under /run/netns use it.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace contain {

struct NetnsId {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  auto operator<=>(const NetnsId&) const = default;
  // "DEV:INO" in decimal, e.g. "4:4026532567": a record's name and part of owners.
  std::string str() const;
  // The inverse of str(); nullopt for anything else.
  static std::optional<NetnsId> parse(std::string_view text);
};

}  // namespace contain
