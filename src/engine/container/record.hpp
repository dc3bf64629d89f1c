// A container's record in the state store (containers/NAME under the caller's
// state root) and a detached container's log beside it: the record is written
// when the name is reserved, updated as the container starts and ends, and read
// by every other command. The record is a typed struct
// (engine/record/container.hpp, ContainerRecord); each facility reads its own
// part of it (security, cgroups, userns, pasta) in its own file. Internal to
// the engine.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/unique_fd.hpp"
#include "engine/container/container.hpp"
#include "engine/record/container.hpp"
#include "model/container.hpp"

namespace contain::engine::detail {

struct PreparedSecurity;

// Next to the caller's container records (/run/contain/logs for root).
std::string log_dir();
std::string log_path(std::string_view name);
// The log of a container and, once it is the last, the log folder.
void remove_log(std::string_view name);

// Now, as records keep times.
std::string now_utc();

Error no_such_container(const model::ContainerName& name);
// The container's record; no_such_container (ENOENT) if there is none.
Result<ContainerRecord> load_record(const model::ContainerName& name);

// The record says running and its process (pid and start time) is still there.
bool is_running(const ContainerRecord& record);
// The process that answers for it (a detached container's monitor, or the
// `contain run` of a foreground one) is still there.
bool monitor_alive(const ContainerRecord& record);

// A record as this process last wrote it, and the file's text it wrote.
struct WrittenRecord {
  ContainerRecord record;
  std::string text;
};

// Changes a record under the store's lock. With `written` (what this process
// wrote last), the record is not read back and parsed if its file still holds
// the text written (read, parsed and checked, a record costs 0.3 ms of every
// `run`); `written` is then what is written now.
Status update_record(const model::ContainerName& name,
                     const std::function<void(ContainerRecord&)>& change,
                     WrittenRecord* written = nullptr);
// The record and the log, under the store's lock; best effort (undo paths).
void remove_record(const model::ContainerName& name);

// Under the lock: a name in use is refused, otherwise the record is written
// before any process exists, so that a crash leaves something `gc` can find.
// A detached container's log file is made here too (the log folder is removed
// under the lock when its last log goes), and returned.
// `written`, if given, receives the record written, for update_record.
Result<UniqueFd> reserve_name(const model::ContainerSpec& spec, PreparedSecurity& security,
                              WrittenRecord* written = nullptr);

// What start records once the child exists, before the go.
struct RunningState {
  pid_t pid = 0;
  std::uint64_t start_time = 0;
  std::optional<std::string> address;  // on a managed network
  pid_t pasta_pid = 0;                 // --network pasta
  std::uint64_t pasta_start = 0;
};
Status record_running(const model::ContainerName& name, const RunningState& state,
                      WrittenRecord* written = nullptr);
// The monitor, once the command has ended.
Status record_exited(const model::ContainerName& name, int exit_code, bool oom_killed,
                     WrittenRecord* written = nullptr);
// `contain update`: the limits given, over those recorded.
Status record_limits(const model::ContainerName& name, const model::ResourceLimits& limits);
// gc: a detached container whose monitor is gone without a word.
void mark_exited(ContainerRecord& record);

// ps: what the record says, its status corrected (recorded running, but gone: exited).
ContainerInfo container_summary(std::string_view name, const ContainerRecord& record);
// ... and, for those listed, the rest (not `networks` nor `user`, which the
// record does not hold).
void add_container_details(const ContainerRecord& record, ContainerInfo& info);
// inspect: the record, its status corrected, with its namespaces.
nlohmann::json inspect_view(const ContainerRecord& record);

}  // namespace contain::engine::detail
