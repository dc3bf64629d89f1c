#include "engine/container/network.hpp"

#include <fmt/format.h>
#include <sys/socket.h>

#include "engine/firewall.hpp"
#include "engine/net.hpp"
#include "engine/network.hpp"
#include "engine/records.hpp"
#include "engine/release.hpp"
#include "engine/state.hpp"
#include "kernel/netlink/link.hpp"
#include "kernel/netns.hpp"

namespace contain::engine::detail {

using model::ContainerSpec;
using model::NetworkChoice;

Status check_network_available(const ContainerSpec& spec) {
  // A host port that is already forwarded is refused before anything is made.
  if (!spec.ports.empty()) {
    auto forwards = TRY(list_forwards());
    for (const auto& p : spec.ports) {
      for (const auto& f : forwards)
        if (f.protocol == p.protocol && f.host_port == p.host_port &&
            (!f.host_address || !p.host_address || *f.host_address == *p.host_address))
          return fail(Error::failed(
              fmt::format("-p {}: host port {}/{} is already forwarded to {} (see 'contain "
                          "forward list' and 'contain ps')",
                          p.str(), p.host_port.str(), protocol_name(p.protocol), f.to),
              EADDRINUSE));
    }
  }
  if (spec.network.kind == NetworkChoice::Kind::managed) {
    auto name = TRY(NetworkName::parse(spec.network.name));
    auto network = TRY_WRAP(inspect_network(name), "--network");
    // The container's address is of the subnet's family: a port published on
    // an address of the other family could never reach it.
    auto family = [](int f) { return f == AF_INET ? "IPv4" : "IPv6"; };
    for (const auto& p : spec.ports)
      if (p.host_address && p.host_address->family() != network.subnet.family())
        return fail(Error::usage(fmt::format(
            "-p {}: host address {} is {} but network {} ({}) is {}; publish on an {} address or "
            "on every address (-p {}:{}{})",
            p.str(), p.host_address->str(), family(p.host_address->family()), quote(name.str()),
            network.subnet.str(), family(network.subnet.family()), family(network.subnet.family()),
            p.host_port.str(), p.container_port.str(), p.protocol == Protocol::udp ? "/udp" : "")));
    if (spec.ip && !network.subnet.contains(*spec.ip))
      return fail(
          Error::usage(fmt::format("--ip {} is not in network {}'s subnet {}", spec.ip->str(),
                                   quote(name.str()), network.subnet.str())));
  }
  if (spec.network.kind == NetworkChoice::Kind::netns) {
    auto ns = TRY(model::NetnsSpec::parse(spec.network.name));
    if (const NetnsName* name = ns.name(); name && !kernel::netns_exists(*name))
      return fail(Error::failed(
          fmt::format(
              "--network netns:{}: network namespace {} does not exist (see 'contain net list')",
              name->str(), quote(name->str())),
          ENOENT));
    if (!ns.name()) TRY(resolve_netns(ns));
  }
  return {};
}

void release_container(const ContainerSpec& spec, NetworkAttachment& attachment,
                       const CgroupPlan* cgroups, PastaProcess* pasta) {
  ReleaseOptions options{.event = ReleaseEvent::container_exited,
                         .cgroups = cgroups,
                         .pasta = pasta,
                         .networked = attachment.network.has_value(),
                         .firewall = attachment.forwards,
                         .await_ifindex = attachment.host_ifindex,
                         .await_network = attachment.network ? attachment.network->str() : ""};
  (void)release_owned_by(nullptr, {container_owner(spec.name.str())}, options);
  attachment.network.reset();
}

Result<NetworkAttachment> attach_container(const ContainerSpec& spec, int pidfd, pid_t pid) {
  NetworkAttachment attachment;
  if (spec.network.kind != NetworkChoice::Kind::managed) return attachment;
  attachment.network = TRY(NetworkName::parse(spec.network.name));
  attachment.owner = container_owner(spec.name.str());
  auto attached = TRY([&]() -> Result<Attachment> {
    UniqueFd netns = TRY(kernel::open_netns_of(pidfd, pid));
    return attach_to_network(*attachment.network, NetnsRef::from_fd(netns.get(), attachment.owner),
                             spec.ip, TRY(IfName::parse("eth0")));
  }());
  attachment.host_ifindex = attached.host_ifindex;
  attachment.ip = attached.ip;
  attachment.forwards = !spec.ports.empty();
  // Published ports: forwards from the host to the container's address (on
  // the network's bridge), owned by the container so that they all go in one
  // transaction when it does.
  auto published = [&]() -> Status {
    auto bridge = TRY(IfName::parse(attached.bridge));
    for (const auto& p : spec.ports) {
      ForwardSpec forward{p.protocol,
                          p.host_port,
                          p.host_address,
                          attachment.ip,
                          p.container_port,
                          attachment.owner,
                          std::pair(bridge, Cidr(attached.ip, attached.prefix))};
      auto added = add_forward(forward);
      if (!added) return fail(std::move(added).error().wrap(fmt::format("-p {}", p.str())));
    }
    return {};
  }();
  if (!published) {
    release_container(spec, attachment);
    return fail(std::move(published).error());
  }
  return attachment;
}

}  // namespace contain::engine::detail
