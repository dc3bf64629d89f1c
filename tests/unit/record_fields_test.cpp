// engine/record/fields.hpp: a record's fields read into a struct, every wrong
// or missing field one error naming it, nothing thrown.
#include <gtest/gtest.h>

#include "engine/record/fields.hpp"

namespace contain::engine::record {
namespace {

using nlohmann::json;

struct Link {
  std::string name;
  int ifindex = 0;
  Phase phase = Phase::whole;
  Unknown unknown = {};
  static Result<Link> from_json(const json& j, std::string_view where) {
    Fields f(j, where);
    Link l;
    TRY(f.req("name", l.name));
    TRY(f.opt("ifindex", l.ifindex));
    TRY(f.opt("phase", l.phase));
    l.unknown = f.unknown();
    return l;
  }
  json to_json() const {
    json j{{"name", name}, {"ifindex", ifindex}};
    put_phase(j, phase);
    unknown.put(j);
    return j;
  }
};

struct Sample {
  static constexpr std::string_view kKind = "sample";
  std::string name;
  bool created = false;
  std::uint64_t start = 0;
  std::optional<std::string> address;
  std::vector<std::string> tags;
  std::vector<Link> links;
  Unknown unknown = {};
  static Result<Sample> from_json(const json& j) {
    Fields f(j);
    TRY(f.object());
    Sample s;
    TRY(f.req("name", s.name));
    TRY(f.opt("created", s.created));
    TRY(f.opt("start", s.start));
    TRY(f.opt("address", s.address));
    TRY(f.opt("tags", s.tags));
    TRY(f.opt("links", s.links));
    s.unknown = f.unknown();
    return s;
  }
  json to_json() const {
    json j{{"name", name},
           {"created", created},
           {"start", start},
           {"tags", tags},
           {"links", to_json_array(links)}};
    j["address"] = address ? json(*address) : json(nullptr);
    unknown.put(j);
    return j;
  }
};
static_assert(Record<Sample>);
static_assert(Part<Link>);

std::string error_of(const json& j) {
  auto r = Sample::from_json(j);
  return r ? "" : r.error().message();
}

TEST(RecordFields, RoundTrip) {
  Sample s{.name = "a",
           .created = true,
           .start = 1ULL << 40,
           .address = "10.0.0.2",
           .tags = {"x", "y"},
           .links = {{.name = "vh1", .ifindex = 7, .phase = Phase::creating}, {.name = "vh2"}}};
  auto back = Sample::from_json(s.to_json());
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->to_json(), s.to_json());
  EXPECT_EQ(back->links[0].phase, Phase::creating);
  EXPECT_EQ(back->links[1].phase, Phase::whole);
  EXPECT_FALSE(s.to_json()["links"][1].contains("phase"));
}

TEST(RecordFields, AbsentAndNull) {
  auto s = Sample::from_json(json{{"name", "a"}, {"address", nullptr}});
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->address);
  EXPECT_FALSE(s->created);
  EXPECT_TRUE(s->links.empty());
}

// A record written by a newer version: the fields this one does not read
// (at the top and in parts) are kept and written back; those it reads are
// its own, absent ones included.
TEST(RecordFields, UnknownFieldsAreKept) {
  json newer{{"name", "a"},
             {"address", nullptr},
             {"zone", "blue"},
             {"limits", {{"cpu", 2}}},
             {"links", {{{"name", "vh1"}, {"mtu", 9000}}, {{"name", "vh2"}}}}};
  auto s = Sample::from_json(newer);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->unknown.fields(), (json{{"zone", "blue"}, {"limits", {{"cpu", 2}}}}));
  EXPECT_EQ(s->links[0].unknown.fields(), (json{{"mtu", 9000}}));
  EXPECT_TRUE(s->links[1].unknown.empty());
  s->created = true;
  json out = s->to_json();
  EXPECT_EQ(out["zone"], "blue");
  EXPECT_EQ(out["limits"], (json{{"cpu", 2}}));
  EXPECT_EQ(out["links"][0]["mtu"], 9000);
  EXPECT_FALSE(out["links"][1].contains("mtu"));
  EXPECT_EQ(out["created"], true);
  // Read again: the same record.
  auto again = Sample::from_json(out);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->to_json(), out);
  // A record of this version has none.
  EXPECT_TRUE(Sample::from_json(json{{"name", "a"}, {"created", true}})->unknown.empty());
}

// A field this version writes wins over a kept one of the same name.
TEST(RecordFields, KnownFieldsWinOverKeptOnes) {
  Unknown kept(json{{"name", "old"}, {"zone", "blue"}});
  json j{{"name", "new"}};
  kept.put(j);
  EXPECT_EQ(j, (json{{"name", "new"}, {"zone", "blue"}}));
}

// An unknown field does not make a corrupt record readable.
TEST(RecordFields, UnknownFieldsDoNotHideWrongOnes) {
  EXPECT_EQ(error_of(json{{"name", 1}, {"zone", "blue"}}), "field \"name\" is not a string");
  EXPECT_EQ(error_of(json{{"zone", "blue"}}), "field \"name\" is missing");
}

TEST(RecordFields, EveryWrongFieldIsNamed) {
  EXPECT_EQ(error_of(json::array()), "it is not a JSON object");
  EXPECT_EQ(error_of(json{{"created", true}}), "field \"name\" is missing");
  EXPECT_EQ(error_of(json{{"name", 1}}), "field \"name\" is not a string");
  EXPECT_EQ(error_of(json{{"name", "a"}, {"created", "yes"}}),
            "field \"created\" is not true or false");
  EXPECT_EQ(error_of(json{{"name", "a"}, {"start", -1}}),
            "field \"start\" is not a non-negative integer");
  EXPECT_EQ(error_of(json{{"name", "a"}, {"start", 1.5}}),
            "field \"start\" is not a non-negative integer");
  EXPECT_EQ(error_of(json{{"name", "a"}, {"tags", {"x", 2}}}),
            "field \"tags\" is not an array of strings");
  EXPECT_EQ(error_of(json{{"name", "a"}, {"links", {{{"ifindex", 1}}}}}),
            "field \"links\"[0].\"name\" is missing");
  EXPECT_EQ(error_of(json{{"name", "a"}, {"links", {{{"name", "v"}, {"ifindex", 1ULL << 33}}}}}),
            "field \"links\"[0].\"ifindex\" is not an integer");
  EXPECT_EQ(error_of(json{{"name", "a"}, {"links", {{{"name", "v"}, {"phase", "half"}}}}}),
            "field \"links\"[0].\"phase\" is not \"creating\" or \"deleting\"");
  EXPECT_EQ(error_of(json{{"name", "a"}, {"links", {1}}}),
            "field \"links\" is not an array of objects");
}

}  // namespace
}  // namespace contain::engine::record
