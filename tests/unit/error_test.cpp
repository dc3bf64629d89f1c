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

TEST(Error, BareSystemReasonsSayWhatToDo) {
  auto raw = Error::system("create veth vh1", EEXIST).wrap("net veth");
  EXPECT_EQ(raw.for_user(),
            "net veth: create veth vh1: File exists (it exists already: remove it or choose "
            "another name)");
  EXPECT_NE(Error::system("x", EPERM).for_user().find("run it as root"), std::string::npos);
  EXPECT_NE(Error::system("x", EHOSTDOWN).for_user().find("contain gc"), std::string::npos);
  // A message that already explains itself is left alone.
  auto explained = Error::failed("address 10.0.0.2 is in use by ns1; choose another", EEXIST);
  EXPECT_EQ(explained.for_user(), explained.message());
  EXPECT_EQ(Error::usage("bad").for_user(), "bad");
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
