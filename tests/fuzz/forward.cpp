// forward add --to: "NS:PORT", "IP:PORT" or "[IPv6]:PORT" (model/firewall),
// NS being any namespace reference (model/netns_spec): a name, pid:PID, a path
// or container:NAME.
#include "fuzz.hpp"
#include "model/firewall.hpp"

using namespace contain;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::text_of(data, size);
  if (auto to = model::parse_forward_destination(text)) {
    FUZZ_CHECK(to->port.value() != 0);
    FUZZ_CHECK(Port::parse(text.substr(text.rfind(':') + 1)) == to->port);
    if (auto* ns = std::get_if<model::NetnsSpec>(&to->to)) {
      // A namespace reference, never something that reads as an address, and
      // one that prints back to itself.
      FUZZ_CHECK(!IpAddress::parse(ns->str()).has_value());
      auto again = model::NetnsSpec::parse(ns->str());
      FUZZ_CHECK(again.has_value() && *again == *ns);
      if (const auto* name = ns->name()) FUZZ_CHECK(name->str().find(':') == std::string::npos);
    } else {
      const auto& ip = std::get<IpAddress>(to->to);
      FUZZ_CHECK(ip.family() != 0);
      // IPv6 only in brackets, IPv4 never in brackets.
      FUZZ_CHECK(text.starts_with('[') == !ip.is_v4());
    }
  }
  return 0;
}
