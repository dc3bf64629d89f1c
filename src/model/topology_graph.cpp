#include "model/topology_graph.hpp"

#include <fmt/format.h>

namespace contain::model {

namespace {

// A double-quoted DOT string.
std::string dot_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '\\';  // names and addresses hold no backslash: "\\n" stays a line break
    out += c;
  }
  return out + "\"";
}

std::string end_label(const LinkEnd& e, std::string_view newline) {
  std::string out = e.ifname;
  for (const auto& a : e.addresses) out += std::string(newline) + a.str();
  return out;
}

// The node a check's target names: itself, or the node holding that address.
std::string node_of_target(const Topology& t, const std::string& to) {
  if (t.node(to)) return to;
  auto address = IpAddress::parse(to);
  if (!address) return {};
  for (const auto& n : t.nodes)
    for (const auto& a : t.addresses_of(n.name))
      if (a.address() == *address) return n.name;
  return {};
}

std::string check_label(const GraphState::Check& c) {
  return fmt::format("{} {}", c.reach ? "reach" : "no-reach", c.passed ? "PASS" : "FAIL");
}

}  // namespace

std::string topology_dot(const Topology& t, const GraphState& state) {
  std::string out = fmt::format("graph {} {{\n", dot_quote(t.name));
  out +=
      fmt::format("  label={}; labelloc=t; fontname=\"Helvetica\";\n", dot_quote("lab " + t.name));
  out += "  node [fontname=\"Helvetica\", fontsize=11];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=9];\n";
  bool host = false;
  for (const auto& n : t.nodes) {
    std::string style;
    switch (n.kind) {
      case NodeKind::bridge:
        style = "shape=box, style=\"rounded,filled\", fillcolor=\"#dbeafe\"";
        break;
      case NodeKind::container:
        style = "shape=box3d, style=filled, fillcolor=\"#fef3c7\"";
        break;
      case NodeKind::netns:
        style = n.forwarding ? "shape=box, style=filled, fillcolor=\"#dcfce7\""
                             : "shape=box, style=filled, fillcolor=\"#f3f4f6\"";
        break;
    }
    std::string label = n.name + "\\n" + std::string(node_kind_name(n.kind));
    if (n.forwarding) label += ", forwarding";
    for (const auto& a : n.loopback) label += "\\nlo " + a.str();
    out += fmt::format("  {} [label=\"{}\", {}];\n", dot_quote(n.name), label, style);
  }
  for (std::size_t i = 0; i < t.links.size(); ++i) {
    const auto& l = t.links[i];
    for (const auto& e : l.ends) host = host || e.node == kHostNode;
    std::string attrs =
        fmt::format("taillabel={}, headlabel={}", dot_quote(end_label(l.ends[0], "\\n")),
                    dot_quote(end_label(l.ends[1], "\\n")));
    auto it = state.links.find(i);
    std::string s = it != state.links.end() ? it->second : (l.up ? "" : "down");
    if (s == "up") attrs += ", color=\"#16a34a\", penwidth=2";
    if (s == "down" || s == "missing")
      attrs += fmt::format(", color=\"#dc2626\", style=dashed, label={}", dot_quote(s));
    if (l.ends[0].shape && l.ends[0].shape->rate)
      attrs += fmt::format(", label={}", dot_quote(l.ends[0].shape->rate->text()));
    out += fmt::format("  {} -- {} [{}];\n", dot_quote(l.ends[0].node), dot_quote(l.ends[1].node),
                       attrs);
  }
  if (host) out += fmt::format("  {} [shape=house, label=\"host\"];\n", dot_quote(kHostNode));
  for (const auto& c : state.checks) {
    std::string to = node_of_target(t, c.to);
    if (!t.node(c.from) || to.empty()) continue;
    const char* colour = c.passed ? "#16a34a" : "#dc2626";
    out += fmt::format(
        "  {} -- {} [dir=forward, style=dotted, constraint=false, color=\"{}\", "
        "fontcolor=\"{}\", label={}];\n",
        dot_quote(c.from), dot_quote(to), colour, colour, dot_quote(check_label(c)));
  }
  out += "}\n";
  return out;
}

std::string topology_mermaid(const Topology& t, const GraphState& state) {
  // Mermaid ids must be plain words: n0, n1, ...
  std::map<std::string, std::string> id;
  std::string out = "graph LR\n";
  for (std::size_t i = 0; i < t.nodes.size(); ++i) {
    const auto& n = t.nodes[i];
    id[n.name] = fmt::format("n{}", i);
    std::string label = n.name + " (" + std::string(node_kind_name(n.kind)) + ")";
    if (n.kind == NodeKind::bridge)
      out += fmt::format("  {}([\"{}\"])\n", id[n.name], label);
    else
      out += fmt::format("  {}[\"{}\"]\n", id[n.name], label);
  }
  id[std::string(kHostNode)] = "host";
  std::string styles;
  for (std::size_t i = 0; i < t.links.size(); ++i) {
    const auto& l = t.links[i];
    if (l.ends[0].node == kHostNode || l.ends[1].node == kHostNode)
      out.insert(out.find('\n') + 1, "  host{{host}}\n");
    out += fmt::format("  {} ---|\"{} — {}\"| {}\n", id[l.ends[0].node], end_label(l.ends[0], " "),
                       end_label(l.ends[1], " "), id[l.ends[1].node]);
    auto it = state.links.find(i);
    std::string s = it != state.links.end() ? it->second : (l.up ? "" : "down");
    if (s == "up") styles += fmt::format("  linkStyle {} stroke:#16a34a,stroke-width:2px\n", i);
    if (s == "down" || s == "missing")
      styles += fmt::format("  linkStyle {} stroke:#dc2626,stroke-dasharray:4\n", i);
  }
  std::size_t index = t.links.size();
  for (const auto& c : state.checks) {
    std::string to = node_of_target(t, c.to);
    if (!t.node(c.from) || to.empty()) continue;
    out += fmt::format("  {} -.->|\"{}\"| {}\n", id[c.from], check_label(c), id[to]);
    styles += fmt::format("  linkStyle {} stroke:{}\n", index++, c.passed ? "#16a34a" : "#dc2626");
  }
  return out + styles;
}

}  // namespace contain::model
