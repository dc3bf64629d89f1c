#include "model/firewall.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

namespace contain::model {

namespace {

// The rules. Only elements change after this. Notes on each choice:
// - prerouting_guard: route_localnet (needed for 127.0.0.1:PORT forwards) would
//   also let packets from the wire addressed to 127.0.0.0/8 in on that link;
//   they are dropped before anything else sees them (as kube-proxy does since
//   CVE-2020-8558). Loopback traffic itself never arrives on another interface.
// - prerouting/output: forwards with a host address first, then forwards on
//   every local address (fib ... type local), for packets from outside and
//   from the host itself. A lookup that misses simply does not match.
// - postrouting: DNATed connections from loopback sources and from the
//   target's own subnet (hairpin) are masqueraded so replies come back to us;
//   then NAT subnets.
// - forward: published ports may cross networks; a managed network reaches
//   itself; between two isolated networks, nothing passes.
constexpr const char* kRules = R"(table inet contain {
  set nat4 { type ipv4_addr; flags interval; }
  set nat4_out { type ipv4_addr . ifname; flags interval; }
  set nat6 { type ipv6_addr; flags interval; }
  set nat6_out { type ipv6_addr . ifname; flags interval; }
  map fwd4 { type inet_proto . inet_service : ipv4_addr . inet_service; }
  map fwd4_addr { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }
  map fwd6 { type inet_proto . inet_service : ipv6_addr . inet_service; }
  map fwd6_addr { type ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service; }
  set hairpin4 { type ipv4_addr . ipv4_addr; flags interval; }
  set hairpin6 { type ipv6_addr . ipv6_addr; flags interval; }
  set isolated { type ifname; }
  set same_network { type ifname . ifname; }
  chain prerouting_guard {
    type filter hook prerouting priority mangle; policy accept;
    iifname != "lo" ip daddr 127.0.0.0/8 drop
  }
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    dnat ip to ip daddr . meta l4proto . th dport map @fwd4_addr
    fib daddr type local dnat ip to meta l4proto . th dport map @fwd4
    dnat ip6 to ip6 daddr . meta l4proto . th dport map @fwd6_addr
    fib daddr type local dnat ip6 to meta l4proto . th dport map @fwd6
  }
  chain output {
    type nat hook output priority -100; policy accept;
    dnat ip to ip daddr . meta l4proto . th dport map @fwd4_addr
    fib daddr type local dnat ip to meta l4proto . th dport map @fwd4
    dnat ip6 to ip6 daddr . meta l4proto . th dport map @fwd6_addr
    fib daddr type local dnat ip6 to meta l4proto . th dport map @fwd6
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr 127.0.0.0/8 ct status dnat masquerade
    ct status dnat ip daddr . ip saddr @hairpin4 masquerade
    ct status dnat ip6 daddr . ip6 saddr @hairpin6 masquerade
    ip saddr . oifname @nat4_out masquerade
    ip saddr @nat4 ip daddr != @nat4 masquerade
    ip6 saddr . oifname @nat6_out masquerade
    ip6 saddr @nat6 ip6 daddr != @nat6 masquerade
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    ct status dnat accept
    iifname . oifname @same_network accept
    iifname @isolated oifname @isolated drop
  }
}
)";

std::string ifname_literal(const std::string& name) { return fmt::format("\"{}\"", name); }

// Element text per set, keys only or with values; sorted and without repeats
// so that a rebuild never names an element twice.
struct Lines {
  std::map<std::string, std::set<std::string>> by_set;
  void add(const std::string& set, std::string element) { by_set[set].insert(std::move(element)); }
  std::string render(std::string_view verb) const {
    std::string out;
    for (const auto& [set, elements] : by_set) {
      if (elements.empty()) continue;
      out += fmt::format("{} element inet {} {} {{ ", verb, kFirewallTable, set);
      bool first = true;
      for (const auto& e : elements) {
        if (!first) out += ", ";
        out += e;
        first = false;
      }
      out += " }\n";
    }
    return out;
  }
};

Lines lines_of(const FirewallElements& e, bool with_values) {
  Lines lines;
  for (const auto& n : e.nat) {
    std::string family = n.subnet.address().is_v4() ? "4" : "6";
    std::string subnet = n.subnet.subnet().str();
    if (n.out)
      lines.add("nat" + family + "_out", fmt::format("{} . {}", subnet, ifname_literal(*n.out)));
    else
      lines.add("nat" + family, subnet);
  }
  for (const auto& f : e.forwards) {
    for (const auto& t : f.targets) {
      std::string family = t.address.is_v4() ? "4" : "6";
      if (f.host_address && f.host_address->family() != t.address.family()) continue;
      std::string key = fmt::format("{} . {}", protocol_name(f.protocol), f.host_port.str());
      std::string set = "fwd" + family;
      if (f.host_address) {
        key = fmt::format("{} . {}", f.host_address->str(), key);
        set += "_addr";
      }
      if (with_values) key += fmt::format(" : {} . {}", t.address.str(), t.port.str());
      lines.add(set, key);
    }
  }
  for (const auto& h : e.hairpins)
    lines.add(h.target.is_v4() ? "hairpin4" : "hairpin6",
              fmt::format("{} . {}", h.target.str(), h.subnet.subnet().str()));
  for (const auto& b : e.isolated_bridges) {
    lines.add("isolated", ifname_literal(b));
    lines.add("same_network", fmt::format("{} . {}", ifname_literal(b), ifname_literal(b)));
  }
  return lines;
}

}  // namespace

Status check_nft_ifname(const IfName& name, std::string_view option) {
  if (name.str().find('"') != std::string::npos)
    return fail(Error::usage(fmt::format(
        "{} {}: nftables cannot match an interface name containing '\"' (its strings have no "
        "escape); rename the interface (ip link set NAME name NEW)",
        option, quote(name.str()))));
  return {};
}

std::string rebuild_table(const FirewallElements& all) {
  // "add" makes sure the table exists so that "delete" cannot fail; the three
  // commands are one transaction, so nobody ever sees the table missing.
  return fmt::format("add table inet {0}\ndelete table inet {0}\n{1}{2}", kFirewallTable, kRules,
                     add_elements(all));
}

std::string add_elements(const FirewallElements& elements) {
  return lines_of(elements, true).render("add");
}

std::string delete_elements(const FirewallElements& elements) {
  return lines_of(elements, false).render("delete");
}

// "add" first, so that deleting a table already gone (by a command killed
// after it deleted the table but before it said so) is no error.
std::string delete_table() {
  return fmt::format("add table inet {0}\ndelete table inet {0}\n", kFirewallTable);
}

}  // namespace contain::model

namespace contain::model {

Result<ForwardDestination> parse_forward_destination(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return fail(Error::usage(fmt::format(
        "forward destination {} is invalid: {} (expected NS:PORT, IP:PORT or [IPv6]:PORT)",
        quote(text), why)));
  };
  std::string_view host, port;
  if (text.starts_with('[')) {
    auto close = text.find("]:");
    if (close == std::string_view::npos) return bad("no ]:PORT after the IPv6 address");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    auto ip = IpAddress::parse(host);
    if (!ip || ip->is_v4()) return bad("not an IPv6 address in brackets");
    return ForwardDestination{*ip, TRY(Port::parse(port))};
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("no :PORT");
  host = text.substr(0, colon);
  port = text.substr(colon + 1);
  if (host.empty()) return bad("no namespace or address before :PORT");
  // pid:PID, container:NAME and paths hold ':' or '/'; an IPv6 address needs brackets.
  bool reference = host.starts_with("pid:") || host.starts_with("container:") ||
                   host.find('/') != std::string_view::npos;
  if (!reference && host.find(':') != std::string_view::npos)
    return bad("write an IPv6 address in brackets");
  Port p = TRY(Port::parse(port));
  if (!reference)
    if (auto ip = IpAddress::parse(host)) return ForwardDestination{*ip, p};
  return ForwardDestination{TRY(NetnsSpec::parse(host)), p};
}

}  // namespace contain::model
