// engine/record/isolation.hpp: the record of an isolated managed network.
#include <gtest/gtest.h>

#include "engine/record/isolation.hpp"
#include "engine/record_schema.hpp"
#include "engine/records.hpp"

namespace contain::engine {
namespace {

using nlohmann::json;

std::string error_of(const json& j) {
  auto r = IsolationRecord::from_json(j);
  return r ? "" : r.error().message();
}

TEST(RecordIsolation, RoundTrip) {
  IsolationRecord r{"cn-web", "10.88.0.0/24", "network/web"};
  auto back = IsolationRecord::from_json(r.to_json());
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->bridge, "cn-web");
  EXPECT_EQ(back->subnet, "10.88.0.0/24");
  EXPECT_EQ(back->owner, "network/web");
  EXPECT_EQ(back->to_json(), r.to_json());
}

TEST(RecordIsolation, AsThePreviousBinaryWroteIt) {
  auto text = R"({"bridge":"cn-web","owner":"network/web","schema":2,"subnet":"10.88.0.0/24"})";
  auto r = IsolationRecord::from_json(json::parse(text));
  ASSERT_TRUE(r) << r.error().message();
  auto again = json::parse(text);
  again.erase("schema");
  EXPECT_EQ(r->to_json(), again);
  EXPECT_TRUE(validate_record(kIsolationKind, json::parse(text)));
  // Every field was optional: the bridge is then the record's name.
  auto bare = IsolationRecord::from_json(json::object());
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->bridge_or("cn-db"), "cn-db");
  EXPECT_EQ(r->bridge_or("cn-db"), "cn-web");
}

TEST(RecordIsolation, EveryCorruptFieldIsNamed) {
  EXPECT_EQ(error_of(json::array()), "it is not a JSON object");
  EXPECT_EQ(error_of(json(7)), "it is not a JSON object");
  EXPECT_EQ(error_of(json{{"bridge", 1}}), "field \"bridge\" is not a string");
  EXPECT_EQ(error_of(json{{"subnet", false}}), "field \"subnet\" is not a string");
  EXPECT_EQ(error_of(json{{"owner", json::array()}}), "field \"owner\" is not a string");
  auto valid = validate_record(kIsolationKind, json{{"bridge", 1}});
  ASSERT_FALSE(valid);
  EXPECT_EQ(valid.error().message(), "field \"bridge\" is not a string");
}

}  // namespace
}  // namespace contain::engine
