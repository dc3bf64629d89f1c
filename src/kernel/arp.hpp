// Gratuitous ARP: announces that an IPv4 address now belongs to an interface's
// MAC, so neighbours on the segment (the bridge, other containers) update an
// entry they still hold for the address's previous owner. An address handed
// out again within the neighbour cache's lifetime is otherwise unreachable for
// up to half a minute.
#pragma once

#include "core/error.hpp"
#include "core/ip.hpp"
#include "kernel/netlink.hpp"

namespace contain::kernel {

// Broadcasts one ARP reply "ip is at <mac of ifindex>" from interface `ifindex`
// of the namespace behind `netns_fd`. Does nothing for an IPv6 address.
Status announce_address(int netns_fd, int ifindex, const IpAddress& ip);

// Forgets the neighbour entry for `ip` on link `ifindex` of the socket's
// namespace, if there is one. A gratuitous ARP does not override an entry
// updated within the last second (the kernel's locktime), so the host's own
// entry for a reused address is removed instead.
Status forget_neighbour(const NetlinkSocket& sock, int ifindex, const IpAddress& ip);

}  // namespace contain::kernel
