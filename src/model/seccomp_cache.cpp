#include "model/seccomp_cache.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdint>

#include "core/text.hpp"

namespace contain::model::seccomp {

namespace {

constexpr std::string_view kHeader = "contain seccomp program 1\n";
constexpr std::size_t kInstructionSize = 8;     // struct sock_filter
constexpr std::size_t kMaxInstructions = 4096;  // BPF_MAXINSNS

}  // namespace

std::string cache_key(const contain::seccomp::Profile& resolved, std::string_view compiler) {
  // One line per item; names and tokens never hold a newline or a space
  // (parse_profile takes them from JSON strings, so they are length-prefixed
  // to be safe all the same).
  std::string key = fmt::format("compiler {}:{}\n", compiler.size(), compiler);
  key += fmt::format("default {} {}\n", static_cast<int>(resolved.default_action),
                     resolved.default_errno);
  for (const auto& a : resolved.architectures) key += fmt::format("arch {}:{}\n", a.size(), a);
  for (const auto& m : resolved.arch_map) {
    key += fmt::format("archmap {}:{}", m.native.size(), m.native);
    for (const auto& s : m.sub) key += fmt::format(" {}:{}", s.size(), s);
    key += '\n';
  }
  for (const auto& r : resolved.rules) {
    key += fmt::format("rule {} {}", static_cast<int>(r.action), r.errno_ret);
    for (const auto& n : r.names) key += fmt::format(" {}:{}", n.size(), n);
    for (const auto& a : r.args)
      key += fmt::format(" arg{}/{}/{}/{}", a.index, static_cast<int>(a.op), a.value, a.value_two);
    for (const auto* list :
         {&r.include_caps, &r.exclude_caps, &r.include_arches, &r.exclude_arches}) {
      key += " |";
      for (const auto& c : *list) key += fmt::format(" {}:{}", c.size(), c);
    }
    key += '\n';
  }
  return key;
}

std::string cache_file_name(std::string_view key) { return fmt::format("{:016x}", fnv1a64(key)); }

std::string encode_cache_entry(std::string_view key, std::string_view program) {
  std::string out(kHeader);
  out += fmt::format("{}\n", key.size());
  out += key;
  out += program;
  return out;
}

std::optional<std::string> decode_cache_entry(std::string_view file, std::string_view key) {
  if (!file.starts_with(kHeader)) return std::nullopt;
  file.remove_prefix(kHeader.size());
  auto newline = file.find('\n');
  if (newline == std::string_view::npos || newline == 0 || newline > 20) return std::nullopt;
  std::size_t length = 0;
  auto [end, ec] = std::from_chars(file.data(), file.data() + newline, length);
  if (ec != std::errc() || end != file.data() + newline) return std::nullopt;
  file.remove_prefix(newline + 1);
  if (length != key.size() || file.size() < length || file.substr(0, length) != key)
    return std::nullopt;
  file.remove_prefix(length);
  if (file.empty() || file.size() % kInstructionSize != 0 ||
      file.size() / kInstructionSize > kMaxInstructions)
    return std::nullopt;
  return std::string(file);
}

}  // namespace contain::model::seccomp
