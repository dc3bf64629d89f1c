// Owners for libnl objects, so no error path has to remember rtnl_*_put.
#pragma once

#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include <memory>

namespace contain::kernel {

struct LinkPut {
  void operator()(rtnl_link* p) const { rtnl_link_put(p); }
};
struct AddrPut {
  void operator()(rtnl_addr* p) const { rtnl_addr_put(p); }
};
struct RoutePut {
  void operator()(rtnl_route* p) const { rtnl_route_put(p); }
};
struct CacheFree {
  void operator()(nl_cache* p) const { nl_cache_free(p); }
};
struct AddrNlPut {
  void operator()(nl_addr* p) const { nl_addr_put(p); }
};

struct MsgFree {
  void operator()(nl_msg* p) const { nlmsg_free(p); }
};

using NlMsgPtr = std::unique_ptr<nl_msg, MsgFree>;
using LinkPtr = std::unique_ptr<rtnl_link, LinkPut>;
using AddrPtr = std::unique_ptr<rtnl_addr, AddrPut>;
using RoutePtr = std::unique_ptr<rtnl_route, RoutePut>;
using CachePtr = std::unique_ptr<nl_cache, CacheFree>;
using NlAddrPtr = std::unique_ptr<nl_addr, AddrNlPut>;

}  // namespace contain::kernel
