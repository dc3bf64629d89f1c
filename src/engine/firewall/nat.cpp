#include "engine/firewall/nat.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/undo.hpp"
#include "engine/firewall/table.hpp"
#include "engine/records.hpp"

namespace contain::engine {

namespace {

using namespace firewall_detail;

std::string nat_key(const Cidr& subnet, const std::optional<std::string>& out) {
  std::string key = subnet.subnet().str();
  std::replace(key.begin(), key.end(), '/', '_');
  if (out) key += "@" + *out;
  return key;
}

}  // namespace

Status enable_nat(const StateStore& store, const Cidr& subnet, const std::optional<IfName>& out,
                  std::string_view owner) {
  Cidr s = subnet.subnet();
  std::optional<std::string> out_name;
  if (out) {
    TRY(model::check_nft_ifname(*out, "--out"));
    out_name = out->str();
  }
  std::string what = fmt::format("enable NAT for {}{}", s.str(),
                                 out_name ? " out of " + *out_name : std::string());
  std::string key = nat_key(s, out_name);
  if (TRY(store.get<NatRecord>(key)))
    return fail(Error::failed(
        fmt::format("{}: it is already enabled (see 'contain nat list')", what), EEXIST));
  if (!out_name) {
    // The subnets masqueraded towards everywhere form one interval set: they may not overlap.
    TRY(store.visit<NatRecord>([&](const std::string&, const NatRecord& n) -> Status {
      if (!n.out && n.subnet.family() == s.family() && n.subnet.overlaps(s))
        return fail(Error::usage(
            fmt::format("{}: it overlaps {} which already has NAT (disable that first)", what,
                        n.subnet.str())));
      return {};
    }));
  }
  TRY(enable_forwarding(s.family(), what));
  Undo undo;
  NatRecord record{s, out_name, std::string(owner)};
  TRY_WRAP(store.put(key, record), what);
  undo.add([&] { (void)store.erase<NatRecord>(key); });
  model::FirewallElements added;
  added.nat.push_back(nat_element(record));
  TRY(apply(store, added, {}, what));
  undo.commit();
  return {};
}

Status enable_nat(const Cidr& subnet, const std::optional<IfName>& out) {
  if (out) TRY(model::check_nft_ifname(*out, "--out"));  // before the store is touched
  auto store = TRY(StateStore::lock());
  return enable_nat(store, subnet, out, "");
}

Status disable_nat(const Cidr& subnet) {
  auto store = TRY(StateStore::lock());
  Cidr s = subnet.subnet();
  std::string what = fmt::format("disable NAT for {}", s.str());
  std::vector<RecordRef> refs;
  TRY(store.visit<NatRecord>([&](const std::string& name, const NatRecord& n) -> Status {
    if (n.subnet == s) refs.push_back({NatRecord::kKind, name});
    return {};
  }));
  if (refs.empty())
    return fail(Error::failed(
        fmt::format("{}: NAT is not enabled for it (see 'contain nat list')", what), ENOENT));
  return remove_records(store, refs, what);
}

Result<std::vector<NatRecord>> list_nat(const StoreReader& store) {
  std::vector<NatRecord> out;
  for (auto& [name, n] : TRY(store.get_all<NatRecord>())) out.push_back(std::move(n));
  return out;
}

Result<std::vector<NatRecord>> list_nat() { return list_nat(StateStore::reader()); }

}  // namespace contain::engine
