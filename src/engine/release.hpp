// One release path: what an owner (a namespace, a container, a network, a CNI
// attachment) holds, given back in one order whatever command lets it go —
// `net delete`, `rm`, a container's exit, `network detach`/`delete`, CNI DEL
// and `contain gc`. The kinds and their order are one table (kReleaseOrder);
// which kinds an event releases is a pure plan (plan_release), unit-tested
// without root. A new kind of resource (a cgroup controller, a device) is one
// entry in the table and one function in release.cpp.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "engine/record/container.hpp"
#include "engine/state.hpp"

namespace contain::engine {

namespace detail {
struct CgroupPlan;
struct PastaProcess;
}  // namespace detail

// What is released, in the order it is released (the enumerators' order is
// the table's).
enum class ReleaseKind : std::uint8_t {
  cgroups,        // a container's cgroups
  pasta,          // a container's pasta process
  await_links,    // wait for host ends to go with their namespace (no lock held)
  releasing,      // a network's addresses still "releasing": their veths waited for
  firewall,       // NAT, forwards, isolation, route_localnet owned by the owners
  forwards_into,  // forwards into the addresses (or subnets) released
  shaping,        // shaping of the owners' namespaces and host ends, their ifb devices
  host_links,     // host ends of the owners' attachments deleted (peers go with them)
  addresses,      // attachments on managed networks: addresses free, or "releasing"
  netns_records,  // records of namespaces known by identity that the owners made
};

// Why the owners let go; which kinds each event releases is the table's.
enum class ReleaseEvent : std::uint8_t {
  namespace_deleted,    // net delete: the kernel destroys the veths with the namespaces
  container_exited,     // a container's monitor (-d) or foreground run, after its exit
  container_removed,    // rm
  container_collected,  // gc: a container whose process and monitor died
  exited_collected,     // gc: an exited container whose monitor died before cleaning up
  attachment_detached,  // network detach: one namespace's attachment to one network
  network_deleted,      // network delete (and gc finishing one): everything on it
  cni_deleted,          // CNI DEL and GC: attachments of CNI owners on one network
};

struct ReleaseKindInfo {
  ReleaseKind kind;
  std::string_view name;
  // The events that release this kind (a mask: see on()).
  std::uint32_t events;
};

constexpr std::uint32_t on(std::initializer_list<ReleaseEvent> events) {
  std::uint32_t mask = 0;
  for (auto e : events) mask |= 1u << static_cast<unsigned>(e);
  return mask;
}

// The order of release and why (each entry says why it comes where it does).
// Processes first, then what outlives them, then what points at addresses,
// then the addresses and the records naming them.
inline constexpr ReleaseKindInfo kReleaseOrder[] = {
    // Removing a container's cgroups kills what is left inside; nothing of
    // it uses what follows.
    {ReleaseKind::cgroups, "cgroups",
     on({ReleaseEvent::container_exited, ReleaseEvent::container_removed,
         ReleaseEvent::container_collected, ReleaseEvent::exited_collected})},
    // pasta served the container's namespace (rootless); it goes with it.
    {ReleaseKind::pasta, "pasta",
     on({ReleaseEvent::container_exited, ReleaseEvent::container_removed,
         ReleaseEvent::container_collected, ReleaseEvent::exited_collected})},
    // The kernel destroys an exited container's namespace, and its veth pair,
    // in its batched cleanup: waited for before the lock is taken, so that
    // the address is free (not "releasing") when the veth went in time.
    {ReleaseKind::await_links, "await links", on({ReleaseEvent::container_exited})},
    // A network going waits for the veths of exited containers still being
    // destroyed: nothing of it stays.
    {ReleaseKind::releasing, "releasing addresses", on({ReleaseEvent::network_deleted})},
    // Firewall entries go before the links and addresses they point at: a
    // forward never leads to an address handed to someone else.
    {ReleaseKind::firewall, "firewall",
     on({ReleaseEvent::namespace_deleted, ReleaseEvent::container_exited,
         ReleaseEvent::container_removed, ReleaseEvent::container_collected,
         ReleaseEvent::network_deleted, ReleaseEvent::cni_deleted})},
    // Forwards of anyone into the addresses (detach) or subnets (network
    // delete) that go: they would lead nowhere.
    {ReleaseKind::forwards_into, "forwards into",
     on({ReleaseEvent::attachment_detached, ReleaseEvent::network_deleted})},
    // Shaping goes before the links it shapes; ifb devices do not go with
    // them and are deleted here.
    {ReleaseKind::shaping, "shaping",
     on({ReleaseEvent::namespace_deleted, ReleaseEvent::cni_deleted})},
    // Host ends deleted by hand (the peer goes with each) where no namespace
    // destruction takes them: before their addresses are free again.
    {ReleaseKind::host_links, "host links",
     on({ReleaseEvent::container_collected, ReleaseEvent::attachment_detached,
         ReleaseEvent::network_deleted, ReleaseEvent::cni_deleted})},
    // Addresses last but one: nothing points at them any more. A deleted
    // network takes its attachments with its record (the caller's).
    {ReleaseKind::addresses, "addresses",
     on({ReleaseEvent::namespace_deleted, ReleaseEvent::container_exited,
         ReleaseEvent::container_removed, ReleaseEvent::container_collected,
         ReleaseEvent::attachment_detached, ReleaseEvent::cni_deleted})},
    // What `bridge attach`, `net veth`, ... container:NAME recorded: the
    // container's namespace went with it.
    {ReleaseKind::netns_records, "namespace records",
     on({ReleaseEvent::container_exited, ReleaseEvent::container_removed,
         ReleaseEvent::container_collected})},
};

std::string_view release_kind_name(ReleaseKind kind);

// What a release needs beyond the owners; each field is read only by the
// kinds that say so.
struct ReleaseOptions {
  ReleaseEvent event;
  // cgroups, pasta: the container's own (its monitor or foreground run holds
  // them), or those its record names (rm, gc).
  const detail::CgroupPlan* cgroups = nullptr;
  detail::PastaProcess* pasta = nullptr;
  const ContainerRecord* container_record = nullptr;
  // A container's exit without a managed network: only its processes' kinds.
  bool networked = true;
  // firewall on exit: only if the container published ports (saves a
  // transaction; nothing else of a container is in the firewall).
  bool firewall = true;
  // await_links: the host end of the container's veth and its network.
  int await_ifindex = 0;
  std::string await_network = {};
  // Attachments on this network only (detach, network delete, CNI); on every
  // network otherwise.
  std::optional<std::string> network = {};
};

// The kinds `event` releases for `owners`, in order. Pure.
std::vector<ReleaseKind> plan_release(const std::vector<std::string>& owners,
                                      const ReleaseOptions& options);

// Releases what `owners` hold, following plan_release. With `store` (the
// caller holds the lock), everything runs under it; without, the kinds that
// need no lock run first and the containers' store is locked for the rest (a
// container's exit: its veth is waited for without holding the lock).
Status release_owned_by(const StateStore* store, const std::vector<std::string>& owners,
                        const ReleaseOptions& options);

}  // namespace contain::engine
