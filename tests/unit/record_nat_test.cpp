// engine/record/nat.hpp: the record of a masqueraded subnet.
#include <gtest/gtest.h>

#include "engine/record/nat.hpp"
#include "engine/record_schema.hpp"
#include "engine/records.hpp"

namespace contain::engine {
namespace {

using nlohmann::json;

std::string error_of(const json& j) {
  auto r = NatRecord::from_json(j);
  return r ? "" : r.error().message();
}

TEST(RecordNat, RoundTrip) {
  NatRecord r{*Cidr::parse("10.88.0.0/24"), "eth0", "network/web"};
  auto back = NatRecord::from_json(r.to_json());
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->subnet, r.subnet);
  EXPECT_EQ(back->out, "eth0");
  EXPECT_EQ(back->owner, "network/web");
  EXPECT_EQ(back->to_json(), r.to_json());
}

TEST(RecordNat, AsThePreviousBinaryWroteIt) {
  // enable_nat wrote "out" as null without --out and "owner" "" for `nat enable`;
  // the store adds "schema".
  auto text = R"({"owner":"","out":null,"schema":2,"subnet":"10.1.0.0/24"})";
  auto r = NatRecord::from_json(json::parse(text));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->subnet.str(), "10.1.0.0/24");
  EXPECT_FALSE(r->out);
  EXPECT_EQ(r->owner, "");
  // Written back the same (the store adds "schema").
  auto again = json::parse(text);
  again.erase("schema");
  EXPECT_EQ(r->to_json(), again);
  // Unknown keys (a newer minor version) are tolerated; "owner" may be absent.
  EXPECT_EQ(error_of(json{{"subnet", "2001:db8::/64"}, {"later", 1}}), "");
  EXPECT_TRUE(validate_record(kNatKind, json::parse(text)));
}

TEST(RecordNat, EveryCorruptFieldIsNamed) {
  EXPECT_EQ(error_of(json::array()), "it is not a JSON object");
  EXPECT_EQ(error_of(json(7)), "it is not a JSON object");
  EXPECT_EQ(error_of(json{{"out", nullptr}}), "field \"subnet\" is missing");
  EXPECT_EQ(error_of(json{{"subnet", 24}}), "field \"subnet\" is not a string");
  EXPECT_EQ(error_of(json{{"subnet", "10.1.0.0"}}).rfind("field \"subnet\" is not a CIDR: ", 0),
            0u);
  EXPECT_EQ(error_of(json{{"subnet", "10.1.0.0/24"}, {"out", 1}}), "field \"out\" is not a string");
  EXPECT_EQ(error_of(json{{"subnet", "10.1.0.0/24"}, {"owner", nullptr}}),
            "field \"owner\" is not a string");
  // The store says the same.
  auto valid = validate_record(kNatKind, json{{"subnet", 24}});
  ASSERT_FALSE(valid);
  EXPECT_EQ(valid.error().message(), "field \"subnet\" is not a string");
}

}  // namespace
}  // namespace contain::engine
