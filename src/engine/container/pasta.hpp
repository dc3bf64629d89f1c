// --network pasta, for rootless containers: pasta (Debian's passt package),
// the user-mode networking podman uses, gives the container's network
// namespace a tap interface with the host's addresses and routes and carries
// its traffic through sockets of the caller's, and forwards -p ports from the
// host into it. One of the two helper programs contain starts (with
// newuidmap/newgidmap), and only for an unprivileged caller. Internal to the
// engine.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "core/error.hpp"
#include "core/unique_fd.hpp"
#include "engine/record/container.hpp"
#include "model/container.hpp"

namespace contain::engine::detail {

struct PastaProcess {
  pid_t pid = 0;
  std::uint64_t start_time = 0;
  UniqueFd pidfd;
};

// Parent, after the maps are written and before the go: starts pasta for the
// container `pid` (it joins its user and network namespaces) and returns once
// pasta has configured the namespace and gone to the background. Nothing for
// other networks.
Result<PastaProcess> start_pasta(const model::ContainerSpec& spec, pid_t pid);

// Ends pasta (it would also leave on its own once the namespace is gone).
void stop_pasta(PastaProcess& pasta);
// The same for a pasta recorded as "pasta_pid"/"pasta_start" (rm, gc), if it still runs.
void stop_recorded_pasta(const ContainerRecord& record);

}  // namespace contain::engine::detail
