// The record of a container, containers/NAME under the caller's state root
// (engine/container/record):
//   {"name", "id", "hostname", "command": [...], "environment": [...], "workdir",
//    "rootfs": DIR or null, "network": "none" | NAME | "netns:NS" | ..., "address":
//    IP or null, "ports": ["[ADDR:]HOST:CTR[/udp]", ...], "init", "detached", "tty",
//    "security": SECURITY, "cgroups": [CGROUP...], "limits": {...}, "userns":
//    USERNS or null, "created", "status": "created" | "running" | "exited", "pid",
//    "pid_start"?, "monitor_pid", "monitor_start", "pasta_pid"?, "pasta_start"?,
//    "exit_code"?, "oom_killed"?, "finished"?, "phase"?}
// CGROUP: {"path", "v2", "controllers": [...]}
// USERNS: {"mode", "uid_map", "gid_map", "joined"?}
// SECURITY (what exec and inspect read): {"privileged", "capabilities" (hex),
//   "capability_names" (comma-separated), "seccomp", "no_new_privileges", "user": {"uid", "gid",
//   "groups"}, "user_spec": TEXT or null, "masked_paths", "read_only", "overlay",
//   "volumes", "tmpfs", "ulimits", "oom_score_adj", "shm_options",
//   "seccomp_program"? (hex)}
// Most values stay text, as the engine uses them; hexadecimal values are
// checked here so that reading them later cannot fail. "limits" is kept as the
// object it is (`update` merges into it, `inspect` shows it).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "engine/record/fields.hpp"

namespace contain::engine {

// One of the container's cgroups (engine/container/cgroups.hpp, CgroupGroup).
struct ContainerCgroupRecord {
  std::string path = {};
  bool v2 = false;
  std::vector<std::string> controllers = {};

  static Result<ContainerCgroupRecord> from_json(const nlohmann::json& j, std::string_view where);
  nlohmann::json to_json() const;
};

// Its user namespace (engine/container/userns.hpp, PreparedUserns).
struct ContainerUsernsRecord {
  std::string mode = {};  // "auto", "keep-id", ..., or "rootless"
  std::string uid_map = {};
  std::string gid_map = {};
  bool joined = false;  // it joined a user namespace of the caller's

  static Result<ContainerUsernsRecord> from_json(const nlohmann::json& j, std::string_view where);
  nlohmann::json to_json() const;
};

// The user its command runs as, resolved at `run`.
struct ContainerUserRecord {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::vector<std::uint32_t> groups = {};

  static Result<ContainerUserRecord> from_json(const nlohmann::json& j, std::string_view where);
  nlohmann::json to_json() const;
};

// Its confinement (engine/container/security.hpp, PreparedSecurity::to_json).
struct ContainerSecurityRecord {
  bool privileged = false;
  std::uint64_t capabilities = 0;     // written as 16 hexadecimal digits
  std::string capability_names = {};  // "CAP_CHOWN,CAP_KILL,..." (for inspect)
  std::string seccomp = "default";    // "default", "unconfined" or the profile file
  bool no_new_privileges = false;
  std::optional<ContainerUserRecord> user = {};
  std::optional<std::string> user_spec = {};  // --user as given; null without
  bool masked_paths = true;
  bool read_only = false;
  bool overlay = false;
  std::vector<std::string> volumes = {};
  std::vector<std::string> tmpfs = {};
  std::vector<std::string> ulimits = {};
  int oom_score_adj = 0;
  std::string shm_options = {};
  // A profile file's program as run loaded it (hex, 16 digits an instruction).
  std::optional<std::string> seccomp_program = {};

  static Result<ContainerSecurityRecord> from_json(const nlohmann::json& j, std::string_view where);
  nlohmann::json to_json() const;
};

struct ContainerRecord {
  static constexpr std::string_view kKind = "containers";
  std::string name = {};
  std::string id = {};
  std::string hostname = {};
  std::vector<std::string> command = {};
  std::vector<std::string> environment = {};
  std::string workdir = "/";
  std::optional<std::string> rootfs = {};
  std::string network = "none";
  std::optional<std::string> address = {};  // on a managed network
  std::vector<std::string> ports = {};
  bool init = false;
  bool detached = false;
  bool tty = false;
  std::optional<ContainerSecurityRecord> security = {};
  std::vector<ContainerCgroupRecord> cgroups = {};
  nlohmann::json limits = nlohmann::json::object();
  std::optional<ContainerUsernsRecord> userns = {};
  std::string created = {};
  std::string status = "created";
  int pid = 0;
  std::optional<std::uint64_t> pid_start = {};
  int monitor_pid = 0;
  std::uint64_t monitor_start = 0;
  std::optional<int> pasta_pid = {};
  std::optional<std::uint64_t> pasta_start = {};
  std::optional<int> exit_code = {};
  std::optional<bool> oom_killed = {};
  std::optional<std::string> finished = {};
  record::Phase phase = record::Phase::whole;

  static Result<ContainerRecord> from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;

  bool rootless() const { return userns && userns->mode == "rootless"; }
};

static_assert(record::Part<ContainerCgroupRecord>);
static_assert(record::Part<ContainerUsernsRecord>);
static_assert(record::Part<ContainerUserRecord>);
static_assert(record::Part<ContainerSecurityRecord>);
static_assert(record::Record<ContainerRecord>);

}  // namespace contain::engine
