#include "model/ipam.hpp"

#include <gtest/gtest.h>

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

TEST(AddressPool, AllocatesOnlyInItsRange) {
  auto pool = *AddressPool::create(cidr("192.0.2.0/24"), std::nullopt,
                                   AddressRange{ip("192.0.2.100"), ip("192.0.2.101")});
  std::set<IpAddress> taken;
  EXPECT_EQ(pool.allocate(taken, "n")->str(), "192.0.2.100");
  taken.insert(ip("192.0.2.100"));
  EXPECT_EQ(pool.allocate(taken, "n")->str(), "192.0.2.101");
  taken.insert(ip("192.0.2.101"));
  auto none = pool.allocate(taken, "n");
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("192.0.2.100-192.0.2.101"), std::string::npos);
  // A static address may lie outside the range, inside the subnet.
  EXPECT_TRUE(pool.check_static(ip("192.0.2.7"), taken, "n"));
  // Docker's --ip-range CIDR: its network address is handed out when it is not the subnet's.
  auto docker = *AddressPool::create(cidr("192.0.2.0/24"), std::nullopt,
                                     AddressRange::of(cidr("192.0.2.128/25")));
  EXPECT_EQ(docker.allocate({}, "n")->str(), "192.0.2.128");
  auto low = *AddressPool::create(cidr("192.0.2.0/24"), std::nullopt,
                                  AddressRange::of(cidr("192.0.2.0/30")));
  EXPECT_EQ(low.allocate({}, "n")->str(), "192.0.2.2");  // not .0, not the gateway .1
  auto v6 = *AddressPool::create(cidr("2001:db8::/64"), std::nullopt,
                                 AddressRange{ip("2001:db8::a"), ip("2001:db8::b")});
  EXPECT_EQ(v6.allocate({ip("2001:db8::a")}, "n")->str(), "2001:db8::b");
}

TEST(AddressPool, RefusesBadRanges) {
  auto subnet = cidr("192.0.2.0/24");
  for (auto range : {AddressRange{ip("192.0.2.9"), ip("192.0.2.8")},      // backwards
                     AddressRange{ip("192.0.2.9"), ip("198.51.100.1")},   // outside
                     AddressRange{ip("2001:db8::1"), ip("2001:db8::2")},  // other family
                     AddressRange{ip("192.0.2.1"), ip("192.0.2.1")}}) {   // only the gateway
    auto r = AddressPool::create(subnet, std::nullopt, range);
    ASSERT_FALSE(r) << range.str();
    EXPECT_EQ(r.error().exit_code(), 2);
    EXPECT_NE(r.error().message().find(range.str()), std::string::npos);
  }
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

std::vector<std::string> strs(const std::vector<IpAddress>& ips) {
  std::vector<std::string> out;
  for (const auto& a : ips) out.push_back(a.str());
  return out;
}

TEST(PlanAddresses, LowestFreeInOrderSkippingAttachedAndReleasing) {
  auto pool = *AddressPool::create(cidr("192.0.2.0/29"), std::nullopt);  // .1 gateway, .2-.6
  std::map<std::string, IpAddress> attached{{"netns/a", ip("192.0.2.2")}};
  auto plan = plan_addresses(pool, attached, {ip("192.0.2.3")},
                             {{"netns/b", "b", std::nullopt}, {"netns/c", "c", std::nullopt}}, "n",
                             "attach");
  ASSERT_TRUE(plan);
  EXPECT_EQ(strs(plan->addresses), (std::vector<std::string>{"192.0.2.4", "192.0.2.5"}));
  EXPECT_FALSE(plan->wait_for_releasing);
}

TEST(PlanAddresses, WaitsForReleasingOnlyWhenThePoolHasNothingElse) {
  auto pool = *AddressPool::create(cidr("192.0.2.0/29"), std::nullopt);
  std::map<std::string, IpAddress> attached{
      {"netns/a", ip("192.0.2.2")}, {"netns/b", ip("192.0.2.4")}, {"netns/c", ip("192.0.2.5")}};
  std::set<IpAddress> releasing{ip("192.0.2.3"), ip("192.0.2.6")};
  // Nothing free but the releasing ones: the first request waits, and both are then free.
  auto plan = plan_addresses(pool, attached, releasing,
                             {{"netns/d", "d", std::nullopt}, {"netns/e", "e", std::nullopt}}, "n",
                             "attach");
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->wait_for_releasing);
  EXPECT_EQ(strs(plan->addresses), (std::vector<std::string>{"192.0.2.3", "192.0.2.6"}));
  // Without releasing addresses, a full pool is an operation error naming the network.
  auto full = plan_addresses(pool, attached, {},
                             {{"netns/d", "d", std::nullopt},
                              {"netns/e", "e", std::nullopt},
                              {"netns/f", "f", std::nullopt},
                              {"netns/g", "g", std::nullopt}},
                             "n", "attach");
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().exit_code(), 1);
  EXPECT_NE(full.error().message().find("no free address left"), std::string::npos);
}

TEST(PlanAddresses, StaticAddressesAreCheckedAgainstAttachedAndReleasing) {
  auto pool = *AddressPool::create(cidr("192.0.2.0/24"), std::nullopt);
  std::map<std::string, IpAddress> attached{{"netns/a", ip("192.0.2.2")}};
  auto taken = plan_addresses(pool, attached, {}, {{"netns/b", "b", ip("192.0.2.2")}}, "n", "x");
  ASSERT_FALSE(taken);
  EXPECT_NE(taken.error().message().find("already in use"), std::string::npos);
  auto releasing = plan_addresses(pool, attached, {ip("192.0.2.9")},
                                  {{"netns/b", "b", ip("192.0.2.9")}}, "n", "x");
  ASSERT_FALSE(releasing);  // the caller settles wanted static addresses first
  auto gateway = plan_addresses(pool, attached, {}, {{"netns/b", "b", ip("192.0.2.1")}}, "n", "x");
  ASSERT_FALSE(gateway);
  EXPECT_EQ(gateway.error().exit_code(), 2);
  auto ok =
      plan_addresses(pool, attached, {},
                     {{"netns/b", "b", ip("192.0.2.7")}, {"netns/c", "c", std::nullopt}}, "n", "x");
  ASSERT_TRUE(ok);
  EXPECT_EQ(strs(ok->addresses), (std::vector<std::string>{"192.0.2.7", "192.0.2.3"}));
}

TEST(PlanAddresses, AnOwnerIsAttachedOnce) {
  auto pool = *AddressPool::create(cidr("192.0.2.0/24"), std::nullopt);
  std::map<std::string, IpAddress> attached{{"netns/a", ip("192.0.2.2")}};
  auto again = plan_addresses(pool, attached, {}, {{"netns/a", "namespace \"a\"", std::nullopt}},
                              "n", "attach namespace \"a\" to network \"n\"");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message(),
            "attach namespace \"a\" to network \"n\": namespace \"a\" is already attached with "
            "address 192.0.2.2");
  EXPECT_EQ(again.error().code(), EEXIST);
  auto twice = plan_addresses(
      pool, {}, {}, {{"netns/b", "b", std::nullopt}, {"netns/b", "b", std::nullopt}}, "n", "x");
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message().find("already attached with address 192.0.2.2"),
            std::string::npos);
}

TEST(Overlap, NamesTheConflict) {
  std::vector<ExistingSubnet> existing{
      {"network a", cidr("192.0.2.0/25")},
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
