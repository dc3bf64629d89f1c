#include "engine/state.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include "engine/record_schema.hpp"
#include "kernel/files.hpp"
#include "model/json_text.hpp"

namespace contain::engine {

namespace {

Status make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) < 0 && errno != EEXIST)
    return fail(Error::system(fmt::format("create {}", path)));
  return {};
}

std::string path_of(const std::string& root, std::string_view kind, std::string_view name) {
  return fmt::format("{}/{}/{}", root, kind, name);
}

// A store of an unprivileged user's own: made 0700; one that exists must be a
// folder of theirs that nobody else can write (/tmp is everyone's).
Status make_private_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) < 0 && errno != EEXIST)
    return fail(Error::system(fmt::format("create {}", path)));
  struct stat st;
  if (::lstat(path.c_str(), &st) < 0) return fail(Error::system(fmt::format("look at {}", path)));
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 022))
    return fail(Error::failed(
        fmt::format("{} is not a private folder of yours (owner {}, mode {:o}): remove it, or set "
                    "XDG_RUNTIME_DIR to a folder of your own",
                    path, st.st_uid, st.st_mode & 07777),
        EPERM));
  return {};
}

}  // namespace

struct StoreReader::Shared : std::enable_shared_from_this<Shared> {
  UniqueFd lock;
  std::string root;  // the folder locked
  // Under a Hold: what was read or written, by kind. Nobody else writes while
  // the lock is held, so memory and disk agree.
  bool cached = false;
  std::recursive_mutex mutex;  // namespaces are removed (with their records) from a few threads
  struct Folder {
    std::optional<std::set<std::string, std::less<>>> names;  // once listed, kept up to date
    std::map<std::string, nlohmann::json, std::less<>> records;
    // The same records converted to their struct (engine/record/) by visit<R>,
    // dropped with the JSON they came from.
    std::map<std::string, std::shared_ptr<const void>, std::less<>> typed;
  };
  std::map<std::string, Folder, std::less<>> folders;

  Folder& folder(std::string_view kind) {
    auto it = folders.find(kind);
    if (it == folders.end()) it = folders.emplace(std::string(kind), Folder{}).first;
    return it->second;
  }
};

namespace {

// The Hold of this process, if any (a raw pointer: the Hold owns it, and a
// forked child forgets it without touching a mutex another thread may hold).
std::atomic<StateStore::Shared*> held{nullptr};

}  // namespace

Result<StateStore::Hold> StateStore::hold() {
  if (held.load()) return fail(Error::failed("the state store is already held by this process"));
  auto store = TRY(lock());
  store.shared_->cached = true;
  static std::once_flag forget_in_children;
  std::call_once(forget_in_children, [] {
    // A forked child would otherwise believe it holds the lock its parent holds.
    ::pthread_atfork(nullptr, nullptr, [] { held.store(nullptr); });
  });
  held.store(store.shared_.get());
  return Hold(std::move(store.shared_));
}

StateStore::Hold::~Hold() {
  if (shared_ && held.load() == shared_.get()) held.store(nullptr);
}

std::string container_state_root() {
  uid_t uid = ::geteuid();
  if (uid == 0) return StateStore::kRoot;
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  if (runtime && runtime[0] == '/') return fmt::format("{}/contain", runtime);
  return fmt::format("/tmp/contain-{}", uid);
}

Result<StateStore> StateStore::lock_at(std::string root) {
  // Held by this process (a batch): shared, rather than waiting for ourselves.
  if (Shared* h = held.load(); h && h->root == root) return StateStore(h->shared_from_this(), root);
  if (root == kRoot)
    TRY(make_dir(root));
  else
    TRY(make_private_dir(root));
  // The lock is on the folder itself: a lock file could never be removed safely.
  UniqueFd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail(Error::system(fmt::format("open {}", root)));
  while (::flock(fd.get(), LOCK_EX) < 0) {
    if (errno != EINTR) return fail(Error::system(fmt::format("lock {}", root)));
  }
  auto shared = std::make_shared<Shared>();
  shared->lock = std::move(fd);
  shared->root = root;
  return StateStore(std::move(shared), std::move(root));
}

Result<StateStore> StateStore::lock() { return lock_at(kRoot); }

StoreReader StateStore::reader() { return StoreReader(nullptr, kRoot); }

Result<StateStore> StateStore::lock_containers() { return lock_at(container_state_root()); }

StoreReader StateStore::containers_reader() { return StoreReader(nullptr, container_state_root()); }

std::vector<std::pair<std::string, uid_t>> StateStore::user_container_roots() {
  std::vector<std::pair<std::string, uid_t>> roots;
  auto add = [&](std::string path) {
    struct stat st {};
    // lstat: a link planted by a user must not make root read another folder.
    if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid != 0)
      roots.emplace_back(std::move(path), st.st_uid);
  };
  if (DIR* dir = ::opendir("/run/user")) {
    while (dirent* entry = ::readdir(dir))
      if (entry->d_name[0] != '.') add(fmt::format("/run/user/{}/contain", entry->d_name));
    ::closedir(dir);
  }
  if (DIR* dir = ::opendir("/tmp")) {
    while (dirent* entry = ::readdir(dir))
      if (std::string_view(entry->d_name).starts_with("contain-"))
        add(fmt::format("/tmp/{}", entry->d_name));
    ::closedir(dir);
  }
  std::sort(roots.begin(), roots.end());
  return roots;
}

Result<std::optional<nlohmann::json>> StoreReader::read(std::string_view kind,
                                                        std::string_view name) const {
  if (!shared_ || !shared_->cached) return read_file(kind, name);
  std::lock_guard guard(shared_->mutex);
  auto& folder = shared_->folder(kind);
  if (auto it = folder.records.find(name); it != folder.records.end())
    return std::optional<nlohmann::json>(it->second);
  if (folder.names && !folder.names->contains(name)) return std::optional<nlohmann::json>();
  auto record = TRY(read_file(kind, name));
  if (record) folder.records.emplace(std::string(name), *record);
  return record;
}

Result<std::optional<nlohmann::json>> StoreReader::read_file(std::string_view kind,
                                                             std::string_view name) const {
  std::string path = path_of(root_, kind, name);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::optional<nlohmann::json>();
    return fail(Error::system(fmt::format("read {}", path)));
  }
  std::string text = TRY(kernel::read_all(fd.get(), path));
  auto record = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (record.is_discarded()) return fail(corrupt(kind, name, "it is not valid JSON (truncated?)"));
  if (auto valid = validate_record(kind, record); !valid)
    return fail(corrupt(kind, name, valid.error().message()));
  // The version is the store's business: callers see the record as it was given.
  record.erase("schema");
  return std::optional<nlohmann::json>(std::move(record));
}

Error StoreReader::corrupt(std::string_view kind, std::string_view name,
                           std::string_view why) const {
  return Error::failed(fmt::format("state file {} is corrupt: {}; run 'contain gc'",
                                   path_of(root_, kind, name), why),
                       EBADMSG);
}

Result<bool> StoreReader::holds(std::string_view kind, std::string_view name,
                                std::string_view text) const {
  std::string path = path_of(root_, kind, name);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return false;
    return fail(Error::system(fmt::format("read {}", path)));
  }
  char buffer[4096];
  std::size_t at = 0;
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(Error::system(fmt::format("read {}", path)));
    if (n == 0) return at == text.size();
    auto got = static_cast<std::size_t>(n);
    if (got > text.size() - at || std::memcmp(buffer, text.data() + at, got) != 0) return false;
    at += got;
  }
}

Status StateStore::write(std::string_view kind, std::string_view name, const nlohmann::json& record,
                         std::string* text_written) const {
  std::string dir = fmt::format("{}/{}", root_, kind);
  TRY(root_ == kRoot ? make_dir(root_) : make_private_dir(root_));
  TRY(make_dir(dir));
  std::string path = path_of(root_, kind, name);
  // No record name holds white space, so this cannot collide with one.
  std::string tmp = fmt::format("{}/.tmp {}", dir, ::getpid());
  nlohmann::json versioned = record;
  if (versioned.is_object()) versioned["schema"] = kRecordSchemaVersion;
  std::string text = model::json_text(versioned);
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) return fail(Error::system(fmt::format("write {}", tmp)));
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Error e = Error::system(fmt::format("write {}", tmp));
      ::unlink(tmp.c_str());
      return fail(std::move(e));
    }
    done += static_cast<std::size_t>(n);
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) < 0) {
    Error e = Error::system(fmt::format("replace {}", path));
    ::unlink(tmp.c_str());
    return fail(std::move(e));
  }
  if (shared_ && shared_->cached) {
    // Kept as a reader of the file would see it: the text parsed back,
    // checked, without its version.
    std::lock_guard guard(shared_->mutex);
    auto& folder = shared_->folder(kind);
    if (folder.names) folder.names->emplace(name);
    folder.typed.erase(std::string(name));
    auto again = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!again.is_discarded() && validate_record(kind, again)) {
      again.erase("schema");
      folder.records.insert_or_assign(std::string(name), std::move(again));
    } else {
      folder.records.erase(std::string(name));  // read from the file: says why
    }
  }
  if (text_written) *text_written = std::move(text);
  return {};
}

Status StateStore::remove(std::string_view kind, std::string_view name) const {
  std::string path = path_of(root_, kind, name);
  if (::unlink(path.c_str()) < 0 && errno != ENOENT)
    return fail(Error::system(fmt::format("remove {}", path)));
  if (shared_ && shared_->cached) {
    std::lock_guard guard(shared_->mutex);
    auto& folder = shared_->folder(kind);
    if (folder.names) {
      if (auto it = folder.names->find(name); it != folder.names->end()) folder.names->erase(it);
    }
    if (auto it = folder.records.find(name); it != folder.records.end()) folder.records.erase(it);
    if (auto it = folder.typed.find(name); it != folder.typed.end()) folder.typed.erase(it);
  }
  // An empty folder is removed too, so a host with nothing of ours has an
  // empty /run/contain.
  ::rmdir(fmt::format("{}/{}", root_, kind).c_str());
  return {};
}

Result<std::vector<std::string>> StoreReader::list(std::string_view kind) const {
  if (!shared_ || !shared_->cached) return list_folder(kind);
  std::lock_guard guard(shared_->mutex);
  auto& folder = shared_->folder(kind);
  if (!folder.names) {
    auto names = TRY(list_folder(kind));
    folder.names.emplace(names.begin(), names.end());
    return names;
  }
  return std::vector<std::string>(folder.names->begin(), folder.names->end());
}

Result<std::vector<std::string>> StoreReader::list_folder(std::string_view kind) const {
  std::vector<std::string> names;
  std::string dir = fmt::format("{}/{}", root_, kind);
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return names;
    return fail(Error::system(fmt::format("read {}", dir)));
  }
  while (dirent* entry = ::readdir(d)) {
    std::string_view n = entry->d_name;
    if (n == "." || n == ".." || n.find(' ') != std::string_view::npos) continue;
    names.emplace_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::vector<std::pair<std::string, nlohmann::json>>> StoreReader::read_all(
    std::string_view kind) const {
  std::vector<std::pair<std::string, nlohmann::json>> out;
  for (auto& name : TRY(list(kind)))
    if (auto record = TRY(read(kind, name))) out.emplace_back(std::move(name), std::move(*record));
  return out;
}

Status StoreReader::for_each(
    std::string_view kind,
    const std::function<Status(const std::string&, const nlohmann::json&)>& visit) const {
  if (!shared_ || !shared_->cached) {
    for (const auto& [name, record] : TRY(read_all(kind))) TRY(visit(name, record));
    return {};
  }
  std::lock_guard guard(shared_->mutex);
  auto& folder = shared_->folder(kind);
  if (!folder.names) TRY(list(kind));
  // Once listed, the records in memory are among the names; when there are as
  // many, they are all there and are visited in place (a batch of a thousand
  // attaches visits every namespace record a thousand times).
  if (folder.records.size() != folder.names->size())
    for (const auto& name : *folder.names)
      if (!folder.records.contains(name))
        if (auto record = TRY(read_file(kind, name)))
          folder.records.emplace(name, std::move(*record));
  for (const auto& [name, record] : folder.records) TRY(visit(name, record));
  return {};
}

Status StoreReader::for_each_converted(
    std::string_view kind,
    const std::function<Result<std::shared_ptr<const void>>(const std::string&,
                                                            const nlohmann::json&)>& convert,
    const std::function<Status(const std::string&, const void*)>& visit) const {
  if (!shared_ || !shared_->cached)
    return for_each(kind, [&](const std::string& name, const nlohmann::json& j) -> Status {
      auto r = TRY(convert(name, j));
      return visit(name, r.get());
    });
  std::lock_guard guard(shared_->mutex);
  auto& folder = shared_->folder(kind);
  return for_each(kind, [&](const std::string& name, const nlohmann::json& j) -> Status {
    auto it = folder.typed.find(name);
    if (it == folder.typed.end()) it = folder.typed.emplace(name, TRY(convert(name, j))).first;
    return visit(name, it->second.get());
  });
}

Result<std::vector<std::string>> StateStore::remove_unfinished_writes() const {
  std::vector<std::string> removed;
  DIR* root = ::opendir(root_.c_str());
  if (!root) {
    if (errno == ENOENT) return removed;
    return fail(Error::system(fmt::format("read {}", root_)));
  }
  std::vector<std::string> kinds;
  while (dirent* entry = ::readdir(root))
    if (entry->d_type == DT_DIR && entry->d_name[0] != '.') kinds.emplace_back(entry->d_name);
  ::closedir(root);
  for (const auto& kind : kinds) {
    std::string dir = fmt::format("{}/{}", root_, kind);
    DIR* d = ::opendir(dir.c_str());
    if (!d) continue;
    std::vector<std::string> stale;
    while (dirent* entry = ::readdir(d)) {
      // write() names its temporary file ".tmp PID" and renames it over the record.
      int pid = 0;
      if (std::sscanf(entry->d_name, ".tmp %d", &pid) != 1 || pid <= 0) continue;
      if (::kill(pid, 0) < 0 && errno == ESRCH) stale.emplace_back(entry->d_name);
    }
    ::closedir(d);
    for (const auto& name : stale) {
      std::string path = fmt::format("{}/{}", dir, name);
      if (::unlink(path.c_str()) < 0 && errno != ENOENT)
        return fail(Error::system(fmt::format("remove {}", path)));
      removed.push_back(fmt::format("removed {}, a record its writer never finished", path));
    }
    if (::rmdir(dir.c_str()) == 0)
      removed.push_back(fmt::format("removed the empty folder {}", dir));
  }
  return removed;
}

Result<std::optional<std::string>> StateStore::set_aside_if_corrupt(std::string_view kind,
                                                                    std::string_view name) const {
  auto record = read(kind, name);
  if (record || record.error().code() != EBADMSG) {
    if (!record) return fail(std::move(record).error());
    return std::optional<std::string>();
  }
  std::string dir = fmt::format("{}/{}", root_, kCorruptFolder);
  TRY(make_dir(dir));
  std::string from = path_of(root_, kind, name);
  std::string to = fmt::format("{}/{}.{}", dir, kind, name);
  if (::rename(from.c_str(), to.c_str()) < 0)
    return fail(Error::system(fmt::format("set aside {} as {}", from, to)));
  if (shared_ && shared_->cached) {
    std::lock_guard guard(shared_->mutex);
    auto& folder = shared_->folder(kind);
    if (folder.names) folder.names->erase(std::string(name));
    folder.records.erase(std::string(name));
    folder.typed.erase(std::string(name));
  }
  ::rmdir(fmt::format("{}/{}", root_, kind).c_str());
  std::string why = record.error().message();
  // "state file PATH is corrupt: WHY; run 'contain gc'" -> WHY
  if (auto colon = why.find(" is corrupt: "); colon != std::string::npos)
    why = why.substr(colon + 13);
  if (auto semi = why.rfind("; run "); semi != std::string::npos) why.resize(semi);
  return std::optional<std::string>(
      fmt::format("set aside corrupt state file {} as {} ({})", from, to, why));
}

std::string owner_alias(std::string_view owner) {
  std::string alias = fmt::format("{}{}", kAliasPrefix, owner);
  if (alias.size() > 255) alias.resize(255);  // IFALIASZ - 1
  return alias;
}

}  // namespace contain::engine
