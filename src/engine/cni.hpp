// The engine side of the CNI plugin mode: a CNI attachment is an attachment to
// the managed network of the same name (engine/network.hpp), owned by
// "cni/<containerID>/<ifname>" (model::cni::attachment_owner). Everything it
// makes (the veth, the address, forwards, shaping) is recorded under that
// owner and removed by it, never by what a DEL request repeats.
//
// A network that an ADD had to create is marked (record kind "cni", named
// after the network) and deleted with its last attachment; a network made by
// `contain network create` stays.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/ip.hpp"
#include "core/names.hpp"
#include "engine/network.hpp"
#include "engine/record/cni.hpp"
#include "model/cni.hpp"
#include "model/ipam.hpp"

namespace contain::engine {

inline constexpr std::string_view kCniKind = CniNetworkRecord::kKind;

struct CniNetworkSpec {
  NetworkName name;
  std::optional<Cidr> subnet;  // to create the network on first use
  std::optional<IpAddress> gateway;
  bool nat = false;
  std::optional<model::AddressRange> ip_range;  // rangeStart..rangeEnd
  unsigned mtu = 0;
  std::vector<SubnetSpec> more_subnets = {};  // dual stack: the range of the other family
};

struct CniAttachRequest {
  CniNetworkSpec network;
  std::string owner;       // model::cni::attachment_owner(container ID, ifname)
  std::string netns_path;  // CNI_NETNS
  IfName ifname;
  std::optional<IpAddress> ip;
  std::vector<IpAddress> more_ips = {};  // static addresses in the further subnets
  // Routes other than the default ones, installed in the namespace through
  // the interface (via `gw`, or the gateway of their family's subnet).
  std::vector<model::cni::Route> routes = {};
  std::string mac;  // "" for the kernel's random one
  std::vector<model::cni::PortMapping> ports;
  model::cni::Bandwidth bandwidth;
};

struct CniAttachment {
  std::string bridge;
  std::string bridge_mac;
  std::string host;  // the host end of the veth
  std::string host_mac;
  std::string ifname;  // inside the namespace
  std::string mac;
  Cidr address;
  IpAddress gateway;
  unsigned mtu = 0;  // of the interface inside
  // Whether the default route goes through this attachment (not when the
  // namespace already had one, from an attachment to another network).
  bool default_route = true;
  // Dual stack: the address in each further subnet of the network.
  struct MoreAddress {
    Cidr address;
    IpAddress gateway;
    bool default_route = true;
  };
  std::vector<MoreAddress> more;
  // The routes of the request, each with the gateway it was installed through.
  std::vector<model::cni::Route> routes = {};
};

// ADD: attaches the namespace at `netns_path` to the network (created from the
// spec if it does not exist), sets the MAC, publishes the ports and shapes the
// traffic. All or nothing.
Result<CniAttachment> cni_attach(const CniAttachRequest& request);

// DEL: removes everything `owner` has on the network. Succeeds when there is
// nothing (repeated, never added, namespace gone). Deletes the network with its
// last attachment if an ADD created it.
Status cni_detach(const NetworkName& network, const std::string& owner);

// CHECK: fails, naming what is missing, unless the attachment's record,
// interface, addresses, default routes, other routes, host end, forwards and
// shaping are there.
Status cni_check(const CniAttachRequest& request);

// GC: removes every CNI attachment of the network whose owner is not in
// `valid_owners`.
Status cni_collect(const NetworkName& network, const std::set<std::string>& valid_owners);

// STATUS: whether the network (if it exists) still has a free address.
Result<bool> cni_pool_exhausted(const NetworkName& network);

}  // namespace contain::engine
