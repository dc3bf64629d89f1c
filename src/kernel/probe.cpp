#include "kernel/probe.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <thread>

#include "core/unique_fd.hpp"
#include "kernel/netns.hpp"

namespace contain::kernel {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kResend = std::chrono::milliseconds(100);

struct SocketSpec {
  int family;
  bool tcp;
  std::string device;
};

// Opens sockets inside a namespace: a thread enters it (setns changes only the
// calling thread), makes them, and leaves with the thread. A socket belongs to
// the namespace it was created in for the rest of its life.
Result<std::vector<UniqueFd>> open_sockets_in(int netns_fd, const std::vector<SocketSpec>& specs) {
  std::vector<UniqueFd> fds;
  std::optional<Error> error;
  std::thread worker([&] {
    auto inside = NetnsGuard::enter(netns_fd);
    if (!inside) {
      error = std::move(inside).error();
      return;
    }
    for (const auto& s : specs) {
      int type = (s.tcp ? SOCK_STREAM : SOCK_RAW) | SOCK_NONBLOCK | SOCK_CLOEXEC;
      int proto = s.tcp ? 0 : (s.family == AF_INET ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6});
      UniqueFd fd(::socket(s.family, type, proto));
      if (!fd) {
        error = Error::system("open a probe socket");
        return;
      }
      if (!s.device.empty() && ::setsockopt(fd.get(), SOL_SOCKET, SO_BINDTODEVICE, s.device.c_str(),
                                            s.device.size()) < 0) {
        error = Error::system(fmt::format("bind a probe socket to {}", s.device));
        return;
      }
      fds.push_back(std::move(fd));
    }
  });
  worker.join();
  if (error) return fail(std::move(*error));
  return fds;
}

std::uint16_t checksum(const void* data, std::size_t len) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < len; i += 2) sum += (p[i] << 8) | p[i + 1];
  if (len & 1) sum += p[len - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons(static_cast<std::uint16_t>(~sum));
}

sockaddr_storage to_sockaddr(const IpAddress& ip, std::uint16_t port, socklen_t& len) {
  sockaddr_storage ss{};
  if (ip.is_v4()) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    std::memcpy(&a->sin_addr, ip.bytes(), 4);
    len = sizeof(sockaddr_in);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    std::memcpy(&a->sin6_addr, ip.bytes(), 16);
    len = sizeof(sockaddr_in6);
  }
  return ss;
}

std::string unreachable_text(bool v4, int code) {
  if (v4) {
    switch (code) {
      case ICMP_NET_UNREACH:
        return "network unreachable";
      case ICMP_HOST_UNREACH:
        return "host unreachable";
      case ICMP_PROT_UNREACH:
        return "protocol unreachable";
      case ICMP_PORT_UNREACH:
        return "port unreachable";
      case ICMP_PKT_FILTERED:
        return "administratively prohibited";
      default:
        return fmt::format("destination unreachable (code {})", code);
    }
  }
  switch (code) {
    case ICMP6_DST_UNREACH_NOROUTE:
      return "no route";
    case ICMP6_DST_UNREACH_ADMIN:
      return "administratively prohibited";
    case ICMP6_DST_UNREACH_ADDR:
      return "address unreachable";
    case ICMP6_DST_UNREACH_NOPORT:
      return "port unreachable";
    default:
      return fmt::format("destination unreachable (code {})", code);
  }
}

struct Probe {
  const ProbeRequest* request = nullptr;
  UniqueFd fd;
  std::uint16_t id = 0;
  std::uint16_t seq = 0;
  std::map<std::uint16_t, Clock::time_point> sent;
  Clock::time_point next_send{};
  Clock::time_point connect_started{};
  bool connecting = false;
  Clock::time_point deadline{};
  bool done = false;
  ProbeResult result;
  std::optional<ProbeResult> failure;  // the latest reason for no answer

  void finish(ProbeResult r) {
    result = std::move(r);
    done = true;
    fd.reset();
  }
  void failed(ProbeOutcome outcome, std::string detail, std::optional<IpAddress> reporter = {}) {
    ProbeResult r;
    r.outcome = outcome;
    r.detail = std::move(detail);
    r.reporter = reporter;
    failure = std::move(r);
  }
};

void send_echo(Probe& p, Clock::time_point now) {
  const IpAddress& target = p.request->target;
  std::uint8_t packet[8 + 16] = {};
  packet[0] = target.is_v4() ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
  packet[4] = static_cast<std::uint8_t>(p.id >> 8);
  packet[5] = static_cast<std::uint8_t>(p.id);
  ++p.seq;
  packet[6] = static_cast<std::uint8_t>(p.seq >> 8);
  packet[7] = static_cast<std::uint8_t>(p.seq);
  std::memcpy(packet + 8, "contain topo chk", 16);
  // IPv4: ours to sum; ICMPv6: the kernel sums raw ICMPv6 sockets itself.
  if (target.is_v4()) {
    std::uint16_t sum = checksum(packet, sizeof packet);
    std::memcpy(packet + 2, &sum, 2);
  }
  socklen_t len = 0;
  auto to = to_sockaddr(target, 0, len);
  p.next_send = now + kResend;
  if (::sendto(p.fd.get(), packet, sizeof packet, 0, reinterpret_cast<sockaddr*>(&to), len) < 0) {
    int err = errno;
    if (err == ENETUNREACH)
      p.failed(ProbeOutcome::no_route, "no route");
    else if (err == EHOSTUNREACH)
      p.failed(ProbeOutcome::unreachable, "host unreachable");
    else
      p.failed(ProbeOutcome::unreachable, std::strerror(err));
    return;
  }
  p.sent[p.seq] = now;
}

// Reads what a raw ICMP socket has: replies to our echo, or errors about it.
void read_icmp(Probe& p, Clock::time_point now) {
  bool v4 = p.request->target.is_v4();
  std::uint8_t buf[2048];
  for (;;) {
    sockaddr_storage from{};
    socklen_t from_len = sizeof from;
    ssize_t n =
        ::recvfrom(p.fd.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n <= 0) return;
    const std::uint8_t* icmp = buf;
    std::size_t len = static_cast<std::size_t>(n);
    if (v4) {  // a raw IPv4 socket gets the IP header too
      std::size_t ihl = (buf[0] & 0x0f) * 4u;
      if (len < ihl + 8) continue;
      icmp += ihl;
      len -= ihl;
    }
    if (len < 8) continue;
    IpAddress sender =
        v4 ? IpAddress::from_bytes(AF_INET, &reinterpret_cast<sockaddr_in*>(&from)->sin_addr)
           : IpAddress::from_bytes(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&from)->sin6_addr);
    std::uint8_t type = icmp[0], code = icmp[1];
    auto id_at = [&](const std::uint8_t* h) {
      return static_cast<std::uint16_t>((h[4] << 8) | h[5]);
    };
    auto seq_at = [&](const std::uint8_t* h) {
      return static_cast<std::uint16_t>((h[6] << 8) | h[7]);
    };
    bool reply = v4 ? type == ICMP_ECHOREPLY : type == ICMP6_ECHO_REPLY;
    if (reply) {
      if (id_at(icmp) != p.id || sender != p.request->target) continue;
      auto it = p.sent.find(seq_at(icmp));
      ProbeResult r;
      r.outcome = ProbeOutcome::answered;
      if (it != p.sent.end())
        r.rtt = std::chrono::duration_cast<std::chrono::microseconds>(now - it->second);
      p.finish(std::move(r));
      return;
    }
    bool error = v4 ? (type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED)
                    : (type == ICMP6_DST_UNREACH || type == ICMP6_TIME_EXCEEDED);
    if (!error) continue;
    // The error quotes our packet: its IP header, then our echo header.
    const std::uint8_t* inner = icmp + 8;
    std::size_t inner_len = len - 8;
    std::size_t inner_ip = v4 ? (inner_len > 0 ? (inner[0] & 0x0f) * 4u : 0) : 40;
    if (inner_len < inner_ip + 8) continue;
    if (id_at(inner + inner_ip) != p.id) continue;
    bool exceeded = v4 ? type == ICMP_TIME_EXCEEDED : type == ICMP6_TIME_EXCEEDED;
    p.failed(ProbeOutcome::unreachable, exceeded ? "time exceeded" : unreachable_text(v4, code),
             sender);
  }
}

Status start_connect(Probe& p, Clock::time_point now) {
  p.next_send = now + kResend;
  const auto& r = *p.request;
  auto fds = TRY(open_sockets_in(r.netns_fd, {{r.target.family(), true, r.device}}));
  p.fd = std::move(fds[0]);
  socklen_t len = 0;
  auto to = to_sockaddr(r.target, r.port, len);
  p.connect_started = now;
  if (::connect(p.fd.get(), reinterpret_cast<sockaddr*>(&to), len) == 0) {
    ProbeResult res;
    res.outcome = ProbeOutcome::answered;
    p.finish(std::move(res));
    return {};
  }
  int err = errno;
  if (err == EINPROGRESS) {
    p.connecting = true;
    return {};
  }
  p.fd.reset();
  if (err == ENETUNREACH)
    p.failed(ProbeOutcome::no_route, "no route");
  else if (err == ECONNREFUSED)
    p.failed(ProbeOutcome::refused, "connection refused");
  else
    p.failed(ProbeOutcome::unreachable, std::strerror(err));
  return {};
}

void finish_connect(Probe& p, Clock::time_point now) {
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(p.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  p.connecting = false;
  if (err == 0) {
    ProbeResult r;
    r.outcome = ProbeOutcome::answered;
    r.rtt = std::chrono::duration_cast<std::chrono::microseconds>(now - p.connect_started);
    p.finish(std::move(r));
    return;
  }
  p.fd.reset();
  if (err == ECONNREFUSED)
    p.failed(ProbeOutcome::refused, "connection refused");
  else if (err == ENETUNREACH)
    p.failed(ProbeOutcome::no_route, "no route");
  else if (err == EHOSTUNREACH)
    p.failed(ProbeOutcome::unreachable, "host unreachable");
  else
    p.failed(ProbeOutcome::unreachable, std::strerror(err));
}

}  // namespace

Result<std::vector<ProbeResult>> run_probes(const std::vector<ProbeRequest>& requests) {
  auto start = Clock::now();
  std::vector<Probe> probes(requests.size());
  // ICMP sockets: opened up front, one thread per source namespace.
  std::map<int, std::vector<std::size_t>> by_netns;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    probes[i].request = &requests[i];
    probes[i].id = static_cast<std::uint16_t>((::getpid() << 4) + i);
    probes[i].deadline = start + requests[i].wait;
    if (!requests[i].tcp) by_netns[requests[i].netns_fd].push_back(i);
  }
  for (const auto& [netns_fd, indexes] : by_netns) {
    std::vector<SocketSpec> specs;
    for (std::size_t i : indexes)
      specs.push_back({requests[i].target.family(), false, requests[i].device});
    auto fds = TRY(open_sockets_in(netns_fd, specs));
    for (std::size_t k = 0; k < indexes.size(); ++k) probes[indexes[k]].fd = std::move(fds[k]);
  }

  std::vector<pollfd> polls;
  std::vector<std::size_t> owners;
  for (;;) {
    auto now = Clock::now();
    auto wake = now + std::chrono::seconds(60);
    bool pending = false;
    for (auto& p : probes) {
      if (p.done) continue;
      if (now >= p.deadline) {
        ProbeResult r = p.failure ? *p.failure : ProbeResult{};
        p.finish(std::move(r));
        continue;
      }
      if (now >= p.next_send) {
        if (!p.request->tcp)
          send_echo(p, now);
        else if (!p.connecting)
          TRY(start_connect(p, now));
        if (p.done) continue;
      }
      pending = true;
      wake = std::min({wake, p.deadline, p.next_send});
    }
    if (!pending) break;
    polls.clear();
    owners.clear();
    for (std::size_t i = 0; i < probes.size(); ++i) {
      auto& p = probes[i];
      if (p.done || !p.fd) continue;
      polls.push_back({p.fd.get(), static_cast<short>(p.request->tcp ? POLLOUT : POLLIN), 0});
      owners.push_back(i);
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count() + 1;
    int ready = ::poll(polls.data(), polls.size(), static_cast<int>(std::max<long>(left, 0)));
    if (ready < 0 && errno != EINTR) return fail(Error::system("wait for probe answers"));
    now = Clock::now();
    for (std::size_t k = 0; k < polls.size() && ready > 0; ++k) {
      if (!polls[k].revents) continue;
      auto& p = probes[owners[k]];
      if (p.request->tcp)
        finish_connect(p, now);
      else
        read_icmp(p, now);
    }
  }
  std::vector<ProbeResult> out;
  for (auto& p : probes) out.push_back(std::move(p.result));
  return out;
}

}  // namespace contain::kernel
