#include "engine/container/record.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>

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
  // Computed from the clock, not with gmtime(): glibc's reads /etc/localtime
  // on its first call even for UTC (seven system calls in every `run`).
  using namespace std::chrono;
  auto now = floor<seconds>(system_clock::now());
  auto day = floor<days>(now);
  year_month_day date{day};
  hh_mm_ss time{now - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     time.hours().count(), time.minutes().count(), time.seconds().count());
}

Error no_such_container(const ContainerName& name) {
  return Error::failed(
      fmt::format("container {} does not exist (see 'contain ps -a')", quote(name.str())), ENOENT);
}

Result<ContainerRecord> load_record(const ContainerName& name) {
  auto record = TRY(StateStore::containers_reader().get<ContainerRecord>(name.str()));
  if (!record) return fail(no_such_container(name));
  return std::move(*record);
}

bool is_running(const ContainerRecord& r) {
  return r.status == "running" && kernel::process_alive(r.pid, r.pid_start.value_or(0));
}

bool monitor_alive(const ContainerRecord& r) {
  return kernel::process_alive(r.monitor_pid, r.monitor_start);
}

namespace {

ContainerRecord new_record(const ContainerSpec& spec, const PreparedSecurity& security) {
  ContainerRecord r;
  r.name = spec.name.str();
  r.id = spec.id;
  r.hostname = spec.hostname;
  r.command = spec.command;
  r.environment = spec.environment;
  r.workdir = spec.workdir;
  r.rootfs = spec.rootfs;
  r.network = spec.network.str();
  if (spec.ip) r.address = spec.ip->str();
  for (const auto& p : spec.ports) r.ports.push_back(p.str());
  r.init = spec.init;
  r.detached = spec.detach;
  r.tty = spec.tty;
  r.security = security.to_record(spec);
  // Recorded before they are made: gc removes them after a crash.
  r.cgroups = security.cgroups.to_record();
  r.limits = limits_json(spec.limits);
  r.userns = security.userns.to_record();
  r.created = now_utc();
  r.status = "created";
  r.pid = 0;
  // Until the container runs, the process starting it answers for it (gc
  // leaves a container alone while its monitor lives).
  r.monitor_pid = ::getpid();
  r.monitor_start = kernel::process_start_time(::getpid()).value_or(0);
  return r;
}

}  // namespace

Status update_record(const ContainerName& name, const std::function<void(ContainerRecord&)>& change,
                     WrittenRecord* written) {
  auto store = TRY(StateStore::lock_containers());
  if (written && TRY(store.holds(ContainerRecord::kKind, name.str(), written->text))) {
    change(written->record);
    return store.put(name.str(), written->record, &written->text);
  }
  auto record = TRY(store.get<ContainerRecord>(name.str()));
  if (!record) return fail(no_such_container(name));
  change(*record);
  if (!written) return store.put(name.str(), *record);
  // Somebody else changed it meanwhile (`contain update`, `rm -f`): what we
  // know of it is what was read.
  written->record = std::move(*record);
  return store.put(name.str(), written->record, &written->text);
}

void remove_record(const ContainerName& name) {
  if (auto store = StateStore::lock_containers()) {
    (void)store->erase<ContainerRecord>(name.str());
    remove_log(name.str());
  }
}

Result<UniqueFd> reserve_name(const ContainerSpec& spec, PreparedSecurity& security,
                              WrittenRecord* written) {
  auto store = TRY(StateStore::lock_containers());
  if (TRY(store.get<ContainerRecord>(spec.name.str())))
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
  ContainerRecord record = new_record(spec, security);
  std::string text;
  if (auto put = store.put(spec.name.str(), record, &text); !put) {
    remove_log(spec.name.str());
    return fail(std::move(put).error());
  }
  if (written) *written = {std::move(record), std::move(text)};
  return log_fd;
}

Status record_running(const ContainerName& name, const RunningState& state,
                      WrittenRecord* written) {
  pid_t self = ::getpid();
  return update_record(
      name,
      [&](ContainerRecord& r) {
        if (state.address) r.address = *state.address;
        if (state.pasta_pid) {
          r.pasta_pid = state.pasta_pid;
          r.pasta_start = state.pasta_start;
        }
        r.status = "running";
        r.pid = state.pid;
        r.pid_start = state.start_time;
        // The process that reserved the name is the monitor of a foreground run
        // already; a detached container's monitor takes over here.
        if (r.monitor_pid != self) {
          r.monitor_pid = self;
          r.monitor_start = kernel::process_start_time(self).value_or(0);
        }
      },
      written);
}

Status record_exited(const ContainerName& name, int exit_code, bool oom_killed,
                     WrittenRecord* written) {
  return update_record(
      name,
      [&](ContainerRecord& r) {
        r.status = "exited";
        r.exit_code = exit_code;
        r.oom_killed = oom_killed;
        r.finished = now_utc();
      },
      written);
}

Status record_limits(const ContainerName& name, const model::ResourceLimits& limits) {
  return update_record(name, [&](ContainerRecord& record) {
    const json given = limits_json(limits);
    for (auto it = given.begin(); it != given.end(); ++it) record.limits[it.key()] = it.value();
  });
}

void mark_exited(ContainerRecord& record) {
  record.status = "exited";
  record.finished = now_utc();
}

ContainerInfo container_summary(std::string_view name, const ContainerRecord& r) {
  ContainerInfo info;
  info.name = r.name.empty() ? std::string(name) : r.name;
  info.id = r.id;
  info.status = r.status;
  if (info.status == "running" && !is_running(r)) info.status = "exited";
  info.exit_code = r.exit_code;
  info.oom_killed = r.oom_killed.value_or(false);
  if (info.status == "running") info.pid = r.pid;
  return info;
}

void add_container_details(const ContainerRecord& r, ContainerInfo& info) {
  info.network = r.network;
  info.address = r.address.value_or("");
  info.ports = r.ports;
  info.command = r.command;
  info.created = r.created;
  info.finished = r.finished.value_or("");
  info.detached = r.detached;
}

json inspect_view(const ContainerRecord& record) {
  json r = record.to_json();
  if (record.status == "running" && !is_running(record)) r["status"] = "exited";
  // As /proc/PID/ns names them.
  r["namespaces"] = {"pid", "uts", "ipc", "mnt", "cgroup", "net"};
  if (!record.oom_killed && r["status"] == "exited") r["oom_killed"] = false;
  if (record.userns) r["namespaces"].push_back("user");
  return r;
}

}  // namespace detail

}  // namespace contain::engine
