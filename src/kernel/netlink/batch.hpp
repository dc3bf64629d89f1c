// Pipelined netlink requests: many messages sent in one sendmsg(), then all
// acknowledgements collected, instead of one round trip per step. rtnetlink
// handles the messages of one send in order, synchronously, so a later message
// may rely on an earlier one (a link created, then addressed by name).
#pragma once

#include <string>
#include <vector>

#include "core/error.hpp"
#include "kernel/netlink/libnl.hpp"
#include "kernel/netlink/socket.hpp"

namespace contain::kernel {

class NetlinkBatch {
 public:
  explicit NetlinkBatch(const NetlinkSocket& sock) : sock_(sock) {}

  // Queues a request; `what` names it in an error ("create veth vc1 <-> eth0").
  void add(NlMsgPtr msg, std::string what);
  std::size_t size() const { return pending_.size(); }

  // Sends everything queued (as few sendmsg calls as fit the socket buffers) and
  // reads every acknowledgement. Fails with the first request the kernel
  // refused, its errno and extended-ack text; requests after a refused one
  // were still tried. The queue is empty afterwards either way.
  Status commit();

 private:
  struct Pending {
    NlMsgPtr msg;
    std::string what;
  };
  const NetlinkSocket& sock_;
  std::vector<Pending> pending_;
};

}  // namespace contain::kernel
