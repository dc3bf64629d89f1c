// engine/record/cni.hpp: the mark that a CNI ADD made a network.
#include <gtest/gtest.h>

#include "engine/record/cni.hpp"
#include "engine/record_schema.hpp"

namespace contain::engine {
namespace {

using nlohmann::json;

TEST(CniNetworkRecord, ReadsWhatThePreviousBinaryWroteAndRoundTrips) {
  const json old = json::parse(R"({"network": "cni0"})");
  auto r = CniNetworkRecord::from_json(old);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ("cni0", r->network);
  EXPECT_EQ(old, r->to_json());
  EXPECT_TRUE(CniNetworkRecord::from_json(json{{"later", 1}}));  // unknown keys tolerated
}

TEST(CniNetworkRecord, RefusesEachCorruptField) {
  auto r = CniNetworkRecord::from_json(json{{"network", 1}});
  ASSERT_FALSE(r);
  EXPECT_EQ("field \"network\" is not a string", r.error().message());
  auto refused = validate_record(CniNetworkRecord::kKind, json{{"network", false}});
  ASSERT_FALSE(refused);
  EXPECT_EQ("field \"network\" is not a string", refused.error().message());
}

}  // namespace
}  // namespace contain::engine
