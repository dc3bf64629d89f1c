#include "engine/container/record.hpp"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include "core/random.hpp"
#include "engine/container/cgroups.hpp"
#include "engine/container/security.hpp"
#include "engine/container/userns.hpp"
#include "engine/records.hpp"
#include "engine/state.hpp"
#include "kernel/process.hpp"

namespace contain::engine {

Result<std::string> new_container_id() { return random_hex(32); }

namespace detail {

using model::ContainerName;
using model::ContainerSpec;
using nlohmann::json;

std::string log_dir() { return container_state_root() + "/logs"; }

std::string log_path(std::string_view name) { return fmt::format("{}/{}.log", log_dir(), name); }

void remove_log(std::string_view name) {
  ::unlink(log_path(name).c_str());
  ::rmdir(log_dir().c_str());
}

std::string now_utc() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr)));
}

Error no_such_container(const ContainerName& name) {
  return Error::failed(
      fmt::format("container {} does not exist (see 'contain ps -a')", quote(name.str())), ENOENT);
}

Result<json> load_record(const ContainerName& name) {
  auto record = TRY(StateStore::containers_reader().read(kContainerKind, name.str()));
  if (!record) return fail(no_such_container(name));
  return std::move(*record);
}

bool is_running(const json& r) {
  return r.value("status", "") == "running" &&
         kernel::process_alive(r.value("pid", 0), r.value("pid_start", std::uint64_t{0}));
}

bool monitor_alive(const json& r) {
  return kernel::process_alive(r.value("monitor_pid", 0),
                               r.value("monitor_start", std::uint64_t{0}));
}

pid_t recorded_pid(const json& r) { return r["pid"].get<int>(); }

pid_t recorded_monitor_pid(const json& r) { return r.value("monitor_pid", 0); }

bool is_detached(const json& r) { return r.value("detached", false); }

std::string recorded_status(const json& r) { return r.value("status", "created"); }

std::string recorded_id(const json& r) { return r.value("id", ""); }

std::string recorded_name(const json& r) { return r.value("name", ""); }

std::vector<std::string> recorded_environment(const json& r) {
  return r.value("environment", std::vector<std::string>{});
}

std::string recorded_workdir(const json& r) { return r.value("workdir", "/"); }

namespace {

json new_record(const ContainerSpec& spec, const PreparedSecurity& security) {
  json ports = json::array();
  for (const auto& p : spec.ports) ports.push_back(p.str());
  return {{"name", spec.name.str()},
          {"id", spec.id},
          {"hostname", spec.hostname},
          {"command", spec.command},
          {"environment", spec.environment},
          {"workdir", spec.workdir},
          {"rootfs", spec.rootfs ? json(*spec.rootfs) : json(nullptr)},
          {"network", spec.network.str()},
          {"address", spec.ip ? json(spec.ip->str()) : json(nullptr)},
          {"ports", ports},
          {"init", spec.init},
          {"detached", spec.detach},
          {"tty", spec.tty},
          {"security", security.to_json(spec)},
          // Recorded before they are made: gc removes them after a crash.
          {"cgroups", security.cgroups.to_json()},
          {"limits", limits_json(spec.limits)},
          {"userns", security.userns.to_json()},
          {"created", now_utc()},
          {"status", "created"},
          {"pid", 0},
          // Until the container runs, the process starting it answers for it
          // (gc leaves a container alone while its monitor lives).
          {"monitor_pid", ::getpid()},
          {"monitor_start", kernel::process_start_time(::getpid()).value_or(0)}};
}

}  // namespace

Status update_record(const ContainerName& name, const std::function<void(json&)>& change) {
  auto store = TRY(StateStore::lock_containers());
  auto record = TRY(store.read(kContainerKind, name.str()));
  if (!record) return fail(no_such_container(name));
  change(*record);
  return store.write(kContainerKind, name.str(), *record);
}

void remove_record(const ContainerName& name) {
  if (auto store = StateStore::lock_containers()) {
    (void)store->remove(kContainerKind, name.str());
    remove_log(name.str());
  }
}

Result<UniqueFd> reserve_name(const ContainerSpec& spec, PreparedSecurity& security) {
  auto store = TRY(StateStore::lock_containers());
  if (TRY(store.read(kContainerKind, spec.name.str())))
    return fail(Error::failed(
        fmt::format("container name {} is already in use (remove it with 'contain rm {}' or "
                    "choose another with --name)",
                    quote(spec.name.str()), spec.name.str()),
        EEXIST));
  // Its host id range is taken with the record, and given back when the record goes.
  TRY(allocate_userns(store, security.userns));
  UniqueFd log_fd;
  if (spec.detach) {
    std::string what = fmt::format("start container {}", quote(spec.name.str()));
    if (::mkdir(log_dir().c_str(), 0755) < 0 && errno != EEXIST)
      return fail(Error::system(fmt::format("{}: create {}", what, log_dir())));
    std::string log = log_path(spec.name.str());
    log_fd =
        UniqueFd(::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640));
    if (!log_fd) return fail(Error::system(fmt::format("{}: create {}", what, log)));
  }
  auto written = store.write(kContainerKind, spec.name.str(), new_record(spec, security));
  if (!written) {
    remove_log(spec.name.str());
    return fail(std::move(written).error());
  }
  return log_fd;
}

Status record_running(const ContainerName& name, const RunningState& state) {
  pid_t self = ::getpid();
  return update_record(name, [&](json& r) {
    if (state.address) r["address"] = *state.address;
    if (state.pasta_pid) {
      r["pasta_pid"] = state.pasta_pid;
      r["pasta_start"] = state.pasta_start;
    }
    r["status"] = "running";
    r["pid"] = state.pid;
    r["pid_start"] = state.start_time;
    // The process that reserved the name is the monitor of a foreground run
    // already; a detached container's monitor takes over here.
    if (r.value("monitor_pid", 0) != self) {
      r["monitor_pid"] = self;
      r["monitor_start"] = kernel::process_start_time(self).value_or(0);
    }
  });
}

Status record_exited(const ContainerName& name, int exit_code, bool oom_killed) {
  return update_record(name, [&](json& r) {
    r["status"] = "exited";
    r["exit_code"] = exit_code;
    r["oom_killed"] = oom_killed;
    r["finished"] = now_utc();
  });
}

Status record_limits(const ContainerName& name, const model::ResourceLimits& limits) {
  return update_record(name, [&](json& record) {
    json& recorded = record["limits"];
    if (!recorded.is_object()) recorded = json::object();
    const json given = limits_json(limits);
    for (auto it = given.begin(); it != given.end(); ++it) recorded[it.key()] = it.value();
  });
}

void mark_deleting(json& record) { record["phase"] = kPhaseDeleting; }

bool is_deleting(const json& record) { return in_phase(record, kPhaseDeleting); }

void mark_exited(json& record) {
  record["status"] = "exited";
  record["finished"] = now_utc();
}

ContainerInfo container_summary(std::string_view name, const json& r) {
  ContainerInfo info;
  info.name = r.value("name", std::string(name));
  info.id = r.value("id", "");
  info.status = r.value("status", "created");
  if (info.status == "running" && !is_running(r)) info.status = "exited";
  if (r.contains("exit_code")) info.exit_code = r["exit_code"].get<int>();
  info.oom_killed = r.value("oom_killed", false);
  if (info.status == "running") info.pid = r.value("pid", 0);
  return info;
}

void add_container_details(const json& r, ContainerInfo& info) {
  info.network = r.value("network", "none");
  if (r.contains("address") && r["address"].is_string()) info.address = r["address"];
  info.ports = r.value("ports", std::vector<std::string>{});
  info.command = r.value("command", std::vector<std::string>{});
  info.created = r.value("created", "");
  info.finished = r.value("finished", "");
  info.detached = r.value("detached", false);
}

json inspect_view(json r) {
  if (r.value("status", "") == "running" && !is_running(r)) r["status"] = "exited";
  // As /proc/PID/ns names them.
  r["namespaces"] = {"pid", "uts", "ipc", "mnt", "cgroup", "net"};
  if (!r.contains("oom_killed") && r.value("status", "") == "exited") r["oom_killed"] = false;
  if (has_userns(r)) r["namespaces"].push_back("user");
  return r;
}

}  // namespace detail

}  // namespace contain::engine
