#include "model/cni.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "model/json_text.hpp"

namespace contain::model::cni {

using nlohmann::json;

namespace {

using Status_ = CniResult<void>;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The member `key` of an object, its name matched case-insensitively (containerd
// sends "HostPort", podman "hostPort"); null when absent.
const json* find_key(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  if (auto it = object.find(key); it != object.end()) return &*it;
  for (auto it = object.begin(); it != object.end(); ++it)
    if (iequals(it.key(), key)) return &*it;
  return nullptr;
}

std::string shown(const json& value) {
  std::string text = json_text(value);
  if (text.size() > 80) {
    // Cut before a character, not inside one (UTF-8 continuation bytes are 10xxxxxx).
    std::size_t cut = 77;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut) + "...";
  }
  return text;
}

std::unexpected<CniError> invalid(std::string msg) {
  return cni_fail(Code::invalid_config, std::move(msg));
}
std::unexpected<CniError> unsupported(std::string_view key, const json& value, std::string why) {
  return cni_fail(Code::unsupported_field,
                  fmt::format("unsupported field {}={}: {}", key, shown(value), why));
}

CniResult<std::string> get_string(const json& object, std::string_view key, std::string_view where,
                                  bool required) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (required) return invalid(fmt::format("{}: \"{}\" is missing", where, key));
    return std::string();
  }
  if (!it->is_string())
    return invalid(fmt::format("{}: \"{}\" must be a string, not {}", where, key, shown(*it)));
  return it->get<std::string>();
}

CniResult<bool> get_bool(const json& object, std::string_view key, bool fallback) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  if (!it->is_boolean())
    return invalid(fmt::format("\"{}\" must be true or false, not {}", key, shown(*it)));
  return it->get<bool>();
}

CniResult<IpAddress> parse_ip(const json& value, std::string_view where) {
  if (!value.is_string())
    return invalid(fmt::format("{}: {} is not an IP address", where, shown(value)));
  auto ip = IpAddress::parse(value.get<std::string>());
  if (!ip) return invalid(fmt::format("{}: {} is not an IP address", where, shown(value)));
  return *ip;
}

// "10.0.0.5" or "10.0.0.5/24" (the ips capability carries a prefix).
CniResult<IpAddress> parse_ip_or_cidr(std::string_view text, std::string_view where) {
  auto slash = text.find('/');
  if (slash != std::string_view::npos) {
    auto cidr = Cidr::parse(text);
    if (!cidr) return invalid(fmt::format("{}: {} is not an IP address", where, quote(text)));
    return cidr->address();
  }
  auto ip = IpAddress::parse(text);
  if (!ip) return invalid(fmt::format("{}: {} is not an IP address", where, quote(text)));
  return *ip;
}

CniResult<std::uint64_t> get_count(const json& object, std::string_view key,
                                   std::string_view where) {
  const json* v = find_key(object, key);
  if (!v || v->is_null()) return 0;
  if (v->is_number_unsigned()) return v->get<std::uint64_t>();
  if (v->is_number_integer() && v->get<std::int64_t>() >= 0) return v->get<std::uint64_t>();
  if (v->is_number_float() && v->get<double>() >= 0 && v->get<double>() < 1.8e19)
    return static_cast<std::uint64_t>(v->get<double>());
  return invalid(fmt::format("{}: \"{}\" must be a number >= 0, not {}", where, key, shown(*v)));
}

CniResult<Port> get_port(const json& object, std::string_view key, std::string_view where) {
  const json* v = find_key(object, key);
  if (!v || !v->is_number_integer() || v->get<std::int64_t>() < 1 || v->get<std::int64_t>() > 65535)
    return invalid(fmt::format("{}: \"{}\" must be a port number 1-65535, not {}", where, key,
                               v ? shown(*v) : std::string("missing")));
  return Port::from_number(static_cast<std::uint16_t>(v->get<std::int64_t>()));
}

CniResult<Range> parse_range(const json& r, std::string_view where) {
  if (!r.is_object()) return invalid(fmt::format("{}: a range must be an object", where));
  auto subnet_text = TRY(get_string(r, "subnet", where, true));
  auto subnet = Cidr::parse(subnet_text);
  if (!subnet)
    return invalid(fmt::format("{}: subnet {} is not a CIDR (such as 10.88.0.0/16)", where,
                               quote(subnet_text)));
  Range range;
  range.subnet = subnet->subnet();
  for (auto [key, field] :
       {std::pair{"rangeStart", &range.range_start}, std::pair{"rangeEnd", &range.range_end},
        std::pair{"gateway", &range.gateway}}) {
    auto it = r.find(key);
    if (it == r.end() || it->is_null() || (it->is_string() && it->get<std::string>().empty()))
      continue;
    auto ip = parse_ip(*it, fmt::format("{} {}", where, key));
    if (!ip) return std::unexpected(std::move(ip).error());
    if (!range.subnet.contains(*ip))
      return invalid(
          fmt::format("{}: {} {} is outside subnet {}", where, key, ip->str(), range.subnet.str()));
    *field = *ip;
  }
  return range;
}

// The ipam section: host-local's syntax ("subnet" or "ranges", "routes"),
// handled in-process.
Status_ parse_ipam(const json& ipam, Config& config) {
  if (!ipam.is_object()) return invalid("\"ipam\" must be an object");
  auto type = TRY(get_string(ipam, "type", "ipam", false));
  if (!type.empty() && type != "host-local")
    return unsupported("ipam.type", ipam["type"],
                       "contain allocates addresses itself, as host-local does; remove the ipam "
                       "type or use \"host-local\"");
  if (auto it = ipam.find("subnet"); it != ipam.end() && !it->is_null())
    config.ranges.push_back(TRY(parse_range(ipam, "ipam")));
  if (auto it = ipam.find("ranges"); it != ipam.end() && !it->is_null()) {
    if (!it->is_array()) return invalid("ipam.ranges must be a list of range sets");
    for (const auto& set : *it) {
      if (!set.is_array()) return invalid("ipam.ranges must be a list of lists of ranges");
      for (const auto& r : set) config.ranges.push_back(TRY(parse_range(r, "ipam.ranges")));
    }
  }
  if (auto it = ipam.find("ranges"); it != ipam.end() && it->is_array())
    for (const auto& set : *it)
      if (set.size() > 1)
        return unsupported("ipam.ranges", set,
                           "one range per range set (a network has one subnet per address "
                           "family in contain)");
  if (config.ranges.size() > 2 ||
      (config.ranges.size() == 2 &&
       config.ranges[0].subnet.family() == config.ranges[1].subnet.family()))
    return unsupported("ipam.ranges", ipam.value("ranges", json::array()),
                       "a network has one subnet per address family in contain (dual stack: "
                       "one IPv4 and one IPv6 range)");
  if (auto it = ipam.find("routes"); it != ipam.end() && !it->is_null()) {
    if (!it->is_array()) return invalid("ipam.routes must be a list");
    for (const auto& r : *it) {
      if (!r.is_object()) return invalid("ipam.routes: a route must be an object");
      auto dst_text = TRY(get_string(r, "dst", "ipam.routes", true));
      auto dst = Cidr::parse(dst_text);
      if (!dst) return invalid(fmt::format("ipam.routes: dst {} is not a CIDR", quote(dst_text)));
      Route route{*dst, std::nullopt};
      if (dst->subnet() != *dst)
        return invalid(fmt::format("ipam.routes: dst {} has host bits set (did you mean {}?)",
                                   dst->str(), dst->subnet().str()));
      if (auto gw = r.find("gw"); gw != r.end() && !gw->is_null())
        route.gw = TRY(parse_ip(*gw, "ipam.routes gw"));
      if (route.gw && route.gw->family() != dst->family())
        return invalid(
            fmt::format("ipam.routes: gw {} and dst {} are of different address families",
                        route.gw->str(), dst->str()));
      config.routes.push_back(route);
    }
  }
  return {};
}

Status_ parse_dns(const json& dns, Dns& out) {
  if (!dns.is_object()) return invalid("\"dns\" must be an object");
  auto list = [&](std::string_view key, std::vector<std::string>& to) -> Status_ {
    auto it = dns.find(key);
    if (it == dns.end() || it->is_null()) return {};
    if (!it->is_array()) return invalid(fmt::format("dns.{} must be a list of strings", key));
    for (const auto& v : *it) {
      if (!v.is_string()) return invalid(fmt::format("dns.{} must be a list of strings", key));
      to.push_back(v.get<std::string>());
    }
    return {};
  };
  TRY(list("nameservers", out.nameservers));
  TRY(list("search", out.search));
  TRY(list("options", out.options));
  out.domain = TRY(get_string(dns, "domain", "dns", false));
  return {};
}

Status_ add_ip(Config& config, const IpAddress& ip) {
  if (std::find(config.ips.begin(), config.ips.end(), ip) == config.ips.end())
    config.ips.push_back(ip);
  return {};
}

Status_ parse_port_mappings(const json& list, Config& config) {
  if (!list.is_array()) return invalid("runtimeConfig.portMappings must be a list");
  std::set<PortMapping> seen;
  for (const auto& m : list) {
    if (!m.is_object()) return invalid("runtimeConfig.portMappings: an entry must be an object");
    PortMapping mapping;
    mapping.host_port = TRY(get_port(m, "hostPort", "portMappings"));
    mapping.container_port = TRY(get_port(m, "containerPort", "portMappings"));
    if (const json* p = find_key(m, "protocol"); p && !p->is_null()) {
      if (!p->is_string()) return invalid("portMappings: \"protocol\" must be a string");
      std::string name = p->get<std::string>();
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (name.empty() || name == "tcp")
        mapping.protocol = Protocol::tcp;
      else if (name == "udp")
        mapping.protocol = Protocol::udp;
      else
        return unsupported("portMappings.protocol", *p, "only tcp and udp are supported");
    }
    if (const json* h = find_key(m, "hostIP"); h && !h->is_null()) {
      if (!h->is_string()) return invalid("portMappings: \"hostIP\" must be a string");
      // "" means every address of the host, as no hostIP at all.
      if (!h->get<std::string>().empty())
        mapping.host_ip = TRY(parse_ip(*h, "portMappings hostIP"));
    }
    // A runtime that repeats a mapping (podman's reload) means it once.
    if (seen.insert(mapping).second) config.port_mappings.push_back(mapping);
  }
  return {};
}

Status_ parse_runtime_config(const json& rc, Config& config) {
  if (!rc.is_object()) return invalid("\"runtimeConfig\" must be an object");
  if (const json* p = find_key(rc, "portMappings"); p && !p->is_null())
    TRY(parse_port_mappings(*p, config));
  if (const json* b = find_key(rc, "bandwidth"); b && !b->is_null()) {
    if (!b->is_object()) return invalid("runtimeConfig.bandwidth must be an object");
    config.bandwidth.ingress_rate = TRY(get_count(*b, "ingressRate", "bandwidth"));
    config.bandwidth.ingress_burst = TRY(get_count(*b, "ingressBurst", "bandwidth"));
    config.bandwidth.egress_rate = TRY(get_count(*b, "egressRate", "bandwidth"));
    config.bandwidth.egress_burst = TRY(get_count(*b, "egressBurst", "bandwidth"));
  }
  if (const json* ips = find_key(rc, "ips"); ips && !ips->is_null()) {
    if (!ips->is_array()) return invalid("runtimeConfig.ips must be a list of addresses");
    for (const auto& v : *ips) {
      if (!v.is_string()) return invalid("runtimeConfig.ips must be a list of addresses");
      TRY(add_ip(config, TRY(parse_ip_or_cidr(v.get<std::string>(), "runtimeConfig.ips"))));
    }
  }
  if (const json* mac = find_key(rc, "mac"); mac && !mac->is_null()) {
    if (!mac->is_string()) return invalid("runtimeConfig.mac must be a string");
    config.mac = TRY(parse_mac(mac->get<std::string>(), "runtimeConfig.mac"));
  }
  return {};
}

// CNI_ARGS: IP, MAC, the Kubernetes pod keys, and IgnoreUnknown for the rest.
Status_ apply_cni_args(const std::map<std::string, std::string>& args, Config& config) {
  bool ignore_unknown = false;
  if (auto it = args.find("IgnoreUnknown"); it != args.end())
    ignore_unknown = it->second == "1" || iequals(it->second, "true");
  for (const auto& [key, value] : args) {
    if (key == "IP") {
      std::string_view rest = value;
      while (!rest.empty()) {
        auto comma = rest.find(',');
        TRY(add_ip(config, TRY(parse_ip_or_cidr(rest.substr(0, comma), "CNI_ARGS IP"))));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
    } else if (key == "MAC") {
      if (config.mac.empty()) config.mac = TRY(parse_mac(value, "CNI_ARGS MAC"));
    } else if (key == "IgnoreUnknown" || key.starts_with("K8S_POD_")) {
      continue;
    } else if (!ignore_unknown) {
      return cni_fail(Code::unsupported_field,
                      fmt::format("unsupported field CNI_ARGS {}={} (set IgnoreUnknown=1 to "
                                  "have unknown arguments ignored)",
                                  key, quote(value)));
    }
  }
  return {};
}

Status_ parse_attachments(const json& list, std::string_view key, Config& config) {
  if (!list.is_array()) return invalid(fmt::format("\"{}\" must be a list", key));
  for (const auto& a : list) {
    if (!a.is_object()) return invalid(fmt::format("{}: an entry must be an object", key));
    auto id = TRY(get_string(a, "containerID", key, true));
    auto ifname = TRY(get_string(a, "ifname", key, true));
    config.valid_attachments.emplace_back(id, ifname);
  }
  return {};
}

std::vector<int> version_numbers(std::string_view v) {
  std::vector<int> out;
  while (!v.empty()) {
    int n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    out.push_back(ec == std::errc() ? n : 0);
    auto dot = v.find('.');
    if (dot == std::string_view::npos) break;
    v.remove_prefix(dot + 1);
  }
  out.resize(3);
  return out;
}

std::string_view command_name(Command c) {
  switch (c) {
    case Command::add:
      return "ADD";
    case Command::del:
      return "DEL";
    case Command::check:
      return "CHECK";
    case Command::version:
      return "VERSION";
    case Command::status:
      return "STATUS";
    case Command::gc:
      return "GC";
  }
  return "?";
}

bool valid_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
}

}  // namespace

bool supported_version(std::string_view version) {
  return std::find(kSupportedVersions.begin(), kSupportedVersions.end(), version) !=
         kSupportedVersions.end();
}

int compare_versions(std::string_view a, std::string_view b) {
  auto x = version_numbers(a), y = version_numbers(b);
  return x < y ? -1 : (x > y ? 1 : 0);
}

json encode_error(const CniError& error, std::string_view version) {
  json out{{"cniVersion", supported_version(version) ? version : kLatestVersion},
           {"code", static_cast<int>(error.code)},
           {"msg", error.msg}};
  if (!error.details.empty()) out["details"] = error.details;
  return out;
}

json network_conflist(std::string_view name, const Cidr& subnet, const IpAddress& gateway, bool nat,
                      std::optional<std::pair<IpAddress, IpAddress>> ip_range, unsigned mtu,
                      const std::vector<ConflistSubnet>& more) {
  json ranges = json::array(), routes = json::array();
  std::vector<ConflistSubnet> all{{subnet, gateway, ip_range}};
  all.insert(all.end(), more.begin(), more.end());
  for (const auto& s : all) {
    json range{{"subnet", s.subnet.str()}, {"gateway", s.gateway.str()}};
    if (s.range) {
      range["rangeStart"] = s.range->first.str();
      range["rangeEnd"] = s.range->second.str();
    }
    ranges.push_back(json::array({range}));
    routes.push_back({{"dst", s.subnet.address().is_v4() ? "0.0.0.0/0" : "::/0"}});
  }
  json plugin{{"type", "contain"},
              {"ipMasq", nat},
              {"ipam", {{"type", "host-local"}, {"ranges", ranges}, {"routes", routes}}},
              {"capabilities",
               {{"portMappings", true}, {"ips", true}, {"mac", true}, {"bandwidth", true}}}};
  if (mtu > 0) plugin["mtu"] = mtu;
  return {{"cniVersion", "1.0.0"}, {"name", name}, {"plugins", json::array({plugin})}};
}

json encode_version_info() {
  json versions = json::array();
  for (auto v : kSupportedVersions) versions.push_back(v);
  return {{"cniVersion", kLatestVersion}, {"supportedVersions", versions}};
}

CniResult<Command> parse_command(const Getenv& getenv) {
  const char* value = getenv("CNI_COMMAND");
  if (!value || !*value)
    return cni_fail(Code::invalid_environment,
                    "CNI_COMMAND is not set (ADD, DEL, CHECK, VERSION, "
                    "STATUS or GC)");
  std::string_view text = value;
  for (auto c :
       {Command::add, Command::del, Command::check, Command::version, Command::status, Command::gc})
    if (text == command_name(c)) return c;
  return cni_fail(Code::invalid_environment,
                  fmt::format("CNI_COMMAND={} is not a CNI command (ADD, DEL, CHECK, VERSION, "
                              "STATUS or GC)",
                              quote(text)));
}

CniResult<Environment> parse_environment(const Getenv& getenv) {
  Environment env;
  env.command = TRY(parse_command(getenv));
  auto get = [&](const char* name) -> std::string {
    const char* v = getenv(name);
    return v ? std::string(v) : std::string();
  };
  bool needs_container =
      env.command == Command::add || env.command == Command::del || env.command == Command::check;
  env.container_id = get("CNI_CONTAINERID");
  env.netns = get("CNI_NETNS");
  env.ifname = get("CNI_IFNAME");
  env.path = get("CNI_PATH");
  if (needs_container) {
    auto missing = [&](const char* name) {
      return cni_fail(
          Code::invalid_environment,
          fmt::format("{} is not set; CNI_COMMAND={} needs it", name, command_name(env.command)));
    };
    if (env.container_id.empty()) return missing("CNI_CONTAINERID");
    if (!std::all_of(env.container_id.begin(), env.container_id.end(), valid_name_char) ||
        !std::isalnum(static_cast<unsigned char>(env.container_id[0])))
      return cni_fail(Code::invalid_environment,
                      fmt::format("CNI_CONTAINERID={} is not a container ID (letters, digits, "
                                  "'_', '.' and '-', starting with a letter or digit)",
                                  quote(env.container_id)));
    if (env.ifname.empty()) return missing("CNI_IFNAME");
    if (env.ifname.size() > 15 || env.ifname == "." || env.ifname == ".." ||
        std::any_of(env.ifname.begin(), env.ifname.end(), [](unsigned char c) {
          return c == '/' || c == ':' || std::isspace(c) || !std::isprint(c);
        }))
      return cni_fail(Code::invalid_environment,
                      fmt::format("CNI_IFNAME={} is not an interface name (1 to 15 bytes, no "
                                  "'/', ':' or spaces)",
                                  quote(env.ifname)));
    if (env.command != Command::del && env.netns.empty()) return missing("CNI_NETNS");
    if (!env.netns.empty() && env.netns[0] != '/')
      return cni_fail(Code::invalid_environment,
                      fmt::format("CNI_NETNS={} is not an absolute path to a network namespace",
                                  quote(env.netns)));
  }
  std::string_view args = getenv("CNI_ARGS") ? getenv("CNI_ARGS") : "";
  while (!args.empty()) {
    auto semi = args.find(';');
    std::string_view pair = args.substr(0, semi);
    args = semi == std::string_view::npos ? std::string_view() : args.substr(semi + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return cni_fail(Code::invalid_environment,
                      fmt::format("CNI_ARGS: {} is not KEY=VALUE", quote(pair)));
    env.args[std::string(pair.substr(0, eq))] = std::string(pair.substr(eq + 1));
  }
  return env;
}

std::string request_version(std::string_view stdin_text) {
  auto j = json::parse(stdin_text, nullptr, false);
  if (j.is_object())
    if (auto it = j.find("cniVersion"); it != j.end() && it->is_string()) {
      auto v = it->get<std::string>();
      if (supported_version(v)) return v;
    }
  return std::string(kLatestVersion);
}

CniResult<std::string> parse_mac(std::string_view text, std::string_view where) {
  std::string out;
  bool ok = text.size() == 17;
  for (std::size_t i = 0; ok && i < text.size(); ++i) {
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
    ok = i % 3 == 2 ? (c == ':' || c == '-') : std::isxdigit(static_cast<unsigned char>(c)) != 0;
    out += c == '-' ? ':' : c;
  }
  if (!ok)
    return invalid(
        fmt::format("{}: {} is not a MAC address (such as 02:42:ac:11:00:02)", where, quote(text)));
  // A multicast MAC (low bit of the first byte) cannot be an interface's address.
  if (std::stoi(out.substr(0, 2), nullptr, 16) & 1)
    return invalid(fmt::format("{}: {} is a multicast address", where, quote(text)));
  return out;
}

CniResult<Config> parse_config(std::string_view stdin_text, const Environment& env) {
  auto j = json::parse(stdin_text, nullptr, false);
  if (j.is_discarded())
    return cni_fail(Code::decode, "the network configuration on stdin is not valid JSON");
  if (!j.is_object())
    return cni_fail(Code::decode, "the network configuration on stdin is not a JSON object");
  Config config;
  {
    auto it = j.find("cniVersion");
    if (it == j.end() || !it->is_string())
      return cni_fail(Code::incompatible_version,
                      "the configuration has no cniVersion (contain supports 0.3.0 to 1.1.0)");
    config.cni_version = it->get<std::string>();
  }
  if (!supported_version(config.cni_version))
    return cni_fail(Code::incompatible_version,
                    fmt::format("cniVersion {} is not supported (contain supports 0.3.0, 0.3.1, "
                                "0.4.0, 1.0.0 and 1.1.0)",
                                quote(config.cni_version)));
  auto needs = [&](std::string_view since) -> Status_ {
    if (compare_versions(config.cni_version, since) < 0)
      return cni_fail(Code::incompatible_version,
                      fmt::format("{} is not part of CNI {} (it needs cniVersion {} or later)",
                                  command_name(env.command), config.cni_version, since));
    return {};
  };
  if (env.command == Command::check) TRY(needs("0.4.0"));
  if (env.command == Command::status || env.command == Command::gc) TRY(needs("1.1.0"));

  config.name = TRY(get_string(j, "name", "the configuration", true));
  if (config.name.empty() || !std::isalnum(static_cast<unsigned char>(config.name[0])) ||
      !std::all_of(config.name.begin(), config.name.end(), valid_name_char))
    return invalid(
        fmt::format("network name {} is invalid (letters, digits, '_', '.' and '-', "
                    "starting with a letter or digit)",
                    quote(config.name)));
  if (config.name.size() > 12)
    return unsupported("name", j["name"],
                       "contain's network names are at most 12 bytes (its bridge is cn-NAME)");
  config.type = TRY(get_string(j, "type", "the configuration", false));
  config.bridge = TRY(get_string(j, "bridge", "the configuration", false));
  config.ip_masq = TRY(get_bool(j, "ipMasq", false));
  config.is_gateway = TRY(get_bool(j, "isGateway", true));
  TRY(get_bool(j, "hairpinMode", true));
  TRY(get_bool(j, "isDefaultGateway", false));
  TRY(get_bool(j, "promiscMode", false));
  TRY(get_bool(j, "forceAddress", false));
  if (auto it = j.find("vlan"); it != j.end() && !it->is_null() && *it != 0)
    return unsupported("vlan", *it, "contain's networks carry no VLAN");
  if (auto it = j.find("mtu"); it != j.end() && !it->is_null() && *it != 0) {
    if (!it->is_number_integer() || it->get<std::int64_t>() < 68 || it->get<std::int64_t>() > 65535)
      return invalid(fmt::format("\"mtu\" must be a number from 68 to 65535, not {}", shown(*it)));
    config.mtu = it->get<unsigned>();
  }

  if (auto it = j.find("subnet"); it != j.end() && !it->is_null())
    config.ranges.push_back(TRY(parse_range(j, "the configuration")));
  bool top_level_subnet = !config.ranges.empty();
  if (auto it = j.find("ipam"); it != j.end() && !it->is_null()) TRY(parse_ipam(*it, config));
  if (top_level_subnet && config.ranges.size() > 1)
    return unsupported("subnet", j["subnet"], "give the subnet once, here or in ipam");
  if (auto it = j.find("dns"); it != j.end() && !it->is_null()) TRY(parse_dns(*it, config.dns));

  if (auto it = j.find("prevResult"); it != j.end() && !it->is_null()) {
    // contain does a whole chain's work (bridge, IPAM, ports, bandwidth,
    // firewall); after another plugin it would duplicate or undo that work.
    if (env.command == Command::add)
      return invalid(
          "contain must be the first plugin of the network's plugin list (ADD was given a "
          "prevResult); it does the work of bridge, host-local, portmap, bandwidth and "
          "firewall itself");
    config.has_prev_result = true;
    config.prev_result = *it;
  }
  if (auto it = j.find("runtimeConfig"); it != j.end() && !it->is_null())
    TRY(parse_runtime_config(*it, config));
  if (auto args = j.find("args"); args != j.end() && args->is_object())
    if (const json* c = find_key(*args, "cni"); c && c->is_object())
      if (const json* ips = find_key(*c, "ips"); ips && ips->is_array())
        for (const auto& v : *ips) {
          if (!v.is_string()) return invalid("args.cni.ips must be a list of addresses");
          TRY(add_ip(config, TRY(parse_ip_or_cidr(v.get<std::string>(), "args.cni.ips"))));
        }
  TRY(apply_cni_args(env.args, config));
  for (std::size_t i = 0; i < config.ips.size(); ++i)
    for (std::size_t k = 0; k < i; ++k)
      if (config.ips[i].family() == config.ips[k].family())
        return cni_fail(
            Code::unsupported_field,
            fmt::format(
                "unsupported field ips={}: one address per address family and attachment (a "
                "network has one subnet per family in contain)",
                shown(json(std::vector<std::string>{config.ips[k].str(), config.ips[i].str()}))));
  // A route is installed through the gateway of its family's subnet: without
  // one it could lead nowhere. (A default route of such a family is only
  // what every attachment gets anyway, for each family it has: no harm.)
  if (!config.ranges.empty())
    for (const auto& r : config.routes)
      if (r.dst.prefix() != 0 &&
          std::none_of(config.ranges.begin(), config.ranges.end(),
                       [&](const Range& g) { return g.subnet.family() == r.dst.family(); }))
        return invalid(fmt::format("ipam.routes: the route to {} is IPv{}, but no range is",
                                   r.dst.str(), r.dst.address().is_v4() ? 4 : 6));
  for (const char* key : {"cni.dev/valid-attachments", "cni.dev/attachments"})
    if (auto it = j.find(key); it != j.end() && !it->is_null())
      TRY(parse_attachments(*it, key, config));
  return config;
}

std::uint64_t burst_bytes(std::uint64_t rate_bits, std::uint64_t burst_bits) {
  constexpr std::uint64_t kMinimum = 32 * 1024, kKernelMax = (1ull << 31) - 1;
  std::uint64_t cap = std::min(std::max(kMinimum, rate_bits / 8 / 10), kKernelMax);
  if (burst_bits == 0) return cap;
  return std::clamp<std::uint64_t>(burst_bits / 8, std::min<std::uint64_t>(1500, cap), cap);
}

std::string attachment_owner(std::string_view container_id, std::string_view ifname) {
  return fmt::format("{}{}/{}", kOwnerPrefix, container_id, ifname);
}

json encode_result(const AddResult& result, std::string_view version) {
  bool before_1_0 = compare_versions(version, "1.0.0") < 0;
  bool from_1_1 = compare_versions(version, "1.1.0") >= 0;
  json out{{"cniVersion", version}};
  json interfaces = json::array();
  for (const auto& i : result.interfaces) {
    json entry{{"name", i.name}};
    if (!i.mac.empty()) entry["mac"] = i.mac;
    if (from_1_1 && i.mtu > 0) entry["mtu"] = i.mtu;
    if (!i.sandbox.empty()) entry["sandbox"] = i.sandbox;
    interfaces.push_back(entry);
  }
  out["interfaces"] = interfaces;
  json ips = json::array();
  for (const auto& ip : result.ips) {
    json entry;
    if (before_1_0) entry["version"] = ip.address.address().is_v4() ? "4" : "6";
    entry["address"] = ip.address.str();
    if (ip.gateway) entry["gateway"] = ip.gateway->str();
    if (ip.interface >= 0) entry["interface"] = ip.interface;
    ips.push_back(entry);
  }
  out["ips"] = ips;
  if (!result.routes.empty()) {
    json routes = json::array();
    for (const auto& r : result.routes) {
      json entry{{"dst", r.dst.str()}};
      if (r.gw) entry["gw"] = r.gw->str();
      routes.push_back(entry);
    }
    out["routes"] = routes;
  }
  json dns = json::object();
  if (!result.dns.nameservers.empty()) dns["nameservers"] = result.dns.nameservers;
  if (!result.dns.domain.empty()) dns["domain"] = result.dns.domain;
  if (!result.dns.search.empty()) dns["search"] = result.dns.search;
  if (!result.dns.options.empty()) dns["options"] = result.dns.options;
  out["dns"] = dns;
  return out;
}

}  // namespace contain::model::cni
