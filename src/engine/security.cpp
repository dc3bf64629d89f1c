#include "engine/security.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/unique_fd.hpp"
#include "kernel/caps.hpp"
#include "kernel/files.hpp"
#include "kernel/seccomp_prebuilt.hpp"
#include "model/seccomp_cache.hpp"
#include "model/seccomp_profile.hpp"

namespace contain::engine {

namespace ms = model::seccomp;

Result<model::CapabilitySet> caller_bounding_set() { return kernel::bounding_set(); }

namespace {

// At most this many compiled programs are kept; the oldest go first.
constexpr std::size_t kCachedPrograms = 16;

// ROOT/cache/seccomp, made if missing: only if it is a folder of the caller's
// that nobody else can write (else nothing is cached).
std::optional<std::string> cache_dir(std::string dir) {
  if (dir.empty()) return std::nullopt;
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return std::nullopt;  // made by the first lock
  for (const char* part : {"/cache", "/seccomp"}) {
    dir += part;
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return std::nullopt;
  }
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() ||
      (st.st_mode & 022) != 0)
    return std::nullopt;
  return dir;
}

std::optional<std::string> read_small_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return std::nullopt;
  std::string out;
  char buffer[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) return std::nullopt;
    if (n == 0) return out;
    out.append(buffer, static_cast<std::size_t>(n));
    if (out.size() > (1u << 20)) return std::nullopt;  // not one of ours
  }
}

// Best effort: a cache that cannot be written costs only time.
void store_program(const std::string& dir, const std::string& name, std::string_view text) {
  std::string tmp = fmt::format("{}/.tmp {}", dir, ::getpid());
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return;
    if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      ::unlink(tmp.c_str());
      return;
    }
  }
  if (::rename(tmp.c_str(), (dir + "/" + name).c_str()) != 0) {
    ::unlink(tmp.c_str());
    return;
  }
  // Bounded: the oldest beyond kCachedPrograms go.
  struct CloseDir {
    void operator()(DIR* d) const { ::closedir(d); }
  };
  std::unique_ptr<DIR, CloseDir> d(::opendir(dir.c_str()));
  if (!d) return;
  std::vector<std::pair<timespec, std::string>> entries;
  while (dirent* e = ::readdir(d.get())) {
    std::string entry = e->d_name;
    if (entry == "." || entry == ".." || entry == name) continue;
    struct stat st {};
    if (::fstatat(::dirfd(d.get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
      entries.emplace_back(st.st_mtim, std::move(entry));
  }
  if (entries.size() < kCachedPrograms) return;
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return a.first.tv_sec != b.first.tv_sec ? a.first.tv_sec < b.first.tv_sec
                                            : a.first.tv_nsec < b.first.tv_nsec;
  });
  for (std::size_t i = 0; i + kCachedPrograms - 1 < entries.size(); ++i)
    ::unlinkat(::dirfd(d.get()), entries[i].second.c_str(), 0);
}

// compile(), through the cache of compiled programs (model/seccomp_cache).
Result<kernel::seccomp::Program> compile_cached(const ms::Profile& resolved,
                                                const std::string& cache_root) {
  auto dir = cache_dir(cache_root);
  if (!dir) return kernel::seccomp::compile(resolved);
  std::string key = ms::cache_key(resolved, kernel::seccomp::compiler_identity());
  std::string name = ms::cache_file_name(key);
  if (auto file = read_small_file(*dir + "/" + name))
    if (auto bytes = ms::decode_cache_entry(*file, key)) {
      kernel::seccomp::Program program(bytes->size() / sizeof(sock_filter));
      std::memcpy(program.data(), bytes->data(), bytes->size());
      return program;
    }
  auto program = TRY(kernel::seccomp::compile(resolved));
  store_program(
      *dir, name,
      ms::encode_cache_entry(key, std::string_view(reinterpret_cast<const char*>(program.data()),
                                                   program.size() * sizeof(sock_filter))));
  return program;
}

}  // namespace

Result<kernel::seccomp::Program> seccomp_program(const model::SecurityOptions& options,
                                                 model::CapabilitySet capabilities,
                                                 const std::string& cache_root) {
  using Seccomp = model::SecurityOptions::Seccomp;
  if (options.seccomp == Seccomp::unconfined) return kernel::seccomp::Program{};
  if (options.seccomp == Seccomp::default_profile) {
    auto prebuilt = kernel::seccomp::prebuilt_default();
    if ((capabilities & prebuilt.relevant) == prebuilt.capabilities)
      return kernel::seccomp::Program(prebuilt.program.begin(), prebuilt.program.end());
    auto profile =
        TRY(ms::parse_profile(ms::default_profile_json(), "the default seccomp profile"));
    return compile_cached(ms::resolve(profile, capabilities, kernel::seccomp::native_arch()),
                          cache_root);
  }
  std::string source = fmt::format("--security-opt seccomp={}", options.seccomp_file);
  auto text = kernel::read_config_file(options.seccomp_file);
  if (!text || !*text)
    return fail(Error::usage(fmt::format("{}: cannot read the file: {}", source,
                                         text ? std::strerror(ENOENT) : text.error().message())));
  auto profile = TRY(ms::parse_profile(**text, source));
  return TRY_WRAP(compile_cached(ms::resolve(profile, capabilities, kernel::seccomp::native_arch()),
                                 cache_root),
                  source);
}

}  // namespace contain::engine
