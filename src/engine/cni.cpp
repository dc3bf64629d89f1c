#include "engine/cni.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/rtnetlink.h>

#include <algorithm>

#include "core/undo.hpp"
#include "core/unique_fd.hpp"
#include "engine/bridge_link.hpp"
#include "engine/firewall.hpp"
#include "engine/network.hpp"
#include "engine/records.hpp"
#include "engine/release.hpp"
#include "engine/shape.hpp"
#include "engine/state.hpp"
#include "kernel/netlink/addr.hpp"
#include "kernel/netlink/batch.hpp"
#include "kernel/netlink/link.hpp"
#include "kernel/netlink/neighbour.hpp"
#include "kernel/netlink/route.hpp"
#include "kernel/netlink/socket.hpp"
#include "model/ipam.hpp"

namespace contain::engine {

using nlohmann::json;

namespace {

Result<UniqueFd> open_netns_path(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail(Error::system(fmt::format("open network namespace {}", path)));
  return fd;
}

// The network's record, if it exists (read without the lock: records are
// replaced atomically).
Result<std::optional<NetworkRecord>> read_network(const NetworkName& name) {
  return StateStore::reader().get<NetworkRecord>(name.str());
}

// Makes the network from the CNI configuration unless it exists. A parallel
// ADD may make it first: that is success too.
Status ensure_network(const CniNetworkSpec& spec) {
  auto existing = TRY(read_network(spec.name));
  if (existing) {
    const Cidr& subnet = existing->first.subnet;
    if (spec.subnet && subnet != spec.subnet->subnet())
      return fail(Error::usage(fmt::format(
          "network {} exists with subnet {}, but the configuration says {}; use the same subnet "
          "or another network name",
          quote(spec.name.str()), subnet.str(), spec.subnet->str())));
    auto info = network_info(*existing);
    if (spec.ip_range && info.ip_range != spec.ip_range)
      return fail(Error::usage(fmt::format(
          "network {} exists with the address range {}, but the configuration says {}; use the "
          "same rangeStart and rangeEnd or another network name",
          quote(spec.name.str()), info.ip_range ? info.ip_range->str() : "of its whole subnet",
          spec.ip_range->str())));
    if (spec.subnet) {
      std::set<std::string> have, want;
      for (const auto& m : info.more_subnets) have.insert(m.subnet.str());
      for (const auto& m : spec.more_subnets) want.insert(m.subnet.subnet().str());
      auto listed = [](const std::set<std::string>& l) {
        std::string out;
        for (const auto& x : l) out += (out.empty() ? "" : ", ") + x;
        return out.empty() ? std::string("none") : out;
      };
      if (have != want)
        return fail(Error::usage(fmt::format(
            "network {} exists with further subnets {}, but the configuration says {}; use the "
            "same ranges or another network name",
            quote(spec.name.str()), listed(have), listed(want))));
    }
    if (spec.mtu > 0 && info.mtu != spec.mtu)
      return fail(Error::usage(fmt::format(
          "network {} exists with MTU {}, but the configuration says {}; use the same mtu or "
          "another network name",
          quote(spec.name.str()), info.mtu > 0 ? std::to_string(info.mtu) : "the kernel's default",
          spec.mtu)));
    return {};
  }
  if (!spec.subnet)
    return fail(Error::usage(
        fmt::format("network {} does not exist and the configuration gives no subnet (set "
                    "\"subnet\" or ipam \"ranges\", or create it with 'contain network create')",
                    quote(spec.name.str()))));
  {
    // The mark that an ADD made this network, so that its last DEL removes it.
    auto store = TRY(StateStore::lock());
    if (TRY(store.get<NetworkRecord>(spec.name.str()))) return {};
    TRY(store.put(spec.name.str(), CniNetworkRecord{spec.name.str()}));
  }
  auto made = create_network({spec.name, *spec.subnet, spec.gateway, spec.nat, spec.ip_range,
                              spec.mtu, spec.more_subnets});
  if (made) return {};
  if (made.error().code() == EEXIST && TRY(read_network(spec.name))) return {};
  auto store = TRY(StateStore::lock());
  if (!TRY(store.get<NetworkRecord>(spec.name.str())))
    (void)store.erase<CniNetworkRecord>(spec.name.str());
  return fail(std::move(made).error());
}

// Releases the attachments of `owners` on the network, under the caller's
// lock (release.hpp): forwards and NAT by owner, shaping of their host ends,
// the host ends (the namespace ends go with them), the addresses. Forwards
// are owned by the attachment, whatever the network's state: they go even
// when the network has no record.
Status release_owned(const StateStore& store, const NetworkName& network,
                     const std::set<std::string>& owners) {
  return release_owned_by(&store, {owners.begin(), owners.end()},
                          {.event = ReleaseEvent::cni_deleted, .network = network.str()});
}

// After a DEL or GC: deletes the network if an ADD made it and nothing is
// attached any more. A parallel ADD that attached meanwhile keeps it.
Status delete_if_unused(const NetworkName& name) {
  {
    auto store = StateStore::reader();
    if (!TRY(store.get<CniNetworkRecord>(name.str()))) return {};
    auto record = TRY(store.get<NetworkRecord>(name.str()));
    if (record && !record->attachments.empty()) return {};
  }
  auto deleted = delete_network(name, false);
  if (!deleted && deleted.error().code() != EBUSY && deleted.error().code() != ENOENT)
    return deleted;
  auto store = TRY(StateStore::lock());
  if (!TRY(store.get<NetworkRecord>(name.str()))) TRY(store.erase<CniNetworkRecord>(name.str()));
  return {};
}

// The DEL of the last attachment of a network an ADD made: the network goes
// with it, under the one lock. What a release and a delete_network would do
// one after the other, merged: one nftables transaction for the forwards of
// the attachment and the NAT and isolation of the network (the table goes
// with its last element), and one link deletion for the host end and the
// bridge (see kernel::delete_links: each unregistration waits for RCU grace
// periods, 20-30 ms each here). The record is marked "deleting" before
// anything goes, so gc finishes what a kill interrupts.
Status delete_with_last_attachment(const StateStore& store, const kernel::NetlinkSocket& host,
                                   NetworkRecord record, const std::string& owner) {
  std::string name = record.name;
  std::string network_owner_name = network_owner(name);
  std::vector<std::string> host_links;
  for (const auto& a : record.attachments) host_links.push_back(a.host);
  record.phase = record::Phase::deleting;
  TRY(store.put(name, record));
  TRY(remove_firewall_owned_by(store, std::set<std::string>{owner, network_owner_name}));
  TRY(forget_shaping(store, host, {}, host_links));
  std::vector<int> links;
  for (const auto& l : host_links)
    if (auto link = kernel::get_link(host, l); link && link->alias.starts_with(kAliasPrefix))
      links.push_back(link->ifindex);
  if (auto link = kernel::get_link(host, record.bridge);
      link && link->alias == owner_alias(network_owner_name))
    links.push_back(link->ifindex);
  TRY(kernel::delete_links(host, links));
  // Settles the rest (each step finds its part gone) and erases the record.
  TRY(finish_network_delete(store, host, name, std::move(record)));
  return store.erase<CniNetworkRecord>(name);
}

Status shape_attachment(const std::string& host_end, const model::cni::Bandwidth& b) {
  if (b.empty()) return {};
  // Traffic entering the container leaves the host end (the device's egress,
  // a tbf on it); traffic the container sends enters the host end (the
  // device's ingress, through an ifb). Each direction has its own rate and
  // burst, or none.
  auto rate = [](std::uint64_t bits) { return Rate::parse(fmt::format("{}bit", bits)); };
  auto burst = [](std::uint64_t rate_bits, std::uint64_t burst_bits) {
    return Size::parse(fmt::format("{}b", model::cni::burst_bytes(rate_bits, burst_bits)));
  };
  ShapeSpec spec;
  spec.target.dev = TRY(IfName::parse(host_end));
  if (b.ingress_rate) {
    spec.rate = TRY(rate(b.ingress_rate));
    spec.burst = TRY(burst(b.ingress_rate, b.ingress_burst));
    spec.direction = Direction::egress;
  }
  if (b.egress_rate) {
    auto r = TRY(rate(b.egress_rate));
    auto s = TRY(burst(b.egress_rate, b.egress_burst));
    if (b.ingress_rate) {
      spec.direction = Direction::both;
      spec.ingress_rate = r;
      spec.ingress_burst = s;
    } else {
      spec.rate = r;
      spec.burst = s;
      spec.direction = Direction::ingress;
    }
  }
  return set_shaping(spec);
}

// The gateway a route goes through: its own, or that of the subnet of its family.
Result<IpAddress> route_gateway(const model::cni::Route& r, const CniAttachment& a) {
  if (r.gw) return *r.gw;
  if (a.address.family() == r.dst.family()) return a.gateway;
  for (const auto& m : a.more)
    if (m.address.family() == r.dst.family()) return m.gateway;
  return fail(
      Error::usage(fmt::format("the route to {} has no gateway: the network has no IPv{} subnet",
                               r.dst.str(), r.dst.address().is_v4() ? 4 : 6)));
}

}  // namespace

Result<CniAttachment> cni_attach(const CniAttachRequest& request) {
  const auto& name = request.network.name;
  std::string what = fmt::format("attach {} to network {}", request.owner, quote(name.str()));
  auto netns = TRY_WRAP(open_netns_path(request.netns_path), what);
  TRY(ensure_network(request.network));
  auto ref = NetnsRef::from_fd(netns.get(), request.owner);
  std::vector<AttachRequest> one{{ref, request.ip, request.ifname, false, request.more_ips}};
  auto attached = attach_many_to_network(name, one);
  if (!attached && attached.error().code() == ENOENT) {
    // The last DEL of a network an ADD made deleted it in between: make it again.
    TRY(ensure_network(request.network));
    attached = attach_many_to_network(name, one);
  }
  auto attachment = std::move(TRY(std::move(attached)).front());
  Undo undo;
  undo.add([&] { (void)cni_detach(name, request.owner); });

  auto host = TRY_WRAP(kernel::NetlinkSocket::open(), what);

  auto inside = TRY_WRAP(kernel::NetlinkSocket::open_in(netns.get()), what);
  auto peer = TRY_WRAP(kernel::get_link(inside, attachment.ifname), what);
  if (!request.mac.empty()) TRY_WRAP(kernel::set_link_mac(inside, peer.ifindex, request.mac), what);
  // The address may have been another container's a moment ago: neighbours
  // still holding its old MAC would send there (the bridge plugin does the same).
  // Only what is on the bridge can hold such an entry, and everything on it
  // is in the network's record (written before a link is made, erased after
  // it is gone); alone there, nobody needs telling (the host's entry is
  // forgotten below). Worth knowing: closing the packet socket waits for an
  // RCU grace period (packet_release, 5-6 ms here).
  auto now = TRY_WRAP(read_network(name), what);
  if (!now || now->attachments.size() > 1 || !now->releasing.empty())
    TRY_WRAP(kernel::announce_address(netns.get(), peer.ifindex, attachment.ip), what);
  // The host's own entry: an IPv4 one is forgotten (resolved again on use);
  // an IPv6 one says the MAC the interface has now (see learn_neighbour).
  auto bridge = TRY_WRAP(kernel::get_link(host, attachment.bridge), what);
  const std::string& mac = request.mac.empty() ? peer.mac : request.mac;
  std::vector<IpAddress> addresses{attachment.ip};
  for (const auto& m : attachment.more) addresses.push_back(m.ip);
  for (const auto& ip : addresses)
    TRY_WRAP(ip.is_v4() ? kernel::forget_neighbour(host, bridge.ifindex, ip)
                        : kernel::learn_neighbour(host, bridge.ifindex, ip, mac),
             what);

  CniAttachment out;
  out.address = Cidr(attachment.ip, attachment.prefix);
  out.gateway = attachment.gateway;
  for (const auto& m : attachment.more)
    out.more.push_back({Cidr(m.ip, m.prefix), m.gateway, m.default_route});

  // Every published port in one transaction: a container with 1,000 costs one.
  std::vector<ForwardSpec> forwards;
  std::vector<IpAddress> more_to;
  std::vector<Cidr> more_via;
  for (const auto& m : out.more) {
    more_to.push_back(m.address.address());
    more_via.push_back(m.address.subnet());
  }
  auto bridge_name = TRY(IfName::parse(attachment.bridge));
  for (const auto& p : request.ports)
    forwards.push_back({.protocol = p.protocol,
                        .host_port = p.host_port,
                        .host_address = p.host_ip,
                        .to = attachment.ip,
                        .to_port = p.container_port,
                        .owner = request.owner,
                        .via = std::pair{bridge_name, out.address.subnet()},
                        .more_to = more_to,
                        .more_via = more_via});
  TRY_WRAP(add_forwards(forwards), what);
  TRY_WRAP(shape_attachment(attachment.host, request.bandwidth), what);

  if (!request.routes.empty()) {
    kernel::NetlinkBatch batch(inside);
    for (const auto& r : request.routes) {
      auto gw = TRY_WRAP(route_gateway(r, out), what);
      batch.add(TRY_WRAP(kernel::build_route_request({r.dst, gw, peer.ifindex}), what),
                fmt::format("add route to {} via {}", r.dst.str(), gw.str()));
      out.routes.push_back({r.dst, gw});
    }
    TRY_WRAP(batch.commit(), what);
  }

  out.bridge = attachment.bridge;
  out.bridge_mac = bridge.mac;
  out.host = attachment.host;
  out.host_mac = TRY_WRAP(kernel::get_link(host, attachment.host), what).mac;
  out.ifname = attachment.ifname;
  out.mac = request.mac.empty() ? peer.mac : request.mac;
  out.mtu = peer.mtu;
  out.default_route = false;
  for (auto& m : out.more) m.default_route = false;
  for (const auto& r : TRY_WRAP(kernel::list_routes(inside), what)) {
    if (r.destination || r.ifindex != peer.ifindex) continue;
    out.default_route |= r.family == out.address.family();
    for (auto& m : out.more) m.default_route |= r.family == m.address.family();
  }
  undo.commit();
  return out;
}

Status cni_detach(const NetworkName& network, const std::string& owner) {
  {
    auto store = TRY(StateStore::lock());
    auto record = TRY(store.get<NetworkRecord>(network.str()));
    // The DEL of the last attachment of a network an ADD made takes the
    // network with it in one step (see delete_with_last_attachment).
    if (record && TRY(store.get<CniNetworkRecord>(network.str())).has_value() &&
        std::all_of(record->attachments.begin(), record->attachments.end(),
                    [&](const NetworkAttachmentRecord& a) { return a.owner == owner; })) {
      auto host = TRY(kernel::NetlinkSocket::open());
      return delete_with_last_attachment(store, host, std::move(*record), owner);
    }
    TRY(release_owned(store, network, {owner}));
    if (!TRY(store.get<NetworkRecord>(network.str()))) return {};
  }
  return delete_if_unused(network);
}

Status cni_collect(const NetworkName& network, const std::set<std::string>& valid_owners) {
  {
    auto store = TRY(StateStore::lock());
    auto record = TRY(store.get<NetworkRecord>(network.str()));
    if (!record) return {};
    std::set<std::string> stale;
    for (const auto& a : record->attachments) {
      const std::string& owner = a.owner;
      if (owner.starts_with(model::cni::kOwnerPrefix) && !valid_owners.contains(owner))
        stale.insert(owner);
    }
    if (stale.empty()) return {};
    TRY(release_owned(store, network, stale));
  }
  return delete_if_unused(network);
}

Status cni_check(const CniAttachRequest& request) {
  const auto& name = request.network.name;
  auto record = TRY(read_network(name));
  if (!record)
    return fail(Error::failed(fmt::format("network {} does not exist", quote(name.str())), ENOENT));
  const NetworkAttachmentRecord* a = record->attachment_of(request.owner);
  if (!a)
    return fail(Error::failed(
        fmt::format("network {} has no attachment {} (its address reservation is gone)",
                    quote(name.str()), request.owner),
        ENOENT));
  std::vector<IpAddress> addresses{a->address};
  addresses.insert(addresses.end(), a->more_addresses.begin(), a->more_addresses.end());
  auto netns = TRY(open_netns_path(request.netns_path));
  auto inside = TRY(kernel::NetlinkSocket::open_in(netns.get()));
  auto link = kernel::get_link(inside, request.ifname.str());
  if (!link)
    return fail(Error::failed(
        fmt::format("interface {} is missing in {}", request.ifname.str(), request.netns_path),
        ENOENT));
  auto present = TRY(kernel::list_addresses(inside));
  for (const auto& address : addresses)
    if (std::none_of(present.begin(), present.end(), [&](const kernel::AddressInfo& p) {
          return p.ifindex == link->ifindex && p.cidr.address() == address;
        }))
      return fail(Error::failed(fmt::format("address {} is missing on {} in {}", address.str(),
                                            request.ifname.str(), request.netns_path),
                                ENOENT));
  auto routes = TRY(kernel::list_routes(inside));
  for (const auto& address : addresses)
    if (std::none_of(routes.begin(), routes.end(), [&](const kernel::RouteInfo& r) {
          return !r.destination && r.family == address.family();
        }))
      return fail(Error::failed(
          fmt::format("the IPv{} default route via {} is missing in {}", address.is_v4() ? 4 : 6,
                      request.ifname.str(), request.netns_path),
          ENOENT));
  for (const auto& want : request.routes)
    if (std::none_of(routes.begin(), routes.end(), [&](const kernel::RouteInfo& r) {
          return r.destination == want.dst && r.ifindex == link->ifindex &&
                 (!want.gw || r.gateway == want.gw);
        }))
      return fail(
          Error::failed(fmt::format("the route to {} via {} is missing in {}", want.dst.str(),
                                    request.ifname.str(), request.netns_path),
                        ENOENT));
  auto host = TRY(kernel::NetlinkSocket::open());
  std::string host_end = a->host;
  auto host_link = kernel::get_link(host, host_end);
  if (!host_link || host_link->alias != owner_alias(request.owner))
    return fail(Error::failed(
        fmt::format("the host end {} of {} is missing", host_end, request.ifname.str()), ENOENT));
  std::set<std::pair<int, std::uint16_t>> published;  // (protocol, host port)
  for (const auto& f : TRY(list_forwards()))
    if (f.owner == request.owner)
      published.emplace(static_cast<int>(f.protocol), f.host_port.value());
  for (const auto& p : request.ports)
    if (!published.contains({static_cast<int>(p.protocol), p.host_port.value()}))
      return fail(Error::failed(fmt::format("the forward of {} port {} is missing",
                                            protocol_name(p.protocol), p.host_port.str()),
                                ENOENT));
  if (!request.bandwidth.empty()) {
    ShapeTarget target;
    target.dev = TRY(IfName::parse(host_end));
    auto shown = TRY(show_shaping(target));
    bool present = shown.record.has_value();
    for (const auto& d : shown.devices) present &= !d.kernel_qdiscs.empty();
    if (!present)
      return fail(Error::failed(fmt::format("the shaping of {} is missing", host_end), ENOENT));
  }
  return {};
}

Result<bool> cni_pool_exhausted(const NetworkName& network) {
  auto record = TRY(read_network(network));
  if (!record) return false;
  auto info = network_info(*record);
  std::set<IpAddress> taken;
  for (const auto& a : record->attachments) {
    taken.insert(a.address);
    taken.insert(a.more_addresses.begin(), a.more_addresses.end());
  }
  for (const auto& r : record->releasing) {
    taken.insert(r.address);
    taken.insert(r.more_addresses.begin(), r.more_addresses.end());
  }
  // An ADD needs an address in every subnet.
  if (!TRY(pool_of(info)).allocate(taken, network.str())) return true;
  for (std::size_t k = 0; k < info.more_subnets.size(); ++k)
    if (!TRY(pool_of(info, k)).allocate(taken, network.str())) return true;
  return false;
}

}  // namespace contain::engine
