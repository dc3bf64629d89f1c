#include "engine/firewall.hpp"

#include <fmt/format.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <set>

#include "core/undo.hpp"
#include "engine/records.hpp"
#include "kernel/addr.hpp"
#include "kernel/link.hpp"
#include "kernel/netns.hpp"
#include "kernel/nft.hpp"
#include "kernel/sysctl.hpp"

namespace contain::engine {

namespace {

using nlohmann::json;

constexpr std::string_view kTableName = "table";  // the one record of kFirewallKind

constexpr const char* kIpv4Forward = "net/ipv4/ip_forward";
constexpr const char* kIpv6Forward = "net/ipv6/conf/all/forwarding";

std::string localnet_key(std::string_view ifname) {
  return fmt::format("net/ipv4/conf/{}/route_localnet", ifname);
}

std::string nat_key(const Cidr& subnet, const std::optional<std::string>& out) {
  std::string key = subnet.subnet().str();
  std::replace(key.begin(), key.end(), '/', '_');
  if (out) key += "@" + *out;
  return key;
}

std::string forward_key(Protocol protocol, contain::Port port,
                        const std::optional<IpAddress>& address) {
  std::string key = fmt::format("{}-{}", protocol_name(protocol), port.str());
  if (address) key += "-" + address->str();
  return key;
}

std::string forward_name(Protocol protocol, contain::Port port,
                         const std::optional<IpAddress>& address) {
  if (address)
    return fmt::format("host port {}/{} on {}", port.str(), protocol_name(protocol),
                       address->str());
  return fmt::format("host port {}/{}", port.str(), protocol_name(protocol));
}

// --- records <-> elements ---

Result<Cidr> cidr_field(const json& r, const char* field) {
  auto c = Cidr::parse(r.value(field, ""));
  if (!c)
    return fail(Error::failed(fmt::format("a firewall record has a bad {} ('contain gc')", field)));
  return *c;
}

Result<NatInfo> nat_of(const json& r) {
  NatInfo n{TRY(cidr_field(r, "subnet")), {}, r.value("owner", "")};
  if (r.contains("out") && r["out"].is_string()) n.out = r["out"].get<std::string>();
  return n;
}

struct StoredTarget {
  model::ForwardTarget target;
  std::optional<Cidr> subnet;           // for hairpin NAT
  std::optional<std::string> localnet;  // host link with route_localnet for it
};

struct StoredForward {
  ForwardInfo info;
  std::vector<StoredTarget> targets;
};

Result<StoredForward> forward_of(const json& r) {
  StoredForward f;
  auto proto = parse_protocol(r.value("protocol", ""));
  auto port = contain::Port::parse(std::to_string(r.value("host_port", 0)));
  if (!proto || !port) return fail(Error::failed("a forward record is corrupt ('contain gc')"));
  f.info.protocol = *proto;
  f.info.host_port = *port;
  if (r.contains("host_address") && r["host_address"].is_string())
    f.info.host_address = TRY(IpAddress::parse(r["host_address"].get<std::string>()));
  f.info.to = r.value("to", "");
  f.info.owner = r.value("owner", "");
  for (const auto& t : r.value("targets", json::array())) {
    StoredTarget s{{TRY(IpAddress::parse(t.value("address", ""))),
                    TRY(contain::Port::parse(std::to_string(t.value("port", 0))))},
                   {},
                   {}};
    if (t.contains("subnet") && t["subnet"].is_string())
      s.subnet = TRY(Cidr::parse(t["subnet"].get<std::string>()));
    if (t.contains("localnet") && t["localnet"].is_string())
      s.localnet = t["localnet"].get<std::string>();
    f.info.targets.push_back(s.target);
    f.targets.push_back(std::move(s));
  }
  return f;
}

json forward_record(const ForwardInfo& info, const std::vector<StoredTarget>& targets) {
  json t = json::array();
  for (const auto& s : targets)
    t.push_back({{"address", s.target.address.str()},
                 {"port", s.target.port.value()},
                 {"subnet", s.subnet ? json(s.subnet->str()) : json(nullptr)},
                 {"localnet", s.localnet ? json(*s.localnet) : json(nullptr)}});
  return {{"protocol", protocol_name(info.protocol)},
          {"host_port", info.host_port.value()},
          {"host_address", info.host_address ? json(info.host_address->str()) : json(nullptr)},
          {"to", info.to},
          {"owner", info.owner},
          {"targets", t}};
}

void add_forward_elements(model::FirewallElements& e, const StoredForward& f) {
  e.forwards.push_back({f.info.protocol, f.info.host_port, f.info.host_address, f.info.targets});
  for (const auto& t : f.targets)
    if (t.subnet) e.hairpins.push_back({t.target.address, *t.subnet});
}

// Everything our records say the table holds, and which links have
// route_localnet set for a forward.
struct Everything {
  model::FirewallElements elements;
  std::set<std::string> localnet_links;
};

Result<Everything> load_all(const StateStore& store) {
  Everything all;
  for (const auto& [name, r] : TRY(store.read_all(kNatKind))) {
    auto n = TRY(nat_of(r));
    all.elements.nat.push_back({n.subnet, n.out});
  }
  for (const auto& [name, r] : TRY(store.read_all(kForwardKind))) {
    auto f = TRY(forward_of(r));
    add_forward_elements(all.elements, f);
    for (const auto& t : f.targets)
      if (t.localnet) all.localnet_links.insert(*t.localnet);
  }
  for (const auto& [name, r] : TRY(store.read_all(kIsolationKind)))
    all.elements.isolated_bridges.push_back(r.value("bridge", name));
  return all;
}

// Applies a change to the table: `added` and `removed` are elements whose
// records are already written or removed. The table is made on first use (from
// all records) and deleted when no record is left. If the incremental change
// fails because someone removed or flushed our table, it is made again from the
// records, in one transaction.
Status apply(const StateStore& store, const model::FirewallElements& added,
             const model::FirewallElements& removed, std::string_view what,
             const Everything* known_all = nullptr) {
  auto nft = TRY_WRAP(kernel::Nftables::open(), what);
  bool has_table = TRY(store.read(kFirewallKind, kTableName)).has_value();
  std::optional<Everything> loaded;
  auto all = [&]() -> Result<const Everything*> {
    if (known_all) return known_all;
    if (!loaded) loaded = TRY(load_all(store));
    return &*loaded;
  };
  if (!has_table) {
    const Everything* everything = TRY(all());
    if (everything->elements.empty()) return {};
    TRY_WRAP(store.write(kFirewallKind, kTableName, json{{"family", "inet"}, {"name", "contain"}}),
             what);
    auto made = nft.run(model::rebuild_table(everything->elements), what);
    if (!made) (void)store.remove(kFirewallKind, kTableName);
    return made;
  }
  if (!removed.empty()) {
    const Everything* everything = TRY(all());
    if (everything->elements.empty()) {
      TRY(nft.run(model::delete_table(), what));
      TRY_WRAP(store.remove(kFirewallKind, kTableName), what);
      return {};
    }
  }
  std::string text = model::delete_elements(removed) + model::add_elements(added);
  if (text.empty()) return {};
  auto changed = nft.run(text, what);
  if (changed) return {};
  const Everything* everything = TRY(all());
  if (nft.run(model::rebuild_table(everything->elements), what)) return {};
  return changed;
}

// route_localnet on `ifname`, remembering the previous value in the store (the
// record is written first, so a crash leaves something to restore).
Status enable_route_localnet(const StateStore& store, const std::string& ifname, Undo& undo) {
  if (TRY(store.read(kLocalnetKind, ifname))) return {};
  std::string what = fmt::format("allow forwarding 127.0.0.1 through {}", ifname);
  auto previous = TRY_WRAP(kernel::read_sysctl(localnet_key(ifname)), what);
  TRY_WRAP(store.write(kLocalnetKind, ifname, json{{"previous", previous}}), what);
  undo.add([&store, ifname] { (void)store.remove(kLocalnetKind, ifname); });
  if (previous != "1") {
    TRY_WRAP(kernel::write_sysctl(localnet_key(ifname), "1"), what);
    undo.add([ifname, previous] { (void)kernel::write_sysctl(localnet_key(ifname), previous); });
  }
  return {};
}

// Restores route_localnet on links no forward needs any more. A link that is
// gone (its namespace was deleted) has nothing to restore.
void release_route_localnet(const StateStore& store, const std::set<std::string>& candidates,
                            const std::set<std::string>& still_used) {
  for (const auto& ifname : candidates) {
    if (still_used.contains(ifname)) continue;
    auto r = store.read(kLocalnetKind, ifname);
    if (r && *r) {
      std::string previous = (**r).value("previous", "0");
      if (previous != "1") (void)kernel::write_sysctl(localnet_key(ifname), previous);
    }
    (void)store.remove(kLocalnetKind, ifname);
  }
}

Status enable_forwarding(int family, std::string_view what) {
  const char* key = family == AF_INET ? kIpv4Forward : kIpv6Forward;
  auto now = TRY_WRAP(kernel::read_sysctl(key), what);
  if (now != "1") TRY_WRAP(kernel::write_sysctl(key, "1"), what);
  return {};
}

struct RecordRef {
  std::string_view kind;
  std::string name;
};

// Removes records and what they put in the table, in one transaction.
Status remove_records(const StateStore& store, const std::vector<RecordRef>& refs,
                      std::string_view what) {
  if (refs.empty()) return {};
  model::FirewallElements removed;
  std::set<std::string> localnet_links;
  std::vector<std::pair<RecordRef, json>> saved;
  for (const auto& ref : refs) {
    auto r = TRY(store.read(ref.kind, ref.name));
    if (!r) continue;
    if (ref.kind == kNatKind) {
      auto n = TRY(nat_of(*r));
      removed.nat.push_back({n.subnet, n.out});
    } else if (ref.kind == kForwardKind) {
      auto f = TRY(forward_of(*r));
      add_forward_elements(removed, f);
      for (const auto& t : f.targets)
        if (t.localnet) localnet_links.insert(*t.localnet);
    } else if (ref.kind == kIsolationKind) {
      removed.isolated_bridges.push_back(r->value("bridge", ref.name));
    }
    saved.emplace_back(ref, std::move(*r));
  }
  Undo undo;
  for (const auto& [ref, record] : saved) {
    TRY_WRAP(store.remove(ref.kind, ref.name), what);
    undo.add([&store, &ref, &record] { (void)store.write(ref.kind, ref.name, record); });
  }
  auto left = TRY(load_all(store));
  // A hairpin element shared with a remaining forward stays.
  std::set<model::Hairpin> kept(left.elements.hairpins.begin(), left.elements.hairpins.end());
  std::erase_if(removed.hairpins, [&](const model::Hairpin& h) { return kept.contains(h); });
  TRY(apply(store, {}, removed, what, &left));
  undo.commit();
  release_route_localnet(store, localnet_links, left.localnet_links);
  return {};
}

// The host link whose connected subnet holds `ip`, and that subnet.
Result<std::optional<std::pair<std::string, Cidr>>> host_link_towards(const IpAddress& ip) {
  auto sock = TRY(kernel::NetlinkSocket::open());
  auto addresses = TRY(kernel::list_addresses(sock));
  auto links = TRY(kernel::list_links(sock));
  for (const auto& a : addresses) {
    if (a.scope != RT_SCOPE_UNIVERSE || !a.cidr.contains(ip) || a.cidr.address() == ip) continue;
    for (const auto& l : links)
      if (l.ifindex == a.ifindex)
        return std::optional<std::pair<std::string, Cidr>>({l.name, a.cidr.subnet()});
  }
  return std::optional<std::pair<std::string, Cidr>>();
}

}  // namespace

Result<ManagedAddress> managed_address(const StateStore& store, const NetnsRef& netns) {
  auto fd = TRY(netns.open());
  std::string why = fmt::format(
      "{} has no address on a contain-managed interface (give it one with "
      "'contain net veth --ns {} --ns-addr CIDR' or 'contain bridge attach')",
      netns.describe(), netns.text().empty() ? "NS" : netns.text());
  auto key = netns_key(netns);
  if (!key) return fail(Error::failed(why, EADDRNOTAVAIL));
  auto record = TRY(store.read(key->kind(), key->record_name()));
  if (!record) return fail(Error::failed(why, EADDRNOTAVAIL));
  auto sock = TRY(kernel::NetlinkSocket::open_in(fd.get()));
  auto links = TRY(kernel::list_links(sock));
  auto addresses = TRY(kernel::list_addresses(sock));
  ManagedAddress found;
  for (const auto& l : record->value("links", json::array())) {
    std::string peer = l.value("peer", "");
    auto link = std::find_if(links.begin(), links.end(),
                             [&](const kernel::LinkInfo& k) { return k.name == peer; });
    if (link == links.end()) continue;
    ManagedAddress here;
    for (const auto& a : addresses) {
      if (a.ifindex != link->ifindex || a.scope != RT_SCOPE_UNIVERSE) continue;
      auto& slot = a.cidr.address().is_v4() ? here.v4 : here.v6;
      if (!slot) slot = a.cidr;
    }
    if (!here.v4 && !here.v6) continue;
    // A bridge port is reached through its bridge; a plain veth through its host end.
    here.host_interface = l.value("bridge", l.value("name", ""));
    if (here.host_interface.empty()) here.host_interface = l.value("name", "");
    found = std::move(here);
    break;
  }
  if (!found.v4 && !found.v6) return fail(Error::failed(why, EADDRNOTAVAIL));
  // A host end enslaved to a bridge since (by hand, or by an older record) is
  // reached through that bridge.
  auto host = TRY(kernel::NetlinkSocket::open());
  if (auto link = kernel::get_link(host, found.host_interface); link && link->master != 0) {
    for (const auto& l : TRY(kernel::list_links(host)))
      if (l.ifindex == link->master) found.host_interface = l.name;
  }
  return found;
}

// --- NAT ---

Status enable_nat(const StateStore& store, const Cidr& subnet, const std::optional<IfName>& out,
                  std::string_view owner) {
  Cidr s = subnet.subnet();
  std::optional<std::string> out_name;
  if (out) out_name = out->str();
  std::string what = fmt::format("enable NAT for {}{}", s.str(),
                                 out_name ? " out of " + *out_name : std::string());
  std::string key = nat_key(s, out_name);
  if (TRY(store.read(kNatKind, key)))
    return fail(Error::failed(
        fmt::format("{}: it is already enabled (see 'contain nat list')", what), EEXIST));
  if (!out_name) {
    // The subnets masqueraded towards everywhere form one interval set: they may not overlap.
    for (const auto& [name, r] : TRY(store.read_all(kNatKind))) {
      auto n = TRY(nat_of(r));
      if (!n.out && n.subnet.family() == s.family() && n.subnet.overlaps(s))
        return fail(Error::usage(
            fmt::format("{}: it overlaps {} which already has NAT (disable that first)", what,
                        n.subnet.str())));
    }
  }
  TRY(enable_forwarding(s.family(), what));
  Undo undo;
  TRY_WRAP(store.write(kNatKind, key,
                       json{{"subnet", s.str()},
                            {"out", out_name ? json(*out_name) : json(nullptr)},
                            {"owner", owner}}),
           what);
  undo.add([&] { (void)store.remove(kNatKind, key); });
  model::FirewallElements added;
  added.nat.push_back({s, out_name});
  TRY(apply(store, added, {}, what));
  undo.commit();
  return {};
}

Status enable_nat(const Cidr& subnet, const std::optional<IfName>& out) {
  auto store = TRY(StateStore::lock());
  return enable_nat(store, subnet, out, "");
}

Status disable_nat(const Cidr& subnet) {
  auto store = TRY(StateStore::lock());
  Cidr s = subnet.subnet();
  std::string what = fmt::format("disable NAT for {}", s.str());
  std::vector<RecordRef> refs;
  for (const auto& [name, r] : TRY(store.read_all(kNatKind)))
    if (TRY(nat_of(r)).subnet == s) refs.push_back({kNatKind, name});
  if (refs.empty())
    return fail(Error::failed(
        fmt::format("{}: NAT is not enabled for it (see 'contain nat list')", what), ENOENT));
  return remove_records(store, refs, what);
}

Result<std::vector<NatInfo>> list_nat() {
  auto store = StateStore::reader();
  std::vector<NatInfo> out;
  for (const auto& [name, r] : TRY(store.read_all(kNatKind))) out.push_back(TRY(nat_of(r)));
  return out;
}

// --- Forwards ---

Status add_forward(const ForwardSpec& spec) {
  std::string what =
      fmt::format("forward {}", forward_name(spec.protocol, spec.host_port, spec.host_address));
  auto store = TRY(StateStore::lock());
  std::string key = forward_key(spec.protocol, spec.host_port, spec.host_address);
  if (auto existing = TRY(store.read(kForwardKind, key)))
    return fail(Error::failed(
        fmt::format("{}: it is already forwarded to {} (remove that first with 'contain forward "
                    "remove --host-port {} --proto {}')",
                    what, existing->value("to", "?"), spec.host_port.str(),
                    protocol_name(spec.protocol)),
        EEXIST));

  ForwardInfo info{spec.protocol, spec.host_port, spec.host_address, "", "", {}};
  std::vector<StoredTarget> targets;
  auto wanted = [&](int family) {
    return !spec.host_address || spec.host_address->family() == family;
  };
  if (const auto* ns = std::get_if<NetnsRef>(&spec.to)) {
    info.to = fmt::format("{}:{}", ns->text(), spec.to_port.str());
    info.owner = ns->owner();
    auto managed = TRY_WRAP(managed_address(store, *ns), what);
    // Loopback sources can be forwarded over IPv4 only: IPv6 has no route_localnet.
    if (managed.v4 && wanted(AF_INET))
      targets.push_back(
          {{managed.v4->address(), spec.to_port}, managed.v4->subnet(), managed.host_interface});
    if (managed.v6 && wanted(AF_INET6))
      targets.push_back({{managed.v6->address(), spec.to_port}, managed.v6->subnet(), {}});
    if (targets.empty())
      return fail(Error::failed(
          fmt::format("{}: {} has no IPv{} address to forward {} to", what, ns->describe(),
                      spec.host_address->is_v4() ? 4 : 6, spec.host_address->str()),
          EADDRNOTAVAIL));
  } else {
    const auto& ip = std::get<IpAddress>(spec.to);
    info.to = ip.is_v4() ? fmt::format("{}:{}", ip.str(), spec.to_port.str())
                         : fmt::format("[{}]:{}", ip.str(), spec.to_port.str());
    if (!wanted(ip.family()))
      return fail(Error::usage(fmt::format("{}: {} and {} are of different address families", what,
                                           spec.host_address->str(), ip.str())));
    StoredTarget t{{ip, spec.to_port}, {}, {}};
    auto link = spec.via ? std::optional<std::pair<std::string, Cidr>>(
                               {spec.via->first.str(), spec.via->second.subnet()})
                         : TRY_WRAP(host_link_towards(ip), what);
    if (link) {
      t.subnet = link->second;
      if (ip.is_v4()) t.localnet = link->first;
    }
    targets.push_back(std::move(t));
  }
  if (!spec.owner.empty()) info.owner = spec.owner;
  info.targets.clear();
  for (const auto& t : targets) info.targets.push_back(t.target);

  Undo undo;
  TRY_WRAP(store.write(kForwardKind, key, forward_record(info, targets)), what);
  undo.add([&] { (void)store.remove(kForwardKind, key); });
  for (const auto& t : targets) {
    TRY(enable_forwarding(t.target.address.family(), what));
    if (t.localnet) TRY(enable_route_localnet(store, *t.localnet, undo));
  }
  model::FirewallElements added;
  add_forward_elements(added, StoredForward{info, targets});
  TRY(apply(store, added, {}, what));
  undo.commit();
  return {};
}

Result<std::vector<ForwardInfo>> list_forwards() {
  auto store = StateStore::reader();
  std::vector<ForwardInfo> out;
  for (const auto& [name, r] : TRY(store.read_all(kForwardKind)))
    out.push_back(TRY(forward_of(r)).info);
  std::sort(out.begin(), out.end(), [](const ForwardInfo& a, const ForwardInfo& b) {
    return std::tie(a.host_port, a.protocol, a.host_address) <
           std::tie(b.host_port, b.protocol, b.host_address);
  });
  return out;
}

Status remove_forward(Protocol protocol, contain::Port host_port,
                      const std::optional<IpAddress>& host_address) {
  std::string what =
      fmt::format("remove forward of {}", forward_name(protocol, host_port, host_address));
  auto store = TRY(StateStore::lock());
  std::string key = forward_key(protocol, host_port, host_address);
  if (!TRY(store.read(kForwardKind, key)))
    return fail(Error::failed(
        fmt::format("{}: there is no such forward (see 'contain forward list')", what), ENOENT));
  return remove_records(store, {{kForwardKind, key}}, what);
}

// --- Isolation ---

Status isolate_network(const StateStore& store, const Cidr& subnet, const IfName& bridge,
                       std::string_view owner) {
  std::string what = fmt::format("isolate network on {}", bridge.str());
  if (TRY(store.read(kIsolationKind, bridge.str()))) return {};
  Undo undo;
  TRY_WRAP(store.write(
               kIsolationKind, bridge.str(),
               json{{"bridge", bridge.str()}, {"subnet", subnet.subnet().str()}, {"owner", owner}}),
           what);
  undo.add([&] { (void)store.remove(kIsolationKind, bridge.str()); });
  model::FirewallElements added;
  added.isolated_bridges.push_back(bridge.str());
  TRY(apply(store, added, {}, what));
  undo.commit();
  return {};
}

Status unisolate_network(const StateStore& store, const IfName& bridge) {
  return remove_records(store, {{kIsolationKind, bridge.str()}},
                        fmt::format("end isolation of {}", bridge.str()));
}

Status remove_firewall_owned_by(const StateStore& store, std::string_view owner) {
  return remove_firewall_owned_by(store, std::set<std::string>{std::string(owner)});
}

Status remove_firewall_owned_by(const StateStore& store, const std::set<std::string>& owners) {
  if (owners.empty()) return {};
  std::vector<RecordRef> refs;
  for (std::string_view kind : {kNatKind, kForwardKind, kIsolationKind})
    for (const auto& [name, r] : TRY(store.read_all(kind)))
      if (owners.contains(r.value("owner", ""))) refs.push_back({kind, name});
  return remove_records(
      store, refs,
      owners.size() == 1 ? fmt::format("remove the firewall entries of {}", *owners.begin())
                         : fmt::format("remove the firewall entries of {} owners", owners.size()));
}

Status remove_forwards_into(const StateStore& store, const Cidr& subnet) {
  std::vector<RecordRef> refs;
  for (const auto& [name, r] : TRY(store.read_all(kForwardKind))) {
    auto f = TRY(forward_of(r));
    if (std::any_of(f.info.targets.begin(), f.info.targets.end(),
                    [&](const model::ForwardTarget& t) { return subnet.contains(t.address); }))
      refs.push_back({kForwardKind, name});
  }
  return remove_records(store, refs,
                        fmt::format("remove the forwards into {}", subnet.subnet().str()));
}

// --- Garbage collection (contain gc) ---

Result<std::vector<std::string>> collect_firewall_garbage(
    const StateStore& store, const std::vector<std::pair<std::string, std::string>>& records) {
  std::string what = "collect firewall garbage";
  std::vector<std::string> done;
  auto nft = TRY_WRAP(kernel::Nftables::open(), what);
  auto table_in_kernel = [&]() -> Result<bool> {
    auto tables = TRY(nft.query("list tables inet\n", what));
    return tables.find(fmt::format("table inet {}", model::kFirewallTable)) != std::string::npos;
  };
  bool marked = TRY(store.read(kFirewallKind, kTableName)).has_value();
  bool in_kernel = TRY(table_in_kernel());
  // The table was deleted behind our back (nft flush ruleset): forget the
  // marker, so that it is made again from the records below.
  bool was_deleted = marked && !in_kernel;
  if (was_deleted) {
    TRY_WRAP(store.remove(kFirewallKind, kTableName), what);
    marked = false;
  }
  if (!marked && in_kernel) {
    TRY_WRAP(store.write(kFirewallKind, kTableName, json{{"family", "inet"}, {"name", "contain"}}),
             what);
    marked = true;
  }
  std::vector<RecordRef> refs;
  for (const auto& [kind, name] : records) {
    for (std::string_view k : {kNatKind, kForwardKind, kIsolationKind})
      if (kind == k) refs.push_back({k, name});
  }
  auto host = TRY_WRAP(kernel::NetlinkSocket::open(), what);
  auto localnet_line = [&](const std::string& ifname) {
    return kernel::get_link(host, ifname)
               ? fmt::format("restored route_localnet on {} (no forward needs it)", ifname)
               : fmt::format("removed the route_localnet record of {} (the link no longer exists)",
                             ifname);
  };
  auto localnet_before = TRY(store.list(kLocalnetKind));
  TRY(remove_records(store, refs, what));
  auto localnet_after = TRY(store.list(kLocalnetKind));
  for (const auto& ifname : localnet_before)
    if (std::find(localnet_after.begin(), localnet_after.end(), ifname) == localnet_after.end())
      done.push_back(localnet_line(ifname));
  auto left = TRY(load_all(store));
  if (left.elements.empty()) {
    if (TRY(table_in_kernel())) {
      TRY(nft.run(model::delete_table(), what));
      done.push_back(fmt::format("deleted the nftables table inet {} (no entry of ours is left)",
                                 model::kFirewallTable));
    }
    TRY_WRAP(store.remove(kFirewallKind, kTableName), what);
  } else {
    if (!TRY(table_in_kernel())) TRY(apply(store, {}, {}, what, &left));
    if (was_deleted)
      done.push_back(
          fmt::format("made the nftables table inet {} again from our records (it was "
                      "deleted outside contain)",
                      model::kFirewallTable));
  }
  // route_localnet set for forwards that are gone, or on links that are gone.
  for (const auto& ifname : localnet_after) {
    if (left.localnet_links.contains(ifname) && kernel::get_link(host, ifname)) continue;
    std::string line = localnet_line(ifname);
    release_route_localnet(store, {ifname}, {});
    done.push_back(std::move(line));
  }
  return done;
}

}  // namespace contain::engine
