#include "kernel/files.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "core/unique_fd.hpp"

namespace contain::kernel {

namespace {

// `path` opened with O_PATH (which opens nothing: no FIFO waits, no device
// acts): checked, then opened for reading through its /proc/self/fd entry.
Result<std::optional<std::string>> read_opened_path(UniqueFd path_fd, const std::string& what) {
  if (!path_fd) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>();
    return fail(Error::system(fmt::format("open {}", what)));
  }
  struct stat st {};
  if (::fstat(path_fd.get(), &st) < 0) return fail(Error::system(fmt::format("stat {}", what)));
  if (!S_ISREG(st.st_mode))
    return fail(Error::failed(fmt::format(
        "{} is not a regular file (a FIFO, device or folder is never read: it could block or "
        "never end); make it a file or remove it",
        what)));
  std::string proc_path = fmt::format("/proc/self/fd/{}", path_fd.get());
  UniqueFd fd(::open(proc_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) return fail(Error::system(fmt::format("open {}", what)));
  return read_all(fd.get(), what, kConfigFileLimit);
}

}  // namespace

Result<std::string> read_all(int fd, const std::string& what, std::size_t limit) {
  std::string out;
  char buffer[8192];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(Error::system(fmt::format("read {}", what)));
    if (n == 0) return out;
    out.append(buffer, static_cast<std::size_t>(n));
    if (out.size() > limit)
      return fail(Error::failed(
          fmt::format("{} is larger than {} MB; is it the right file?", what, limit >> 20)));
  }
}

Result<std::optional<std::string>> read_config_file(const std::string& path) {
  return read_opened_path(UniqueFd(::open(path.c_str(), O_PATH | O_CLOEXEC)), path);
}

Result<std::optional<std::string>> read_config_file_in(const std::string& root,
                                                       const std::string& path) {
  std::string what = fmt::format("{}/{}", root == "/" ? "" : root, path);
  UniqueFd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd) return fail(Error::system(fmt::format("open {}", root)));
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  // glibc 2.36 has no openat2 wrapper: the raw system call.
  int fd = static_cast<int>(::syscall(SYS_openat2, root_fd.get(), path.c_str(), &how, sizeof how));
  return read_opened_path(UniqueFd(fd), what);
}

}  // namespace contain::kernel
