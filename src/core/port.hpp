// Transport ports and protocols, parsed and checked once at the edge.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/ip.hpp"

namespace contain {

class Port {
 public:
  // 1..65535; 0 and anything larger are refused (port 0 means "any" to the kernel).
  static Result<Port> parse(std::string_view text);
  static Port from_number(std::uint16_t value) { return Port(value); }
  std::uint16_t value() const { return value_; }
  std::string str() const { return std::to_string(value_); }
  auto operator<=>(const Port&) const = default;

 private:
  explicit Port(std::uint16_t value) : value_(value) {}
  std::uint16_t value_ = 0;
};

// An address and a transport port, written "192.0.2.1:80" or "[2001:db8::1]:80".
struct Endpoint {
  IpAddress address;
  Port port;
  std::string str() const;
  auto operator<=>(const Endpoint&) const = default;
};

enum class Protocol { tcp, udp };
Result<Protocol> parse_protocol(std::string_view text);
std::string_view protocol_name(Protocol p);

}  // namespace contain
