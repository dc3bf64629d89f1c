// forward add --to: "NS:PORT", "IP:PORT" or "[IPv6]:PORT" (model/firewall).
#include "fuzz.hpp"
#include "model/firewall.hpp"

using namespace contain;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::text_of(data, size);
  if (auto to = model::parse_forward_destination(text)) {
    FUZZ_CHECK(to->port.value() != 0);
    FUZZ_CHECK(Port::parse(text.substr(text.rfind(':') + 1)) == to->port);
    if (auto* ns = std::get_if<NetnsName>(&to->to)) {
      // A namespace name, never something that reads as an address.
      FUZZ_CHECK(!IpAddress::parse(ns->str()).has_value());
      FUZZ_CHECK(ns->str().find(':') == std::string::npos);
    } else {
      const auto& ip = std::get<IpAddress>(to->to);
      FUZZ_CHECK(ip.family() != 0);
      // IPv6 only in brackets, IPv4 never in brackets.
      FUZZ_CHECK(text.starts_with('[') == !ip.is_v4());
    }
  }
  return 0;
}
