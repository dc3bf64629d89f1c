// Topology files (model/topology): `topo up|check|show|graph FILE`, and the
// text kept in a lab's record, parsed again by `topo down|check NAME`.
#include "model/topology.hpp"

#include "fuzz.hpp"
#include "model/topology_graph.hpp"

using namespace contain;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // yaml-cpp recurses once per nesting level: very deep inputs would measure
  // its stack, not our parser (a real file is a few levels deep).
  if (size > 64 * 1024) return 0;
  std::string_view text = fuzz::text_of(data, size);
  auto parsed = model::parse_topology(text);
  // Either a topology or at least one diagnostic, never both.
  FUZZ_CHECK(parsed.topology.has_value() == parsed.diagnostics.empty());
  for (const auto& d : parsed.diagnostics) FUZZ_CHECK(!d.message.empty());
  if (!parsed.topology) return 0;
  const auto& t = *parsed.topology;
  // What parses validates, and its canonical text is stable.
  FUZZ_CHECK(model::validate_topology(t).empty());
  FUZZ_CHECK(model::parse_topology(text).topology->canonical() == t.canonical());
  auto plan = model::plan_topology(t, "p-");
  FUZZ_CHECK(plan.nodes.size() == t.nodes.size());
  FUZZ_CHECK(plan.links.size() == t.links.size());
  (void)model::topology_dot(t);
  (void)model::topology_mermaid(t);
  return 0;
}
