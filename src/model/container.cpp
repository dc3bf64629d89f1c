#include "model/container.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "model/netns_spec.hpp"

namespace contain::model {

namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

Result<Port> parse_port(std::string_view text, std::string_view whole, std::string_view which) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value == 0 ||
      value > 65535)
    return fail(Error::usage(
        fmt::format("port mapping {} is invalid: the {} port {} must be a number from 1 to 65535",
                    quote(whole), which, quote(text))));
  return Port::from_number(static_cast<std::uint16_t>(value));
}

}  // namespace

Result<ContainerName> ContainerName::parse(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return fail(Error::usage(fmt::format("container name {} is invalid: {}", quote(text), why)));
  };
  if (text.empty()) return bad("it is empty");
  if (text.size() > kMaxLength)
    return bad(fmt::format("it is {} bytes long, the limit is {}", text.size(), kMaxLength));
  if (!std::isalnum(static_cast<unsigned char>(text[0])))
    return bad("it must start with a letter or a digit");
  for (char c : text)
    if (!is_name_char(c)) return bad("use only letters, digits, '_', '.' and '-'");
  return ContainerName(std::string(text));
}

ContainerName ContainerName::generated(std::string_view id) {
  return ContainerName("c-" + std::string(id.substr(0, 10)));
}

Result<NetworkChoice> NetworkChoice::parse(std::string_view text) {
  NetworkChoice choice;
  if (text.empty() || text == "none") return choice;
  if (text == "pasta") {
    choice.kind = Kind::pasta;
    return choice;
  }
  if (text.starts_with("netns:")) {
    // pid:PID, a path or container:NAME as well as a name; for the engine to resolve.
    auto ns = NetnsSpec::parse(text.substr(6));
    if (!ns) return fail(std::move(ns).error().wrap("--network"));
    choice.kind = Kind::netns;
    choice.name = ns->str();
    return choice;
  }
  // A managed network's name is a bridge-like name: the same rules as a namespace's.
  auto name = NetnsName::parse(text);
  if (!name)
    return fail(Error::usage(
        fmt::format("--network {} is invalid: use none, netns:NAMESPACE or the name of a network",
                    quote(text))));
  choice.kind = Kind::managed;
  choice.name = name->str();
  return choice;
}

std::string NetworkChoice::str() const {
  switch (kind) {
    case Kind::none:
      return "none";
    case Kind::netns:
      return "netns:" + name;
    case Kind::managed:
      return name;
    case Kind::pasta:
      return "pasta";
  }
  return "none";
}

Result<PortMapping> PortMapping::parse(std::string_view text) {
  PortMapping mapping;
  std::string_view rest = text;
  if (auto slash = rest.rfind('/'); slash != std::string_view::npos) {
    std::string_view proto = rest.substr(slash + 1);
    if (proto == "udp")
      mapping.protocol = Protocol::udp;
    else if (proto != "tcp")
      return fail(Error::usage(
          fmt::format("port mapping {} is invalid: the protocol must be tcp or udp", quote(text))));
    rest = rest.substr(0, slash);
  }
  auto last = rest.rfind(':');
  if (last == std::string_view::npos)
    return fail(Error::usage(fmt::format(
        "port mapping {} is invalid: use [ADDR:]HOSTPORT:PORT[/udp], for example 8080:80",
        quote(text))));
  mapping.container_port = TRY(parse_port(rest.substr(last + 1), text, "container"));
  rest = rest.substr(0, last);
  auto colon = rest.rfind(':');
  std::string_view host_port = colon == std::string_view::npos ? rest : rest.substr(colon + 1);
  mapping.host_port = TRY(parse_port(host_port, text, "host"));
  if (colon != std::string_view::npos) {
    std::string_view address = rest.substr(0, colon);
    if (address.size() >= 2 && address.front() == '[' && address.back() == ']')
      address = address.substr(1, address.size() - 2);
    auto ip = IpAddress::parse(address);
    if (!ip)
      return fail(Error::usage(fmt::format("port mapping {} is invalid: {} is not an IP address",
                                           quote(text), quote(address))));
    mapping.host_address = *ip;
  }
  return mapping;
}

std::string PortMapping::str() const {
  std::string out;
  if (host_address)
    out = host_address->is_v4() ? host_address->str() + ":" : "[" + host_address->str() + "]:";
  out += fmt::format("{}:{}", host_port.str(), container_port.str());
  if (protocol == Protocol::udp) out += "/udp";
  return out;
}

Result<std::string> parse_environment_entry(std::string_view text) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0)
    return fail(
        Error::usage(fmt::format("environment entry {} is invalid: use KEY=VALUE", quote(text))));
  if (text.find('\0') != std::string_view::npos)
    return fail(Error::usage(
        fmt::format("environment entry {} is invalid: it contains a NUL byte", quote(text))));
  return std::string(text);
}

std::vector<std::string> container_environment(const std::string& hostname,
                                               const std::vector<std::string>& user_entries) {
  std::vector<std::string> env = {
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=" + hostname,
      "HOME=/root"};
  for (const auto& entry : user_entries) {
    std::string_view key = std::string_view(entry).substr(0, entry.find('=') + 1);
    std::erase_if(env, [&](const std::string& e) { return e.starts_with(key); });
    env.push_back(entry);
  }
  return env;
}

std::vector<std::string> process_environment(std::vector<std::string> configured,
                                             bool on_terminal) {
  if (on_terminal &&
      std::ranges::none_of(configured, [](const std::string& e) { return e.starts_with("TERM="); }))
    configured.push_back("TERM=xterm");
  return configured;
}

Status validate(const ContainerSpec& spec) {
  if (spec.ip && spec.network.kind != NetworkChoice::Kind::managed)
    return fail(Error::usage("--ip needs a managed network: add --network NAME"));
  if (auto limits = validate_limits(spec.limits); !limits) return limits;
  if (!spec.ports.empty() && spec.network.kind != NetworkChoice::Kind::managed &&
      spec.network.kind != NetworkChoice::Kind::pasta)
    return fail(Error::usage(
        "-p needs a managed network (add --network NAME) or, rootless, --network pasta"));
  if (spec.workdir.empty() || spec.workdir.front() != '/')
    return fail(Error::usage(fmt::format(
        "-w {} is invalid: the working directory must be an absolute path", quote(spec.workdir))));
  if (spec.hostname.empty() || spec.hostname.size() > 64)
    return fail(Error::usage(fmt::format("--hostname {} is invalid: it must be 1 to 64 bytes long",
                                         quote(spec.hostname))));
  if (spec.command.empty()) return fail(Error::usage("no command given"));
  if (spec.security.overlay && !spec.rootfs)
    return fail(
        Error::usage("--overlay needs --rootfs DIR: DIR becomes the read-only lower layer"));
  for (const auto& volume : spec.security.volumes)
    if (volume.idmap && !spec.userns.enabled())
      return fail(Error::usage(fmt::format(
          "-v {}: idmap needs a user namespace: add --userns (or drop ',idmap')", volume.str())));
  return {};
}

}  // namespace contain::model
