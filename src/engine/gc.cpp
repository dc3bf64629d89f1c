#include "engine/gc.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <set>

#include "engine/container/container.hpp"
#include "engine/firewall.hpp"
#include "engine/network.hpp"
#include "engine/record/bridge.hpp"
#include "engine/records.hpp"
#include "engine/release.hpp"
#include "engine/shape.hpp"
#include "engine/state.hpp"
#include "engine/topo.hpp"
#include "kernel/netlink/link.hpp"
#include "kernel/netns.hpp"

namespace contain::engine {

namespace {

// A link can vanish between the listing and the delete (the kernel finishing
// the destruction of its namespace): that is the outcome gc wanted. True if
// gc deleted it.
Result<bool> delete_if_present(const kernel::NetlinkSocket& host, int ifindex) {
  auto deleted = kernel::delete_link(host, ifindex);
  if (deleted) return true;
  if (deleted.error().code() == ENODEV) return false;
  return fail(std::move(deleted).error());
}

using nlohmann::json;

bool netns_alive(const std::string& name) {
  auto parsed = NetnsName::parse(name);
  return parsed && kernel::netns_exists(*parsed);
}

// Namespaces known by identity (pid:, a path, container:) have no name to
// look for: whether one still exists is whether anything still holds it.
using LiveIds = std::set<NetnsId>;
bool id_alive(const LiveIds& live, std::string_view id) {
  auto parsed = NetnsId::parse(id);
  return parsed && live.contains(*parsed);
}

// One pass's view of the host's links (refreshed after a pass deletes some).
class HostLinks {
 public:
  static Result<HostLinks> read(const kernel::NetlinkSocket& host) {
    HostLinks out;
    out.links_ = TRY(kernel::list_links(host));
    return out;
  }
  const kernel::LinkInfo* named(std::string_view name) const {
    for (const auto& l : links_)
      if (l.name == name) return &l;
    return nullptr;
  }
  bool has_ifindex(int ifindex) const {
    for (const auto& l : links_)
      if (l.ifindex == ifindex) return true;
    return false;
  }
  const std::vector<kernel::LinkInfo>& all() const { return links_; }

 private:
  std::vector<kernel::LinkInfo> links_;
};

// Whether what a record names as its owner still exists. Owners we do not
// know ("" for `nat enable` and forwards to an address, anything else a
// library user gave) are the user's: always alive.
class Owners {
 public:
  Owners(const StateStore& store, const LiveIds& live) : store_(store), live_(live) {}
  Result<bool> alive(const std::string& owner) const {
    auto slash = owner.find('/');
    if (slash == std::string::npos) return true;
    std::string kind = owner.substr(0, slash), name = owner.substr(slash + 1);
    if (kind == "netns") return netns_alive(name);
    if (kind == "nsid") return id_alive(live_, name);
    if (kind == "container") {
      auto r = TRY(store_.get<ContainerRecord>(name));
      return r && r->status != "exited";
    }
    if (kind == "network") return TRY(store_.get<NetworkRecord>(name)).has_value();
    if (kind == "bridge") return TRY(store_.get<BridgeRecord>(name)).has_value();
    return true;
  }

 private:
  const StateStore& store_;
  const LiveIds& live_;
};

std::string owner_words(const std::string& owner) {
  auto slash = owner.find('/');
  if (slash == std::string::npos) return owner;
  std::string kind = owner.substr(0, slash);
  std::string noun = kind == "netns" || kind == "nsid" ? "namespace" : kind;
  return fmt::format("{} {}", noun, owner.substr(slash + 1));
}

struct Collector {
  const StateStore& store;
  const kernel::NetlinkSocket& host;
  const LiveIds& live;
  std::vector<std::string> done;
  // Addresses and subnets freed by this run: forwards into them go too.
  std::set<IpAddress> released;
  std::vector<Cidr> removed_subnets;
  // Every subnet of a network record (a dual-stack one has further subnets).
  void note_removed_subnets(const NetworkRecord& record) {
    removed_subnets.push_back(record.first.subnet);
    for (const auto& m : record.more_subnets) removed_subnets.push_back(m.subnet);
  }
  // Every address of an attachment or "releasing" entry; returns them for a
  // message: "address 192.0.2.3", or "addresses 192.0.2.3 and 2001:db8::3".
  std::string note_released(const IpAddress& address, const std::vector<IpAddress>& more) {
    std::string words = address.str();
    released.insert(address);
    for (const auto& m : more) {
      released.insert(m);
      words += " and " + m.str();
    }
    return (more.empty() ? "address " : "addresses ") + words;
  }

  // Containers whose process and monitor died.
  Status containers() {
    for (auto& line : TRY(collect_container_garbage(store))) done.push_back(std::move(line));
    return {};
  }

  // Records of namespaces that are gone; links recorded for a living namespace
  // whose host end is gone (deleted by hand: the pair went with it).
  Status namespaces() {
    // Half-made namespaces and links first: the listing below must not see them.
    TRY(unfinished_namespaces());
    auto links = TRY(HostLinks::read(host));
    for (const auto& name : TRY(store.list(kNetnsKind))) {
      if (!netns_alive(name)) {
        TRY(store.erase<NetnsRecord>(name));
        done.push_back(
            fmt::format("removed the record of namespace {} (it no longer exists)", name));
        continue;
      }
      std::vector<std::string> lost;
      std::vector<std::pair<const kernel::LinkInfo*, std::string>> unbridged;  // (link, why)
      TRY(forget_netns_links(store, *NetnsName::parse(name), [&](const NetnsLink& l) {
        const std::string& host_end = l.name;
        const auto* link = links.named(host_end);
        if (!link) {
          lost.push_back(host_end);
          return true;
        }
        // A port of a bridge deleted behind our back (its host end is left
        // unenslaved; `bridge delete` refuses, or with --force takes it
        // along). A managed network's ports are the network's business.
        std::string bridge = l.bridge.value_or("");
        if (bridge.empty() || !l.network.value_or("").empty() ||
            !link->alias.starts_with(kAliasPrefix))
          return false;
        const auto* b = links.named(bridge);
        if (b && b->kind == "bridge" && link->master == b->ifindex) return false;
        unbridged.emplace_back(link,
                               b && b->kind == "bridge"
                                   ? fmt::format("it is no longer a port of bridge {}", bridge)
                                   : fmt::format("its bridge {} no longer exists", bridge));
        return true;
      }));
      for (const auto& h : lost)
        done.push_back(
            fmt::format("forgot link {} of namespace {} (it no longer exists)", h, name));
      for (const auto& [link, why] : unbridged) {
        if (auto gone = kernel::delete_link(host, link->ifindex);
            !gone && gone.error().code() != ENODEV)
          return fail(std::move(gone).error());
        done.push_back(fmt::format("deleted link {} of namespace {} ({})", link->name, name, why));
      }
    }
    // Namespaces known by identity: gone when nothing holds them any more
    // (their process exited, their bind mount went).
    for (const auto& [id, record] : TRY(store.get_all<NetnsIdRecord>())) {
      const std::string& ref = record.ref;
      std::string what = ref.empty() ? id : fmt::format("{} ({})", ref, id);
      if (!id_alive(live, id)) {
        TRY(store.erase<NetnsIdRecord>(id));
        done.push_back(
            fmt::format("removed the record of namespace {} (it no longer exists)", what));
        continue;
      }
      std::vector<std::string> lost;
      TRY(forget_netns_links(store, NetnsKey(*NetnsId::parse(id), ref, record.owner),
                             [&](const NetnsLink& l) {
                               if (links.named(l.name)) return false;
                               lost.push_back(l.name);
                               return true;
                             }));
      for (const auto& h : lost)
        done.push_back(
            fmt::format("forgot link {} of namespace {} (it no longer exists)", h, what));
    }
    return {};
  }

  // Deletes the host end named `host_end` if it exists: the peer goes with it.
  // Looked up by name, not by our alias: a command killed before it set the
  // alias leaves none (the name was free when the command recorded it).
  Result<bool> delete_named_link(const std::string& host_end) {
    auto link = kernel::get_link(host, host_end);
    if (!link) return false;
    return delete_if_present(host, link->ifindex);
  }

  // Namespaces and links whose command was killed before it finished
  // ("phase": "creating"): removed, so that the state is the one before it.
  Status unfinished_namespaces() {
    for (auto [name, record] : TRY(store.get_all<NetnsRecord>())) {
      if (record.phase == record::Phase::creating) {
        auto parsed = NetnsName::parse(name);
        if (parsed) {
          auto removed = kernel::remove_netns(*parsed);
          if (!removed && removed.error().code() != ENOENT) return fail(std::move(removed).error());
        }
        TRY(store.erase<NetnsRecord>(name));
        done.push_back(fmt::format(
            "removed namespace {} ('net create' was interrupted before it finished)", name));
        continue;
      }
      if (auto parsed = NetnsName::parse(name))
        TRY(unfinished_links(*parsed, name, AnyNetnsRecord{std::move(record)}));
    }
    for (auto [id, record] : TRY(store.get_all<NetnsIdRecord>())) {
      auto parsed = NetnsId::parse(id);
      if (!parsed) continue;
      NetnsKey key(*parsed, record.ref, record.owner);
      TRY(unfinished_links(key, id, AnyNetnsRecord{std::move(record)}));
    }
    return {};
  }

  Status unfinished_links(const NetnsKey& key, const std::string& what, AnyNetnsRecord record) {
    auto& links = record.links();
    bool changed = false;
    for (auto it = links.begin(); it != links.end();) {
      if (it->phase != record::Phase::creating) {
        ++it;
        continue;
      }
      std::string host_end = it->name;
      TRY(delete_named_link(host_end));
      done.push_back(
          fmt::format("deleted link {} of namespace {} (the command making it was interrupted)",
                      host_end, what));
      it = links.erase(it);
      changed = true;
    }
    if (changed) TRY(save_netns_record(store, key, record));
    return {};
  }

  // Releases `stale` attachments of network `name` (with why each goes) and
  // says what went. A namespace held by a process keeps the interface (and
  // so the address) alive: its host end is deleted before the address is
  // free again.
  Status release_stale(const std::string& name,
                       const std::vector<std::pair<NetworkAttachmentRecord, std::string>>& stale) {
    std::vector<std::string> owners, deleted;
    for (const auto& [a, why] : stale) owners.push_back(a.owner);
    TRY(release_owned_by(
        &store, owners,
        {.event = ReleaseEvent::attachment_collected, .network = name, .deleted_links = &deleted}));
    for (const auto& [a, why] : stale) {
      if (std::find(deleted.begin(), deleted.end(), a.host) != deleted.end())
        done.push_back(fmt::format("deleted link {} ({})", a.host, why));
      std::string addresses = note_released(a.address, a.more_addresses);
      done.push_back(fmt::format("released {} on network {} ({})", addresses, name, why));
    }
    return {};
  }

  // Managed networks: attachments whose owner or interface is gone release
  // their address; a network whose bridge was deleted behind our back is
  // removed (see the README: we do not make it again).
  Status networks() {
    auto links = TRY(HostLinks::read(host));
    Owners owners(store, live);
    for (auto& [name, record] : TRY(store.get_all<NetworkRecord>())) {
      if (record.phase == record::Phase::deleting) {
        note_removed_subnets(record);
        TRY(finish_network_delete(store, host, name, record));
        done.push_back(fmt::format(
            "removed network {} ('network delete' was interrupted; finished it)", name));
        continue;
      }
      const std::string& bridge = record.bridge;
      const auto* link = links.named(bridge);
      if (!link) {
        // Its attachments' host ends, and their links in the namespaces'
        // records, through the one release path (release.hpp).
        std::vector<std::string> deleted;
        TRY(release_owned_by(&store, {network_owner(name)},
                             {.event = ReleaseEvent::network_collected,
                              .network = name,
                              .deleted_links = &deleted}));
        for (const auto& host_end : deleted)
          done.push_back(fmt::format("deleted link {} (its network {} is gone)", host_end, name));
        note_removed_subnets(record);
        TRY(store.erase<NetworkRecord>(name));
        done.push_back(fmt::format(
            "removed network {} (its bridge {} was deleted outside contain; {} attachment(s) "
            "released)",
            name, bridge, record.attachments.size()));
        continue;
      }
      auto& attachments = record.attachments;
      auto before = attachments.size();
      // Attachments whose attach was killed half way (undone: link and
      // address), and those whose owner or interface is gone, with why: given
      // back by the one release path (release.hpp) once all are known.
      std::vector<std::string> interrupted;  // their owners
      std::vector<std::pair<NetworkAttachmentRecord, std::string>> stale;
      for (auto it = attachments.begin(); it != attachments.end();) {
        std::string owner = it->owner;
        std::string host_end = it->host;
        if (it->phase == record::Phase::creating) {
          done.push_back(
              fmt::format("removed the attachment of {} to network {} (its attach was interrupted)",
                          owner_words(owner), name));
          interrupted.push_back(std::move(owner));
          it = attachments.erase(it);
          continue;
        }
        std::string why;
        if (!TRY(owners.alive(owner)))
          why = fmt::format("{} no longer exists", owner_words(owner));
        else if (!links.named(host_end))
          why = fmt::format("its interface {} no longer exists", host_end);
        if (why.empty()) {
          ++it;
          continue;
        }
        stale.emplace_back(std::move(*it), std::move(why));
        it = attachments.erase(it);
      }
      if (!interrupted.empty())
        TRY(release_owned_by(&store, interrupted,
                             {.event = ReleaseEvent::attach_interrupted, .network = name}));
      if (!stale.empty()) TRY(release_stale(name, stale));
      bool changed = attachments.size() != before;
      // Addresses of exited containers, held until the kernel has destroyed
      // their veth with the namespace. Waiting for that is only bookkeeping,
      // done without a word; a veth still there after the bound means
      // something holds the container's namespace: it is deleted, and said so.
      if (!record.releasing.empty()) {
        for (const auto& entry : TRY(settle_all_releasing(host, record))) {
          std::string addresses = note_released(entry.address, entry.more_addresses);
          done.push_back(fmt::format(
              "deleted link {} (its container has exited; something held its namespace)",
              entry.host));
          done.push_back(
              fmt::format("released {} on network {} (its container has exited)", addresses, name));
        }
        changed = true;
      }
      if (changed) TRY(store.put(name, record));
    }
    // Bridges carrying our network alias whose network has no record.
    for (const auto& l : links.all()) {
      if (!l.alias.starts_with(kNetworkOwnerPrefix)) continue;
      std::string network = l.alias.substr(kNetworkOwnerPrefix.size());
      if (TRY(store.get<NetworkRecord>(network))) continue;
      if (TRY(delete_if_present(host, l.ifindex)))
        done.push_back(
            fmt::format("deleted bridge {} (its network {} has no record)", l.name, network));
    }
    return {};
  }

  // Bridges contain created that were deleted behind our back.
  Status bridges() {
    auto links = TRY(HostLinks::read(host));
    for (const auto& name : TRY(store.list(kBridgeKind))) {
      const auto* l = links.named(name);
      if (auto record = TRY(store.get<BridgeRecord>(name));
          record && record->phase == record::Phase::creating) {
        // A `bridge create` killed before the bridge was whole: undone.
        // Its alias is set just after it is made, so one without an alias is
        // ours too; a bridge with anybody else's alias is left alone.
        if (l && l->kind == "bridge" &&
            (l->alias.empty() || l->alias == owner_alias(bridge_owner(name))))
          TRY(delete_if_present(host, l->ifindex));
        TRY(store.erase<BridgeRecord>(name));
        done.push_back(fmt::format("removed bridge {}, half made", name));
        continue;
      }
      if (l && l->kind == "bridge") continue;
      TRY(store.erase<BridgeRecord>(name));
      done.push_back(fmt::format("removed the record of bridge {} (it no longer exists)", name));
    }
    return {};
  }

  // NAT subnets, isolation and forwards whose owner is gone, isolation of a
  // bridge that is gone, forwards into released addresses: one transaction.
  Status firewall() {
    auto links = TRY(HostLinks::read(host));
    Owners owners(store, live);
    std::vector<std::pair<std::string, std::string>> refs;
    // Why a record of an owner that is gone goes ("" while it lives).
    auto owner_gone = [&](const std::string& owner) -> Result<std::string> {
      if (TRY(owners.alive(owner))) return std::string();
      return fmt::format("{} no longer exists", owner_words(owner));
    };
    TRY(store.visit<NatRecord>([&](const std::string& name, const NatRecord& n) -> Status {
      std::string why = TRY(owner_gone(n.owner));
      if (why.empty()) return {};
      refs.emplace_back(std::string(NatRecord::kKind), name);
      done.push_back(fmt::format("removed NAT for {} ({})", n.subnet.str(), why));
      return {};
    }));
    TRY(store.visit<ForwardRecord>([&](const std::string& name, const ForwardRecord& f) -> Status {
      std::string why;
      if (f.phase == record::Phase::creating) why = "the command adding it was interrupted";
      if (why.empty()) why = TRY(owner_gone(f.owner));
      if (why.empty()) {
        for (const auto& t : f.targets) {
          bool into_removed = std::any_of(removed_subnets.begin(), removed_subnets.end(),
                                          [&](const Cidr& c) { return c.contains(t.address); });
          if (released.contains(t.address) || into_removed)
            why = fmt::format("its target {} was released", t.address.str());
        }
      }
      if (why.empty()) return {};
      refs.emplace_back(std::string(ForwardRecord::kKind), name);
      done.push_back(fmt::format(
          "removed forward {}/{}{} to {} ({})", f.host_port.str(), protocol_name(f.protocol),
          f.host_address ? " on " + f.host_address->str() : std::string(), f.to, why));
      return {};
    }));
    TRY(store.visit<IsolationRecord>(
        [&](const std::string& name, const IsolationRecord& i) -> Status {
          const std::string& bridge = i.bridge_or(name);
          std::string why = TRY(owner_gone(i.owner));
          if (why.empty() && !links.named(bridge))
            why = fmt::format("bridge {} no longer exists", bridge);
          if (why.empty()) return {};
          refs.emplace_back(std::string(IsolationRecord::kKind), name);
          done.push_back(fmt::format("removed the isolation of {} ({})", bridge, why));
          return {};
        }));
    for (auto& line : TRY(collect_firewall_garbage(store, refs))) done.push_back(std::move(line));
    return {};
  }

  // Whether the namespace `netns` has a link named `ifname`.
  static bool link_in_netns(const std::string& netns, const std::string& ifname) {
    auto name = NetnsName::parse(netns);
    if (!name) return false;
    auto fd = kernel::open_netns(*name);
    if (!fd) return false;
    auto sock = kernel::NetlinkSocket::open_in(fd->get());
    return sock && kernel::get_link(*sock, ifname).has_value();
  }

  // Shaping whose namespace, interface or device is gone, and ifb devices of
  // ours (cifb<ifindex>) whose device or record is gone.
  Status shapes() {
    auto links = TRY(HostLinks::read(host));
    // Collected first: records are removed below.
    for (const auto& [key, r] : TRY(store.get_all<ShapeRecord>())) {
      const ShapeTargetRecord& target = r.target;
      std::string why;
      if (r.phase == record::Phase::creating) {
        TRY(roll_back_shaping(r));
        TRY(store.erase<ShapeRecord>(key));
        done.push_back(fmt::format("removed the shaping of {} ('shape set' was interrupted)", key));
        continue;
      }
      if (target.dev && !target.dev->empty()) {
        if (!links.named(*target.dev)) why = fmt::format("device {} no longer exists", *target.dev);
      } else if (target.netns_id && !target.netns_id->empty()) {
        // Its qdiscs went with the namespace; while it lives, its host end tells.
        if (!id_alive(live, *target.netns_id))
          why = fmt::format("namespace {} ({}) no longer exists", target.ref.value_or(""),
                            *target.netns_id);
      } else {
        std::string netns = target.netns.value_or(""), ifname = target.ifname.value_or("");
        if (!netns_alive(netns))
          why = fmt::format("namespace {} no longer exists", netns);
        else if (!link_in_netns(netns, ifname))
          why = fmt::format("{} in namespace {} no longer exists", ifname, netns);
      }
      if (why.empty()) continue;
      // The qdiscs went with their devices; an ifb device does not.
      if (r.ifb && !r.ifb->empty())
        if (const auto* l = links.named(*r.ifb); l && l->alias.starts_with(kShapeOwnerPrefix)) {
          if (TRY(delete_if_present(host, l->ifindex)))
            done.push_back(
                fmt::format("deleted ifb device {} (the shaping of {} is gone)", *r.ifb, key));
        }
      TRY(store.erase<ShapeRecord>(key));
      done.push_back(fmt::format("removed the shaping of {} ({})", key, why));
    }
    links = TRY(HostLinks::read(host));
    for (const auto& l : links.all()) {
      if (!l.alias.starts_with(kShapeOwnerPrefix) || !l.name.starts_with("cifb")) continue;
      std::string key = l.alias.substr(kShapeOwnerPrefix.size());
      auto r = TRY(store.get<ShapeRecord>(key));
      int device = 0;
      try {
        device = std::stoi(l.name.substr(4));
      } catch (...) {
      }
      std::string why;
      if (!r || r->ifb != l.name)
        why = "no shaping record names it";
      else if (!links.has_ifindex(device))
        why = fmt::format("the device it served (ifindex {}) no longer exists", device);
      if (why.empty()) continue;
      if (TRY(delete_if_present(host, l.ifindex)))
        done.push_back(fmt::format("deleted ifb device {} ({})", l.name, why));
    }
    return {};
  }

  // Host links marked as belonging to a namespace that is gone. (The kernel
  // destroys a veth with its namespace; one is left only when something else
  // kept the namespace alive while its name was removed.)
  Status orphan_links() {
    auto links = TRY(HostLinks::read(host));
    for (const auto& link : links.all()) {
      if (link.alias.starts_with(kNsidOwnerPrefix)) {
        std::string id = link.alias.substr(kNsidOwnerPrefix.size());
        if (id_alive(live, id)) continue;
        // The kernel may be destroying it with its namespace right now.
        if (TRY(delete_if_present(host, link.ifindex)))
          done.push_back(
              fmt::format("deleted link {} (its namespace {} no longer exists)", link.name, id));
        continue;
      }
      if (!link.alias.starts_with(kNetnsOwnerPrefix)) continue;
      std::string owner = link.alias.substr(kNetnsOwnerPrefix.size());
      if (netns_alive(owner)) continue;
      if (TRY(delete_if_present(host, link.ifindex)))
        done.push_back(
            fmt::format("deleted link {} (its namespace {} no longer exists)", link.name, owner));
    }
    return {};
  }
};

}  // namespace

Result<std::vector<std::string>> collect_garbage() {
  auto store = TRY(StateStore::lock());
  auto host = TRY(kernel::NetlinkSocket::open());
  auto live = TRY(kernel::live_netns_ids());
  Collector c{store, host, live, {}, {}, {}};
  // Records nobody can read first: every pass below reads them.
  std::vector<std::string_view> kinds(std::begin(kAllKinds), std::end(kAllKinds));
  kinds.push_back(kTopoKind);
  kinds.push_back(kNetnsIdKind);
  for (std::string_view kind : kinds)
    for (const auto& name : TRY(store.list(kind)))
      if (auto line = TRY(store.set_aside_if_corrupt(kind, name)))
        c.done.push_back(std::move(*line));
  // Labs whose `topo up` died half way, then owners (containers, namespaces),
  // then what they own.
  TRY(collect_topologies(store, c.done));
  TRY(c.containers());
  TRY(c.namespaces());
  TRY(c.orphan_links());
  TRY(c.networks());
  TRY(c.bridges());
  TRY(c.firewall());
  TRY(c.shapes());
  // Last: a record written by a command killed before its rename, and the
  // folders the steps above emptied.
  for (auto& line : TRY(store.remove_unfinished_writes())) c.done.push_back(std::move(line));
  return std::move(c.done);
}

}  // namespace contain::engine
