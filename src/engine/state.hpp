// The state store under /run/contain: one JSON record per object, written
// atomically (temporary file + rename), mutations serialised by one flock on the folder.
// Records are written *before* the kernel object they describe is created, so
// after a crash `contain gc` can find everything that might exist.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/unique_fd.hpp"

namespace contain::engine {

class StateStore {
 public:
  static constexpr const char* kRoot = "/run/contain";

  // The store with its exclusive lock held until the object is destroyed.
  // Every command that changes the kernel or the store takes it first.
  static Result<StateStore> lock();
  // The store for reading only: records are replaced atomically, so readers
  // never see half a record and need no lock.
  static StateStore reader();
  // The store of the caller's containers and their logs: the same as above for
  // root; for anyone else a folder of their own (container_state_root()), so
  // that one user never sees or touches another's containers.
  static Result<StateStore> lock_containers();
  static StateStore containers_reader();
  // For root's `ps --all-users`: reads the store at another root (a user's).
  static StateStore reader_at(std::string root) { return StateStore(nullptr, std::move(root)); }
  // The folders where users' rootless containers are recorded by default:
  // /run/user/*/contain and /tmp/contain-*, each that is a directory, with its owner.
  static std::vector<std::pair<std::string, uid_t>> user_container_roots();
  const std::string& root() const { return root_; }

  struct Shared;  // the lock's descriptor and, under a Hold, the records in memory

  // For a run of many commands in one process (`contain batch`): the lock is
  // taken once and held, and the records read or written are kept in memory,
  // until the Hold is destroyed. Meanwhile lock() in this process returns a
  // store sharing both, instead of waiting for a lock the process already
  // holds. Writes and removals still reach the disk before they return (a
  // record is still on disk before the object it describes is made); what is
  // saved is reading again, for every command, records this process has
  // already read or written. Nobody else can change them meanwhile: they wait
  // for the lock. A child made by fork() does not inherit the hold.
  class Hold {
   public:
    Hold(Hold&&) noexcept = default;
    Hold& operator=(Hold&&) noexcept = default;
    ~Hold();

   private:
    friend class StateStore;
    explicit Hold(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
    std::shared_ptr<Shared> shared_;
  };
  static Result<Hold> hold();

  // Where `contain gc` moves records it cannot read, as "<kind>.<name>".
  static constexpr const char* kCorruptFolder = "corrupt";

  // `kind` is a folder ("netns", "network", ...), `name` a file in it. A record
  // that is not valid JSON or not of its kind's schema (engine/record_schema.hpp)
  // is an error (EBADMSG) naming the file: "state file ... is corrupt: ...".
  Result<std::optional<nlohmann::json>> read(std::string_view kind, std::string_view name) const;
  Status write(std::string_view kind, std::string_view name, const nlohmann::json& record) const;
  Status remove(std::string_view kind, std::string_view name) const;
  Result<std::vector<std::string>> list(std::string_view kind) const;
  // Every record of `kind` with its name, in name order (ones removed meanwhile skipped).
  Result<std::vector<std::pair<std::string, nlohmann::json>>> read_all(std::string_view kind) const;
  // The same records as read_all, handed to `visit` one by one without a copy
  // each (under a Hold they are in memory). Stops at the first error of `visit`.
  Status for_each(std::string_view kind,
                  const std::function<Status(const std::string& name,
                                             const nlohmann::json& record)>& visit) const;
  // What writers killed mid-write left (for gc, under the lock): the temporary
  // file of a writer that no longer runs, and kind folders left empty. One line
  // per thing removed.
  Result<std::vector<std::string>> remove_unfinished_writes() const;
  // For `contain gc`: moves the record to the corrupt folder if it cannot be
  // read, and says so in one line; nothing if it is fine.
  Result<std::optional<std::string>> set_aside_if_corrupt(std::string_view kind,
                                                          std::string_view name) const;

 private:
  StateStore(std::shared_ptr<Shared> shared, std::string root)
      : shared_(std::move(shared)), root_(std::move(root)) {}
  static Result<StateStore> lock_at(std::string root);
  Result<std::optional<nlohmann::json>> read_file(std::string_view kind,
                                                  std::string_view name) const;
  Result<std::vector<std::string>> list_folder(std::string_view kind) const;
  std::shared_ptr<Shared> shared_;
  std::string root_;
};

// Where the caller's containers are recorded: /run/contain for root;
// $XDG_RUNTIME_DIR/contain for anyone else, or /tmp/contain-UID without
// XDG_RUNTIME_DIR (made 0700; refused if it exists and is not the caller's own).
std::string container_state_root();

// The alias marking a link as ours: "contain:<owner>".
std::string owner_alias(std::string_view owner);
inline constexpr std::string_view kAliasPrefix = "contain:";

}  // namespace contain::engine
