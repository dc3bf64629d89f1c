// The `bridge` primitives: Linux bridges and veth links from them into namespaces.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/ip.hpp"
#include "core/names.hpp"
#include "engine/bridge_link.hpp"

namespace contain::engine {

// A bridge, up, with an optional address. Recorded as ours (alias contain:bridge/BR).
Status create_bridge(const IfName& name, const std::optional<Cidr>& address);

// Deletes a bridge. One contain did not create (or that belongs to a managed
// network), or one with ports, is refused unless `force`, which deletes the
// ports contain made (each veth with its namespace end) and forgets them in
// the namespaces' records; ports of others are left, unenslaved.
Status delete_bridge(const IfName& name, bool force);

struct BridgeMember {
  std::string host;    // the host end, enslaved to the bridge
  std::string netns;   // namespace name, or the owner ("container/web"); "" if unknown
  std::string ifname;  // the interface inside it; "" if unknown
};
struct BridgeInfo {
  std::string name;
  bool managed = false;  // created by contain
  std::string network;   // the managed network it carries, if any
  std::vector<Cidr> addresses;
  std::vector<BridgeMember> members;
};
Result<std::vector<BridgeInfo>> list_bridges();

struct BridgeAttachSpec {
  IfName bridge;
  NetnsRef netns;
  Cidr address;                      // of the interface inside
  std::optional<IfName> ifname;      // default: eth0, else the next free ethN
  std::optional<IpAddress> gateway;  // default route inside
  std::optional<IfName> host;        // the host end; default: generated (vc + 12 hex digits)
};
struct BridgeAttachment {
  std::string bridge;
  std::string host;
  int host_ifindex = 0;
  std::string ifname;
  std::optional<Cidr> address;
};
// A veth whose namespace end is born inside the namespace, host end enslaved
// to the bridge and up, the address set, and a default route via the gateway.
// Refused before anything changes: an address already used on the bridge (by
// the bridge itself or another port contain made), a host name in use, a
// gateway outside the address's subnet or where a default route exists.
Result<BridgeAttachment> attach_to_bridge(const BridgeAttachSpec& spec);

// The batch path: creates the namespaces and attaches each to `bridge`, with one
// netlink socket per namespace and every request pipelined (see create_bridge_links).
// All or nothing. `net delete` (delete_netns) tears them down.
struct BridgedNetns {
  NetnsName name;
  std::optional<Cidr> address;
  std::optional<IpAddress> gateway;
};
Result<std::vector<BridgeAttachment>> create_bridged_netns(
    const IfName& bridge, const std::vector<BridgedNetns>& namespaces);

}  // namespace contain::engine
