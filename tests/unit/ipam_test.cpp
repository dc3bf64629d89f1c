#include <gtest/gtest.h>

#include "model/ipam.hpp"

namespace contain::model {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }
Cidr cidr(const char* text) { return *Cidr::parse(text); }

TEST(AddressPool, GatewayDefaultsToTheFirstUsableAddress) {
  auto pool = AddressPool::create(cidr("192.0.2.0/24"), std::nullopt);
  ASSERT_TRUE(pool);
  EXPECT_EQ(pool->gateway().str(), "192.0.2.1");
  EXPECT_EQ(pool->gateway_cidr().str(), "192.0.2.1/24");
}

TEST(AddressPool, RefusesBadSubnetsAndGateways) {
  EXPECT_FALSE(AddressPool::create(cidr("192.0.2.1/24"), std::nullopt));  // host bits
  EXPECT_FALSE(AddressPool::create(cidr("192.0.2.0/31"), std::nullopt));
  EXPECT_FALSE(AddressPool::create(cidr("2001:db8::/127"), std::nullopt));
  EXPECT_FALSE(AddressPool::create(cidr("192.0.2.0/24"), ip("198.51.100.1")));
  EXPECT_FALSE(AddressPool::create(cidr("192.0.2.0/24"), ip("192.0.2.0")));
  EXPECT_FALSE(AddressPool::create(cidr("192.0.2.0/24"), ip("192.0.2.255")));
  EXPECT_FALSE(AddressPool::create(cidr("192.0.2.0/24"), ip("2001:db8::1")));
  auto e = AddressPool::create(cidr("192.0.2.0/24"), ip("192.0.2.255"));
  EXPECT_EQ(e.error().exit_code(), 2);
  EXPECT_NE(e.error().message().find("broadcast"), std::string::npos);
}

TEST(AddressPool, AllocatesLowestFreeSkippingGatewayAndTaken) {
  auto pool = *AddressPool::create(cidr("192.0.2.0/24"), ip("192.0.2.2"));
  std::set<IpAddress> taken;
  EXPECT_EQ(pool.allocate(taken, "n")->str(), "192.0.2.1");
  taken.insert(ip("192.0.2.1"));
  EXPECT_EQ(pool.allocate(taken, "n")->str(), "192.0.2.3");
  taken.insert(ip("192.0.2.3"));
  taken.insert(ip("192.0.2.4"));
  EXPECT_EQ(pool.allocate(taken, "n")->str(), "192.0.2.5");
  // Released: handed out again.
  taken.erase(ip("192.0.2.3"));
  EXPECT_EQ(pool.allocate(taken, "n")->str(), "192.0.2.3");
}

TEST(AddressPool, ExhaustionIsAnOperationError) {
  auto pool = *AddressPool::create(cidr("192.0.2.0/30"), std::nullopt);
  std::set<IpAddress> taken;
  auto a = pool.allocate(taken, "tiny");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->str(), "192.0.2.2");
  taken.insert(*a);
  auto none = pool.allocate(taken, "tiny");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().exit_code(), 1);
  EXPECT_NE(none.error().message().find("no free address"), std::string::npos);
}

TEST(AddressPool, StaticAddressesAreValidated) {
  auto pool = *AddressPool::create(cidr("192.0.2.0/24"), std::nullopt);
  std::set<IpAddress> taken{ip("192.0.2.9")};
  EXPECT_TRUE(pool.check_static(ip("192.0.2.10"), taken, "n"));
  EXPECT_FALSE(pool.check_static(ip("192.0.2.0"), taken, "n"));
  EXPECT_FALSE(pool.check_static(ip("192.0.2.1"), taken, "n"));
  EXPECT_FALSE(pool.check_static(ip("192.0.2.255"), taken, "n"));
  EXPECT_FALSE(pool.check_static(ip("198.51.100.7"), taken, "n"));
  EXPECT_FALSE(pool.check_static(ip("2001:db8::7"), taken, "n"));
  auto used = pool.check_static(ip("192.0.2.9"), taken, "n");
  ASSERT_FALSE(used);
  EXPECT_EQ(used.error().exit_code(), 1);
  EXPECT_EQ(pool.check_static(ip("192.0.2.1"), taken, "n").error().exit_code(), 2);
}

TEST(AddressPool, Ipv6) {
  auto pool = *AddressPool::create(cidr("2001:db8:1::/64"), std::nullopt);
  EXPECT_EQ(pool.gateway().str(), "2001:db8:1::1");
  std::set<IpAddress> taken;
  EXPECT_EQ(pool.allocate(taken, "v6")->str(), "2001:db8:1::2");
  taken.insert(ip("2001:db8:1::2"));
  EXPECT_EQ(pool.allocate(taken, "v6")->str(), "2001:db8:1::3");
  // No broadcast in IPv6: the last address is a host address.
  EXPECT_TRUE(pool.check_static(ip("2001:db8:1::ffff:ffff:ffff:ffff"), taken, "v6"));
  EXPECT_FALSE(pool.check_static(ip("2001:db8:1::"), taken, "v6"));
  EXPECT_FALSE(pool.check_static(ip("2001:db8:2::5"), taken, "v6"));
}

TEST(Overlap, NamesTheConflict) {
  std::vector<ExistingSubnet> existing{{"network a", cidr("192.0.2.0/25")},
                                       {"address 198.51.100.1/24 on eth0", cidr("198.51.100.0/24")}};
  EXPECT_FALSE(find_overlap(cidr("192.0.2.128/25"), existing));
  auto o = find_overlap(cidr("192.0.2.0/24"), existing);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->owner, "network a");
  o = find_overlap(cidr("198.51.100.64/26"), existing);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->owner, "address 198.51.100.1/24 on eth0");
  EXPECT_FALSE(find_overlap(cidr("2001:db8::/64"), existing));
}

}  // namespace
}  // namespace contain::model
