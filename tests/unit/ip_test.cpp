#include "core/ip.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "core/port.hpp"

namespace contain {
namespace {

TEST(IpAddress, ParsesBothFamilies) {
  auto v4 = IpAddress::parse("192.0.2.1");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->family(), AF_INET);
  EXPECT_EQ(v4->str(), "192.0.2.1");
  auto v6 = IpAddress::parse("2001:db8::1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->family(), AF_INET6);
  EXPECT_EQ(v6->str(), "2001:db8::1");
  for (const char* bad : {"", "1.2.3", "256.0.0.1", "1.2.3.4.5", "::g", "fast", "10.0.0.1/24"})
    EXPECT_FALSE(IpAddress::parse(bad)) << bad;
}

// Found by tests/fuzz/ip: inet_pton() stops at a NUL, so the rest of the text was ignored.
TEST(IpAddress, RefusesANulByte) {
  for (std::string bad :
       {std::string("10.0.0.1\0junk", 13), std::string("::1\0", 4), std::string("\0", 1)})
    EXPECT_FALSE(IpAddress::parse(bad)) << bad;
  EXPECT_FALSE(Cidr::parse(std::string("10.0.0.1\0/24", 12)));
}

// Found by the invariant of tests/fuzz/ip (a prefix length is decimal digits):
// from_chars() reads "-0" as 0, so "10.0.0.1/-0" was accepted as /0.
TEST(Cidr, RefusesASignedPrefix) {
  for (const char* bad : {"10.0.0.1/-0", "2001:db8::/-0", "10.0.0.1/+8"})
    EXPECT_FALSE(Cidr::parse(bad)) << bad;
}

TEST(IpAddress, ArithmeticRoundTrips) {
  auto a = *IpAddress::parse("10.0.0.255");
  EXPECT_EQ(IpAddress::from_value(AF_INET, a.value() + 1).str(), "10.0.1.0");
  auto b = *IpAddress::parse("2001:db8::ffff");
  EXPECT_EQ(IpAddress::from_value(AF_INET6, b.value() + 1).str(), "2001:db8::1:0");
  EXPECT_LT(*IpAddress::parse("10.0.0.1"), *IpAddress::parse("10.0.0.2"));
}

TEST(Cidr, ParsesAndRefuses) {
  auto c = Cidr::parse("192.0.2.7/24");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->prefix(), 24);
  EXPECT_EQ(c->str(), "192.0.2.7/24");
  EXPECT_TRUE(Cidr::parse("0.0.0.0/0"));
  EXPECT_TRUE(Cidr::parse("2001:db8::/128"));
  for (const char* bad : {"192.0.2.1", "192.0.2.1/", "192.0.2.1/33", "192.0.2.1/-1", "192.0.2.1/2x",
                          "2001:db8::/129", "x/24", "/24"}) {
    auto r = Cidr::parse(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().exit_code(), 2) << bad;
  }
}

TEST(Cidr, NetworkLastContainsOverlaps) {
  auto c = *Cidr::parse("192.0.2.77/26");
  EXPECT_EQ(c.network().str(), "192.0.2.64");
  EXPECT_EQ(c.last().str(), "192.0.2.127");
  EXPECT_EQ(c.subnet().str(), "192.0.2.64/26");
  EXPECT_TRUE(c.contains(*IpAddress::parse("192.0.2.64")));
  EXPECT_FALSE(c.contains(*IpAddress::parse("192.0.2.128")));
  EXPECT_FALSE(c.contains(*IpAddress::parse("2001:db8::1")));
  EXPECT_TRUE(Cidr::parse("10.0.0.0/8")->overlaps(*Cidr::parse("10.1.0.0/16")));
  EXPECT_TRUE(Cidr::parse("10.1.0.0/16")->overlaps(*Cidr::parse("10.0.0.0/8")));
  EXPECT_FALSE(Cidr::parse("10.0.0.0/24")->overlaps(*Cidr::parse("10.0.1.0/24")));
  auto all = *Cidr::parse("0.0.0.0/0");
  EXPECT_EQ(all.last().str(), "255.255.255.255");
  auto v6 = *Cidr::parse("2001:db8::1/64");
  EXPECT_EQ(v6.network().str(), "2001:db8::");
  EXPECT_EQ(v6.last().str(), "2001:db8::ffff:ffff:ffff:ffff");
  EXPECT_EQ(Cidr::parse("::/0")->last().str(), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

}  // namespace
}  // namespace contain

TEST(Endpoint, BracketsIpv6Only) {
  auto port = contain::Port::from_number(80);
  EXPECT_EQ((contain::Endpoint{*contain::IpAddress::parse("192.0.2.1"), port}.str()),
            "192.0.2.1:80");
  EXPECT_EQ((contain::Endpoint{*contain::IpAddress::parse("2001:db8::1"), port}.str()),
            "[2001:db8::1]:80");
}
