#include "engine/bridge.hpp"

#include <fmt/format.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "core/undo.hpp"
#include "engine/firewall.hpp"
#include "engine/record/bridge.hpp"
#include "engine/records.hpp"
#include "engine/state.hpp"
#include "kernel/netlink/addr.hpp"
#include "kernel/netlink/link.hpp"
#include "kernel/netlink/route.hpp"
#include "kernel/netns.hpp"

namespace contain::engine {

using nlohmann::json;

namespace {

Result<kernel::LinkInfo> find_bridge(const kernel::NetlinkSocket& host, const IfName& name) {
  auto link = kernel::get_link(host, name.str());
  if (!link) {
    if (link.error().code() == ENOENT || link.error().code() == ENODEV)
      return fail(Error::failed(
          fmt::format("bridge {} does not exist (create it with 'contain bridge create {}')",
                      name.str(), name.str()),
          ENOENT));
    return fail(std::move(link).error());
  }
  if (link->kind != "bridge")
    return fail(Error::failed(fmt::format("link {} is not a bridge (it is a {})", name.str(),
                                          link->kind.empty() ? "device" : link->kind),
                              EINVAL));
  return link;
}

// Where each host end contain recorded leads: namespace (or owner) and the
// interface inside, by host end name.
Result<std::map<std::string, std::pair<std::string, std::string>>> recorded_ends(
    const StoreReader& store) {
  std::map<std::string, std::pair<std::string, std::string>> ends;
  for (const auto& ns : TRY(store.list(kNetnsKind))) {
    auto record = store.get<NetnsRecord>(ns);
    if (!record || !*record) continue;
    for (const auto& l : (**record).links) ends[l.name] = {ns, l.peer};
  }
  // Namespaces known by identity show as the user called them (pid:PID, a path).
  TRY(store.visit<NetnsIdRecord>([&](const std::string& id, const NetnsIdRecord& record) {
    std::string who = record.ref.empty() ? id : record.ref;
    for (const auto& l : record.links) ends[l.name] = {who, l.peer};
    return Status{};
  }));
  for (const auto& net : TRY(store.list(kNetworkKind))) {
    auto record = store.get<NetworkRecord>(net);
    if (!record || !*record) continue;
    for (const auto& a : (**record).attachments)
      if (!ends.contains(a.host))
        // An fd-attached namespace (a container) has no name: show its owner.
        ends[a.host] = {a.netns.value_or(a.owner), a.ifname};
  }
  return ends;
}

// Who already uses `address` on bridge `bridge` (its own address, or a port
// recorded with it), for the message; nothing if it is free.
Result<std::optional<std::string>> address_holder(const StateStore& store,
                                                  const kernel::NetlinkSocket& host,
                                                  const kernel::LinkInfo& bridge,
                                                  const IpAddress& address) {
  for (const auto& a : TRY(kernel::list_addresses_of(host, bridge.ifindex)))
    if (a.cidr.address() == address)
      return std::optional<std::string>(fmt::format("bridge {} itself", bridge.name));
  // Every namespace record is looked at for every attach: visited in place, not
  // copied (a batch of a thousand attaches keeps them in memory), and matched
  // as text: attach records the address as Cidr::str() writes it, so the same
  // address always has the same text (parsing each one made a batch of a
  // thousand attaches spend a tenth of its time here).
  const std::string wanted = address.str() + "/";
  std::optional<std::string> holder;
  TRY(store.visit<NetnsRecord>([&](const std::string& ns, const NetnsRecord& record) -> Status {
    if (holder) return {};
    for (const auto& l : record.links) {
      if (l.bridge != bridge.name || !l.address || !l.address->starts_with(wanted)) continue;
      auto cidr = Cidr::parse(*l.address);
      if (cidr && cidr->address() == address) {
        holder = fmt::format("namespace {} ({}, host end {})", quote(ns), l.peer, l.name);
        return {};
      }
    }
    return {};
  }));
  return holder;
}

}  // namespace

Status create_bridge(const IfName& name, const std::optional<Cidr>& address) {
  std::string what = fmt::format("create bridge {}", name.str());
  auto store = TRY(StateStore::lock());
  auto host = TRY_WRAP(kernel::NetlinkSocket::shared(), what);
  if (kernel::get_link(host, name.str()))
    return fail(Error::failed(
        fmt::format("{}: a link named {} already exists (choose another name)", what, name.str()),
        EEXIST));
  Undo undo;
  // Recorded as being made until its address is set: killed in between, gc
  // deletes the half-made bridge instead of keeping it as whole.
  BridgeRecord record{.name = name.str(), .created = true, .phase = record::Phase::creating};
  TRY_WRAP(store.put(name.str(), record), what);
  undo.add([&] { (void)store.erase<BridgeRecord>(name.str()); });
  TRY_WRAP(make_owned_bridge(host, name, bridge_owner(name.str()), address, undo), what);
  record.phase = record::Phase::whole;
  TRY_WRAP(store.put(name.str(), record), what);
  undo.commit();
  return {};
}

Status delete_bridge(const IfName& name, bool force) {
  std::string what = fmt::format("delete bridge {}", name.str());
  auto store = TRY(StateStore::lock());
  auto host = TRY_WRAP(kernel::NetlinkSocket::shared(), what);
  auto link = TRY_WRAP(find_bridge(host, name), what);
  auto record = TRY(store.get<BridgeRecord>(name.str()));
  if (link.alias.starts_with(kNetworkOwnerPrefix) && !force)
    return fail(
        Error::failed(fmt::format("{}: it belongs to network {}; use 'contain network delete {}'",
                                  what, link.alias.substr(kNetworkOwnerPrefix.size()),
                                  link.alias.substr(kNetworkOwnerPrefix.size())),
                      EBUSY));
  if (!record && !force)
    return fail(Error::failed(
        fmt::format("{}: contain did not create it; use --force to delete it anyway", what),
        EPERM));
  std::vector<kernel::LinkInfo> ports;
  for (auto& l : TRY_WRAP(kernel::list_links(host), what))
    if (l.master == link.ifindex) ports.push_back(std::move(l));
  if (!ports.empty() && !force) {
    auto ends = TRY(recorded_ends(store));
    std::string who;
    for (const auto& p : ports) {
      auto it = ends.find(p.name);
      who +=
          (who.empty() ? "" : ", ") +
          (it == ends.end() ? p.name : fmt::format("{}:{}", it->second.first, it->second.second));
    }
    return fail(Error::failed(
        fmt::format("{}: {} still attached ({}); delete their namespaces first, or use --force to "
                    "delete the ports contain made along with the bridge",
                    what, ports.size(), who),
        EBUSY));
  }
  // What the firewall holds for the bridge goes first (isolation, NAT or
  // forwards whose owner is the bridge).
  TRY_WRAP(remove_firewall_owned_by(store, bridge_owner(name.str())), what);
  // --force: our ports go (each veth takes its namespace end along) and their
  // records with them; anybody else's port is left unenslaved by the kernel.
  for (const auto& p : ports) {
    if (!p.alias.starts_with(kAliasPrefix)) continue;
    if (auto gone = kernel::delete_link(host, p.ifindex); !gone && gone.error().code() != ENODEV)
      return fail(std::move(gone).error().wrap(what));
    TRY_WRAP(forget_owner_netns_links(store, p.alias.substr(kAliasPrefix.size()),
                                      [&](const NetnsLink& l) { return l.name == p.name; }),
             what);
  }
  TRY(kernel::delete_link(host, link.ifindex));
  TRY(store.erase<BridgeRecord>(name.str()));
  return {};
}

Result<std::vector<BridgeInfo>> list_bridges() {
  auto store = StateStore::reader();
  auto host = TRY(kernel::NetlinkSocket::open());
  auto links = TRY(kernel::list_links(host));
  auto addresses = TRY(kernel::list_addresses(host));
  // Which namespace and interface each recorded host end leads to.
  auto ends = TRY(recorded_ends(store));
  std::vector<BridgeInfo> out;
  for (const auto& l : links) {
    if (l.kind != "bridge") continue;
    BridgeInfo b;
    b.name = l.name;
    b.managed = l.alias.starts_with(kAliasPrefix);
    if (l.alias.starts_with(kNetworkOwnerPrefix))
      b.network = l.alias.substr(kNetworkOwnerPrefix.size());
    for (const auto& a : addresses)  // fe80::/64 is on every link: not worth showing
      if (a.ifindex == l.ifindex && a.scope != RT_SCOPE_LINK) b.addresses.push_back(a.cidr);
    for (const auto& p : links) {
      if (p.master != l.ifindex) continue;
      BridgeMember port{p.name, "", ""};
      if (auto it = ends.find(p.name); it != ends.end())
        std::tie(port.netns, port.ifname) = it->second;
      b.members.push_back(std::move(port));
    }
    out.push_back(std::move(b));
  }
  return out;
}

Result<BridgeAttachment> attach_to_bridge(const BridgeAttachSpec& spec) {
  std::string what =
      fmt::format("attach {} to bridge {}", spec.netns.describe(), spec.bridge.str());
  if (spec.gateway && spec.gateway->family() != spec.address.family())
    return fail(Error::usage(fmt::format("{}: gateway {} and address {} are not the same family",
                                         what, spec.gateway->str(), spec.address.str())));
  if (spec.gateway && !spec.address.subnet().contains(*spec.gateway))
    return fail(Error::usage(
        fmt::format("{}: gateway {} is not in the subnet of --addr {}: the namespace could not "
                    "reach it",
                    what, spec.gateway->str(), spec.address.str())));
  auto store = TRY(StateStore::lock());
  auto host = TRY_WRAP(kernel::NetlinkSocket::shared(), what);
  auto bridge = TRY_WRAP(find_bridge(host, spec.bridge), what);
  // Its addresses are managed: an address set by hand could collide with the pool.
  if (bridge.alias.starts_with(kNetworkOwnerPrefix)) {
    std::string network = bridge.alias.substr(kNetworkOwnerPrefix.size());
    return fail(Error::failed(
        fmt::format("{}: it belongs to network {}; use 'contain network attach {} {}'", what,
                    network, network, spec.netns.text().empty() ? "NS" : spec.netns.text()),
        EBUSY));
  }
  if (auto holder = TRY_WRAP(address_holder(store, host, bridge, spec.address.address()), what))
    return fail(Error::failed(
        fmt::format("{}: address {} is already used on bridge {} by {}; choose another --addr",
                    what, spec.address.address().str(), spec.bridge.str(), *holder),
        EADDRINUSE));
  if (spec.host && kernel::get_link(host, spec.host->str()))
    return fail(Error::failed(
        fmt::format("{}: the host already has a link named {} (choose another --host name)", what,
                    spec.host->str()),
        EEXIST));
  auto netns = TRY_WRAP(spec.netns.open(), what);
  auto inside = TRY_WRAP(kernel::NetlinkSocket::shared_in(netns.get()), what);
  IfName peer = spec.ifname ? *spec.ifname : TRY_WRAP(next_free_ifname(inside), what);
  if (spec.ifname) TRY_WRAP(check_ifname_free(inside, peer, spec.netns.describe()), what);
  if (spec.gateway)
    if (auto route = TRY_WRAP(kernel::find_default_route(inside, spec.gateway->family()), what))
      return fail(Error::failed(
          fmt::format("{}: {} already has a default route{}; leave out --gateway, or delete that "
                      "route first",
                      what, spec.netns.describe(),
                      route->gateway ? " via " + route->gateway->str() : std::string()),
          EEXIST));
  IfName host_name = spec.host ? *spec.host : generate_host_ifname();

  // Recorded before the veth exists, so `net delete` and `gc` know about it.
  // "creating" until the pair is complete: gc deletes a half-made one.
  Undo undo;
  auto key = netns_key(spec.netns);
  std::optional<AnyNetnsRecord> record;
  if (key) {
    AnyNetnsRecord before = TRY(load_netns_record(store, *key));
    record = before;
    NetnsLink link;
    link.name = host_name.str();
    link.peer = peer.str();
    link.bridge = spec.bridge.str();
    link.address = spec.address.str();
    link.phase = record::Phase::creating;
    record->links().push_back(std::move(link));
    TRY_WRAP(save_netns_record(store, *key, *record), what);
    undo.add([&store, key = *key, before] { (void)save_netns_record(store, key, before); });
  }
  BridgeLinkRequest request{
      spec.netns.owner(), netns.get(),  &inside, bridge.ifindex, host_name, peer,
      spec.address,       spec.gateway, false,   false};
  auto results = TRY_WRAP(create_bridge_links(host, {request}), what);
  if (key) {
    record->links().back().phase = record::Phase::whole;
    TRY_WRAP(save_netns_record(store, *key, *record), what);
  }
  undo.commit();
  return BridgeAttachment{spec.bridge.str(), host_name.str(), results[0].host_ifindex, peer.str(),
                          spec.address};
}

Result<std::vector<BridgeAttachment>> create_bridged_netns(
    const IfName& bridge_name, const std::vector<BridgedNetns>& namespaces) {
  std::string what =
      fmt::format("create {} namespaces on bridge {}", namespaces.size(), bridge_name.str());
  auto store = TRY(StateStore::lock());
  auto host = TRY_WRAP(kernel::NetlinkSocket::open(), what);
  auto bridge = TRY_WRAP(find_bridge(host, bridge_name), what);
  for (const auto& n : namespaces)
    if (kernel::netns_exists(n.name))
      return fail(Error::failed(
          fmt::format("{}: namespace {} already exists", what, quote(n.name.str())), EEXIST));

  const std::size_t count = namespaces.size();
  std::vector<char> made(count, 0);
  Undo undo;  // from the first record on (removing one never written is harmless)
  undo.add([&] {
    for (std::size_t i = 0; i < count; ++i) {
      if (made[i]) (void)kernel::remove_netns(namespaces[i].name);
      (void)store.erase<NetnsRecord>(namespaces[i].name.str());
    }
  });
  // Records first (they must exist before the namespaces do), in this thread:
  // the store writes through one temporary file per process.
  std::vector<IfName> host_names;
  const IfName peer = *IfName::parse("eth0");
  for (const auto& n : namespaces) {
    host_names.push_back(generate_host_ifname());
    NetnsRecord record = new_netns_record(n.name, true);
    NetnsLink link;
    link.name = host_names.back().str();
    link.peer = peer.str();
    link.bridge = bridge_name.str();
    link.address = n.address ? n.address->str() : "";
    record.links.push_back(std::move(link));
    TRY_WRAP(store.put(n.name.str(), record), what);
  }

  // Creating a namespace is mostly the kernel's per-namespace setup, which does
  // not hold the RTNL lock: a few threads make them side by side.
  std::vector<UniqueFd> fds(count);
  std::vector<std::optional<kernel::NetlinkSocket>> sockets(count);
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  std::optional<Error> first_error;
  auto make = [&](std::size_t i) {
    auto fd = kernel::create_netns(namespaces[i].name);
    if (fd) {
      made[i] = 1;
      fds[i] = std::move(*fd);
      auto sock = kernel::NetlinkSocket::open_in(fds[i].get());
      if (sock) {
        sockets[i] = std::move(*sock);
        return;
      }
      fd = fail(std::move(sock).error());
    }
    std::lock_guard lock(mutex);
    if (!first_error) first_error = std::move(fd).error();
    next = count;  // stop the others early
  };
  auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < count;) make(i);
  };
  // The first namespace alone: it may have to make /run/netns a shared mount,
  // which two threads must not both try.
  if (count > 0) {
    next = 1;
    make(0);
  }
  {
    std::size_t threads =
        std::clamp<std::size_t>(count / 16, 1, std::max(1u, std::thread::hardware_concurrency()));
    std::vector<std::jthread> pool;
    for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
  }
  if (first_error) return fail(std::move(*first_error).wrap(what));

  std::vector<BridgeLinkRequest> requests;
  for (std::size_t i = 0; i < count; ++i)
    requests.push_back({netns_owner(namespaces[i].name.str()), fds[i].get(), &*sockets[i],
                        bridge.ifindex, host_names[i], peer, namespaces[i].address,
                        namespaces[i].gateway, true, false});
  TRY_WRAP(create_bridge_links(host, requests), what);
  undo.commit();
  std::vector<BridgeAttachment> attached;
  for (std::size_t i = 0; i < requests.size(); ++i)
    attached.push_back(
        {bridge_name.str(), requests[i].host.str(), 0, "eth0", namespaces[i].address});
  return attached;
}

}  // namespace contain::engine
