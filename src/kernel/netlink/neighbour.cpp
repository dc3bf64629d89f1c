#include "kernel/netlink/neighbour.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/if_packet.h>
#include <linux/neighbour.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netlink/route/neighbour.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <array>
#include <cstring>

#include "core/unique_fd.hpp"
#include "kernel/netlink/libnl.hpp"
#include "kernel/netns.hpp"

namespace contain::kernel {

Status announce_address(int netns_fd, int ifindex, const IpAddress& ip) {
  if (!ip.is_v4()) return {};
  UniqueFd sock;
  {
    // A socket belongs to the namespace it was made in.
    auto guard = TRY_WRAP(NetnsGuard::enter(netns_fd), "announce an address");
    sock = UniqueFd(::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP)));
  }
  if (!sock) return fail(Error::system("announce an address: open a packet socket"));
  ifreq request{};
  request.ifr_ifindex = ifindex;
  if (::ioctl(sock.get(), SIOCGIFNAME, &request) < 0 ||
      ::ioctl(sock.get(), SIOCGIFHWADDR, &request) < 0)
    return fail(
        Error::system(fmt::format("announce {}: read the MAC of link {}", ip.str(), ifindex)));
  // An ARP reply whose sender and target are both the address (RFC 5227's
  // announcement); Linux updates an existing neighbour entry from it.
  struct [[gnu::packed]] {
    arphdr header;
    std::array<unsigned char, 6> sender_mac;
    std::array<unsigned char, 4> sender_ip;
    std::array<unsigned char, 6> target_mac;
    std::array<unsigned char, 4> target_ip;
  } packet{};
  packet.header.ar_hrd = htons(ARPHRD_ETHER);
  packet.header.ar_pro = htons(ETH_P_IP);
  packet.header.ar_hln = 6;
  packet.header.ar_pln = 4;
  packet.header.ar_op = htons(ARPOP_REPLY);
  std::memcpy(packet.sender_mac.data(), request.ifr_hwaddr.sa_data, 6);
  std::memcpy(packet.sender_ip.data(), ip.bytes(), 4);
  packet.target_mac.fill(0xff);
  std::memcpy(packet.target_ip.data(), ip.bytes(), 4);
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_ARP);
  to.sll_ifindex = ifindex;
  to.sll_halen = 6;
  std::memset(to.sll_addr, 0xff, 6);
  if (::sendto(sock.get(), &packet, sizeof packet, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) <
      0)
    return fail(Error::system(fmt::format("announce {}: send a gratuitous ARP", ip.str())));
  return {};
}

Status forget_neighbour(const NetlinkSocket& sock, int ifindex, const IpAddress& ip) {
  std::unique_ptr<rtnl_neigh, decltype(&rtnl_neigh_put)> neigh(rtnl_neigh_alloc(), &rtnl_neigh_put);
  std::unique_ptr<nl_addr, decltype(&nl_addr_put)> dst(
      nl_addr_build(ip.family(), ip.bytes(), ip.size()), &nl_addr_put);
  if (!neigh || !dst) return fail(Error::system("allocate a neighbour", ENOMEM));
  rtnl_neigh_set_ifindex(neigh.get(), ifindex);
  rtnl_neigh_set_family(neigh.get(), ip.family());
  if (rtnl_neigh_set_dst(neigh.get(), dst.get()) < 0)
    return fail(Error::failed("set a neighbour's address"));
  auto done = sock.check(rtnl_neigh_delete(sock.get(), neigh.get(), 0),
                         fmt::format("forget the neighbour {}", ip.str()));
  if (!done && done.error().code() != ENOENT) return done;
  return {};
}

Result<NlMsgPtr> build_learn_neighbour_request(int ifindex, const IpAddress& ip,
                                               std::string_view mac) {
  std::unique_ptr<rtnl_neigh, decltype(&rtnl_neigh_put)> neigh(rtnl_neigh_alloc(), &rtnl_neigh_put);
  NlAddrPtr dst(nl_addr_build(ip.family(), ip.bytes(), ip.size()));
  if (!neigh || !dst) return fail(Error::system("allocate a neighbour", ENOMEM));
  std::string text(mac);
  nl_addr* parsed = nullptr;
  if (nl_addr_parse(text.c_str(), AF_LLC, &parsed) < 0 || !parsed)
    return fail(Error::usage(fmt::format("{} is not a MAC address", text)));
  NlAddrPtr lladdr(parsed);
  rtnl_neigh_set_ifindex(neigh.get(), ifindex);
  rtnl_neigh_set_family(neigh.get(), ip.family());
  rtnl_neigh_set_state(neigh.get(), NUD_STALE);
  rtnl_neigh_set_lladdr(neigh.get(), lladdr.get());
  if (rtnl_neigh_set_dst(neigh.get(), dst.get()) < 0)
    return fail(Error::failed("set a neighbour's address"));
  nl_msg* msg = nullptr;
  if (int rc = rtnl_neigh_build_add_request(neigh.get(), NLM_F_CREATE | NLM_F_REPLACE, &msg);
      rc < 0)
    return fail(Error::failed(fmt::format("build a neighbour request: {}", nl_geterror(rc))));
  return NlMsgPtr(msg);
}

Status learn_neighbour(const NetlinkSocket& sock, int ifindex, const IpAddress& ip,
                       std::string_view mac) {
  auto msg = TRY(build_learn_neighbour_request(ifindex, ip, mac));
  return sock.check(nl_send_sync(sock.get(), msg.release()),
                    fmt::format("tell link {} that {} is at {}", ifindex, ip.str(), mac));
}

}  // namespace contain::kernel
