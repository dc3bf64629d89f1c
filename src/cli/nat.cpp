// contain nat ...: masquerading a subnet towards the outside.
#include <fmt/format.h>

#include "cli/app.hpp"
#include "engine/firewall.hpp"

namespace contain::cli {

namespace {

using nlohmann::json;

void add_nat_commands(Commands& commands) {
  CLI::App* nat = commands.app().add_subcommand(
      "nat", "Masquerade a subnet's traffic to the outside (nftables table 'inet contain')");
  nat->require_subcommand(1);
  {
    auto* sub = nat->add_subcommand(
        "enable", "Masquerade traffic from SUBNET leaving through another interface (or --out)");
    auto subnet = std::make_shared<std::string>();
    auto out = std::make_shared<std::string>();
    sub->add_option("--subnet", *subnet, "Source subnet (CIDR)")->required();
    sub->add_option("--out", *out, "Masquerade only traffic leaving through this interface");
    commands.on(sub, "nat enable", [subnet, out]() -> Result<int> {
      auto s = TRY(Cidr::parse(*subnet));
      auto o = TRY(parse_optional<IfName>(*out, IfName::parse));
      TRY(engine::enable_nat(s, o));
      return 0;
    });
  }
  {
    auto* sub = nat->add_subcommand("disable", "Stop masquerading SUBNET");
    auto subnet = std::make_shared<std::string>();
    sub->add_option("--subnet", *subnet, "Source subnet (CIDR)")->required();
    commands.on(sub, "nat disable", [subnet]() -> Result<int> {
      TRY(engine::disable_nat(TRY(Cidr::parse(*subnet))));
      return 0;
    });
  }
  {
    auto* sub = nat->add_subcommand("list", "List masqueraded subnets");
    auto as_json = std::make_shared<bool>(false);
    sub->add_flag("--json", *as_json, "Print JSON: [{\"subnet\", \"out\", \"owner\"}]");
    commands.on(sub, "nat list", [as_json]() -> Result<int> {
      auto list = TRY(engine::list_nat());
      if (*as_json) {
        json out = json::array();
        for (const auto& n : list)
          out.push_back({{"subnet", n.subnet.str()},
                         {"out", n.out ? json(*n.out) : json(nullptr)},
                         {"owner", n.owner}});
        print_json(out);
      } else {
        std::vector<std::vector<std::string>> rows;
        for (const auto& n : list)
          rows.push_back({n.subnet.str(), n.out.value_or("*"), n.owner.empty() ? "-" : n.owner});
        print_table({"SUBNET", "OUT", "OWNER"}, rows);
      }
      return 0;
    }, {.privileged = false});
  }
}

CommandGroup nat_group{"nat", 30, add_nat_commands};

}  // namespace

}  // namespace contain::cli
