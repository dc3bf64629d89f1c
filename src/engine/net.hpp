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
#include "kernel/addr.hpp"
#include "kernel/link.hpp"
#include "kernel/route.hpp"

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
Result<NetnsDetails> show_netns(const NetnsName& name);

struct VethSpec {
  IfName host;
  NetnsName netns;
  IfName peer;
  std::optional<Cidr> host_address;
  std::optional<Cidr> netns_address;
  // A default route inside via this address; it must be in netns_address's
  // subnet, and the namespace must have no default route of its family yet.
  std::optional<IpAddress> gateway;
};
Status create_veth_to_netns(const VethSpec& spec);

// Waits until none of `pending` (ifindexes on the host) exists any more,
// reading RTM_DELLINK notifications on `sock`, which must have been subscribed
// to RTNLGRP_LINK before the links could go. Returns those still present after
// `timeout`.
std::set<int> wait_for_links_gone(const kernel::NetlinkSocket& sock, std::set<int> pending,
                                  std::chrono::milliseconds timeout);

Result<int> exec_in_netns(const NetnsName& name, const std::vector<std::string>& argv);

}  // namespace contain::engine
