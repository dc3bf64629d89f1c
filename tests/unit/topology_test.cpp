#include "model/topology.hpp"

#include <gtest/gtest.h>

#include "model/topology_graph.hpp"

namespace contain::model {
namespace {

constexpr const char* kAbc = R"(name: abc
topology:
  nodes:
    A: {}
    B: {}                 # forwarding off by default
    C: {}
  links:
    - endpoints: ["A:eth0", "B:eth0"]
      ipv4: [10.0.1.1/24, 10.0.1.2/24]
    - endpoints: ["B:eth1", "C:eth0"]
      ipv4: [10.0.2.1/24, 10.0.2.2/24]
expect:
  reach: ["A -> B", "B <-> C"]
  no-reach: ["A -> C"]
)";

std::string messages(const ParsedTopology& p) {
  std::string out;
  for (const auto& d : p.diagnostics)
    out +=
        std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column) + ": " + d.message + "\n";
  return out;
}

TEST(Topology, ReadsTheTutorialLab) {
  auto p = parse_topology(kAbc);
  ASSERT_TRUE(p.topology) << messages(p);
  const Topology& t = *p.topology;
  EXPECT_EQ(t.name, "abc");
  ASSERT_EQ(t.nodes.size(), 3u);
  EXPECT_EQ(t.nodes[1].name, "B");
  EXPECT_FALSE(t.nodes[1].forwarding);
  EXPECT_EQ(t.nodes[1].kind, NodeKind::netns);
  ASSERT_EQ(t.links.size(), 2u);
  EXPECT_EQ(t.links[1].ends[0].node, "B");
  EXPECT_EQ(t.links[1].ends[0].ifname, "eth1");
  ASSERT_EQ(t.links[1].ends[1].addresses.size(), 1u);
  EXPECT_EQ(t.links[1].ends[1].addresses[0].str(), "10.0.2.2/24");
  // "B <-> C" is two expectations.
  ASSERT_EQ(t.expectations.size(), 4u);
  EXPECT_EQ(t.expectations[0].describe(), "A -> B");
  EXPECT_EQ(t.expectations[1].describe(), "B -> C");
  EXPECT_EQ(t.expectations[2].describe(), "C -> B");
  EXPECT_EQ(t.expectations[3].describe(), "A -> C");
  EXPECT_FALSE(t.expectations[3].reach);
  EXPECT_EQ(t.addresses_of("B").size(), 2u);
  EXPECT_EQ(t.expectations[1].pos.line, 13);
}

TEST(Topology, ReportsFourErrorsAtOnceWithPositions) {
  auto p = parse_topology(R"(name: bad
topology:
  nodes:
    A: {forwarding: maybe}
    B: {}
  links:
    - endpoints: ["A:eth0", "X:eth0"]
      ipv4: [10.0.1.1/24, 10.0.1.2/24]
    - endpoints: ["A:eth1", "B:eth0"]
      ipv4: [10.0.2.1/33, 10.0.2.2/24]
expect:
  reach: ["A -> Q"]
)");
  EXPECT_FALSE(p.topology);
  ASSERT_EQ(p.diagnostics.size(), 4u) << messages(p);
  std::string all = messages(p);
  EXPECT_NE(all.find("4:21: forwarding must be true or false, not 'maybe'"), std::string::npos)
      << all;
  EXPECT_NE(all.find("10:14: '10.0.2.1/33' is not an ipv4 address"), std::string::npos) << all;
  EXPECT_NE(all.find("no node named X"), std::string::npos) << all;
  EXPECT_NE(all.find("'Q' is neither a node nor an address"), std::string::npos) << all;

  auto loaded =
      load_topology("name: x\ntopology: {nodes: {A: {mtux: 1}, B: {kind: switch}}}\n", "lab.yml");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().exit_code(), 2);
  EXPECT_NE(loaded.error().message().find("lab.yml:2:24: unknown key 'mtux' in node A (did you "
                                          "mean 'mtu'?)"),
            std::string::npos)
      << loaded.error().message();
  EXPECT_NE(loaded.error().message().find("lab.yml: 2 errors, nothing was changed"),
            std::string::npos);
}

TEST(Topology, DetectsDuplicateKeys) {
  auto p = parse_topology(R"(name: dup
topology:
  nodes:
    A: {}
    A: {kind: bridge}
  links: []
name: again
)");
  EXPECT_FALSE(p.topology);
  std::string all = messages(p);
  EXPECT_NE(all.find("5:5: duplicate key 'A' in topology.nodes"), std::string::npos) << all;
  EXPECT_NE(all.find("7:1: duplicate key 'name' in the file"), std::string::npos) << all;
}

TEST(Topology, SuggestsTheClosestKnownKey) {
  auto p = parse_topology("name: s\ntopology:\n  nodes: {A: {}}\n  linkz: []\n");
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_EQ(p.diagnostics[0].message, "unknown key 'linkz' in topology (did you mean 'links'?)");
  EXPECT_EQ(p.diagnostics[0].pos.line, 4);
  EXPECT_EQ(p.diagnostics[0].pos.column, 3);
  auto far = parse_topology("name: s\ntopology: {nodes: {A: {}}}\nwhatever: 1\n");
  ASSERT_EQ(far.diagnostics.size(), 1u);
  EXPECT_NE(far.diagnostics[0].message.find("known keys: name, topology"), std::string::npos);
}

TEST(Topology, ReportsYamlSyntaxWithItsPosition) {
  auto p = parse_topology("name: s\ntopology: {nodes: [\n");
  ASSERT_EQ(p.diagnostics.size(), 1u);
  EXPECT_NE(p.diagnostics[0].message.find("YAML syntax"), std::string::npos);
  EXPECT_GT(p.diagnostics[0].pos.line, 0);
}

TEST(Topology, ChecksRoutesSysctlsAndAddresses) {
  auto p = parse_topology(R"(name: r
topology:
  nodes:
    A:
      routes: ["default via 10.0.9.1", "10.0.3.0/24 via 10.0.1.2", "10.0.4.1/24 via 10.0.1.2",
               "10.0.5.0/24 dev eth7"]
      sysctls: {net.ipv4.conf.all.rp_filter: 0, kernel.pid_max: 1000}
    B: {kind: bridge, forwarding: true}
  links:
    - endpoints: ["A:eth0", "B:p1"]
      ipv4: [10.0.1.1/24, 10.0.1.2/24]
    - endpoints: ["A:eth1", "B:p2"]
      ipv4: [10.0.1.1/24, null]
)");
  std::string all = messages(p);
  EXPECT_NE(all.find("gateway 10.0.9.1 is not on a subnet"), std::string::npos) << all;
  EXPECT_NE(all.find("host bits set in '10.0.4.1/24' (use 10.0.4.0/24)"), std::string::npos) << all;
  EXPECT_NE(all.find("names interface eth7"), std::string::npos) << all;
  EXPECT_NE(all.find("sysctl 'kernel.pid_max' is not one of the network namespace"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("a bridge node is a switch"), std::string::npos) << all;
  EXPECT_NE(all.find("a bridge node's ports carry no addresses"), std::string::npos) << all;
  EXPECT_NE(all.find("address 10.0.1.1/24 of A:eth1 is also on A:eth0"), std::string::npos) << all;
  EXPECT_EQ(all.find("10.0.3.0/24"), std::string::npos) << all;  // a good route
}

TEST(Topology, ReadsShapingContainersAndExtendedEndpoints) {
  auto p = parse_topology(R"(name: x
topology:
  defaults: {mtu: 1400}
  nodes:
    A: {sysctls: {net/ipv4/tcp_ecn: 1}}
    web: {kind: container, command: [sleep, "1"], rootfs: /srv/r, env: [A=1]}
    lab: {image: alpine}
  links:
    - endpoints:
        - {node: A, interface: eth0, ipv6: 2001:db8::1/64, shape: {delay: 10ms}}
        - "web:eth0"
      ipv4: [10.0.0.1/24, 10.0.0.2/24]
      shape: {rate: 10mbit, burst: 32kb}
    - endpoints: ["A:eth1", "lab:eth0"]
      shape: {rate: fast}
)");
  std::string all = messages(p);
  EXPECT_NE(all.find("contain does not pull images"), std::string::npos) << all;
  EXPECT_NE(all.find("shape rate:"), std::string::npos) << all;
  EXPECT_EQ(p.diagnostics.size(), 2u) << all;

  p = parse_topology(R"(name: x
topology:
  defaults: {mtu: 1400}
  nodes:
    A: {sysctls: {net/ipv4/tcp_ecn: 1}}
    web: {kind: container, command: [sleep, "1"], rootfs: /srv/r, env: [A=1]}
  links:
    - endpoints:
        - {node: A, interface: eth0, ipv6: 2001:db8::1/64, shape: {delay: 10ms}}
        - "web:eth0"
      ipv4: [10.0.0.1/24, 10.0.0.2/24]
      shape: {rate: 10mbit, burst: 32kb}
)");
  ASSERT_TRUE(p.topology) << messages(p);
  const auto& t = *p.topology;
  EXPECT_EQ(t.nodes[0].mtu, 1400u);
  EXPECT_EQ(t.nodes[0].sysctls[0].first, "net/ipv4/tcp_ecn");
  EXPECT_EQ(t.nodes[1].kind, NodeKind::container);
  EXPECT_EQ(t.nodes[1].command.size(), 2u);
  const auto& a = t.links[0].ends[0];
  ASSERT_EQ(a.addresses.size(), 2u);  // its own ipv6 and the link's ipv4
  ASSERT_TRUE(a.shape);
  EXPECT_TRUE(a.shape->needs_netem());
  EXPECT_FALSE(a.shape->rate);  // the endpoint's own shape wins
  ASSERT_TRUE(t.links[0].ends[1].shape);
  EXPECT_EQ(t.links[0].ends[1].shape->rate->bits_per_second(), 10'000'000u);
}

TEST(Topology, CanonicalTextIgnoresLayout) {
  auto a = parse_topology(kAbc);
  auto b = parse_topology(
      "name: abc\ntopology: {nodes: {A: {}, B: {}, C: {}}, links: [{endpoints: [A:eth0, B:eth0], "
      "ipv4: [10.0.1.1/24, 10.0.1.2/24]}, {endpoints: [B:eth1, C:eth0], ipv4: [10.0.2.1/24, "
      "10.0.2.2/24]}]}\nexpect: {reach: [A -> B, B <-> C], no-reach: [A -> C]}\n");
  ASSERT_TRUE(a.topology && b.topology) << messages(b);
  EXPECT_EQ(a.topology->canonical(), b.topology->canonical());
  auto c = parse_topology(std::string(kAbc) + "nat: []\n");
  ASSERT_TRUE(c.topology);
  auto d =
      parse_topology(std::string(kAbc).replace(std::string(kAbc).find("10.0.2.2"), 8, "10.0.2.3"));
  ASSERT_TRUE(d.topology);
  EXPECT_NE(a.topology->canonical(), d.topology->canonical());
}

TEST(Topology, PlansBridgeEndsAsCreators) {
  auto p = parse_topology(R"(name: p
topology:
  nodes: {s1: {kind: bridge}, h1: {}}
  links:
    - endpoints: ["h1:eth0", "s1:p1"]
      ipv4: [10.0.0.1/24, null]
)");
  ASSERT_TRUE(p.topology) << messages(p);
  auto plan = plan_topology(*p.topology, "x-");
  ASSERT_EQ(plan.nodes.size(), 2u);
  EXPECT_EQ(plan.nodes[1].netns, "x-h1");
  EXPECT_EQ(plan.netns_of(*p.topology, "s1"), "x-s1");
  EXPECT_EQ(plan.links[0].creator, 1);
}

TEST(Topology, GeneratedLabsParse) {
  for (const char* shape : {"star", "linear", "chain"}) {
    for (int n : {1, 3, 20}) {
      auto text = generate_topology(shape, n);
      ASSERT_TRUE(text) << shape;
      auto p = parse_topology(*text);
      ASSERT_TRUE(p.topology) << shape << " " << n << "\n" << messages(p) << *text;
    }
  }
  auto star = parse_topology(*generate_topology("star", 3));
  EXPECT_EQ(star.topology->nodes.size(), 4u);
  EXPECT_EQ(star.topology->links.size(), 3u);
  auto chain = parse_topology(*generate_topology("chain", 3));
  EXPECT_EQ(chain.topology->nodes.size(), 5u);
  EXPECT_EQ(chain.topology->node("r2")->routes.size(), 2u);
  EXPECT_FALSE(generate_topology("ring", 3));
  EXPECT_FALSE(generate_topology("star", 0));
}

}  // namespace
}  // namespace contain::model

namespace contain::model {
namespace {

TEST(TopologyGraph, DrawsNodesByKindAndLabelsLinks) {
  auto p = parse_topology(*generate_topology("star", 2));
  ASSERT_TRUE(p.topology);
  std::string dot = topology_dot(*p.topology);
  EXPECT_NE(dot.find("graph \"star2\" {"), std::string::npos) << dot;
  EXPECT_NE(dot.find("\"s1\" [label=\"s1\\nbridge\", shape=box, style=\"rounded,filled\""),
            std::string::npos)
      << dot;
  EXPECT_NE(dot.find("\"h1\" -- \"s1\" [taillabel=\"eth0\\n10.0.0.1/16\", headlabel=\"p1\"]"),
            std::string::npos)
      << dot;
  GraphState state;
  state.links[1] = "down";
  dot = topology_dot(*p.topology, state);
  EXPECT_NE(dot.find("color=\"#dc2626\", style=dashed, label=\"down\""), std::string::npos);
  std::string mermaid = topology_mermaid(*p.topology, state);
  EXPECT_NE(mermaid.find("n0([\"s1 (bridge)\"])"), std::string::npos) << mermaid;
  EXPECT_NE(mermaid.find("n1 ---|\"eth0 10.0.0.1/16 — p1\"| n0"), std::string::npos) << mermaid;
  EXPECT_NE(mermaid.find("linkStyle 1 stroke:#dc2626"), std::string::npos) << mermaid;
}

}  // namespace
}  // namespace contain::model
