// Managed networks: a bridge "cn-NAME" carrying the gateway address, an address
// pool (IPAM, model/ipam.hpp) and the intent for NAT and isolation. Records live
// in /run/contain/network/NAME (engine/record/network.hpp, NetworkRecord):
//   {"name", "subnet", "gateway", "range_start"?, "range_end"?, "bridge",
//    "nat": bool, "isolated": true, "more_subnets"?: [{"subnet", "gateway",
//    "range_start"?, "range_end"?}],
//    "attachments": [{"owner", "netns" (name or null), "netns_id"? (DEV:INO of a
//    namespace given as pid:, a path or container:), "ref"? (what the user called
//    it), "ifname", "host", "address", "more_addresses"?: [...]}]}
// A dual-stack network has its first subnet where a network of one subnet has
// it (so records from before dual stack read as they are) and the others, one
// per address family, in "more_subnets"; an attachment has one address per
// subnet, "more_addresses" in the order of "more_subnets".
// Every function takes the state lock, so concurrent commands see consistent
// records and never hand out one address twice.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/ip.hpp"
#include "core/names.hpp"
#include "engine/bridge_link.hpp"
#include "engine/record/network.hpp"
#include "engine/state.hpp"
#include "model/ipam.hpp"
#include "model/network.hpp"

namespace contain::engine {

// What a network is made of, built from options in model/network.
using model::NetworkSpec;
using model::SubnetSpec;

// An attachment's address in one of the network's further subnets.
struct AttachedAddress {
  IpAddress ip;
  int prefix = 0;
  IpAddress gateway;
  bool default_route = false;  // made by this call
};

struct Attachment {
  std::string network;
  std::string owner;     // "netns/NAME" or what a NetnsRef::from_fd was given
  std::string netns;     // the namespace name, "" for an fd reference
  std::string ref;       // pid:PID, a path or container:NAME as given, else ""
  std::string netns_id;  // DEV:INO of a namespace given by ref, else ""
  std::string ifname;    // inside the namespace
  std::string host;      // the host end on the bridge
  std::string bridge;    // the network's bridge
  IpAddress ip;
  int prefix = 0;
  IpAddress gateway;
  int host_ifindex = 0;               // of a link made by this call (0 when read from the records)
  bool default_route = false;         // made by this call: the namespace's default route is ours
  std::vector<AttachedAddress> more;  // one per further subnet of the network, in order
};

struct NetworkSubnet {
  Cidr subnet;
  IpAddress gateway;
  std::optional<model::AddressRange> ip_range;
};

struct NetworkInfo {
  std::string name;
  std::string bridge;
  Cidr subnet;
  IpAddress gateway;
  std::optional<model::AddressRange> ip_range;
  unsigned mtu = 0;
  bool nat = true;
  bool isolated = true;
  std::vector<NetworkSubnet> more_subnets;  // dual stack: beyond subnet, one per family
  std::vector<Attachment> attachments;
};

// Creates the bridge with the gateway address and the record. Refuses a subnet
// that overlaps another managed network or an address on the host, naming it.
// (Hook for NAT/isolation: program it at the end of create_network, remove it
// at the start of delete_network.)
Result<NetworkInfo> create_network(const NetworkSpec& spec);

// Refused while anything is attached unless `force`, which detaches everything
// first. Removes the bridge and the record.
Status delete_network(const NetworkName& name, bool force);
// The steps of a delete after its record is marked "deleting" (the caller
// holds the lock): firewall entries, forwards into the subnet, attachments,
// bridge, record. Each step tolerates what is already gone, so that gc can
// finish a delete that was killed half way.
Status finish_network_delete(const StateStore& store, const kernel::NetlinkSocket& host,
                             const std::string& name, NetworkRecord record);

Result<std::vector<NetworkInfo>> list_networks();
Result<NetworkInfo> inspect_network(const NetworkName& name);
// A network's record as the API shows it, and its address pool.
NetworkInfo network_info(const NetworkRecord& record);
Result<model::AddressPool> pool_of(const NetworkInfo& info);
// The pool of a further subnet (more_subnets[index]).
Result<model::AddressPool> pool_of(const NetworkInfo& info, std::size_t index);

// Attaches a namespace (by name, or an open fd for a container) with `ip` or the
// next free address of the pool, an interface named `ifname` (default eth0, else
// the next free ethN) and a default route via the gateway if the namespace has
// none of that family yet: a namespace on several networks keeps the default
// route of the first and reaches the others' subnets by their subnet routes.
// `replace_default_route` makes this network's gateway the default route
// anyway. A namespace is attached to a network at most once.
Result<Attachment> attach_to_network(const NetworkName& network, const NetnsRef& netns,
                                     std::optional<IpAddress> ip, std::optional<IfName> ifname,
                                     bool replace_default_route = false);

// The batch form: attaches many namespaces at once with one netlink socket per
// namespace and pipelined requests (see create_bridge_links), one record update and
// one lock. All or nothing. Addresses are decided, and static ones checked,
// before anything changes.
struct AttachRequest {
  NetnsRef netns;
  std::optional<IpAddress> ip;
  std::optional<IfName> ifname;
  bool replace_default_route = false;
  // Static addresses in the network's further subnets (each goes to the
  // subnet that holds it); the others get the next free one.
  std::vector<IpAddress> more_ips = {};
};
Result<std::vector<Attachment>> attach_many_to_network(const NetworkName& network,
                                                       const std::vector<AttachRequest>& requests);

// Removes the interface (deleting the host end takes the namespace end along)
// and releases the address. A namespace that is already gone is just released.
Status detach_from_network(const NetworkName& network, const NetnsRef& netns);

// Releases, in the records of the networks, every attachment whose owner is
// one of `owners` (used when namespaces are deleted; the caller holds the lock).
Status release_attachments(const StateStore& store, const std::vector<std::string>& owners);

// For an owner that is gone while the kernel still destroys its veth (host end
// `ifindex`) with its namespace: moves its attachments to the network's
// "releasing" list. The address is handed out again once that link is gone
// (an attach that needs it waits, bounded); `network delete` waits for them all.
// Attachments of the owner to other networks (`network attach NET container:NAME`)
// are held the same way, their links known by name.
Status defer_release(const StateStore& store, const std::string& owner, int ifindex,
                     std::string_view network);

// For gc: settles every "releasing" entry of a network record (the caller
// holds the lock and writes the record back): waits (bounded, 2 s) for their
// veths to go with their namespaces and deletes any still there after that
// (something holds the namespace). Returns the entries whose veth it deleted.
Result<std::vector<ReleasingRecord>> settle_all_releasing(const kernel::NetlinkSocket& host,
                                                          NetworkRecord& record);

}  // namespace contain::engine
