#include "engine/firewall/table.hpp"

#include <fmt/format.h>
#include <sys/socket.h>

#include <algorithm>
#include <set>

#include "engine/firewall/forward.hpp"
#include "engine/firewall/isolation.hpp"
#include "engine/firewall/nat.hpp"
#include "engine/record/firewall.hpp"
#include "engine/records.hpp"
#include "kernel/netlink/link.hpp"
#include "kernel/nft/context.hpp"
#include "kernel/sysctl.hpp"

namespace contain::engine {

namespace {

constexpr std::string_view kTableName = FirewallRecord::kName;

constexpr const char* kIpv4Forward = "net/ipv4/ip_forward";
constexpr const char* kIpv6Forward = "net/ipv6/conf/all/forwarding";

}  // namespace

namespace firewall_detail {

Result<Everything> load_all(const StoreReader& store, const std::vector<RecordRef>& except) {
  auto left_out = [&](std::string_view kind, const std::string& name) {
    return std::any_of(except.begin(), except.end(),
                       [&](const RecordRef& r) { return r.kind == kind && r.name == name; });
  };
  Everything all;
  TRY(store.visit<NatRecord>([&](const std::string& name, const NatRecord& n) -> Status {
    if (!left_out(NatRecord::kKind, name)) all.elements.nat.push_back(nat_element(n));
    return {};
  }));
  TRY(store.visit<ForwardRecord>([&](const std::string& name, const ForwardRecord& f) -> Status {
    if (left_out(ForwardRecord::kKind, name)) return {};
    add_forward_elements(all.elements, f);
    for (const auto& t : f.targets)
      if (t.localnet) all.localnet_links.insert(*t.localnet);
    return {};
  }));
  TRY(store.visit<IsolationRecord>(
      [&](const std::string& name, const IsolationRecord& i) -> Status {
        if (!left_out(IsolationRecord::kKind, name))
          all.elements.isolated_bridges.push_back(i.bridge_or(name));
        return {};
      }));
  return all;
}

Status apply(const StateStore& store, const model::FirewallElements& added,
             const model::FirewallElements& removed, std::string_view what,
             const Everything* known_all) {
  auto nft = TRY_WRAP(kernel::Nftables::open(), what);
  bool has_table = TRY(store.get<FirewallRecord>(kTableName)).has_value();
  std::optional<Everything> loaded;
  auto all = [&]() -> Result<const Everything*> {
    if (known_all) return known_all;
    if (!loaded) loaded = TRY(load_all(store));
    return &*loaded;
  };
  if (!has_table) {
    const Everything* everything = TRY(all());
    if (everything->elements.empty()) return {};
    TRY_WRAP(store.put(kTableName, FirewallRecord{}), what);
    auto made = nft.run(model::rebuild_table(everything->elements), what);
    if (!made) (void)store.erase<FirewallRecord>(kTableName);
    return made;
  }
  if (!removed.empty()) {
    const Everything* everything = TRY(all());
    if (everything->elements.empty()) {
      TRY(nft.run(model::delete_table(), what));
      TRY_WRAP(store.erase<FirewallRecord>(kTableName), what);
      return {};
    }
  }
  std::string text = model::delete_elements(removed) + model::add_elements(added);
  if (text.empty()) return {};
  auto changed = nft.run(text, what);
  if (changed) return {};
  const Everything* everything = TRY(all());
  if (nft.run(model::rebuild_table(everything->elements), what)) return {};
  return changed;
}

Status enable_forwarding(int family, std::string_view what) {
  const char* key = family == AF_INET ? kIpv4Forward : kIpv6Forward;
  auto now = TRY_WRAP(kernel::read_sysctl(key), what);
  if (now != "1") TRY_WRAP(kernel::write_sysctl(key, "1"), what);
  return {};
}

Status remove_records(const StateStore& store, const std::vector<RecordRef>& refs,
                      std::string_view what) {
  if (refs.empty()) return {};
  model::FirewallElements removed;
  std::set<std::string> localnet_links;
  std::vector<RecordRef> present;
  for (const auto& ref : refs) {
    if (ref.kind == NatRecord::kKind) {
      auto n = TRY(store.get<NatRecord>(ref.name));
      if (!n) continue;
      removed.nat.push_back(nat_element(*n));
    } else if (ref.kind == ForwardRecord::kKind) {
      auto f = TRY(store.get<ForwardRecord>(ref.name));
      if (!f) continue;
      add_forward_elements(removed, *f);
      for (const auto& t : f->targets)
        if (t.localnet) localnet_links.insert(*t.localnet);
    } else if (ref.kind == IsolationRecord::kKind) {
      auto i = TRY(store.get<IsolationRecord>(ref.name));
      if (!i) continue;
      removed.isolated_bridges.push_back(i->bridge_or(ref.name));
    } else {
      continue;
    }
    present.push_back(ref);
  }
  // The elements go first, their records after: a kill in between leaves
  // records whose owner is gone (gc removes them again), never elements that
  // no record accounts for.
  auto left = TRY(load_all(store, refs));
  // A hairpin element shared with a remaining forward stays.
  std::set<model::Hairpin> kept(left.elements.hairpins.begin(), left.elements.hairpins.end());
  std::erase_if(removed.hairpins, [&](const model::Hairpin& h) { return kept.contains(h); });
  TRY(apply(store, {}, removed, what, &left));
  for (const auto& ref : present) TRY_WRAP(store.remove(ref.kind, ref.name), what);
  release_route_localnet(store, localnet_links, left.localnet_links);
  return {};
}

}  // namespace firewall_detail

using namespace firewall_detail;

namespace {

// Adds the records of kind R whose owner is one of `owners`.
template <record::Record R>
Status add_owned(const StoreReader& store, const std::set<std::string>& owners,
                 std::vector<RecordRef>& refs) {
  return store.visit<R>([&](const std::string& name, const R& r) -> Status {
    if (owners.contains(r.owner)) refs.push_back({R::kKind, name});
    return {};
  });
}

}  // namespace

Status remove_firewall_owned_by(const StateStore& store, std::string_view owner) {
  return remove_firewall_owned_by(store, std::set<std::string>{std::string(owner)});
}

Status remove_firewall_owned_by(const StateStore& store, const std::set<std::string>& owners) {
  if (owners.empty()) return {};
  std::vector<RecordRef> refs;
  TRY(add_owned<NatRecord>(store, owners, refs));
  TRY(add_owned<ForwardRecord>(store, owners, refs));
  TRY(add_owned<IsolationRecord>(store, owners, refs));
  return remove_records(
      store, refs,
      owners.size() == 1 ? fmt::format("remove the firewall entries of {}", *owners.begin())
                         : fmt::format("remove the firewall entries of {} owners", owners.size()));
}

// --- Garbage collection (contain gc) ---

Result<std::vector<std::string>> collect_firewall_garbage(
    const StateStore& store, const std::vector<std::pair<std::string, std::string>>& records) {
  std::string what = "collect firewall garbage";
  std::vector<std::string> done;
  auto nft = TRY_WRAP(kernel::Nftables::open(), what);
  auto table_in_kernel = [&]() -> Result<bool> {
    auto tables = TRY(nft.query("list tables inet\n", what));
    return tables.find(fmt::format("table inet {}", model::kFirewallTable)) != std::string::npos;
  };
  bool marked = TRY(store.get<FirewallRecord>(kTableName)).has_value();
  bool in_kernel = TRY(table_in_kernel());
  // The table was deleted behind our back (nft flush ruleset): forget the
  // marker, so that it is made again from the records below.
  bool was_deleted = marked && !in_kernel;
  if (was_deleted) {
    TRY_WRAP(store.erase<FirewallRecord>(kTableName), what);
    marked = false;
  }
  if (!marked && in_kernel) {
    TRY_WRAP(store.put(kTableName, FirewallRecord{}), what);
    marked = true;
  }
  std::vector<RecordRef> refs;
  for (const auto& [kind, name] : records) {
    for (std::string_view k : {NatRecord::kKind, ForwardRecord::kKind, IsolationRecord::kKind})
      if (kind == k) refs.push_back({k, name});
  }
  auto host = TRY_WRAP(kernel::NetlinkSocket::open(), what);
  auto localnet_line = [&](const std::string& ifname) {
    return kernel::get_link(host, ifname)
               ? fmt::format("restored route_localnet on {} (no forward needs it)", ifname)
               : fmt::format("removed the route_localnet record of {} (the link no longer exists)",
                             ifname);
  };
  auto localnet_before = TRY(store.list(LocalnetRecord::kKind));
  TRY(remove_records(store, refs, what));
  auto localnet_after = TRY(store.list(LocalnetRecord::kKind));
  for (const auto& ifname : localnet_before)
    if (std::find(localnet_after.begin(), localnet_after.end(), ifname) == localnet_after.end())
      done.push_back(localnet_line(ifname));
  auto left = TRY(load_all(store));
  if (left.elements.empty()) {
    if (TRY(table_in_kernel())) {
      TRY(nft.run(model::delete_table(), what));
      done.push_back(fmt::format("deleted the nftables table inet {} (no entry of ours is left)",
                                 model::kFirewallTable));
    }
    TRY_WRAP(store.erase<FirewallRecord>(kTableName), what);
  } else {
    if (!TRY(table_in_kernel()))
      TRY(apply(store, {}, {}, what, &left));
    else
      TRY(nft.run(model::rebuild_table(left.elements), what));
    if (was_deleted)
      done.push_back(
          fmt::format("made the nftables table inet {} again from our records (it was "
                      "deleted outside contain)",
                      model::kFirewallTable));
  }
  // route_localnet set for forwards that are gone, or on links that are gone.
  for (const auto& ifname : localnet_after) {
    if (left.localnet_links.contains(ifname) && kernel::get_link(host, ifname)) continue;
    std::string line = localnet_line(ifname);
    release_route_localnet(store, {ifname}, {});
    done.push_back(std::move(line));
  }
  return done;
}

}  // namespace contain::engine
