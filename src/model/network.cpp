#include "model/network.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

namespace contain::model {

namespace {

using nlohmann::json;

json range_json(const std::optional<AddressRange>& range) {
  return range ? json(range->str()) : json(nullptr);
}

json gateway_json(const std::optional<IpAddress>& gateway) {
  return gateway ? json(gateway->str()) : json(nullptr);
}

}  // namespace

Result<NetworkSpec> build_network_spec(const NetworkOptions& o) {
  if (o.subnets.empty())
    return fail(Error::usage("network create: give the network's subnet with --subnet CIDR"));
  if (o.subnets.size() > 2)
    return fail(
        Error::usage("network create: at most two --subnet (dual stack: one IPv4, one IPv6)"));
  std::vector<SubnetSpec> subnets;
  for (const auto& text : o.subnets)
    subnets.push_back({TRY_WRAP(Cidr::parse(text), "--subnet"), {}, {}});
  // The subnet a gateway or range goes to: the one that holds it.
  auto holder = [&](const IpAddress& ip, std::string_view option,
                    const std::string& text) -> Result<SubnetSpec*> {
    if (subnets.size() == 1) return &subnets[0];  // network_pools says what is wrong with it
    for (auto& s : subnets)
      if (s.subnet.contains(ip)) return &s;
    return fail(
        Error::usage(fmt::format("{} {} is in none of the subnets ({}); give it "
                                 "inside one, or another --subnet",
                                 option, text, fmt::join(o.subnets, ", "))));
  };
  for (const auto& text : o.gateways) {
    auto ip = TRY_WRAP(IpAddress::parse(text), "--gateway");
    auto* s = TRY(holder(ip, "--gateway", text));
    if (s->gateway)
      return fail(Error::usage(
          fmt::format("--gateway {} and {}: one gateway per subnet", s->gateway->str(), text)));
    s->gateway = ip;
  }
  for (const auto& text : o.ip_ranges) {
    auto range = TRY_WRAP(Cidr::parse(text), "--ip-range");
    if (range.address() != range.network())
      return fail(Error::usage(fmt::format("--ip-range {} has host bits set: did you mean {}?",
                                           range.str(), range.subnet().str())));
    auto* s = TRY(holder(range.address(), "--ip-range", text));
    if (s->ip_range)
      return fail(Error::usage(fmt::format("--ip-range {}: one range per subnet", text)));
    s->ip_range = AddressRange::of(range);
  }
  NetworkSpec spec{TRY(NetworkName::parse(o.name)),
                   subnets[0].subnet,
                   subnets[0].gateway,
                   !o.no_nat,
                   subnets[0].ip_range,
                   o.mtu};
  // The smallest IPv4 MTU and the largest a link takes (the command line checks it too).
  if (o.mtu != 0 && (o.mtu < 68 || o.mtu > 65535))
    return fail(Error::usage(fmt::format("--mtu {} is invalid: give 68 to 65535", o.mtu)));
  spec.more_subnets.assign(subnets.begin() + 1, subnets.end());
  return spec;
}

Result<std::vector<AddressPool>> network_pools(const NetworkSpec& spec) {
  std::string what = fmt::format("create network {}", quote(spec.name.str()));
  std::vector<AddressPool> pools;
  pools.push_back(TRY_WRAP(AddressPool::create(spec.subnet, spec.gateway, spec.ip_range), what));
  for (const auto& m : spec.more_subnets) {
    for (const auto& p : pools)
      if (p.subnet().family() == m.subnet.family())
        return fail(Error::usage(fmt::format(
            "{}: subnets {} and {} are of one address family; a network has one subnet per "
            "family (dual stack: one IPv4, one IPv6)",
            what, p.subnet().str(), m.subnet.str())));
    pools.push_back(TRY_WRAP(AddressPool::create(m.subnet, m.gateway, m.ip_range), what));
  }
  return pools;
}

json to_json(const NetworkSpec& spec) {
  json more = json::array();
  for (const auto& m : spec.more_subnets)
    more.push_back({{"subnet", m.subnet.str()},
                    {"gateway", gateway_json(m.gateway)},
                    {"ip_range", range_json(m.ip_range)}});
  return {{"name", spec.name.str()},
          {"bridge", spec.name.bridge()},
          {"subnet", spec.subnet.str()},
          {"gateway", gateway_json(spec.gateway)},
          {"ip_range", range_json(spec.ip_range)},
          {"nat", spec.nat},
          {"mtu", spec.mtu > 0 ? json(spec.mtu) : json(nullptr)},
          {"more_subnets", more}};
}

}  // namespace contain::model
