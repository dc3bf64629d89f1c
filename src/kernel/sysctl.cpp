#include "kernel/sysctl.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "core/unique_fd.hpp"

namespace contain::kernel {

namespace {

std::string path_of(std::string_view key) { return fmt::format("/proc/sys/{}", key); }

}  // namespace

Result<std::string> read_sysctl(std::string_view key) {
  std::string path = path_of(key);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail(Error::system(fmt::format("read sysctl {}", path)));
  char buf[256];
  ssize_t n;
  do n = ::read(fd.get(), buf, sizeof buf);
  while (n < 0 && errno == EINTR);
  if (n < 0) return fail(Error::system(fmt::format("read sysctl {}", path)));
  std::string value(buf, static_cast<std::size_t>(n));
  while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
  return value;
}

Status write_sysctl(std::string_view key, std::string_view value) {
  std::string path = path_of(key);
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return fail(Error::system(fmt::format("write sysctl {}", path)));
  ssize_t n;
  do n = ::write(fd.get(), value.data(), value.size());
  while (n < 0 && errno == EINTR);
  if (n < 0) return fail(Error::system(fmt::format("write {} to sysctl {}", value, path)));
  return {};
}

}  // namespace contain::kernel
