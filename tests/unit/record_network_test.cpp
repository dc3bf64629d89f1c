// engine/record/network.hpp: the record of a managed network read and written as
// the previous binary wrote it; each corrupt field refused with its message.
#include <gtest/gtest.h>

#include "engine/record/network.hpp"
#include "engine/record_schema.hpp"

namespace contain::engine {
namespace {

using nlohmann::json;

std::string why(const json& j) {
  auto r = NetworkRecord::from_json(j);
  return r ? "valid" : r.error().message();
}

// A dual-stack network with a range, an MTU, an attachment by name, one by
// identity (pid:), one being made, and an address being released, as
// network create/attach and a container's exit wrote them.
const json kOld = json::parse(R"({
  "name": "web", "subnet": "192.0.2.0/24", "gateway": "192.0.2.1",
  "range_start": "192.0.2.10", "range_end": "192.0.2.20", "mtu": 1400,
  "bridge": "cn-web", "nat": false, "isolated": true,
  "more_subnets": [{"subnet": "2001:db8::/64", "gateway": "2001:db8::1"}],
  "attachments": [
    {"owner": "netns/a", "netns": "a", "ifname": "eth0", "host": "vc1",
     "address": "192.0.2.10", "more_addresses": ["2001:db8::2"]},
    {"owner": "nsid/4:4026532281", "netns": null, "netns_id": "4:4026532281", "ref": "pid:42",
     "ifname": "eth1", "host": "vc2", "address": "192.0.2.11",
     "more_addresses": ["2001:db8::3"], "phase": "creating"}],
  "releasing": [{"address": "192.0.2.12", "host": "vc3", "ifindex": 9,
                 "more_addresses": ["2001:db8::4"]},
                {"address": "192.0.2.13", "host": "vc4", "ifindex": 0}],
  "phase": "deleting"})");

// A network of one subnet as create wrote it (no range, no MTU, no releasing).
const json kPlain = json::parse(R"({
  "name": "db", "subnet": "198.51.100.0/24", "gateway": "198.51.100.1", "bridge": "cn-db",
  "nat": true, "isolated": true, "attachments": []})");

TEST(NetworkRecord, ReadsWhatThePreviousBinaryWrote) {
  auto r = NetworkRecord::from_json(kOld);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ("web", r->name);
  EXPECT_EQ("192.0.2.0/24", r->first.subnet.str());
  EXPECT_EQ("192.0.2.1", r->first.gateway.str());
  EXPECT_EQ("192.0.2.10", r->first.range_start.value().str());
  EXPECT_EQ("192.0.2.20", r->first.range_end.value().str());
  EXPECT_EQ(1400u, r->mtu);
  EXPECT_EQ("cn-web", r->bridge);
  EXPECT_FALSE(r->nat);
  EXPECT_TRUE(r->isolated);
  EXPECT_EQ(record::Phase::deleting, r->phase);
  ASSERT_EQ(1u, r->more_subnets.size());
  EXPECT_EQ("2001:db8::/64", r->more_subnets[0].subnet.str());
  EXPECT_FALSE(r->more_subnets[0].range_start);
  ASSERT_EQ(2u, r->attachments.size());
  EXPECT_EQ("a", r->attachments[0].netns.value());
  EXPECT_FALSE(r->attachments[0].netns_id);
  EXPECT_FALSE(r->attachments[1].netns);
  EXPECT_EQ("pid:42", r->attachments[1].ref.value());
  EXPECT_EQ(record::Phase::creating, r->attachments[1].phase);
  EXPECT_EQ("2001:db8::3", r->attachments[1].more_addresses.at(0).str());
  ASSERT_EQ(2u, r->releasing.size());
  EXPECT_EQ(9, r->releasing[0].ifindex);
  EXPECT_EQ("192.0.2.13", r->releasing[1].address.str());
  EXPECT_TRUE(r->releasing[1].more_addresses.empty());
  EXPECT_NE(nullptr, r->attachment_of("netns/a"));
  EXPECT_EQ(nullptr, r->attachment_of("netns/b"));
  // Written back exactly so.
  EXPECT_EQ(kOld, r->to_json());

  auto plain = NetworkRecord::from_json(kPlain);
  ASSERT_TRUE(plain) << plain.error().message();
  EXPECT_EQ(0u, plain->mtu);
  EXPECT_FALSE(plain->first.range_start);
  EXPECT_EQ(kPlain, plain->to_json());
}

TEST(NetworkRecord, DefaultsOfOptionalFields) {
  json j = kPlain;
  j.erase("nat");
  j.erase("isolated");
  auto r = NetworkRecord::from_json(j);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->nat);
  EXPECT_TRUE(r->isolated);
  // An attachment written before "ifname" and "netns" were: read, written with them.
  j["attachments"] = json::parse(R"([{"owner": "o", "host": "h", "address": "198.51.100.2"}])");
  r = NetworkRecord::from_json(j);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(json::parse(R"({"owner": "o", "netns": null, "ifname": "", "host": "h",
                            "address": "198.51.100.2"})"),
            r->attachments[0].to_json());
}

TEST(NetworkRecord, RoundTrip) {
  NetworkRecord r;
  r.name = "n";
  r.first.subnet = *Cidr::parse("203.0.113.0/24");
  r.first.gateway = *IpAddress::parse("203.0.113.1");
  r.bridge = "cn-n";
  NetworkAttachmentRecord a;
  a.owner = "container/c";
  a.host = "vc9";
  a.address = *IpAddress::parse("203.0.113.5");
  r.attachments.push_back(a);
  r.releasing.push_back({*IpAddress::parse("203.0.113.6"), "vc8", 3, {}});
  auto again = NetworkRecord::from_json(r.to_json());
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(r.to_json(), again->to_json());
  EXPECT_FALSE(r.to_json().contains("more_subnets"));
  EXPECT_FALSE(r.to_json().contains("mtu"));
  EXPECT_FALSE(r.to_json().contains("phase"));
}

TEST(NetworkRecord, ToleratesUnknownKeys) {
  json j = kOld;
  j["later"] = {1, 2};
  j["attachments"][0]["later"] = true;
  j["releasing"][0]["later"] = "x";
  j["more_subnets"][0]["later"] = nullptr;
  EXPECT_EQ("valid", why(j));
}

// A record a newer version wrote, rewritten after a change (an attachment
// released, a detach): what this version does not know stays, at the top and
// in the attachments, releasing entries and further subnets kept.
TEST(NetworkRecord, KeepsUnknownKeysWhenRewritten) {
  json j = kOld;
  j["later"] = {1, 2};
  j["attachments"][1]["later"] = true;
  j["releasing"][0]["later"] = "x";
  j["more_subnets"][0]["later"] = nullptr;
  auto r = NetworkRecord::from_json(j);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(j, r->to_json());
  r->attachments.erase(r->attachments.begin());
  r->releasing.pop_back();
  json out = r->to_json();
  EXPECT_EQ(json({1, 2}), out["later"]);
  ASSERT_EQ(1u, out["attachments"].size());
  EXPECT_EQ(true, out["attachments"][0]["later"]);
  EXPECT_EQ("x", out["releasing"][0]["later"]);
  ASSERT_TRUE(out["more_subnets"][0].contains("later"));
  // An unknown key does not make a corrupt field readable.
  j["attachments"][1]["address"] = "nowhere";
  EXPECT_NE("valid", why(j));
  EXPECT_EQ(why(j), [] {
    json k = kOld;
    k["attachments"][1]["address"] = "nowhere";
    return why(k);
  }());
}

TEST(NetworkRecord, RefusesEachCorruptField) {
  auto with = [](const char* pointer, json value) {
    json j = kOld;
    j[json::json_pointer(pointer)] = std::move(value);
    return why(j);
  };
  auto without = [](const char* pointer) {
    json j = kOld;
    json::json_pointer p(pointer);
    j[p.parent_pointer()].erase(p.back());
    return why(j);
  };
  EXPECT_EQ("field \"name\" is missing", without("/name"));
  EXPECT_EQ("field \"name\" is not a string", with("/name", 1));
  EXPECT_EQ("field \"subnet\" is missing", without("/subnet"));
  EXPECT_EQ("field \"subnet\" is not a string", with("/subnet", 24));
  EXPECT_EQ(0u, with("/subnet", "192.0.2.0").find("field \"subnet\" is not a CIDR: "));
  EXPECT_EQ("field \"gateway\" is missing", without("/gateway"));
  EXPECT_EQ(0u, with("/gateway", "gw").find("field \"gateway\" is not an address: "));
  EXPECT_EQ(0u, with("/range_start", "x").find("field \"range_start\" is not an address: "));
  EXPECT_EQ("field \"range_end\" is not a string", with("/range_end", false));
  EXPECT_EQ("field \"range_end\" is missing", without("/range_end"));
  EXPECT_EQ("field \"range_start\" is missing", without("/range_start"));
  EXPECT_EQ("field \"mtu\" is not a non-negative integer", with("/mtu", -1));
  EXPECT_EQ("field \"mtu\" is not a non-negative integer", with("/mtu", "1400"));
  EXPECT_EQ("field \"bridge\" is missing", without("/bridge"));
  EXPECT_EQ("field \"nat\" is not true or false", with("/nat", 1));
  EXPECT_EQ("field \"isolated\" is not true or false", with("/isolated", "yes"));
  EXPECT_EQ("field \"phase\" is not \"creating\" or \"deleting\"", with("/phase", "gone"));
  EXPECT_EQ("field \"attachments\" is missing", without("/attachments"));
  EXPECT_EQ("field \"attachments\" is not an array of objects", with("/attachments", "a"));
  EXPECT_EQ("field \"attachments\" is not an array of objects", with("/attachments/0", 1));
  EXPECT_EQ("field \"attachments\"[0].\"owner\" is missing", without("/attachments/0/owner"));
  EXPECT_EQ("field \"attachments\"[1].\"netns\" is not a string", with("/attachments/1/netns", 1));
  EXPECT_EQ("field \"attachments\"[1].\"netns_id\" is not a string",
            with("/attachments/1/netns_id", 1));
  EXPECT_EQ("field \"attachments\"[1].\"ref\" is not a string", with("/attachments/1/ref", 1));
  EXPECT_EQ("field \"attachments\"[0].\"ifname\" is not a string",
            with("/attachments/0/ifname", 0));
  EXPECT_EQ("field \"attachments\"[1].\"host\" is not a string", with("/attachments/1/host", 3));
  EXPECT_EQ("field \"attachments\"[0].\"host\" is missing", without("/attachments/0/host"));
  EXPECT_EQ("field \"attachments\"[0].\"address\" is missing", without("/attachments/0/address"));
  EXPECT_EQ(0u, with("/attachments/0/address", "192.0.2.300")
                    .find("field \"attachments\"[0].\"address\" is not an address: "));
  EXPECT_EQ("field \"attachments\"[0].\"more_addresses\" is not an array of strings",
            with("/attachments/0/more_addresses", json::array({7})));
  EXPECT_EQ(0u, with("/attachments/0/more_addresses/0", "x")
                    .find("field \"attachments\"[0].\"more_addresses\"[0] is not an address: "));
  EXPECT_EQ("field \"attachments\"[1].\"phase\" is not \"creating\" or \"deleting\"",
            with("/attachments/1/phase", true));
  EXPECT_EQ("field \"releasing\" is not an array of objects",
            with("/releasing", json::array({"192.0.2.4"})));
  EXPECT_EQ("field \"releasing\"[0].\"address\" is missing", without("/releasing/0/address"));
  EXPECT_EQ(0u, with("/releasing/0/address", "")
                    .find("field \"releasing\"[0].\"address\" is not an "
                          "address: "));
  EXPECT_EQ("field \"releasing\"[0].\"host\" is not a string", with("/releasing/0/host", 1));
  EXPECT_EQ("field \"releasing\"[0].\"ifindex\" is not an integer",
            with("/releasing/0/ifindex", "9"));
  EXPECT_EQ("field \"releasing\"[0].\"more_addresses\" is not an array of strings",
            with("/releasing/0/more_addresses", "2001:db8::4"));
  EXPECT_EQ("field \"more_subnets\" is not an array of objects", with("/more_subnets", 1));
  EXPECT_EQ("field \"more_subnets\"[0].\"gateway\" is missing", without("/more_subnets/0/gateway"));
  EXPECT_EQ(0u, with("/more_subnets/0/subnet", "2001:db8::")
                    .find("field \"more_subnets\"[0].\"subnet\" is not a CIDR: "));
  // The store says the same (engine/record_schema.cpp routes the kind here).
  EXPECT_TRUE(validate_record(NetworkRecord::kKind, kOld));
  json no_host = kOld;
  no_host["attachments"][0].erase("host");
  auto refused = validate_record(NetworkRecord::kKind, no_host);
  ASSERT_FALSE(refused);
  EXPECT_EQ("field \"attachments\"[0].\"host\" is missing", refused.error().message());
}

}  // namespace
}  // namespace contain::engine
