#include "core/port.hpp"

#include <fmt/format.h>

#include <charconv>

#include "core/names.hpp"

namespace contain {

Result<Port> Port::parse(std::string_view text) {
  unsigned long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value == 0 ||
      value > 65535)
    return fail(Error::usage(
        fmt::format("port {} is invalid: expected a number from 1 to 65535", quote(text))));
  return Port(static_cast<std::uint16_t>(value));
}

std::string Endpoint::str() const {
  return address.is_v4() ? fmt::format("{}:{}", address.str(), port.str())
                         : fmt::format("[{}]:{}", address.str(), port.str());
}

Result<Protocol> parse_protocol(std::string_view text) {
  if (text == "tcp") return Protocol::tcp;
  if (text == "udp") return Protocol::udp;
  return fail(
      Error::usage(fmt::format("protocol {} is invalid: expected tcp or udp", quote(text))));
}

std::string_view protocol_name(Protocol p) { return p == Protocol::tcp ? "tcp" : "udp"; }

}  // namespace contain
