#include "engine/topo_check.hpp"

#include <fmt/format.h>

#include <map>

#include "core/names.hpp"
#include "core/unique_fd.hpp"
#include "kernel/netns.hpp"
#include "kernel/probe.hpp"

namespace contain::engine {

namespace {

std::string rtt_text(std::chrono::microseconds rtt) {
  return fmt::format("{:.1f} ms", static_cast<double>(rtt.count()) / 1000.0);
}

std::string reason(const model::Expectation& e, const IpAddress& target,
                   const kernel::ProbeResult& r, std::chrono::milliseconds waited) {
  switch (r.outcome) {
    case kernel::ProbeOutcome::answered:
      return e.proto == model::Proto::tcp
                 ? fmt::format("{} accepted tcp/{} in {}", target.str(), e.port, rtt_text(r.rtt))
                 : fmt::format("{} answered in {}", target.str(), rtt_text(r.rtt));
    case kernel::ProbeOutcome::no_route:
      return fmt::format("{}: no route in {}", target.str(), e.from);
    case kernel::ProbeOutcome::unreachable:
      return r.reporter ? fmt::format("{}: {} says {}", target.str(), r.reporter->str(), r.detail)
                        : fmt::format("{}: {}", target.str(), r.detail);
    case kernel::ProbeOutcome::refused:
      return fmt::format("{}: tcp/{} refused (the host answers, the port is closed)", target.str(),
                         e.port);
    case kernel::ProbeOutcome::silent:
      break;
  }
  return fmt::format("{}: no reply within {} ms", target.str(), waited.count());
}

}  // namespace

Result<std::vector<CheckResult>> check_topology(const model::Topology& t, std::string_view prefix,
                                                const std::vector<model::Expectation>& expectations,
                                                std::chrono::milliseconds timeout,
                                                std::chrono::milliseconds settle) {
  std::map<std::string, UniqueFd> netns;  // source node -> its namespace
  std::vector<kernel::ProbeRequest> requests;
  std::vector<std::vector<std::size_t>> probes_of(expectations.size());
  std::vector<std::vector<IpAddress>> targets_of(expectations.size());
  for (std::size_t i = 0; i < expectations.size(); ++i) {
    const auto& e = expectations[i];
    auto it = netns.find(e.from);
    if (it == netns.end()) {
      auto name = TRY(NetnsName::parse(std::string(prefix) + e.from));
      auto fd = TRY_WRAP(kernel::open_netns(name), fmt::format("probe from node {}", e.from));
      it = netns.emplace(e.from, std::move(fd)).first;
    }
    std::vector<IpAddress> targets;
    if (e.to_address)
      targets.push_back(*e.to_address);
    else
      for (const auto& c : t.addresses_of(e.to, e.to_ifname)) targets.push_back(c.address());
    for (const auto& target : targets) {
      probes_of[i].push_back(requests.size());
      requests.push_back({it->second.get(), e.from_ifname, target, e.proto == model::Proto::tcp,
                          e.port, e.reach ? settle : timeout});
    }
    targets_of[i] = std::move(targets);
  }
  auto results = TRY(kernel::run_probes(requests));
  std::vector<CheckResult> out;
  for (std::size_t i = 0; i < expectations.size(); ++i) {
    const auto& e = expectations[i];
    CheckResult c;
    c.expectation = e;
    std::string evidence;
    for (std::size_t k = 0; k < probes_of[i].size(); ++k) {
      const auto& r = results[probes_of[i][k]];
      std::string why = reason(e, targets_of[i][k], r, requests[probes_of[i][k]].wait);
      if (r.outcome == kernel::ProbeOutcome::answered) {
        c.reached = true;
        evidence = why;  // one answer decides
        break;
      }
      evidence += (evidence.empty() ? "" : ", ") + why;
    }
    c.passed = c.reached == e.reach;
    c.evidence = std::move(evidence);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace contain::engine
