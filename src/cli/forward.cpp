// contain forward ...: publishing ports of namespaces on the host.
#include <fmt/format.h>

#include "cli/app.hpp"
#include "engine/firewall.hpp"

namespace contain::cli {

namespace {

using nlohmann::json;

struct HostSide {
  std::string port, proto = "tcp", addr;
};

void add_host_side_options(CLI::App* sub, HostSide& o) {
  sub->add_option("--host-port", o.port, "Port on the host (1-65535)")->required();
  sub->add_option("--proto", o.proto, "tcp or udp")->capture_default_str();
  sub->add_option("--host-addr", o.addr, "Only this host address (default: every local address)");
}

void add_forward_commands(Commands& commands) {
  CLI::App* forward = commands.app().add_subcommand(
      "forward", "Publish ports of namespaces on the host (DNAT, also from 127.0.0.1)");
  forward->require_subcommand(1);
  {
    auto* sub = forward->add_subcommand("add", "Forward a host port to NS:PORT or IP:PORT");
    struct Options : HostSide {
      std::string to;
    };
    auto o = std::make_shared<Options>();
    add_host_side_options(sub, *o);
    sub->add_option("--to", o->to,
                    "NS:PORT (the namespace's managed address; NS a name, pid:PID, a path or "
                    "container:NAME), IP:PORT or [IPv6]:PORT")
        ->required();
    commands.on(sub, "forward add", [o]() -> Result<int> {
      auto port = TRY(Port::parse(o->port));
      auto proto = TRY(parse_protocol(o->proto));
      auto addr = TRY(parse_optional<IpAddress>(o->addr, IpAddress::parse));
      auto destination = TRY(model::parse_forward_destination(o->to));
      std::variant<engine::NetnsRef, IpAddress> to = IpAddress();
      if (auto* ns = std::get_if<model::NetnsSpec>(&destination.to))
        to = TRY(engine::resolve_netns(*ns));
      else
        to = std::get<IpAddress>(destination.to);
      engine::ForwardSpec spec{proto, port, addr, to, destination.port};
      TRY(engine::add_forward(spec));
      return 0;
    });
  }
  {
    auto* sub = forward->add_subcommand("remove", "Stop forwarding a host port");
    auto o = std::make_shared<HostSide>();
    add_host_side_options(sub, *o);
    commands.on(sub, "forward remove", [o]() -> Result<int> {
      auto port = TRY(Port::parse(o->port));
      auto proto = TRY(parse_protocol(o->proto));
      auto addr = TRY(parse_optional<IpAddress>(o->addr, IpAddress::parse));
      TRY(engine::remove_forward(proto, port, addr));
      return 0;
    });
  }
  {
    auto* sub = forward->add_subcommand("list", "List forwarded ports");
    auto as_json = std::make_shared<bool>(false);
    sub->add_flag("--json", *as_json,
                  "Print JSON: [{\"host_port\", \"proto\", \"host_addr\", \"to\", \"owner\", "
                  "\"targets\": [\"IP:PORT\"...]}]");
    commands.on(sub, "forward list",
                [as_json]() -> Result<int> {
                  auto list = TRY(engine::list_forwards());
                  if (*as_json) {
                    json out = json::array();
                    for (const auto& f : list) {
                      json targets = json::array();
                      for (const auto& t : f.targets) targets.push_back(t.endpoint().str());
                      out.push_back({{"host_port", f.host_port.value()},
                                     {"proto", protocol_name(f.protocol)},
                                     {"host_addr",
                                      f.host_address ? json(f.host_address->str()) : json(nullptr)},
                                     {"to", f.to},
                                     {"owner", f.owner},
                                     {"targets", targets}});
                    }
                    print_json(out);
                  } else {
                    std::vector<std::vector<std::string>> rows;
                    for (const auto& f : list) {
                      std::string targets;
                      for (const auto& t : f.targets) {
                        if (!targets.empty()) targets += " ";
                        targets += t.endpoint().str();
                      }
                      rows.push_back({f.host_port.str(), std::string(protocol_name(f.protocol)),
                                      f.host_address ? f.host_address->str() : "*", f.to, targets});
                    }
                    print_table({"HOST-PORT", "PROTO", "HOST-ADDR", "TO", "TARGETS"}, rows);
                  }
                  return 0;
                },
                {.privileged = false});
  }
}

CommandGroup forward_group{"forward", 31, add_forward_commands};

}  // namespace

}  // namespace contain::cli
