// engine/record/bridge.hpp: the record of a bridge contain created.
#include <gtest/gtest.h>

#include "engine/record/bridge.hpp"
#include "engine/record_schema.hpp"

namespace contain::engine {
namespace {

using nlohmann::json;

std::string why(const json& j) {
  auto r = BridgeRecord::from_json(j);
  return r ? "valid" : r.error().message();
}

TEST(BridgeRecord, ReadsWhatThePreviousBinaryWroteAndRoundTrips) {
  const json old = json::parse(R"({"name": "br0", "created": true})");
  auto r = BridgeRecord::from_json(old);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ("br0", r->name);
  EXPECT_TRUE(r->created);
  EXPECT_EQ(old, r->to_json());
  const json creating = json::parse(R"({"name": "br0", "created": true, "phase": "creating"})");
  auto half = BridgeRecord::from_json(creating);
  ASSERT_TRUE(half) << half.error().message();
  EXPECT_EQ(record::Phase::creating, half->phase);
  EXPECT_EQ(creating, half->to_json());
  BridgeRecord made{"br1", true};
  auto again = BridgeRecord::from_json(made.to_json());
  ASSERT_TRUE(again);
  EXPECT_EQ(made.to_json(), again->to_json());
  // Both fields are optional (the old schema's), unknown ones tolerated.
  EXPECT_EQ("valid", why(json::object()));
  EXPECT_EQ("valid", why(json{{"name", "b"}, {"later", 1}}));
}

TEST(BridgeRecord, RefusesEachCorruptField) {
  EXPECT_EQ("field \"name\" is not a string", why(json{{"name", 1}}));
  EXPECT_EQ("field \"created\" is not true or false", why(json{{"created", "yes"}}));
  EXPECT_EQ("field \"phase\" is not \"creating\" or \"deleting\"", why(json{{"phase", "half"}}));
  EXPECT_EQ("it is not a JSON object", why(json::array()));
  auto refused = validate_record(BridgeRecord::kKind, json{{"name", 1}});
  ASSERT_FALSE(refused);
  EXPECT_EQ("field \"name\" is not a string", refused.error().message());
}

}  // namespace
}  // namespace contain::engine
