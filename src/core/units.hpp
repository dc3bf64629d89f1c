// Rates, sizes and times as tc(8) writes them, parsed once at the edge. Each
// keeps the text the user gave, so `shape show` can answer in their units.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace contain {

// The nearest integer to v, halves away from zero as std::llround; v must be
// non-negative and below 2^64. contain links no libm: loading it costs every
// start a mapping and its relocations, for the two functions it was used for.
constexpr std::uint64_t round_to_integer(double v) {
  auto whole = static_cast<std::uint64_t>(v);
  return v - static_cast<double>(whole) >= 0.5 ? whole + 1 : whole;  // exact below 2^53
}

// Bits per second. tc's units: bit kbit mbit gbit tbit (SI, x1000), kibit mibit
// gibit tibit (x1024), bps kbps mbps gbps tbps (bytes per second); a bare number
// is bits per second.
class Rate {
 public:
  // libnl hands the kernel a rate in bytes per second as an int.
  static constexpr std::uint64_t kMaxBitsPerSecond = 16'000'000'000ull;
  static Result<Rate> parse(std::string_view text);
  std::uint64_t bits_per_second() const { return bits_; }
  std::uint64_t bytes_per_second() const { return bits_ / 8; }
  const std::string& text() const { return text_; }

 private:
  std::uint64_t bits_ = 0;
  std::string text_;
};

// Bytes. tc's units: b, k/kb, m/mb, g/gb (x1024), kbit mbit gbit (bits, x1024);
// a bare number is bytes.
class Size {
 public:
  static constexpr std::uint64_t kMax = (1ull << 31) - 1;
  static Result<Size> parse(std::string_view text);
  std::uint64_t bytes() const { return bytes_; }
  const std::string& text() const { return text_; }

 private:
  std::uint64_t bytes_ = 0;
  std::string text_;
};

// Microseconds. tc's units: s sec secs, ms msec msecs, us usec usecs; a bare
// number is microseconds.
class Duration {
 public:
  static constexpr std::uint64_t kMaxMicroseconds = 3'600'000'000ull;  // one hour
  static Result<Duration> parse(std::string_view text);
  std::uint64_t microseconds() const { return us_; }
  const std::string& text() const { return text_; }

 private:
  std::uint64_t us_ = 0;
  std::string text_;
};

// A percentage "1.5%" or "1.5", 0 < p <= 100.
class Percent {
 public:
  static Result<Percent> parse(std::string_view text);
  double value() const { return value_; }
  const std::string& text() const { return text_; }

 private:
  double value_ = 0;
  std::string text_;
};

}  // namespace contain
