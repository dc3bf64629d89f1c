#include "core/names.hpp"

#include <fmt/format.h>

#include <cctype>

namespace contain {

namespace {

bool is_space_or_control(unsigned char c) { return c <= ' ' || c == 0x7f; }

}  // namespace

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < ' ' || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

Result<NetnsName> NetnsName::parse(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return fail(Error::usage(fmt::format("namespace name {} is invalid: {}", quote(text), why)));
  };
  if (text.empty()) return bad("it is empty; give a name such as \"ns1\"");
  if (text == "." || text == "..") return bad("\".\" and \"..\" are not names; choose another");
  if (text.size() > kMaxLength)
    return bad(fmt::format("it is {} bytes long, the limit is {}", text.size(), kMaxLength));
  for (unsigned char c : text) {
    if (c == '/') return bad("it contains '/'; use letters, digits, '-', '_' or '.'");
    if (c == '\0') return bad("it contains a NUL byte");
    if (is_space_or_control(c))
      return bad(
          "it contains white space or a control character; use letters, digits, '-', '_' or '.'");
  }
  return NetnsName(std::string(text));
}

Result<IfName> IfName::parse(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return fail(Error::usage(fmt::format("interface name {} is invalid: {}", quote(text), why)));
  };
  if (text.empty()) return bad("it is empty; give a name such as \"veth0\"");
  if (text == "." || text == "..") return bad("\".\" and \"..\" are not interface names");
  if (text.size() > kMaxLength)
    return bad(
        fmt::format("it is {} bytes long, the kernel allows at most {}", text.size(), kMaxLength));
  for (unsigned char c : text) {
    if (c == '/' || c == ':')
      return bad(fmt::format("it contains '{}', which the kernel does not allow", char(c)));
    // The kernel reads a name with '%' as a pattern ("veth%d") and picks the
    // name itself: the link would not have the name we record.
    if (c == '%') return bad("it contains '%', which makes the kernel choose the name itself");
    if (c == '\0') return bad("it contains a NUL byte");
    if (is_space_or_control(c)) return bad("it contains white space or a control character");
  }
  return IfName(std::string(text));
}

Result<NetworkName> NetworkName::parse(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return fail(Error::usage(fmt::format("network name {} is invalid: {}", quote(text), why)));
  };
  if (text.empty()) return bad("it is empty; give a name such as \"web\"");
  if (text.size() > kMaxLength)
    return bad(fmt::format("it is {} bytes long, the limit is {} (its bridge is cn-NAME)",
                           text.size(), kMaxLength));
  if (text == "." || text == "..") return bad("\".\" and \"..\" are not names; choose another");
  for (unsigned char c : text) {
    bool ok = std::isalnum(c) || c == '-' || c == '_' || c == '.';
    if (!ok) return bad("use only letters, digits, '-', '_' or '.'");
  }
  return NetworkName(std::string(text));
}

}  // namespace contain
