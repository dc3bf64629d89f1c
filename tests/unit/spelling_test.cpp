#include "core/spelling.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string_view>

namespace contain {
namespace {

TEST(Spelling, EditDistance) {
  EXPECT_EQ(edit_distance("links", "linkz"), 1u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(Spelling, ClosestWithinTheLimitOnly) {
  std::array<std::string_view, 3> options{"--hostname", "--network", "--name"};
  EXPECT_EQ(closest("--hostnme", options, 3).value_or(""), "--hostname");
  EXPECT_EQ(closest("--nmae", options, 2).value_or(""), "--name");
  EXPECT_FALSE(closest("--memory", options, 2));
  EXPECT_FALSE(closest("x", std::array<std::string_view, 0>{}, 5));
}

}  // namespace
}  // namespace contain
