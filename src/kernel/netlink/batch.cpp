#include "kernel/netlink/batch.hpp"

#include <fmt/format.h>
#include <linux/netlink.h>
#include <netlink/msg.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include <atomic>
#include <optional>

namespace contain::kernel {

namespace {

// Sequence numbers of our own, far from libnl's counter on the same socket.
std::atomic<std::uint32_t> next_seq{0x40000000};

// Each acknowledgement is its own skb, charged to the receive buffer at about
// 1 KiB whatever its size: a chunk's acks must fit the buffer (raised below),
// or the kernel drops them and recv() fails with ENOBUFS.
constexpr std::size_t kChunkBytes = 32 * 1024;
constexpr std::size_t kChunkMessages = 128;
constexpr int kReceiveBuffer = 1 << 20;

}  // namespace

void NetlinkBatch::add(NlMsgPtr msg, std::string what) {
  pending_.push_back({std::move(msg), std::move(what)});
}

Status NetlinkBatch::commit() {
  std::vector<Pending> all = std::move(pending_);
  pending_.clear();
  int fd = nl_socket_get_fd(sock_.get());
  if (all.size() > 16) {
    int size = kReceiveBuffer;
    // FORCE goes past net.core.rmem_max (we run as root); the plain one is the fallback.
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
      (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  std::optional<Error> first_error;
  std::string buf;
  alignas(nlmsghdr) char reply[16384];

  for (std::size_t begin = 0; begin < all.size();) {
    // Pack a chunk of messages into one buffer.
    buf.clear();
    std::uint32_t base = next_seq.fetch_add(kChunkMessages);
    std::size_t end = begin;
    while (end < all.size() && end - begin < kChunkMessages) {
      nlmsghdr* h = nlmsg_hdr(all[end].msg.get());
      if (end > begin && buf.size() + h->nlmsg_len > kChunkBytes) break;
      h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
      h->nlmsg_seq = base + static_cast<std::uint32_t>(end - begin);
      h->nlmsg_pid = 0;
      buf.append(reinterpret_cast<const char*>(h), NLMSG_ALIGN(h->nlmsg_len));
      ++end;
    }
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    iovec iov{buf.data(), buf.size()};
    msghdr m{};
    m.msg_name = &kernel;
    m.msg_namelen = sizeof kernel;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    ssize_t sent;
    do sent = ::sendmsg(fd, &m, 0);
    while (sent < 0 && errno == EINTR);
    if (sent < 0) return fail(Error::system(fmt::format("send {} netlink requests", end - begin)));

    // Every message asked for an ack; the kernel has queued them all by now.
    std::size_t acked = 0;
    while (acked < end - begin) {
      ssize_t n = ::recv(fd, reply, sizeof reply, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail(Error::system("read netlink acknowledgements"));
      int left = static_cast<int>(n);
      for (auto* h = reinterpret_cast<nlmsghdr*>(reply); NLMSG_OK(h, left);
           h = NLMSG_NEXT(h, left)) {
        if (h->nlmsg_type != NLMSG_ERROR) continue;
        std::uint32_t index = h->nlmsg_seq - base;
        if (index >= end - begin) continue;  // not ours
        ++acked;
        auto* err = static_cast<nlmsgerr*>(NLMSG_DATA(h));
        if (err->error == 0 || first_error) continue;
        const std::string& what = all[begin + index].what;
        std::string extack = extended_ack_text(h);
        Error e = Error::system(what, -err->error);
        if (!extack.empty())
          e = Error::failed(fmt::format("{} ({})", e.message(), extack), -err->error);
        first_error = std::move(e);
      }
    }
    begin = end;
  }
  if (first_error) return fail(std::move(*first_error));
  return {};
}

}  // namespace contain::kernel
