#include "core/error.hpp"

#include <gtest/gtest.h>

#include "core/undo.hpp"

namespace contain {
namespace {

Result<int> inner() { return fail(Error::system("open /x", ENOENT)); }
Result<int> outer() {
  int v = TRY_WRAP(inner(), "load config");
  return v + 1;
}

TEST(Error, KeepsErrnoAndAddsContext) {
  auto r = outer();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ENOENT);
  EXPECT_EQ(r.error().message(), "load config: open /x: No such file or directory");
  EXPECT_EQ(r.error().exit_code(), 1);
  EXPECT_EQ(Error::usage("bad").exit_code(), 2);
  EXPECT_EQ(Error::failed("x").with_exit_code(127).exit_code(), 127);
}

TEST(Undo, RunsStepsInReverseUnlessCommitted) {
  std::string log;
  {
    Undo undo;
    undo.add([&] { log += "a"; });
    undo.add([&] { log += "b"; });
  }
  EXPECT_EQ(log, "ba");
  {
    Undo undo;
    undo.add([&] { log += "c"; });
    undo.commit();
  }
  EXPECT_EQ(log, "ba");
}

}  // namespace
}  // namespace contain
