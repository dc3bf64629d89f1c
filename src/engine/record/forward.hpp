// The record of a forwarded host port, forward/<PROTO>-<PORT>[-<ADDRESS>]
// (engine/firewall/forward): {"protocol": "tcp"|"udp", "host_port": N,
// "host_address": IP or null, "to": "NS:PORT" or "IP:PORT" as given, "owner",
// "targets": [{"address", "port", "subnet": CIDR or null (hairpin NAT),
// "localnet": IFNAME or null (route_localnet set on it)}], "phase"?}.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/ip.hpp"
#include "core/port.hpp"
#include "engine/record/fields.hpp"

namespace contain::engine {

// Where a forward sends connections: one per address family.
struct ForwardTargetRecord {
  IpAddress address = {};
  Port port = Port::from_number(1);
  // The subnet of the link the target is on: connections from inside it are
  // masqueraded so that replies come back through the host (hairpin NAT).
  std::optional<Cidr> subnet = {};
  // The host link on which route_localnet was set so that 127.0.0.1 reaches it.
  std::optional<std::string> localnet = {};

  Endpoint endpoint() const { return {address, port}; }
  record::Unknown unknown = {};  // a newer version's fields (record/fields.hpp)

  static Result<ForwardTargetRecord> from_json(const nlohmann::json& j, std::string_view where);
  nlohmann::json to_json() const;
};

struct ForwardRecord {
  static constexpr std::string_view kKind = "forward";
  Protocol protocol = Protocol::tcp;
  Port host_port = Port::from_number(1);
  std::optional<IpAddress> host_address = {};  // none: every local address
  std::string to = {};                         // as given: "NS:PORT" or "IP:PORT"
  std::string owner = {};  // "netns/NAME", "container/NAME" ...; "" for an address target
  std::vector<ForwardTargetRecord> targets = {};
  // "creating" until its elements are in the firewall table.
  record::Phase phase = record::Phase::whole;

  std::vector<Endpoint> endpoints() const;
  record::Unknown unknown = {};  // a newer version's fields (record/fields.hpp)

  static Result<ForwardRecord> from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;
};

}  // namespace contain::engine
