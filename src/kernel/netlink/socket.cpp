#include "kernel/netlink/socket.hpp"

#include <fmt/format.h>
#include <linux/netlink.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "kernel/netns.hpp"

namespace contain::kernel {

namespace {

struct Cache {
  std::map<std::pair<dev_t, ino_t>, NetlinkSocket> sockets;  // by namespace (nsfs inode)
};
// The live cache, if any; a process has at most one (the batch run's).
std::mutex cache_mutex;
std::optional<Cache> cache;

Result<NetlinkSocket> cached(const struct stat& ns,
                             const std::function<Result<NetlinkSocket>()>& open) {
  std::lock_guard lock(cache_mutex);
  if (!cache) return open();
  auto key = std::pair{ns.st_dev, ns.st_ino};
  if (auto it = cache->sockets.find(key); it != cache->sockets.end()) return it->second;
  auto sock = TRY(open());
  cache->sockets.emplace(key, sock);
  return sock;
}

// libnl reports the kernel's errno folded into its own codes; keep the exact one
// and the extended-ack text ("Permission denied" alone rarely says enough).
int capture_error(struct sockaddr_nl*, struct nlmsgerr* err, void* arg) {
  auto* last = static_cast<NetlinkLastError*>(arg);
  last->error = -err->error;
  // libnl hands us nlmsg_data(header): step back to the header to read the TLVs.
  last->extack = extended_ack_text(
      reinterpret_cast<const nlmsghdr*>(reinterpret_cast<const char*>(err) - NLMSG_HDRLEN));
  return NL_STOP;
}

// The few libnl codes that do not come from a kernel errno, mapped back to one.
int errno_of(int nl_code) {
  switch (-nl_code) {
    case NLE_NOMEM:
      return ENOMEM;
    case NLE_EXIST:
      return EEXIST;
    case NLE_OBJ_NOTFOUND:
      return ENOENT;
    case NLE_NODEV:
      return ENODEV;
    case NLE_PERM:
      return EPERM;
    case NLE_BUSY:
      return EBUSY;
    case NLE_OPNOTSUPP:
      return EOPNOTSUPP;
    case NLE_INVAL:
      return EINVAL;
    case NLE_RANGE:
      return ERANGE;
    case NLE_AGAIN:
      return EAGAIN;
    default:
      return EIO;
  }
}

}  // namespace

std::string extended_ack_text(const nlmsghdr* header) {
  if (!(header->nlmsg_flags & NLM_F_ACK_TLVS)) return {};
  auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(header));
  std::size_t offset = NLMSG_HDRLEN + sizeof(nlmsgerr);
  if (!(header->nlmsg_flags & NLM_F_CAPPED)) offset += err->msg.nlmsg_len - NLMSG_HDRLEN;
  while (offset + sizeof(nlattr) <= header->nlmsg_len) {
    auto* attr = reinterpret_cast<const nlattr*>(reinterpret_cast<const char*>(header) + offset);
    if (attr->nla_len < sizeof(nlattr) || offset + attr->nla_len > header->nlmsg_len) break;
    if ((attr->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
      const char* text = reinterpret_cast<const char*>(attr) + NLA_HDRLEN;
      std::size_t length = attr->nla_len - NLA_HDRLEN;
      return std::string(text, strnlen(text, length));
    }
    offset += NLA_ALIGN(attr->nla_len);
  }
  return {};
}

Result<NetlinkSocket> NetlinkSocket::open() {
  NetlinkSocket s;
  s.sock_ = std::shared_ptr<nl_sock>(nl_socket_alloc(), [](nl_sock* p) {
    if (p) nl_socket_free(p);
  });
  if (!s.sock_) return fail(Error::system("allocate a netlink socket", ENOMEM));
  s.last_ = std::make_shared<NetlinkLastError>();
  if (int rc = nl_connect(s.sock_.get(), NETLINK_ROUTE); rc < 0)
    return fail(
        Error::failed(fmt::format("open a netlink socket: {}", nl_geterror(rc)), errno_of(rc)));
  int fd = nl_socket_get_fd(s.sock_.get());
  int on = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
  nl_socket_modify_err_cb(s.sock_.get(), NL_CB_CUSTOM, capture_error, s.last_.get());
  return s;
}

Result<NetlinkSocket> NetlinkSocket::open_in(int netns_fd) {
  auto guard = TRY_WRAP(NetnsGuard::enter(netns_fd), "open a netlink socket in a namespace");
  return open();
}

Result<NetlinkSocket> NetlinkSocket::shared() {
  {
    std::lock_guard lock(cache_mutex);
    if (!cache) return open();
  }
  // Keyed by the namespace the calling thread is in now.
  struct stat ns {};
  if (::stat("/proc/thread-self/ns/net", &ns) < 0)
    return fail(Error::system("find the current network namespace"));
  return cached(ns, [] { return open(); });
}

Result<NetlinkSocket> NetlinkSocket::shared_in(int netns_fd) {
  {
    std::lock_guard lock(cache_mutex);
    if (!cache) return open_in(netns_fd);
  }
  struct stat ns {};
  if (::fstat(netns_fd, &ns) < 0) return fail(Error::system("find a network namespace"));
  return cached(ns, [netns_fd] { return open_in(netns_fd); });
}

NetlinkSocketCache::NetlinkSocketCache() {
  std::lock_guard lock(cache_mutex);
  cache.emplace();
}

NetlinkSocketCache::~NetlinkSocketCache() {
  std::lock_guard lock(cache_mutex);
  cache.reset();
}

void forget_cached_sockets(dev_t dev, ino_t ino) {
  std::lock_guard lock(cache_mutex);
  if (cache) cache->sockets.erase({dev, ino});
}

Status NetlinkSocket::check(int nl_code, std::string_view what) const {
  if (nl_code >= 0) {
    last_->error = 0;
    return {};
  }
  int err = last_->error != 0 ? last_->error : errno_of(nl_code);
  std::string extack = std::move(last_->extack);
  last_->error = 0;
  last_->extack.clear();
  Error e = Error::system(std::string(what), err);
  if (!extack.empty()) e = Error::failed(fmt::format("{} ({})", e.message(), extack), err);
  return fail(std::move(e));
}

}  // namespace contain::kernel
