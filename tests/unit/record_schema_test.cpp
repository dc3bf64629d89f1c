#include "engine/record_schema.hpp"

#include <gtest/gtest.h>

#include "engine/records.hpp"

namespace contain::engine {
namespace {

using nlohmann::json;

std::string why(std::string_view kind, const json& record) {
  auto valid = validate_record(kind, record);
  return valid ? std::string("valid") : valid.error().message();
}

json container() {
  return {{"name", "web"},     {"id", "ab"},         {"status", "running"},
          {"pid", 42},         {"pid_start", 7u},    {"monitor_pid", 41},
          {"command", {"sh"}}, {"address", nullptr}, {"ports", json::array()},
          {"detached", false}, {"rootfs", "/srv/r"}};
}

json network() {
  return {
      {"name", "web"},
      {"subnet", "192.0.2.0/24"},
      {"gateway", "192.0.2.1"},
      {"bridge", "cn-web"},
      {"nat", true},
      {"attachments",
       {{{"owner", "netns/a"}, {"netns", "a"}, {"host", "vc1"}, {"address", "192.0.2.2"}},
        {{"owner", "container/c"}, {"netns", nullptr}, {"host", "vc2"}, {"address", "192.0.2.3"}}}},
      {"releasing", {{{"address", "192.0.2.4"}, {"host", "vc3"}, {"ifindex", 9}}}}};
}

TEST(RecordSchema, WellFormedRecordsOfEveryKindAreValid) {
  EXPECT_EQ("valid", why(kContainerKind, container()));
  EXPECT_EQ("valid", why(kNetworkKind, network()));
  EXPECT_EQ("valid",
            why(kNetnsKind, {{"name", "a"},
                             {"created", true},
                             {"links", {{{"name", "vc1"}, {"ifindex", 0}, {"peer", "eth0"}}}}}));
  EXPECT_EQ("valid", why(kNatKind, {{"subnet", "192.0.2.0/24"}, {"out", nullptr}, {"owner", ""}}));
  EXPECT_EQ("valid", why(kForwardKind, {{"protocol", "tcp"},
                                        {"host_port", 8080},
                                        {"host_address", nullptr},
                                        {"to", "a:80"},
                                        {"targets",
                                         {{{"address", "192.0.2.2"},
                                           {"port", 80},
                                           {"subnet", "192.0.2.0/24"},
                                           {"localnet", nullptr}}}}}));
  EXPECT_EQ("valid", why(kShapeKind, {{"target", {{"dev", "eth0"}}},
                                      {"rate", "1mbit"},
                                      {"devices", {{{"netns", nullptr}, {"ifname", "eth0"}}}}}));
  EXPECT_EQ("valid", why(kFirewallKind, {{"family", "inet"}, {"name", "contain"}}));
}

TEST(RecordSchema, DualStackNetworkRecords) {
  // A network of one subnet (every record before dual stack) stays valid; a
  // dual-stack one lists its further subnets and each attachment's addresses.
  json dual = network();
  dual["more_subnets"] = {{{"subnet", "2001:db8::/64"}, {"gateway", "2001:db8::1"}}};
  dual["attachments"][0]["more_addresses"] = {"2001:db8::2"};
  dual["releasing"][0]["more_addresses"] = {"2001:db8::4"};
  EXPECT_EQ("valid", why(kNetworkKind, dual));
  json no_gateway = dual;
  no_gateway["more_subnets"][0].erase("gateway");
  EXPECT_NE("valid", why(kNetworkKind, no_gateway));
  json not_strings = dual;
  not_strings["attachments"][0]["more_addresses"] = {7};
  EXPECT_NE("valid", why(kNetworkKind, not_strings));
}

TEST(RecordSchema, SchemaVersionIsCheckedAndOptional) {
  auto c = container();
  c["schema"] = kRecordSchemaVersion;
  EXPECT_EQ("valid", why(kContainerKind, c));
  c["schema"] = kRecordSchemaVersion + 1;
  EXPECT_NE(why(kContainerKind, c).find("newer than this contain's"), std::string::npos);
  c["schema"] = "1";
  EXPECT_EQ("field \"schema\" is not a non-negative integer", why(kContainerKind, c));
}

TEST(RecordSchema, Version1RecordsAndPhasesAreRead) {
  auto c = container();
  c["schema"] = 1;  // before phases: still read
  EXPECT_EQ("valid", why(kContainerKind, c));
  c["phase"] = "deleting";
  EXPECT_EQ("valid", why(kContainerKind, c));
  c["phase"] = "half";
  EXPECT_EQ("field \"phase\" is not \"creating\" or \"deleting\"", why(kContainerKind, c));
  nlohmann::json ns = {{"name", "ns1"},
                       {"created", true},
                       {"phase", "creating"},
                       {"links", {{{"name", "vh1"}, {"phase", "creating"}}}}};
  EXPECT_EQ("valid", why(kNetnsKind, ns));
  ns["links"][0]["phase"] = true;
  EXPECT_EQ("field \"links\"[0].\"phase\" is not \"creating\" or \"deleting\"",
            why(kNetnsKind, ns));
}

TEST(RecordSchema, WrongTypesAreNamed) {
  auto c = container();
  c["pid"] = "12";
  EXPECT_EQ("field \"pid\" is not an integer", why(kContainerKind, c));
  c = container();
  c["pid"] = 1ull << 40;  // no pid is that large: reading it as int would wrap
  EXPECT_EQ("field \"pid\" is not an integer", why(kContainerKind, c));
  c = container();
  c["pid_start"] = -1;
  EXPECT_EQ("field \"pid_start\" is not a non-negative integer", why(kContainerKind, c));
  c = container();
  c["command"] = {"sh", 1};
  EXPECT_EQ("field \"command\" is not an array of strings", why(kContainerKind, c));
  c = container();
  c["rootfs"] = false;
  EXPECT_EQ("field \"rootfs\" is not a string", why(kContainerKind, c));
  c = container();
  c["exit_code"] = 1.5;
  EXPECT_EQ("field \"exit_code\" is not an integer", why(kContainerKind, c));
}

TEST(RecordSchema, MissingRequiredFieldsAreNamed) {
  auto c = container();
  c.erase("status");
  EXPECT_EQ("field \"status\" is missing", why(kContainerKind, c));
  auto n = network();
  n.erase("attachments");
  EXPECT_EQ("field \"attachments\" is missing", why(kNetworkKind, n));
}

TEST(RecordSchema, NestedFieldsArePathed) {
  auto n = network();
  n["attachments"][1]["host"] = 3;
  EXPECT_EQ("field \"attachments\"[1].\"host\" is not a string", why(kNetworkKind, n));
  n = network();
  n["attachments"][0].erase("address");
  EXPECT_EQ("field \"attachments\"[0].\"address\" is missing", why(kNetworkKind, n));
  n = network();
  n["releasing"] = {"192.0.2.4"};
  EXPECT_EQ("field \"releasing\" is not an array of objects", why(kNetworkKind, n));
  EXPECT_EQ("field \"target\" is not an object",
            why(kShapeKind, {{"target", "eth0"}, {"rate", "1mbit"}}));
  EXPECT_EQ("field \"target\".\"netns\" is not a string",
            why(kShapeKind, {{"target", {{"netns", 1}}}, {"rate", "1mbit"}}));
}

TEST(RecordSchema, NotAnObjectIsCorrupt) {
  EXPECT_EQ("it is not a JSON object", why(kNatKind, json::array()));
  EXPECT_EQ("it is not a JSON object", why(kNatKind, "text"));
  EXPECT_EQ("it is not a JSON object", why("unknown-kind", nullptr));
  EXPECT_EQ("valid", why("unknown-kind", json::object()));
}

}  // namespace
}  // namespace contain::engine
