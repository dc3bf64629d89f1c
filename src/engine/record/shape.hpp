// The record of a shaping (engine/shape), shape/<KEY> where KEY is
// "dev:IFNAME", "netns:NAME:IFNAME" or "nsid:DEV:INO:IFNAME":
// {"target": {"dev"} | {"netns", "ifname"} | {"netns_id", "ref", "ifname"},
//  "direction", "rate", "burst", "latency", "rate_bps", "burst_bytes",
//  "limit_bytes", "delay"?, "jitter"?, "loss"?, "ingress_rate"?,
//  "ingress_rate_bps"?, "ingress_burst"?, "ingress_burst_bytes"?,
//  "devices": [{"netns": NAME or null (the host), "ifname", "qdisc": "root" |
//  "ingress", "direction"?}], "ifb"?, "phase"?}.
// Rates, sizes and times keep the text the user gave (core/units.hpp).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/units.hpp"
#include "engine/record/fields.hpp"

namespace contain::engine {

// egress: what leaves the namespace or device; ingress: what enters it.
enum class Direction { egress, ingress, both };
const char* direction_name(Direction d);

// What is shaped, as the record names it: a host device, a named namespace's
// managed interface, or one of a namespace known by identity.
struct ShapeTargetRecord {
  std::optional<std::string> dev = {};
  std::optional<std::string> netns = {};
  std::optional<std::string> netns_id = {};  // DEV:INO
  std::optional<std::string> ref = {};       // with netns_id: what the user called it
  std::optional<std::string> ifname = {};    // the interface's namespace end

  record::Unknown unknown = {};  // a newer version's fields (record/fields.hpp)

  static Result<ShapeTargetRecord> from_json(const nlohmann::json& j, std::string_view where);
  nlohmann::json to_json() const;
};

// A device that got a qdisc of the shaping: its root qdisc (a tbf), or its
// ingress qdisc (a host device's ingress, redirected to an ifb device).
enum class Qdisc { root, ingress };
struct ShapeDeviceRecord {
  std::optional<std::string> netns = {};  // none: on the host
  std::string ifname = {};
  Qdisc qdisc = Qdisc::root;
  // The direction it limits; absent in a "creating" record, which lists the
  // devices the shaping was to touch.
  std::optional<Direction> direction = {};

  record::Unknown unknown = {};  // a newer version's fields (record/fields.hpp)

  static Result<ShapeDeviceRecord> from_json(const nlohmann::json& j, std::string_view where);
  nlohmann::json to_json() const;
};

struct ShapeRecord {
  static constexpr std::string_view kKind = "shape";
  ShapeTargetRecord target = {};
  Direction direction = Direction::egress;
  Rate rate = {};
  std::optional<Size> burst = {};
  std::optional<Duration> latency = {};
  std::uint64_t rate_bps = 0;
  std::uint64_t burst_bytes = 0;
  std::uint64_t limit_bytes = 0;
  std::optional<Duration> delay = {};
  std::optional<Duration> jitter = {};
  std::optional<Percent> loss = {};
  // With Direction::both: the ingress direction's own rate and burst.
  std::optional<Rate> ingress_rate = {};
  std::optional<std::uint64_t> ingress_rate_bps = {};
  std::optional<Size> ingress_burst = {};
  std::optional<std::uint64_t> ingress_burst_bytes = {};
  std::vector<ShapeDeviceRecord> devices = {};
  std::optional<std::string> ifb = {};  // the ifb device a host device's ingress goes through
  record::Phase phase = record::Phase::whole;

  record::Unknown unknown = {};  // a newer version's fields (record/fields.hpp)

  static Result<ShapeRecord> from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;
};

}  // namespace contain::engine
