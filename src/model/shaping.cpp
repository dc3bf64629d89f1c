#include "model/shaping.hpp"

#include <algorithm>

namespace contain::model {

TokenBucket plan_token_bucket(std::uint64_t rate_bits, std::optional<std::uint64_t> burst_bytes,
                              std::optional<std::uint64_t> latency_us) {
  TokenBucket b;
  b.rate_bytes = std::max<std::uint64_t>(rate_bits / 8, 1);
  std::uint64_t burst = burst_bytes.value_or(
      std::max<std::uint64_t>(b.rate_bytes * kBurstMicroseconds / 1000000, kMinBurstBytes));
  std::uint64_t latency = latency_us.value_or(kDefaultLatencyMicroseconds);
  std::uint64_t queue = b.rate_bytes * latency / 1000000;
  std::uint64_t limit = burst + std::max<std::uint64_t>(queue, 10 * kFrameBytes);
  constexpr std::uint64_t kMax = 0x7fffffff;
  b.burst_bytes = static_cast<std::uint32_t>(std::min(burst, kMax));
  b.limit_bytes = static_cast<std::uint32_t>(std::min(limit, kMax));
  return b;
}

}  // namespace contain::model
