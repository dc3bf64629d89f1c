#include "engine/firewall/nat.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/undo.hpp"
#include "engine/firewall/table.hpp"
#include "engine/records.hpp"

namespace contain::engine {

namespace {

using nlohmann::json;
using namespace firewall_detail;

std::string nat_key(const Cidr& subnet, const std::optional<std::string>& out) {
  std::string key = subnet.subnet().str();
  std::replace(key.begin(), key.end(), '/', '_');
  if (out) key += "@" + *out;
  return key;
}

}  // namespace

namespace firewall_detail {

static Result<Cidr> cidr_field(const json& r, const char* field) {
  auto c = Cidr::parse(r.value(field, ""));
  if (!c)
    return fail(Error::failed(fmt::format("a firewall record has a bad {} ('contain gc')", field)));
  return *c;
}

Result<NatInfo> nat_of(const json& r) {
  NatInfo n{TRY(cidr_field(r, "subnet")), {}, r.value("owner", "")};
  if (r.contains("out") && r["out"].is_string()) n.out = r["out"].get<std::string>();
  return n;
}

}  // namespace firewall_detail

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
  if (TRY(store.read(kNatKind, key)))
    return fail(Error::failed(
        fmt::format("{}: it is already enabled (see 'contain nat list')", what), EEXIST));
  if (!out_name) {
    // The subnets masqueraded towards everywhere form one interval set: they may not overlap.
    for (const auto& [name, r] : TRY(store.read_all(kNatKind))) {
      auto n = TRY(nat_of(r));
      if (!n.out && n.subnet.family() == s.family() && n.subnet.overlaps(s))
        return fail(Error::usage(
            fmt::format("{}: it overlaps {} which already has NAT (disable that first)", what,
                        n.subnet.str())));
    }
  }
  TRY(enable_forwarding(s.family(), what));
  Undo undo;
  TRY_WRAP(store.write(kNatKind, key,
                       json{{"subnet", s.str()},
                            {"out", out_name ? json(*out_name) : json(nullptr)},
                            {"owner", owner}}),
           what);
  undo.add([&] { (void)store.remove(kNatKind, key); });
  model::FirewallElements added;
  added.nat.push_back({s, out_name});
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
  for (const auto& [name, r] : TRY(store.read_all(kNatKind)))
    if (TRY(nat_of(r)).subnet == s) refs.push_back({kNatKind, name});
  if (refs.empty())
    return fail(Error::failed(
        fmt::format("{}: NAT is not enabled for it (see 'contain nat list')", what), ENOENT));
  return remove_records(store, refs, what);
}

Result<std::vector<NatInfo>> list_nat() {
  auto store = StateStore::reader();
  std::vector<NatInfo> out;
  for (const auto& [name, r] : TRY(store.read_all(kNatKind))) out.push_back(TRY(nat_of(r)));
  return out;
}

}  // namespace contain::engine
