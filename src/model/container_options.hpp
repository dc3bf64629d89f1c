// A container's options as the user gave them, and the one place that turns
// them into a ContainerSpec: `contain run` fills the options from its command
// line, `topo up` from a lab file's container node; CNI and an OCI config will
// feed the same seam. Pure: whatever needs the system (a fresh id, the real
// path of --rootfs) is found out by the caller and handed in as
// ContainerInputs.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "model/cgroups.hpp"
#include "model/container.hpp"

namespace contain::model {

// --memory, --pids-limit, --cpus ... as given to `run` and `update` (empty: not given).
struct LimitOptions {
  std::string memory = {}, memory_swap = {}, memory_reservation = {}, pids_limit = {}, cpus = {},
              cpu_shares = {}, cpuset_cpus = {}, cpuset_mems = {};
};

// Each limit given, parsed; the combinations are checked by validate_limits.
Result<ResourceLimits> build_limits(const LimitOptions& options);

// What `contain run` takes before `--` (Docker's and podman's names), and the
// command after it. Values are the user's text; flags are bools.
struct ContainerOptions {
  std::string name = {};                  // --name; empty: generated from the id
  std::string hostname = {};              // --hostname; empty: the name
  std::vector<std::string> command = {};  // after --; empty: /bin/sh
  std::vector<std::string> env = {};      // -e KEY=VALUE
  std::string workdir = "/";              // -w
  std::string rootfs = {};                // --rootfs, as given (see ContainerInputs::rootfs)
  std::string network = "none";           // --network
  std::string ip = {};                    // --ip
  std::vector<std::string> ports = {};    // -p
  bool detach = false, init = false, tty = false;
  bool interactive = false;  // -i: stdin reaches the command anyway; refused with -d -t
  // Confinement.
  std::vector<std::string> cap_add = {}, cap_drop = {}, security_opt = {}, group_add = {},
                           tmpfs = {}, volumes = {}, ulimits = {};
  bool privileged = false, read_only = false, overlay = false;
  std::string user = {}, oom_score_adj = {}, shm_size = {};
  LimitOptions limits = {};
  std::vector<std::string> devices = {};
  // User namespace.
  std::string userns = {};  // --userns[=MODE]; empty: not given
  std::vector<std::string> uidmap = {}, gidmap = {};
};

// What the caller found out on the system for one container.
struct ContainerInputs {
  std::string id;  // a fresh container id, 64 hex digits (engine::new_container_id)
  // ContainerOptions::rootfs resolved by the caller (realpath; a lab's relative
  // to its file), or the error that says why it could not be. Needed when
  // options.rootfs is set; the error is reported where --rootfs comes among
  // the options, so that the first bad option is the one named.
  std::optional<Result<std::string>> rootfs = {};
};

// The spec, every option parsed and every combination checked (model::validate),
// in the order the options are listed above: the first bad one is the error, a
// usage error (exit 2) naming it. Nothing on the system is looked at.
Result<ContainerSpec> build_container_spec(const ContainerOptions& options,
                                           const ContainerInputs& inputs);

// The whole spec as JSON, every field present (unset ones null or empty), for
// golden tests and for showing what a command would start.
nlohmann::json to_json(const ContainerSpec& spec);
nlohmann::json to_json(const ResourceLimits& limits);

}  // namespace contain::model
