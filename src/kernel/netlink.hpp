// A NETLINK_ROUTE socket (libnl) bound to the network namespace it was opened in,
// which keeps the kernel's own errno and extended-ack text for error messages.
#pragma once

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

  nl_sock* get() const { return sock_.get(); }

  // Turns a libnl return code into a Status. On failure the error carries the
  // kernel's errno and, when it sent one, its extended-ack message.
  Status check(int nl_code, std::string_view what) const;

 private:
  struct Deleter {
    void operator()(nl_sock* s) const;
  };
  std::unique_ptr<nl_sock, Deleter> sock_;
  // The error callback writes here; heap-allocated so its address survives moves.
  std::unique_ptr<NetlinkLastError> last_;
};

}  // namespace contain::kernel
