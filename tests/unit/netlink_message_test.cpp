// Round trips of the netlink messages we build: parse them back as the kernel
// would and check the attributes it acts on. No socket, no root.
#include <gtest/gtest.h>
#include <linux/if_link.h>
#include <linux/veth.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "kernel/link.hpp"

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
