#include "engine/topo.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/rtnetlink.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "core/names.hpp"
#include "core/text.hpp"
#include "core/undo.hpp"
#include "engine/container/container.hpp"
#include "engine/firewall.hpp"
#include "engine/net.hpp"
#include "engine/records.hpp"
#include "kernel/netlink/addr.hpp"
#include "kernel/netlink/batch.hpp"
#include "kernel/netlink/link.hpp"
#include "kernel/netlink/route.hpp"
#include "kernel/netlink/socket.hpp"
#include "kernel/netlink/tc.hpp"
#include "kernel/netns.hpp"
#include "kernel/process.hpp"
#include "kernel/sysctl.hpp"
#include "model/container_options.hpp"
#include "model/shaping.hpp"

namespace contain::engine {

using model::NodeKind;
using nlohmann::json;

json TopoRecord::to_json() const {
  json marks = json::array();
  for (const auto& m : last_check)
    marks.push_back({{"from", m.from}, {"to", m.to}, {"reach", m.reach}, {"passed", m.passed}});
  return {{"name", name},
          {"prefix", prefix},
          {"file", file},
          {"text", text},
          {"digest", digest},
          {"state", state},
          {"pid", pid},
          {"start_time", start_time},
          {"namespaces", namespaces},
          {"containers", containers},
          {"host_links", host_links},
          {"last_check", marks}};
}

Result<TopoRecord> TopoRecord::from_json(const json& j) {
  TopoRecord r;
  auto text = [&](const char* key, std::string& out) -> Status {
    if (!j.contains(key) || !j[key].is_string())
      return fail(Error::failed(fmt::format("lab record: '{}' is missing or not a string", key)));
    out = j[key].get<std::string>();
    return {};
  };
  if (!j.is_object()) return fail(Error::failed("lab record: not an object"));
  TRY(text("name", r.name));
  TRY(text("prefix", r.prefix));
  TRY(text("file", r.file));
  TRY(text("text", r.text));
  TRY(text("digest", r.digest));
  TRY(text("state", r.state));
  if (j.contains("pid") && j["pid"].is_number_integer()) r.pid = j["pid"].get<int>();
  if (j.contains("start_time") && j["start_time"].is_number_unsigned())
    r.start_time = j["start_time"].get<std::uint64_t>();
  if (!j.contains("namespaces") || !j["namespaces"].is_array())
    return fail(Error::failed("lab record: 'namespaces' is missing"));
  for (const auto& n : j["namespaces"]) {
    if (!n.is_string()) return fail(Error::failed("lab record: a namespace is not a string"));
    r.namespaces.push_back(n.get<std::string>());
  }
  // Absent from the records of labs made before container nodes and host links.
  for (auto [key, out] : {std::pair{"containers", &r.containers}, {"host_links", &r.host_links}}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_array())
      return fail(Error::failed(fmt::format("lab record: '{}' is not a list", key)));
    for (const auto& n : j[key]) {
      if (!n.is_string())
        return fail(Error::failed(fmt::format("lab record: an item of '{}' is not a string", key)));
      out->push_back(n.get<std::string>());
    }
  }
  if (j.contains("last_check") && j["last_check"].is_array())
    for (const auto& m : j["last_check"]) {
      if (!m.is_object() || !m.contains("from") || !m["from"].is_string() || !m.contains("to") ||
          !m["to"].is_string() || !m.contains("reach") || !m["reach"].is_boolean() ||
          !m.contains("passed") || !m["passed"].is_boolean())
        return fail(Error::failed("lab record: an item of 'last_check' is malformed"));
      r.last_check.push_back({m["from"].get<std::string>(), m["to"].get<std::string>(),
                              m["reach"].get<bool>(), m["passed"].get<bool>()});
    }
  return r;
}

namespace {

// FNV-1a: a stable digest of the canonical topology (std::hash may change
// between builds, and the record outlives the binary).
std::string digest_of(std::string_view text) { return fmt::format("{:016x}", fnv1a64(text)); }

// Runs work(i) for i in [0, count) on a few threads; the first error wins and
// stops the others from taking more work.
Status parallel_for(std::size_t count, std::size_t max_threads,
                    const std::function<Status(std::size_t)>& work) {
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  std::optional<Error> first_error;
  auto run = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < count;) {
      auto ok = work(i);
      if (!ok) {
        std::lock_guard lock(mutex);
        if (!first_error) first_error = std::move(ok).error();
        next = count;
      }
    }
  };
  std::size_t threads = std::clamp<std::size_t>(count / 16, 1, max_threads);
  {
    std::vector<std::jthread> pool;
    for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(run);
    run();
  }
  if (first_error) return fail(std::move(*first_error));
  return {};
}

std::size_t cpu_threads() { return std::max(2u, std::thread::hardware_concurrency()); }

// Removes the namespaces that exist among `names`, a few threads at once
// (each unmount waits for an RCU grace period; waiters share them).
Status remove_namespaces(const std::vector<std::string>& names) {
  return parallel_for(names.size(), 8, [&](std::size_t i) -> Status {
    auto name = NetnsName::parse(names[i]);
    if (!name || !kernel::netns_exists(*name)) return {};
    auto ok = kernel::remove_netns(*name);
    if (!ok && ok.error().code() != ENOENT) return ok;
    return {};
  });
}

// Waits until the host ends of a lab's links are gone (the kernel destroys a
// veth with the namespace of either end, asynchronously after the namespace's
// last holder goes), deleting any left after a bound: when `down` returns,
// nothing of the lab is left on the host.
// `ours_by_alias`: only links that carry the lab's alias (for `down`); an
// undone `up` knows the names were free when it began.
Status remove_with_host_links(std::string_view lab, const std::vector<std::string>& names,
                              bool ours_by_alias,
                              const std::function<Status()>& remove_namespaces_step) {
  if (names.empty()) return remove_namespaces_step();
  auto host = TRY(kernel::NetlinkSocket::open());
  TRY(host.check(nl_socket_add_membership(host.get(), RTNLGRP_LINK), "watch link changes"));
  std::set<int> pending;
  for (const auto& l : TRY(kernel::list_links(host)))
    if (std::find(names.begin(), names.end(), l.name) != names.end() &&
        (!ours_by_alias || l.alias == owner_alias(topo_owner(lab))))
      pending.insert(l.ifindex);
  TRY(remove_namespaces_step());
  auto left = kernel::wait_for_links_gone(host, pending, std::chrono::seconds(2));
  if (left.empty()) return {};
  // Something still holds a namespace of the lab (a process inside it): the
  // host end goes now. Not over the watching socket, whose queue holds
  // notifications a request would read as its answer.
  auto deleter = TRY(kernel::NetlinkSocket::open());
  for (int ifindex : left) {
    auto ok = kernel::delete_link(deleter, ifindex);
    if (!ok && ok.error().code() != ENODEV) return ok;
  }
  return {};
}

// Where the host sends a NAT subnet: the address of the `via` node's end of
// its host:IF link (none when the subnet is that link's own: connected).
struct NatRoute {
  std::string host_ifname;
  std::optional<IpAddress> gateway;
};
Result<NatRoute> nat_route(const model::Topology& t, const model::NatRule& rule) {
  for (const auto& l : t.links)
    for (int side = 0; side < 2; ++side) {
      const auto& node_end = l.ends[side];
      const auto& host_end = l.ends[1 - side];
      if (node_end.node != rule.via || host_end.node != model::kHostNode) continue;
      for (const auto& a : node_end.addresses) {
        if (a.family() != rule.subnet.family()) continue;
        if (a.subnet().str() == rule.subnet.str()) return NatRoute{host_end.ifname, std::nullopt};
        return NatRoute{host_end.ifname, a.address()};
      }
      return fail(Error::usage(fmt::format(
          "line {}: nat {} via {}: {}'s end of the link to host:{} has no {} address to route "
          "through; give it one",
          rule.pos.line, rule.subnet.str(), rule.via, rule.via, host_end.ifname,
          rule.subnet.address().is_v4() ? "IPv4" : "IPv6")));
    }
  return fail(Error::usage(
      fmt::format("line {}: nat {} via {}: {} has no link to the host; add one with an endpoint "
                  "\"host:IF\"",
                  rule.pos.line, rule.subnet.str(), rule.via, rule.via)));
}

// A container node's root: relative to the lab file's folder.
Result<std::string> container_rootfs(const model::TopoNode& node, std::string_view file) {
  std::string path = node.rootfs;
  if (!path.starts_with('/')) {
    std::string base = ".";
    if (auto slash = file.rfind('/'); slash != std::string_view::npos)
      base = std::string(file.substr(0, slash == 0 ? 1 : slash));
    path = base + "/" + path;
  }
  char resolved[PATH_MAX];
  if (!::realpath(path.c_str(), resolved))
    return fail(Error::system(
        fmt::format("node {}: rootfs {} (give a folder holding the container's files)", node.name,
                    quote(node.rootfs))));
  return std::string(resolved);
}

// The kernel's netem module: refused for the whole file before anything is
// made, rather than failing half way.
Status check_netem_available(const model::Topology& t) {
  bool wanted = false;
  for (const auto& l : t.links)
    for (const auto& e : l.ends) wanted = wanted || (e.shape && e.shape->needs_netem());
  if (!wanted) return {};
  if (::access("/sys/module/sch_netem", F_OK) == 0) return {};
  // Built as a module that is not loaded yet: the kernel loads it on first use
  // if the file is there.
  std::string release;
  if (auto r = kernel::read_sysctl("kernel/osrelease")) release = *r;
  for (const char* ext : {".ko", ".ko.xz", ".ko.zst", ".ko.gz"})
    if (::access(fmt::format("/lib/modules/{}/kernel/net/sched/sch_netem{}", release, ext).c_str(),
                 F_OK) == 0)
      return {};
  return fail(Error::failed(
      fmt::format("lab {}: delay, jitter and loss need netem, which this kernel does not have "
                  "(sch_netem); nothing was made",
                  t.name),
      ENOENT));
}

struct NodeState {
  const model::TopoNode* node = nullptr;
  NetnsName netns = *NetnsName::parse("-");
  UniqueFd fd;
  std::optional<kernel::NetlinkSocket> sock;
  int bridge_ifindex = 0;
  bool host = false;  // the namespace contain runs in, for host:IF ends
};

// tbf (and netem under it) on a link end, queued on that end's namespace batch.
Status queue_shaping(kernel::NetlinkBatch& batch, int ifindex, const model::LinkShape& shape,
                     const std::string& where) {
  // netem is a child of the root tbf: without a rate, the tbf lets everything
  // through at the highest rate libnl can express.
  std::uint64_t rate_bits =
      shape.rate ? shape.rate->bits_per_second() : Rate::kMaxBitsPerSecond - 8;
  std::optional<std::uint64_t> burst, latency;
  if (shape.burst) burst = shape.burst->bytes();
  if (shape.latency) latency = shape.latency->microseconds();
  auto bucket = model::plan_token_bucket(rate_bits, burst, latency);
  batch.add(TRY(kernel::build_tbf_request(
                ifindex, {bucket.rate_bytes, bucket.burst_bytes, bucket.limit_bytes})),
            fmt::format("shape {}", where));
  if (shape.needs_netem()) {
    kernel::NetemParams netem;
    if (shape.delay) netem.delay_us = static_cast<std::uint32_t>(shape.delay->microseconds());
    if (shape.jitter) netem.jitter_us = static_cast<std::uint32_t>(shape.jitter->microseconds());
    if (shape.loss) netem.loss_percent = shape.loss->value();
    batch.add(TRY(kernel::build_netem_request(ifindex, netem)),
              fmt::format("add delay/loss to {}", where));
  }
  return {};
}

}  // namespace

Result<TopoUpSummary> topo_up(const model::Topology& t, const TopoUpOptions& options) {
  auto started = std::chrono::steady_clock::now();
  // With a prefix, the lab is recorded as PREFIX+NAME: two copies of one file
  // can be up side by side.
  const std::string lab = options.prefix + t.name;
  const std::string owner = topo_owner(lab);
  std::string what = fmt::format("bring lab {} up", lab);
  auto plan = model::plan_topology(t, options.prefix);
  // host:IF ends live in the namespace contain runs in: a node of its own
  // here, last, that is never made or removed.
  static const model::TopoNode kHostNodeValue = [] {
    model::TopoNode n;
    n.name = std::string(model::kHostNode);
    return n;
  }();
  std::vector<std::string> host_links;
  for (const auto& l : t.links)
    for (const auto& e : l.ends)
      if (e.node == model::kHostNode) host_links.push_back(e.ifname);
  const std::size_t namespace_count = plan.nodes.size();
  std::vector<NodeState> nodes(namespace_count + (host_links.empty() ? 0 : 1));
  std::map<std::string, std::size_t> index_of;  // node name -> index in nodes
  for (std::size_t i = 0; i < namespace_count; ++i) {
    auto name = NetnsName::parse(plan.nodes[i].netns);
    if (!name) return fail(std::move(name).error().wrap(what));
    nodes[i].node = &t.nodes[plan.nodes[i].node];
    nodes[i].netns = *name;
    index_of[nodes[i].node->name] = i;
  }
  if (!host_links.empty()) {
    auto& host = nodes.back();
    host.node = &kHostNodeValue;
    host.host = true;
    // The calling thread's namespace (the workers below enter others).
    host.fd = UniqueFd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!host.fd) return fail(Error::system(what + ": open the host's network namespace"));
    host.sock = TRY_WRAP(kernel::NetlinkSocket::open(), what);
    index_of[std::string(model::kHostNode)] = nodes.size() - 1;
  }
  TRY(check_netem_available(t));

  // The containers of container nodes, checked before anything is made: each
  // joins its node's namespace once the lab is wired (engine/container's
  // `run -d --network netns:NS`), so its links are there before its command starts.
  std::vector<model::ContainerSpec> containers;
  for (std::size_t i = 0; i < namespace_count; ++i) {
    const auto& node = *nodes[i].node;
    if (node.kind != NodeKind::container) continue;
    std::string where = fmt::format("{}: node {}", what, node.name);
    // As `run -d --name LAB-NODE --hostname NODE --network netns:NS [--rootfs DIR] -e ... -- CMD`.
    model::ContainerOptions o{.name = topo_container_name(lab, node.name),
                              .hostname = node.name,
                              .command = node.command,
                              .env = node.env,
                              .rootfs = node.rootfs,
                              .network = "netns:" + nodes[i].netns.str(),
                              .detach = true};
    model::ContainerInputs inputs{.id = TRY_WRAP(new_container_id(), where)};
    if (!node.rootfs.empty()) inputs.rootfs = container_rootfs(node, options.file);
    containers.push_back(TRY_WRAP(model::build_container_spec(o, inputs), where));
  }
  // Where the host routes each NAT subnet: a file that cannot say is refused
  // before anything is made.
  std::vector<NatRoute> nat_routes;
  for (const auto& rule : t.nat) nat_routes.push_back(TRY_WRAP(nat_route(t, rule), what));
  auto progress = [&](std::string_view phase, std::size_t done, std::size_t total) {
    if (options.progress) options.progress(phase, done, total);
  };

  std::optional<StateStore> store(TRY(StateStore::lock()));
  std::string digest = digest_of(t.canonical() + "\nprefix " + options.prefix);
  if (auto existing = TRY(store->read(kTopoKind, lab))) {
    auto record = TRY(TopoRecord::from_json(*existing));
    if (record.state == "creating" && kernel::process_alive(record.pid, record.start_time))
      return fail(Error::failed(
          fmt::format("{}: process {} is bringing it up right now", what, record.pid), EBUSY));
    if (record.state == "up" && record.digest == digest) {
      TopoUpSummary s;
      s.already_up = true;
      s.nodes = t.nodes.size();
      s.links = t.links.size();
      return s;
    }
    return fail(Error::failed(
        fmt::format("{}: a lab of that name is already {} from {} (run 'contain topo down {}' "
                    "first)",
                    what, record.state == "up" ? "up, made differently," : "half made", record.file,
                    lab),
        EEXIST));
  }
  for (std::size_t i = 0; i < namespace_count; ++i)
    if (kernel::netns_exists(nodes[i].netns))
      return fail(Error::failed(fmt::format("{}: namespace {} already exists and is not part of "
                                            "this lab (delete it, or choose a --prefix)",
                                            what, quote(nodes[i].netns.str())),
                                EEXIST));
  for (const auto& c : containers)
    if (TRY(store->get<ContainerRecord>(c.name.str())))
      return fail(Error::failed(
          fmt::format("{}: container name {} is already in use (remove it with 'contain rm {}', "
                      "or choose a --prefix)",
                      what, quote(c.name.str()), c.name.str()),
          EEXIST));
  if (!host_links.empty())
    for (const auto& l : TRY_WRAP(kernel::list_links(*nodes.back().sock), what))
      if (std::find(host_links.begin(), host_links.end(), l.name) != host_links.end())
        return fail(Error::failed(fmt::format("{}: host interface {} already exists (the lab's "
                                              "host:{} end would take its name; rename one)",
                                              what, quote(l.name), l.name),
                                  EEXIST));

  TopoRecord record;
  record.name = lab;
  record.prefix = options.prefix;
  record.file = options.file;
  record.text = options.text;
  record.digest = digest;
  record.state = "creating";
  record.pid = ::getpid();
  record.start_time = kernel::process_start_time(record.pid).value_or(0);
  for (std::size_t i = 0; i < namespace_count; ++i)
    record.namespaces.push_back(nodes[i].netns.str());
  for (const auto& c : containers) record.containers.push_back(c.name.str());
  record.host_links = host_links;

  // Recorded before anything exists: `gc` finishes a lab whose `up` was killed.
  std::vector<char> made(namespace_count, 0);
  std::vector<std::string> started_containers;
  Undo undo;
  undo.add([&] {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < namespace_count; ++i)
      if (made[i]) names.push_back(nodes[i].netns.str());
    nodes.clear();  // close our descriptors first: they would keep the namespaces alive
    // A container takes the store's lock to go: ours must be released first.
    if (!started_containers.empty()) {
      store.reset();
      for (const auto& c : started_containers)
        if (auto name = model::ContainerName::parse(c)) (void)remove_container(*name, true);
    }
    if (!store) {
      auto relocked = StateStore::lock();
      if (!relocked) return;  // the record stays "creating": gc finishes it
      store.emplace(std::move(*relocked));
    }
    (void)remove_with_host_links(lab, host_links, /*ours_by_alias=*/false,
                                 [&] { return remove_namespaces(names); });
    (void)remove_firewall_owned_by(*store, owner);
    (void)store->remove(kTopoKind, lab);
  });
  TRY_WRAP(store->write(kTopoKind, lab, record.to_json()), what);

  // 1. Namespaces, with a netlink socket in each, a few threads at once (the
  //    kernel's per-namespace setup does not hold the RTNL lock). The first
  //    alone: it may make /run/netns a shared mount, which two must not race.
  progress("namespaces", 0, namespace_count);
  auto make = [&](std::size_t i) -> Status {
    auto fd = TRY(kernel::create_netns(nodes[i].netns));
    made[i] = 1;
    nodes[i].fd = std::move(fd);
    nodes[i].sock = TRY(kernel::NetlinkSocket::open_in(nodes[i].fd.get()));
    return {};
  };
  // A namespace and a netlink socket per node, held by several threads.
  kernel::reserve_descriptors(2 * namespace_count + nodes.size());
  if (namespace_count > 0) TRY_WRAP(make(0), what);
  TRY_WRAP(parallel_for(namespace_count - std::min<std::size_t>(1, namespace_count), cpu_threads(),
                        [&](std::size_t i) { return make(i + 1); }),
           what);

  // 2. Loopback up everywhere; a bridge in each bridge node.
  progress("bridges", 0, namespace_count);
  TRY_WRAP(parallel_for(namespace_count, cpu_threads(),
                        [&](std::size_t i) -> Status {
                          auto& n = nodes[i];
                          TRY(kernel::set_link_up(*n.sock, 1));
                          if (n.node->kind != NodeKind::bridge) return {};
                          IfName br = *IfName::parse(model::kBridgeIfname);
                          TRY(kernel::create_bridge(*n.sock, br));
                          n.bridge_ifindex = TRY(kernel::get_link(*n.sock, br.str())).ifindex;
                          return {};
                        }),
           what);

  // 3. Links: each veth created by one end's namespace with its peer born in
  //    the other's, in one request; a bridge end is enslaved in the same
  //    request. One pipelined batch per creating namespace.
  progress("links", 0, t.links.size());
  {
    std::map<std::size_t, std::unique_ptr<kernel::NetlinkBatch>> batches;
    for (const auto& pl : plan.links) {
      const auto& l = t.links[pl.link];
      const auto& mine = l.ends[pl.creator];
      const auto& theirs = l.ends[1 - pl.creator];
      std::size_t a = index_of.at(mine.node), b = index_of.at(theirs.node);
      auto& batch = batches[a];
      if (!batch) batch = std::make_unique<kernel::NetlinkBatch>(*nodes[a].sock);
      kernel::VethRequest request{*IfName::parse(mine.ifname), *IfName::parse(theirs.ifname),
                                  nodes[b].fd.get(), l.up, nodes[a].bridge_ifindex};
      batch->add(TRY(kernel::build_veth_request(request)),
                 fmt::format("create link {}:{} <-> {}:{}", mine.node, mine.ifname, theirs.node,
                             theirs.ifname));
    }
    for (auto& [_, batch] : batches) TRY_WRAP(batch->commit(), what);
  }

  // 4. In each namespace, one batch: the ends up (the peer cannot be brought up
  //    by the creating request), enslaved, MTU, addresses, shaping, loopback
  //    addresses, then routes (after the addresses they go through); then its
  //    sysctls, from a thread that enters the namespace (/proc/sys/net shows
  //    the namespace of whoever opens it). The host's ends get the lab's alias
  //    and nothing else of the host is touched.
  progress("addresses", 0, nodes.size());
  struct EndRef {
    const model::TopoLink* link;
    const model::LinkEnd* end;
    bool created_here;  // by the creating request: already up and enslaved
  };
  std::vector<std::vector<EndRef>> ends_of(nodes.size());
  for (const auto& pl : plan.links) {
    const auto& l = t.links[pl.link];
    for (int side = 0; side < 2; ++side)
      ends_of[index_of.at(l.ends[side].node)].push_back({&l, &l.ends[side], side == pl.creator});
  }
  std::map<std::string, int> host_ifindex;  // written by the host's worker only
  TRY_WRAP(parallel_for(
               nodes.size(), cpu_threads(),
               [&](std::size_t i) -> Status {
                 auto& n = nodes[i];
                 const auto& node = *n.node;
                 std::map<std::string, int> ifindex;
                 if (!ends_of[i].empty())
                   for (const auto& l : TRY(kernel::list_links(*n.sock)))
                     ifindex[l.name] = l.ifindex;
                 kernel::NetlinkBatch batch(*n.sock);
                 for (const auto& e : ends_of[i]) {
                   int index = ifindex[e.end->ifname];
                   std::string where = fmt::format("{}:{}", node.name, e.end->ifname);
                   unsigned mtu = e.link->mtu ? *e.link->mtu : node.mtu.value_or(0);
                   kernel::LinkChange change{.ifindex = index,
                                             .name = {},
                                             .up = e.link->up && !e.created_here,
                                             .alias = {},
                                             .master = e.created_here ? 0 : n.bridge_ifindex,
                                             .mtu = mtu};
                   if (n.host) change.alias = owner_alias(owner);
                   if (change.up || change.master || change.mtu || change.alias)
                     batch.add(TRY(kernel::build_link_change_request(change)),
                               fmt::format("set up {}", where));
                   for (const auto& a : e.end->addresses)
                     batch.add(TRY(kernel::build_add_address_request(index, a)),
                               fmt::format("add address {} to {}", a.str(), where));
                   if (e.end->shape) TRY(queue_shaping(batch, index, *e.end->shape, where));
                 }
                 for (const auto& a : node.loopback)
                   batch.add(TRY(kernel::build_add_address_request(1, a)),
                             fmt::format("add address {} to {}:lo", a.str(), node.name));
                 for (const auto& r : node.routes) {
                   int dev = r.dev.empty() ? 0 : ifindex[r.dev];
                   batch.add(TRY(kernel::build_route_request({r.destination, r.gateway, dev})),
                             fmt::format("add route '{}' in {}", r.text, node.name));
                 }
                 TRY(batch.commit());
                 if (n.host) {
                   host_ifindex = std::move(ifindex);
                   return {};
                 }
                 if (node.kind == NodeKind::bridge) return {};
                 // A new namespace's IPv4 settings are copied from the host's (see
                 // devconf_inherit_init_net): forwarding is set either way.
                 auto inside = TRY(kernel::NetnsGuard::enter(n.fd.get()));
                 std::string_view on = node.forwarding ? "1" : "0";
                 TRY(kernel::write_sysctl("net/ipv4/ip_forward", on));
                 TRY(kernel::write_sysctl("net/ipv6/conf/all/forwarding", on));
                 for (const auto& [key, value] : node.sysctls)
                   TRY_WRAP(kernel::write_sysctl(key, value), fmt::format("node {}", node.name));
                 return {};
               }),
           what);

  // 5. NAT: the host routes each subnet via its node's end of the host link
  //    and masquerades it (the firewall's own table, owner topo/LAB).
  if (!t.nat.empty()) {
    kernel::NetlinkBatch batch(*nodes.back().sock);
    for (std::size_t i = 0; i < t.nat.size(); ++i) {
      const auto& rule = t.nat[i];
      const auto& route = nat_routes[i];
      if (route.gateway)
        batch.add(
            TRY(kernel::build_route_request(
                {rule.subnet, route.gateway, host_ifindex[route.host_ifname]})),
            fmt::format("route {} via {} on the host", rule.subnet.str(), route.gateway->str()));
    }
    TRY_WRAP(batch.commit(), what);
    for (const auto& rule : t.nat)
      TRY_WRAP(enable_nat(*store, rule.subnet, std::nullopt, owner), what);
  }

  // 6. The containers, without our lock (starting one takes it): the record
  //    says "creating" with our pid meanwhile, so no one else takes the lab.
  if (!containers.empty()) {
    progress("containers", 0, containers.size());
    store.reset();
    for (auto& spec : containers) {
      std::string name = spec.name.str();
      TRY_WRAP(run_container_detached(std::move(spec)), what);
      started_containers.push_back(name);
    }
    store.emplace(TRY_WRAP(StateStore::lock(), what));
  }

  // 7. The nodes' own commands, in file order; a failure undoes the lab.
  for (std::size_t i = 0; i < namespace_count; ++i) {
    const auto& n = nodes[i];
    for (const auto& command : n.node->exec) {
      int status = TRY_WRAP(
          run_in_netns(&n.netns, n.netns.str(), n.fd.get(), {"/bin/sh", "-c", command}), what);
      if (status != 0)
        return fail(Error::failed(fmt::format("{}: exec '{}' in node {} exited with status {}",
                                              what, command, n.node->name, status)));
    }
  }

  record.state = "up";
  record.pid = 0;
  record.start_time = 0;
  TRY_WRAP(store->write(kTopoKind, lab, record.to_json()), what);
  undo.commit();
  TopoUpSummary s;
  s.nodes = t.nodes.size();
  s.links = t.links.size();
  s.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return s;
}

Result<TopoRecord> topo_record(std::string_view name) {
  auto store = StateStore::reader();
  auto j = TRY(store.read(kTopoKind, name));
  if (!j)
    return fail(Error::failed(
        fmt::format("no lab named {} is up (see 'contain topo list')", quote(name)), ENOENT));
  return TopoRecord::from_json(*j);
}

Status topo_down(std::string_view name) {
  std::string what = fmt::format("take lab {} down", quote(name));
  std::optional<StateStore> store(TRY(StateStore::lock()));
  auto j = TRY(store->read(kTopoKind, name));
  if (!j)
    return fail(Error::failed(
        fmt::format("{}: no lab of that name is up (see 'contain topo list')", what), ENOENT));
  auto record = TRY_WRAP(TopoRecord::from_json(*j), what);
  if (record.state == "creating" && kernel::process_alive(record.pid, record.start_time))
    return fail(Error::failed(
        fmt::format("{}: process {} is bringing it up right now", what, record.pid), EBUSY));
  if (!record.containers.empty()) {
    // Removing a container takes the store's lock: ours is released meanwhile
    // (the record stays until everything is gone, so the lab cannot be brought
    // up again half way).
    store.reset();
    for (const auto& c : record.containers) {
      auto container = TRY_WRAP(model::ContainerName::parse(c), what);
      auto ok = remove_container(container, /*force=*/true);
      if (!ok && ok.error().code() != ENOENT) return fail(std::move(ok).error().wrap(what));
    }
    store.emplace(TRY(StateStore::lock()));
  }
  TRY_WRAP(remove_with_host_links(name, record.host_links, /*ours_by_alias=*/true,
                                  [&] { return remove_namespaces(record.namespaces); }),
           what);
  TRY_WRAP(remove_firewall_owned_by(*store, topo_owner(name)), what);
  TRY_WRAP(store->remove(kTopoKind, name), what);
  return {};
}

Status record_topo_check(std::string_view lab, const std::vector<TopoRecord::CheckMark>& marks) {
  auto store = TRY(StateStore::lock());
  auto j = TRY(store.read(kTopoKind, lab));
  if (!j) return fail(Error::failed(fmt::format("lab {} is not up", quote(lab)), ENOENT));
  auto record = TRY(TopoRecord::from_json(*j));
  record.last_check = marks;
  return store.write(kTopoKind, lab, record.to_json());
}

std::string topo_container_name(std::string_view lab, std::string_view node) {
  return fmt::format("{}-{}", lab, node);
}

Result<std::vector<TopoRecord>> topo_list() {
  auto store = StateStore::reader();
  std::vector<TopoRecord> out;
  for (const auto& [name, j] : TRY(store.read_all(kTopoKind))) {
    auto r = TopoRecord::from_json(j);
    if (r) out.push_back(std::move(*r));
  }
  return out;
}

Result<int> topo_exec(std::string_view lab, std::string_view node,
                      const std::vector<std::string>& argv) {
  auto record = TRY(topo_record(lab));
  std::string netns = record.prefix + std::string(node);
  if (std::find(record.namespaces.begin(), record.namespaces.end(), netns) ==
      record.namespaces.end())
    return fail(Error::usage(fmt::format("lab {} has no node {} (see 'contain topo show {}')",
                                         quote(lab), quote(node), lab)));
  // A container node's command runs in its container (its root, namespaces
  // and confinement), as `contain exec` would.
  if (std::find(record.containers.begin(), record.containers.end(),
                topo_container_name(lab, node)) != record.containers.end())
    return exec_in_container(TRY(model::ContainerName::parse(topo_container_name(lab, node))),
                             argv);
  auto name = TRY(NetnsName::parse(netns));
  return exec_in_netns(NetnsRef::named(name), argv);
}

namespace {

// gc, under its lock, of a container of a lab whose `up` died: `rm -f` would
// take the lock, so its process and monitor are killed here and its record
// and log removed (where engine/container keeps them).
Status kill_half_made_container(const StateStore& store, const std::string& name) {
  auto r = TRY(store.get<ContainerRecord>(name));
  if (!r) return {};
  for (auto [pid, start] :
       {std::pair{r->monitor_pid, r->monitor_start}, std::pair{r->pid, r->pid_start.value_or(0)}}) {
    if (pid <= 0 || pid == ::getpid() || !kernel::process_alive(pid, start)) continue;
    auto pidfd = kernel::open_pidfd(pid);
    if (!pidfd) continue;  // gone meanwhile
    TRY(kernel::signal_pidfd(pidfd->get(), SIGKILL));
    TRY(kernel::wait_pidfd(pidfd->get(), 5000));
  }
  TRY(store.erase<ContainerRecord>(name));
  ::unlink(fmt::format("{}/logs/{}.log", StateStore::kRoot, name).c_str());
  return {};
}

}  // namespace

Status collect_topologies(const StateStore& store, std::vector<std::string>& done) {
  for (const auto& [name, j] : TRY(store.read_all(kTopoKind))) {
    auto record = TopoRecord::from_json(j);
    if (!record) continue;
    bool half_made =
        record->state == "creating" && !kernel::process_alive(record->pid, record->start_time);
    bool all_gone = std::none_of(record->namespaces.begin(), record->namespaces.end(),
                                 [](const std::string& n) {
                                   auto parsed = NetnsName::parse(n);
                                   return parsed && kernel::netns_exists(*parsed);
                                 });
    if (!half_made && !(record->state == "up" && all_gone)) continue;
    if (half_made)
      for (const auto& c : record->containers) TRY(kill_half_made_container(store, c));
    TRY(remove_with_host_links(name, record->host_links, /*ours_by_alias=*/true,
                               [&] { return remove_namespaces(record->namespaces); }));
    TRY(remove_firewall_owned_by(store, topo_owner(name)));
    TRY(store.remove(kTopoKind, name));
    done.push_back(half_made ? fmt::format("removed lab {}, left half made (process {} died)", name,
                                           record->pid)
                             : fmt::format("forgot lab {} (its namespaces are gone)", name));
  }
  return {};
}

}  // namespace contain::engine
