#include "kernel/netlink/route.hpp"

#include <fmt/format.h>
#include <linux/rtnetlink.h>

#include "kernel/netlink/libnl.hpp"

namespace contain::kernel {

Result<std::vector<RouteInfo>> list_routes(const NetlinkSocket& sock) {
  nl_cache* raw = nullptr;
  TRY(sock.check(rtnl_route_alloc_cache(sock.get(), AF_UNSPEC, 0, &raw), "list routes"));
  CachePtr cache(raw);
  std::vector<RouteInfo> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN) continue;
    if (rtnl_route_get_type(r) != RTN_UNICAST) continue;
    RouteInfo info;
    info.family = rtnl_route_get_family(r);
    if (info.family != AF_INET && info.family != AF_INET6) continue;
    nl_addr* dst = rtnl_route_get_dst(r);
    if (dst && nl_addr_get_prefixlen(dst) > 0)
      info.destination = Cidr(IpAddress::from_bytes(info.family, nl_addr_get_binary_addr(dst)),
                              nl_addr_get_prefixlen(dst));
    info.scope = rtnl_route_get_scope(r);
    info.protocol = rtnl_route_get_protocol(r);
    if (rtnl_route_get_nnexthops(r) > 0) {
      rtnl_nexthop* hop = rtnl_route_nexthop_n(r, 0);
      info.ifindex = rtnl_route_nh_get_ifindex(hop);
      if (nl_addr* gw = rtnl_route_nh_get_gateway(hop); gw && nl_addr_get_len(gw) > 0)
        info.gateway = IpAddress::from_bytes(info.family, nl_addr_get_binary_addr(gw));
    }
    out.push_back(info);
  }
  return out;
}

namespace {

Result<RoutePtr> make_default_route(const IpAddress& gateway, int ifindex) {
  RoutePtr route(rtnl_route_alloc());
  NlAddrPtr dst(nl_addr_build(gateway.family(), nullptr, 0));
  NlAddrPtr gw(nl_addr_build(gateway.family(), gateway.bytes(), gateway.size()));
  rtnl_nexthop* hop = rtnl_route_nh_alloc();
  if (!route || !dst || !gw || !hop) {
    if (hop) rtnl_route_nh_free(hop);
    return fail(Error::system("allocate a route", ENOMEM));
  }
  nl_addr_set_prefixlen(dst.get(), 0);
  rtnl_route_set_family(route.get(), gateway.family());
  rtnl_route_set_dst(route.get(), dst.get());
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(route.get(), RTPROT_STATIC);
  rtnl_route_nh_set_gateway(hop, gw.get());
  if (ifindex > 0) rtnl_route_nh_set_ifindex(hop, ifindex);
  rtnl_route_add_nexthop(route.get(), hop);  // the route owns the hop from here
  return route;
}

}  // namespace

Result<NlMsgPtr> build_default_route_request(const IpAddress& gateway, int ifindex, bool replace) {
  auto route = TRY(make_default_route(gateway, ifindex));
  nl_msg* msg = nullptr;
  int flags = NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL);
  if (int rc = rtnl_route_build_add_request(route.get(), flags, &msg); rc < 0)
    return fail(Error::failed(
        fmt::format("build default route via {}: {}", gateway.str(), nl_geterror(rc))));
  return NlMsgPtr(msg);
}

Result<std::optional<RouteInfo>> find_default_route(const NetlinkSocket& sock, int family) {
  for (const auto& r : TRY(list_routes(sock)))
    if (r.family == family && !r.destination) return std::optional<RouteInfo>(r);
  return std::optional<RouteInfo>();
}

Status add_default_route(const NetlinkSocket& sock, const IpAddress& gateway, int ifindex) {
  auto route = TRY(make_default_route(gateway, ifindex));
  return sock.check(rtnl_route_add(sock.get(), route.get(), NLM_F_CREATE | NLM_F_EXCL),
                    fmt::format("add default route via {}", gateway.str()));
}

Result<NlMsgPtr> build_route_request(const RouteRequest& request) {
  int family = request.destination ? request.destination->family()
               : request.gateway   ? request.gateway->family()
                                   : AF_INET;
  RoutePtr route(rtnl_route_alloc());
  NlAddrPtr dst(request.destination ? nl_addr_build(family, request.destination->address().bytes(),
                                                    request.destination->address().size())
                                    : nl_addr_build(family, nullptr, 0));
  rtnl_nexthop* hop = rtnl_route_nh_alloc();
  if (!route || !dst || !hop) {
    if (hop) rtnl_route_nh_free(hop);
    return fail(Error::system("allocate a route", ENOMEM));
  }
  nl_addr_set_prefixlen(dst.get(), request.destination ? request.destination->prefix() : 0);
  rtnl_route_set_family(route.get(), family);
  rtnl_route_set_dst(route.get(), dst.get());
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(route.get(), RTPROT_STATIC);
  if (request.gateway) {
    NlAddrPtr gw(nl_addr_build(family, request.gateway->bytes(), request.gateway->size()));
    if (!gw) {
      rtnl_route_nh_free(hop);
      return fail(Error::system("allocate a route", ENOMEM));
    }
    rtnl_route_nh_set_gateway(hop, gw.get());
  } else {
    rtnl_route_set_scope(route.get(), RT_SCOPE_LINK);
  }
  if (request.ifindex > 0) rtnl_route_nh_set_ifindex(hop, request.ifindex);
  rtnl_route_add_nexthop(route.get(), hop);  // the route owns the hop from here
  nl_msg* msg = nullptr;
  if (int rc = rtnl_route_build_add_request(route.get(), NLM_F_CREATE | NLM_F_EXCL, &msg); rc < 0)
    return fail(Error::failed(fmt::format("build route request: {}", nl_geterror(rc))));
  return NlMsgPtr(msg);
}

}  // namespace contain::kernel
