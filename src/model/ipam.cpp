#include "model/ipam.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/names.hpp"

namespace contain::model {

std::string AddressRange::str() const { return fmt::format("{}-{}", first.str(), last.str()); }

Result<AddressPool> AddressPool::create(const Cidr& subnet, std::optional<IpAddress> gateway,
                                        std::optional<AddressRange> range) {
  if (subnet.address() != subnet.network())
    return fail(Error::usage(fmt::format("subnet {} has host bits set: did you mean {}?",
                                         subnet.str(), subnet.subnet().str())));
  int max_prefix = subnet.address().is_v4() ? 30 : 126;
  if (subnet.prefix() > max_prefix)
    return fail(Error::usage(fmt::format(
        "subnet {} is too small: it needs room for a gateway and an address, use a /{} or larger",
        subnet.str(), max_prefix)));
  AddressPool pool(subnet, IpAddress());
  if (gateway) {
    if (gateway->family() != subnet.family() || !subnet.contains(*gateway))
      return fail(Error::usage(
          fmt::format("gateway {} is not inside subnet {}", gateway->str(), subnet.str())));
    if (*gateway == subnet.network() || (subnet.address().is_v4() && *gateway == subnet.last()))
      return fail(Error::usage(fmt::format(
          "gateway {} is the {} address of subnet {}; choose a host address", gateway->str(),
          *gateway == subnet.network() ? "network" : "broadcast", subnet.str())));
    pool.gateway_ = *gateway;
  } else {
    pool.gateway_ = IpAddress::from_value(subnet.family(), subnet.network().value() + 1);
  }
  if (range) {
    for (const auto& end : {range->first, range->last})
      if (end.family() != subnet.family() || !subnet.contains(end))
        return fail(Error::usage(fmt::format("address range {}: {} is not inside subnet {}",
                                             range->str(), end.str(), subnet.str())));
    if (range->last.value() < range->first.value())
      return fail(Error::usage(
          fmt::format("address range {}: its first address comes after its last", range->str())));
    pool.range_ = range;
    // One address to hand out at least, besides the reserved ones.
    if (!pool.allocate({}, "").has_value())
      return fail(Error::usage(
          fmt::format("address range {} holds no address to hand out (only the gateway, network or "
                      "broadcast address of {})",
                      range->str(), subnet.str())));
  }
  return pool;
}

bool AddressPool::reserved(const IpAddress& ip) const {
  if (ip == subnet_.network() || ip == gateway_) return true;
  return subnet_.address().is_v4() && ip == subnet_.last();
}

Result<IpAddress> AddressPool::allocate(const std::set<IpAddress>& taken,
                                        std::string_view network) const {
  // Only as many candidates as there are taken and reserved addresses can be
  // refused, so this loop is short even in an IPv6 /64.
  auto first = subnet_.network().value();
  auto last = subnet_.last().value();
  if (range_) {
    // The loop starts after `first`.
    if (range_->first.value() > first + 1) first = range_->first.value() - 1;
    last = std::min(last, range_->last.value());
  }
  for (auto v = first + 1; v <= last && v > first; ++v) {
    IpAddress ip = IpAddress::from_value(subnet_.family(), v);
    if (reserved(ip) || taken.contains(ip)) continue;
    return ip;
  }
  return fail(Error::failed(fmt::format(
      "network {}: no free address left in {} ({} in use); detach something or create a larger "
      "network",
      quote(network), range_ ? range_->str() : subnet_.str(), taken.size())));
}

Status AddressPool::check_static(const IpAddress& ip, const std::set<IpAddress>& taken,
                                 std::string_view network) const {
  if (ip.family() != subnet_.family() || !subnet_.contains(ip))
    return fail(Error::usage(fmt::format("address {} is not inside subnet {} of network {}",
                                         ip.str(), subnet_.str(), quote(network))));
  if (ip == subnet_.network())
    return fail(
        Error::usage(fmt::format("address {} is the network address of {}; choose a host address",
                                 ip.str(), subnet_.str())));
  if (subnet_.address().is_v4() && ip == subnet_.last())
    return fail(
        Error::usage(fmt::format("address {} is the broadcast address of {}; choose a host address",
                                 ip.str(), subnet_.str())));
  if (ip == gateway_)
    return fail(Error::usage(fmt::format("address {} is the gateway of network {}; choose another",
                                         ip.str(), quote(network))));
  if (taken.contains(ip))
    return fail(Error::failed(
        fmt::format("address {} is already in use on network {} (see 'contain network inspect {}')",
                    ip.str(), quote(network), network)));
  return {};
}

std::optional<ExistingSubnet> find_overlap(const Cidr& subnet,
                                           const std::vector<ExistingSubnet>& existing) {
  for (const auto& e : existing)
    if (e.subnet.overlaps(subnet)) return e;
  return std::nullopt;
}

Result<AddressPlan> plan_addresses(const AddressPool& pool,
                                   const std::map<std::string, IpAddress>& attached,
                                   const std::set<IpAddress>& releasing,
                                   const std::vector<AddressRequest>& requests,
                                   std::string_view network, std::string_view what) {
  AddressPlan plan;
  std::map<std::string, IpAddress> owners = attached;
  std::set<IpAddress> taken;
  for (const auto& [owner, ip] : attached) taken.insert(ip);
  taken.insert(releasing.begin(), releasing.end());
  bool releasing_taken = !releasing.empty();
  for (const auto& r : requests) {
    if (auto it = owners.find(r.owner); it != owners.end())
      return fail(Error::failed(
          fmt::format("{}: {} is already attached with address {}", what, r.who, it->second.str()),
          EEXIST));
    if (r.ip) TRY(pool.check_static(*r.ip, taken, network));
    auto allocated = r.ip ? Result<IpAddress>(*r.ip) : pool.allocate(taken, network);
    if (!allocated && releasing_taken) {
      // Full but for addresses still being released: they will be free once
      // their links are gone, which the caller waits for.
      plan.wait_for_releasing = true;
      for (const auto& ip : releasing) taken.erase(ip);
      releasing_taken = false;
      allocated = pool.allocate(taken, network);
    }
    plan.addresses.push_back(TRY(std::move(allocated)));
    taken.insert(plan.addresses.back());
    owners.emplace(r.owner, plan.addresses.back());
  }
  return plan;
}

}  // namespace contain::model
