#include "kernel/netlink/addr.hpp"

#include <fmt/format.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include <atomic>

#include "kernel/netlink/libnl.hpp"

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

Result<std::vector<AddressInfo>> list_addresses_of(const NetlinkSocket& sock, int ifindex) {
  // Sequence numbers of our own, apart from libnl's and kernel/batch's.
  static std::atomic<std::uint32_t> next_seq{0x60000000};
  int fd = nl_socket_get_fd(sock.get());
  int on = 1, off = 0;
  bool strict = ::setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &on, sizeof on) == 0;
  struct {
    nlmsghdr header;
    ifaddrmsg message;
  } request{};
  request.header.nlmsg_len = sizeof request;
  request.header.nlmsg_type = RTM_GETADDR;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.header.nlmsg_seq = next_seq.fetch_add(1);
  request.message.ifa_family = AF_UNSPEC;
  request.message.ifa_index = static_cast<std::uint32_t>(ifindex);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do
    sent = ::sendto(fd, &request, sizeof request, 0, reinterpret_cast<sockaddr*>(&kernel),
                    sizeof kernel);
  while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    Error e = Error::system("list addresses");
    if (strict) ::setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &off, sizeof off);
    return fail(std::move(e));
  }
  // Strict checking applies to requests as they are sent: it can go off now.
  if (strict) ::setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &off, sizeof off);

  std::vector<AddressInfo> out;
  alignas(nlmsghdr) char reply[32768];
  for (bool done = false; !done;) {
    ssize_t n = ::recv(fd, reply, sizeof reply, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(Error::system("list addresses"));
    int left = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(reply); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_seq != request.header.nlmsg_seq) continue;  // not ours
      if (h->nlmsg_type == NLMSG_DONE) {
        done = true;
        break;
      }
      if (h->nlmsg_type == NLMSG_ERROR) {
        auto* err = static_cast<nlmsgerr*>(NLMSG_DATA(h));
        if (err->error == 0) continue;
        return fail(Error::system("list addresses", -err->error));
      }
      if (h->nlmsg_type != RTM_NEWADDR) continue;
      auto* a = static_cast<ifaddrmsg*>(NLMSG_DATA(h));
      if (static_cast<int>(a->ifa_index) != ifindex) continue;
      if (a->ifa_family != AF_INET && a->ifa_family != AF_INET6) continue;
      // As libnl reads it: the local address, or the only one given.
      const rtattr* local = nullptr;
      const rtattr* address = nullptr;
      int attrs = static_cast<int>(IFA_PAYLOAD(h));
      for (auto* rta = IFA_RTA(a); RTA_OK(rta, attrs); rta = RTA_NEXT(rta, attrs)) {
        if (rta->rta_type == IFA_LOCAL) local = rta;
        if (rta->rta_type == IFA_ADDRESS) address = rta;
      }
      const rtattr* chosen = local ? local : address;
      std::size_t size = a->ifa_family == AF_INET ? 4 : 16;
      if (!chosen || RTA_PAYLOAD(chosen) < size) continue;
      AddressInfo info;
      info.ifindex = ifindex;
      info.cidr = Cidr(IpAddress::from_bytes(a->ifa_family, RTA_DATA(chosen)), a->ifa_prefixlen);
      info.scope = a->ifa_scope;
      out.push_back(info);
    }
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
