#include "kernel/netlink/link.hpp"

#include <fmt/format.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <netlink/route/link/veth.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <set>

#include "core/random.hpp"
#include "kernel/netlink/libnl.hpp"

namespace contain::kernel {

namespace {

LinkInfo to_info(rtnl_link* link) {
  LinkInfo info;
  info.ifindex = rtnl_link_get_ifindex(link);
  if (const char* name = rtnl_link_get_name(link)) info.name = name;
  if (const char* type = rtnl_link_get_type(link)) info.kind = type;
  info.flags = rtnl_link_get_flags(link);
  char buf[64];
  info.operstate = rtnl_link_operstate2str(rtnl_link_get_operstate(link), buf, sizeof buf);
  for (char& c : info.operstate) c = static_cast<char>(std::tolower(c));
  if (const char* alias = rtnl_link_get_ifalias(link)) info.alias = alias;
  info.master = rtnl_link_get_master(link);
  info.peer_ifindex = rtnl_link_get_link(link);
  if (nl_addr* mac = rtnl_link_get_addr(link); mac && nl_addr_get_len(mac) > 0) {
    char text[64];
    info.mac = nl_addr2str(mac, text, sizeof text);
  }
  info.mtu = rtnl_link_get_mtu(link);
  return info;
}

}  // namespace

Result<std::vector<LinkInfo>> list_links(const NetlinkSocket& sock) {
  nl_cache* raw = nullptr;
  TRY(sock.check(rtnl_link_alloc_cache(sock.get(), AF_UNSPEC, &raw), "list links"));
  CachePtr cache(raw);
  std::vector<LinkInfo> links;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o))
    links.push_back(to_info(reinterpret_cast<rtnl_link*>(o)));
  return links;
}

Result<LinkInfo> get_link(const NetlinkSocket& sock, std::string_view name) {
  rtnl_link* raw = nullptr;
  std::string n(name);
  TRY(sock.check(rtnl_link_get_kernel(sock.get(), 0, n.c_str(), &raw),
                 fmt::format("look up link {}", quote(name))));
  LinkPtr link(raw);
  return to_info(link.get());
}

Result<LinkInfo> get_link(const NetlinkSocket& sock, int ifindex) {
  rtnl_link* raw = nullptr;
  TRY(sock.check(rtnl_link_get_kernel(sock.get(), ifindex, nullptr, &raw),
                 fmt::format("look up link {}", ifindex)));
  LinkPtr link(raw);
  return to_info(link.get());
}

Result<NlMsgPtr> build_veth_request(const VethRequest& request) {
  LinkPtr link(rtnl_link_veth_alloc());
  if (!link) return fail(Error::system("allocate a veth", ENOMEM));
  LinkPtr peer(rtnl_link_veth_get_peer(link.get()));
  rtnl_link_set_name(link.get(), request.name.c_str());
  rtnl_link_set_name(peer.get(), request.peer.c_str());
  if (request.peer_netns_fd >= 0) rtnl_link_set_ns_fd(peer.get(), request.peer_netns_fd);
  if (request.up) rtnl_link_set_flags(link.get(), IFF_UP);
  if (request.master > 0) rtnl_link_set_master(link.get(), request.master);
  NlAddrPtr peer_mac;
  if (!request.peer_mac.empty()) {
    nl_addr* parsed = nullptr;
    if (nl_addr_parse(request.peer_mac.c_str(), AF_LLC, &parsed) < 0 || !parsed)
      return fail(Error::usage(fmt::format("{} is not a MAC address", request.peer_mac)));
    peer_mac.reset(parsed);
    rtnl_link_set_addr(peer.get(), peer_mac.get());
  }
  if (request.mtu > 0) {
    rtnl_link_set_mtu(link.get(), request.mtu);
    rtnl_link_set_mtu(peer.get(), request.mtu);
  }
  // One queue each way, said at creation. Left out, the kernel gives each end
  // one queue per CPU and then cuts them to one in use (veth_init_queues), and
  // cutting the queues of a registered device waits for an expedited RCU grace
  // period, under the RTNL lock, twice per pair: 3-5 ms per pair on this kind of VM,
  // most of the time of a lab of a thousand links. One queue in use is what the
  // kernel would leave anyway.
  for (rtnl_link* end : {link.get(), peer.get()}) {
    rtnl_link_set_num_tx_queues(end, 1);
    rtnl_link_set_num_rx_queues(end, 1);
  }
  nl_msg* msg = nullptr;
  if (int rc = rtnl_link_build_add_request(link.get(), NLM_F_CREATE | NLM_F_EXCL, &msg); rc < 0)
    return fail(Error::failed(fmt::format("build veth request: {}", nl_geterror(rc))));
  return NlMsgPtr(msg);
}

Status create_veth(const NetlinkSocket& sock, const VethRequest& request) {
  auto msg = TRY(build_veth_request(request));
  // nl_send_sync frees the message.
  return sock.check(
      nl_send_sync(sock.get(), msg.release()),
      fmt::format("create veth pair {} <-> {}", request.name.str(), request.peer.str()));
}

std::string random_mac() {
  unsigned char mac[6];
  random_bytes(mac);
  mac[0] = static_cast<unsigned char>((mac[0] & 0xfe) | 0x02);  // unicast, local
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", mac[0], mac[1], mac[2], mac[3],
                     mac[4], mac[5]);
}

Status create_bridge(const NetlinkSocket& sock, const IfName& name) {
  LinkPtr link(rtnl_link_alloc());
  if (!link) return fail(Error::system("allocate a bridge", ENOMEM));
  if (int rc = rtnl_link_set_type(link.get(), "bridge"); rc < 0)
    return fail(Error::failed(fmt::format("create bridge {}: {}", name.str(), nl_geterror(rc))));
  rtnl_link_set_name(link.get(), name.c_str());
  rtnl_link_set_flags(link.get(), IFF_UP);
  // A bridge without an address of its own takes the lowest of its ports' and
  // changes it as ports come and go (its neighbours' ARP caches go stale; with
  // no ports left it is all zeros). A random, locally administered one, set at
  // creation, stays.
  std::string mac = random_mac();
  nl_addr* parsed = nullptr;
  if (nl_addr_parse(mac.c_str(), AF_LLC, &parsed) < 0 || !parsed)
    return fail(Error::system("allocate a bridge address", ENOMEM));
  NlAddrPtr address(parsed);
  rtnl_link_set_addr(link.get(), address.get());
  return sock.check(rtnl_link_add(sock.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL),
                    fmt::format("create bridge {}", name.str()));
}

Result<NlMsgPtr> build_link_change_request(const LinkChange& change) {
  NlMsgPtr msg(nlmsg_alloc_simple(RTM_SETLINK, 0));
  if (!msg) return fail(Error::system("allocate a netlink message", ENOMEM));
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = change.ifindex;
  if (change.up) {
    ifi.ifi_flags = IFF_UP;
    ifi.ifi_change = IFF_UP;
  }
  bool ok = nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO) == 0;
  if (ok && change.ifindex == 0)
    ok = nla_put_string(msg.get(), IFLA_IFNAME, change.name.c_str()) == 0;
  if (ok && change.alias) ok = nla_put_string(msg.get(), IFLA_IFALIAS, change.alias->c_str()) == 0;
  if (ok && change.master > 0) ok = nla_put_u32(msg.get(), IFLA_MASTER, change.master) == 0;
  if (ok && change.mtu > 0) ok = nla_put_u32(msg.get(), IFLA_MTU, change.mtu) == 0;
  if (!ok) return fail(Error::failed("build link change request: message too large"));
  return msg;
}

namespace {

Status change_link(const NetlinkSocket& sock, int ifindex, rtnl_link* changes,
                   std::string_view what) {
  LinkPtr orig(rtnl_link_alloc());
  if (!orig) return fail(Error::system("allocate a link", ENOMEM));
  rtnl_link_set_ifindex(orig.get(), ifindex);
  return sock.check(rtnl_link_change(sock.get(), orig.get(), changes, 0), what);
}

}  // namespace

Status set_link_alias(const NetlinkSocket& sock, int ifindex, std::string_view alias) {
  LinkPtr changes(rtnl_link_alloc());
  if (!changes) return fail(Error::system("allocate a link", ENOMEM));
  std::string a(alias);
  rtnl_link_set_ifalias(changes.get(), a.c_str());
  return change_link(sock, ifindex, changes.get(), fmt::format("set alias of link {}", ifindex));
}

Status set_link_mtu(const NetlinkSocket& sock, int ifindex, unsigned mtu) {
  LinkPtr changes(rtnl_link_alloc());
  if (!changes) return fail(Error::system("allocate a link", ENOMEM));
  rtnl_link_set_mtu(changes.get(), mtu);
  return change_link(sock, ifindex, changes.get(),
                     fmt::format("set the MTU of link {} to {}", ifindex, mtu));
}

Status set_link_up(const NetlinkSocket& sock, int ifindex) {
  LinkPtr changes(rtnl_link_alloc());
  if (!changes) return fail(Error::system("allocate a link", ENOMEM));
  rtnl_link_set_flags(changes.get(), IFF_UP);
  return change_link(sock, ifindex, changes.get(), fmt::format("bring link {} up", ifindex));
}

Status set_link_mac(const NetlinkSocket& sock, int ifindex, std::string_view mac) {
  std::string text(mac);
  nl_addr* parsed = nullptr;
  if (nl_addr_parse(text.c_str(), AF_LLC, &parsed) < 0 || !parsed)
    return fail(Error::usage(fmt::format("{} is not a MAC address", text)));
  std::unique_ptr<nl_addr, decltype(&nl_addr_put)> address(parsed, &nl_addr_put);
  LinkPtr changes(rtnl_link_alloc());
  if (!changes) return fail(Error::system("allocate a link", ENOMEM));
  rtnl_link_set_addr(changes.get(), address.get());
  return change_link(sock, ifindex, changes.get(),
                     fmt::format("set MAC address of link {} to {}", ifindex, text));
}

Status delete_link(const NetlinkSocket& sock, int ifindex) {
  LinkPtr link(rtnl_link_alloc());
  if (!link) return fail(Error::system("allocate a link", ENOMEM));
  rtnl_link_set_ifindex(link.get(), ifindex);
  return sock.check(rtnl_link_delete(sock.get(), link.get()),
                    fmt::format("delete link {}", ifindex));
}

Result<NlMsgPtr> build_link_group_request(int ifindex, std::uint32_t group) {
  NlMsgPtr msg(nlmsg_alloc_simple(RTM_SETLINK, 0));
  if (!msg) return fail(Error::system("allocate a netlink message", ENOMEM));
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = ifindex;
  if (nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 ||
      nla_put_u32(msg.get(), IFLA_GROUP, group) < 0)
    return fail(Error::failed("build link group request: message too large"));
  return msg;
}

Result<NlMsgPtr> build_delete_group_request(std::uint32_t group) {
  NlMsgPtr msg(nlmsg_alloc_simple(RTM_DELLINK, 0));
  if (!msg) return fail(Error::system("allocate a netlink message", ENOMEM));
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;  // ifindex 0 and no name: the kernel deletes by group
  if (nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 ||
      nla_put_u32(msg.get(), IFLA_GROUP, group) < 0)
    return fail(Error::failed("build link group delete request: message too large"));
  return msg;
}

Status delete_links(const NetlinkSocket& sock, const std::vector<int>& ifindexes) {
  if (ifindexes.empty()) return {};
  if (ifindexes.size() == 1) {
    auto gone = delete_link(sock, ifindexes.front());
    if (!gone && gone.error().code() == ENODEV) return {};
    return gone;
  }
  // A group nobody else uses: random, never the default group 0. The links
  // are ours and the state lock is held, so nothing else joins it meanwhile.
  std::uint32_t group = 0;
  while (group == 0) {
    unsigned char bytes[4];
    random_bytes(bytes);
    group = (std::uint32_t{bytes[0]} << 24 | std::uint32_t{bytes[1]} << 16 |
             std::uint32_t{bytes[2]} << 8 | bytes[3]) |
            0x80000000u;
  }
  std::size_t joined = 0;
  for (int ifindex : ifindexes) {
    auto msg = TRY(build_link_group_request(ifindex, group));
    auto set = sock.check(nl_send_sync(sock.get(), msg.release()),
                          fmt::format("put link {} in group {}", ifindex, group));
    if (!set && set.error().code() != ENODEV) return set;
    if (set) ++joined;
  }
  if (joined == 0) return {};
  auto msg = TRY(build_delete_group_request(group));
  auto gone = sock.check(nl_send_sync(sock.get(), msg.release()),
                         fmt::format("delete the links of group {}", group));
  if (!gone && gone.error().code() == ENODEV) return {};
  return gone;
}

bool bring_loopback_up(ChildError& e) {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return e.fail("bring loopback up: open a netlink socket");
  struct {
    nlmsghdr header;
    ifinfomsg link;
  } request{};
  request.header.nlmsg_len = sizeof request;
  request.header.nlmsg_type = RTM_NEWLINK;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  request.header.nlmsg_seq = 1;
  request.link.ifi_family = AF_UNSPEC;
  request.link.ifi_index = 1;  // loopback is always ifindex 1 in a new namespace
  request.link.ifi_flags = IFF_UP;
  request.link.ifi_change = IFF_UP;
  struct {
    nlmsghdr header;
    nlmsgerr error;
  } answer{};
  bool ok = ::send(fd, &request, sizeof request, 0) == static_cast<ssize_t>(sizeof request) &&
            ::recv(fd, &answer, sizeof answer, 0) >= static_cast<ssize_t>(sizeof answer.header);
  if (!ok) {
    e.fail("bring loopback up");
    ::close(fd);
    return false;
  }
  ::close(fd);
  if (answer.header.nlmsg_type == NLMSG_ERROR && answer.error.error != 0) {
    errno = -answer.error.error;
    return e.fail("bring loopback up");
  }
  return true;
}

// Waits until none of `pending` (ifindexes on the host) exists any more, reading
// RTM_DELLINK notifications on a socket subscribed before the namespaces were
// removed. Returns the ones still present after `timeout`.
std::set<int> wait_for_links_gone(const kernel::NetlinkSocket& sock, std::set<int> pending,
                                  std::chrono::milliseconds timeout) {
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + timeout;
  int fd = nl_socket_get_fd(sock.get());
  alignas(nlmsghdr) char buf[65536];
  while (!pending.empty()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == ENOBUFS) {
        // Notifications were dropped: ask the kernel which links still exist.
        auto links = list_links(sock);
        if (!links) break;
        std::set<int> present;
        for (const auto& l : *links) present.insert(l.ifindex);
        std::erase_if(pending, [&](int i) { return !present.contains(i); });
      }
      continue;
    }
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, static_cast<unsigned>(n));
         h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type != RTM_DELLINK) continue;
      auto* info = static_cast<ifinfomsg*>(NLMSG_DATA(h));
      pending.erase(info->ifi_index);
    }
  }
  return pending;
}

}  // namespace contain::kernel
