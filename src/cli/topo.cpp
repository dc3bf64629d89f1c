// contain topo ...: labs from topology files (model/topology, engine/topo).
#include "engine/topo.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "cli/app.hpp"
#include "cli/topo.hpp"
#include "engine/net.hpp"

namespace contain::cli {

using nlohmann::json;

Result<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(Error::usage(fmt::format("cannot read {}: {}", quote(path), std::strerror(errno))));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<LabSource> resolve_lab(const std::string& file_or_name) {
  LabSource out;
  // A lab that is up is found by name first: its record has the text it was
  // made from, so an edited or deleted file does not matter.
  bool is_file = ::access(file_or_name.c_str(), F_OK) == 0;
  if (!is_file) {
    auto record = engine::topo_record(file_or_name);
    if (!record) {
      if (record.error().code() == ENOENT)
        return fail(
            Error::usage(fmt::format("{} is neither a file nor a lab that is up (see "
                                     "'contain topo list')",
                                     quote(file_or_name))));
      return fail(std::move(record).error());
    }
    out.topology = TRY(model::load_topology(record->text, record->file));
    out.prefix = record->prefix;
    out.record = std::move(*record);
    return out;
  }
  std::string text = TRY(read_text_file(file_or_name));
  out.topology = TRY(model::load_topology(text, file_or_name));
  out.text = std::move(text);
  if (auto record = engine::topo_record(out.topology.name)) {
    out.prefix = record->prefix;
    out.record = std::move(*record);
  }
  return out;
}

namespace {

std::string shape_words(const model::LinkShape& s) {
  std::string out;
  auto add = [&](const char* key, const auto& v) {
    if (v) out += fmt::format("{}{} {}", out.empty() ? "" : " ", key, v->text());
  };
  add("rate", s.rate);
  add("burst", s.burst);
  add("latency", s.latency);
  add("delay", s.delay);
  add("jitter", s.jitter);
  add("loss", s.loss);
  return out;
}

// What the file asks for, per node: interfaces with peers and addresses.
json plan_json(const model::Topology& t, const std::string& prefix) {
  auto plan = model::plan_topology(t, prefix);
  json nodes = json::array();
  for (const auto& pn : plan.nodes) {
    const auto& n = t.nodes[pn.node];
    json interfaces = json::array();
    for (const auto& l : t.links)
      for (int side = 0; side < 2; ++side) {
        const auto& e = l.ends[side];
        if (e.node != n.name) continue;
        json addrs = json::array();
        for (const auto& a : e.addresses) addrs.push_back(a.str());
        const auto& peer = l.ends[1 - side];
        interfaces.push_back({{"name", e.ifname},
                              {"peer", peer.node + ":" + peer.ifname},
                              {"addresses", addrs},
                              {"state", l.up ? "up" : "down"},
                              {"shape", e.shape ? json(shape_words(*e.shape)) : json(nullptr)}});
      }
    json routes = json::array();
    for (const auto& r : n.routes) routes.push_back(r.text);
    json loopback = json::array();
    for (const auto& a : n.loopback) loopback.push_back(a.str());
    nodes.push_back({{"name", n.name},
                     {"kind", model::node_kind_name(n.kind)},
                     {"netns", pn.netns},
                     {"forwarding", n.forwarding},
                     {"interfaces", interfaces},
                     {"loopback", loopback},
                     {"routes", routes}});
  }
  return nodes;
}

// Differences between a lab that is up and its file: missing interfaces,
// addresses and routes, and link state.
json drift_of(const json& planned) {
  json drift = json::array();
  for (const auto& n : planned) {
    auto name = NetnsName::parse(n["netns"].get<std::string>());
    if (!name) continue;
    auto details = engine::show_netns(*name);
    if (!details) {
      drift.push_back(
          fmt::format("node {}: namespace {} is gone", n["name"].get<std::string>(), name->str()));
      continue;
    }
    for (const auto& i : n["interfaces"]) {
      std::string ifname = i["name"].get<std::string>();
      auto link = std::find_if(details->links.begin(), details->links.end(),
                               [&](const auto& l) { return l.name == ifname; });
      std::string where = n["name"].get<std::string>() + ":" + ifname;
      if (link == details->links.end()) {
        drift.push_back(fmt::format("{} is missing", where));
        continue;
      }
      bool up = (link->flags & 1u /* IFF_UP */) != 0;
      if (up != (i["state"] == "up"))
        drift.push_back(fmt::format("{} is {} (the file says {})", where, up ? "up" : "down",
                                    i["state"].get<std::string>()));
      for (const auto& a : i["addresses"]) {
        bool present =
            std::any_of(details->addresses.begin(), details->addresses.end(), [&](const auto& x) {
              return x.ifindex == link->ifindex && x.cidr.str() == a.get<std::string>();
            });
        if (!present)
          drift.push_back(fmt::format("{} lacks address {}", where, a.get<std::string>()));
      }
    }
  }
  return drift;
}

void print_lab(const std::string& title, const json& nodes, const json* drift) {
  fmt::print("{}\n", title);
  for (const auto& n : nodes) {
    fmt::print("{} ({}{}, namespace {})\n", n["name"].get<std::string>(),
               n["kind"].get<std::string>(), n["forwarding"].get<bool>() ? ", forwarding" : "",
               n["netns"].get<std::string>());
    for (const auto& i : n["interfaces"]) {
      std::string addrs;
      for (const auto& a : i["addresses"]) addrs += " " + a.get<std::string>();
      fmt::print("  {:<8} -> {:<14} {:<4}{}{}\n", i["name"].get<std::string>(),
                 i["peer"].get<std::string>(), i["state"].get<std::string>(), addrs,
                 i["shape"].is_null() ? "" : "  [" + i["shape"].get<std::string>() + "]");
    }
    for (const auto& a : n["loopback"]) fmt::print("  lo       {}\n", a.get<std::string>());
    for (const auto& r : n["routes"]) fmt::print("  route    {}\n", r.get<std::string>());
  }
  if (drift) {
    if (drift->empty())
      fmt::print("no drift: the lab matches its file\n");
    else
      for (const auto& d : *drift) fmt::print("drift: {}\n", d.get<std::string>());
  }
}

bool on_terminal() { return ::isatty(STDERR_FILENO) == 1; }

void add_topo_commands(Commands& commands) {
  CLI::App* topo = commands.app().add_subcommand(
      "topo", "Labs of namespaces, switches, links and routes from one file");
  topo->require_subcommand(1);

  {
    auto* sub = topo->add_subcommand("up",
                                     "Make the lab a topology file describes (all or "
                                     "nothing)");
    struct Options {
      std::string file, prefix;
      bool check = false;
    };
    auto o = std::make_shared<Options>();
    sub->add_option("FILE", o->file, "Topology file (YAML)")->required();
    sub->add_option("--prefix", o->prefix, "Prepended to every namespace name");
    sub->add_flag("--check", o->check, "Run 'topo check' once the lab is up");
    commands.on(sub, "topo up", [o]() -> Result<int> {
      std::string text = TRY(read_text_file(o->file));
      auto topology = TRY(model::load_topology(text, o->file));
      engine::TopoUpOptions options{o->prefix, o->file, text, {}};
      bool terminal = on_terminal() && topology.nodes.size() >= 50;
      if (terminal)
        options.progress = [&](std::string_view phase, std::size_t, std::size_t total) {
          fmt::print(stderr, "\r\033[K{}: {} ({})", topology.name, phase, total);
          std::fflush(stderr);
        };
      auto summary = engine::topo_up(topology, options);
      if (terminal) fmt::print(stderr, "\r\033[K");
      if (!summary) return fail(std::move(summary).error());
      if (summary->already_up)
        fmt::print("{}: already up\n", topology.name);
      else
        fmt::print("{}: {} nodes, {} links up in {} ms\n", topology.name, summary->nodes,
                   summary->links, summary->elapsed.count());
      std::fflush(stdout);
      if (o->check) return run_topo_check(topology, o->prefix, CheckOptions{});
      return 0;
    });
  }
  {
    auto* sub = topo->add_subcommand("down", "Remove a lab: everything its record names");
    auto what = std::make_shared<std::string>();
    sub->add_option("FILE|NAME", *what, "The lab's file or name")->required();
    commands.on(sub, "topo down", [what]() -> Result<int> {
      std::string name = *what;
      if (::access(what->c_str(), F_OK) == 0) {
        // Only the name matters: a file edited since `up` still names its lab.
        std::string text = TRY(read_text_file(*what));
        auto topology = TRY(model::load_topology(text, *what));
        name = topology.name;
      }
      TRY(engine::topo_down(name));
      return 0;
    });
  }
  {
    auto* sub = topo->add_subcommand("list", "Labs that are up");
    auto as_json = std::make_shared<bool>(false);
    sub->add_flag("--json", *as_json, "Print JSON");
    commands.on(sub, "topo list",
                [as_json]() -> Result<int> {
                  auto labs = TRY(engine::topo_list());
                  if (*as_json) {
                    json out = json::array();
                    for (const auto& l : labs)
                      out.push_back({{"name", l.name},
                                     {"state", l.state},
                                     {"prefix", l.prefix},
                                     {"file", l.file},
                                     {"namespaces", l.namespaces.size()}});
                    print_json(out);
                    return 0;
                  }
                  std::vector<std::vector<std::string>> rows;
                  for (const auto& l : labs)
                    rows.push_back({l.name, l.state, std::to_string(l.namespaces.size()),
                                    l.prefix.empty() ? "-" : l.prefix, l.file});
                  print_table({"NAME", "STATE", "NODES", "PREFIX", "FILE"}, rows);
                  return 0;
                },
                {.privileged = false});
  }
  {
    auto* sub = topo->add_subcommand(
        "show", "Nodes, interfaces, addresses and routes; for a lab that is up, its drift");
    struct Options {
      std::string what;
      bool json = false;
    };
    auto o = std::make_shared<Options>();
    sub->add_option("FILE|NAME", o->what, "The lab's file or name")->required();
    sub->add_flag("--json", o->json, "Print JSON");
    commands.on(sub, "topo show", [o]() -> Result<int> {
      auto lab = TRY(resolve_lab(o->what));
      json nodes = plan_json(lab.topology, lab.prefix);
      std::optional<json> drift;
      if (lab.record) drift = drift_of(nodes);
      if (o->json) {
        json out{{"name", lab.topology.name}, {"up", lab.record.has_value()}, {"nodes", nodes}};
        if (drift) out["drift"] = *drift;
        print_json(out);
        return 0;
      }
      print_lab(fmt::format("lab {} ({})", lab.topology.name,
                            lab.record ? "up" : "not up: what 'topo up' would make"),
                nodes, drift ? &*drift : nullptr);
      return 0;
    });
  }
  {
    auto* sub = topo->add_subcommand("exec", "Run a command inside a node of a lab that is up");
    auto lab = std::make_shared<std::string>();
    auto node = std::make_shared<std::string>();
    sub->add_option("NAME", *lab, "Lab name")->required();
    sub->add_option("NODE", *node, "Node name")->required();
    sub->prefix_command();
    sub->footer("Usage: contain topo exec NAME NODE -- CMD [ARG...]");
    commands.on(
        sub, "topo exec",
        [&commands, sub, lab, node]() -> Result<int> {
          std::vector<std::string> argv = commands.command_of(sub);
          if (argv.empty())
            return fail(Error::usage(
                "topo exec: no command given; usage: contain topo exec NAME NODE -- CMD [ARG...]"));
          return engine::topo_exec(*lab, *node, argv);
        },
        {.takes_command = true});
  }
  {
    auto* sub = topo->add_subcommand("gen", "Print a generated lab: star, linear or chain of N");
    auto shape = std::make_shared<std::string>();
    auto count = std::make_shared<int>(0);
    sub->add_option("SHAPE", *shape, "star | linear | chain")->required();
    sub->add_option("N", *count, "How many hosts (star), switches (linear) or routers (chain)")
        ->required();
    commands.on(sub, "topo gen",
                [shape, count]() -> Result<int> {
                  std::string text = TRY(model::generate_topology(*shape, *count));
                  std::fwrite(text.data(), 1, text.size(), stdout);
                  return 0;
                },
                {.privileged = false});
  }
  add_topo_check_command(commands, topo);
}

CommandGroup topo_group{"topo", 60, add_topo_commands};

}  // namespace

}  // namespace contain::cli
