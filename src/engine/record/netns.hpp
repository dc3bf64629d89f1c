// The records of network namespaces (issue 12 item 1: records are types).
// A named namespace, netns/NAME:
//   {"name", "created", "links": [LINK...], "phase"?}
// A namespace without a name under /run/netns (pid:PID, a path, container:NAME),
// known by the device and inode of its namespace file, netns-id/DEV:INO:
//   {"id": "DEV:INO", "ref": what the user first called it, "owner":
//    "nsid/DEV:INO" or "container/NAME", "created": false, "links": [LINK...]}
// LINK, a veth whose host end contain made:
//   {"name" (host end), "ifindex" (0 until made), "peer", "kind": "veth",
//    "bridge"?, "network"?, "address"? (CIDR text, "" for none), "phase"?}
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "engine/record/fields.hpp"

namespace contain::engine {

struct NetnsLink {
  std::string name;  // the host end
  int ifindex = 0;   // of the host end; 0 while it is being made (or by name only)
  std::string peer;  // the end inside the namespace
  std::string kind = "veth";
  std::optional<std::string> bridge;   // the bridge the host end is a port of
  std::optional<std::string> network;  // the managed network, when attached to one
  std::optional<std::string> address;  // the namespace end's address (CIDR; "" for none)
  record::Phase phase = record::Phase::whole;

  record::Unknown unknown = {};  // a newer version's fields (record/fields.hpp)

  static Result<NetnsLink> from_json(const nlohmann::json& j, std::string_view where);
  nlohmann::json to_json() const;
};

// netns/NAME.
struct NetnsRecord {
  static constexpr std::string_view kKind = "netns";
  std::string name;
  bool created = false;  // contain made the namespace (and deletes it)
  std::vector<NetnsLink> links;
  record::Phase phase = record::Phase::whole;

  record::Unknown unknown = {};  // a newer version's fields (record/fields.hpp)

  static Result<NetnsRecord> from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;
};

// netns-id/DEV:INO.
struct NetnsIdRecord {
  static constexpr std::string_view kKind = "netns-id";
  std::string id;     // DEV:INO
  std::string ref;    // what the user called it (pid:PID, a path, container:NAME)
  std::string owner;  // "nsid/DEV:INO" or "container/NAME"
  bool created = false;
  std::vector<NetnsLink> links;
  record::Phase phase = record::Phase::whole;

  record::Unknown unknown = {};  // a newer version's fields (record/fields.hpp)

  static Result<NetnsIdRecord> from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;
};

static_assert(record::Part<NetnsLink>);
static_assert(record::Record<NetnsRecord>);
static_assert(record::Record<NetnsIdRecord>);

}  // namespace contain::engine
