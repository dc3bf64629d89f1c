// A managed network as asked for (`network create`, a CNI configuration, later
// a lab file), and the one place that builds it from the options the user
// typed. Pure: no system calls; what the host already holds (other networks,
// addresses, links) is the engine's to check (engine/network.hpp).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/ip.hpp"
#include "core/names.hpp"
#include "model/ipam.hpp"

namespace contain::model {

// A subnet of a network beyond its first (dual stack).
struct SubnetSpec {
  Cidr subnet;
  std::optional<IpAddress> gateway;      // default: the first usable address
  std::optional<AddressRange> ip_range;  // where addresses are chosen; all when none
};

struct NetworkSpec {
  NetworkName name;
  Cidr subnet;
  std::optional<IpAddress> gateway;      // default: the first usable address
  bool nat = true;                       // intent; programmed by the NAT code
  std::optional<AddressRange> ip_range;  // where addresses are chosen; all when none
  unsigned mtu = 0;  // of the bridge and every attachment's veth (0: the kernel's default)
  // Further subnets, each of another address family than the first and each
  // other: every attachment gets an address (and a default route, as for the
  // first) in each.
  std::vector<SubnetSpec> more_subnets = {};
};

// `network create NAME --subnet ... [--gateway ...] [--ip-range ...] [--mtu N]
// [--no-nat]`, as typed. Docker's way: --subnet, --gateway and --ip-range once
// per subnet; a gateway or range belongs to the subnet that holds it.
struct NetworkOptions {
  std::string name = {};
  std::vector<std::string> subnets = {}, gateways = {}, ip_ranges = {};
  unsigned mtu = 0;  // 0: not given
  bool no_nat = false;
};

// Every option parsed and given to its subnet; usage errors (exit 2) name the
// option. Whether the gateways and ranges fit their subnets is network_pools'.
Result<NetworkSpec> build_network_spec(const NetworkOptions& options);

// The address pool of each subnet, the first subnet's first: each gateway and
// range inside its subnet, one subnet per address family. What create_network
// checks before it looks at the host; usage errors prefixed "create network NAME".
Result<std::vector<AddressPool>> network_pools(const NetworkSpec& spec);

// The whole spec as JSON (unset fields null), for golden tests.
nlohmann::json to_json(const NetworkSpec& spec);

}  // namespace contain::model
