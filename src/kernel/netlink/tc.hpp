// Traffic control over rtnetlink (libnl-route-3): token-bucket shaping, netem
// emulation, and redirecting a device's ingress to an ifb device.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/names.hpp"
#include "kernel/netlink/libnl.hpp"
#include "kernel/netlink/socket.hpp"

namespace contain::kernel {

struct TbfParams {
  std::uint64_t rate_bytes = 0;   // bytes per second
  std::uint32_t burst_bytes = 0;  // the bucket
  std::uint32_t limit_bytes = 0;  // queue: packets beyond it are dropped
};

struct NetemParams {
  std::uint32_t delay_us = 0;
  std::uint32_t jitter_us = 0;
  double loss_percent = 0;
};

// tbf as the root qdisc (handle 1:), replacing whatever root qdisc was there.
Status set_root_tbf(const NetlinkSocket& sock, int ifindex, const TbfParams& params);
Result<NlMsgPtr> build_tbf_request(int ifindex, const TbfParams& params);

// netem as the child of the root tbf (parent 1:1, handle 10:). Fails with
// ENOENT on a kernel built without sch_netem.
Status add_netem_under_tbf(const NetlinkSocket& sock, int ifindex, const NetemParams& params);
Result<NlMsgPtr> build_netem_request(int ifindex, const NetemParams& params);

// Back to the kernel's default root qdisc. ENOENT if there was nothing to remove.
Status delete_root_qdisc(const NetlinkSocket& sock, int ifindex);

// An ingress qdisc on `ifindex` (EEXIST if it has one), then one u32
// match-all filter under it whose mirred action redirects every packet to the
// egress of `target_ifindex` (an ifb). Two steps, so that the caller can
// register the qdisc's removal before the filter is tried.
Status add_ingress_qdisc(const NetlinkSocket& sock, int ifindex);
Status redirect_ingress(const NetlinkSocket& sock, int ifindex, int target_ifindex);
Status delete_ingress_qdisc(const NetlinkSocket& sock, int ifindex);

// An ifb device, up.
Status create_ifb(const NetlinkSocket& sock, const IfName& name);

struct QdiscInfo {
  int ifindex = 0;
  std::string kind;
  std::uint32_t handle = 0;
  std::uint32_t parent = 0;
  std::uint64_t rate_bytes = 0;  // a tbf's rate, bytes per second (0 for other kinds)
};
Result<std::vector<QdiscInfo>> list_qdiscs(const NetlinkSocket& sock, int ifindex);

}  // namespace contain::kernel
