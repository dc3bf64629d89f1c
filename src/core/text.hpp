// Small text helpers shared by the parsers of user input and of kernel files.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace contain {

// The whole of `text` as an integer in `base`; nullopt for anything else
// (empty, a sign where T has none, trailing characters, out of range).
template <class T>
std::optional<T> parse_number(std::string_view text, int base = 10) {
  T value{};
  if (text.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The parts of `text` between `separator`s: "a,,b" -> {"a", "", "b"}; "" -> {""}.
inline std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (;;) {
    auto at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

// A 64-bit FNV-1a digest of `text`: stable across builds and machines (unlike
// std::hash), for names of files and records that outlive the binary. Not a
// cryptographic hash: whoever relies on it for identity also compares the text.
inline std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace contain
