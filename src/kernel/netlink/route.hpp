// Routes over rtnetlink (main table).
#pragma once

#include <optional>
#include <vector>

#include "core/error.hpp"
#include "core/ip.hpp"
#include "kernel/netlink/libnl.hpp"
#include "kernel/netlink/socket.hpp"

namespace contain::kernel {

struct RouteInfo {
  int family = 0;
  std::optional<Cidr> destination;  // empty: the default route
  std::optional<IpAddress> gateway;
  int ifindex = 0;
  int scope = 0;
  int protocol = 0;
};

// Routes of the main table, IPv4 and IPv6.
Result<std::vector<RouteInfo>> list_routes(const NetlinkSocket& sock);

// A default route through `gateway` (on link `ifindex`, 0 to let the kernel pick).
Status add_default_route(const NetlinkSocket& sock, const IpAddress& gateway, int ifindex);

// The RTM_NEWROUTE message add_default_route sends (for pipelined batches and
// tests). With `replace`, it replaces the default route of that family if
// there is one (NLM_F_REPLACE) instead of failing with EEXIST.
Result<NlMsgPtr> build_default_route_request(const IpAddress& gateway, int ifindex,
                                             bool replace = false);

// The default route of `family` (AF_INET or AF_INET6) in the main table, if any.
Result<std::optional<RouteInfo>> find_default_route(const NetlinkSocket& sock, int family);

// A route of the main table: to `destination` (empty: the default route of the
// gateway's family) via `gateway`, or on-link through `ifindex` when there is
// no gateway (scope link). For pipelined batches.
struct RouteRequest {
  std::optional<Cidr> destination;
  std::optional<IpAddress> gateway;
  int ifindex = 0;
};
Result<NlMsgPtr> build_route_request(const RouteRequest& request);

}  // namespace contain::kernel
