#include "core/ip.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>

#include "core/names.hpp"

namespace contain {

bool IpAddress::is_v4() const { return family_ == AF_INET; }

Result<IpAddress> IpAddress::parse(std::string_view text) {
  std::string s(text);
  IpAddress ip;
  // inet_pton() stops at a NUL: "10.0.0.1\0junk" (possible in a record) is no address.
  bool whole = s.find('\0') == std::string::npos;
  if (whole && s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), ip.bytes_.data()) == 1) {
      ip.family_ = AF_INET;
      return ip;
    }
  } else if (whole && inet_pton(AF_INET6, s.c_str(), ip.bytes_.data()) == 1) {
    ip.family_ = AF_INET6;
    return ip;
  }
  return fail(Error::usage(fmt::format(
      "address {} is malformed: write an IPv4 address such as 192.0.2.1 or an IPv6 one such as "
      "2001:db8::1",
      quote(text))));
}

IpAddress IpAddress::v4(std::uint32_t host_order) { return from_value(AF_INET, host_order); }

IpAddress IpAddress::from_bytes(int family, const void* bytes) {
  IpAddress ip;
  ip.family_ = family;
  std::memcpy(ip.bytes_.data(), bytes, family == AF_INET ? 4 : 16);
  return ip;
}

std::string IpAddress::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family_ == 0) return "";
  inet_ntop(family_, bytes_.data(), buf, sizeof buf);
  return buf;
}

unsigned __int128 IpAddress::value() const {
  unsigned __int128 v = 0;
  for (std::size_t i = 0; i < size(); ++i) v = (v << 8) | bytes_[i];
  return v;
}

IpAddress IpAddress::from_value(int family, unsigned __int128 value) {
  IpAddress ip;
  ip.family_ = family;
  std::size_t n = family == AF_INET ? 4 : 16;
  for (std::size_t i = 0; i < n; ++i) {
    ip.bytes_[n - 1 - i] = static_cast<std::uint8_t>(value & 0xff);
    value >>= 8;
  }
  return ip;
}

Result<Cidr> Cidr::parse(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return fail(Error::usage(fmt::format(
        "{} is not a CIDR: add a prefix length, for example 192.0.2.1/24 or 2001:db8::1/64",
        quote(text))));
  }
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) {
    return fail(
        Error::usage(fmt::format("{} is not a CIDR: the address part is malformed", quote(text))));
  }
  std::string_view prefix_text = text.substr(slash + 1);
  int prefix = -1;
  auto [end, ec] =
      std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
  // Digits only: from_chars() would also read "-0" as 0.
  if (prefix_text.empty() || prefix_text[0] < '0' || prefix_text[0] > '9' || ec != std::errc() ||
      end != prefix_text.data() + prefix_text.size() || prefix < 0 || prefix > address->bits()) {
    return fail(Error::usage(fmt::format("{} is not a CIDR: the prefix length must be 0 to {}",
                                         quote(text), address->bits())));
  }
  return Cidr(*address, prefix);
}

std::string Cidr::str() const { return fmt::format("{}/{}", address_.str(), prefix_); }

namespace {

unsigned __int128 host_mask(int bits, int prefix) {
  int host_bits = bits - prefix;
  if (host_bits >= 128) return ~static_cast<unsigned __int128>(0);
  return (static_cast<unsigned __int128>(1) << host_bits) - 1;
}

}  // namespace

IpAddress Cidr::network() const {
  return IpAddress::from_value(family(), address_.value() & ~host_mask(address_.bits(), prefix_) &
                                             host_mask(address_.bits(), 0));
}

IpAddress Cidr::last() const {
  return IpAddress::from_value(family(), address_.value() | host_mask(address_.bits(), prefix_));
}

bool Cidr::contains(const IpAddress& ip) const {
  if (ip.family() != family()) return false;
  auto mask = ~host_mask(address_.bits(), prefix_);
  return (ip.value() & mask) == (address_.value() & mask);
}

bool Cidr::overlaps(const Cidr& other) const {
  if (other.family() != family()) return false;
  return contains(other.network()) || other.contains(network());
}

}  // namespace contain
