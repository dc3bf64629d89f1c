// Named network namespaces, made exactly as iproute2 makes them: a file under
// /run/netns with the namespace bind-mounted on it, /run/netns a shared mount.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/names.hpp"
#include "core/unique_fd.hpp"

namespace contain::kernel {

inline constexpr const char* kNetnsDir = "/run/netns";

std::string netns_path(const NetnsName& name);

// Opens a named namespace. A missing one is an error with ENOENT naming it.
Result<UniqueFd> open_netns(const NetnsName& name);
bool netns_exists(const NetnsName& name);

// Creates the namespace and returns a descriptor of it. EEXIST if the name is taken.
Result<UniqueFd> create_netns(const NetnsName& name);

// Unmounts and removes the name. The kernel destroys the namespace (and the
// veth pairs with one end in it) once nothing else holds it.
Status remove_netns(const NetnsName& name);

// Every name under /run/netns, sorted; empty if the directory does not exist.
Result<std::vector<std::string>> list_netns_names();

// The network namespace of a process, as a namespace fd (what IFLA_NET_NS_FD
// takes; a pidfd is not one): through the pidfd (PIDFD_GET_NET_NAMESPACE,
// Linux 6.11), else /proc/PID/ns/net, checked against the pidfd afterwards.
Result<UniqueFd> open_netns_of(int pidfd, pid_t pid);

// Enters a network namespace for the current thread and returns to the previous
// one when it goes out of scope.
class NetnsGuard {
 public:
  static Result<NetnsGuard> enter(int netns_fd);
  NetnsGuard(NetnsGuard&&) = default;
  NetnsGuard& operator=(NetnsGuard&&) = delete;
  ~NetnsGuard();

 private:
  explicit NetnsGuard(UniqueFd previous) : previous_(std::move(previous)) {}
  UniqueFd previous_;
};

}  // namespace contain::kernel
