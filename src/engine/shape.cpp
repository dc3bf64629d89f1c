#include "engine/shape.hpp"

#include <fmt/format.h>
#include <linux/pkt_sched.h>

#include <algorithm>

#include "core/undo.hpp"
#include "engine/records.hpp"
#include "kernel/netlink/link.hpp"
#include "kernel/netlink/tc.hpp"
#include "kernel/netns.hpp"
#include "model/shaping.hpp"

namespace contain::engine {

namespace {

using nlohmann::json;

// A device that gets a qdisc: in a namespace (netns set) or on the host.
struct Device {
  std::optional<std::string> netns;
  std::string ifname;
};

// The target, resolved to the devices that carry each direction.
struct Resolved {
  std::string key;           // the record's name
  ShapeTargetRecord target;  // as the user named it
  Device egress;             // tbf here limits what leaves
  Device ingress;            // tbf here limits what enters (for a host device: via an ifb)
  bool ingress_via_ifb = false;
  std::string what;  // "namespace ns1 (eth0)" / "device br0"
};

std::string describe(const ShapeTarget& t) {
  if (t.dev) return fmt::format("device {}", t.dev->str());
  return fmt::format("{}{}", t.netns->describe(),
                     t.ifname ? fmt::format(" ({})", t.ifname->str()) : "");
}

Result<Resolved> resolve(const StoreReader& store, const ShapeTarget& target) {
  Resolved r;
  if (target.dev) {
    r.key = "dev:" + target.dev->str();
    r.target.dev = target.dev->str();
    r.egress = {std::nullopt, target.dev->str()};
    r.ingress = {std::nullopt, target.dev->str()};
    r.ingress_via_ifb = true;
    r.what = describe(target);
    return r;
  }
  const NetnsRef& ns = *target.netns;
  if (const NetnsName* name = ns.name(); name && !kernel::netns_exists(*name))
    return fail(
        Error::failed(fmt::format("network namespace {} does not exist (see 'contain net list')",
                                  quote(name->str())),
                      ENOENT));
  auto key = netns_key(ns);
  if (!key) return fail(Error::usage(fmt::format("{} has no record of its own", ns.describe())));
  auto record = TRY(store.read(key->kind(), key->record_name()));
  std::vector<std::pair<std::string, std::string>> managed;  // (namespace end, host end)
  if (record)
    for (const auto& l : (*record).value("links", json::array()))
      managed.emplace_back(l.value("peer", ""), l.value("name", ""));
  std::string choices;
  for (const auto& [peer, host] : managed) choices += (choices.empty() ? "" : ", ") + peer;
  const std::pair<std::string, std::string>* chosen = nullptr;
  if (target.ifname) {
    for (const auto& m : managed)
      if (m.first == target.ifname->str()) chosen = &m;
    if (!chosen)
      return fail(Error::usage(
          fmt::format("{} is not an interface contain manages in {} ({}); shape a host device "
                      "with --dev",
                      target.ifname->str(), ns.describe(),
                      managed.empty() ? "it has none" : "choose one of: " + choices)));
  } else if (managed.size() == 1) {
    chosen = &managed.front();
  } else if (managed.empty()) {
    return fail(Error::usage(
        fmt::format("{} has no interface made by contain to shape; connect it first (contain net "
                    "veth, bridge attach, network attach) or shape a host device with --dev",
                    ns.describe())));
  } else {
    return fail(Error::usage(
        fmt::format("{} has several interfaces made by contain; choose one with --ifname ({})",
                    ns.describe(), choices)));
  }
  if (const NetnsName* name = ns.name()) {
    r.key = fmt::format("netns:{}:{}", name->str(), chosen->first);
    r.target.netns = name->str();
    r.target.ifname = chosen->first;
  } else {
    // Known by identity: the record's name and target say which namespace it
    // is however the user calls it next time.
    r.key = fmt::format("nsid:{}:{}", key->record_name(), chosen->first);
    r.target.netns_id = key->record_name();
    r.target.ref = ns.text();
    r.target.ifname = chosen->first;
  }
  r.egress = {ns.text(), chosen->first};
  r.ingress = {std::nullopt, chosen->second};
  r.what = fmt::format("{} ({})", ns.describe(), chosen->first);
  return r;
}

// Sockets on the host and, opened on first use, in the target namespace (the
// only namespace a shaping's devices are ever in besides the host).
class Sockets {
 public:
  Sockets(kernel::NetlinkSocket host, const ShapeTarget& target)
      : host_(std::move(host)), netns_(target.netns) {}
  Result<const kernel::NetlinkSocket*> for_device(const Device& d) {
    if (!d.netns) return &host_;
    if (!inside_) {
      if (!netns_) return fail(Error::failed("the shaping names no namespace", ENOENT));
      auto fd = TRY(netns_->open());
      inside_ = TRY(kernel::NetlinkSocket::open_in(fd.get()));
    }
    return &*inside_;
  }
  const kernel::NetlinkSocket& host() const { return host_; }

 private:
  kernel::NetlinkSocket host_;
  std::optional<NetnsRef> netns_;
  std::optional<kernel::NetlinkSocket> inside_;
};

Result<int> ifindex_of(Sockets& sockets, const Device& d) {
  auto* sock = TRY(sockets.for_device(d));
  auto link = kernel::get_link(*sock, d.ifname);
  if (!link) {
    return fail(Error::failed(
        fmt::format("there is no link {}{}", d.ifname,
                    d.netns ? fmt::format(" in namespace {}", quote(*d.netns)) : " on the host"),
        ENODEV));
  }
  return link->ifindex;
}

std::string ifb_name_for(int ifindex) { return fmt::format("cifb{}", ifindex); }

Device device_of(const ShapeDeviceRecord& d) { return {d.netns, d.ifname}; }

// Removes what a record says was applied; tolerant of links already gone.
void remove_applied(Sockets& sockets, const ShapeRecord& record) {
  for (const auto& d : record.devices) {
    Device dev = device_of(d);
    auto ifindex = ifindex_of(sockets, dev);
    if (!ifindex) continue;
    auto sock = sockets.for_device(dev);
    if (!sock) continue;
    if (d.qdisc == Qdisc::ingress)
      (void)kernel::delete_ingress_qdisc(**sock, *ifindex);
    else
      (void)kernel::delete_root_qdisc(**sock, *ifindex);
  }
  if (record.ifb) {
    if (auto link = kernel::get_link(sockets.host(), *record.ifb))
      (void)kernel::delete_link(sockets.host(), link->ifindex);
  }
}

model::TokenBucket bucket_of(const Rate& rate, const std::optional<Size>& burst,
                             const std::optional<Duration>& latency) {
  return model::plan_token_bucket(
      rate.bits_per_second(), burst ? std::optional<std::uint64_t>(burst->bytes()) : std::nullopt,
      latency ? std::optional<std::uint64_t>(latency->microseconds()) : std::nullopt);
}

// The bucket of the ingress direction: its own rate and burst if given.
model::TokenBucket ingress_bucket(const ShapeSpec& spec) {
  if (!spec.ingress_rate) return bucket_of(spec.rate, spec.burst, spec.latency);
  return bucket_of(*spec.ingress_rate, spec.ingress_burst, spec.latency);
}

// The record of a spec, before any device is shaped. Burst and latency are
// recorded as the user gave them, or as what was chosen for them.
Result<ShapeRecord> record_of(const ShapeSpec& spec, const Resolved& r,
                              const model::TokenBucket& bucket) {
  ShapeRecord record{
      .target = r.target,
      .direction = spec.direction,
      .rate = spec.rate,
      .burst = spec.burst ? *spec.burst : TRY(Size::parse(fmt::format("{}b", bucket.burst_bytes))),
      .latency = spec.latency ? *spec.latency
                              : TRY(Duration::parse(fmt::format(
                                    "{}ms", model::kDefaultLatencyMicroseconds / 1000))),
      .rate_bps = spec.rate.bits_per_second(),
      .burst_bytes = bucket.burst_bytes,
      .limit_bytes = bucket.limit_bytes,
      .delay = spec.delay,
      .jitter = spec.jitter,
      .loss = spec.loss};
  if (spec.ingress_rate) {
    auto in = ingress_bucket(spec);
    record.ingress_rate = spec.ingress_rate;
    record.ingress_rate_bps = spec.ingress_rate->bits_per_second();
    record.ingress_burst = spec.ingress_burst
                               ? *spec.ingress_burst
                               : TRY(Size::parse(fmt::format("{}b", in.burst_bytes)));
    record.ingress_burst_bytes = in.burst_bytes;
  }
  return record;
}

// Applies the spec; each step registers its undo.
Status apply(Sockets& sockets, const ShapeSpec& spec, const Resolved& r, ShapeRecord& record,
             Undo& undo) {
  auto bucket = model::plan_token_bucket(
      spec.rate.bits_per_second(),
      spec.burst ? std::optional<std::uint64_t>(spec.burst->bytes()) : std::nullopt,
      spec.latency ? std::optional<std::uint64_t>(spec.latency->microseconds()) : std::nullopt);
  kernel::TbfParams egress_tbf{bucket.rate_bytes, bucket.burst_bytes, bucket.limit_bytes};
  auto in = ingress_bucket(spec);
  kernel::TbfParams ingress_tbf{in.rate_bytes, in.burst_bytes, in.limit_bytes};
  bool netem = spec.delay || spec.jitter || spec.loss;
  kernel::NetemParams emulation{
      spec.delay ? static_cast<std::uint32_t>(spec.delay->microseconds()) : 0,
      spec.jitter ? static_cast<std::uint32_t>(spec.jitter->microseconds()) : 0,
      spec.loss ? spec.loss->value() : 0};

  auto shape_device = [&](const Device& d, int ifindex, const kernel::TbfParams& tbf) -> Status {
    auto* sock = TRY(sockets.for_device(d));
    TRY(kernel::set_root_tbf(*sock, ifindex, tbf));
    undo.add([sock, ifindex] { (void)kernel::delete_root_qdisc(*sock, ifindex); });
    if (netem) {
      auto added = kernel::add_netem_under_tbf(*sock, ifindex, emulation);
      if (!added) {
        if (added.error().code() == ENOENT || added.error().code() == EOPNOTSUPP)
          return fail(Error::failed(
              "this kernel has no netem qdisc (sch_netem), which --delay, --jitter and --loss "
              "need; nothing was changed",
              added.error().code()));
        return fail(std::move(added).error());
      }
    }
    return {};
  };

  bool egress = spec.direction != Direction::ingress;
  bool ingress = spec.direction != Direction::egress;
  if (egress) {
    int ifindex = TRY(ifindex_of(sockets, r.egress));
    TRY(shape_device(r.egress, ifindex, egress_tbf));
    record.devices.push_back({r.egress.netns, r.egress.ifname, Qdisc::root, Direction::egress});
  }
  if (ingress && !r.ingress_via_ifb) {
    int ifindex = TRY(ifindex_of(sockets, r.ingress));
    TRY(shape_device(r.ingress, ifindex, ingress_tbf));
    record.devices.push_back({std::nullopt, r.ingress.ifname, Qdisc::root, Direction::ingress});
  }
  if (ingress && r.ingress_via_ifb) {
    const auto& host = sockets.host();
    int dev_index = TRY(ifindex_of(sockets, r.ingress));
    auto ifb = TRY(IfName::parse(ifb_name_for(dev_index)));
    TRY(kernel::create_ifb(host, ifb));
    auto ifb_link = TRY(kernel::get_link(host, ifb.str()));
    undo.add([&host, i = ifb_link.ifindex] { (void)kernel::delete_link(host, i); });
    TRY(kernel::set_link_alias(host, ifb_link.ifindex, owner_alias("shape/" + r.key)));
    record.ifb = ifb.str();
    // The qdisc's removal is registered before the filter is tried: a refused
    // filter must not leave the device with an ingress qdisc of ours.
    TRY(kernel::add_ingress_qdisc(host, dev_index));
    undo.add([&host, dev_index] { (void)kernel::delete_ingress_qdisc(host, dev_index); });
    TRY(kernel::redirect_ingress(host, dev_index, ifb_link.ifindex));
    record.devices.push_back({std::nullopt, r.ingress.ifname, Qdisc::ingress, Direction::ingress});
    TRY(shape_device({std::nullopt, ifb.str()}, ifb_link.ifindex, ingress_tbf));
  }
  return {};
}

// How the user names the target of a record, for messages.
std::string target_options(const ShapeTargetRecord& target) {
  if (target.dev) return "--dev " + *target.dev;
  return fmt::format("--ns {} --ifname {}", target.netns.value_or(""), target.ifname.value_or(""));
}

// Refuses a spec that would put a qdisc where another target's shaping has
// one (the host end of a shaped namespace's veth given as --dev, say): one of
// them would silently replace the other.
Status check_no_conflict(const StoreReader& store, const ShapeSpec& spec, const Resolved& r) {
  struct Planned {
    Device device;
    Qdisc qdisc;
  };
  std::vector<Planned> planned;
  if (spec.direction != Direction::ingress) planned.push_back({r.egress, Qdisc::root});
  if (spec.direction != Direction::egress)
    planned.push_back({r.ingress, r.ingress_via_ifb ? Qdisc::ingress : Qdisc::root});
  return store.visit<ShapeRecord>([&](const std::string& key, const ShapeRecord& other) -> Status {
    if (key == r.key) return {};
    for (const auto& d : other.devices) {
      for (const auto& p : planned) {
        if (p.device.netns != d.netns || p.device.ifname != d.ifname || d.qdisc != p.qdisc)
          continue;
        std::string options = target_options(other.target);
        return fail(Error::failed(
            fmt::format("{}{} already carries the {} shaping of {} (see 'contain shape show {}'); "
                        "change that one, or clear it first ('contain shape clear {}')",
                        d.ifname, d.netns ? " in namespace " + quote(*d.netns) : " (host)",
                        direction_name(d.direction.value_or(Direction::egress)), options, options,
                        options),
            EBUSY));
      }
    }
    return {};
  });
}

ShapeSpec spec_from_record(const ShapeRecord& record, const ShapeTarget& target) {
  return ShapeSpec{.target = target,
                   .rate = record.rate,
                   .burst = record.burst,
                   .latency = record.latency,
                   .direction = record.direction,
                   .delay = record.delay,
                   .jitter = record.jitter,
                   .loss = record.loss,
                   .ingress_rate = record.ingress_rate,
                   .ingress_burst = record.ingress_burst};
}

}  // namespace

Status set_shaping(const ShapeSpec& spec) {
  std::string what = fmt::format("shape {}", describe(spec.target));
  if (spec.burst && spec.burst->bytes() < model::kFrameBytes)
    return fail(Error::usage(
        fmt::format("{}: burst {} is smaller than one full frame ({} bytes): no packet could pass",
                    what, spec.burst->text(), model::kFrameBytes)));
  if (spec.ingress_burst && spec.ingress_burst->bytes() < model::kFrameBytes)
    return fail(Error::usage(fmt::format(
        "{}: ingress burst {} is smaller than one full frame ({} bytes): no packet could pass",
        what, spec.ingress_burst->text(), model::kFrameBytes)));
  auto store = TRY(StateStore::lock());
  auto r = TRY_WRAP(resolve(store, spec.target), what);
  Sockets sockets(TRY_WRAP(kernel::NetlinkSocket::open(), what), spec.target);
  // Every device must exist before anything changes.
  TRY_WRAP(ifindex_of(sockets, r.egress), what);
  TRY_WRAP(ifindex_of(sockets, r.ingress), what);

  TRY_WRAP(check_no_conflict(store, spec, r), what);

  auto old = TRY(store.get<ShapeRecord>(r.key));
  auto bucket = model::plan_token_bucket(
      spec.rate.bits_per_second(),
      spec.burst ? std::optional<std::uint64_t>(spec.burst->bytes()) : std::nullopt,
      spec.latency ? std::optional<std::uint64_t>(spec.latency->microseconds()) : std::nullopt);
  ShapeRecord record = TRY_WRAP(record_of(spec, r, bucket), what);

  // Written "creating" with every device the new shaping will touch, so that
  // gc can take a half-made one off them all (see roll_back_shaping).
  ShapeRecord creating = record;
  creating.phase = record::Phase::creating;
  if (spec.direction != Direction::ingress)
    creating.devices.push_back({r.egress.netns, r.egress.ifname, Qdisc::root, std::nullopt});
  if (spec.direction != Direction::egress) {
    creating.devices.push_back({std::nullopt, r.ingress.ifname,
                                r.ingress_via_ifb ? Qdisc::ingress : Qdisc::root, std::nullopt});
    if (r.ingress_via_ifb)
      creating.ifb = ifb_name_for(TRY_WRAP(ifindex_of(sockets, r.ingress), what));
  }
  Undo undo;
  TRY_WRAP(store.put(r.key, creating), what);
  undo.add([&] {
    if (old)
      (void)store.put(r.key, *old);
    else
      (void)store.erase<ShapeRecord>(r.key);
  });
  if (old) {
    // Replacing: clear the old shaping; should the new one fail, put it back.
    remove_applied(sockets, *old);
    undo.add([&] {
      ShapeRecord again = *old;
      again.devices.clear();
      again.ifb.reset();
      Undo nothing;
      if (apply(sockets, spec_from_record(*old, spec.target), r, again, nothing)) nothing.commit();
    });
  }
  TRY_WRAP(apply(sockets, spec, r, record, undo), what);
  TRY_WRAP(store.put(r.key, record), what);
  undo.commit();
  return {};
}

json ShapingShown::to_json() const {
  if (!record) return {{"target", target.to_json()}, {"shaped", false}};
  auto shown = [](const ShapedDevice& d) {
    json j = d.device.to_json();
    j["kernel_qdiscs"] = d.kernel_qdiscs;
    j["kernel_rate_bps"] = d.kernel_rate_bps ? json(*d.kernel_rate_bps) : json(nullptr);
    return j;
  };
  json out = record->to_json();
  out["shaped"] = true;
  out["devices"] = json::array();
  for (const auto& d : devices) out["devices"].push_back(shown(d));
  if (ifb_device) out["ifb_device"] = shown(*ifb_device);
  out["in_sync"] = in_sync;
  return out;
}

Result<ShapingShown> show_shaping(const StoreReader& store, const ShapeTarget& target) {
  std::string what = fmt::format("show shaping of {}", describe(target));
  auto r = TRY_WRAP(resolve(store, target), what);
  ShapingShown out{.target = r.target, .record = TRY(store.get<ShapeRecord>(r.key))};
  if (!out.record) return out;
  const ShapeRecord& record = *out.record;
  // What the kernel holds, device by device: the record says what was asked,
  // but anyone may have replaced a qdisc since ("in_sync" says whether the
  // rate asked for is the one enforced).
  Sockets sockets(TRY(kernel::NetlinkSocket::open()), target);
  // The kernel keeps whole bytes per second.
  std::uint64_t asked = record.rate_bps / 8 * 8;
  std::uint64_t asked_ingress = record.ingress_rate_bps.value_or(record.rate_bps) / 8 * 8;
  auto kernel_view = [&](const ShapeDeviceRecord& device) -> Result<ShapedDevice> {
    ShapedDevice d{.device = device};
    Device dev = device_of(device);
    if (auto ifindex = ifindex_of(sockets, dev)) {
      auto* sock = TRY(sockets.for_device(dev));
      if (auto qdiscs = kernel::list_qdiscs(*sock, *ifindex))
        for (const auto& q : *qdiscs) {
          d.kernel_qdiscs.push_back(q.kind);
          if (q.kind == "tbf" && q.parent == TC_H_ROOT) d.kernel_rate_bps = q.rate_bytes * 8;
        }
    }
    return d;
  };
  for (const auto& device : record.devices) {
    auto d = TRY(kernel_view(device));
    std::uint64_t want =
        device.direction.value_or(Direction::egress) == Direction::ingress ? asked_ingress : asked;
    if (device.qdisc == Qdisc::root && d.kernel_rate_bps != want) out.in_sync = false;
    out.devices.push_back(std::move(d));
  }
  if (record.ifb) {
    auto ifb = TRY(kernel_view({std::nullopt, *record.ifb, Qdisc::root, Direction::ingress}));
    if (ifb.kernel_rate_bps != asked_ingress) out.in_sync = false;
    out.ifb_device = std::move(ifb);
  }
  return out;
}

Result<ShapingShown> show_shaping(const ShapeTarget& target) {
  return show_shaping(StateStore::reader(), target);
}

Status clear_shaping(const ShapeTarget& target) {
  std::string what = fmt::format("clear shaping of {}", describe(target));
  auto store = TRY(StateStore::lock());
  auto r = TRY_WRAP(resolve(store, target), what);
  auto record = TRY(store.get<ShapeRecord>(r.key));
  if (!record)
    return fail(Error::failed(fmt::format("{}: it is not shaped (see 'contain shape show')", what),
                              ENOENT));
  Sockets sockets(TRY(kernel::NetlinkSocket::open()), target);
  remove_applied(sockets, *record);
  return store.erase<ShapeRecord>(r.key);
}

Status roll_back_shaping(const ShapeRecord& record) {
  ShapeTarget target;
  // A namespace known by identity has no name to open it by: its qdiscs stay
  // (they go with it); the host's devices and the ifb are cleared all the same.
  if (record.target.netns)
    if (auto name = NetnsName::parse(*record.target.netns)) target.netns = NetnsRef::named(*name);
  Sockets sockets(TRY(kernel::NetlinkSocket::open()), target);
  remove_applied(sockets, record);
  return {};
}

Status forget_shaping(const StateStore& store, const kernel::NetlinkSocket& host,
                      const std::vector<std::string>& netns_names,
                      const std::vector<std::string>& host_links) {
  // Collected first: records are removed below.
  for (const auto& [key, record] : TRY(store.get_all<ShapeRecord>())) {
    const auto& t = record.target;
    bool of_netns = t.netns && std::ranges::count(netns_names, *t.netns) > 0;
    bool of_link = t.dev && std::ranges::count(host_links, *t.dev) > 0;
    if (!of_netns && !of_link) continue;
    if (record.ifb) {
      if (auto link = kernel::get_link(host, *record.ifb))
        (void)kernel::delete_link(host, link->ifindex);
    }
    TRY(store.erase<ShapeRecord>(key));
  }
  return {};
}

}  // namespace contain::engine
