// Random names and ids: the right length, hex only, different each time.
#include "core/random.hpp"

#include <gtest/gtest.h>

TEST(RandomHex, LengthAlphabetAndVariety) {
  std::string a = contain::random_hex(32), b = contain::random_hex(32);
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos) << a;
  EXPECT_NE(a, b);
  EXPECT_EQ(contain::random_hex(0), "");
}
