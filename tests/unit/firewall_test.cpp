#include "model/firewall.hpp"

#include <gtest/gtest.h>

#include "kernel/nft/context.hpp"

namespace contain::model {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }
Cidr cidr(const char* text) { return *Cidr::parse(text); }

TEST(Port, RefusesZeroAndTooLarge) {
  EXPECT_EQ(Port::parse("1")->value(), 1);
  EXPECT_EQ(Port::parse("65535")->value(), 65535);
  for (const char* bad : {"0", "65536", "", "-1", "80x", " 80", "99999999999999999999"})
    EXPECT_FALSE(Port::parse(bad)) << bad;
  EXPECT_EQ(Port::parse("0").error().exit_code(), 2);
}

TEST(ForwardDestination, NamespaceAddressAndIpv6) {
  auto ns = parse_forward_destination("app:80");
  ASSERT_TRUE(ns);
  EXPECT_EQ(std::get<NetnsSpec>(ns->to).name()->str(), "app");
  EXPECT_EQ(ns->port.value(), 80);
  auto v4 = parse_forward_destination("10.0.0.2:8080");
  ASSERT_TRUE(v4);
  EXPECT_EQ(std::get<IpAddress>(v4->to).str(), "10.0.0.2");
  auto v6 = parse_forward_destination("[2001:db8::2]:443");
  ASSERT_TRUE(v6);
  EXPECT_EQ(std::get<IpAddress>(v6->to).str(), "2001:db8::2");
  for (const char* bad : {"app", "app:", ":80", "app:0", "2001:db8::2:80", "[10.0.0.1]:80",
                          "[2001:db8::2]80", "pid:x:80", "pid:0:80", "container::80", "/a:b"})
    EXPECT_FALSE(parse_forward_destination(bad)) << bad;
}

TEST(ForwardDestination, EveryNamespaceReference) {
  auto pid = parse_forward_destination("pid:1234:80");
  ASSERT_TRUE(pid);
  EXPECT_EQ(std::get<NetnsSpec>(pid->to).pid()->value, 1234);
  EXPECT_EQ(pid->port.value(), 80);
  auto path = parse_forward_destination("/run/other:tool/ns1:8080");
  ASSERT_TRUE(path);
  EXPECT_EQ(std::get<NetnsSpec>(path->to).path()->value, "/run/other:tool/ns1");
  EXPECT_EQ(path->port.value(), 8080);
  auto container = parse_forward_destination("container:db:5432");
  ASSERT_TRUE(container);
  EXPECT_EQ(std::get<NetnsSpec>(container->to).container()->str(), "db");
}

TEST(FirewallText, ElementsGoToTheirSetsAndMaps) {
  FirewallElements e;
  e.nat.push_back({cidr("10.0.0.7/24"), std::nullopt});
  e.nat.push_back({cidr("10.1.0.0/24"), std::string("eth0")});
  e.forwards.push_back(
      {Protocol::tcp,
       Port::from_number(8080),
       std::nullopt,
       {{ip("10.0.0.2"), Port::from_number(80)}, {ip("2001:db8::2"), Port::from_number(80)}}});
  e.forwards.push_back(
      {Protocol::udp,
       Port::from_number(53),
       ip("192.0.2.1"),
       {{ip("10.0.0.2"), Port::from_number(5353)}, {ip("2001:db8::2"), Port::from_number(5353)}}});
  e.hairpins.push_back({ip("10.0.0.2"), cidr("10.0.0.0/24")});
  e.isolated_bridges.push_back("br0");
  std::string add = add_elements(e);
  EXPECT_NE(add.find("add element inet contain nat4 { 10.0.0.0/24 }\n"), std::string::npos) << add;
  EXPECT_NE(add.find("add element inet contain nat4_out { 10.1.0.0/24 . \"eth0\" }"),
            std::string::npos);
  EXPECT_NE(add.find("add element inet contain fwd4 { tcp . 8080 : 10.0.0.2 . 80 }"),
            std::string::npos);
  EXPECT_NE(add.find("add element inet contain fwd6 { tcp . 8080 : 2001:db8::2 . 80 }"),
            std::string::npos);
  // A forward bound to an IPv4 host address has no IPv6 element.
  EXPECT_NE(
      add.find("add element inet contain fwd4_addr { 192.0.2.1 . udp . 53 : 10.0.0.2 . 5353 }"),
      std::string::npos);
  EXPECT_EQ(add.find("fwd6_addr"), std::string::npos);
  EXPECT_NE(add.find("add element inet contain hairpin4 { 10.0.0.2 . 10.0.0.0/24 }"),
            std::string::npos);
  EXPECT_NE(add.find("add element inet contain same_network { \"br0\" . \"br0\" }"),
            std::string::npos);
  std::string del = delete_elements(e);
  EXPECT_NE(del.find("delete element inet contain fwd4 { tcp . 8080 }"), std::string::npos) << del;
  EXPECT_EQ(del.find(" : "), std::string::npos) << "deletions name keys only";
  EXPECT_EQ(add_elements({}), "");
}

TEST(FirewallText, RebuildNamesEachElementOnce) {
  FirewallElements e;
  e.hairpins.push_back({ip("10.0.0.2"), cidr("10.0.0.0/24")});
  e.hairpins.push_back({ip("10.0.0.2"), cidr("10.0.0.0/24")});
  std::string text = rebuild_table(e);
  EXPECT_TRUE(
      text.starts_with("add table inet contain\ndelete table inet contain\ntable inet contain {"));
  auto first = text.find("10.0.0.2 . 10.0.0.0/24");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(text.find("10.0.0.2 . 10.0.0.0/24", first + 1), std::string::npos);
  EXPECT_EQ(delete_table(), "add table inet contain\ndelete table inet contain\n");
}

TEST(NftError, FirstErrorLineBecomesTheMessage) {
  EXPECT_EQ(kernel::first_nft_error("Error: Could not process rule: No such file or directory\n"
                                    "delete element inet contain fwd4 { tcp . 1 }\n"
                                    "                    ^^^^^^^\n"),
            "Could not process rule: No such file or directory");
  EXPECT_EQ(kernel::first_nft_error("something\nodd\n"), "something odd");
  EXPECT_EQ(kernel::first_nft_error(""), "nftables refused the request");
}

}  // namespace
}  // namespace contain::model
