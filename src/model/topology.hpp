// A lab topology as a plain value: nodes, links, NAT and expectations, read
// from a YAML file shaped like containerlab's (or built in code), checked as a
// whole before anything changes, and planned by pure functions. No system calls.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/ip.hpp"
#include "core/units.hpp"

namespace contain::model {

// Where something was written in the file: 1-based line and column (0 if unknown).
struct SourcePos {
  int line = 0;
  int column = 0;
};

enum class NodeKind { netns, bridge, container };
std::string_view node_kind_name(NodeKind kind);

struct TopoRoute {
  std::optional<Cidr> destination;  // empty: the default route
  std::optional<IpAddress> gateway;
  std::string dev;   // "DEST dev IF": on-link through this interface
  std::string text;  // as written
  SourcePos pos;
};

struct TopoNode {
  std::string name;
  NodeKind kind = NodeKind::netns;
  bool forwarding = false;
  std::vector<TopoRoute> routes;
  std::vector<Cidr> loopback;
  // Sysctl keys as paths below /proc/sys ("net/ipv4/conf/all/rp_filter").
  std::vector<std::pair<std::string, std::string>> sysctls;
  std::vector<std::string> exec;  // shell command lines run inside once the lab is up
  std::optional<unsigned> mtu;    // of every link end on this node
  // kind: container
  std::vector<std::string> command;
  std::string rootfs;
  std::vector<std::string> env;
  SourcePos pos;
};

// Traffic shaping of a link end: tbf for rate/burst/latency, netem for
// delay/jitter/loss.
struct LinkShape {
  std::optional<Rate> rate;
  std::optional<Size> burst;
  std::optional<Duration> latency;
  std::optional<Duration> delay;
  std::optional<Duration> jitter;
  std::optional<Percent> loss;
  bool needs_netem() const { return delay || jitter || loss; }
};

// The reserved node name of endpoints in the host namespace ("host:IF").
inline constexpr std::string_view kHostNode = "host";
// The Linux bridge inside a `kind: bridge` node's namespace.
inline constexpr std::string_view kBridgeIfname = "br0";

struct LinkEnd {
  std::string node;  // a node name, or kHostNode
  std::string ifname;
  std::vector<Cidr> addresses;
  std::optional<LinkShape> shape;
};

struct TopoLink {
  std::array<LinkEnd, 2> ends;
  std::optional<unsigned> mtu;
  bool up = true;
  SourcePos pos;
};

struct NatRule {
  Cidr subnet;
  std::string via;  // a node with a host: link
  SourcePos pos;
};

enum class Proto { icmp, tcp };

struct Expectation {
  std::string from;         // a node
  std::string from_ifname;  // "" : any interface
  // The target: a node (any of its addresses answers), node:if, or an address.
  std::string to;
  std::string to_ifname;
  std::optional<IpAddress> to_address;
  bool reach = true;
  Proto proto = Proto::icmp;
  std::uint16_t port = 0;
  SourcePos pos;
  // "A -> B", "A:eth0 -> 10.0.2.2 tcp/80".
  std::string describe() const;
};

struct Topology {
  std::string name;
  std::vector<TopoNode> nodes;
  std::vector<TopoLink> links;
  std::vector<NatRule> nat;
  std::vector<Expectation> expectations;

  const TopoNode* node(std::string_view name) const;
  // Every address of a node's link ends and loopback, in file order.
  std::vector<Cidr> addresses_of(std::string_view node, std::string_view ifname = {}) const;
  // A canonical text of what the file asks for (not how it is written): equal
  // for two files that describe the same lab.
  std::string canonical() const;
};

struct Diagnostic {
  SourcePos pos;
  std::string message;
};

// Reads a topology file. Every problem found is reported, not only the first:
// YAML syntax, unknown keys (with the closest known one), duplicate keys,
// unknown nodes, names, addresses, routes, units. The topology is set only
// when there are no diagnostics.
struct ParsedTopology {
  std::optional<Topology> topology;
  std::vector<Diagnostic> diagnostics;
};
ParsedTopology parse_topology(std::string_view text);

// parse_topology with the diagnostics as one usage error, a line each:
// "FILE:LINE:COL: what, and what to do".
Result<Topology> load_topology(std::string_view text, std::string_view file);

// Checks a topology built in code (parse_topology runs the same checks).
std::vector<Diagnostic> validate_topology(const Topology& topology);

// What applying a topology makes. Pure: the engine follows it.
struct PlannedNode {
  std::size_t node = 0;  // index in Topology::nodes
  std::string netns;     // prefix + node name
};
struct PlannedLink {
  std::size_t link = 0;
  // Which end's namespace sends the creating request (the other end is born in
  // its own namespace by the same request). A bridge end creates, so that its
  // enslavement travels in the creating request too.
  int creator = 0;
};
struct TopologyPlan {
  std::vector<PlannedNode> nodes;
  std::vector<PlannedLink> links;
  std::string netns_of(const Topology& t, std::string_view node) const;
};
TopologyPlan plan_topology(const Topology& topology, std::string_view prefix);

// `topo gen`: a lab like Mininet's `--topo` ones, as YAML text.
//   star N:   one switch s1 and hosts h1..hN on one subnet (10.0.0.0/16)
//   linear N: switches s1..sN in a chain, host hI on switch sI, one subnet
//   chain N:  hosts h1 and h2 with routers r1..rN between them, static routes,
//             and the expectation h1 <-> h2
Result<std::string> generate_topology(std::string_view shape, int count);

}  // namespace contain::model
