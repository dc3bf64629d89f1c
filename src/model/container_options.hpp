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

// `contain run`'s commonest command lines, read without CLI11: building its
// parser for run's 45 options costs 1.3-1.5 ms of a 14 ms rootless run
// (bench/RESULTS.md). `words` are those after "run". Only what CLI11 reads
// exactly one way is read here:
// - a value option of kCommonRunValues as two words (`--name NAME`), whose
//   value is neither empty nor starts with '-';
// - a flag of kCommonRunFlags as one word;
// - each at most once, then "--" and the command (which may be empty).
// Anything else (another option, --opt=VALUE, -wDIR, -ti, a repeated option, a
// word that is not an option, no "--") gives nothing, and the caller parses the
// line with CLI11 as any other: what this reads, CLI11 reads the same
// (tests/integration/cli_run_common.sh runs both on the same lines).
std::optional<ContainerOptions> read_common_run(const std::vector<std::string>& words);

struct CommonRunValue {
  const char* name;
  const char* short_name;  // "" if none
  std::string ContainerOptions::*field;
};
inline constexpr CommonRunValue kCommonRunValues[] = {
    {"--name", "", &ContainerOptions::name},
    {"--hostname", "", &ContainerOptions::hostname},
    {"--rootfs", "", &ContainerOptions::rootfs},
    {"--network", "", &ContainerOptions::network},
    {"--workdir", "-w", &ContainerOptions::workdir},
    {"--user", "-u", &ContainerOptions::user},
};
struct CommonRunFlag {
  const char* name;
  bool ContainerOptions::*field;
};
inline constexpr CommonRunFlag kCommonRunFlags[] = {
    {"--init", &ContainerOptions::init},
    {"--read-only", &ContainerOptions::read_only},
    {"--privileged", &ContainerOptions::privileged},
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
