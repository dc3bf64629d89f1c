#include "engine/topo.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "core/names.hpp"
#include "core/undo.hpp"
#include "engine/net.hpp"
#include "kernel/addr.hpp"
#include "kernel/batch.hpp"
#include "kernel/link.hpp"
#include "kernel/netlink.hpp"
#include "kernel/netns.hpp"
#include "kernel/process.hpp"
#include "kernel/route.hpp"
#include "kernel/sysctl.hpp"
#include "kernel/tc.hpp"
#include "model/shaping.hpp"

namespace contain::engine {

using model::NodeKind;
using nlohmann::json;

json TopoRecord::to_json() const {
  return {{"name", name}, {"prefix", prefix},         {"file", file},
          {"text", text}, {"digest", digest},         {"state", state},
          {"pid", pid},   {"start_time", start_time}, {"namespaces", namespaces}};
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
  return r;
}

namespace {

// FNV-1a: a stable digest of the canonical topology (std::hash may change
// between builds, and the record outlives the binary).
std::string digest_of(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return fmt::format("{:016x}", h);
}

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

Status refuse_unsupported(const model::Topology& t) {
  auto refuse = [&](model::SourcePos pos, std::string what) -> Status {
    return fail(Error::usage(
        fmt::format("lab {}: line {}: {} is not supported by 'topo up' yet (remove it from the "
                    "file)",
                    t.name, pos.line, what)));
  };
  for (const auto& n : t.nodes)
    if (n.kind == NodeKind::container) TRY(refuse(n.pos, "node " + n.name + " of kind container"));
  for (const auto& l : t.links)
    for (const auto& e : l.ends)
      if (e.node == model::kHostNode) TRY(refuse(l.pos, "a link into the host namespace"));
  if (!t.nat.empty()) TRY(refuse(t.nat[0].pos, "nat"));
  return {};
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
  std::string what = fmt::format("bring lab {} up", t.name);
  TRY(refuse_unsupported(t));
  auto plan = model::plan_topology(t, options.prefix);
  std::vector<NodeState> nodes(plan.nodes.size());
  std::map<std::string, std::size_t> index_of;  // node name -> index in nodes
  for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
    auto name = NetnsName::parse(plan.nodes[i].netns);
    if (!name) return fail(std::move(name).error().wrap(what));
    nodes[i].node = &t.nodes[plan.nodes[i].node];
    nodes[i].netns = *name;
    index_of[nodes[i].node->name] = i;
  }
  TRY(check_netem_available(t));
  auto progress = [&](std::string_view phase, std::size_t done, std::size_t total) {
    if (options.progress) options.progress(phase, done, total);
  };

  auto store = TRY(StateStore::lock());
  std::string digest = digest_of(t.canonical() + "\nprefix " + options.prefix);
  if (auto existing = TRY(store.read(kTopoKind, t.name))) {
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
                    t.name),
        EEXIST));
  }
  for (const auto& n : nodes)
    if (kernel::netns_exists(n.netns))
      return fail(Error::failed(fmt::format("{}: namespace {} already exists and is not part of "
                                            "this lab (delete it, or choose a --prefix)",
                                            what, quote(n.netns.str())),
                                EEXIST));

  TopoRecord record;
  record.name = t.name;
  record.prefix = options.prefix;
  record.file = options.file;
  record.text = options.text;
  record.digest = digest;
  record.state = "creating";
  record.pid = ::getpid();
  record.start_time = kernel::process_start_time(record.pid).value_or(0);
  for (const auto& n : nodes) record.namespaces.push_back(n.netns.str());

  // Recorded before anything exists: `gc` finishes a lab whose `up` was killed.
  std::vector<char> made(nodes.size(), 0);
  Undo undo;
  undo.add([&] {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < nodes.size(); ++i)
      if (made[i]) names.push_back(nodes[i].netns.str());
    nodes.clear();  // close our descriptors first: they would keep the namespaces alive
    (void)remove_namespaces(names);
    (void)store.remove(kTopoKind, t.name);
  });
  TRY_WRAP(store.write(kTopoKind, t.name, record.to_json()), what);

  // 1. Namespaces, with a netlink socket in each, a few threads at once (the
  //    kernel's per-namespace setup does not hold the RTNL lock). The first
  //    alone: it may make /run/netns a shared mount, which two must not race.
  progress("namespaces", 0, nodes.size());
  auto make = [&](std::size_t i) -> Status {
    auto fd = TRY(kernel::create_netns(nodes[i].netns));
    made[i] = 1;
    nodes[i].fd = std::move(fd);
    nodes[i].sock = TRY(kernel::NetlinkSocket::open_in(nodes[i].fd.get()));
    return {};
  };
  if (!nodes.empty()) TRY_WRAP(make(0), what);
  TRY_WRAP(parallel_for(nodes.size() - std::min<std::size_t>(1, nodes.size()), cpu_threads(),
                        [&](std::size_t i) { return make(i + 1); }),
           what);

  // 2. Loopback up everywhere; a bridge in each bridge node.
  progress("bridges", 0, nodes.size());
  TRY_WRAP(parallel_for(nodes.size(), cpu_threads(),
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
  //    the namespace of whoever opens it).
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
                   if (change.up || change.master || change.mtu)
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

  // 5. The nodes' own commands, in file order; a failure undoes the lab.
  for (const auto& n : nodes)
    for (const auto& command : n.node->exec) {
      int status =
          TRY_WRAP(kernel::run_in_netns(n.netns, n.fd.get(), {"/bin/sh", "-c", command}), what);
      if (status != 0)
        return fail(Error::failed(fmt::format("{}: exec '{}' in node {} exited with status {}",
                                              what, command, n.node->name, status)));
    }

  record.state = "up";
  record.pid = 0;
  record.start_time = 0;
  TRY_WRAP(store.write(kTopoKind, t.name, record.to_json()), what);
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
  auto store = TRY(StateStore::lock());
  auto j = TRY(store.read(kTopoKind, name));
  if (!j)
    return fail(Error::failed(
        fmt::format("{}: no lab of that name is up (see 'contain topo list')", what), ENOENT));
  auto record = TRY_WRAP(TopoRecord::from_json(*j), what);
  if (record.state == "creating" && kernel::process_alive(record.pid, record.start_time))
    return fail(Error::failed(
        fmt::format("{}: process {} is bringing it up right now", what, record.pid), EBUSY));
  TRY_WRAP(remove_namespaces(record.namespaces), what);
  TRY_WRAP(store.remove(kTopoKind, name), what);
  return {};
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
  auto name = TRY(NetnsName::parse(netns));
  return exec_in_netns(name, argv);
}

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
    TRY(remove_namespaces(record->namespaces));
    TRY(store.remove(kTopoKind, name));
    done.push_back(half_made ? fmt::format("removed lab {}, left half made (process {} died)", name,
                                           record->pid)
                             : fmt::format("forgot lab {} (its namespaces are gone)", name));
  }
  return {};
}

}  // namespace contain::engine
