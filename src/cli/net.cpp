// contain net ...: named network namespaces and veth pairs.
#include "engine/net.hpp"

#include <fmt/format.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <map>

#include "cli/app.hpp"

namespace contain::cli {

namespace {

using nlohmann::json;

std::vector<std::string> flag_names(unsigned flags) {
  std::vector<std::string> out;
  static const std::pair<unsigned, const char*> known[] = {
      {IFF_UP, "UP"},
      {IFF_BROADCAST, "BROADCAST"},
      {IFF_LOOPBACK, "LOOPBACK"},
      {IFF_POINTOPOINT, "POINTOPOINT"},
      {IFF_RUNNING, "RUNNING"},
      {IFF_NOARP, "NOARP"},
      {IFF_PROMISC, "PROMISC"},
      {IFF_MULTICAST, "MULTICAST"},
      {0x10000u /* IFF_LOWER_UP */, "LOWER_UP"}};
  for (auto [bit, name] : known)
    if (flags & bit) out.emplace_back(name);
  return out;
}

// The state from the link's flags, which the request that changed them set:
// the operational state (RFC 2863) follows asynchronously, and a link brought
// up a moment ago still reads "down" there for a few milliseconds.
std::string link_state(unsigned flags) {
  if (!(flags & IFF_UP)) return "down";
  if (flags & 0x10000u /* IFF_LOWER_UP: carrier */) return "up";
  return "no-carrier";
}

std::string scope_name(int scope) {
  switch (scope) {
    case RT_SCOPE_UNIVERSE:
      return "global";
    case RT_SCOPE_LINK:
      return "link";
    case RT_SCOPE_HOST:
      return "host";
    default:
      return std::to_string(scope);
  }
}

json details_json(const engine::NetnsDetails& d) {
  std::map<int, std::string> names;
  for (const auto& l : d.links) names[l.ifindex] = l.name;
  json links = json::array();
  for (const auto& l : d.links) {
    json addrs = json::array();
    for (const auto& a : d.addresses)
      if (a.ifindex == l.ifindex)
        addrs.push_back({{"address", a.cidr.str()},
                         {"family", a.cidr.address().is_v4() ? "inet" : "inet6"},
                         {"scope", scope_name(a.scope)}});
    links.push_back({{"ifindex", l.ifindex},
                     {"name", l.name},
                     {"kind", l.kind},
                     {"state", link_state(l.flags)},
                     {"flags", flag_names(l.flags)},
                     {"mtu", l.mtu},
                     {"mac", l.mac},
                     {"alias", l.alias},
                     {"addresses", addrs}});
  }
  json routes = json::array();
  for (const auto& r : d.routes) {
    routes.push_back({{"family", r.family == AF_INET ? "inet" : "inet6"},
                      {"destination", r.destination ? r.destination->str() : "default"},
                      {"gateway", r.gateway ? json(r.gateway->str()) : json(nullptr)},
                      {"dev", names.contains(r.ifindex) ? names[r.ifindex] : ""},
                      {"scope", scope_name(r.scope)}});
  }
  return {{"name", d.name}, {"links", links}, {"routes", routes}};
}

void print_details(const json& d) {
  fmt::print("namespace {}\n", d["name"].get<std::string>());
  fmt::print("links:\n");
  std::vector<std::vector<std::string>> rows;
  for (const auto& l : d["links"]) {
    std::string addrs;
    for (const auto& a : l["addresses"]) {
      if (!addrs.empty()) addrs += " ";
      addrs += a["address"].get<std::string>();
    }
    rows.push_back({l["name"].get<std::string>(),
                    l["kind"].get<std::string>().empty() ? "-" : l["kind"].get<std::string>(),
                    l["state"].get<std::string>(), addrs.empty() ? "-" : addrs});
  }
  print_table({"  NAME", "KIND", "STATE", "ADDRESSES"}, [&] {
    for (auto& r : rows) r[0] = "  " + r[0];
    return rows;
  }());
  fmt::print("routes:\n");
  rows.clear();
  for (const auto& r : d["routes"])
    rows.push_back({"  " + r["destination"].get<std::string>(),
                    r["gateway"].is_null() ? "-" : r["gateway"].get<std::string>(),
                    r["dev"].get<std::string>().empty() ? "-" : r["dev"].get<std::string>()});
  print_table({"  DESTINATION", "GATEWAY", "DEV"}, rows);
}

}  // namespace

namespace {

void add_net_commands(Commands& commands) {
  CLI::App* net = commands.app().add_subcommand(
      "net", "Named network namespaces (compatible with 'ip netns') and veth pairs");
  net->require_subcommand(1);

  {
    auto* sub = net->add_subcommand("create", "Create a named network namespace, loopback up");
    auto name = std::make_shared<std::string>();
    sub->add_option("NAME", *name, "Namespace name (a file under /run/netns)")->required();
    commands.on(sub, "net create", [name]() -> Result<int> {
      auto n = TRY(NetnsName::parse(*name));
      TRY(engine::create_netns(n));
      return 0;
    });
  }
  {
    auto* sub =
        net->add_subcommand("delete", "Delete network namespaces and what contain made for them");
    auto names = std::make_shared<std::vector<std::string>>();
    sub->add_option("NAME", *names, "Namespace names")->required();
    commands.on(sub, "net delete", [names]() -> Result<int> {
      std::vector<NetnsName> parsed;
      for (const auto& n : *names) parsed.push_back(TRY(NetnsName::parse(n)));
      TRY(engine::delete_netns(parsed));
      return 0;
    });
  }
  {
    auto* sub =
        net->add_subcommand("list", "List network namespaces (also those made by 'ip netns add')");
    auto as_json = std::make_shared<bool>(false);
    sub->add_flag("--json", *as_json, "Print JSON: [{\"name\", \"interfaces\", \"managed\"}]");
    sub->footer(
        "Without CAP_SYS_ADMIN the namespaces cannot be entered: their interfaces show as '?' "
        "(null in JSON).");
    commands.on(
        sub, "net list",
        [as_json]() -> Result<int> {
          auto list = TRY(engine::list_netns());
          if (*as_json) {
            json out = json::array();
            for (const auto& s : list)
              out.push_back({{"name", s.name},
                             {"interfaces", s.interfaces ? json(*s.interfaces) : json(nullptr)},
                             {"managed", s.managed}});
            print_json(out);
          } else {
            std::vector<std::vector<std::string>> rows;
            for (const auto& s : list)
              rows.push_back({s.name, s.interfaces ? std::to_string(*s.interfaces) : "?",
                              s.managed ? "contain" : "other"});
            print_table({"NAME", "INTERFACES", "CREATED-BY"}, rows);
          }
          return 0;
        },
        {.privileged = false});
  }
  {
    auto* sub = net->add_subcommand("show", "Show a namespace's links, addresses and routes");
    auto name = std::make_shared<std::string>();
    auto as_json = std::make_shared<bool>(false);
    sub->add_option("NAME", *name, "Namespace name")->required();
    sub->add_flag("--json", *as_json,
                  "Print JSON: {\"name\", \"links\": [...], \"routes\": [...]}");
    commands.on(sub, "net show", [name, as_json]() -> Result<int> {
      auto n = TRY(NetnsName::parse(*name));
      auto details = TRY(engine::show_netns(n));
      json d = details_json(details);
      if (*as_json)
        print_json(d);
      else
        print_details(d);
      return 0;
    });
  }
  {
    auto* sub =
        net->add_subcommand("exec", "Run a command inside a namespace (like 'ip netns exec')");
    auto name = std::make_shared<std::string>();
    sub->add_option("NAME", *name, "Namespace name")->required();
    // Everything after the command's name belongs to the command, options included.
    sub->prefix_command();
    sub->footer(
        "Usage: contain net exec NAME -- CMD [ARG...]\n"
        "Exit status: the command's own, or 128+N if signal N killed it.");
    commands.on(
        sub, "net exec",
        [&commands, sub, name]() -> Result<int> {
          auto n = TRY(NetnsName::parse(*name));
          std::vector<std::string> argv = commands.command_of(sub);
          if (argv.empty())
            return fail(Error::usage(
                "net exec: no command given; usage: contain net exec NAME -- CMD [ARG...]"));
          return engine::exec_in_netns(n, argv);
        },
        {.takes_command = true});
  }
  {
    auto* sub = net->add_subcommand(
        "veth", "Create a veth pair from the host into a namespace, both ends up");
    struct Options {
      std::string host, netns, peer = "veth0", host_addr, ns_addr, gateway;
    };
    auto o = std::make_shared<Options>();
    sub->add_option("--host", o->host, "Name of the host end")->required();
    sub->add_option("--ns", o->netns, "Namespace that gets the other end")->required();
    sub->add_option("--peer", o->peer, "Name of the end inside the namespace")
        ->capture_default_str();
    sub->add_option("--host-addr", o->host_addr, "Address of the host end (CIDR)");
    sub->add_option("--ns-addr", o->ns_addr, "Address of the namespace end (CIDR)");
    sub->add_option("--gateway", o->gateway,
                    "Add a default route inside via this address (usually the host end's)");
    commands.on(sub, "net veth", [o]() -> Result<int> {
      engine::VethSpec spec{TRY(IfName::parse(o->host)),
                            TRY(NetnsName::parse(o->netns)),
                            TRY(IfName::parse(o->peer)),
                            {},
                            {},
                            {}};
      spec.host_address = TRY(parse_optional<Cidr>(o->host_addr, Cidr::parse));
      spec.netns_address = TRY(parse_optional<Cidr>(o->ns_addr, Cidr::parse));
      spec.gateway = TRY(parse_optional<IpAddress>(o->gateway, IpAddress::parse));
      TRY(engine::create_veth_to_netns(spec));
      return 0;
    });
  }
}

CommandGroup net_group{"net", 10, add_net_commands};

}  // namespace

}  // namespace contain::cli
