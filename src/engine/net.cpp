#include "engine/net.hpp"

#include <fmt/format.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/socket.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "core/undo.hpp"
#include "engine/firewall.hpp"
#include "engine/network.hpp"
#include "engine/records.hpp"
#include "engine/release.hpp"
#include "engine/shape.hpp"
#include "engine/state.hpp"
#include "kernel/netns.hpp"
#include "kernel/process.hpp"

namespace contain::engine {

namespace {

constexpr int kLoopbackIfindex = 1;  // always 1 in a new namespace

// A host link recorded as ours: it is gone, or still there with our alias.
struct HostLink {
  std::string name;
  int ifindex;
};

std::vector<HostLink> host_links_of(const AnyNetnsRecord& record) {
  std::vector<HostLink> links;
  for (const auto& l : record.links()) links.push_back({l.name, l.ifindex});
  return links;
}

}  // namespace

namespace {

// Unmounting a namespace waits for an RCU grace period (about 1 ms each);
// waiters in several threads share grace periods, so many namespaces are
// removed by a few threads at once.
Status remove_all(const StateStore& store, const std::vector<NetnsName>& names) {
  auto remove_one = [&](const NetnsName& name) -> Status {
    TRY(kernel::remove_netns(name));
    return store.erase<NetnsRecord>(name.str());
  };
  std::size_t threads = std::min<std::size_t>(8, names.size() / 16);
  if (threads < 2) {
    for (const auto& name : names) TRY(remove_one(name));
    return {};
  }
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  std::optional<Error> first_error;
  auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < names.size();) {
      auto ok = remove_one(names[i]);
      if (!ok) {
        std::lock_guard lock(mutex);
        if (!first_error) first_error = std::move(ok).error();
      }
    }
  };
  std::vector<std::jthread> pool;
  for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(work);
  pool.clear();  // joins
  if (first_error) return fail(std::move(*first_error));
  return {};
}

}  // namespace
Status create_netns(const NetnsName& name) {
  auto store = TRY(StateStore::lock());
  std::string what = fmt::format("create network namespace {}", quote(name.str()));
  if (kernel::netns_exists(name))
    return fail(Error::failed(
        fmt::format("{}: it already exists (delete it first or choose another name)", what),
        EEXIST));
  Undo undo;
  NetnsRecord record = new_netns_record(name, true);
  record.phase = record::Phase::creating;  // until loopback is up: gc removes a half-made one
  TRY_WRAP(store.put(name.str(), record), what);
  undo.add([&] { (void)store.erase<NetnsRecord>(name.str()); });
  auto netns = TRY(kernel::create_netns(name));
  undo.add([&] { (void)kernel::remove_netns(name); });
  auto sock = TRY_WRAP(kernel::NetlinkSocket::shared_in(netns.get()), what);
  TRY_WRAP(kernel::set_link_up(sock, kLoopbackIfindex), what + ": bring loopback up");
  TRY_WRAP(store.put(name.str(), new_netns_record(name, true)), what);
  undo.commit();
  return {};
}

Status delete_netns(const std::vector<NetnsName>& names) {
  auto store = TRY(StateStore::lock());
  // Check every name first: nothing changes unless all of them can go.
  for (const auto& name : names) {
    if (!kernel::netns_exists(name))
      return fail(Error::failed(
          fmt::format("delete network namespace {}: it does not exist (see 'contain net list')",
                      quote(name.str())),
          ENOENT));
  }
  auto host = TRY_WRAP(kernel::NetlinkSocket::open(), "delete network namespaces");
  std::vector<AnyNetnsRecord> records;
  std::set<int> recorded;
  std::set<std::string> recorded_names;  // the batch path records names only
  std::vector<std::string> owners;
  for (const auto& name : names) {
    records.push_back(TRY(load_netns_record(store, name)));
    for (const auto& l : host_links_of(records.back())) {
      if (l.ifindex > 0) recorded.insert(l.ifindex);
      recorded_names.insert(l.name);
    }
    owners.push_back(netns_owner(name.str()));
  }
  // Only the recorded links that still exist, still ours, are waited for.
  std::set<int> pending;
  if (!recorded.empty() || !recorded_names.empty()) {
    auto links = TRY(kernel::list_links(host));
    for (const auto& l : links)
      if ((recorded.contains(l.ifindex) || recorded_names.contains(l.name)) &&
          l.alias.starts_with(kAliasPrefix))
        pending.insert(l.ifindex);
  }
  if (!pending.empty()) {
    // Subscribe before removing anything, so that no notification is missed.
    nl_socket_disable_seq_check(host.get());
    nl_socket_set_buffer_size(host.get(), 4 << 20, 0);
    TRY(host.check(nl_socket_add_membership(host.get(), RTNLGRP_LINK), "watch link changes"));
  }
  // Forwards, shaping and addresses on managed networks go with the
  // namespaces (release.hpp). Their veths are not deleted one by one (about
  // 30 ms each): the kernel destroys them with the namespace, in one batch.
  TRY(release_owned_by(&store, owners, {.event = ReleaseEvent::namespace_deleted}));
  TRY(remove_all(store, names));
  // If something else still holds a namespace (a process inside it), the kernel
  // keeps it and its veth pairs: remove our host ends ourselves.
  auto left =
      kernel::wait_for_links_gone(host, std::move(pending), std::chrono::milliseconds(2000));
  for (int ifindex : left) (void)kernel::delete_link(host, ifindex);
  return {};
}

Result<std::vector<NetnsSummary>> list_netns() {
  auto store = StateStore::reader();
  auto names = TRY(kernel::list_netns_names());
  std::vector<NetnsSummary> out;
  for (const auto& n : names) {
    NetnsSummary s;
    s.name = n;
    auto name = NetnsName::parse(n);
    if (name) {
      auto record = store.get<NetnsRecord>(n);
      s.managed = record && *record && (**record).created;
      auto fd = kernel::open_netns(*name);
      if (fd) {
        auto sock = kernel::NetlinkSocket::open_in(fd->get());
        if (sock) {
          auto links = kernel::list_links(*sock);
          if (links) s.interfaces = static_cast<int>(links->size());
        }
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

Result<NetnsDetails> show_netns(const NetnsRef& netns) {
  auto fd = TRY(netns.open());
  auto sock = TRY(kernel::NetlinkSocket::open_in(fd.get()));
  NetnsDetails d;
  d.name = netns.text();
  d.links = TRY(kernel::list_links(sock));
  d.addresses = TRY(kernel::list_addresses(sock));
  d.routes = TRY(kernel::list_routes(sock));
  return d;
}

Status create_veth_to_netns(const VethSpec& spec) {
  std::string what = fmt::format("create veth {} to {}", spec.host.str(), spec.netns.describe());
  if (spec.gateway && !spec.netns_address)
    return fail(Error::usage(
        fmt::format("{}: --gateway {} needs --ns-addr (an address in the gateway's subnet)", what,
                    spec.gateway->str())));
  if (spec.gateway && !spec.netns_address->subnet().contains(*spec.gateway))
    return fail(Error::usage(
        fmt::format("{}: gateway {} is not in the subnet of --ns-addr {}: the namespace could "
                    "not reach it",
                    what, spec.gateway->str(), spec.netns_address->str())));
  auto store = TRY(StateStore::lock());
  auto key = netns_key(spec.netns);
  if (!key) return fail(Error::usage(what + ": the namespace has no record of its own"));
  auto netns = TRY_WRAP(spec.netns.open(), what);
  auto host = TRY_WRAP(kernel::NetlinkSocket::shared(), what);
  auto inside = TRY_WRAP(kernel::NetlinkSocket::shared_in(netns.get()), what);

  // Refuse names in use before changing anything, with a message that says where.
  if (kernel::get_link(host, spec.host.str()))
    return fail(Error::failed(
        fmt::format("{}: the host already has a link named {} (choose another --host name)", what,
                    spec.host.str()),
        EEXIST));
  if (kernel::get_link(inside, spec.peer.str()))
    return fail(Error::failed(
        fmt::format("{}: the namespace already has a link named {} (choose another --peer name)",
                    what, spec.peer.str()),
        EEXIST));
  if (spec.gateway)
    if (auto route = TRY_WRAP(kernel::find_default_route(inside, spec.gateway->family()), what))
      return fail(Error::failed(
          fmt::format("{}: the namespace already has a default route{}; leave out --gateway, or "
                      "delete that route first",
                      what, route->gateway ? " via " + route->gateway->str() : std::string()),
          EEXIST));

  AnyNetnsRecord before = TRY(load_netns_record(store, *key));
  AnyNetnsRecord record = before;
  // "creating" until the last step: gc deletes a half-made pair (by name: the
  // name was free, checked above under the lock).
  NetnsLink link;
  link.name = spec.host.str();
  link.peer = spec.peer.str();
  link.phase = record::Phase::creating;
  record.links().push_back(std::move(link));
  // Declared after what its steps refer to, so it runs while they still exist.
  Undo undo;
  TRY_WRAP(save_netns_record(store, *key, record), what);  // it has a link: written
  undo.add([&] { (void)save_netns_record(store, *key, before); });

  // The kernel refuses to bring the peer up in the creating request (ENOTCONN
  // on 6.x), so the namespace end is brought up by a second request inside.
  TRY_WRAP(kernel::create_veth(host, {spec.host, spec.peer, netns.get(), true}), what);
  undo.add([&host, &spec] {  // by name: it is undone even if the lookup below fails
    if (auto link = kernel::get_link(host, spec.host.str()))
      (void)kernel::delete_link(host, link->ifindex);
  });
  auto host_link = TRY_WRAP(kernel::get_link(host, spec.host.str()), what);
  TRY_WRAP(kernel::set_link_alias(host, host_link.ifindex, owner_alias(spec.netns.owner())), what);
  if (spec.host_address)
    TRY_WRAP(kernel::add_address(host, host_link.ifindex, *spec.host_address),
             what + ": on the host end");
  auto peer = TRY_WRAP(kernel::get_link(inside, spec.peer.str()), what);
  TRY_WRAP(kernel::set_link_up(inside, peer.ifindex), what + ": bring the namespace end up");
  if (spec.netns_address)
    TRY_WRAP(kernel::add_address(inside, peer.ifindex, *spec.netns_address),
             what + ": on the namespace end");
  // (The route goes with the link, should the undo delete it.)
  if (spec.gateway)
    TRY_WRAP(kernel::add_default_route(inside, *spec.gateway, peer.ifindex),
             what + ": default route");
  record.links().back().ifindex = host_link.ifindex;
  record.links().back().phase = record::Phase::whole;
  TRY_WRAP(save_netns_record(store, *key, record), what);  // it has a link: written
  undo.commit();
  return {};
}

}  // namespace contain::engine
