// Round trips of the netlink messages we build: parse them back as the kernel
// would and check the attributes it acts on. No socket, no root.
#include <gtest/gtest.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "kernel/netlink/addr.hpp"
#include "kernel/netlink/link.hpp"
#include "kernel/netlink/neighbour.hpp"
#include "kernel/netlink/route.hpp"

namespace contain::kernel {
namespace {

TEST(VethRequest, PeerIsBornInTheNamespaceInTheSameMessage) {
  VethRequest request{*IfName::parse("host0"), *IfName::parse("eth0"), 42, true};
  auto msg = build_veth_request(request);
  ASSERT_TRUE(msg);
  nlmsghdr* header = nlmsg_hdr(msg->get());
  EXPECT_EQ(header->nlmsg_type, RTM_NEWLINK);
  EXPECT_TRUE(header->nlmsg_flags & NLM_F_CREATE);
  EXPECT_TRUE(header->nlmsg_flags & NLM_F_EXCL);
  auto* info = static_cast<ifinfomsg*>(nlmsg_data(header));
  EXPECT_TRUE(info->ifi_flags & IFF_UP);
  EXPECT_TRUE(info->ifi_change & IFF_UP);

  nlattr* tb[IFLA_MAX + 1];
  ASSERT_EQ(nlmsg_parse(header, sizeof(ifinfomsg), tb, IFLA_MAX, nullptr), 0);
  ASSERT_TRUE(tb[IFLA_IFNAME]);
  EXPECT_STREQ(nla_get_string(tb[IFLA_IFNAME]), "host0");
  EXPECT_FALSE(tb[IFLA_NET_NS_FD]) << "the host end must stay where it is";

  nlattr* linkinfo[IFLA_INFO_MAX + 1];
  ASSERT_TRUE(tb[IFLA_LINKINFO]);
  ASSERT_EQ(nla_parse_nested(linkinfo, IFLA_INFO_MAX, tb[IFLA_LINKINFO], nullptr), 0);
  EXPECT_STREQ(nla_get_string(linkinfo[IFLA_INFO_KIND]), "veth");
  nlattr* data[VETH_INFO_MAX + 1];
  ASSERT_EQ(nla_parse_nested(data, VETH_INFO_MAX, linkinfo[IFLA_INFO_DATA], nullptr), 0);
  nlattr* peer = data[VETH_INFO_PEER];
  ASSERT_TRUE(peer);
  // The peer is an ifinfomsg followed by its own attributes.
  auto* peer_attrs = reinterpret_cast<nlattr*>(static_cast<char*>(nla_data(peer)) +
                                               NLMSG_ALIGN(sizeof(ifinfomsg)));
  int peer_len = nla_len(peer) - static_cast<int>(NLMSG_ALIGN(sizeof(ifinfomsg)));
  nlattr* ptb[IFLA_MAX + 1];
  ASSERT_EQ(nla_parse(ptb, IFLA_MAX, peer_attrs, peer_len, nullptr), 0);
  EXPECT_STREQ(nla_get_string(ptb[IFLA_IFNAME]), "eth0");
  ASSERT_TRUE(ptb[IFLA_NET_NS_FD]);
  EXPECT_EQ(nla_get_u32(ptb[IFLA_NET_NS_FD]), 42u);
}

}  // namespace
}  // namespace contain::kernel

namespace contain::kernel {
namespace {

TEST(VethRequest, HostEndIsEnslavedInTheCreatingMessage) {
  VethRequest request{*IfName::parse("vc0123456789ab"), *IfName::parse("eth0"), 42, true, 7};
  auto msg = build_veth_request(request);
  ASSERT_TRUE(msg);
  nlattr* tb[IFLA_MAX + 1];
  ASSERT_EQ(nlmsg_parse(nlmsg_hdr(msg->get()), sizeof(ifinfomsg), tb, IFLA_MAX, nullptr), 0);
  ASSERT_TRUE(tb[IFLA_MASTER]);
  EXPECT_EQ(nla_get_u32(tb[IFLA_MASTER]), 7u);
}

TEST(LinkChange, ByNameWithAliasOrByIndexUp) {
  auto msg = build_link_change_request(
      {.ifindex = 0, .name = "vc1", .up = false, .alias = std::string("contain:netns/a")});
  ASSERT_TRUE(msg);
  nlmsghdr* header = nlmsg_hdr(msg->get());
  EXPECT_EQ(header->nlmsg_type, RTM_SETLINK);
  auto* info = static_cast<ifinfomsg*>(nlmsg_data(header));
  EXPECT_EQ(info->ifi_index, 0);
  EXPECT_EQ(info->ifi_change, 0u);
  nlattr* tb[IFLA_MAX + 1];
  ASSERT_EQ(nlmsg_parse(header, sizeof(ifinfomsg), tb, IFLA_MAX, nullptr), 0);
  EXPECT_STREQ(nla_get_string(tb[IFLA_IFNAME]), "vc1");
  EXPECT_STREQ(nla_get_string(tb[IFLA_IFALIAS]), "contain:netns/a");

  msg = build_link_change_request({.ifindex = 5, .name = {}, .up = true, .alias = {}});
  ASSERT_TRUE(msg);
  header = nlmsg_hdr(msg->get());
  info = static_cast<ifinfomsg*>(nlmsg_data(header));
  EXPECT_EQ(info->ifi_index, 5);
  EXPECT_TRUE(info->ifi_flags & IFF_UP);
  EXPECT_TRUE(info->ifi_change & IFF_UP);
  ASSERT_EQ(nlmsg_parse(header, sizeof(ifinfomsg), tb, IFLA_MAX, nullptr), 0);
  EXPECT_FALSE(tb[IFLA_IFNAME]);
  EXPECT_FALSE(tb[IFLA_IFALIAS]);
}

// Several links deleted in one unregistration: each is put in a group, then
// the group goes with one RTM_DELLINK that names no link (ifindex 0, no name:
// the kernel reads IFLA_GROUP only then).
TEST(LinkGroup, JoinThenDeleteTheGroup) {
  auto join = build_link_group_request(9, 0x80001234u);
  ASSERT_TRUE(join);
  nlmsghdr* header = nlmsg_hdr(join->get());
  EXPECT_EQ(header->nlmsg_type, RTM_SETLINK);
  EXPECT_EQ(static_cast<ifinfomsg*>(nlmsg_data(header))->ifi_index, 9);
  nlattr* tb[IFLA_MAX + 1];
  ASSERT_EQ(nlmsg_parse(header, sizeof(ifinfomsg), tb, IFLA_MAX, nullptr), 0);
  ASSERT_TRUE(tb[IFLA_GROUP]);
  EXPECT_EQ(nla_get_u32(tb[IFLA_GROUP]), 0x80001234u);

  auto del = build_delete_group_request(0x80001234u);
  ASSERT_TRUE(del);
  header = nlmsg_hdr(del->get());
  EXPECT_EQ(header->nlmsg_type, RTM_DELLINK);
  EXPECT_EQ(static_cast<ifinfomsg*>(nlmsg_data(header))->ifi_index, 0);
  ASSERT_EQ(nlmsg_parse(header, sizeof(ifinfomsg), tb, IFLA_MAX, nullptr), 0);
  EXPECT_FALSE(tb[IFLA_IFNAME]);
  ASSERT_TRUE(tb[IFLA_GROUP]);
  EXPECT_EQ(nla_get_u32(tb[IFLA_GROUP]), 0x80001234u);
}

TEST(VethRequest, PeerMacIsSetWhenGiven) {
  VethRequest request{*IfName::parse("host0"), *IfName::parse("eth0"), 42, true, 0, 0,
                      "0a:58:c0:00:02:32"};
  auto msg = build_veth_request(request);
  ASSERT_TRUE(msg);
  // The peer's attributes sit in IFLA_LINKINFO / IFLA_INFO_DATA / VETH_INFO_PEER,
  // after an ifinfomsg: the MAC's six bytes follow an IFLA_ADDRESS header there.
  nlmsghdr* header = nlmsg_hdr(msg->get());
  std::string bytes(static_cast<const char*>(nlmsg_data(header)),
                    static_cast<std::size_t>(nlmsg_datalen(header)));
  EXPECT_NE(bytes.find(std::string("\x0a\x58\xc0\x00\x02\x32", 6)), std::string::npos);
  request.peer_mac = "not-a-mac";
  EXPECT_FALSE(build_veth_request(request));
}

TEST(NeighbourRequest, StaleEntryMadeOrReplaced) {
  auto msg =
      build_learn_neighbour_request(5, *IpAddress::parse("2001:db8::50"), "0a:58:c0:00:02:32");
  ASSERT_TRUE(msg);
  nlmsghdr* header = nlmsg_hdr(msg->get());
  EXPECT_EQ(header->nlmsg_type, RTM_NEWNEIGH);
  EXPECT_TRUE(header->nlmsg_flags & NLM_F_CREATE);
  EXPECT_TRUE(header->nlmsg_flags & NLM_F_REPLACE);
  auto* nd = static_cast<ndmsg*>(nlmsg_data(header));
  EXPECT_EQ(nd->ndm_ifindex, 5);
  EXPECT_EQ(nd->ndm_family, AF_INET6);
  EXPECT_EQ(nd->ndm_state, NUD_STALE);
  nlattr* tb[NDA_MAX + 1];
  ASSERT_EQ(nlmsg_parse(header, sizeof(ndmsg), tb, NDA_MAX, nullptr), 0);
  ASSERT_TRUE(tb[NDA_LLADDR]);
  ASSERT_EQ(nla_len(tb[NDA_LLADDR]), 6);
  EXPECT_EQ(std::string(static_cast<const char*>(nla_data(tb[NDA_LLADDR])), 6),
            std::string("\x0a\x58\xc0\x00\x02\x32", 6));
  ASSERT_TRUE(tb[NDA_DST]);
  EXPECT_EQ(nla_len(tb[NDA_DST]), 16);
  EXPECT_FALSE(build_learn_neighbour_request(5, *IpAddress::parse("2001:db8::50"), "zz"));
}

TEST(RandomMac, UnicastAndLocallyAdministered) {
  for (int i = 0; i < 64; ++i) {
    std::string mac = random_mac();
    ASSERT_EQ(mac.size(), 17u) << mac;
    unsigned first = std::stoul(mac.substr(0, 2), nullptr, 16);
    EXPECT_EQ(first & 0x01u, 0u) << mac;
    EXPECT_EQ(first & 0x02u, 0x02u) << mac;
  }
}

TEST(AddressRequest, Ipv6SkipsDuplicateDetection) {
  auto msg = build_add_address_request(3, *Cidr::parse("2001:db8::2/64"));
  ASSERT_TRUE(msg);
  nlmsghdr* header = nlmsg_hdr(msg->get());
  EXPECT_EQ(header->nlmsg_type, RTM_NEWADDR);
  auto* ifa = static_cast<ifaddrmsg*>(nlmsg_data(header));
  EXPECT_EQ(ifa->ifa_index, 3u);
  EXPECT_EQ(ifa->ifa_prefixlen, 64);
  EXPECT_EQ(ifa->ifa_family, AF_INET6);
  nlattr* tb[IFA_MAX + 1];
  ASSERT_EQ(nlmsg_parse(header, sizeof(ifaddrmsg), tb, IFA_MAX, nullptr), 0);
  ASSERT_TRUE(tb[IFA_LOCAL] || tb[IFA_ADDRESS]);
  bool nodad = (ifa->ifa_flags & IFA_F_NODAD) ||
               (tb[IFA_FLAGS] && (nla_get_u32(tb[IFA_FLAGS]) & IFA_F_NODAD));
  EXPECT_TRUE(nodad);
}

TEST(RouteRequest, DefaultRouteViaGatewayOnLink) {
  auto msg = build_default_route_request(*IpAddress::parse("192.0.2.1"), 4);
  ASSERT_TRUE(msg);
  nlmsghdr* header = nlmsg_hdr(msg->get());
  EXPECT_EQ(header->nlmsg_type, RTM_NEWROUTE);
  auto* rtm = static_cast<rtmsg*>(nlmsg_data(header));
  EXPECT_EQ(rtm->rtm_dst_len, 0);
  EXPECT_EQ(rtm->rtm_family, AF_INET);
  nlattr* tb[RTA_MAX + 1];
  ASSERT_EQ(nlmsg_parse(header, sizeof(rtmsg), tb, RTA_MAX, nullptr), 0);
  ASSERT_TRUE(tb[RTA_GATEWAY]);
  auto* gw = static_cast<unsigned char*>(nla_data(tb[RTA_GATEWAY]));
  EXPECT_EQ(gw[0], 192);
  EXPECT_EQ(gw[3], 1);
  ASSERT_TRUE(tb[RTA_OIF]);
  EXPECT_EQ(nla_get_u32(tb[RTA_OIF]), 4u);
}

}  // namespace
}  // namespace contain::kernel
