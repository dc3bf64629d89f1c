// Address management for managed networks: pure decisions, no syscalls. The
// engine keeps the addresses in use in the network's state record and asks
// these functions, under the state lock, which address to hand out next.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/ip.hpp"

namespace contain::model {

// The part of a subnet that addresses are handed out from (Docker's
// --ip-range, host-local's rangeStart and rangeEnd), both ends included.
struct AddressRange {
  IpAddress first;
  IpAddress last;
  bool operator==(const AddressRange&) const = default;
  // "FIRST-LAST"
  std::string str() const;
  // A CIDR inside the subnet, as Docker's --ip-range takes it.
  static AddressRange of(const Cidr& cidr) { return {cidr.network(), cidr.last()}; }
};

// A subnet with its gateway. IPv4: the network and broadcast addresses are
// never handed out. IPv6: the subnet-router anycast address (host bits zero)
// is never handed out; there is no broadcast. Addresses are chosen in `range`
// when there is one; a static address may be anywhere in the subnet (Docker's
// rule).
class AddressPool {
 public:
  // Validates the subnet (host bits clear, room for a gateway and at least one
  // more address), the gateway (default: the first usable address) and the
  // range (inside the subnet, first <= last, one address to hand out at least).
  static Result<AddressPool> create(const Cidr& subnet, std::optional<IpAddress> gateway,
                                    std::optional<AddressRange> range = std::nullopt);

  const Cidr& subnet() const { return subnet_; }
  const IpAddress& gateway() const { return gateway_; }
  const std::optional<AddressRange>& range() const { return range_; }
  // The gateway with the subnet's prefix, as it is put on the bridge.
  Cidr gateway_cidr() const { return Cidr(gateway_, subnet_.prefix()); }
  // An address with the subnet's prefix, as it is put in a namespace.
  Cidr with_prefix(const IpAddress& ip) const { return Cidr(ip, subnet_.prefix()); }

  // The lowest address that is neither reserved nor in `taken`. Fails (exit 1)
  // when the pool is exhausted, naming the network.
  Result<IpAddress> allocate(const std::set<IpAddress>& taken, std::string_view network) const;
  // A static address: inside the subnet, not the network/gateway/broadcast, not taken.
  Status check_static(const IpAddress& ip, const std::set<IpAddress>& taken,
                      std::string_view network) const;

 private:
  AddressPool(Cidr subnet, IpAddress gateway) : subnet_(subnet), gateway_(gateway) {}
  bool reserved(const IpAddress& ip) const;
  Cidr subnet_;
  IpAddress gateway_;
  std::optional<AddressRange> range_;
};

// One namespace to attach, as IPAM sees it.
struct AddressRequest {
  std::string owner;            // "netns/a", "container/web": one address per owner
  std::string who;              // for messages: namespace "a"
  std::optional<IpAddress> ip;  // a static address, else the next free one
};
struct AddressPlan {
  std::vector<IpAddress> addresses;  // one per request, in order
  // Some request could be served only with addresses still being released (a
  // link of an exited container the kernel has not destroyed yet): the caller
  // must wait until those links are gone before it uses the plan.
  bool wait_for_releasing = false;
};
// The whole address choice of an attach, decided before anything changes:
// `attached` maps each current owner to its address, `releasing` holds the
// addresses whose old link may still exist (taken, unless the pool has nothing
// else). Static addresses are checked; an owner already attached (or twice in
// `requests`) is refused. `what` prefixes those refusals ("attach ... to network ...").
Result<AddressPlan> plan_addresses(const AddressPool& pool,
                                   const std::map<std::string, IpAddress>& attached,
                                   const std::set<IpAddress>& releasing,
                                   const std::vector<AddressRequest>& requests,
                                   std::string_view network, std::string_view what);

// Something a new subnet must not overlap: another managed network's subnet,
// or an address already configured on the host.
struct ExistingSubnet {
  std::string owner;  // "network web", "address 192.0.2.1/24 on eth0"
  Cidr subnet;
};
// The first of `existing` that overlaps `subnet`, if any.
std::optional<ExistingSubnet> find_overlap(const Cidr& subnet,
                                           const std::vector<ExistingSubnet>& existing);

}  // namespace contain::model
