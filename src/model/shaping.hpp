// Token-bucket parameters chosen from the rate: pure arithmetic, unit-tested.
#pragma once

#include <cstdint>
#include <optional>

namespace contain::model {

struct TokenBucket {
  std::uint64_t rate_bytes = 0;  // per second
  std::uint32_t burst_bytes = 0;
  std::uint32_t limit_bytes = 0;  // queue length in bytes
};

// The largest frame on our links (1500 + Ethernet header), and what tbf needs
// at least in its bucket so that such a frame can ever leave.
inline constexpr std::uint32_t kFrameBytes = 1514;
inline constexpr std::uint32_t kMinBurstBytes = 2 * kFrameBytes;

// Defaults:
//   burst   = 10 ms worth of the rate, at least two full frames. Small enough
//             that the first second overshoots by at most 1 % from 3 mbit up
//             (2.4 % at 1 mbit, where two frames are 24 ms), large enough that
//             TCP is not starved by timer granularity (4 ms cost 0.5-1 % of
//             goodput at 100 mbit, measured).
//   latency = 50 ms: the queue holds 50 ms of the rate on top of the bucket,
//             and at least 10 frames, so TCP keeps the link busy.
inline constexpr std::uint64_t kBurstMicroseconds = 10000;
inline constexpr std::uint64_t kDefaultLatencyMicroseconds = 50000;

TokenBucket plan_token_bucket(std::uint64_t rate_bits, std::optional<std::uint64_t> burst_bytes,
                              std::optional<std::uint64_t> latency_us);

}  // namespace contain::model
