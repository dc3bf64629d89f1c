// The `net` primitives: named network namespaces and veth pairs to them.
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/ip.hpp"
#include "core/names.hpp"
#include "engine/bridge_link.hpp"
#include "kernel/netlink/addr.hpp"
#include "kernel/netlink/link.hpp"
#include "kernel/netlink/route.hpp"

namespace contain::engine {

Status create_netns(const NetnsName& name);

// Removes the namespaces (all names are checked before any is touched) and
// what contain made for them on the host. The kernel destroys a veth pair when
// the namespace holding one end goes; we wait for that, so when this returns
// the host links are gone.
Status delete_netns(const std::vector<NetnsName>& names);

struct NetnsSummary {
  std::string name;
  // Links inside, loopback included; unknown when we may not enter the
  // namespace (a user without CAP_SYS_ADMIN).
  std::optional<int> interfaces;
  bool managed = false;  // created by contain
};
Result<std::vector<NetnsSummary>> list_netns();

struct NetnsDetails {
  std::string name;
  std::vector<kernel::LinkInfo> links;
  std::vector<kernel::AddressInfo> addresses;
  std::vector<kernel::RouteInfo> routes;
};
Result<NetnsDetails> show_netns(const NetnsRef& netns);

struct VethSpec {
  IfName host;
  NetnsRef netns;
  IfName peer;
  std::optional<Cidr> host_address;
  std::optional<Cidr> netns_address;
  // A default route inside via this address; it must be in netns_address's
  // subnet, and the namespace must have no default route of its family yet.
  std::optional<IpAddress> gateway;
};
Status create_veth_to_netns(const VethSpec& spec);

// Now in kernel/netlink/link.hpp; the name stays reachable here for code in flight.
using kernel::wait_for_links_gone;

// Runs argv inside a network namespace the way `ip netns exec` does: a
// private mount namespace whose /sys shows the namespace's own devices, and
// /etc/netns/NAME/* bound over /etc (for a named one). Waits for it and
// returns its status as a shell reports it: the exit code, or 128+N if signal
// N killed it. While it runs, signals sent to us reach it
// (engine/foreground.hpp). In net_exec.cpp.
Result<int> exec_in_netns(const NetnsRef& netns, const std::vector<std::string>& argv);
// The same for a namespace the caller holds open; `name` is null for one
// without a name under /run/netns, and `label` names it in messages.
Result<int> run_in_netns(const NetnsName* name, std::string_view label, int netns_fd,
                         const std::vector<std::string>& argv);

}  // namespace contain::engine
