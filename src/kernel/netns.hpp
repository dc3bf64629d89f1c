// Named network namespaces, made exactly as iproute2 makes them: a file under
// /run/netns with the namespace bind-mounted on it, /run/netns a shared mount.
#pragma once

#include <sys/types.h>

#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/names.hpp"
#include "core/netns_id.hpp"
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

// Opens a file that should be a network namespace: /proc/PID/ns/net or a bind
// mount of one. Nothing else is opened for reading (a fifo would block, a
// device could act): the path is opened with O_PATH and reopened only if it
// is a regular file, which namespace files are. Errors carry ENOENT (no such
// file), ENOTTY (not a namespace file) or EINVAL (another kind of namespace;
// the message says which), with a message without the path.
Result<UniqueFd> open_netns_file(const std::string& path);

// The identity of the network namespace behind `netns_fd`.
Result<NetnsId> netns_id(int netns_fd);

// The identities of every network namespace something can still be seen to
// hold: a task's (/proc/*/task/*/ns/net), a bind mount's (nsfs in
// mountinfo) or an open descriptor's (/proc/*/fd). Only what this /proc
// shows counts: run it in the PID namespace that sees the holders.
Result<std::set<NetnsId>> live_netns_ids();

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
