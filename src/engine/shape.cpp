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

const char* direction_name(Direction d) {
  switch (d) {
    case Direction::egress:
      return "egress";
    case Direction::ingress:
      return "ingress";
    case Direction::both:
      return "both";
  }
  return "egress";
}

// A device that gets a qdisc: in a namespace (netns set) or on the host.
struct Device {
  std::optional<std::string> netns;
  std::string ifname;
};

// The target, resolved to the devices that carry each direction.
struct Resolved {
  std::string key;  // the record's name
  json target;      // as the user named it
  Device egress;    // tbf here limits what leaves
  Device ingress;   // tbf here limits what enters (for a host device: via an ifb)
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
    r.target = {{"dev", target.dev->str()}};
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
    r.target = {{"netns", name->str()}, {"ifname", chosen->first}};
  } else {
    // Known by identity: the record's name and target say which namespace it
    // is however the user calls it next time.
    r.key = fmt::format("nsid:{}:{}", key->record_name(), chosen->first);
    r.target = {{"netns_id", key->record_name()}, {"ref", ns.text()}, {"ifname", chosen->first}};
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

// Removes what a record says was applied; tolerant of links already gone.
void remove_applied(Sockets& sockets, const json& record) {
  for (const auto& d : record.value("devices", json::array())) {
    Device dev{d["netns"].is_null() ? std::nullopt
                                    : std::optional<std::string>(d["netns"].get<std::string>()),
               d.value("ifname", "")};
    auto ifindex = ifindex_of(sockets, dev);
    if (!ifindex) continue;
    auto sock = sockets.for_device(dev);
    if (!sock) continue;
    if (d.value("qdisc", "") == "ingress")
      (void)kernel::delete_ingress_qdisc(**sock, *ifindex);
    else
      (void)kernel::delete_root_qdisc(**sock, *ifindex);
  }
  if (record.contains("ifb")) {
    if (auto link = kernel::get_link(sockets.host(), record["ifb"].get<std::string>()))
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

json spec_json(const ShapeSpec& spec, const Resolved& r, const model::TokenBucket& bucket) {
  json j = {
      {"target", r.target},
      {"direction", direction_name(spec.direction)},
      {"rate", spec.rate.text()},
      {"burst", spec.burst ? spec.burst->text() : fmt::format("{}b", bucket.burst_bytes)},
      {"latency", spec.latency ? spec.latency->text()
                               : fmt::format("{}ms", model::kDefaultLatencyMicroseconds / 1000)},
      {"rate_bps", spec.rate.bits_per_second()},
      {"burst_bytes", bucket.burst_bytes},
      {"limit_bytes", bucket.limit_bytes},
      {"devices", json::array()}};
  if (spec.delay) j["delay"] = spec.delay->text();
  if (spec.jitter) j["jitter"] = spec.jitter->text();
  if (spec.loss) j["loss"] = spec.loss->text();
  if (spec.ingress_rate) {
    auto in = ingress_bucket(spec);
    j["ingress_rate"] = spec.ingress_rate->text();
    j["ingress_rate_bps"] = spec.ingress_rate->bits_per_second();
    j["ingress_burst"] =
        spec.ingress_burst ? spec.ingress_burst->text() : fmt::format("{}b", in.burst_bytes);
    j["ingress_burst_bytes"] = in.burst_bytes;
  }
  return j;
}

// Applies the spec; each step registers its undo.
Status apply(Sockets& sockets, const ShapeSpec& spec, const Resolved& r, json& record, Undo& undo) {
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
    record["devices"].push_back({{"netns", r.egress.netns ? json(*r.egress.netns) : json(nullptr)},
                                 {"ifname", r.egress.ifname},
                                 {"qdisc", "root"},
                                 {"direction", "egress"}});
  }
  if (ingress && !r.ingress_via_ifb) {
    int ifindex = TRY(ifindex_of(sockets, r.ingress));
    TRY(shape_device(r.ingress, ifindex, ingress_tbf));
    record["devices"].push_back({{"netns", nullptr},
                                 {"ifname", r.ingress.ifname},
                                 {"qdisc", "root"},
                                 {"direction", "ingress"}});
  }
  if (ingress && r.ingress_via_ifb) {
    const auto& host = sockets.host();
    int dev_index = TRY(ifindex_of(sockets, r.ingress));
    auto ifb = TRY(IfName::parse(ifb_name_for(dev_index)));
    TRY(kernel::create_ifb(host, ifb));
    auto ifb_link = TRY(kernel::get_link(host, ifb.str()));
    undo.add([&host, i = ifb_link.ifindex] { (void)kernel::delete_link(host, i); });
    TRY(kernel::set_link_alias(host, ifb_link.ifindex, owner_alias("shape/" + r.key)));
    record["ifb"] = ifb.str();
    // The qdisc's removal is registered before the filter is tried: a refused
    // filter must not leave the device with an ingress qdisc of ours.
    TRY(kernel::add_ingress_qdisc(host, dev_index));
    undo.add([&host, dev_index] { (void)kernel::delete_ingress_qdisc(host, dev_index); });
    TRY(kernel::redirect_ingress(host, dev_index, ifb_link.ifindex));
    record["devices"].push_back({{"netns", nullptr},
                                 {"ifname", r.ingress.ifname},
                                 {"qdisc", "ingress"},
                                 {"direction", "ingress"}});
    TRY(shape_device({std::nullopt, ifb.str()}, ifb_link.ifindex, ingress_tbf));
  }
  return {};
}

Device device_of(const json& d) {
  return {d.contains("netns") && d["netns"].is_string()
              ? std::optional<std::string>(d["netns"].get<std::string>())
              : std::nullopt,
          d.value("ifname", "")};
}

// How the user names the target of a record, for messages.
std::string target_options(const json& target) {
  if (target.contains("dev")) return "--dev " + target.value("dev", "");
  return fmt::format("--ns {} --ifname {}", target.value("netns", ""), target.value("ifname", ""));
}

// Refuses a spec that would put a qdisc where another target's shaping has
// one (the host end of a shaped namespace's veth given as --dev, say): one of
// them would silently replace the other.
Status check_no_conflict(const StateStore& store, const ShapeSpec& spec, const Resolved& r) {
  struct Planned {
    Device device;
    const char* qdisc;
  };
  std::vector<Planned> planned;
  if (spec.direction != Direction::ingress) planned.push_back({r.egress, "root"});
  if (spec.direction != Direction::egress)
    planned.push_back({r.ingress, r.ingress_via_ifb ? "ingress" : "root"});
  for (const auto& key : TRY(store.list(kShapeKind))) {
    if (key == r.key) continue;
    auto other = TRY(store.read(kShapeKind, key));
    if (!other) continue;
    for (const auto& d : other->value("devices", json::array())) {
      Device dev = device_of(d);
      for (const auto& p : planned) {
        if (p.device.netns != dev.netns || p.device.ifname != dev.ifname ||
            d.value("qdisc", "root") != p.qdisc)
          continue;
        std::string options = target_options(other->value("target", json::object()));
        return fail(Error::failed(
            fmt::format("{}{} already carries the {} shaping of {} (see 'contain shape show {}'); "
                        "change that one, or clear it first ('contain shape clear {}')",
                        dev.ifname, dev.netns ? " in namespace " + quote(*dev.netns) : " (host)",
                        d.value("direction", "egress"), options, options, options),
            EBUSY));
      }
    }
  }
  return {};
}

Result<ShapeSpec> spec_from_record(const json& record, const ShapeTarget& target) {
  ShapeSpec spec;
  spec.target = target;
  spec.rate = TRY(Rate::parse(record.value("rate", "")));
  if (record.contains("burst")) spec.burst = TRY(Size::parse(record["burst"].get<std::string>()));
  if (record.contains("latency"))
    spec.latency = TRY(Duration::parse(record["latency"].get<std::string>()));
  if (record.contains("delay"))
    spec.delay = TRY(Duration::parse(record["delay"].get<std::string>()));
  if (record.contains("jitter"))
    spec.jitter = TRY(Duration::parse(record["jitter"].get<std::string>()));
  if (record.contains("loss")) spec.loss = TRY(Percent::parse(record["loss"].get<std::string>()));
  if (record.contains("ingress_rate"))
    spec.ingress_rate = TRY(Rate::parse(record["ingress_rate"].get<std::string>()));
  if (record.contains("ingress_burst"))
    spec.ingress_burst = TRY(Size::parse(record["ingress_burst"].get<std::string>()));
  std::string d = record.value("direction", "egress");
  spec.direction = d == "both"      ? Direction::both
                   : d == "ingress" ? Direction::ingress
                                    : Direction::egress;
  return spec;
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

  auto old = TRY(store.read(kShapeKind, r.key));
  auto bucket = model::plan_token_bucket(
      spec.rate.bits_per_second(),
      spec.burst ? std::optional<std::uint64_t>(spec.burst->bytes()) : std::nullopt,
      spec.latency ? std::optional<std::uint64_t>(spec.latency->microseconds()) : std::nullopt);
  json record = spec_json(spec, r, bucket);

  // Written "creating" with every device the new shaping will touch, so that
  // gc can take a half-made one off them all (see roll_back_shaping).
  json creating = record;
  creating["phase"] = kPhaseCreating;
  if (spec.direction != Direction::ingress)
    creating["devices"].push_back(
        {{"netns", r.egress.netns ? json(*r.egress.netns) : json(nullptr)},
         {"ifname", r.egress.ifname},
         {"qdisc", "root"}});
  if (spec.direction != Direction::egress) {
    creating["devices"].push_back({{"netns", nullptr},
                                   {"ifname", r.ingress.ifname},
                                   {"qdisc", r.ingress_via_ifb ? "ingress" : "root"}});
    if (r.ingress_via_ifb)
      creating["ifb"] = ifb_name_for(TRY_WRAP(ifindex_of(sockets, r.ingress), what));
  }
  Undo undo;
  TRY_WRAP(store.write(kShapeKind, r.key, creating), what);
  undo.add([&] {
    if (old)
      (void)store.write(kShapeKind, r.key, *old);
    else
      (void)store.remove(kShapeKind, r.key);
  });
  if (old) {
    // Replacing: clear the old shaping; should the new one fail, put it back.
    remove_applied(sockets, *old);
    undo.add([&] {
      auto previous = spec_from_record(*old, spec.target);
      if (!previous) return;
      json again = *old;
      again["devices"] = json::array();
      again.erase("ifb");
      Undo nothing;
      if (apply(sockets, *previous, r, again, nothing)) nothing.commit();
    });
  }
  TRY_WRAP(apply(sockets, spec, r, record, undo), what);
  TRY_WRAP(store.write(kShapeKind, r.key, record), what);
  undo.commit();
  return {};
}

Result<json> show_shaping(const ShapeTarget& target) {
  auto store = StateStore::reader();
  std::string what = fmt::format("show shaping of {}", describe(target));
  auto r = TRY_WRAP(resolve(store, target), what);
  auto record = TRY(store.read(kShapeKind, r.key));
  if (!record) {
    return json{{"target", r.target}, {"shaped", false}};
  }
  json out = *record;
  out["shaped"] = true;
  // What the kernel holds, device by device: the record says what was asked,
  // but anyone may have replaced a qdisc since ("in_sync" says whether the
  // rate asked for is the one enforced).
  Sockets sockets(TRY(kernel::NetlinkSocket::open()), target);
  // The kernel keeps whole bytes per second.
  std::uint64_t asked = out.value("rate_bps", std::uint64_t{0}) / 8 * 8;
  std::uint64_t asked_ingress =
      out.value("ingress_rate_bps", out.value("rate_bps", std::uint64_t{0})) / 8 * 8;
  bool in_sync = true;
  auto kernel_view = [&](const Device& dev, json& d) -> Status {
    json kinds = json::array();
    json rate = nullptr;
    if (auto ifindex = ifindex_of(sockets, dev)) {
      auto* sock = TRY(sockets.for_device(dev));
      if (auto qdiscs = kernel::list_qdiscs(*sock, *ifindex))
        for (const auto& q : *qdiscs) {
          kinds.push_back(q.kind);
          if (q.kind == "tbf" && q.parent == TC_H_ROOT) rate = q.rate_bytes * 8;
        }
    }
    d["kernel_qdiscs"] = kinds;
    d["kernel_rate_bps"] = rate;
    return {};
  };
  for (auto& d : out["devices"]) {
    TRY(kernel_view(device_of(d), d));
    std::uint64_t want = d.value("direction", "egress") == "ingress" ? asked_ingress : asked;
    if (d.value("qdisc", "root") == "root" &&
        (d["kernel_rate_bps"].is_null() || d["kernel_rate_bps"].get<std::uint64_t>() != want))
      in_sync = false;
  }
  if (out.contains("ifb")) {
    json ifb = {
        {"netns", nullptr}, {"ifname", out["ifb"]}, {"qdisc", "root"}, {"direction", "ingress"}};
    TRY(kernel_view(device_of(ifb), ifb));
    if (ifb["kernel_rate_bps"].is_null() ||
        ifb["kernel_rate_bps"].get<std::uint64_t>() != asked_ingress)
      in_sync = false;
    out["ifb_device"] = ifb;
  }
  out["in_sync"] = in_sync;
  return out;
}

Status clear_shaping(const ShapeTarget& target) {
  std::string what = fmt::format("clear shaping of {}", describe(target));
  auto store = TRY(StateStore::lock());
  auto r = TRY_WRAP(resolve(store, target), what);
  auto record = TRY(store.read(kShapeKind, r.key));
  if (!record)
    return fail(Error::failed(fmt::format("{}: it is not shaped (see 'contain shape show')", what),
                              ENOENT));
  Sockets sockets(TRY(kernel::NetlinkSocket::open()), target);
  remove_applied(sockets, *record);
  return store.remove(kShapeKind, r.key);
}

Status roll_back_shaping(const json& record) {
  ShapeTarget target;
  const json& t = record["target"];
  // A namespace known by identity has no name to open it by: its qdiscs stay
  // (they go with it); the host's devices and the ifb are cleared all the same.
  if (t.contains("netns") && t["netns"].is_string())
    if (auto name = NetnsName::parse(t["netns"].get<std::string>()))
      target.netns = NetnsRef::named(*name);
  Sockets sockets(TRY(kernel::NetlinkSocket::open()), target);
  remove_applied(sockets, record);
  return {};
}

Status forget_shaping(const StateStore& store, const kernel::NetlinkSocket& host,
                      const std::vector<std::string>& netns_names,
                      const std::vector<std::string>& host_links) {
  for (const auto& key : TRY(store.list(kShapeKind))) {
    auto record = TRY(store.read(kShapeKind, key));
    if (!record) continue;
    const json& t = (*record)["target"];
    bool of_netns =
        t.contains("netns") && std::ranges::count(netns_names, t["netns"].get<std::string>()) > 0;
    bool of_link =
        t.contains("dev") && std::ranges::count(host_links, t["dev"].get<std::string>()) > 0;
    if (!of_netns && !of_link) continue;
    if (record->contains("ifb")) {
      if (auto link = kernel::get_link(host, (*record)["ifb"].get<std::string>()))
        (void)kernel::delete_link(host, link->ifindex);
    }
    TRY(store.remove(kShapeKind, key));
  }
  return {};
}

}  // namespace contain::engine
