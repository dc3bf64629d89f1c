// contain network ...: managed networks with address management.
#include "engine/network.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/app.hpp"
#include "core/unique_fd.hpp"
#include "model/cni.hpp"
#include "model/json_text.hpp"
#include "model/network.hpp"

namespace contain::cli {

namespace {

// Writes `text` to a temporary file beside `path`, then renames it over `path`.
Status write_file_atomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) return fail(Error::system(fmt::format("write {}", tmp)));
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
      ::rename(tmp.c_str(), path.c_str()) < 0) {
    auto e = Error::system(fmt::format("write {}", path));
    ::unlink(tmp.c_str());
    return fail(std::move(e));
  }
  return {};
}

using nlohmann::json;

// "10.0.0.2/24" or, on a dual-stack network, "10.0.0.2/24,2001:db8::2/64".
std::string addresses_text(const engine::Attachment& a) {
  std::string out = Cidr(a.ip, a.prefix).str();
  for (const auto& m : a.more) out += "," + Cidr(m.ip, m.prefix).str();
  return out;
}

json network_json(const engine::NetworkInfo& n) {
  json attachments = json::array();
  for (const auto& a : n.attachments) {
    json more = json::array();
    for (const auto& m : a.more) more.push_back(Cidr(m.ip, m.prefix).str());
    attachments.push_back({{"namespace", a.netns.empty() ? json(nullptr) : json(a.netns)},
                           {"ref", a.ref.empty() ? json(nullptr) : json(a.ref)},
                           {"netns_id", a.netns_id.empty() ? json(nullptr) : json(a.netns_id)},
                           {"owner", a.owner},
                           {"interface", a.ifname},
                           {"host", a.host},
                           {"address", Cidr(a.ip, a.prefix).str()},
                           {"more_addresses", more}});
  }
  json more_subnets = json::array();
  for (const auto& m : n.more_subnets)
    more_subnets.push_back({{"subnet", m.subnet.str()},
                            {"gateway", m.gateway.str()},
                            {"ip_range", m.ip_range ? json(m.ip_range->str()) : json(nullptr)}});
  return {{"name", n.name},
          {"bridge", n.bridge},
          {"subnet", n.subnet.str()},
          {"gateway", n.gateway.str()},
          {"ip_range", n.ip_range ? json(n.ip_range->str()) : json(nullptr)},
          {"mtu", n.mtu > 0 ? json(n.mtu) : json(nullptr)},
          {"nat", n.nat},
          {"isolated", n.isolated},
          {"more_subnets", more_subnets},
          {"attachments", attachments}};
}

constexpr const char* kNetworkJsonShape =
    "{\"name\", \"bridge\", \"subnet\", \"gateway\", \"ip_range\", \"mtu\", \"nat\", \"isolated\", "
    "\"more_subnets\": [{\"subnet\", \"gateway\", \"ip_range\"}] (dual stack), \"attachments\": "
    "[{\"namespace\", \"ref\", \"netns_id\", \"owner\", \"interface\", \"host\", "
    "\"address\", \"more_addresses\"}]}";

void add_network_commands(Commands& commands) {
  CLI::App* network = commands.app().add_subcommand(
      "network", "Managed networks: a bridge, a gateway, an address pool, NAT and isolation");
  network->require_subcommand(1);
  {
    auto* sub = network->add_subcommand("create", "Create a managed network");
    // The spec's options, and where to write a CNI configuration.
    struct Options : model::NetworkOptions {
      std::string cni_conflist;
    };
    auto o = std::make_shared<Options>();
    sub->add_option("NAME", o->name, "Network name (at most 12 bytes; its bridge is cn-NAME)")
        ->required();
    sub->add_option("--subnet", o->subnets,
                    "Subnet (CIDR), IPv4 or IPv6; twice for dual stack (one of each family)")
        ->required()
        ->take_last()
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    sub->add_option("--gateway", o->gateways,
                    "Gateway address (default: the first usable one); one per subnet, matched by "
                    "the subnet that holds it")
        ->take_last()
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    sub->add_option("--ip-range", o->ip_ranges,
                    "Hand out addresses only from this CIDR inside its subnet (static --ip "
                    "addresses may lie anywhere in the subnet); one per subnet")
        ->take_last()
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    sub->add_option("--mtu", o->mtu,
                    "MTU of the bridge and of every interface attached (68-65535; default: the "
                    "kernel's, 1500)")
        ->check(CLI::Range(68u, 65535u));
    sub->add_flag("--no-nat", o->no_nat, "Do not NAT the network to the outside");
    sub->add_option("--cni-conflist", o->cni_conflist,
                    "Also write DIR/NAME.conflist, a CNI configuration using contain as the plugin "
                    "(for podman's network_config_dir)");
    commands.on(sub, "network create", [o]() -> Result<int> {
      auto spec = TRY(model::build_network_spec(*o));
      std::string conflist;
      if (!o->cni_conflist.empty()) {
        struct stat st {};
        if (::stat(o->cni_conflist.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
          return fail(Error::usage(
              fmt::format("--cni-conflist {}: not a directory", quote(o->cni_conflist))));
        conflist = fmt::format("{}/{}.conflist", o->cni_conflist, spec.name.str());
      }
      auto info = TRY(engine::create_network(spec));
      if (!conflist.empty()) {
        auto range_of = [](const std::optional<model::AddressRange>& r) {
          return r ? std::optional(std::pair{r->first, r->last}) : std::nullopt;
        };
        std::vector<model::cni::ConflistSubnet> more;
        for (const auto& m : info.more_subnets)
          more.push_back({m.subnet, m.gateway, range_of(m.ip_range)});
        auto written = write_file_atomically(
            conflist, model::json_text(model::cni::network_conflist(
                                           info.name, info.subnet, info.gateway, info.nat,
                                           range_of(info.ip_range), info.mtu, more),
                                       2) +
                          "\n");
        if (!written) {
          (void)engine::delete_network(spec.name, false);
          return fail(std::move(written).error());
        }
      }
      return 0;
    });
  }
  {
    auto* sub = network->add_subcommand("delete", "Delete a managed network");
    auto name = std::make_shared<std::string>();
    auto force = std::make_shared<bool>(false);
    sub->add_option("NAME", *name, "Network name")->required();
    sub->add_flag("--force", *force, "Detach everything attached first");
    commands.on(sub, "network delete", [name, force]() -> Result<int> {
      TRY(engine::delete_network(TRY(NetworkName::parse(*name)), *force));
      return 0;
    });
  }
  {
    auto* sub = network->add_subcommand(
        "attach", "Attach a namespace: an address from the pool, a default route via the gateway");
    struct Options {
      std::string name, netns, ip, ifname;
      bool default_route = false;
    };
    auto o = std::make_shared<Options>();
    sub->add_option("NAME", o->name, "Network name")->required();
    sub->add_option("NS", o->netns, kNetnsHelp)->required();
    sub->add_option("--ip", o->ip, "A static address instead of the next free one");
    sub->add_option("--ifname", o->ifname,
                    "Interface name inside (default eth0, else next free ethN)");
    sub->add_flag("--default-route", o->default_route,
                  "Make this network's gateway the default route even if the namespace has one "
                  "(by default only its first network gives the default route)");
    sub->footer(
        "Prints the address given, as CIDR (on a dual-stack network both, comma-separated).");
    commands.on(sub, "network attach", [o]() -> Result<int> {
      auto name = TRY(NetworkName::parse(o->name));
      auto netns = TRY(model::NetnsSpec::parse(o->netns));
      auto ip = TRY(parse_optional<IpAddress>(o->ip, IpAddress::parse));
      auto ifname = TRY(parse_optional<IfName>(o->ifname, IfName::parse));
      auto a = TRY(engine::attach_to_network(name, TRY(engine::resolve_netns(netns)), ip, ifname,
                                             o->default_route));
      fmt::print("{}\n", addresses_text(a));
      return 0;
    });
  }
  {
    auto* sub = network->add_subcommand("detach", "Detach a namespace and release its address");
    auto name = std::make_shared<std::string>();
    auto netns = std::make_shared<std::string>();
    sub->add_option("NAME", *name, "Network name")->required();
    sub->add_option("NS", *netns, kNetnsHelp)->required();
    commands.on(sub, "network detach", [name, netns]() -> Result<int> {
      auto n = TRY(NetworkName::parse(*name));
      auto spec = TRY(model::NetnsSpec::parse(*netns));
      TRY(engine::detach_from_network(n, TRY(engine::resolve_netns(spec))));
      return 0;
    });
  }
  {
    auto* sub = network->add_subcommand("list", "List managed networks");
    auto as_json = std::make_shared<bool>(false);
    sub->add_flag("--json", *as_json, std::string("Print JSON: [") + kNetworkJsonShape + "]");
    commands.on(sub, "network list",
                [as_json]() -> Result<int> {
                  auto list = TRY(engine::list_networks());
                  if (*as_json) {
                    json out = json::array();
                    for (const auto& n : list) out.push_back(network_json(n));
                    print_json(out);
                    return 0;
                  }
                  std::vector<std::vector<std::string>> rows;
                  for (const auto& n : list)
                    rows.push_back({n.name, n.subnet.str(), n.gateway.str(), n.bridge,
                                    n.nat ? "yes" : "no", std::to_string(n.attachments.size())});
                  print_table({"NAME", "SUBNET", "GATEWAY", "BRIDGE", "NAT", "ATTACHED"}, rows);
                  return 0;
                },
                {.privileged = false});
  }
  {
    auto* sub = network->add_subcommand("inspect", "Show a network and its attachments");
    auto name = std::make_shared<std::string>();
    auto as_json = std::make_shared<bool>(false);
    sub->add_option("NAME", *name, "Network name")->required();
    sub->add_flag("--json", *as_json, std::string("Print JSON: ") + kNetworkJsonShape);
    commands.on(sub, "network inspect",
                [name, as_json]() -> Result<int> {
                  auto n = TRY(engine::inspect_network(TRY(NetworkName::parse(*name))));
                  if (*as_json) {
                    print_json(network_json(n));
                    return 0;
                  }
                  fmt::print("network {}\nsubnet {}  gateway {}  bridge {}  nat {}  isolated {}\n",
                             n.name, n.subnet.str(), n.gateway.str(), n.bridge,
                             n.nat ? "yes" : "no", n.isolated ? "yes" : "no");
                  if (n.ip_range) fmt::print("addresses from {}\n", n.ip_range->str());
                  for (const auto& m : n.more_subnets)
                    fmt::print("subnet {}  gateway {}{}\n", m.subnet.str(), m.gateway.str(),
                               m.ip_range ? "  addresses from " + m.ip_range->str() : "");
                  if (n.mtu > 0) fmt::print("mtu {}\n", n.mtu);
                  std::vector<std::vector<std::string>> rows;
                  for (const auto& a : n.attachments)
                    rows.push_back({!a.netns.empty() ? a.netns
                                    : !a.ref.empty() ? a.ref
                                                     : a.owner,
                                    a.ifname, addresses_text(a), a.host});
                  print_table({"NAMESPACE", "INTERFACE", "ADDRESS", "HOST-END"}, rows);
                  return 0;
                },
                {.privileged = false});
  }
}

CommandGroup network_group{"network", 30, add_network_commands};

}  // namespace

}  // namespace contain::cli
