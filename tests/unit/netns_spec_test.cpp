#include "model/netns_spec.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/netns_id.hpp"

namespace contain::model {
namespace {

TEST(NetnsSpec, APlainNameIsANameUnderRunNetns) {
  auto s = NetnsSpec::parse("ns1");
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->name());
  EXPECT_EQ(s->name()->str(), "ns1");
  // Names keep their rules: a ':' elsewhere is still a name.
  auto odd = NetnsSpec::parse("a:b");
  ASSERT_TRUE(odd);
  ASSERT_TRUE(odd->name());
  EXPECT_EQ(odd->str(), "a:b");
}

TEST(NetnsSpec, PidIsAProcessId) {
  auto s = NetnsSpec::parse("pid:1234");
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->pid());
  EXPECT_EQ(s->pid()->value, 1234);
  EXPECT_EQ(NetnsSpec::parse("pid:4194304")->pid()->value, 4194304);
  EXPECT_EQ(NetnsSpec::parse("pid:1")->str(), "pid:1");
}

TEST(NetnsSpec, RefusesWhatIsNotAProcessId) {
  for (std::string bad :
       std::vector<std::string>{"pid:", "pid:0", "pid:-1", "pid:+5", "pid:12a", "pid: 1",
                                "pid:4194305", "pid:99999999999999999999", "pid:0x10", "pid:1.5"}) {
    auto r = NetnsSpec::parse(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().exit_code(), 2) << bad;
    EXPECT_NE(r.error().message().find(quote(bad)), std::string::npos) << r.error().message();
  }
}

TEST(NetnsSpec, AnythingWithASlashIsAPath) {
  for (const char* p : {"/proc/42/ns/net", "/var/run/docker/netns/abc", "./here", "a/b", "/",
                        "/with space/and:colon", "pid/1", "container/x"}) {
    auto s = NetnsSpec::parse(p);
    ASSERT_TRUE(s) << p;
    ASSERT_TRUE(s->path()) << p;
    EXPECT_EQ(s->path()->value, p);
    EXPECT_EQ(s->str(), p);
  }
}

TEST(NetnsSpec, RefusesPathsTheKernelCannotOpen) {
  EXPECT_FALSE(NetnsSpec::parse(std::string("/a\0b", 4)));
  EXPECT_TRUE(NetnsSpec::parse("/" + std::string(4094, 'x')));
  auto r = NetnsSpec::parse("/" + std::string(4095, 'x'));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().exit_code(), 2);
}

TEST(NetnsSpec, ContainerNamesAContainer) {
  auto s = NetnsSpec::parse("container:db");
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->container());
  EXPECT_EQ(s->container()->str(), "db");
  EXPECT_EQ(s->str(), "container:db");
  for (const char* bad : {"container:", "container:-x", "container:a b", "container:a:b"}) {
    auto r = NetnsSpec::parse(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().exit_code(), 2);
    EXPECT_NE(r.error().message().find("container"), std::string::npos);
  }
}

TEST(NetnsSpec, NameErrorsAreUnchanged) {
  for (std::string bad : std::vector<std::string>{"", ".", "..", "a b", std::string(256, 'n')}) {
    auto spec = NetnsSpec::parse(bad);
    auto name = NetnsName::parse(bad);
    ASSERT_FALSE(spec) << bad;
    ASSERT_FALSE(name);
    EXPECT_EQ(spec.error().message(), name.error().message());
  }
}

TEST(NetnsSpec, StrRoundTrips) {
  for (const char* text : {"ns1", "pid:77", "/proc/77/ns/net", "container:web", "x:y"}) {
    auto s = NetnsSpec::parse(text);
    ASSERT_TRUE(s) << text;
    auto again = NetnsSpec::parse(s->str());
    ASSERT_TRUE(again) << text;
    EXPECT_EQ(*again, *s) << text;
  }
}

TEST(NetnsId, RoundTripsAndRefusesTheRest) {
  NetnsId id{4, 4026532567};
  EXPECT_EQ(id.str(), "4:4026532567");
  EXPECT_EQ(NetnsId::parse(id.str()), id);
  for (const char* bad :
       {"", ":", "4:", ":5", "4:5:6", "a:1", "04:5", "4:5 ", "-4:5", "18446744073709551616:1"})
    EXPECT_FALSE(NetnsId::parse(bad)) << bad;
}

}  // namespace
}  // namespace contain::model
