// Round trips of the tc messages we build: tbf and netem (which this machine's
// kernel lacks, so this is the only place its message is checked).
#include <gtest/gtest.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/route/tc.h>

#include <cstring>

#include "kernel/netlink/tc.hpp"

namespace contain::kernel {
namespace {

struct Parsed {
  tcmsg tc;
  nlattr* tb[TCA_MAX + 1];
};

Parsed parse(nl_msg* msg) {
  Parsed p{};
  nlmsghdr* h = nlmsg_hdr(msg);
  std::memcpy(&p.tc, nlmsg_data(h), sizeof p.tc);
  EXPECT_EQ(nlmsg_parse(h, sizeof(tcmsg), p.tb, TCA_MAX, nullptr), 0);
  return p;
}

TEST(TbfRequest, CarriesRateBurstAndLimit) {
  auto msg = build_tbf_request(7, {1'250'000, 5'000, 67'500});
  ASSERT_TRUE(msg);
  nlmsghdr* h = nlmsg_hdr(msg->get());
  EXPECT_EQ(h->nlmsg_type, RTM_NEWQDISC);
  EXPECT_TRUE(h->nlmsg_flags & NLM_F_CREATE);
  EXPECT_TRUE(h->nlmsg_flags & NLM_F_REPLACE);
  auto p = parse(msg->get());
  EXPECT_EQ(p.tc.tcm_ifindex, 7);
  EXPECT_EQ(p.tc.tcm_parent, TC_H_ROOT);
  EXPECT_EQ(p.tc.tcm_handle, TC_HANDLE(1, 0));
  ASSERT_TRUE(p.tb[TCA_KIND]);
  EXPECT_STREQ(nla_get_string(p.tb[TCA_KIND]), "tbf");
  nlattr* opts[TCA_TBF_MAX + 1];
  ASSERT_EQ(nla_parse_nested(opts, TCA_TBF_MAX, p.tb[TCA_OPTIONS], nullptr), 0);
  ASSERT_TRUE(opts[TCA_TBF_PARMS]);
  auto* q = static_cast<tc_tbf_qopt*>(nla_data(opts[TCA_TBF_PARMS]));
  EXPECT_EQ(q->rate.rate, 1'250'000u);
  EXPECT_EQ(q->limit, 67'500u);
  EXPECT_GT(q->buffer, 0u);  // the bucket, as transmission time in ticks
}

TEST(NetemRequest, CarriesDelayJitterLossUnderTheTbf) {
  auto msg = build_netem_request(7, {20'000, 5'000, 1.0});
  ASSERT_TRUE(msg);
  auto p = parse(msg->get());
  EXPECT_EQ(p.tc.tcm_parent, TC_HANDLE(1, 1));
  EXPECT_EQ(p.tc.tcm_handle, TC_HANDLE(10, 0));
  EXPECT_STREQ(nla_get_string(p.tb[TCA_KIND]), "netem");
  ASSERT_TRUE(p.tb[TCA_OPTIONS]);
  // netem's options start with a tc_netem_qopt (not nested attributes).
  ASSERT_GE(nla_len(p.tb[TCA_OPTIONS]), static_cast<int>(sizeof(tc_netem_qopt)));
  auto* q = static_cast<tc_netem_qopt*>(nla_data(p.tb[TCA_OPTIONS]));
  EXPECT_GT(q->latency, 0u);
  EXPECT_GT(q->jitter, 0u);
  EXPECT_GT(q->latency, q->jitter);  // 20 ms vs 5 ms, in the same tick unit
  // 1 % of UINT32_MAX.
  EXPECT_NEAR(static_cast<double>(q->loss), 0.01 * 4294967295.0, 2.0);
}

}  // namespace
}  // namespace contain::kernel
