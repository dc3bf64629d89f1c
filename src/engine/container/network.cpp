#include "engine/container/network.hpp"

#include <fmt/format.h>
#include <linux/rtnetlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include <chrono>

#include "engine/firewall.hpp"
#include "engine/net.hpp"
#include "engine/network.hpp"
#include "engine/records.hpp"
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

namespace {

// Waits until the host end of an exited container's veth is gone. The kernel
// destroys the container's network namespace, and the veth pair in it, in its
// batched cleanup (a few ms here, tens under load): cheaper than deleting the
// pair ourselves, and what makes `ip link` show nothing of the container once
// `contain run`, `stop` or `rm` returns. Bounded: if something else still
// holds the namespace after the bound, the pair is deleted by hand.
// Returns false if the link may still be there.
bool await_host_link_gone(int host_ifindex) {
  auto watch = kernel::NetlinkSocket::open();
  if (!watch) return false;
  nl_socket_disable_seq_check(watch->get());
  nl_socket_set_buffer_size(watch->get(), 1 << 20, 0);
  // Subscribe, then look, so that no removal can slip in between.
  if (!watch->check(nl_socket_add_membership(watch->get(), RTNLGRP_LINK), "watch link changes"))
    return false;
  auto link = kernel::get_link(*watch, host_ifindex);
  if (!link) return link.error().code() == ENODEV;
  if (wait_for_links_gone(*watch, {host_ifindex}, std::chrono::milliseconds(2000)).empty())
    return true;
  auto deleted = kernel::delete_link(*watch, host_ifindex);
  return deleted || deleted.error().code() == ENODEV;
}

}  // namespace

void release_container(NetworkAttachment& attachment) {
  if (!attachment.network) return;
  bool gone = await_host_link_gone(attachment.host_ifindex);
  if (auto store = StateStore::lock_containers()) {
    if (attachment.forwards) (void)remove_firewall_owned_by(*store, attachment.owner);
    if (gone || !defer_release(*store, attachment.owner, attachment.host_ifindex,
                               attachment.network->str()))
      (void)release_attachments(*store, {attachment.owner});
    // What `bridge attach`, `net veth` ... container:NAME recorded since.
    (void)forget_netns_records_owned_by(*store, {attachment.owner});
  }
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
    release_container(attachment);
    return fail(std::move(published).error());
  }
  return attachment;
}

}  // namespace contain::engine::detail
