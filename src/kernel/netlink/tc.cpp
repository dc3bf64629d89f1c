#include "kernel/netlink/tc.hpp"

#include <fmt/format.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/tc_act/tc_mirred.h>
#include <net/if.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/action.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/qdisc/tbf.h>

#include <limits>

#include "core/units.hpp"

namespace contain::kernel {

namespace {

struct QdiscPut {
  void operator()(rtnl_qdisc* p) const { rtnl_qdisc_put(p); }
};
struct ClsPut {
  void operator()(rtnl_cls* p) const { rtnl_cls_put(p); }
};
using QdiscPtr = std::unique_ptr<rtnl_qdisc, QdiscPut>;
using ClsPtr = std::unique_ptr<rtnl_cls, ClsPut>;

constexpr std::uint32_t kTbfHandle = TC_HANDLE(1, 0);
constexpr std::uint32_t kTbfClass = TC_HANDLE(1, 1);
constexpr std::uint32_t kNetemHandle = TC_HANDLE(10, 0);
constexpr std::uint32_t kIngressHandle = TC_HANDLE(0xffff, 0);

Result<QdiscPtr> make_qdisc(int ifindex, std::uint32_t parent, std::uint32_t handle,
                            const char* kind) {
  QdiscPtr q(rtnl_qdisc_alloc());
  if (!q) return fail(Error::system("allocate a qdisc", ENOMEM));
  rtnl_tc_set_ifindex(TC_CAST(q.get()), ifindex);
  rtnl_tc_set_parent(TC_CAST(q.get()), parent);
  if (handle) rtnl_tc_set_handle(TC_CAST(q.get()), handle);
  if (int rc = rtnl_tc_set_kind(TC_CAST(q.get()), kind); rc < 0)
    return fail(Error::failed(fmt::format("qdisc kind {}: {}", kind, nl_geterror(rc))));
  return q;
}

Result<NlMsgPtr> build_add(rtnl_qdisc* q, int flags, std::string_view what) {
  nl_msg* msg = nullptr;
  if (int rc = rtnl_qdisc_build_add_request(q, flags, &msg); rc < 0)
    return fail(Error::failed(fmt::format("build {} request: {}", what, nl_geterror(rc))));
  return NlMsgPtr(msg);
}

Status send(const NetlinkSocket& sock, NlMsgPtr msg, std::string_view what) {
  return sock.check(nl_send_sync(sock.get(), msg.release()), what);  // frees the message
}

}  // namespace

Result<NlMsgPtr> build_tbf_request(int ifindex, const TbfParams& params) {
  if (params.rate_bytes == 0 || params.rate_bytes > std::numeric_limits<int>::max())
    return fail(Error::usage(fmt::format("tbf rate {} B/s is out of range", params.rate_bytes)));
  auto q = TRY(make_qdisc(ifindex, TC_H_ROOT, kTbfHandle, "tbf"));
  rtnl_qdisc_tbf_set_limit(q.get(), static_cast<int>(params.limit_bytes));
  rtnl_qdisc_tbf_set_rate(q.get(), static_cast<int>(params.rate_bytes),
                          static_cast<int>(params.burst_bytes), 0);
  return build_add(q.get(), NLM_F_CREATE | NLM_F_REPLACE, "tbf");
}

Status set_root_tbf(const NetlinkSocket& sock, int ifindex, const TbfParams& params) {
  auto msg = TRY(build_tbf_request(ifindex, params));
  return send(sock, std::move(msg), fmt::format("set tbf on link {}", ifindex));
}

Result<NlMsgPtr> build_netem_request(int ifindex, const NetemParams& params) {
  auto q = TRY(make_qdisc(ifindex, kTbfClass, kNetemHandle, "netem"));
  if (params.delay_us) rtnl_netem_set_delay(q.get(), static_cast<int>(params.delay_us));
  if (params.jitter_us) rtnl_netem_set_jitter(q.get(), static_cast<int>(params.jitter_us));
  if (params.loss_percent > 0) {
    // netem's loss is a probability scaled to 0..UINT32_MAX, as tc computes it.
    auto prob = static_cast<std::uint32_t>(std::min(
        round_to_integer(params.loss_percent / 100.0 * 4294967295.0), std::uint64_t{0xffffffff}));
    rtnl_netem_set_loss(q.get(), static_cast<int>(prob));
  }
  return build_add(q.get(), NLM_F_CREATE | NLM_F_EXCL, "netem");
}

Status add_netem_under_tbf(const NetlinkSocket& sock, int ifindex, const NetemParams& params) {
  auto msg = TRY(build_netem_request(ifindex, params));
  return send(sock, std::move(msg), fmt::format("add netem on link {}", ifindex));
}

Status delete_root_qdisc(const NetlinkSocket& sock, int ifindex) {
  auto q = TRY(make_qdisc(ifindex, TC_H_ROOT, 0, "tbf"));
  return sock.check(rtnl_qdisc_delete(sock.get(), q.get()),
                    fmt::format("remove the root qdisc of link {}", ifindex));
}

Status add_ingress_qdisc(const NetlinkSocket& sock, int ifindex) {
  auto q = TRY(make_qdisc(ifindex, TC_H_INGRESS, kIngressHandle, "ingress"));
  return sock.check(rtnl_qdisc_add(sock.get(), q.get(), NLM_F_CREATE | NLM_F_EXCL),
                    fmt::format("add an ingress qdisc to link {}", ifindex));
}

Status redirect_ingress(const NetlinkSocket& sock, int ifindex, int target_ifindex) {
  ClsPtr cls(rtnl_cls_alloc());
  rtnl_act* act = rtnl_act_alloc();
  if (!cls || !act) {
    if (act) rtnl_act_put(act);
    return fail(Error::system("allocate a filter", ENOMEM));
  }
  rtnl_tc_set_ifindex(TC_CAST(cls.get()), ifindex);
  rtnl_tc_set_parent(TC_CAST(cls.get()), kIngressHandle);
  rtnl_tc_set_kind(TC_CAST(cls.get()), "u32");
  rtnl_cls_set_prio(cls.get(), 1);
  rtnl_cls_set_protocol(cls.get(), ETH_P_ALL);
  rtnl_u32_add_key_uint32(cls.get(), 0, 0, 0, 0);  // matches every packet
  rtnl_u32_set_cls_terminal(cls.get());            // ... and runs the action on it
  rtnl_tc_set_kind(TC_CAST(act), "mirred");
  rtnl_mirred_set_action(act, TCA_EGRESS_REDIR);
  rtnl_mirred_set_policy(act, TC_ACT_STOLEN);
  rtnl_mirred_set_ifindex(act, static_cast<std::uint32_t>(target_ifindex));
  int rc = rtnl_u32_add_action(cls.get(), act);
  rtnl_act_put(act);  // the filter holds its own reference
  if (rc < 0) return fail(Error::failed(fmt::format("add mirred action: {}", nl_geterror(rc))));
  return sock.check(rtnl_cls_add(sock.get(), cls.get(), NLM_F_CREATE | NLM_F_EXCL),
                    fmt::format("redirect ingress of link {} to link {}", ifindex, target_ifindex));
}

Status delete_ingress_qdisc(const NetlinkSocket& sock, int ifindex) {
  auto q = TRY(make_qdisc(ifindex, TC_H_INGRESS, kIngressHandle, "ingress"));
  return sock.check(rtnl_qdisc_delete(sock.get(), q.get()),
                    fmt::format("remove the ingress qdisc of link {}", ifindex));
}

Status create_ifb(const NetlinkSocket& sock, const IfName& name) {
  LinkPtr link(rtnl_link_alloc());
  if (!link) return fail(Error::system("allocate a link", ENOMEM));
  rtnl_link_set_name(link.get(), name.c_str());
  rtnl_link_set_type(link.get(), "ifb");
  rtnl_link_set_flags(link.get(), IFF_UP);
  return sock.check(rtnl_link_add(sock.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL),
                    fmt::format("create ifb device {}", name.str()));
}

Result<std::vector<QdiscInfo>> list_qdiscs(const NetlinkSocket& sock, int ifindex) {
  nl_cache* raw = nullptr;
  TRY(sock.check(rtnl_qdisc_alloc_cache(sock.get(), &raw), "list qdiscs"));
  CachePtr cache(raw);
  std::vector<QdiscInfo> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* q = reinterpret_cast<rtnl_qdisc*>(o);
    if (rtnl_tc_get_ifindex(TC_CAST(q)) != ifindex) continue;
    QdiscInfo info;
    info.ifindex = ifindex;
    if (const char* kind = rtnl_tc_get_kind(TC_CAST(q))) info.kind = kind;
    info.handle = rtnl_tc_get_handle(TC_CAST(q));
    info.parent = rtnl_tc_get_parent(TC_CAST(q));
    if (info.kind == "tbf")
      if (int rate = rtnl_qdisc_tbf_get_rate(q); rate > 0) info.rate_bytes = rate;
    out.push_back(info);
  }
  return out;
}

}  // namespace contain::kernel
