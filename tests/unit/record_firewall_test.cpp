// engine/record/firewall.hpp: the marker of our nftables table.
#include <gtest/gtest.h>

#include "engine/record/firewall.hpp"
#include "engine/record_schema.hpp"
#include "engine/records.hpp"

namespace contain::engine {
namespace {

using nlohmann::json;

std::string error_of(const json& j) {
  auto r = FirewallRecord::from_json(j);
  return r ? "" : r.error().message();
}

TEST(RecordFirewall, RoundTrip) {
  FirewallRecord r;
  auto back = FirewallRecord::from_json(r.to_json());
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->family, "inet");
  EXPECT_EQ(back->name, "contain");
  EXPECT_EQ(back->to_json(), r.to_json());
}

TEST(RecordFirewall, AsThePreviousBinaryWroteIt) {
  auto text = R"({"family":"inet","name":"contain","schema":2})";
  auto r = FirewallRecord::from_json(json::parse(text));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->to_json(), json::parse(R"({"family":"inet","name":"contain"})"));
  EXPECT_TRUE(validate_record(kFirewallKind, json::parse(text)));
  EXPECT_EQ(error_of(json::object()), "");  // the marker's presence is what counts
}

TEST(RecordFirewall, EveryCorruptFieldIsNamed) {
  EXPECT_EQ(error_of(json("table")), "it is not a JSON object");
  EXPECT_EQ(error_of(json{{"family", 2}}), "field \"family\" is not a string");
  EXPECT_EQ(error_of(json{{"name", nullptr}}), "field \"name\" is not a string");
  auto valid = validate_record(kFirewallKind, json{{"family", 2}});
  ASSERT_FALSE(valid);
  EXPECT_EQ(valid.error().message(), "field \"family\" is not a string");
}

}  // namespace
}  // namespace contain::engine
