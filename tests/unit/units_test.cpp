#include "core/units.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "model/shaping.hpp"

namespace contain {
namespace {

TEST(Rate, ParsesTcUnits) {
  EXPECT_EQ(Rate::parse("10mbit")->bits_per_second(), 10'000'000u);
  EXPECT_EQ(Rate::parse("1gbit")->bits_per_second(), 1'000'000'000u);
  EXPECT_EQ(Rate::parse("1.5Mbit")->bits_per_second(), 1'500'000u);
  EXPECT_EQ(Rate::parse("500kbps")->bits_per_second(), 4'000'000u);
  EXPECT_EQ(Rate::parse("1kibit")->bits_per_second(), 1024u);
  EXPECT_EQ(Rate::parse("64000")->bits_per_second(), 64'000u);
  EXPECT_EQ(Rate::parse("10mbit")->bytes_per_second(), 1'250'000u);
  EXPECT_EQ(Rate::parse("10mbit")->text(), "10mbit");
}

TEST(Rate, RefusesNonsense) {
  for (std::string bad : std::vector<std::string>{"fast", "", "0", "0mbit", "-1mbit", "10 mbit",
                                                  "10furlongs", "1.2.3mbit", "17gbit", "1e9",
                                                  "99999999999999999999999tbit", "4bit"}) {
    auto r = Rate::parse(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().exit_code(), 2) << bad;
    EXPECT_NE(r.error().message().find("rate"), std::string::npos) << r.error().message();
  }
}

TEST(Size, ParsesTcUnits) {
  EXPECT_EQ(Size::parse("32kb")->bytes(), 32u * 1024);
  EXPECT_EQ(Size::parse("1500b")->bytes(), 1500u);
  EXPECT_EQ(Size::parse("1500")->bytes(), 1500u);
  EXPECT_EQ(Size::parse("1mb")->bytes(), 1024u * 1024);
  EXPECT_EQ(Size::parse("8kbit")->bytes(), 1024u);
  for (const char* bad : {"0", "big", "3gb", "-5kb"}) EXPECT_FALSE(Size::parse(bad)) << bad;
}

TEST(Duration, ParsesTcUnits) {
  EXPECT_EQ(Duration::parse("50ms")->microseconds(), 50'000u);
  EXPECT_EQ(Duration::parse("1s")->microseconds(), 1'000'000u);
  EXPECT_EQ(Duration::parse("200us")->microseconds(), 200u);
  EXPECT_EQ(Duration::parse("2.5msec")->microseconds(), 2'500u);
  EXPECT_EQ(Duration::parse("300")->microseconds(), 300u);
  for (const char* bad : {"0ms", "soon", "2h", "-1s"}) EXPECT_FALSE(Duration::parse(bad)) << bad;
}

TEST(Percent, Parses) {
  EXPECT_DOUBLE_EQ(Percent::parse("1%")->value(), 1.0);
  EXPECT_DOUBLE_EQ(Percent::parse("0.5")->value(), 0.5);
  for (const char* bad : {"0", "101%", "x", "-1%", "5%%"}) EXPECT_FALSE(Percent::parse(bad)) << bad;
}

TEST(TokenBucket, DefaultsFollowTheRate) {
  auto b10 = model::plan_token_bucket(10'000'000, std::nullopt, std::nullopt);
  EXPECT_EQ(b10.rate_bytes, 1'250'000u);
  EXPECT_EQ(b10.burst_bytes, 12'500u);            // 10 ms of 10 mbit
  EXPECT_EQ(b10.limit_bytes, 12'500u + 62'500u);  // + 50 ms of queue
  auto b1 = model::plan_token_bucket(1'000'000, std::nullopt, std::nullopt);
  EXPECT_EQ(b1.burst_bytes, 2u * model::kFrameBytes);  // never less than two frames
  EXPECT_GE(b1.limit_bytes, b1.burst_bytes + 10u * model::kFrameBytes);
  auto b1g = model::plan_token_bucket(1'000'000'000, std::nullopt, std::nullopt);
  EXPECT_EQ(b1g.burst_bytes, 1'250'000u);
  // The first second can exceed the rate by at most the bucket: 1 % from 3 mbit up.
  EXPECT_LE(double(b10.burst_bytes) / b10.rate_bytes, 0.01);
  EXPECT_LE(double(b1g.burst_bytes) / b1g.rate_bytes, 0.01);
  auto given = model::plan_token_bucket(10'000'000, 32'768, 20'000);
  EXPECT_EQ(given.burst_bytes, 32'768u);
  EXPECT_EQ(given.limit_bytes, 32'768u + 25'000u);
}

// As std::llround, for the values the parsers produce (non-negative, below 2^64).
TEST(RoundToInteger, HalvesAwayFromZeroLikeLlround) {
  for (double v : {0.0, 0.4, 0.5, 0.49999999999999994, 1.5, 2.5, 8.5, 1000.0005, 12345.4999,
                   4294967295.5, 9007199254740991.0, 9007199254740993.0, 1.6e10, 1e18}) {
    EXPECT_EQ(round_to_integer(v), static_cast<std::uint64_t>(std::llround(v))) << v;
  }
  EXPECT_EQ(Rate::parse("8.5bit")->bits_per_second(), 9u);
  EXPECT_EQ(Duration::parse("2.4us")->microseconds(), 2u);
  EXPECT_EQ(Size::parse("1.5")->bytes(), 2u);
}

// Digits and one point only: no exponent, sign, hex or inf; too many digits fail.
TEST(Units, NumberGrammar) {
  EXPECT_FALSE(Rate::parse("1e9bit"));
  EXPECT_FALSE(Rate::parse("+8bit"));
  EXPECT_FALSE(Rate::parse("0x10bit"));
  EXPECT_FALSE(Rate::parse("infbit"));
  EXPECT_FALSE(Rate::parse("1.2.3mbit"));
  EXPECT_FALSE(Rate::parse(".mbit"));
  EXPECT_FALSE(Rate::parse(std::string(400, '9') + "bit"));
  EXPECT_EQ(Rate::parse(".5kbit")->bits_per_second(), 500u);
  EXPECT_EQ(Rate::parse("5.kbit")->bits_per_second(), 5000u);
}

}  // namespace
}  // namespace contain
