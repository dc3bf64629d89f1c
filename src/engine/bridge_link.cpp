#include "engine/bridge_link.hpp"

#include <fcntl.h>
#include <fmt/format.h>

#include <map>
#include <set>

#include "core/random.hpp"
#include "engine/records.hpp"
#include "engine/state.hpp"
#include "kernel/netlink/addr.hpp"
#include "kernel/netlink/batch.hpp"
#include "kernel/netlink/link.hpp"
#include "kernel/netlink/neighbour.hpp"
#include "kernel/netlink/route.hpp"
#include "kernel/netns.hpp"
#include "kernel/process.hpp"

namespace contain::engine {

std::optional<NetnsId> NetnsRef::id() const {
  if (auto* o = std::get_if<Opened>(&ref_)) return o->id;
  return std::nullopt;
}

std::string NetnsRef::owner() const {
  if (auto* n = name()) return netns_owner(n->str());
  if (auto* o = std::get_if<Opened>(&ref_)) return o->owner;
  return std::get<Borrowed>(ref_).owner;
}

std::string NetnsRef::describe() const {
  if (auto* n = name()) return fmt::format("namespace {}", quote(n->str()));
  if (auto* o = std::get_if<Opened>(&ref_)) return fmt::format("namespace {}", quote(o->text));
  return std::get<Borrowed>(ref_).owner;
}

std::string NetnsRef::text() const {
  if (auto* n = name()) return n->str();
  if (auto* o = std::get_if<Opened>(&ref_)) return o->text;
  return {};
}

Result<UniqueFd> NetnsRef::open() const {
  if (auto* n = name()) return kernel::open_netns(*n);
  int held = std::holds_alternative<Opened>(ref_) ? std::get<Opened>(ref_).fd->get()
                                                  : std::get<Borrowed>(ref_).fd;
  UniqueFd fd(::fcntl(held, F_DUPFD_CLOEXEC, 0));
  if (!fd) return fail(Error::system(fmt::format("duplicate the namespace fd of {}", owner())));
  return fd;
}

std::optional<NetnsKey> netns_key(const NetnsRef& netns) {
  if (const NetnsName* name = netns.name()) return NetnsKey(*name);
  if (auto id = netns.id()) return NetnsKey(*id, netns.text(), netns.owner());
  return std::nullopt;
}

namespace {

// The network namespace of a running process, pinned by its pidfd so that a
// reused pid cannot make it another process's.
Result<UniqueFd> open_netns_of_process(pid_t pid, std::string_view text) {
  auto pidfd = kernel::open_pidfd(pid);
  if (!pidfd) {
    if (pidfd.error().code() == ESRCH)
      return fail(Error::failed(
          fmt::format("{}: no such process; give the PID of a running process (see 'ps')", text),
          ESRCH));
    return fail(std::move(pidfd).error().wrap(text));
  }
  auto fd = kernel::open_netns_of(pidfd->get(), pid);
  if (!fd) {
    if (fd.error().code() == ESRCH || fd.error().code() == ENOENT)
      return fail(Error::failed(
          fmt::format("{}: the process exited; give the PID of a running process", text), ESRCH));
    return fail(std::move(fd).error().wrap(text));
  }
  return fd;
}

Result<UniqueFd> open_netns_path(const std::string& path) {
  auto fd = kernel::open_netns_file(path);
  if (fd) return fd;
  std::string hint = "give /proc/PID/ns/net, a bind mount of one, or pid:PID";
  switch (fd.error().code()) {
    case ENOENT:
      return fail(Error::failed(fmt::format("{}: no such file; {}", path, hint), ENOENT));
    case ENOTTY:
    case EINVAL:
      return fail(Error::failed(fmt::format("{}: {}; {}", path, fd.error().message(), hint),
                                fd.error().code()));
    default:
      return fail(std::move(fd).error().wrap(path));
  }
}

Result<UniqueFd> open_netns_of_container(const model::ContainerName& name, std::string_view text) {
  auto record = TRY(StateStore::reader().get<ContainerRecord>(name.str()));
  if (!record)
    return fail(
        Error::failed(fmt::format("{}: no such container (see 'contain ps')", text), ENOENT));
  pid_t pid = record->pid;
  auto start = record->pid_start.value_or(0);
  auto not_running = [&] {
    return fail(Error::failed(
        fmt::format("{}: container {} is not running (see 'contain ps -a')", text, name.str()),
        ESRCH));
  };
  if (record->status != "running" || pid <= 0 || !kernel::process_alive(pid, start))
    return not_running();
  auto pidfd = kernel::open_pidfd(pid);
  // The pidfd pins the process: checked after opening, the pid cannot have been reused.
  if (!pidfd || !kernel::process_alive(pid, start)) return not_running();
  auto fd = kernel::open_netns_of(pidfd->get(), pid);
  if (!fd) return not_running();
  return fd;
}

}  // namespace

Result<NetnsRef> resolve_netns(const model::NetnsSpec& spec) {
  if (auto* n = spec.name()) return NetnsRef::named(*n);
  std::string text = spec.str();
  UniqueFd fd;
  std::string owner;
  if (auto* p = spec.pid()) {
    fd = TRY(open_netns_of_process(p->value, text));
  } else if (auto* p = spec.path()) {
    fd = TRY(open_netns_path(p->value));
  } else {
    fd = TRY(open_netns_of_container(*spec.container(), text));
    owner = container_owner(spec.container()->str());
  }
  NetnsId id = TRY_WRAP(kernel::netns_id(fd.get()), text);
  if (owner.empty()) owner = nsid_owner(id);
  return NetnsRef::opened(std::move(fd), id, std::move(owner), std::move(text));
}

Status make_owned_bridge(const kernel::NetlinkSocket& host, const IfName& name,
                         std::string_view owner, const std::optional<Cidr>& address, Undo& undo,
                         unsigned mtu) {
  TRY(kernel::create_bridge(host, name));
  undo.add([&host, name] {
    if (auto link = kernel::get_link(host, name.str()))
      (void)kernel::delete_link(host, link->ifindex);
  });
  auto link = TRY(kernel::get_link(host, name.str()));
  TRY(kernel::set_link_alias(host, link.ifindex, owner_alias(owner)));
  // A bridge without ports takes the MTU it is given and keeps it as ports of
  // the same MTU join.
  if (mtu > 0) TRY(kernel::set_link_mtu(host, link.ifindex, mtu));
  if (address) TRY(kernel::add_address(host, link.ifindex, *address));
  return {};
}

IfName generate_host_ifname() { return *IfName::parse("vc" + random_hex(6)); }

Result<IfName> next_free_ifname(const kernel::NetlinkSocket& inside) {
  auto links = TRY(kernel::list_links(inside));
  std::set<std::string> used;
  for (const auto& l : links) used.insert(l.name);
  for (int i = 0;; ++i) {
    std::string n = fmt::format("eth{}", i);
    if (!used.contains(n)) return IfName::parse(n);
  }
}

Status check_ifname_free(const kernel::NetlinkSocket& inside, const IfName& name,
                         std::string_view where) {
  if (kernel::get_link(inside, name.str()))
    return fail(Error::failed(
        fmt::format("{} already has a link named {} (choose another --ifname)", where, name.str()),
        EEXIST));
  return {};
}

namespace {

// Up to this many links are looked up by name rather than in a dump of all links.
constexpr std::size_t kLookupByNameMax = 8;

// Deletes the host ends among `names` that exist (each takes its peer along).
void delete_host_ends(const kernel::NetlinkSocket& host, const std::set<std::string>& names) {
  if (names.size() <= kLookupByNameMax) {
    for (const auto& n : names)
      if (auto l = kernel::get_link(host, n)) (void)kernel::delete_link(host, l->ifindex);
    return;
  }
  auto links = kernel::list_links(host);
  if (!links) return;
  for (const auto& l : *links)
    if (names.contains(l.name)) (void)kernel::delete_link(host, l.ifindex);
}

}  // namespace

Result<std::vector<BridgeLinkResult>> create_bridge_links(
    const kernel::NetlinkSocket& host, const std::vector<BridgeLinkRequest>& requests) {
  std::set<std::string> host_names;
  for (const auto& r : requests) host_names.insert(r.host.str());
  bool done = false;
  struct Rollback {
    const kernel::NetlinkSocket& host;
    const std::set<std::string>& names;
    bool& done;
    ~Rollback() {
      if (!done) delete_host_ends(host, names);
    }
  } rollback{host, host_names, done};

  // 1. On the host: every veth, born with its peer in the namespace, the host
  //    end enslaved in the creating request; then its alias, by name. The host
  //    end comes up last, once its peer is up (4.): a link up without carrier
  //    makes the kernel deactivate its queues as soon as anyone asks about it
  //    (the look-up in 2. does), which waits for an expedited RCU grace
  //    period under the RTNL lock — milliseconds per link here.
  //    A peer with IPv6 addresses gets its MAC from us, for 4.
  kernel::NetlinkBatch on_host(host);
  std::vector<std::string> peer_macs;
  for (const auto& r : requests) {
    bool v6 = r.address && !r.address->address().is_v4();
    for (const auto& a : r.more_addresses) v6 |= !a.address().is_v4();
    peer_macs.push_back(v6 ? kernel::random_mac() : std::string());
    auto veth = TRY(kernel::build_veth_request(
        {r.host, r.peer, r.netns_fd, false, r.bridge_ifindex, r.mtu, peer_macs.back()}));
    on_host.add(std::move(veth),
                fmt::format("create veth {} <-> {} ({})", r.host.str(), r.peer.str(), r.owner));
    auto alias = TRY(kernel::build_link_change_request(
        {.ifindex = 0, .name = r.host.str(), .up = false, .alias = owner_alias(r.owner)}));
    on_host.add(std::move(alias), fmt::format("set alias of {}", r.host.str()));
  }
  TRY(on_host.commit());

  // 2. Every host end's ifindex and (IFLA_LINK) its peer's ifindex inside its
  //    namespace. For many links one dump tells all; for a few, a lookup by
  //    name each (a dump costs as much as the host has links: with hundreds of
  //    namespaces attached, more than the rest of a single attach).
  //    A few are asked inside their namespaces: the new peer's IFLA_LINK is
  //    its host end. Asked about a new link, the kernel first handles the
  //    link's pending event, which walks the IPv6 routes of the link's
  //    namespace; the host's, with a thousand links attached, are thousands.
  std::map<std::string, kernel::LinkInfo> by_name;
  if (requests.size() <= kLookupByNameMax) {
    for (const auto& r : requests) {
      if (!r.inside) {
        if (auto l = kernel::get_link(host, r.host.str())) by_name.emplace(r.host.str(), *l);
      } else if (auto l = kernel::get_link(*r.inside, r.peer.str()); l && l->peer_ifindex > 0) {
        kernel::LinkInfo host_end;
        host_end.ifindex = l->peer_ifindex;
        host_end.peer_ifindex = l->ifindex;
        by_name.emplace(r.host.str(), host_end);
      }
    }
  } else {
    for (auto& l : TRY(kernel::list_links(host)))
      if (host_names.contains(l.name)) by_name.emplace(l.name, std::move(l));
  }
  std::vector<BridgeLinkResult> results;
  for (const auto& r : requests) {
    auto it = by_name.find(r.host.str());
    if (it == by_name.end())
      return fail(Error::failed(
          fmt::format("veth {} vanished right after it was created", r.host.str()), ENOENT));
    results.push_back({it->second.ifindex, it->second.peer_ifindex});
  }

  // 3. Inside each namespace, on its own socket: up, address, default route.
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const auto& r = requests[i];
    int peer = results[i].peer_ifindex;
    kernel::NetlinkBatch inside(*r.inside);
    if (r.loopback_up)
      inside.add(TRY(kernel::build_link_change_request(
                     {.ifindex = 1, .name = {}, .up = true, .alias = {}})),
                 fmt::format("bring loopback up ({})", r.owner));
    inside.add(TRY(kernel::build_link_change_request(
                   {.ifindex = peer, .name = {}, .up = true, .alias = {}})),
               fmt::format("bring {} up ({})", r.peer.str(), r.owner));
    if (r.address)
      inside.add(TRY(kernel::build_add_address_request(peer, *r.address)),
                 fmt::format("add address {} to {} ({})", r.address->str(), r.peer.str(), r.owner));
    for (const auto& a : r.more_addresses)
      inside.add(TRY(kernel::build_add_address_request(peer, a)),
                 fmt::format("add address {} to {} ({})", a.str(), r.peer.str(), r.owner));
    if (r.gateway)
      inside.add(
          TRY(kernel::build_default_route_request(*r.gateway, peer, r.replace_default_route)),
          fmt::format("{} default route via {} ({})", r.replace_default_route ? "set" : "add",
                      r.gateway->str(), r.owner));
    for (const auto& g : r.more_gateways)
      inside.add(TRY(kernel::build_default_route_request(g, peer, r.replace_default_route)),
                 fmt::format("{} default route via {} ({})",
                             r.replace_default_route ? "set" : "add", g.str(), r.owner));
    if (auto committed = inside.commit(); !committed) {
      Error e = std::move(committed).error();
      if (e.code() != EEXIST) return fail(std::move(e));
      // Checked before anything changed, so something else added it meanwhile.
      return fail(Error::failed(
          fmt::format("{}; the namespace already has it (see 'contain net show'): remove it or "
                      "choose another address or gateway",
                      e.message()),
          EEXIST));
    }
  }

  // 4. The host ends up, their peers being up: with carrier at once. The
  //    bridge learns each peer's IPv6 addresses (see learn_neighbour).
  kernel::NetlinkBatch up_on_host(host);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const auto& r = requests[i];
    up_on_host.add(TRY(kernel::build_link_change_request(
                       {.ifindex = results[i].host_ifindex, .name = {}, .up = true, .alias = {}})),
                   fmt::format("bring {} up", r.host.str()));
    if (peer_macs[i].empty()) continue;
    std::vector<Cidr> addresses = r.more_addresses;
    if (r.address) addresses.push_back(*r.address);
    for (const auto& a : addresses)
      if (!a.address().is_v4())
        up_on_host.add(
            TRY(kernel::build_learn_neighbour_request(r.bridge_ifindex, a.address(), peer_macs[i])),
            fmt::format("tell the bridge that {} is at {}", a.address().str(), peer_macs[i]));
  }
  TRY(up_on_host.commit());
  done = true;
  return results;
}

}  // namespace contain::engine
