#include "kernel/caps.hpp"

#include <fmt/format.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace contain::kernel {

namespace {

bool has_effective(const __user_cap_data_struct (&data)[2], int cap) {
  return data[cap / 32].effective & (1u << (cap % 32));
}

}  // namespace

Status require_admin_capabilities(std::string_view command) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) < 0) return fail(Error::system("read capabilities"));
  bool admin = has_effective(data, CAP_SYS_ADMIN);
  bool net_admin = has_effective(data, CAP_NET_ADMIN);
  if (admin && net_admin) return {};
  return fail(Error::failed(
      fmt::format("'{}' needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN, missing: {}); run it as root, "
                  "for example with sudo",
                  command,
                  !admin && !net_admin ? "both" : (!admin ? "CAP_SYS_ADMIN" : "CAP_NET_ADMIN")),
      EPERM));
}

Result<std::uint64_t> bounding_set() {
  std::uint64_t set = 0;
  for (int cap = 0; cap < 64; ++cap) {
    int in = ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (in < 0 && errno == EINVAL) break;  // past the last capability this kernel has
    if (in < 0) return fail(Error::system("read the capability bounding set"));
    if (in) set |= std::uint64_t{1} << cap;
  }
  return set;
}

}  // namespace contain::kernel
