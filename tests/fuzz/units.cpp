// Rates, sizes and times (core/units): shape set --rate/--burst/--latency, --memory, records.
#include "core/units.hpp"

#include "fuzz.hpp"

using namespace contain;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::text_of(data, size);
  if (auto rate = Rate::parse(text)) {
    FUZZ_CHECK(rate->bits_per_second() >= 8 && rate->bits_per_second() <= Rate::kMaxBitsPerSecond);
    FUZZ_CHECK(rate->bytes_per_second() >= 1);
    FUZZ_CHECK(rate->text() == text);
  }
  if (auto bytes = Size::parse(text)) {
    FUZZ_CHECK(bytes->bytes() >= 1 && bytes->bytes() <= Size::kMax);
    FUZZ_CHECK(bytes->text() == text);
  }
  if (auto time = Duration::parse(text)) {
    FUZZ_CHECK(time->microseconds() >= 1 && time->microseconds() <= Duration::kMaxMicroseconds);
    FUZZ_CHECK(time->text() == text);
  }
  if (auto percent = Percent::parse(text)) {
    FUZZ_CHECK(percent->value() > 0 && percent->value() <= 100);
    FUZZ_CHECK(percent->text() == text);
  }
  return 0;
}
