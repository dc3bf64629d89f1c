// Which signals a container child must set back to default before exec.
#include "kernel/process.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <cstdint>

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
