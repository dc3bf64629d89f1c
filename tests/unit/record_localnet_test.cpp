// engine/record/localnet.hpp: route_localnet set on a host link for a forward.
#include <gtest/gtest.h>

#include "engine/record/localnet.hpp"
#include "engine/record_schema.hpp"
#include "engine/records.hpp"

namespace contain::engine {
namespace {

using nlohmann::json;

std::string error_of(const json& j) {
  auto r = LocalnetRecord::from_json(j);
  return r ? "" : r.error().message();
}

TEST(RecordLocalnet, RoundTrip) {
  LocalnetRecord r{"1"};
  auto back = LocalnetRecord::from_json(r.to_json());
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->previous, "1");
  EXPECT_EQ(back->to_json(), r.to_json());
}

TEST(RecordLocalnet, AsThePreviousBinaryWroteIt) {
  auto text = R"({"previous":"0","schema":2})";
  auto r = LocalnetRecord::from_json(json::parse(text));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->previous, "0");
  EXPECT_EQ(r->to_json(), json::parse(R"({"previous":"0"})"));
  EXPECT_TRUE(validate_record(kLocalnetKind, json::parse(text)));
  // Without "previous": it was off.
  auto bare = LocalnetRecord::from_json(json::object());
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->previous, "0");
}

TEST(RecordLocalnet, EveryCorruptFieldIsNamed) {
  EXPECT_EQ(error_of(json(1)), "it is not a JSON object");
  EXPECT_EQ(error_of(json{{"previous", 1}}), "field \"previous\" is not a string");
  auto valid = validate_record(kLocalnetKind, json{{"previous", 1}});
  ASSERT_FALSE(valid);
  EXPECT_EQ(valid.error().message(), "field \"previous\" is not a string");
}

}  // namespace
}  // namespace contain::engine
