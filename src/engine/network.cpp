#include "engine/network.hpp"

#include <fmt/format.h>
#include <linux/rtnetlink.h>
#include <netlink/socket.h>

#include <chrono>
#include <map>
#include <set>

#include "core/undo.hpp"
#include "engine/firewall.hpp"
#include "engine/net.hpp"
#include "engine/records.hpp"
#include "engine/release.hpp"
#include "engine/state.hpp"
#include "kernel/netlink/addr.hpp"
#include "kernel/netlink/link.hpp"
#include "kernel/netlink/route.hpp"
#include "kernel/netns.hpp"
#include "model/ipam.hpp"

namespace contain::engine {

namespace {

Attachment attachment_of(const NetworkAttachmentRecord& a, const NetworkInfo& n) {
  Attachment out;
  out.network = n.name;
  out.owner = a.owner;
  out.netns = a.netns.value_or("");
  out.ref = a.ref.value_or("");
  out.netns_id = a.netns_id.value_or("");
  out.ifname = a.ifname;
  out.host = a.host;
  out.bridge = n.bridge;
  out.ip = a.address;
  out.prefix = n.subnet.prefix();
  out.gateway = n.gateway;
  for (std::size_t i = 0; i < n.more_subnets.size(); ++i) {
    const auto& s = n.more_subnets[i];
    IpAddress ip = i < a.more_addresses.size() ? a.more_addresses[i] : IpAddress();
    out.more.push_back({ip, s.subnet.prefix(), s.gateway, false});
  }
  return out;
}

NetworkSubnet subnet_of(const NetworkSubnetRecord& r) {
  NetworkSubnet out{r.subnet, r.gateway, std::nullopt};
  if (r.range_start && r.range_end)
    out.ip_range = model::AddressRange{*r.range_start, *r.range_end};
  return out;
}

NetworkSubnetRecord subnet_record(const Cidr& subnet, const IpAddress& gateway,
                                  const std::optional<model::AddressRange>& range) {
  NetworkSubnetRecord r{subnet, gateway, std::nullopt, std::nullopt};
  if (range) {
    r.range_start = range->first;
    r.range_end = range->last;
  }
  return r;
}

NetworkInfo info_of(const NetworkRecord& r) {
  NetworkInfo n;
  n.name = r.name;
  n.bridge = r.bridge;
  auto first = subnet_of(r.first);
  n.subnet = first.subnet;
  n.gateway = first.gateway;
  n.ip_range = first.ip_range;
  for (const auto& s : r.more_subnets) n.more_subnets.push_back(subnet_of(s));
  n.mtu = r.mtu;
  n.nat = r.nat;
  n.isolated = r.isolated;
  for (const auto& a : r.attachments) n.attachments.push_back(attachment_of(a, n));
  return n;
}

// Addresses whose owner is gone while the kernel still destroys its veth with
// its namespace (that is asynchronous and can take tens of ms): the record's
// "releasing" entries. Such an address is taken until that link is gone; an
// attach drops the entries whose link has gone, and waits (bounded) only for
// those whose address it must have.
// An entry without an ifindex (0: the owner's attachment to another network,
// whose ifindex it did not know) is matched by its host end's name alone.
std::optional<int> releasing_link(const kernel::NetlinkSocket& host, const ReleasingRecord& entry) {
  auto link = kernel::get_link(host, entry.host);
  if (!link || (entry.ifindex != 0 && link->ifindex != entry.ifindex)) return std::nullopt;
  return link->ifindex;
}
bool releasing_link_alive(const kernel::NetlinkSocket& host, const ReleasingRecord& entry) {
  return releasing_link(host, entry).has_value();
}

// Settles record.releasing: drops entries whose link is gone; of those still
// there, waits for the ones whose address is in `needed` (every one if `all`),
// deleting any link still present after the bound (something holds its
// namespace); those entries are added to `deleted` if given.
Status settle_releasing(const kernel::NetlinkSocket& host, NetworkRecord& record,
                        const std::set<IpAddress>& needed, bool all,
                        std::vector<ReleasingRecord>* deleted = nullptr) {
  if (record.releasing.empty()) return {};
  std::vector<ReleasingRecord> must_wait;
  std::vector<ReleasingRecord> keep;
  for (const auto& entry : record.releasing) {
    if (!releasing_link_alive(host, entry)) continue;
    if (all || needed.contains(entry.address))
      must_wait.push_back(entry);
    else
      keep.push_back(entry);
  }
  if (!must_wait.empty()) {
    // Subscribe, then look again, so that no removal can slip in between.
    auto watch = TRY(kernel::NetlinkSocket::open());
    nl_socket_disable_seq_check(watch.get());
    nl_socket_set_buffer_size(watch.get(), 1 << 20, 0);
    TRY(watch.check(nl_socket_add_membership(watch.get(), RTNLGRP_LINK), "watch link changes"));
    std::set<int> wait;
    std::map<int, const ReleasingRecord*> entry_of;
    for (const auto& entry : must_wait)
      if (auto ifindex = releasing_link(host, entry)) {
        wait.insert(*ifindex);
        entry_of[*ifindex] = &entry;
      }
    if (!wait.empty())
      for (int ifindex :
           kernel::wait_for_links_gone(watch, wait, std::chrono::milliseconds(2000))) {
        if (auto gone = kernel::delete_link(watch, ifindex); !gone && gone.error().code() != ENODEV)
          return fail(std::move(gone).error());
        if (deleted) deleted->push_back(*entry_of[ifindex]);
      }
  }
  record.releasing = std::move(keep);
  return {};
}

Result<NetworkRecord> load_network(const StoreReader& store, const NetworkName& name) {
  auto record = TRY(store.get<NetworkRecord>(name.str()));
  if (!record)
    return fail(Error::failed(
        fmt::format("network {} does not exist (see 'contain network list')", quote(name.str())),
        ENOENT));
  return std::move(*record);
}

}  // namespace

Result<model::AddressPool> pool_of(const NetworkInfo& info) {
  return TRY_WRAP(model::AddressPool::create(info.subnet, info.gateway, info.ip_range),
                  fmt::format("the record of network {}", quote(info.name)));
}

Result<model::AddressPool> pool_of(const NetworkInfo& info, std::size_t index) {
  const auto& s = info.more_subnets.at(index);
  return TRY_WRAP(model::AddressPool::create(s.subnet, s.gateway, s.ip_range),
                  fmt::format("the record of network {}", quote(info.name)));
}

NetworkInfo network_info(const NetworkRecord& record) { return info_of(record); }

Result<NetworkInfo> create_network(const NetworkSpec& spec) {
  std::string what = fmt::format("create network {}", quote(spec.name.str()));
  // Pure checks first: bad input changes nothing.
  auto pools = TRY(model::network_pools(spec));
  const model::AddressPool pool = pools.front();
  const std::vector<model::AddressPool> more_pools(pools.begin() + 1, pools.end());
  std::vector<Cidr> subnets;
  for (const auto& p : pools) subnets.push_back(p.subnet());
  IfName bridge = TRY(IfName::parse(spec.name.bridge()));

  auto store = TRY(StateStore::lock());
  if (TRY(store.get<NetworkRecord>(spec.name.str())))
    return fail(
        Error::failed(fmt::format("{}: it already exists (see 'contain network inspect {}')", what,
                                  spec.name.str()),
                      EEXIST));
  auto host = TRY_WRAP(kernel::NetlinkSocket::open(), what);
  if (kernel::get_link(host, bridge.str()))
    return fail(Error::failed(
        fmt::format("{}: a link named {} already exists on the host", what, bridge.str()), EEXIST));

  // Overlaps: other managed networks, then addresses on the host.
  std::vector<model::ExistingSubnet> existing;
  TRY(store.visit<NetworkRecord>([&](const std::string& other, const NetworkRecord& record) {
    existing.push_back({fmt::format("network {} ({})", quote(other), record.first.subnet.str()),
                        record.first.subnet});
    for (const auto& m : record.more_subnets)
      existing.push_back({fmt::format("network {} ({})", quote(other), m.subnet.str()), m.subnet});
    return Status{};
  }));
  {
    auto links = TRY(kernel::list_links(host));
    std::map<int, std::string> names;
    for (const auto& l : links) names[l.ifindex] = l.name;
    for (const auto& a : TRY(kernel::list_addresses(host))) {
      if (a.scope == RT_SCOPE_HOST || a.scope == RT_SCOPE_LINK) continue;  // lo, fe80::/64
      existing.push_back(
          {fmt::format("address {} on {}", a.cidr.str(), names[a.ifindex]), a.cidr.subnet()});
    }
  }
  for (const auto& subnet : subnets)
    if (auto conflict = model::find_overlap(subnet, existing))
      return fail(Error::failed(fmt::format("{}: subnet {} overlaps {}; choose another subnet",
                                            what, subnet.str(), conflict->owner),
                                EEXIST));

  NetworkRecord record;
  record.name = spec.name.str();
  record.first = subnet_record(spec.subnet, pool.gateway(), spec.ip_range);
  record.bridge = bridge.str();
  record.nat = spec.nat;
  record.isolated = true;
  record.mtu = spec.mtu;
  for (const auto& p : more_pools)
    record.more_subnets.push_back(subnet_record(p.subnet(), p.gateway(), p.range()));
  Undo undo;
  TRY_WRAP(store.put(spec.name.str(), record), what);
  undo.add([&] { (void)store.erase<NetworkRecord>(spec.name.str()); });
  std::string owner = network_owner(spec.name.str());
  TRY_WRAP(make_owned_bridge(host, bridge, owner, pool.gateway_cidr(), undo, spec.mtu), what);
  if (!more_pools.empty()) {
    auto link = TRY_WRAP(kernel::get_link(host, bridge.str()), what);
    for (const auto& p : more_pools)
      TRY_WRAP(kernel::add_address(host, link.ifindex, p.gateway_cidr()), what);
  }
  // NAT to the outside unless --no-nat, and isolation from the other managed
  // networks: elements of the nftables table, owned by the network.
  undo.add([&store, owner] { (void)remove_firewall_owned_by(store, owner); });
  if (spec.nat)
    for (const auto& subnet : subnets)
      TRY_WRAP(enable_nat(store, subnet, std::nullopt, owner), what);
  TRY_WRAP(isolate_network(store, spec.subnet, bridge, owner), what);
  undo.commit();
  return info_of(record);
}

Status delete_network(const NetworkName& name, bool force) {
  std::string what = fmt::format("delete network {}", quote(name.str()));
  auto store = TRY(StateStore::lock());
  NetworkRecord record = TRY(load_network(store, name));
  auto info = info_of(record);
  if (!info.attachments.empty() && !force) {
    std::string who;
    for (const auto& a : info.attachments) who += (who.empty() ? "" : ", ") + a.owner;
    return fail(Error::failed(fmt::format("{}: {} still attached ({}); detach them or use --force",
                                          what, info.attachments.size(), who),
                              EBUSY));
  }
  auto host = TRY_WRAP(kernel::NetlinkSocket::open(), what);
  // From here on it only goes: gc finishes what a kill leaves half done.
  record.phase = record::Phase::deleting;
  TRY_WRAP(store.put(name.str(), record), what);
  TRY_WRAP(finish_network_delete(store, host, name.str(), record), what);
  return {};
}

Status finish_network_delete(const StateStore& store, const kernel::NetlinkSocket& host,
                             const std::string& name, NetworkRecord record) {
  // Veths of exited containers still being destroyed, NAT and isolation,
  // forwards into its subnets, its attachments' links: all before the bridge
  // (release.hpp).
  TRY(release_owned_by(&store, {network_owner(name)},
                       {.event = ReleaseEvent::network_deleted, .network = name}));
  if (auto link = kernel::get_link(host, record.bridge);
      link && link->alias == owner_alias(network_owner(name)))
    TRY(kernel::delete_link(host, link->ifindex));
  TRY(store.erase<NetworkRecord>(name));
  return {};
}

Result<std::vector<NetworkInfo>> list_networks() {
  auto store = StateStore::reader();
  std::vector<NetworkInfo> out;
  TRY(store.visit<NetworkRecord>([&](const std::string&, const NetworkRecord& record) {
    out.push_back(info_of(record));
    return Status{};
  }));
  return out;
}

Result<NetworkInfo> inspect_network(const NetworkName& name) {
  auto store = StateStore::reader();
  return info_of(TRY(load_network(store, name)));
}

Result<std::vector<Attachment>> attach_many_to_network(const NetworkName& network,
                                                       const std::vector<AttachRequest>& requests) {
  std::string what = requests.size() == 1
                         ? fmt::format("attach {} to network {}", requests[0].netns.describe(),
                                       quote(network.str()))
                         : fmt::format("attach {} namespaces to network {}", requests.size(),
                                       quote(network.str()));
  auto store = TRY(StateStore::lock());
  NetworkRecord before = TRY(load_network(store, network));
  auto info = info_of(before);
  auto pool = TRY(pool_of(info));
  std::set<IpAddress> wanted;
  for (const auto& r : requests) {
    if (r.ip) wanted.insert(*r.ip);
    wanted.insert(r.more_ips.begin(), r.more_ips.end());
  }
  // Each further static address belongs to the further subnet that holds it.
  std::vector<std::vector<std::optional<IpAddress>>> more_static(
      info.more_subnets.size(), std::vector<std::optional<IpAddress>>(requests.size()));
  for (std::size_t i = 0; i < requests.size(); ++i)
    for (const auto& ip : requests[i].more_ips) {
      auto k = std::find_if(info.more_subnets.begin(), info.more_subnets.end(),
                            [&](const NetworkSubnet& s) { return s.subnet.contains(ip); });
      if (k == info.more_subnets.end()) {
        std::string subnets = info.subnet.str();
        for (const auto& m : info.more_subnets) subnets += ", " + m.subnet.str();
        return fail(Error::usage(
            fmt::format("{}: address {} is in none of its subnets ({})", what, ip.str(), subnets)));
      }
      auto& slot = more_static[static_cast<std::size_t>(k - info.more_subnets.begin())][i];
      if (slot)
        return fail(Error::usage(fmt::format("{}: addresses {} and {} are both in subnet {}", what,
                                             slot->str(), ip.str(), k->subnet.str())));
      slot = ip;
    }
  auto host = TRY_WRAP(kernel::NetlinkSocket::open(), what);
  TRY_WRAP(settle_releasing(host, before, wanted, false), what);
  std::map<std::string, IpAddress> attached;  // owner -> address
  for (const auto& a : info.attachments) attached.emplace(a.owner, a.ip);
  std::set<IpAddress> releasing;
  for (const auto& entry : before.releasing) releasing.insert(entry.address);
  // Every address is decided (and every static one checked) before anything changes.
  std::vector<model::AddressRequest> wanted_addresses;
  for (const auto& r : requests)
    wanted_addresses.push_back({r.netns.owner(), r.netns.describe(), r.ip});
  auto plan =
      TRY(model::plan_addresses(pool, attached, releasing, wanted_addresses, network.str(), what));
  bool wait_for_releasing = plan.wait_for_releasing;
  // The same choice in each further subnet.
  std::vector<model::AddressPool> more_pools;
  std::vector<std::vector<IpAddress>> more_addresses;  // [subnet][request]
  for (std::size_t k = 0; k < info.more_subnets.size(); ++k) {
    more_pools.push_back(TRY(pool_of(info, k)));
    std::map<std::string, IpAddress> attached_k;
    for (const auto& a : info.attachments)
      if (k < a.more.size()) attached_k.emplace(a.owner, a.more[k].ip);
    std::set<IpAddress> releasing_k;
    for (const auto& entry : before.releasing)
      if (k < entry.more_addresses.size()) releasing_k.insert(entry.more_addresses[k]);
    std::vector<model::AddressRequest> wanted_k;
    for (std::size_t i = 0; i < requests.size(); ++i)
      wanted_k.push_back(
          {requests[i].netns.owner(), requests[i].netns.describe(), more_static[k][i]});
    auto plan_k = TRY(model::plan_addresses(more_pools.back(), attached_k, releasing_k, wanted_k,
                                            network.str(), what));
    wait_for_releasing |= plan_k.wait_for_releasing;
    more_addresses.push_back(std::move(plan_k.addresses));
  }
  if (wait_for_releasing) TRY_WRAP(settle_releasing(host, before, {}, true), what);
  const std::vector<IpAddress>& addresses = plan.addresses;

  auto bridge = TRY_WRAP(kernel::get_link(host, info.bridge), what);
  // One descriptor and one netlink socket per namespace.
  std::vector<UniqueFd> fds;
  std::vector<kernel::NetlinkSocket> sockets;
  std::vector<IfName> peers, host_names;
  std::vector<char> routes;  // whether each gets the default route via the gateway
  std::vector<std::vector<char>> more_routes(requests.size());  // the same, per further subnet
  fds.reserve(requests.size());
  sockets.reserve(requests.size());
  for (const auto& r : requests) {
    fds.push_back(TRY_WRAP(r.netns.open(), what));
    sockets.push_back(TRY_WRAP(kernel::NetlinkSocket::open_in(fds.back().get()), what));
    peers.push_back(r.ifname ? *r.ifname : TRY_WRAP(next_free_ifname(sockets.back()), what));
    if (r.ifname)
      TRY_WRAP(check_ifname_free(sockets.back(), peers.back(), r.netns.describe()), what);
    host_names.push_back(generate_host_ifname());
    // The first network of a namespace gives its default route; a later one
    // only its subnet route (the address brings it), unless asked to replace.
    routes.push_back(
        r.replace_default_route ||
        !TRY_WRAP(kernel::find_default_route(sockets.back(), info.subnet.family()), what));
    for (const auto& m : info.more_subnets)
      more_routes[sockets.size() - 1].push_back(
          r.replace_default_route ||
          !TRY_WRAP(kernel::find_default_route(sockets.back(), m.subnet.family()), what));
  }

  // The records are written before the veths exist. (Declared before the Undo,
  // whose steps read them, so they outlive it.)
  std::vector<std::pair<NetnsKey, AnyNetnsRecord>> ns_before;
  Undo undo;
  NetworkRecord record = before;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const NetnsRef& netns = requests[i].netns;
    const NetnsName* name = netns.name();
    NetworkAttachmentRecord a;
    a.owner = netns.owner();
    if (name) a.netns = name->str();
    a.ifname = peers[i].str();
    a.host = host_names[i].str();
    a.address = addresses[i];
    a.phase = record::Phase::creating;
    if (auto id = netns.id()) {
      a.netns_id = id->str();
      a.ref = netns.text();
    }
    for (const auto& list : more_addresses) a.more_addresses.push_back(list[i]);
    record.attachments.push_back(std::move(a));
  }
  TRY_WRAP(store.put(network.str(), record), what);
  undo.add([&] { (void)store.put(network.str(), before); });
  undo.add([&] {
    for (const auto& [name, r] : ns_before) (void)save_netns_record(store, name, r);
  });
  for (std::size_t i = 0; i < requests.size(); ++i) {
    auto key = netns_key(requests[i].netns);
    if (!key) continue;
    AnyNetnsRecord ns_record = TRY(load_netns_record(store, *key));
    ns_before.emplace_back(*key, ns_record);
    NetnsLink link;
    link.name = host_names[i].str();
    link.peer = peers[i].str();
    link.bridge = info.bridge;
    link.network = network.str();
    link.address = pool.with_prefix(addresses[i]).str();
    link.phase = record::Phase::creating;
    ns_record.links().push_back(std::move(link));
    TRY_WRAP(save_netns_record(store, *key, ns_record), what);
  }
  std::vector<BridgeLinkRequest> links;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    links.push_back({requests[i].netns.owner(), fds[i].get(), &sockets[i], bridge.ifindex,
                     host_names[i], peers[i], pool.with_prefix(addresses[i]),
                     routes[i] ? std::optional<IpAddress>(info.gateway) : std::nullopt, false,
                     requests[i].replace_default_route, info.mtu});
    for (std::size_t k = 0; k < more_pools.size(); ++k) {
      links.back().more_addresses.push_back(more_pools[k].with_prefix(more_addresses[k][i]));
      if (more_routes[i][k]) links.back().more_gateways.push_back(more_pools[k].gateway());
    }
  }
  auto made = TRY_WRAP(create_bridge_links(host, links), what);
  // Complete: the namespaces' links, then the network's attachments, the
  // last word (gc undoes an attachment still "creating", link and all).
  for (std::size_t i = 0; i < requests.size(); ++i) {
    auto key = netns_key(requests[i].netns);
    if (!key) continue;
    AnyNetnsRecord ns_record = TRY(load_netns_record(store, *key));
    if (auto* l = ns_record.link(host_names[i].str())) l->phase = record::Phase::whole;
    TRY_WRAP(save_netns_record(store, *key, ns_record), what);
  }
  for (auto& a : record.attachments) a.phase = record::Phase::whole;
  TRY_WRAP(store.put(network.str(), record), what);
  undo.commit();
  info = info_of(record);
  std::vector<Attachment> out(info.attachments.end() - static_cast<long>(requests.size()),
                              info.attachments.end());
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i].host_ifindex = made[i].host_ifindex;
    out[i].default_route = routes[i];
    for (std::size_t k = 0; k < out[i].more.size(); ++k)
      out[i].more[k].default_route = more_routes[i][k];
  }
  return out;
}

Result<Attachment> attach_to_network(const NetworkName& network, const NetnsRef& netns,
                                     std::optional<IpAddress> ip, std::optional<IfName> ifname,
                                     bool replace_default_route) {
  auto attachments =
      TRY(attach_many_to_network(network, {{netns, ip, ifname, replace_default_route}}));
  return attachments.front();
}

Status detach_from_network(const NetworkName& network, const NetnsRef& netns) {
  std::string what =
      fmt::format("detach {} from network {}", netns.describe(), quote(network.str()));
  auto store = TRY(StateStore::lock());
  NetworkRecord record = TRY(load_network(store, network));
  std::string owner = netns.owner();
  auto& attachments = record.attachments;
  auto it = std::find_if(attachments.begin(), attachments.end(),
                         [&](const NetworkAttachmentRecord& a) { return a.owner == owner; });
  if (it == attachments.end())
    return fail(Error::failed(fmt::format("{}: it is not attached (see 'contain network inspect "
                                          "{}')",
                                          what, network.str()),
                              ENOENT));
  // Forwards to the addresses it had on this network would lead nowhere; its
  // host end goes (the namespace end with it), then its addresses (release.hpp).
  TRY_WRAP(release_owned_by(&store, {owner},
                            {.event = ReleaseEvent::attachment_detached, .network = network.str()}),
           what);
  return {};
}

namespace {

// Removes the attachments of `owners` from every network's record; with
// `releasing_ifindex`, keeps their addresses taken as "releasing" until that link (on
// network `releasing_network`; by name on the others) is gone.
Status take_attachments(const StateStore& store, const std::set<std::string>& owners,
                        std::optional<int> releasing_ifindex,
                        std::string_view releasing_network = {}) {
  for (auto& [n, record] : TRY(store.get_all<NetworkRecord>())) {
    auto& attachments = record.attachments;
    bool changed = false;
    for (auto it = attachments.begin(); it != attachments.end();) {
      if (!owners.contains(it->owner)) {
        ++it;
        continue;
      }
      if (releasing_ifindex)
        record.releasing.push_back({it->address, it->host,
                                    n == releasing_network ? *releasing_ifindex : 0,
                                    it->more_addresses});
      it = attachments.erase(it);
      changed = true;
    }
    if (changed) TRY(store.put(n, record));
  }
  return {};
}

}  // namespace

Result<std::vector<ReleasingRecord>> settle_all_releasing(const kernel::NetlinkSocket& host,
                                                          NetworkRecord& record) {
  std::vector<ReleasingRecord> deleted;
  TRY(settle_releasing(host, record, {}, true, &deleted));
  return deleted;
}

Status release_attachments(const StateStore& store, const std::vector<std::string>& owners) {
  return take_attachments(store, {owners.begin(), owners.end()}, std::nullopt);
}

Status defer_release(const StateStore& store, const std::string& owner, int ifindex,
                     std::string_view network) {
  return take_attachments(store, {owner}, ifindex, network);
}

}  // namespace contain::engine
