// engine/record/shape.hpp: the record of a shaping.
#include <gtest/gtest.h>

#include "engine/record/shape.hpp"
#include "engine/record_schema.hpp"
#include "engine/records.hpp"

namespace contain::engine {
namespace {

using nlohmann::json;

std::string error_of(const json& j) {
  auto r = ShapeRecord::from_json(j);
  return r ? "" : r.error().message();
}

// As `shape set --ns ns1 --rate 10mbit --direction both --delay 20ms` wrote it.
constexpr const char* kNamespace =
    R"({"burst":"5000b","burst_bytes":5000,"delay":"20ms","devices":[)"
    R"({"direction":"egress","ifname":"veth0","netns":"ns1","qdisc":"root"},)"
    R"({"direction":"ingress","ifname":"vh1","netns":null,"qdisc":"root"}],)"
    R"("direction":"both","latency":"50ms","limit_bytes":67500,"rate":"10mbit",)"
    R"("rate_bps":10000000,"schema":2,"target":{"ifname":"veth0","netns":"ns1"}})";
// As `shape set --dev eth1 --rate 1gbit --direction ingress` wrote it, "creating"
// (killed half way): the devices it was to touch have no direction.
constexpr const char* kDeviceCreating =
    R"({"burst":"500000b","burst_bytes":500000,"devices":[)"
    R"({"ifname":"eth1","netns":null,"qdisc":"ingress"}],"direction":"ingress","ifb":"cifb7",)"
    R"("latency":"50ms","limit_bytes":6750000,"phase":"creating","rate":"1gbit",)"
    R"("rate_bps":1000000000,"schema":2,"target":{"dev":"eth1"}})";
// The CNI bandwidth capability's two directions, in a namespace known by identity.
constexpr const char* kIdentity =
    R"({"burst":"40kb","burst_bytes":40960,"devices":[],"direction":"both",)"
    R"("ingress_burst":"20kb","ingress_burst_bytes":20480,"ingress_rate":"2000000bit",)"
    R"("ingress_rate_bps":2000000,"latency":"50ms","limit_bytes":103460,)"
    R"("rate":"1000000bit","rate_bps":1000000,"schema":2,)"
    R"("target":{"ifname":"eth0","netns_id":"4:4026532281","ref":"/proc/7/ns/net"}})";

json without_schema(const char* text) {
  auto j = json::parse(text);
  j.erase("schema");
  return j;
}

TEST(RecordShape, AsThePreviousBinaryWroteIt) {
  for (const char* text : {kNamespace, kDeviceCreating, kIdentity}) {
    auto r = ShapeRecord::from_json(json::parse(text));
    ASSERT_TRUE(r) << text << ": " << r.error().message();
    EXPECT_EQ(r->to_json(), without_schema(text)) << text;
    EXPECT_TRUE(validate_record(kShapeKind, json::parse(text))) << text;
  }
  auto ns = *ShapeRecord::from_json(json::parse(kNamespace));
  EXPECT_EQ(ns.target.netns, "ns1");
  EXPECT_EQ(ns.target.ifname, "veth0");
  EXPECT_FALSE(ns.target.dev);
  EXPECT_EQ(ns.direction, Direction::both);
  EXPECT_EQ(ns.rate.bits_per_second(), 10'000'000u);
  EXPECT_EQ(ns.burst->bytes(), 5000u);
  EXPECT_EQ(ns.latency->microseconds(), 50'000u);
  EXPECT_EQ(ns.delay->microseconds(), 20'000u);
  EXPECT_FALSE(ns.loss);
  ASSERT_EQ(ns.devices.size(), 2u);
  EXPECT_EQ(ns.devices[0].netns, "ns1");
  EXPECT_EQ(ns.devices[1].netns, std::nullopt);
  EXPECT_EQ(ns.devices[1].direction, Direction::ingress);
  EXPECT_EQ(ns.phase, record::Phase::whole);
  auto dev = *ShapeRecord::from_json(json::parse(kDeviceCreating));
  EXPECT_EQ(dev.phase, record::Phase::creating);
  EXPECT_EQ(dev.ifb, "cifb7");
  EXPECT_EQ(dev.devices[0].qdisc, Qdisc::ingress);
  EXPECT_FALSE(dev.devices[0].direction);
  auto id = *ShapeRecord::from_json(json::parse(kIdentity));
  EXPECT_EQ(id.target.netns_id, "4:4026532281");
  EXPECT_EQ(id.target.ref, "/proc/7/ns/net");
  EXPECT_EQ(id.ingress_rate->bits_per_second(), 2'000'000u);
  EXPECT_EQ(id.ingress_rate_bps, 2'000'000u);
  EXPECT_EQ(id.ingress_burst->bytes(), 20480u);
  // What every reader needed: a target and a rate (a record from before
  // "devices" and the byte counts is still read).
  auto bare = ShapeRecord::from_json(json{{"target", {{"dev", "eth0"}}}, {"rate", "1mbit"}});
  ASSERT_TRUE(bare) << bare.error().message();
  EXPECT_EQ(bare->direction, Direction::egress);
  EXPECT_TRUE(bare->devices.empty());
}

TEST(RecordShape, RoundTrip) {
  ShapeRecord r{.target = {.dev = "br0"},
                .direction = Direction::ingress,
                .rate = *Rate::parse("5mbit"),
                .burst = *Size::parse("32kb"),
                .latency = *Duration::parse("20ms"),
                .rate_bps = 5'000'000,
                .burst_bytes = 32768,
                .limit_bytes = 45268,
                .loss = *Percent::parse("1.5%"),
                .devices = {{std::nullopt, "br0", Qdisc::ingress, Direction::ingress}},
                .ifb = "cifb3",
                .phase = record::Phase::creating};
  auto back = ShapeRecord::from_json(r.to_json());
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->to_json(), r.to_json());
  EXPECT_EQ(back->loss->text(), "1.5%");
  EXPECT_EQ(back->devices[0].qdisc, Qdisc::ingress);
  EXPECT_EQ(r.to_json()["phase"], "creating");
}

TEST(RecordShape, EveryCorruptFieldIsNamed) {
  auto with = [](const char* key, json value) {
    auto j = without_schema(kNamespace);
    j[key] = std::move(value);
    return error_of(j);
  };
  auto starts = [](const std::string& s, std::string_view prefix) { return s.starts_with(prefix); };
  EXPECT_EQ(error_of(json(3)), "it is not a JSON object");
  auto j = without_schema(kNamespace);
  j.erase("target");
  EXPECT_EQ(error_of(j), "field \"target\" is missing");
  j = without_schema(kNamespace);
  j.erase("rate");
  EXPECT_EQ(error_of(j), "field \"rate\" is missing");
  EXPECT_EQ(with("target", "eth0"), "field \"target\" is not an object");
  EXPECT_EQ(with("target", {{"netns", 1}}), "field \"target\".\"netns\" is not a string");
  EXPECT_EQ(with("target", {{"dev", nullptr}, {"ifname", 2}}),
            "field \"target\".\"ifname\" is not a string");
  EXPECT_EQ(with("target", {{"netns_id", 1}}), "field \"target\".\"netns_id\" is not a string");
  EXPECT_EQ(with("target", {{"ref", false}}), "field \"target\".\"ref\" is not a string");
  EXPECT_EQ(with("direction", "up"),
            "field \"direction\" is not \"egress\" or \"ingress\" or \"both\"");
  EXPECT_EQ(with("direction", 1), "field \"direction\" is not a string");
  EXPECT_EQ(with("rate", 10), "field \"rate\" is not a string");
  EXPECT_TRUE(starts(with("rate", "fast"), "field \"rate\" is not a rate: "));
  EXPECT_TRUE(starts(with("burst", "lots"), "field \"burst\" is not a size: "));
  EXPECT_TRUE(starts(with("latency", "soon"), "field \"latency\" is not a duration: "));
  EXPECT_TRUE(starts(with("delay", "-1ms"), "field \"delay\" is not a duration: "));
  EXPECT_TRUE(starts(with("jitter", "x"), "field \"jitter\" is not a duration: "));
  EXPECT_TRUE(starts(with("loss", "200%"), "field \"loss\" is not a percentage: "));
  EXPECT_EQ(with("rate_bps", -1), "field \"rate_bps\" is not a non-negative integer");
  EXPECT_EQ(with("burst_bytes", "5000"), "field \"burst_bytes\" is not a non-negative integer");
  EXPECT_EQ(with("limit_bytes", 1.5), "field \"limit_bytes\" is not a non-negative integer");
  EXPECT_EQ(with("ingress_rate", "1"), "");  // a bare number is bits per second
  EXPECT_TRUE(starts(with("ingress_rate", "x"), "field \"ingress_rate\" is not a rate: "));
  EXPECT_EQ(with("ingress_rate_bps", "1"),
            "field \"ingress_rate_bps\" is not a non-negative integer");
  EXPECT_TRUE(starts(with("ingress_burst", "x"), "field \"ingress_burst\" is not a size: "));
  EXPECT_EQ(with("ingress_burst_bytes", -2),
            "field \"ingress_burst_bytes\" is not a non-negative integer");
  EXPECT_EQ(with("devices", {"veth0"}), "field \"devices\" is not an array of objects");
  EXPECT_EQ(with("ifb", 7), "field \"ifb\" is not a string");
  EXPECT_EQ(with("phase", "done"), "field \"phase\" is not \"creating\" or \"deleting\"");
  auto device_with = [](const char* key, json value) {
    auto j = without_schema(kNamespace);
    j["devices"][1][key] = std::move(value);
    return error_of(j);
  };
  EXPECT_EQ(device_with("netns", 1), "field \"devices\"[1].\"netns\" is not a string");
  EXPECT_EQ(device_with("ifname", nullptr), "field \"devices\"[1].\"ifname\" is not a string");
  EXPECT_EQ(device_with("qdisc", "clsact"),
            "field \"devices\"[1].\"qdisc\" is not \"root\" or \"ingress\"");
  EXPECT_EQ(device_with("direction", "sideways"),
            "field \"devices\"[1].\"direction\" is not \"egress\" or \"ingress\" or \"both\"");
  // The store says the same.
  auto valid = validate_record(kShapeKind, json{{"target", "eth0"}, {"rate", "1mbit"}});
  ASSERT_FALSE(valid);
  EXPECT_EQ(valid.error().message(), "field \"target\" is not an object");
}

}  // namespace
}  // namespace contain::engine
