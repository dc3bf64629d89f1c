// contain topo check: the lab's expectations (or every pair, --all), probed.
#include "engine/topo_check.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <map>

#include "cli/topo.hpp"
#include "core/units.hpp"

namespace contain::cli {

using nlohmann::json;

namespace {

// Mininet's pingall: every node that sends (not a switch) to every other that
// has an address.
std::vector<model::Expectation> every_pair(const model::Topology& t) {
  std::vector<model::Expectation> out;
  for (const auto& from : t.nodes) {
    if (from.kind == model::NodeKind::bridge) continue;
    for (const auto& to : t.nodes) {
      if (&to == &from || to.kind == model::NodeKind::bridge || t.addresses_of(to.name).empty())
        continue;
      model::Expectation e;
      e.from = from.name;
      e.to = to.name;
      e.reach = true;
      out.push_back(e);
    }
  }
  return out;
}

}  // namespace

Result<int> run_topo_check(const model::Topology& t, const std::string& prefix,
                           const CheckOptions& options) {
  auto expectations = options.all ? every_pair(t) : t.expectations;
  if (expectations.empty() && !options.all)
    return fail(
        Error::usage(fmt::format("lab {} states no expectations (add 'expect:' with "
                                 "reach/no-reach, or use --all)",
                                 t.name)));
  auto results =
      TRY(engine::check_topology(t, prefix, expectations, options.timeout, options.settle));
  std::size_t passed = 0, reached = 0;
  for (const auto& r : results) {
    passed += r.passed;
    reached += r.reached;
  }
  if (options.json) {
    json lines = json::array();
    for (const auto& r : results)
      lines.push_back(
          {{"from", r.expectation.from},
           {"to", r.expectation.to_address ? r.expectation.to_address->str() : r.expectation.to},
           {"expect", r.expectation.reach ? "reach" : "no-reach"},
           {"reached", r.reached},
           {"passed", r.passed},
           {"evidence", r.evidence}});
    print_json(
        {{"lab", t.name}, {"results", lines}, {"passed", passed}, {"total", results.size()}});
  } else if (options.all) {
    // One row per source: the targets it reached, X where it did not.
    std::map<std::string, std::string> rows;
    std::vector<std::string> order;
    for (const auto& r : results) {
      auto& row = rows[r.expectation.from];
      if (row.empty()) order.push_back(r.expectation.from);
      row += " " + (r.reached ? r.expectation.to : std::string("X"));
    }
    for (const auto& from : order) fmt::print("{} ->{}\n", from, rows[from]);
    std::size_t dropped = results.size() - reached;
    fmt::print("{}% dropped ({}/{} received)\n",
               results.empty() ? 0 : dropped * 100 / results.size(), reached, results.size());
  } else {
    for (const auto& r : results)
      fmt::print("{} {} {} {}\n", r.passed ? "PASS" : "FAIL", r.expectation.describe(),
                 r.expectation.reach ? "reach" : "no-reach", r.evidence);
    fmt::print("{} of {} expectations met\n", passed, results.size());
  }
  std::fflush(stdout);
  // The expectations' results stay with the lab, for `topo graph` to colour.
  if (!options.all) {
    std::vector<engine::TopoRecord::CheckMark> marks;
    for (const auto& r : results)
      marks.push_back(
          {r.expectation.from,
           r.expectation.to_address ? r.expectation.to_address->str() : r.expectation.to,
           r.expectation.reach, r.passed});
    TRY(engine::record_topo_check(prefix + t.name, marks));
  }
  if (options.all) return reached == results.size() ? 0 : 1;
  return passed == results.size() ? 0 : 1;
}

void add_topo_check_command(Commands& commands, CLI::App* topo) {
  auto* sub = topo->add_subcommand(
      "check", "Probe the lab's expectations (reach / no-reach) from inside its nodes");
  struct Options {
    std::string what, timeout = "1s", settle = "3s";
    bool all = false, json = false;
  };
  auto o = std::make_shared<Options>();
  sub->add_option("FILE|NAME", o->what, "The lab's file or name")->required();
  sub->add_flag("--all", o->all, "Every node to every other (Mininet's pingall)");
  sub->add_option("--timeout", o->timeout, "How long a no-reach probe listens")
      ->capture_default_str();
  sub->add_option("--settle", o->settle, "How long a reach probe keeps trying")
      ->capture_default_str();
  sub->add_flag("--json", o->json, "Print JSON");
  commands.on(sub, "topo check", [o]() -> Result<int> {
    auto timeout = TRY(Duration::parse(o->timeout));
    auto settle = TRY(Duration::parse(o->settle));
    auto lab = TRY(resolve_lab(o->what));
    if (!lab.record)
      return fail(Error::failed(fmt::format("lab {} is not up (run 'contain topo up {}' first)",
                                            lab.topology.name, o->what),
                                ENOENT));
    CheckOptions options;
    options.all = o->all;
    options.json = o->json;
    options.timeout = std::chrono::milliseconds(timeout.microseconds() / 1000);
    options.settle = std::chrono::milliseconds(settle.microseconds() / 1000);
    return run_topo_check(lab.topology, lab.prefix, options);
  });
}

}  // namespace contain::cli
