#include "model/netns_spec.hpp"

#include <fmt/format.h>

#include <charconv>

namespace contain::model {

namespace {

constexpr std::string_view kPidPrefix = "pid:";
constexpr std::string_view kContainerPrefix = "container:";

}  // namespace

Result<NetnsSpec> NetnsSpec::parse(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return fail(Error::usage(fmt::format("namespace {} is invalid: {}", quote(text), why)));
  };
  if (text.starts_with(kPidPrefix)) {
    std::string_view digits = text.substr(kPidPrefix.size());
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    bool all_digits = !digits.empty() && digits.find_first_not_of("0123456789") == digits.npos;
    if (!all_digits) return bad("after \"pid:\" comes a process id, such as pid:1234");
    if (ec != std::errc() || end != digits.data() + digits.size() || value == 0 ||
        value > static_cast<std::uint64_t>(Pid::kMax))
      return bad(fmt::format("process ids go from 1 to {}", Pid::kMax));
    return NetnsSpec{Pid{static_cast<pid_t>(value)}};
  }
  if (text.starts_with(kContainerPrefix)) {
    auto name = ContainerName::parse(text.substr(kContainerPrefix.size()));
    if (!name) return fail(std::move(name).error().wrap(fmt::format("namespace {}", quote(text))));
    return NetnsSpec{std::move(*name)};
  }
  // A name cannot contain '/': anything that does is a path.
  if (text.find('/') != std::string_view::npos) {
    if (text.size() > Path::kMaxLength)
      return bad(
          fmt::format("the path is {} bytes long, the limit is {}", text.size(), Path::kMaxLength));
    if (text.find('\0') != std::string_view::npos) return bad("the path contains a NUL byte");
    return NetnsSpec{Path{std::string(text)}};
  }
  auto name = NetnsName::parse(text);
  if (!name) return fail(std::move(name).error());
  return NetnsSpec{std::move(*name)};
}

std::string NetnsSpec::str() const {
  if (auto* n = name()) return n->str();
  if (auto* p = pid()) return fmt::format("{}{}", kPidPrefix, p->value);
  if (auto* p = path()) return p->value;
  return std::string(kContainerPrefix) + container()->str();
}

}  // namespace contain::model
