#include "engine/network.hpp"

#include <fmt/format.h>
#include <linux/rtnetlink.h>

#include <map>
#include <set>

#include "core/undo.hpp"
#include "engine/firewall.hpp"
#include "engine/records.hpp"
#include "engine/state.hpp"
#include "kernel/addr.hpp"
#include "kernel/link.hpp"
#include "kernel/netns.hpp"
#include "model/ipam.hpp"

namespace contain::engine {

using nlohmann::json;

namespace {

Attachment attachment_of(const json& a, const NetworkInfo& n) {
  Attachment out;
  out.network = n.name;
  out.owner = a.value("owner", "");
  out.netns = a.contains("netns") && a["netns"].is_string() ? a["netns"].get<std::string>() : "";
  out.ifname = a.value("ifname", "");
  out.host = a.value("host", "");
  out.ip = IpAddress::parse(a.value("ip", "")).value_or(IpAddress());
  out.prefix = n.subnet.prefix();
  out.gateway = n.gateway;
  return out;
}

Result<NetworkInfo> info_of(const json& r) {
  NetworkInfo n;
  n.name = r.value("name", "");
  n.bridge = r.value("bridge", "");
  auto subnet = Cidr::parse(r.value("subnet", ""));
  auto gateway = IpAddress::parse(r.value("gateway", ""));
  if (!subnet || !gateway)
    return fail(Error::failed(fmt::format(
        "the record of network {} is corrupt; remove it and run 'contain gc'", quote(n.name))));
  n.subnet = *subnet;
  n.gateway = *gateway;
  n.nat = r.value("nat", true);
  n.isolated = r.value("isolated", true);
  for (const auto& a : r.value("attachments", json::array()))
    n.attachments.push_back(attachment_of(a, n));
  return n;
}

Result<json> load_network(const StateStore& store, const NetworkName& name) {
  auto record = TRY(store.read(kNetworkKind, name.str()));
  if (!record)
    return fail(Error::failed(
        fmt::format("network {} does not exist (see 'contain network list')", quote(name.str())),
        ENOENT));
  return std::move(*record);
}

// Removes the host end of an attachment if it still exists (and is ours); the
// kernel removes the namespace end with it.
Status remove_host_end(const kernel::NetlinkSocket& host, const std::string& name) {
  auto link = kernel::get_link(host, name);
  if (!link || !link->alias.starts_with(kAliasPrefix)) return {};
  return kernel::delete_link(host, link->ifindex);
}

// Forgets the link `host_name` in the record of namespace `netns`, if any.
Status forget_netns_link(const StateStore& store, const std::string& netns,
                         const std::string& host_name) {
  auto name = NetnsName::parse(netns);
  if (!name) return {};
  auto record = TRY(load_netns_record(store, *name));
  auto& links = record["links"];
  for (auto it = links.begin(); it != links.end(); ++it)
    if (it->value("name", "") == host_name) {
      links.erase(it);
      break;
    }
  return save_netns_record(store, *name, record);
}

}  // namespace

Result<NetworkInfo> create_network(const NetworkSpec& spec) {
  std::string what = fmt::format("create network {}", quote(spec.name.str()));
  // Pure checks first: bad input changes nothing.
  auto pool = TRY_WRAP(model::AddressPool::create(spec.subnet, spec.gateway), what);
  IfName bridge = TRY(IfName::parse(spec.name.bridge()));

  auto store = TRY(StateStore::lock());
  if (TRY(store.read(kNetworkKind, spec.name.str())))
    return fail(Error::failed(fmt::format("{}: it already exists (see 'contain network inspect {}')",
                                          what, spec.name.str()), EEXIST));
  auto host = TRY_WRAP(kernel::NetlinkSocket::open(), what);
  if (kernel::get_link(host, bridge.str()))
    return fail(Error::failed(fmt::format("{}: a link named {} already exists on the host", what,
                                          bridge.str()), EEXIST));

  // Overlaps: other managed networks, then addresses on the host.
  std::vector<model::ExistingSubnet> existing;
  for (const auto& other : TRY(store.list(kNetworkKind))) {
    auto record = TRY(store.read(kNetworkKind, other));
    if (!record) continue;
    if (auto s = Cidr::parse(record->value("subnet", "")))
      existing.push_back({fmt::format("network {} ({})", quote(other), s->str()), *s});
  }
  {
    auto links = TRY(kernel::list_links(host));
    std::map<int, std::string> names;
    for (const auto& l : links) names[l.ifindex] = l.name;
    for (const auto& a : TRY(kernel::list_addresses(host))) {
      if (a.scope == RT_SCOPE_HOST || a.scope == RT_SCOPE_LINK) continue;  // lo, fe80::/64
      existing.push_back({fmt::format("address {} on {}", a.cidr.str(), names[a.ifindex]),
                          a.cidr.subnet()});
    }
  }
  if (auto conflict = model::find_overlap(spec.subnet, existing))
    return fail(Error::failed(
        fmt::format("{}: subnet {} overlaps {}; choose another subnet", what, spec.subnet.str(),
                    conflict->owner),
        EEXIST));

  json record{{"name", spec.name.str()},     {"subnet", spec.subnet.str()},
              {"gateway", pool.gateway().str()}, {"bridge", bridge.str()},
              {"nat", spec.nat},             {"isolated", true},
              {"attachments", json::array()}};
  Undo undo;
  TRY_WRAP(store.write(kNetworkKind, spec.name.str(), record), what);
  undo.add([&] { (void)store.remove(kNetworkKind, spec.name.str()); });
  TRY_WRAP(kernel::create_bridge(host, bridge), what);
  auto link = TRY_WRAP(kernel::get_link(host, bridge.str()), what);
  undo.add([&host, ifindex = link.ifindex] { (void)kernel::delete_link(host, ifindex); });
  TRY_WRAP(kernel::set_link_alias(host, link.ifindex, owner_alias("network/" + spec.name.str())),
           what);
  TRY_WRAP(kernel::add_address(host, link.ifindex, pool.gateway_cidr()), what);
  // NAT to the outside unless --no-nat, and isolation from the other managed
  // networks: elements of the nftables table, owned by the network.
  std::string owner = "network/" + spec.name.str();
  undo.add([&store, owner] { (void)remove_firewall_owned_by(store, owner); });
  if (spec.nat) TRY_WRAP(enable_nat(store, spec.subnet, std::nullopt, owner), what);
  TRY_WRAP(isolate_network(store, spec.subnet, bridge, owner), what);
  undo.commit();
  return info_of(record);
}

Status delete_network(const NetworkName& name, bool force) {
  std::string what = fmt::format("delete network {}", quote(name.str()));
  auto store = TRY(StateStore::lock());
  json record = TRY(load_network(store, name));
  auto info = TRY(info_of(record));
  if (!info.attachments.empty() && !force) {
    std::string who;
    for (const auto& a : info.attachments) who += (who.empty() ? "" : ", ") + a.owner;
    return fail(Error::failed(
        fmt::format("{}: {} still attached ({}); detach them or use --force", what,
                    info.attachments.size(), who),
        EBUSY));
  }
  auto host = TRY_WRAP(kernel::NetlinkSocket::open(), what);
  // NAT and isolation go before the bridge does.
  TRY_WRAP(remove_firewall_owned_by(store, "network/" + name.str()), what);
  TRY_WRAP(remove_forwards_into(store, info.subnet), what);
  for (const auto& a : info.attachments) {
    TRY_WRAP(remove_host_end(host, a.host), what);
    if (!a.netns.empty()) TRY_WRAP(forget_netns_link(store, a.netns, a.host), what);
  }
  if (auto link = kernel::get_link(host, info.bridge);
      link && link->alias == owner_alias("network/" + name.str()))
    TRY_WRAP(kernel::delete_link(host, link->ifindex), what);
  TRY_WRAP(store.remove(kNetworkKind, name.str()), what);
  return {};
}

Result<std::vector<NetworkInfo>> list_networks() {
  auto store = StateStore::reader();
  std::vector<NetworkInfo> out;
  for (const auto& n : TRY(store.list(kNetworkKind))) {
    auto record = TRY(store.read(kNetworkKind, n));
    if (record) out.push_back(TRY(info_of(*record)));
  }
  return out;
}

Result<NetworkInfo> inspect_network(const NetworkName& name) {
  auto store = StateStore::reader();
  return info_of(TRY(load_network(store, name)));
}

Result<Attachment> attach_to_network(const NetworkName& network, const NetnsRef& netns,
                                     std::optional<IpAddress> ip, std::optional<IfName> ifname) {
  std::string what =
      fmt::format("attach {} to network {}", netns.describe(), quote(network.str()));
  auto store = TRY(StateStore::lock());
  json before = TRY(load_network(store, network));
  auto info = TRY(info_of(before));
  auto pool = TRY(model::AddressPool::create(info.subnet, info.gateway));
  std::set<IpAddress> taken;
  std::string owner = netns.owner();
  for (const auto& a : info.attachments) {
    taken.insert(a.ip);
    if (a.owner == owner)
      return fail(Error::failed(fmt::format("{}: it is already attached with address {}", what,
                                            a.ip.str()), EEXIST));
  }
  if (ip) TRY(pool.check_static(*ip, taken, network.str()));
  IpAddress address = ip ? *ip : TRY(pool.allocate(taken, network.str()));

  auto host = TRY_WRAP(kernel::NetlinkSocket::open(), what);
  auto bridge = TRY_WRAP(kernel::get_link(host, info.bridge), what);
  auto fd = TRY_WRAP(netns.open(), what);
  auto inside = TRY_WRAP(kernel::NetlinkSocket::open_in(fd.get()), what);
  IfName peer = ifname ? *ifname : TRY_WRAP(next_free_ifname(inside), what);
  if (ifname) TRY_WRAP(check_ifname_free(inside, peer, netns.describe()), what);
  IfName host_name = generate_host_ifname();

  // Both records are written before the veth exists.
  Undo undo;
  json record = before;
  record["attachments"].push_back(
      {{"owner", owner},
       {"netns", netns.name() ? json(netns.name()->str()) : json(nullptr)},
       {"ifname", peer.str()},
       {"host", host_name.str()},
       {"ip", address.str()}});
  TRY_WRAP(store.write(kNetworkKind, network.str(), record), what);
  undo.add([&] { (void)store.write(kNetworkKind, network.str(), before); });
  if (const NetnsName* name = netns.name()) {
    json ns_before = TRY(load_netns_record(store, *name));
    json ns_record = ns_before;
    ns_record["links"].push_back({{"name", host_name.str()}, {"ifindex", 0},
                                  {"peer", peer.str()}, {"kind", "veth"},
                                  {"bridge", info.bridge}, {"network", network.str()},
                                  {"address", pool.with_prefix(address).str()}});
    TRY_WRAP(save_netns_record(store, *name, ns_record), what);
    undo.add([&store, name, ns_before] { (void)save_netns_record(store, *name, ns_before); });
  }
  PortRequest request{owner, fd.get(), &inside, bridge.ifindex, host_name, peer,
                      pool.with_prefix(address), info.gateway, false};
  TRY_WRAP(create_ports(host, {request}), what);
  undo.commit();
  info = TRY(info_of(record));
  return info.attachments.back();
}

Status detach_from_network(const NetworkName& network, const NetnsRef& netns) {
  std::string what =
      fmt::format("detach {} from network {}", netns.describe(), quote(network.str()));
  auto store = TRY(StateStore::lock());
  json record = TRY(load_network(store, network));
  std::string owner = netns.owner();
  auto& attachments = record["attachments"];
  auto it = std::find_if(attachments.begin(), attachments.end(),
                         [&](const json& a) { return a.value("owner", "") == owner; });
  if (it == attachments.end())
    return fail(Error::failed(fmt::format("{}: it is not attached (see 'contain network inspect "
                                          "{}')", what, network.str()), ENOENT));
  std::string host_name = it->value("host", "");
  auto host = TRY_WRAP(kernel::NetlinkSocket::open(), what);
  TRY_WRAP(remove_host_end(host, host_name), what);
  attachments.erase(it);
  TRY_WRAP(store.write(kNetworkKind, network.str(), record), what);
  if (const NetnsName* name = netns.name())
    TRY_WRAP(forget_netns_link(store, name->str(), host_name), what);
  return {};
}

Status release_attachments(const StateStore& store, const std::vector<std::string>& owners) {
  std::set<std::string> gone(owners.begin(), owners.end());
  for (const auto& n : TRY(store.list(kNetworkKind))) {
    auto record = TRY(store.read(kNetworkKind, n));
    if (!record) continue;
    auto& attachments = (*record)["attachments"];
    auto size = attachments.size();
    for (auto it = attachments.begin(); it != attachments.end();) {
      if (gone.contains(it->value("owner", "")))
        it = attachments.erase(it);
      else
        ++it;
    }
    if (attachments.size() != size) TRY(store.write(kNetworkKind, n, *record));
  }
  return {};
}

}  // namespace contain::engine
