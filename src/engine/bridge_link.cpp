#include "engine/bridge_link.hpp"

#include <fcntl.h>
#include <fmt/format.h>

#include <map>
#include <set>

#include "core/random.hpp"
#include "engine/records.hpp"
#include "engine/state.hpp"
#include "kernel/addr.hpp"
#include "kernel/batch.hpp"
#include "kernel/link.hpp"
#include "kernel/netns.hpp"
#include "kernel/route.hpp"

namespace contain::engine {

std::string NetnsRef::owner() const {
  if (auto* n = name()) return netns_owner(n->str());
  return std::get<Borrowed>(ref_).owner;
}

std::string NetnsRef::describe() const {
  if (auto* n = name()) return fmt::format("namespace {}", quote(n->str()));
  return std::get<Borrowed>(ref_).owner;
}

Result<UniqueFd> NetnsRef::open() const {
  if (auto* n = name()) return kernel::open_netns(*n);
  UniqueFd fd(::fcntl(std::get<Borrowed>(ref_).fd, F_DUPFD_CLOEXEC, 0));
  if (!fd) return fail(Error::system(fmt::format("duplicate the namespace fd of {}", owner())));
  return fd;
}

Status make_owned_bridge(const kernel::NetlinkSocket& host, const IfName& name,
                         std::string_view owner, const std::optional<Cidr>& address, Undo& undo) {
  TRY(kernel::create_bridge(host, name));
  undo.add([&host, name] {
    if (auto link = kernel::get_link(host, name.str()))
      (void)kernel::delete_link(host, link->ifindex);
  });
  auto link = TRY(kernel::get_link(host, name.str()));
  TRY(kernel::set_link_alias(host, link.ifindex, owner_alias(owner)));
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
  //    end enslaved and up in the creating request; then its alias, by name.
  kernel::NetlinkBatch on_host(host);
  for (const auto& r : requests) {
    auto veth =
        TRY(kernel::build_veth_request({r.host, r.peer, r.netns_fd, true, r.bridge_ifindex}));
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
  std::map<std::string, kernel::LinkInfo> by_name;
  if (requests.size() <= kLookupByNameMax) {
    for (const auto& r : requests)
      if (auto l = kernel::get_link(host, r.host.str())) by_name.emplace(r.host.str(), *l);
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
    if (r.gateway)
      inside.add(
          TRY(kernel::build_default_route_request(*r.gateway, peer, r.replace_default_route)),
          fmt::format("{} default route via {} ({})", r.replace_default_route ? "set" : "add",
                      r.gateway->str(), r.owner));
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
  done = true;
  return results;
}

}  // namespace contain::engine
