#include "core/names.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace contain {
namespace {

TEST(NetnsName, AcceptsOrdinaryNames) {
  for (const char* ok : {"ns1", "blue-net", "a.b_c", "x", "-leading-dash"})
    EXPECT_TRUE(NetnsName::parse(ok)) << ok;
  EXPECT_TRUE(NetnsName::parse(std::string(255, 'n')));
}

TEST(NetnsName, RefusesWhatCannotBeAFileOrIsConfusing) {
  for (std::string bad :
       std::vector<std::string>{"", ".", "..", "a/b", "/", "a b", "tab\there",
                                std::string("nul\0x", 5), std::string(256, 'n')}) {
    auto r = NetnsName::parse(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind(), ErrorKind::usage);
    EXPECT_EQ(r.error().exit_code(), 2);
    EXPECT_NE(r.error().message().find("namespace name"), std::string::npos);
  }
}

TEST(IfName, FollowsTheKernelsRules) {
  EXPECT_TRUE(IfName::parse("veth0"));
  EXPECT_TRUE(IfName::parse("abcdefghijklmno"));  // 15 bytes
  for (std::string bad :
       std::vector<std::string>{"", ".", "..", "abcdefghijklmnop", "a:b", "a/b", "a b", "a\nb"})
    EXPECT_FALSE(IfName::parse(bad)) << bad;
}

// Found by tests/fuzz/names: the kernel turns "v%d" into v0, v1, ... (dev_alloc_name),
// so the link would not have the name recorded for it.
TEST(IfName, RefusesAPatternTheKernelWouldExpand) {
  for (const char* bad : {"v%d", "%", "veth%%"}) {
    auto r = IfName::parse(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message().find("'%'"), std::string::npos) << r.error().message();
  }
}

TEST(Quote, EscapesWhatDoesNotPrint) {
  EXPECT_EQ(quote("a\"b"), "\"a\\\"b\"");
  EXPECT_EQ(quote(std::string("x\0y", 3)), "\"x\\x00y\"");
  EXPECT_EQ(quote("tab\t"), "\"tab\\x09\"");
}

}  // namespace
}  // namespace contain
