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
#include "engine/record/fields.hpp"

namespace contain::engine {

class StoreReader;

// The store with its lock held: only this type can write or remove records, so
// a write without the lock does not compile. It reads as a StoreReader does.
class StateStore;

// Reading the store needs no lock: records are replaced atomically, so readers
// never see half a record. Functions that only read take a `const StoreReader&`
// (a StateStore is one too).
class StoreReader {
 public:
  const std::string& root() const { return root_; }

  // `kind` is a folder ("netns", "network", ...), `name` a file in it. A record
  // that is not valid JSON or not of its kind's schema (engine/record_schema.hpp)
  // is an error (EBADMSG) naming the file: "state file ... is corrupt: ...".
  Result<std::optional<nlohmann::json>> read(std::string_view kind, std::string_view name) const;
  Result<std::vector<std::string>> list(std::string_view kind) const;
  // The record's file holds exactly `text` (what a write of ours wrote, see
  // StateStore::write): false if it was replaced by another or removed since.
  // Compared in place, without parsing or allocating.
  Result<bool> holds(std::string_view kind, std::string_view name, std::string_view text) const;
  // Every record of `kind` with its name, in name order (ones removed meanwhile skipped).
  Result<std::vector<std::pair<std::string, nlohmann::json>>> read_all(std::string_view kind) const;
  // The same records as read_all, handed to `visit` one by one without a copy
  // each (under a Hold they are in memory). Stops at the first error of `visit`.
  Status for_each(std::string_view kind,
                  const std::function<Status(const std::string& name,
                                             const nlohmann::json& record)>& visit) const;

  // Typed records (engine/record/): the record of kind R::kKind named `name`,
  // if there is one; a record its from_json refuses is corrupt, as above.
  template <record::Record R>
  Result<std::optional<R>> get(std::string_view name) const {
    auto j = TRY(read(R::kKind, name));
    if (!j) return std::optional<R>();
    return std::optional<R>(TRY(typed<R>(name, *j)));
  }
  // Every record of R's kind with its name, in name order.
  template <record::Record R>
  Result<std::vector<std::pair<std::string, R>>> get_all() const {
    std::vector<std::pair<std::string, R>> out;
    TRY(visit<R>([&](const std::string& name, const R& r) -> Status {
      out.emplace_back(name, r);
      return {};
    }));
    return out;
  }
  // Each record of R's kind, without a copy (under a Hold each is converted
  // once and kept, as its JSON is). Stops at the first error of `visit`.
  template <record::Record R>
  Status visit(const std::function<Status(const std::string& name, const R& r)>& visit) const {
    return for_each_converted(
        R::kKind,
        [this](const std::string& name,
               const nlohmann::json& j) -> Result<std::shared_ptr<const void>> {
          return std::shared_ptr<const void>(std::make_shared<const R>(TRY(typed<R>(name, j))));
        },
        [&](const std::string& name, const void* r) {
          return visit(name, *static_cast<const R*>(r));
        });
  }

  struct Shared;  // the lock's descriptor and, under a Hold, the records in memory

 protected:
  StoreReader(std::shared_ptr<Shared> shared, std::string root)
      : shared_(std::move(shared)), root_(std::move(root)) {}
  friend class StateStore;

  Result<std::optional<nlohmann::json>> read_file(std::string_view kind,
                                                  std::string_view name) const;
  Result<std::vector<std::string>> list_folder(std::string_view kind) const;
  // "state file PATH is corrupt: WHY; run 'contain gc'" (EBADMSG).
  Error corrupt(std::string_view kind, std::string_view name, std::string_view why) const;
  template <record::Record R>
  Result<R> typed(std::string_view name, const nlohmann::json& j) const {
    auto r = R::from_json(j);
    if (!r) return fail(corrupt(R::kKind, name, r.error().message()));
    return r;
  }
  Status for_each_converted(
      std::string_view kind,
      const std::function<Result<std::shared_ptr<const void>>(const std::string&,
                                                              const nlohmann::json&)>& convert,
      const std::function<Status(const std::string&, const void*)>& visit) const;

  std::shared_ptr<Shared> shared_;
  std::string root_;
};

class StateStore : public StoreReader {
 public:
  static constexpr const char* kRoot = "/run/contain";

  // The store with its exclusive lock held until the object is destroyed.
  // Every command that changes the kernel or the store takes it first.
  static Result<StateStore> lock();
  // The store for reading only (no lock).
  static StoreReader reader();
  // The store of the caller's containers and their logs: the same as above for
  // root; for anyone else a folder of their own (container_state_root()), so
  // that one user never sees or touches another's containers.
  static Result<StateStore> lock_containers();
  static StoreReader containers_reader();
  // For root's `ps --all-users`: reads the store at another root (a user's).
  static StoreReader reader_at(std::string root) { return StoreReader(nullptr, std::move(root)); }
  // The folders where users' rootless containers are recorded by default:
  // /run/user/*/contain and /tmp/contain-*, each that is a directory, with its owner.
  static std::vector<std::pair<std::string, uid_t>> user_container_roots();

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

  // With `text`, what the file holds is kept there too (see holds()).
  Status write(std::string_view kind, std::string_view name, const nlohmann::json& record,
               std::string* text = nullptr) const;
  Status remove(std::string_view kind, std::string_view name) const;
  // Typed records (engine/record/).
  template <record::Record R>
  Status put(std::string_view name, const R& r, std::string* text = nullptr) const {
    return write(R::kKind, name, r.to_json(), text);
  }
  template <record::Record R>
  Status erase(std::string_view name) const {
    return remove(R::kKind, name);
  }
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
      : StoreReader(std::move(shared), std::move(root)) {}
  static Result<StateStore> lock_at(std::string root);
};

// Where the caller's containers are recorded: /run/contain for root;
// $XDG_RUNTIME_DIR/contain for anyone else, or /tmp/contain-UID without
// XDG_RUNTIME_DIR (made 0700; refused if it exists and is not the caller's own).
std::string container_state_root();

// The alias marking a link as ours: "contain:<owner>".
std::string owner_alias(std::string_view owner);
inline constexpr std::string_view kAliasPrefix = "contain:";

}  // namespace contain::engine
