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
#include "engine/shape.hpp"
#include "engine/state.hpp"
#include "kernel/addr.hpp"
#include "kernel/arp.hpp"
#include "kernel/link.hpp"
#include "kernel/netlink.hpp"
#include "kernel/route.hpp"
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
Result<std::optional<json>> read_network(const NetworkName& name) {
  return StateStore::reader().read(kNetworkKind, name.str());
}

const json* find_attachment(const json& record, const std::string& owner) {
  auto list = record.find("attachments");
  if (list == record.end() || !list->is_array()) return nullptr;
  for (const auto& a : *list)
    if (a.value("owner", "") == owner) return &a;
  return nullptr;
}

// Makes the network from the CNI configuration unless it exists. A parallel
// ADD may make it first: that is success too.
Status ensure_network(const CniNetworkSpec& spec) {
  auto existing = TRY(read_network(spec.name));
  if (existing) {
    auto subnet = Cidr::parse(existing->value("subnet", ""));
    if (spec.subnet && subnet && *subnet != spec.subnet->subnet())
      return fail(Error::usage(fmt::format(
          "network {} exists with subnet {}, but the configuration says {}; use the same subnet "
          "or another network name",
          quote(spec.name.str()), subnet->str(), spec.subnet->str())));
    auto info = TRY(network_info(*existing));
    if (spec.ip_range && info.ip_range != spec.ip_range)
      return fail(Error::usage(fmt::format(
          "network {} exists with the address range {}, but the configuration says {}; use the "
          "same rangeStart and rangeEnd or another network name",
          quote(spec.name.str()), info.ip_range ? info.ip_range->str() : "of its whole subnet",
          spec.ip_range->str())));
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
    if (TRY(store.read(kNetworkKind, spec.name.str()))) return {};
    TRY(store.write(kCniKind, spec.name.str(), json{{"network", spec.name.str()}}));
  }
  auto made = create_network({spec.name, *spec.subnet, spec.gateway, spec.nat, spec.ip_range});
  if (made) return {};
  if (made.error().code() == EEXIST && TRY(read_network(spec.name))) return {};
  auto store = TRY(StateStore::lock());
  if (!TRY(store.read(kNetworkKind, spec.name.str())))
    (void)store.remove(kCniKind, spec.name.str());
  return fail(std::move(made).error());
}

// Releases the attachments of `owners` on the network, under the caller's
// lock: forwards and NAT by owner, shaping of their host ends, the host ends
// (the namespace ends go with them), the addresses.
Status release_owned(const StateStore& store, const kernel::NetlinkSocket& host, const json& record,
                     const std::set<std::string>& owners) {
  TRY(remove_firewall_owned_by(store, owners));
  std::vector<std::string> host_links;
  for (const auto& a : record.value("attachments", json::array()))
    if (owners.contains(a.value("owner", ""))) host_links.push_back(a.value("host", ""));
  TRY(forget_shaping(store, host, {}, host_links));
  for (const auto& name : host_links) {
    auto link = kernel::get_link(host, name);
    if (!link || !link->alias.starts_with(kAliasPrefix)) continue;
    if (auto gone = kernel::delete_link(host, link->ifindex);
        !gone && gone.error().code() != ENODEV)
      return fail(std::move(gone).error());
  }
  return release_attachments(store, {owners.begin(), owners.end()});
}

// After a DEL or GC: deletes the network if an ADD made it and nothing is
// attached any more. A parallel ADD that attached meanwhile keeps it.
Status delete_if_unused(const NetworkName& name) {
  {
    auto store = StateStore::reader();
    if (!TRY(store.read(kCniKind, name.str()))) return {};
    auto record = TRY(store.read(kNetworkKind, name.str()));
    if (record && !record->value("attachments", json::array()).empty()) return {};
  }
  auto deleted = delete_network(name, false);
  if (!deleted && deleted.error().code() != EBUSY && deleted.error().code() != ENOENT)
    return deleted;
  auto store = TRY(StateStore::lock());
  if (!TRY(store.read(kNetworkKind, name.str()))) TRY(store.remove(kCniKind, name.str()));
  return {};
}

Status shape_attachment(const std::string& host_end, const model::cni::Bandwidth& b) {
  if (b.empty()) return {};
  // Traffic entering the container leaves the host end (its egress);
  // traffic the container sends enters the host end (its ingress).
  if (b.ingress_rate && b.egress_rate && b.ingress_rate != b.egress_rate)
    return fail(Error::usage(
        fmt::format("bandwidth: different ingress ({} bit/s) and egress ({} bit/s) rates on one "
                    "attachment are not supported yet; give one rate",
                    b.ingress_rate, b.egress_rate)));
  std::uint64_t rate = b.ingress_rate ? b.ingress_rate : b.egress_rate;
  std::uint64_t burst = b.ingress_rate ? b.ingress_burst : b.egress_burst;
  ShapeSpec spec;
  spec.target.dev = TRY(IfName::parse(host_end));
  spec.rate = TRY(Rate::parse(fmt::format("{}bit", rate)));
  spec.burst = TRY(Size::parse(fmt::format("{}b", model::cni::burst_bytes(rate, burst))));
  spec.direction = b.ingress_rate && b.egress_rate
                       ? Direction::both
                       : (b.ingress_rate ? Direction::egress : Direction::ingress);
  return set_shaping(spec);
}

}  // namespace

Result<CniAttachment> cni_attach(const CniAttachRequest& request) {
  const auto& name = request.network.name;
  std::string what = fmt::format("attach {} to network {}", request.owner, quote(name.str()));
  auto netns = TRY_WRAP(open_netns_path(request.netns_path), what);
  TRY(ensure_network(request.network));
  auto ref = NetnsRef::from_fd(netns.get(), request.owner);
  auto attached = attach_to_network(name, ref, request.ip, request.ifname);
  if (!attached && attached.error().code() == ENOENT) {
    // The last DEL of a network an ADD made deleted it in between: make it again.
    TRY(ensure_network(request.network));
    attached = attach_to_network(name, ref, request.ip, request.ifname);
  }
  auto attachment = TRY(std::move(attached));
  Undo undo;
  undo.add([&] { (void)cni_detach(name, request.owner); });

  auto host = TRY_WRAP(kernel::NetlinkSocket::open(), what);

  auto inside = TRY_WRAP(kernel::NetlinkSocket::open_in(netns.get()), what);
  auto peer = TRY_WRAP(kernel::get_link(inside, attachment.ifname), what);
  if (!request.mac.empty()) TRY_WRAP(kernel::set_link_mac(inside, peer.ifindex, request.mac), what);
  // The address may have been another container's a moment ago: neighbours
  // still holding its old MAC would send there (the bridge plugin does the same).
  TRY_WRAP(kernel::announce_address(netns.get(), peer.ifindex, attachment.ip), what);
  auto bridge = TRY_WRAP(kernel::get_link(host, attachment.bridge), what);
  TRY_WRAP(kernel::forget_neighbour(host, bridge.ifindex, attachment.ip), what);

  for (const auto& p : request.ports) {
    auto subnet = Cidr(attachment.ip, attachment.prefix).subnet();
    ForwardSpec spec{.protocol = p.protocol,
                     .host_port = p.host_port,
                     .host_address = p.host_ip,
                     .to = attachment.ip,
                     .to_port = p.container_port,
                     .owner = request.owner,
                     .via = std::pair{TRY(IfName::parse(attachment.bridge)), subnet}};
    TRY_WRAP(add_forward(spec), what);
  }
  TRY_WRAP(shape_attachment(attachment.host, request.bandwidth), what);

  CniAttachment out;
  out.bridge = attachment.bridge;
  out.bridge_mac = bridge.mac;
  out.host = attachment.host;
  out.host_mac = TRY_WRAP(kernel::get_link(host, attachment.host), what).mac;
  out.ifname = attachment.ifname;
  out.mac = request.mac.empty() ? peer.mac : request.mac;
  out.address = Cidr(attachment.ip, attachment.prefix);
  out.gateway = attachment.gateway;
  out.default_route = false;
  for (const auto& r : TRY_WRAP(kernel::list_routes(inside), what))
    out.default_route |= !r.destination && r.ifindex == peer.ifindex;
  undo.commit();
  return out;
}

Status cni_detach(const NetworkName& network, const std::string& owner) {
  {
    auto store = TRY(StateStore::lock());
    auto record = TRY(store.read(kNetworkKind, network.str()));
    // Forwards are owned by the attachment, whatever the network's state.
    if (!record) return remove_firewall_owned_by(store, owner);
    auto host = TRY(kernel::NetlinkSocket::open());
    TRY(release_owned(store, host, *record, {owner}));
  }
  return delete_if_unused(network);
}

Status cni_collect(const NetworkName& network, const std::set<std::string>& valid_owners) {
  {
    auto store = TRY(StateStore::lock());
    auto record = TRY(store.read(kNetworkKind, network.str()));
    if (!record) return {};
    std::set<std::string> stale;
    for (const auto& a : record->value("attachments", json::array())) {
      std::string owner = a.value("owner", "");
      if (owner.starts_with(model::cni::kOwnerPrefix) && !valid_owners.contains(owner))
        stale.insert(owner);
    }
    if (stale.empty()) return {};
    auto host = TRY(kernel::NetlinkSocket::open());
    TRY(release_owned(store, host, *record, stale));
  }
  return delete_if_unused(network);
}

Status cni_check(const CniAttachRequest& request) {
  const auto& name = request.network.name;
  auto record = TRY(read_network(name));
  if (!record)
    return fail(Error::failed(fmt::format("network {} does not exist", quote(name.str())), ENOENT));
  const json* a = find_attachment(*record, request.owner);
  if (!a)
    return fail(Error::failed(
        fmt::format("network {} has no attachment {} (its address reservation is gone)",
                    quote(name.str()), request.owner),
        ENOENT));
  auto address = TRY(IpAddress::parse(a->value("address", "")));
  auto netns = TRY(open_netns_path(request.netns_path));
  auto inside = TRY(kernel::NetlinkSocket::open_in(netns.get()));
  auto link = kernel::get_link(inside, request.ifname.str());
  if (!link)
    return fail(Error::failed(
        fmt::format("interface {} is missing in {}", request.ifname.str(), request.netns_path),
        ENOENT));
  bool has_address = false;
  for (const auto& addr : TRY(kernel::list_addresses(inside)))
    has_address |= addr.ifindex == link->ifindex && addr.cidr.address() == address;
  if (!has_address)
    return fail(Error::failed(fmt::format("address {} is missing on {} in {}", address.str(),
                                          request.ifname.str(), request.netns_path),
                              ENOENT));
  bool has_route = false;
  for (const auto& r : TRY(kernel::list_routes(inside)))
    has_route |= !r.destination && r.family == address.family();
  if (!has_route)
    return fail(Error::failed(fmt::format("the default route via {} is missing in {}",
                                          request.ifname.str(), request.netns_path),
                              ENOENT));
  auto host = TRY(kernel::NetlinkSocket::open());
  std::string host_end = a->value("host", "");
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
    bool present = shown.value("shaped", false);
    for (const auto& d : shown.value("devices", json::array()))
      present &= !d.value("kernel_qdiscs", json::array()).empty();
    if (!present)
      return fail(Error::failed(fmt::format("the shaping of {} is missing", host_end), ENOENT));
  }
  return {};
}

Result<bool> cni_pool_exhausted(const NetworkName& network) {
  auto record = TRY(read_network(network));
  if (!record) return false;
  auto pool = TRY(pool_of(TRY(network_info(*record))));
  std::set<IpAddress> taken;
  for (const auto* list : {"attachments", "releasing"})
    for (const auto& a : record->value(list, json::array()))
      if (auto ip = IpAddress::parse(a.value("address", ""))) taken.insert(*ip);
  return !pool.allocate(taken, network.str()).has_value();
}

}  // namespace contain::engine
