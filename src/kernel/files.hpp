// Small files read whole before a container starts: the host's own
// configuration (/etc/subuid) and the files of a container's root (its
// /etc/passwd), which whoever made the root controls.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "core/error.hpp"

namespace contain::kernel {

// Everything left to read from `fd` (interrupted reads retried), at most
// `limit` bytes (more is an error that says so); `what` names it in errors.
Result<std::string> read_all(int fd, const std::string& what,
                             std::size_t limit = static_cast<std::size_t>(-1));

// The most read_config_file reads: a large site's /etc/passwd is a few MB.
inline constexpr std::size_t kConfigFileLimit = 16u << 20;

// The whole of `path`, a regular file of at most kConfigFileLimit bytes;
// nothing if it does not exist. A FIFO, device, socket or directory is an error,
// found before it is opened for reading (a FIFO would block the start, a
// device might never end or do something when opened), and so is a larger file.
Result<std::optional<std::string>> read_config_file(const std::string& path);

// The same for `path` inside the directory `root`, resolved as if `root` were
// "/" (openat2 RESOLVE_IN_ROOT): no symbolic link or ".." among the root's
// files leads out of it.
Result<std::optional<std::string>> read_config_file_in(const std::string& root,
                                                       const std::string& path);

}  // namespace contain::kernel
