#include "kernel/addr.hpp"

#include <fmt/format.h>
#include <linux/if_addr.h>

#include "kernel/libnl.hpp"

namespace contain::kernel {

namespace {

Result<AddrPtr> make_addr(int ifindex, const Cidr& cidr) {
  AddrPtr addr(rtnl_addr_alloc());
  NlAddrPtr local(nl_addr_build(cidr.family(), cidr.address().bytes(), cidr.address().size()));
  if (!addr || !local) return fail(Error::system("allocate an address", ENOMEM));
  nl_addr_set_prefixlen(local.get(), cidr.prefix());
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_family(addr.get(), cidr.family());
  if (int rc = rtnl_addr_set_local(addr.get(), local.get()); rc < 0)
    return fail(Error::failed(fmt::format("address {}: {}", cidr.str(), nl_geterror(rc))));
  rtnl_addr_set_prefixlen(addr.get(), cidr.prefix());
  return addr;
}

}  // namespace

Result<std::vector<AddressInfo>> list_addresses(const NetlinkSocket& sock) {
  nl_cache* raw = nullptr;
  TRY(sock.check(rtnl_addr_alloc_cache(sock.get(), &raw), "list addresses"));
  CachePtr cache(raw);
  std::vector<AddressInfo> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    nl_addr* local = rtnl_addr_get_local(a);
    if (!local) continue;
    int family = nl_addr_get_family(local);
    if (family != AF_INET && family != AF_INET6) continue;
    AddressInfo info;
    info.ifindex = rtnl_addr_get_ifindex(a);
    info.cidr = Cidr(IpAddress::from_bytes(family, nl_addr_get_binary_addr(local)),
                     rtnl_addr_get_prefixlen(a));
    info.scope = rtnl_addr_get_scope(a);
    out.push_back(info);
  }
  return out;
}

Status add_address(const NetlinkSocket& sock, int ifindex, const Cidr& cidr) {
  auto addr = TRY(make_addr(ifindex, cidr));
  if (!cidr.address().is_v4()) rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
  return sock.check(rtnl_addr_add(sock.get(), addr.get(), NLM_F_CREATE | NLM_F_EXCL),
                    fmt::format("add address {}", cidr.str()));
}

Result<NlMsgPtr> build_add_address_request(int ifindex, const Cidr& cidr) {
  auto addr = TRY(make_addr(ifindex, cidr));
  if (!cidr.address().is_v4()) rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
  nl_msg* msg = nullptr;
  if (int rc = rtnl_addr_build_add_request(addr.get(), NLM_F_CREATE | NLM_F_EXCL, &msg); rc < 0)
    return fail(Error::failed(fmt::format("build address {}: {}", cidr.str(), nl_geterror(rc))));
  return NlMsgPtr(msg);
}

Status delete_address(const NetlinkSocket& sock, int ifindex, const Cidr& cidr) {
  auto addr = TRY(make_addr(ifindex, cidr));
  return sock.check(rtnl_addr_delete(sock.get(), addr.get(), 0),
                    fmt::format("delete address {}", cidr.str()));
}

}  // namespace contain::kernel
