// Interface addresses over rtnetlink.
#pragma once

#include <vector>

#include "core/error.hpp"
#include "core/ip.hpp"
#include "kernel/netlink/libnl.hpp"
#include "kernel/netlink/socket.hpp"

namespace contain::kernel {

struct AddressInfo {
  int ifindex = 0;
  Cidr cidr;
  int scope = 0;  // RT_SCOPE_*
};

Result<std::vector<AddressInfo>> list_addresses(const NetlinkSocket& sock);
// The addresses of one link. The kernel is asked to filter the dump itself
// (strict checking, Linux 4.20): in a namespace with thousands of links, each
// with its IPv6 link-local address, the answer is a few messages instead of
// thousands. Filtered here as well, for a kernel that ignores the filter.
Result<std::vector<AddressInfo>> list_addresses_of(const NetlinkSocket& sock, int ifindex);

// IPv6 addresses are added with IFA_F_NODAD: our links are point-to-point or
// bridges of our own making, and duplicate detection would keep the address
// unusable ("tentative") for about a second.
Status add_address(const NetlinkSocket& sock, int ifindex, const Cidr& cidr);
// The RTM_NEWADDR message add_address sends (for pipelined batches and tests).
Result<NlMsgPtr> build_add_address_request(int ifindex, const Cidr& cidr);
Status delete_address(const NetlinkSocket& sock, int ifindex, const Cidr& cidr);

}  // namespace contain::kernel
