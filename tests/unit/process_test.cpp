// Which signals a container child must set back to default before exec.
#include "kernel/process.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "kernel/caps.hpp"

namespace {

std::uint64_t bit(int sig) { return std::uint64_t{1} << (sig - 1); }

void on_signal(int) {}

}  // namespace

TEST(SignalsNotDefault, IgnoredAndCaughtButNotDefault) {
  struct sigaction ignore {
  }, catch_it{}, old_usr2{}, old_winch{};
  ignore.sa_handler = SIG_IGN;
  catch_it.sa_handler = on_signal;
  ASSERT_EQ(::sigaction(SIGUSR2, &ignore, &old_usr2), 0);
  ASSERT_EQ(::sigaction(SIGWINCH, &catch_it, &old_winch), 0);
  std::uint64_t changed = contain::kernel::signals_not_default();
  EXPECT_TRUE(changed & bit(SIGUSR2)) << "an ignored signal";
  EXPECT_TRUE(changed & bit(SIGWINCH)) << "a caught signal";
  EXPECT_NE(changed, ~std::uint64_t{0}) << "the file was read";
  ::sigaction(SIGUSR2, &old_usr2, nullptr);
  ::sigaction(SIGWINCH, &old_winch, nullptr);
  changed = contain::kernel::signals_not_default();
  EXPECT_FALSE(changed & bit(SIGUSR2));
  EXPECT_FALSE(changed & bit(SIGWINCH));
}

// kernel/caps asks prctl for each capability instead of reading CapBnd.
TEST(BoundingSet, AsProcSelfStatusShowsIt) {
  std::ifstream status("/proc/self/status");
  std::string line;
  std::uint64_t from_status = 0;
  bool found = false;
  while (std::getline(status, line))
    if (line.starts_with("CapBnd:")) {
      from_status = std::stoull(line.substr(7), nullptr, 16);
      found = true;
    }
  ASSERT_TRUE(found);
  auto set = contain::kernel::bounding_set();
  ASSERT_TRUE(set) << set.error().message();
  EXPECT_EQ(*set, from_status);
  EXPECT_NE(*set, 0u);  // some capability is in every test runner's bounding set
}
