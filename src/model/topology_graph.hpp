// Pictures of a lab: Graphviz DOT and Mermaid text, nodes by kind, links
// labelled with interfaces and addresses. Pure text; SVG is drawn from the DOT
// by the command line through Graphviz's library.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "model/topology.hpp"

namespace contain::model {

struct GraphState {
  // For a lab that is up: each link's state by index in Topology::links
  // ("up", "down", "missing"); links not listed are drawn plainly.
  std::map<std::size_t, std::string> links;
  // The last check's expectations, drawn as arrows between the nodes, green
  // when met and red when not (`to` a node, or an address of one).
  struct Check {
    std::string from, to;
    bool reach = true;
    bool passed = false;
  };
  std::vector<Check> checks;
};

std::string topology_dot(const Topology& topology, const GraphState& state = {});
std::string topology_mermaid(const Topology& topology, const GraphState& state = {});

}  // namespace contain::model
