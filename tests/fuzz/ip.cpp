// Addresses and CIDRs (core/ip): --ip, --addr, --subnet, -p's address, records.
#include "core/ip.hpp"

#include <sys/socket.h>

#include "fuzz.hpp"

using namespace contain;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::text_of(data, size);
  if (auto ip = IpAddress::parse(text)) {
    FUZZ_CHECK(ip->family() == AF_INET || ip->family() == AF_INET6);
    // The value read is the whole text's: nothing after a NUL is ignored.
    FUZZ_CHECK(text.find('\0') == std::string_view::npos);
    auto again = IpAddress::parse(ip->str());
    FUZZ_CHECK(again && *again == *ip);
    FUZZ_CHECK(IpAddress::from_value(ip->family(), ip->value()) == *ip);
  }
  if (auto cidr = Cidr::parse(text)) {
    FUZZ_CHECK(cidr->prefix() >= 0 && cidr->prefix() <= cidr->address().bits());
    // The prefix length is written in decimal digits only ("/-0" and "/+8" are not prefixes).
    std::string_view prefix = text.substr(text.rfind('/') + 1);
    FUZZ_CHECK(!prefix.empty() && prefix.find_first_not_of("0123456789") == std::string_view::npos);
    auto again = Cidr::parse(cidr->str());
    FUZZ_CHECK(again && *again == *cidr);
    Cidr subnet = cidr->subnet();
    FUZZ_CHECK(subnet.contains(cidr->address()));
    FUZZ_CHECK(subnet.contains(cidr->network()) && subnet.contains(cidr->last()));
    FUZZ_CHECK(cidr->network() <= cidr->address() && cidr->address() <= cidr->last());
    FUZZ_CHECK(subnet.overlaps(*cidr) && cidr->overlaps(subnet));
    FUZZ_CHECK(subnet.subnet() == subnet);
  }
  return 0;
}
