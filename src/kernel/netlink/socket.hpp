// A NETLINK_ROUTE socket (libnl) bound to the network namespace it was opened in,
// which keeps the kernel's own errno and extended-ack text for error messages.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"

struct nl_sock;
struct nlmsghdr;

namespace contain::kernel {

// What the kernel said about the last failed request on a socket.
struct NetlinkLastError {
  int error = 0;
  std::string extack;
};

// The kernel's extended-ack message in an NLMSG_ERROR reply, empty if none.
std::string extended_ack_text(const nlmsghdr* error_reply);

class NetlinkSocket {
 public:
  // A socket in the calling thread's current network namespace.
  static Result<NetlinkSocket> open();
  // A socket in the namespace behind `netns_fd`; the caller's namespace is unchanged.
  static Result<NetlinkSocket> open_in(int netns_fd);
  // The same, but while a NetlinkSocketCache lives the socket of each
  // namespace is opened once and handed out again (copies share it). Only for
  // requests and their answers: a caller that subscribes to notifications or
  // changes the socket's settings opens its own.
  static Result<NetlinkSocket> shared();
  static Result<NetlinkSocket> shared_in(int netns_fd);

  nl_sock* get() const { return sock_.get(); }

  // Turns a libnl return code into a Status. On failure the error carries the
  // kernel's errno and, when it sent one, its extended-ack message.
  Status check(int nl_code, std::string_view what) const;

 private:
  std::shared_ptr<nl_sock> sock_;
  // The error callback writes here; heap-allocated so its address survives moves.
  std::shared_ptr<NetlinkLastError> last_;
};

// For a run of many commands in one process (`contain batch`): while one
// lives, NetlinkSocket::shared() and shared_in() keep one socket per network
// namespace open, instead of opening one per command. A namespace's sockets
// are closed before remove_netns unmounts it (a socket keeps its namespace,
// and the namespace's links, alive). All are closed when it goes.
class NetlinkSocketCache {
 public:
  NetlinkSocketCache();
  ~NetlinkSocketCache();
  NetlinkSocketCache(const NetlinkSocketCache&) = delete;
  NetlinkSocketCache& operator=(const NetlinkSocketCache&) = delete;
};

// Closes the cached sockets of the namespace with this nsfs inode (none if no
// cache lives).
void forget_cached_sockets(dev_t dev, ino_t ino);

}  // namespace contain::kernel
