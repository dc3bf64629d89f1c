// engine/record/netns.hpp: the records of namespaces (netns/NAME, netns-id/DEV:INO)
// read and written as the previous binary wrote them; each corrupt field refused
// with the words the store's message carries.
#include <gtest/gtest.h>

#include "engine/record/netns.hpp"
#include "engine/record_schema.hpp"

namespace contain::engine {
namespace {

using nlohmann::json;

template <class R>
std::string why(const json& j) {
  auto r = R::from_json(j);
  return r ? "valid" : r.error().message();
}

// As net veth, bridge attach, network attach and net create wrote them.
const json kOld = json::parse(R"({
  "name": "ns1", "created": true, "links": [
    {"name": "vh1", "ifindex": 7, "peer": "eth0", "kind": "veth"},
    {"name": "vh2", "ifindex": 0, "peer": "eth1", "kind": "veth", "bridge": "br0",
     "address": "10.0.0.2/24", "phase": "creating"},
    {"name": "vh3", "ifindex": 9, "peer": "eth2", "kind": "veth", "bridge": "cn-web",
     "network": "web", "address": "10.1.0.2/24"},
    {"name": "vh4", "ifindex": 0, "peer": "eth0", "kind": "veth", "bridge": "br1",
     "address": ""}]})");

TEST(NetnsRecord, ReadsWhatThePreviousBinaryWrote) {
  auto r = NetnsRecord::from_json(kOld);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ("ns1", r->name);
  EXPECT_TRUE(r->created);
  EXPECT_EQ(record::Phase::whole, r->phase);
  ASSERT_EQ(4u, r->links.size());
  EXPECT_EQ(7, r->links[0].ifindex);
  EXPECT_FALSE(r->links[0].bridge);
  EXPECT_EQ(record::Phase::creating, r->links[1].phase);
  EXPECT_EQ("br0", r->links[1].bridge.value());
  EXPECT_EQ("web", r->links[2].network.value());
  EXPECT_EQ("10.1.0.2/24", r->links[2].address.value());
  EXPECT_EQ("", r->links[3].address.value());
  // Written back exactly so.
  EXPECT_EQ(kOld, r->to_json());
}

TEST(NetnsRecord, RoundTrip) {
  NetnsRecord r;
  r.name = "a";
  r.phase = record::Phase::creating;
  NetnsLink l;
  l.name = "h";
  l.peer = "p";
  l.network = "n";
  r.links.push_back(l);
  json j = r.to_json();
  EXPECT_EQ("creating", j["phase"]);
  EXPECT_FALSE(j["links"][0].contains("bridge"));
  auto again = NetnsRecord::from_json(j);
  ASSERT_TRUE(again);
  EXPECT_EQ(j, again->to_json());
  // A fresh record, as new_netns_record wrote it.
  NetnsRecord fresh;
  fresh.name = "b";
  EXPECT_EQ(json::parse(R"({"name": "b", "created": false, "links": []})"), fresh.to_json());
}

TEST(NetnsRecord, ToleratesUnknownKeys) {
  json j = kOld;
  j["later"] = 1;
  j["links"][0]["later"] = "x";
  EXPECT_EQ("valid", why<NetnsRecord>(j));
}

// A record a newer version wrote, rewritten after a change (a link forgotten,
// one added): its fields and its links' fields this version does not know stay.
TEST(NetnsRecord, KeepsUnknownKeysWhenRewritten) {
  json j = kOld;
  j["later"] = {{"a", 1}};
  j["links"][2]["later"] = "x";
  auto r = NetnsRecord::from_json(j);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(j, r->to_json());
  r->links.erase(r->links.begin());
  NetnsLink added;
  added.name = "vh5";
  added.peer = "eth3";
  r->links.push_back(added);
  json out = r->to_json();
  EXPECT_EQ(json({{"a", 1}}), out["later"]);
  EXPECT_EQ("x", out["links"][1]["later"]);
  EXPECT_FALSE(out["links"][3].contains("later"));
  // And by identity.
  json id = json::parse(R"({"id": "4:1", "ref": "pid:42", "owner": "nsid/4:1", "created": false,
                            "links": [], "later": true})");
  auto by_id = NetnsIdRecord::from_json(id);
  ASSERT_TRUE(by_id) << by_id.error().message();
  EXPECT_EQ(id, by_id->to_json());
  // An unknown key does not make a corrupt field readable.
  j["name"] = 3;
  EXPECT_EQ("field \"name\" is not a string", why<NetnsRecord>(j));
}

TEST(NetnsRecord, RefusesEachCorruptField) {
  auto with = [](const char* pointer, json value) {
    json j = kOld;
    j[json::json_pointer(pointer)] = std::move(value);
    return why<NetnsRecord>(j);
  };
  EXPECT_EQ("field \"name\" is not a string", with("/name", 3));
  EXPECT_EQ("field \"created\" is not true or false", with("/created", "yes"));
  EXPECT_EQ("field \"links\" is not an array of objects", with("/links", json::object()));
  EXPECT_EQ("field \"links\" is not an array of objects", with("/links/0", "vh1"));
  EXPECT_EQ("field \"phase\" is not \"creating\" or \"deleting\"", with("/phase", "done"));
  EXPECT_EQ("field \"links\"[0].\"name\" is not a string", with("/links/0/name", 1));
  EXPECT_EQ("field \"links\"[0].\"ifindex\" is not an integer", with("/links/0/ifindex", "7"));
  EXPECT_EQ("field \"links\"[0].\"ifindex\" is not an integer",
            with("/links/0/ifindex", 1ull << 40));
  EXPECT_EQ("field \"links\"[1].\"peer\" is not a string", with("/links/1/peer", false));
  EXPECT_EQ("field \"links\"[1].\"kind\" is not a string", with("/links/1/kind", 1));
  EXPECT_EQ("field \"links\"[1].\"bridge\" is not a string", with("/links/1/bridge", 1));
  EXPECT_EQ("field \"links\"[2].\"network\" is not a string", with("/links/2/network", 1));
  EXPECT_EQ("field \"links\"[2].\"address\" is not a string", with("/links/2/address", 1));
  EXPECT_EQ("field \"links\"[1].\"phase\" is not \"creating\" or \"deleting\"",
            with("/links/1/phase", 1));
  json no_name = kOld;
  no_name.erase("name");
  EXPECT_EQ("field \"name\" is missing", why<NetnsRecord>(no_name));
  json no_link_name = kOld;
  no_link_name["links"][3].erase("name");
  EXPECT_EQ("field \"links\"[3].\"name\" is missing", why<NetnsRecord>(no_link_name));
  // The store says the same (engine/record_schema.cpp routes the kind here).
  EXPECT_TRUE(validate_record(NetnsRecord::kKind, kOld));
  auto refused = validate_record(NetnsRecord::kKind, no_name);
  ASSERT_FALSE(refused);
  EXPECT_EQ("field \"name\" is missing", refused.error().message());
}

// As network attach and bridge attach wrote it for a namespace given as pid:PID.
const json kOldId = json::parse(R"({
  "id": "4:4026532281", "ref": "pid:1234", "owner": "nsid/4:4026532281", "created": false,
  "links": [{"name": "vh1", "ifindex": 0, "peer": "eth0", "kind": "veth",
             "bridge": "cn-web", "network": "web", "address": "10.1.0.2/24"}]})");

TEST(NetnsIdRecord, ReadsWhatThePreviousBinaryWroteAndRoundTrips) {
  auto r = NetnsIdRecord::from_json(kOldId);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ("4:4026532281", r->id);
  EXPECT_EQ("pid:1234", r->ref);
  EXPECT_EQ("nsid/4:4026532281", r->owner);
  ASSERT_EQ(1u, r->links.size());
  EXPECT_EQ(kOldId, r->to_json());
  EXPECT_EQ("valid", why<NetnsIdRecord>(json::object()));  // every field is optional
}

TEST(NetnsIdRecord, RefusesEachCorruptField) {
  auto with = [](const char* pointer, json value) {
    json j = kOldId;
    j[json::json_pointer(pointer)] = std::move(value);
    return why<NetnsIdRecord>(j);
  };
  EXPECT_EQ("field \"id\" is not a string", with("/id", 1));
  EXPECT_EQ("field \"ref\" is not a string", with("/ref", 1));
  EXPECT_EQ("field \"owner\" is not a string", with("/owner", nullptr));
  EXPECT_EQ("field \"created\" is not true or false", with("/created", 0));
  EXPECT_EQ("field \"links\" is not an array of objects", with("/links", "x"));
  EXPECT_EQ("field \"links\"[0].\"name\" is not a string", with("/links/0/name", 1));
  EXPECT_EQ("it is not a JSON object", why<NetnsIdRecord>(json::array()));
}

}  // namespace
}  // namespace contain::engine
