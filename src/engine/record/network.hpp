// The record of a managed network (engine/network.hpp), network/NAME:
//   {"name", "subnet", "gateway", "range_start"?, "range_end"?, "mtu"?, "bridge",
//    "nat": bool, "isolated": true, "more_subnets"?: [SUBNET...],
//    "attachments": [ATTACHMENT...], "releasing"?: [RELEASING...], "phase"?}
// SUBNET (dual stack, one per further address family):
//   {"subnet", "gateway", "range_start"?, "range_end"?}
// ATTACHMENT: {"owner", "netns" (name or null), "netns_id"? (DEV:INO of a
//   namespace given as pid:, a path or container:), "ref"? (what the user called
//   it), "ifname", "host", "address", "more_addresses"?: [one per further
//   subnet], "phase"?}
// RELEASING, an address whose owner is gone while the kernel still destroys
//   its veth: {"address", "host", "ifindex" (0: known by name only),
//   "more_addresses"?}
// Addresses, subnets and ranges are parsed here, once: a record whose address
// does not parse is corrupt, as one whose field has the wrong type.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/ip.hpp"
#include "engine/record/fields.hpp"

namespace contain::engine {

// A subnet's fields: of the record itself (its first subnet) or of an entry of
// its "more_subnets".
struct NetworkSubnetRecord {
  Cidr subnet;
  IpAddress gateway;
  // Where addresses are chosen (both or neither); the whole subnet when absent.
  std::optional<IpAddress> range_start;
  std::optional<IpAddress> range_end;

  record::Unknown unknown = {};  // a newer version's fields (record/fields.hpp)

  static Result<NetworkSubnetRecord> from_json(const nlohmann::json& j, std::string_view where);
  nlohmann::json to_json() const;
};

struct NetworkAttachmentRecord {
  std::string owner;                    // "netns/NAME", "nsid/DEV:INO", "container/NAME"
  std::optional<std::string> netns;     // the namespace's name; null for one known by identity
  std::optional<std::string> netns_id;  // DEV:INO of a namespace known by identity
  std::optional<std::string> ref;       // what the user called it (pid:PID, a path, ...)
  std::string ifname;                   // inside the namespace
  std::string host;                     // the host end, a port of the network's bridge
  IpAddress address;
  std::vector<IpAddress> more_addresses;  // one per further subnet, in order
  record::Phase phase = record::Phase::whole;

  record::Unknown unknown = {};  // a newer version's fields (record/fields.hpp)

  static Result<NetworkAttachmentRecord> from_json(const nlohmann::json& j, std::string_view where);
  nlohmann::json to_json() const;
};

struct ReleasingRecord {
  IpAddress address;
  std::string host;  // the host end of the veth being destroyed
  int ifindex = 0;   // 0: known by its name alone
  std::vector<IpAddress> more_addresses;

  record::Unknown unknown = {};  // a newer version's fields (record/fields.hpp)

  static Result<ReleasingRecord> from_json(const nlohmann::json& j, std::string_view where);
  nlohmann::json to_json() const;
};

struct NetworkRecord {
  static constexpr std::string_view kKind = "network";
  std::string name;
  NetworkSubnetRecord first;  // "subnet", "gateway", "range_start"?, "range_end"? at the top
  unsigned mtu = 0;           // 0: the kernel's default (not written)
  std::string bridge;
  bool nat = true;
  bool isolated = true;
  std::vector<NetworkSubnetRecord> more_subnets;
  std::vector<NetworkAttachmentRecord> attachments;
  std::vector<ReleasingRecord> releasing;
  record::Phase phase = record::Phase::whole;

  record::Unknown unknown = {};  // a newer version's fields (record/fields.hpp)

  static Result<NetworkRecord> from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;

  NetworkAttachmentRecord* attachment_of(std::string_view owner);
  const NetworkAttachmentRecord* attachment_of(std::string_view owner) const;
};

static_assert(record::Part<NetworkSubnetRecord>);
static_assert(record::Part<NetworkAttachmentRecord>);
static_assert(record::Part<ReleasingRecord>);
static_assert(record::Record<NetworkRecord>);

}  // namespace contain::engine
