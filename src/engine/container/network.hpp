// A container on a managed network (--network NAME): its address and -p
// ports checked before anything is made, its veth made from the host into its
// network namespace, and all of it given back once it has exited. Internal to
// the engine.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/ip.hpp"
#include "core/names.hpp"
#include "model/container.hpp"

namespace contain::engine::detail {

struct CgroupPlan;
struct PastaProcess;

// A container's place on a managed network. Its network namespace is held
// only while the link is made in it: when the container exits, the kernel
// starts destroying the namespace (and the veth pair in it) at once, in its
// batched cleanup, which is cheaper than deleting the veth ourselves, and
// teardown overlaps with that instead of starting it.
struct NetworkAttachment {
  std::optional<NetworkName> network;
  std::string owner;     // "container/NAME"
  int host_ifindex = 0;  // the host end on the bridge
  IpAddress ip;
  bool forwards = false;  // it publishes ports (forwards owned by it)
};

// Host side, before anything is created: a host port already forwarded, an
// address outside the network's subnet or of the other family, a named
// network namespace that does not exist are refused here.
Status check_network_available(const model::ContainerSpec& spec);

// Parent, host namespaces, after clone and before the go: the interface is born
// inside the container's namespace (referenced by fd), addressed and routed,
// and the -p ports forwarded to it. Nothing for other networks.
Result<NetworkAttachment> attach_container(const model::ContainerSpec& spec, int pidfd, pid_t pid);

// After the container has exited (its monitor, or the foreground `run`):
// gives back what it holds through the one release path (engine/release):
// its cgroups and pasta, if given; its veth waited for as it goes with its
// namespace (without holding the state lock); then its published ports and
// its address. Should the veth outlive the wait, the address stays marked as
// releasing until that link is gone (see defer_release): it is never handed
// to another container while the old veth could still answer for it.
// A start that fails gives back only the network this way: its cgroups and
// pasta are undone by the start's stage table.
void release_container(const model::ContainerSpec& spec, NetworkAttachment& attachment,
                       const CgroupPlan* cgroups = nullptr, PastaProcess* pasta = nullptr);

}  // namespace contain::engine::detail
