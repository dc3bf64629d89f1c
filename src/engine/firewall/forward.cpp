#include "engine/firewall/forward.hpp"

#include <fmt/format.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <set>

#include "core/undo.hpp"
#include "engine/firewall/table.hpp"
#include "engine/records.hpp"
#include "kernel/netlink/addr.hpp"
#include "kernel/netlink/link.hpp"
#include "kernel/netns.hpp"
#include "kernel/sysctl.hpp"

namespace contain::engine {

namespace {

using nlohmann::json;
using namespace firewall_detail;

std::string localnet_key(std::string_view ifname) {
  return fmt::format("net/ipv4/conf/{}/route_localnet", ifname);
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

// route_localnet on `ifname`, remembering the previous value in the store (the
// record is written first, so a crash leaves something to restore).
Status enable_route_localnet(const StateStore& store, const std::string& ifname, Undo& undo) {
  if (TRY(store.get<LocalnetRecord>(ifname))) return {};
  std::string what = fmt::format("allow forwarding 127.0.0.1 through {}", ifname);
  auto previous = TRY_WRAP(kernel::read_sysctl(localnet_key(ifname)), what);
  TRY_WRAP(store.put(ifname, LocalnetRecord{previous}), what);
  undo.add([&store, ifname] { (void)store.erase<LocalnetRecord>(ifname); });
  if (previous != "1") {
    TRY_WRAP(kernel::write_sysctl(localnet_key(ifname), "1"), what);
    undo.add([ifname, previous] { (void)kernel::write_sysctl(localnet_key(ifname), previous); });
  }
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

namespace firewall_detail {

void add_forward_elements(model::FirewallElements& e, const ForwardRecord& f) {
  e.forwards.push_back({f.protocol, f.host_port, f.host_address, f.endpoints()});
  for (const auto& t : f.targets)
    if (t.subnet) e.hairpins.push_back({t.address, *t.subnet});
}

void release_route_localnet(const StateStore& store, const std::set<std::string>& candidates,
                            const std::set<std::string>& still_used) {
  for (const auto& ifname : candidates) {
    if (still_used.contains(ifname)) continue;
    auto r = store.get<LocalnetRecord>(ifname);
    if (r && *r && (*r)->previous != "1")
      (void)kernel::write_sysctl(localnet_key(ifname), (*r)->previous);
    (void)store.erase<LocalnetRecord>(ifname);
  }
}

}  // namespace firewall_detail

Result<ManagedAddress> managed_address(const StoreReader& store, const NetnsRef& netns) {
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

// --- Forwards ---

namespace {

// A forward decided: its record and the record's key.
struct PlannedForward {
  std::string what;
  std::string key;
  ForwardRecord record;
};

// Decides a forward under the caller's lock, changing nothing; `taken`: keys
// planned earlier in the same batch.
Result<PlannedForward> plan_forward(const StoreReader& store, const ForwardSpec& spec,
                                    const std::set<std::string>& taken) {
  std::string what =
      fmt::format("forward {}", forward_name(spec.protocol, spec.host_port, spec.host_address));
  std::string key = forward_key(spec.protocol, spec.host_port, spec.host_address);
  if (taken.contains(key)) return fail(Error::usage(fmt::format("{}: it is given twice", what)));
  if (auto existing = TRY(store.get<ForwardRecord>(key)))
    return fail(Error::failed(
        fmt::format("{}: it is already forwarded to {} (remove that first with 'contain forward "
                    "remove --host-port {} --proto {}')",
                    what, existing->to.empty() ? "?" : existing->to, spec.host_port.str(),
                    protocol_name(spec.protocol)),
        EEXIST));

  ForwardRecord info{
      .protocol = spec.protocol, .host_port = spec.host_port, .host_address = spec.host_address};
  auto& targets = info.targets;
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
          {managed.v4->address(), spec.to_port, managed.v4->subnet(), managed.host_interface});
    if (managed.v6 && wanted(AF_INET6))
      targets.push_back({managed.v6->address(), spec.to_port, managed.v6->subnet(), {}});
    if (targets.empty())
      return fail(Error::failed(
          fmt::format("{}: {} has no IPv{} address to forward {} to", what, ns->describe(),
                      spec.host_address->is_v4() ? 4 : 6, spec.host_address->str()),
          EADDRNOTAVAIL));
  } else {
    const auto& ip = std::get<IpAddress>(spec.to);
    info.to = Endpoint{ip, spec.to_port}.str();
    if (!wanted(ip.family()) &&
        std::none_of(spec.more_to.begin(), spec.more_to.end(),
                     [&](const IpAddress& m) { return wanted(m.family()); }))
      return fail(Error::usage(fmt::format("{}: {} and {} are of different address families", what,
                                           spec.host_address->str(), ip.str())));
    std::vector<IpAddress> addresses{ip};
    addresses.insert(addresses.end(), spec.more_to.begin(), spec.more_to.end());
    for (std::size_t i = 0; i < addresses.size(); ++i) {
      const IpAddress& to = addresses[i];
      if (!wanted(to.family())) continue;
      ForwardTargetRecord t{to, spec.to_port, {}, {}};
      auto link = i == 0 && spec.via ? std::optional<std::pair<std::string, Cidr>>(
                                           {spec.via->first.str(), spec.via->second.subnet()})
                  : i > 0 && spec.via && i - 1 < spec.more_via.size()
                      ? std::optional<std::pair<std::string, Cidr>>(
                            {spec.via->first.str(), spec.more_via[i - 1].subnet()})
                      : TRY_WRAP(host_link_towards(to), what);
      if (link) {
        t.subnet = link->second;
        if (to.is_v4()) t.localnet = link->first;
      }
      targets.push_back(std::move(t));
    }
  }
  if (!spec.owner.empty()) info.owner = spec.owner;
  return PlannedForward{std::move(what), std::move(key), std::move(info)};
}

}  // namespace

Status add_forward(const ForwardSpec& spec) { return add_forwards({spec}); }

Status add_forwards(const std::vector<ForwardSpec>& specs) {
  if (specs.empty()) return {};
  auto store = TRY(StateStore::lock());
  std::vector<PlannedForward> planned;
  std::set<std::string> keys;
  for (const auto& spec : specs) {
    planned.push_back(TRY(plan_forward(store, spec, keys)));
    keys.insert(planned.back().key);
  }
  std::string what = planned.size() == 1 ? planned.front().what
                                         : fmt::format("forward {} host ports", planned.size());

  // "creating" until their elements are in the table: gc removes a half-made
  // forward (and restores route_localnet from its record). Every element goes
  // in one transaction, however many forwards.
  Undo undo;
  std::set<int> families;
  model::FirewallElements added;
  for (const auto& p : planned) {
    ForwardRecord creating = p.record;
    creating.phase = record::Phase::creating;
    TRY_WRAP(store.put(p.key, creating), p.what);
    undo.add([&store, key = p.key] { (void)store.erase<ForwardRecord>(key); });
    for (const auto& t : p.record.targets) {
      if (families.insert(t.address.family()).second)
        TRY(enable_forwarding(t.address.family(), p.what));
      if (t.localnet) TRY(enable_route_localnet(store, *t.localnet, undo));
    }
    add_forward_elements(added, p.record);
  }
  TRY(apply(store, added, {}, what));
  for (const auto& p : planned) TRY_WRAP(store.put(p.key, p.record), p.what);
  undo.commit();
  return {};
}

Result<std::vector<ForwardRecord>> list_forwards(const StoreReader& store) {
  std::vector<ForwardRecord> out;
  for (auto& [name, f] : TRY(store.get_all<ForwardRecord>())) out.push_back(std::move(f));
  std::sort(out.begin(), out.end(), [](const ForwardRecord& a, const ForwardRecord& b) {
    return std::tie(a.host_port, a.protocol, a.host_address) <
           std::tie(b.host_port, b.protocol, b.host_address);
  });
  return out;
}

Result<std::vector<ForwardRecord>> list_forwards() { return list_forwards(StateStore::reader()); }

Status remove_forward(Protocol protocol, contain::Port host_port,
                      const std::optional<IpAddress>& host_address) {
  std::string what =
      fmt::format("remove forward of {}", forward_name(protocol, host_port, host_address));
  auto store = TRY(StateStore::lock());
  std::string key = forward_key(protocol, host_port, host_address);
  if (!TRY(store.get<ForwardRecord>(key)))
    return fail(Error::failed(
        fmt::format("{}: there is no such forward (see 'contain forward list')", what), ENOENT));
  return remove_records(store, {{ForwardRecord::kKind, key}}, what);
}

Status remove_forwards_into(const StateStore& store, const Cidr& subnet) {
  std::vector<RecordRef> refs;
  TRY(store.visit<ForwardRecord>([&](const std::string& name, const ForwardRecord& f) -> Status {
    if (std::any_of(f.targets.begin(), f.targets.end(),
                    [&](const ForwardTargetRecord& t) { return subnet.contains(t.address); }))
      refs.push_back({ForwardRecord::kKind, name});
    return {};
  }));
  return remove_records(store, refs,
                        fmt::format("remove the forwards into {}", subnet.subnet().str()));
}

}  // namespace contain::engine
