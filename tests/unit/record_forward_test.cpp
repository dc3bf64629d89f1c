// engine/record/forward.hpp: the record of a forwarded host port.
#include <gtest/gtest.h>

#include "engine/record/forward.hpp"
#include "engine/record_schema.hpp"
#include "engine/records.hpp"

namespace contain::engine {
namespace {

using nlohmann::json;

std::string error_of(const json& j) {
  auto r = ForwardRecord::from_json(j);
  return r ? "" : r.error().message();
}

// As `forward add --host-port 8080 --to ns1:80` wrote it (the store adds "schema").
constexpr const char* kWritten =
    R"({"host_address":null,"host_port":8080,"owner":"netns/ns1","protocol":"tcp","schema":2,)"
    R"("targets":[{"address":"10.1.0.2","localnet":"vh1","port":80,"subnet":"10.1.0.0/24"},)"
    R"({"address":"2001:db8::2","localnet":null,"port":80,"subnet":"2001:db8::/64"}],)"
    R"("to":"ns1:80"})";

json good() {
  auto j = json::parse(kWritten);
  j.erase("schema");
  return j;
}

TEST(RecordForward, RoundTrip) {
  ForwardRecord r{.protocol = Protocol::udp,
                  .host_port = Port::from_number(5353),
                  .host_address = *IpAddress::parse("127.0.0.1"),
                  .to = "192.0.2.7:53",
                  .owner = "",
                  .targets = {{*IpAddress::parse("192.0.2.7"), Port::from_number(53),
                               *Cidr::parse("192.0.2.0/24"), "eth1"}},
                  .phase = record::Phase::creating};
  auto back = ForwardRecord::from_json(r.to_json());
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->protocol, Protocol::udp);
  EXPECT_EQ(back->host_port.value(), 5353);
  EXPECT_EQ(back->host_address, r.host_address);
  EXPECT_EQ(back->phase, record::Phase::creating);
  ASSERT_EQ(back->targets.size(), 1u);
  EXPECT_EQ(back->targets[0].endpoint().str(), "192.0.2.7:53");
  EXPECT_EQ(back->targets[0].subnet, r.targets[0].subnet);
  EXPECT_EQ(back->targets[0].localnet, "eth1");
  EXPECT_EQ(back->to_json(), r.to_json());
  EXPECT_EQ(r.to_json()["phase"], "creating");
  r.phase = record::Phase::whole;
  EXPECT_FALSE(r.to_json().contains("phase"));
}

TEST(RecordForward, AsThePreviousBinaryWroteIt) {
  auto r = ForwardRecord::from_json(json::parse(kWritten));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->protocol, Protocol::tcp);
  EXPECT_EQ(r->host_port.value(), 8080);
  EXPECT_FALSE(r->host_address);
  EXPECT_EQ(r->to, "ns1:80");
  EXPECT_EQ(r->owner, "netns/ns1");
  ASSERT_EQ(r->targets.size(), 2u);
  EXPECT_EQ(r->targets[0].localnet, "vh1");
  EXPECT_FALSE(r->targets[1].localnet);
  EXPECT_EQ(r->endpoints()[1].str(), "[2001:db8::2]:80");
  EXPECT_EQ(r->phase, record::Phase::whole);
  EXPECT_EQ(r->to_json(), good());
  EXPECT_TRUE(validate_record(kForwardKind, json::parse(kWritten)));
  // Unknown keys are tolerated; "to", "owner", "targets" may be absent.
  EXPECT_EQ(error_of(json{{"protocol", "udp"}, {"host_port", 53}, {"later", true}}), "");
}

TEST(RecordForward, EveryCorruptFieldIsNamed) {
  auto with = [](const char* key, json value) {
    auto j = good();
    j[key] = std::move(value);
    return error_of(j);
  };
  auto without = [](const char* key) {
    auto j = good();
    j.erase(key);
    return error_of(j);
  };
  auto target_with = [](const char* key, json value) {
    auto j = good();
    j["targets"][1][key] = std::move(value);
    return error_of(j);
  };
  auto starts = [](const std::string& s, std::string_view prefix) { return s.starts_with(prefix); };
  EXPECT_EQ(error_of(json(8080)), "it is not a JSON object");
  EXPECT_EQ(error_of(json::array()), "it is not a JSON object");
  EXPECT_EQ(without("protocol"), "field \"protocol\" is missing");
  EXPECT_EQ(with("protocol", 6), "field \"protocol\" is not a string");
  EXPECT_TRUE(starts(with("protocol", "sctp"), "field \"protocol\" is not a protocol: "));
  EXPECT_EQ(without("host_port"), "field \"host_port\" is missing");
  EXPECT_EQ(with("host_port", "8080"), "field \"host_port\" is not an integer");
  EXPECT_TRUE(starts(with("host_port", 0), "field \"host_port\" is not a port: "));
  EXPECT_TRUE(starts(with("host_port", 70000), "field \"host_port\" is not a port: "));
  EXPECT_TRUE(starts(with("host_port", -1), "field \"host_port\" is not a port: "));
  EXPECT_EQ(with("host_address", 1), "field \"host_address\" is not a string");
  EXPECT_TRUE(
      starts(with("host_address", "localhost"), "field \"host_address\" is not an address: "));
  EXPECT_EQ(with("to", nullptr), "field \"to\" is not a string");
  EXPECT_EQ(with("owner", 1), "field \"owner\" is not a string");
  EXPECT_EQ(with("targets", "10.1.0.2:80"), "field \"targets\" is not an array of objects");
  EXPECT_EQ(with("targets", json::array({1})), "field \"targets\" is not an array of objects");
  EXPECT_EQ(with("phase", "half"), "field \"phase\" is not \"creating\" or \"deleting\"");
  auto t = good();
  t["targets"][1].erase("address");
  EXPECT_EQ(error_of(t), "field \"targets\"[1].\"address\" is missing");
  EXPECT_TRUE(starts(target_with("address", "10.1.0"),
                     "field \"targets\"[1].\"address\" is not an address: "));
  EXPECT_EQ(target_with("port", "80"), "field \"targets\"[1].\"port\" is not an integer");
  EXPECT_TRUE(starts(target_with("port", 0), "field \"targets\"[1].\"port\" is not a port: "));
  EXPECT_EQ(target_with("subnet", 24), "field \"targets\"[1].\"subnet\" is not a string");
  EXPECT_TRUE(starts(target_with("subnet", "2001:db8::"),
                     "field \"targets\"[1].\"subnet\" is not a CIDR: "));
  EXPECT_EQ(target_with("localnet", false), "field \"targets\"[1].\"localnet\" is not a string");
  // The store says the same.
  auto j = good();
  j["host_port"] = "8080";
  auto valid = validate_record(kForwardKind, j);
  ASSERT_FALSE(valid);
  EXPECT_EQ(valid.error().message(), "field \"host_port\" is not an integer");
}

}  // namespace
}  // namespace contain::engine
