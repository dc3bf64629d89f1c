// IPv4/IPv6 addresses and prefixes, parsed and checked once at the edge.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace contain {

class IpAddress {
 public:
  IpAddress() = default;
  static Result<IpAddress> parse(std::string_view text);
  static IpAddress v4(std::uint32_t host_order);
  static IpAddress from_bytes(int family, const void* bytes);

  int family() const { return family_; }  // AF_INET or AF_INET6
  bool is_v4() const;
  int bits() const { return is_v4() ? 32 : 128; }
  const std::uint8_t* bytes() const { return bytes_.data(); }
  std::size_t size() const { return is_v4() ? 4 : 16; }
  std::string str() const;

  // As an unsigned number (IPv4 uses the low 32 bits), for address arithmetic.
  unsigned __int128 value() const;
  static IpAddress from_value(int family, unsigned __int128 value);

  auto operator<=>(const IpAddress&) const = default;

 private:
  int family_ = 0;
  std::array<std::uint8_t, 16> bytes_{};
};

// An address with a prefix length: "10.0.0.1/24" (an interface address) or
// "10.0.0.0/24" (a subnet).
class Cidr {
 public:
  Cidr() = default;
  Cidr(IpAddress address, int prefix) : address_(address), prefix_(prefix) {}
  static Result<Cidr> parse(std::string_view text);

  const IpAddress& address() const { return address_; }
  int prefix() const { return prefix_; }
  int family() const { return address_.family(); }
  std::string str() const;

  IpAddress network() const;  // host bits cleared
  IpAddress last() const;     // host bits set (the broadcast address for IPv4)
  bool contains(const IpAddress& ip) const;
  bool overlaps(const Cidr& other) const;
  // The subnet itself, host bits cleared: 10.0.0.7/24 -> 10.0.0.0/24.
  Cidr subnet() const { return Cidr(network(), prefix_); }

  auto operator<=>(const Cidr&) const = default;

 private:
  IpAddress address_;
  int prefix_ = 0;
};

}  // namespace contain
