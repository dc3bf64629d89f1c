// Reachability probes sent by contain itself, no `ping` processes: ICMP echo
// from a raw socket opened inside the source namespace (a thread enters it,
// opens the socket and leaves: a socket stays in the namespace it was made
// in), or a TCP connect. Every probe runs at once, in one poll loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/ip.hpp"

namespace contain::kernel {

struct ProbeRequest {
  int netns_fd = -1;   // the source namespace (borrowed)
  std::string device;  // bind to this interface ("" : any)
  IpAddress target;
  bool tcp = false;  // else ICMP echo
  std::uint16_t port = 0;
  // Keep trying (a new echo every 100 ms, a new connect after a refusal or
  // failure) until an answer comes or this long has passed.
  std::chrono::milliseconds wait{1000};
};

enum class ProbeOutcome {
  answered,     // echo reply, or TCP connection accepted
  no_route,     // the source has no route (the kernel refused to send)
  unreachable,  // an ICMP error came back, or neighbour resolution failed
  refused,      // TCP: the target answered with a reset
  silent,       // nothing came back in time
};

struct ProbeResult {
  ProbeOutcome outcome = ProbeOutcome::silent;
  std::chrono::microseconds rtt{0};   // for answered
  std::optional<IpAddress> reporter;  // who sent the ICMP error
  std::string detail;                 // "host unreachable", "Network is unreachable", ...
};

// Runs every probe at once; returns one result per request, in order. Fails
// only when a socket cannot be opened at all.
Result<std::vector<ProbeResult>> run_probes(const std::vector<ProbeRequest>& requests);

}  // namespace contain::kernel
