// `shape`: bandwidth limits (tbf) in both directions, and delay/loss (netem).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/names.hpp"
#include "core/units.hpp"
#include "engine/bridge_link.hpp"
#include "engine/record/shape.hpp"
#include "engine/state.hpp"
#include "kernel/netlink/socket.hpp"

namespace contain::engine {

// What is shaped: a namespace's contain-managed interface, or a host device.
struct ShapeTarget {
  std::optional<NetnsRef> netns;  // a name, pid:, a path or container:
  std::optional<IfName> ifname;   // with netns: which managed interface
  std::optional<IfName> dev;      // a device on the host
};

struct ShapeSpec {
  ShapeTarget target;
  Rate rate;
  std::optional<Size> burst;
  std::optional<Duration> latency;
  Direction direction = Direction::egress;
  std::optional<Duration> delay;
  std::optional<Duration> jitter;
  std::optional<Percent> loss;
  // With Direction::both: the ingress direction's own rate and burst (the
  // CNI bandwidth capability's two directions); default `rate` and `burst`.
  std::optional<Rate> ingress_rate = {};
  std::optional<Size> ingress_burst = {};
};

// Egress (leaving the namespace or device) is a tbf on the namespace end of
// its veth, or on the device. Ingress (entering it) is a tbf on the host end of
// the namespace's veth, or, for a host device, on an ifb device its ingress is
// redirected to. Setting again replaces what was set before.
Status set_shaping(const ShapeSpec& spec);
// What `shape show` says: the record as the user gave it, plus what the
// kernel has on each device (anyone may have replaced a qdisc since).
struct ShapedDevice {
  ShapeDeviceRecord device = {};
  std::vector<std::string> kernel_qdiscs = {};        // kinds, root first
  std::optional<std::uint64_t> kernel_rate_bps = {};  // of the root tbf, if there is one
};
struct ShapingShown {
  ShapeTargetRecord target = {};
  std::optional<ShapeRecord> record = {};  // none: not shaped
  std::vector<ShapedDevice> devices = {};  // the record's, in its order
  std::optional<ShapedDevice> ifb_device = {};
  bool in_sync = true;  // the kernel enforces the rates asked for
  // For `shape show --json`: the record with "shaped", the kernel's view of
  // each device, "ifb_device" and "in_sync"; {"target", "shaped": false} if none.
  nlohmann::json to_json() const;
};
Result<ShapingShown> show_shaping(const StoreReader& store, const ShapeTarget& target);
Result<ShapingShown> show_shaping(const ShapeTarget& target);
Status clear_shaping(const ShapeTarget& target);

// For gc: takes a shaping whose `shape set` was killed half way ("phase":
// "creating", listing every device it was to touch) off those devices, and
// deletes its ifb device. The caller removes the record.
Status roll_back_shaping(const ShapeRecord& record);

// For `net delete`: drops the shaping of namespaces and host links that are
// about to disappear (their qdiscs go with the links; ifb devices are removed).
Status forget_shaping(const StateStore& store, const kernel::NetlinkSocket& host,
                      const std::vector<std::string>& netns_names,
                      const std::vector<std::string>& host_links);

}  // namespace contain::engine
