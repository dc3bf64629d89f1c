#include "core/netns_id.hpp"

#include <fmt/format.h>

#include <charconv>

namespace contain {

namespace {

std::optional<std::uint64_t> decimal(std::string_view text) {
  std::uint64_t value = 0;
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string NetnsId::str() const { return fmt::format("{}:{}", dev, ino); }

std::optional<NetnsId> NetnsId::parse(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto dev = decimal(text.substr(0, colon));
  auto ino = decimal(text.substr(colon + 1));
  if (!dev || !ino) return std::nullopt;
  return NetnsId{*dev, *ino};
}

}  // namespace contain
