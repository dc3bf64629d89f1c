// Containers: a command in its own PID, UTS, IPC, mount, cgroup and network
// namespaces, without a daemon. Each container is a record under
// /run/contain/containers/NAME; a detached one also has a small monitor
// process of its own (no daemon is shared between containers) and a log
// under /run/contain/logs/NAME.log.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "model/container.hpp"

namespace contain::engine {

class StateStore;

// A new container id: 64 random hex digits, as Docker's.
Result<std::string> new_container_id();

// Foreground: stdio passes through (with spec.tty, relayed through a
// pseudo-terminal of the container's, our terminal in raw mode meanwhile), SIGINT/SIGTERM/SIGHUP
// sent to us reach the command, and the result is the command's status (128+N for signal N). The
// container's record is removed when it exits.
// How a foreground container ended, beyond its status.
struct RunOutcome {
  bool oom_killed = false;  // the OOM killer acted in its memory cgroup
};
Result<int> run_container(model::ContainerSpec spec, RunOutcome* outcome = nullptr);

// Detached: returns the id once the command has started; its monitor records
// the exit status and keeps the output in the log.
Result<std::string> run_container_detached(model::ContainerSpec spec);

struct ContainerInfo {
  std::string name, id;
  int pid = 0;
  std::string status;  // "running", "exited", "created"
  std::optional<int> exit_code;
  bool oom_killed = false;       // the OOM killer acted in its memory cgroup
  std::string network, address;  // as started (--network), and its address there
  // Every managed network it is on: the one it started on and those it was
  // attached to since (`network attach NET container:NAME`), with its address.
  struct OnNetwork {
    std::string network, address;
  };
  std::vector<OnNetwork> networks;
  std::vector<std::string> ports, command;
  std::string created, finished;
  bool detached = false;
  uid_t user = 0;  // whose container: the owner of the state folder it is recorded in
};
// Running containers, or all of them: the caller's own, or, for root with
// `all_users`, also every user's rootless containers recorded where
// container_state_root() puts them by default (/run/user/UID/contain,
// /tmp/contain-UID); a user's folder elsewhere cannot be found. A user's folder
// that cannot be read (a corrupt record, a file in the way) does not hide the
// others: it is left out and, if `skipped` is given, named there with the reason.
Result<std::vector<ContainerInfo>> list_containers(bool all, bool all_users = false,
                                                   std::vector<Error>* skipped = nullptr);

// exec's own options (Docker's): the rest comes from the container's record.
struct ExecOptions {
  std::optional<model::UserRequest> user = {};  // names resolved in the container's root
  bool privileged = false;  // the caller's capabilities, no filter (as docker exec)
  std::vector<std::string> environment = {};  // -e KEY=VAL, added to the container's
  std::string workdir = {};                   // -w; empty: the container's
  bool tty = false;  // -t: a pseudo-terminal of the container's devpts, relayed to our stdio
};

// Runs argv inside a running container: its namespaces, root, working
// directory and environment, and its confinement (capabilities, seccomp
// filter, no_new_privs, user): exec is never a way out. Returns the command's status.
Result<int> exec_in_container(const model::ContainerName& name,
                              const std::vector<std::string>& argv,
                              const ExecOptions& options = {});

// A container's record as stored: the effective spec (namespaces,
// capabilities, seccomp, mounts, user, limits, network, ports) and its state.
Result<nlohmann::json> inspect_container(const model::ContainerName& name);

// SIGTERM, then SIGKILL after `seconds`; returns once the container and its
// monitor have finished. Stopping an exited container does nothing.
Status stop_container(const model::ContainerName& name, int seconds);

// Removes an exited container (record and log); a running one only with `force`
// (it is killed first).
Status remove_container(const model::ContainerName& name, bool force);

// Hands the log to `sink` chunk by chunk; with `follow`, keeps doing so as it
// grows until the container has finished.
Status read_logs(const model::ContainerName& name, bool follow,
                 const std::function<void(std::string_view)>& sink);

// `contain stats`: one sample of a running container's cgroups.
struct ContainerStats {
  std::string name, id;
  std::optional<std::uint64_t> memory_usage, memory_limit;  // bytes
  std::optional<std::uint64_t> cpu_usage_ns;                // since it started
  std::optional<std::uint64_t> pids, pids_limit;
  std::optional<std::uint64_t> throttled_periods;
};
// The named running containers (all running ones if none is named).
Result<std::vector<ContainerStats>> container_stats(const std::vector<model::ContainerName>& names);

// `contain update`: changes the limits of a running container (those given)
// and records them.
Status update_container(const model::ContainerName& name, const model::ResourceLimits& limits);

// For `contain gc`, under the caller's lock: containers whose process and
// monitor are both gone without a word (SIGKILL, a crash). Their addresses are
// released; a foreground one's record is removed, a detached one is marked
// exited. Returns one line per container.
Result<std::vector<std::string>> collect_container_garbage(const StateStore& store);

}  // namespace contain::engine
