// Network links over rtnetlink: veth pairs, state, aliases, listing.
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/names.hpp"
#include "kernel/child.hpp"
#include "kernel/netlink/libnl.hpp"
#include "kernel/netlink/socket.hpp"

namespace contain::kernel {

struct LinkInfo {
  int ifindex = 0;
  std::string name;
  std::string kind;       // "veth", "bridge", ... empty for physical/loopback
  unsigned flags = 0;     // IFF_*
  std::string operstate;  // "up", "down", "unknown", ...
  std::string alias;
  int master = 0;        // ifindex of the bridge it is enslaved to, 0 if none
  int peer_ifindex = 0;  // IFLA_LINK: a veth's peer
  std::string mac;
  unsigned mtu = 0;
};

Result<std::vector<LinkInfo>> list_links(const NetlinkSocket& sock);
// ENOENT if there is no such link.
Result<LinkInfo> get_link(const NetlinkSocket& sock, std::string_view name);
// The same by ifindex; ENODEV if there is no such link.
Result<LinkInfo> get_link(const NetlinkSocket& sock, int ifindex);

// A veth pair whose peer is born inside another namespace in the same request:
// moving a link between namespaces afterwards costs an RCU barrier (~20 ms).
struct VethRequest {
  IfName name;  // the end that stays in the socket's namespace
  IfName peer;  // the end created in peer_netns_fd
  int peer_netns_fd = -1;
  bool up = true;  // bring this end up in the same request
  // Enslave this end to the bridge with this ifindex in the same request (0: none).
  // The kernel accepts IFLA_MASTER in a creating RTM_NEWLINK; it does not
  // accept IFLA_IFALIAS there, so the alias is a separate request.
  int master = 0;
  unsigned mtu = 0;           // both ends (0: the kernel's default)
  std::string peer_mac = {};  // "02:..." (empty: the kernel's random one)
};
Status create_veth(const NetlinkSocket& sock, const VethRequest& request);
// The RTM_NEWLINK message create_veth sends (exposed for round-trip tests).
Result<NlMsgPtr> build_veth_request(const VethRequest& request);

// A random, locally administered unicast MAC ("0a:1b:..."), as the kernel gives
// a new link: known before the link exists, so neighbours can be told of it.
std::string random_mac();

// A Linux bridge, created up (no STP, default forward delay).
Status create_bridge(const NetlinkSocket& sock, const IfName& name);

// A change to an existing link, found by ifindex or, when ifindex is 0, by name.
// Only what is set is changed.
struct LinkChange {
  int ifindex = 0;
  std::string name;
  bool up = false;
  std::optional<std::string> alias;
  int master = 0;    // enslave to the bridge with this ifindex (0: unchanged)
  unsigned mtu = 0;  // 0: unchanged
};
// The RTM_SETLINK message for it (for pipelined batches and round-trip tests).
Result<NlMsgPtr> build_link_change_request(const LinkChange& change);

Status set_link_alias(const NetlinkSocket& sock, int ifindex, std::string_view alias);
Status set_link_up(const NetlinkSocket& sock, int ifindex);
Status set_link_mtu(const NetlinkSocket& sock, int ifindex, unsigned mtu);
// Sets the link's MAC address ("02:42:ac:11:00:02"); a veth accepts it while up.
Status set_link_mac(const NetlinkSocket& sock, int ifindex, std::string_view mac);
Status delete_link(const NetlinkSocket& sock, int ifindex);
// Deletes several links in one unregistration: each is put in a link group of
// a random number (IFLA_GROUP), then the group is deleted with one
// RTM_DELLINK. Every unregistration waits for RCU grace periods and an
// rcu_barrier (tens of ms under load), once per request, whatever the number
// of links in it: a veth and its bridge cost one wait instead of two. Links
// already gone are skipped (ENODEV); nothing at all left is success.
Status delete_links(const NetlinkSocket& sock, const std::vector<int>& ifindexes);
// The RTM_SETLINK putting a link in a group, and the RTM_DELLINK of a group
// (exposed for round-trip tests).
Result<NlMsgPtr> build_link_group_request(int ifindex, std::uint32_t group);
Result<NlMsgPtr> build_delete_group_request(std::uint32_t group);

// Brings loopback up in the caller's network namespace with one raw RTM_NEWLINK
// (no libnl: it runs in a cloned child before exec, where nothing may allocate).
bool bring_loopback_up(ChildError& e);

// Waits until none of `pending` (ifindexes on the host) exists any more,
// reading RTM_DELLINK notifications on `sock`, which must have been subscribed
// to RTNLGRP_LINK before the links could go. Returns those still present after
// `timeout`.
std::set<int> wait_for_links_gone(const kernel::NetlinkSocket& sock, std::set<int> pending,
                                  std::chrono::milliseconds timeout);

}  // namespace contain::kernel
