// What contain asks of nftables, as text in the nft language: one table of our
// own (`inet contain`) whose rules never change once made; every NAT subnet,
// forward and isolated network is an element of one of its sets or maps, so
// adding the thousandth forward costs one element, like the tenth.
// Pure functions, no syscalls: the engine sends their output to libnftables.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/ip.hpp"
#include "core/names.hpp"
#include "core/port.hpp"
#include "model/netns_spec.hpp"

namespace contain::model {

inline constexpr const char* kFirewallTable = "contain";  // family inet

// Masquerade traffic from `subnet`: leaving through `out` only, or, without
// it, to any destination outside the NAT subnets.
struct NatEntry {
  Cidr subnet;
  std::optional<std::string> out;
};

// host [address:]port/proto -> target address:port, one per target family.
using ForwardTarget = Endpoint;
struct ForwardEntry {
  Protocol protocol = Protocol::tcp;
  Port host_port = Port::from_number(1);
  std::optional<IpAddress> host_address;  // empty: every local address
  std::vector<ForwardTarget> targets;     // at most one per family
};

// Connections DNATed to `target` from inside `subnet` (a neighbour on the same
// link) are masqueraded, so the reply comes back through us (hairpin).
struct Hairpin {
  IpAddress target;
  Cidr subnet;
  auto operator<=>(const Hairpin&) const = default;
};

struct FirewallElements {
  std::vector<NatEntry> nat;
  std::vector<ForwardEntry> forwards;
  std::vector<Hairpin> hairpins;
  std::vector<std::string> isolated_bridges;
  bool empty() const {
    return nat.empty() && forwards.empty() && hairpins.empty() && isolated_bridges.empty();
  }
};

// An interface name as an nft string literal: refused (a usage error naming
// `option`) when nft could not read it back. nft's quoted strings have no
// escapes, so a name with '"' cannot be written; '\\' and every other byte the
// kernel allows in a name stand for themselves.
Status check_nft_ifname(const IfName& name, std::string_view option);

// The whole table, recreated atomically ("add; delete; define"), holding `all`.
std::string rebuild_table(const FirewallElements& all);
// Commands that add or delete elements of the existing table ("" if none).
std::string add_elements(const FirewallElements& elements);
std::string delete_elements(const FirewallElements& elements);
// Removes the table and everything in it (no error if it is gone already).
std::string delete_table();

}  // namespace contain::model

namespace contain::model {

// The --to of `forward add`: "NS:PORT", "IP:PORT" or "[IPv6]:PORT", where NS
// is any namespace argument (a name, pid:PID, a path, container:NAME).
struct ForwardDestination {
  std::variant<NetnsSpec, IpAddress> to;
  Port port;
};
Result<ForwardDestination> parse_forward_destination(std::string_view text);

}  // namespace contain::model
