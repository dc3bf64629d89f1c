// `topo check`: the lab's expectations probed by contain itself (kernel/probe),
// all at once, each with the evidence that decided it.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "model/topology.hpp"

namespace contain::engine {

struct CheckResult {
  model::Expectation expectation;
  bool reached = false;
  bool passed = false;
  std::string evidence;  // "10.0.1.2 answered in 0.1 ms", "10.0.2.2: no route in A"
};

// Reach probes are repeated until an answer or `settle` (neighbour and bridge
// learning take a moment after `up`); no-reach probes listen for `timeout`.
Result<std::vector<CheckResult>> check_topology(const model::Topology& topology,
                                                std::string_view prefix,
                                                const std::vector<model::Expectation>& expectations,
                                                std::chrono::milliseconds timeout,
                                                std::chrono::milliseconds settle);

}  // namespace contain::engine
