// contain bridge ...: Linux bridges and ports from them into namespaces.
#include "engine/bridge.hpp"

#include <fmt/format.h>

#include "cli/app.hpp"

namespace contain::cli {

namespace {

using nlohmann::json;

json bridges_json(const std::vector<engine::BridgeInfo>& list) {
  json out = json::array();
  for (const auto& b : list) {
    json addrs = json::array();
    for (const auto& a : b.addresses) addrs.push_back(a.str());
    json ports = json::array();
    for (const auto& p : b.members)
      ports.push_back({{"host", p.host},
                       {"namespace", p.netns.empty() ? json(nullptr) : json(p.netns)},
                       {"interface", p.ifname.empty() ? json(nullptr) : json(p.ifname)}});
    out.push_back({{"name", b.name},
                   {"managed", b.managed},
                   {"network", b.network.empty() ? json(nullptr) : json(b.network)},
                   {"addresses", addrs},
                   {"ports", ports}});
  }
  return out;
}

void add_bridge_commands(Commands& commands) {
  CLI::App* bridge =
      commands.app().add_subcommand("bridge", "Linux bridges and ports into namespaces");
  bridge->require_subcommand(1);
  {
    auto* sub = bridge->add_subcommand("create", "Create a bridge, up, optionally addressed");
    auto name = std::make_shared<std::string>();
    auto addr = std::make_shared<std::string>();
    sub->add_option("BR", *name, "Bridge name")->required();
    sub->add_option("--addr", *addr, "Address of the bridge (CIDR), e.g. 192.0.2.1/24");
    commands.on(sub, "bridge create", [name, addr]() -> Result<int> {
      auto n = TRY(IfName::parse(*name));
      auto a = TRY(parse_optional<Cidr>(*addr, Cidr::parse));
      TRY(engine::create_bridge(n, a));
      return 0;
    });
  }
  {
    auto* sub = bridge->add_subcommand("delete", "Delete a bridge contain created");
    auto name = std::make_shared<std::string>();
    auto force = std::make_shared<bool>(false);
    sub->add_option("BR", *name, "Bridge name")->required();
    sub->add_flag("--force", *force,
                  "Also delete a bridge with ports (the ports contain made go with it) or one "
                  "contain did not create");
    commands.on(sub, "bridge delete", [name, force]() -> Result<int> {
      auto n = TRY(IfName::parse(*name));
      TRY(engine::delete_bridge(n, *force));
      return 0;
    });
  }
  {
    auto* sub = bridge->add_subcommand("list", "List bridges, their addresses and ports");
    auto as_json = std::make_shared<bool>(false);
    sub->add_flag("--json", *as_json,
                  "Print JSON: [{\"name\", \"managed\", \"network\", \"addresses\": [CIDR], "
                  "\"ports\": [{\"host\", \"namespace\", \"interface\"}]}]");
    commands.on(sub, "bridge list",
                [as_json]() -> Result<int> {
                  auto list = TRY(engine::list_bridges());
                  json out = bridges_json(list);
                  if (*as_json) {
                    print_json(out);
                    return 0;
                  }
                  std::vector<std::vector<std::string>> rows;
                  for (const auto& b : list) {
                    std::string addrs, ports;
                    for (const auto& a : b.addresses) addrs += (addrs.empty() ? "" : " ") + a.str();
                    for (const auto& p : b.members)
                      ports += (ports.empty() ? "" : " ") +
                               (p.netns.empty() ? p.host : fmt::format("{}:{}", p.netns, p.ifname));
                    rows.push_back({b.name, b.managed ? "contain" : "other",
                                    addrs.empty() ? "-" : addrs, ports.empty() ? "-" : ports});
                  }
                  print_table({"NAME", "CREATED-BY", "ADDRESSES", "PORTS"}, rows);
                  return 0;
                },
                {.privileged = false});
  }
  {
    auto* sub = bridge->add_subcommand(
        "attach", "Connect a namespace to a bridge with a veth pair, addressed and up");
    struct Options {
      std::string bridge, netns, addr, ifname, gateway, host;
    };
    auto o = std::make_shared<Options>();
    sub->add_option("BR", o->bridge, "Bridge name")->required();
    sub->add_option("NS", o->netns, "Namespace name")->required();
    sub->add_option("--addr", o->addr, "Address inside the namespace (CIDR)")->required();
    sub->add_option("--ifname", o->ifname,
                    "Interface name inside (default eth0, else next free ethN)");
    sub->add_option("--gateway", o->gateway, "Add a default route via this address");
    sub->add_option("--host", o->host,
                    "Name of the host end (default: generated, vc + 12 hex digits)");
    commands.on(sub, "bridge attach", [o]() -> Result<int> {
      engine::BridgeAttachSpec spec{TRY(IfName::parse(o->bridge)),
                                    engine::NetnsRef::named(TRY(NetnsName::parse(o->netns))),
                                    TRY(Cidr::parse(o->addr)),
                                    {},
                                    {},
                                    {}};
      spec.ifname = TRY(parse_optional<IfName>(o->ifname, IfName::parse));
      spec.gateway = TRY(parse_optional<IpAddress>(o->gateway, IpAddress::parse));
      spec.host = TRY(parse_optional<IfName>(o->host, IfName::parse));
      auto port = TRY(engine::attach_to_bridge(spec));
      fmt::print("{} {}\n", port.ifname, port.host);
      return 0;
    });
  }
}

CommandGroup bridge_group{"bridge", 20, add_bridge_commands};

}  // namespace

}  // namespace contain::cli
