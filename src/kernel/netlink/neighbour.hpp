// Gratuitous ARP: announces that an IPv4 address now belongs to an interface's
// MAC, so neighbours on the segment (the bridge, other containers) update an
// entry they still hold for the address's previous owner. An address handed
// out again within the neighbour cache's lifetime is otherwise unreachable for
// up to half a minute.
#pragma once

#include "core/error.hpp"
#include "core/ip.hpp"
#include "kernel/netlink/libnl.hpp"
#include "kernel/netlink/socket.hpp"

namespace contain::kernel {

// Broadcasts one ARP reply "ip is at <mac of ifindex>" from interface `ifindex`
// of the namespace behind `netns_fd`. Does nothing for an IPv6 address.
Status announce_address(int netns_fd, int ifindex, const IpAddress& ip);

// Forgets the neighbour entry for `ip` on link `ifindex` of the socket's
// namespace, if there is one. A gratuitous ARP does not override an entry
// updated within the last second (the kernel's locktime), so the host's own
// entry for a reused address is removed instead.
Status forget_neighbour(const NetlinkSocket& sock, int ifindex, const IpAddress& ip);

// The neighbour entry "ip is at mac" on link `ifindex` (of the socket's
// namespace), made or replaced in state STALE: the kernel sends to it at once
// and confirms it with its own probe later, as for an entry it learnt from a
// packet. Told of a new container's IPv6 addresses, the host never has to
// resolve them while a packet waits: with br_netfilter loaded (Docker and
// Kubernetes load it), a port forward from one container to another on the
// same bridge lost its first IPv6 packet during that resolution, so the
// first connection took a second or failed.
Result<NlMsgPtr> build_learn_neighbour_request(int ifindex, const IpAddress& ip,
                                               std::string_view mac);
Status learn_neighbour(const NetlinkSocket& sock, int ifindex, const IpAddress& ip,
                       std::string_view mac);

}  // namespace contain::kernel
