#include "kernel/namespaces.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>

#include <string>
#include <utility>

#include "core/unique_fd.hpp"

namespace contain::kernel {

Status join_namespaces(int pidfd, pid_t pid, int flags) {
  if (::setns(pidfd, flags) == 0) return {};
  if (errno != EINVAL) return fail(Error::system("join the container's namespaces"));
  // Kernels before 5.8 take only namespace files.
  static const std::pair<int, const char*> kinds[] = {
      {CLONE_NEWUSER, "user"}, {CLONE_NEWCGROUP, "cgroup"}, {CLONE_NEWIPC, "ipc"},
      {CLONE_NEWUTS, "uts"},   {CLONE_NEWNET, "net"},       {CLONE_NEWPID, "pid"},
      {CLONE_NEWNS, "mnt"}};
  for (auto [flag, name] : kinds) {
    if (!(flags & flag)) continue;
    std::string path = fmt::format("/proc/{}/ns/{}", pid, name);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd || ::setns(fd.get(), flag) < 0)
      return fail(Error::system(fmt::format("join the container's {} namespace", name)));
  }
  return {};
}

}  // namespace contain::kernel
