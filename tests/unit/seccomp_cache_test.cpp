// The cache of compiled seccomp programs: keys that tell every input apart,
// and entries that give back their program only for their own key.
#include "model/seccomp_cache.hpp"

#include <gtest/gtest.h>

#include <string>

namespace contain::model::seccomp {
namespace {

using contain::seccomp::Action;
using contain::seccomp::Compare;
using contain::seccomp::Profile;

Profile sample() {
  Profile p;
  p.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"};
  p.rules.push_back({{"read", "write"}, Action::allow});
  p.rules.push_back({{"personality"}, Action::allow, 1, {{0, Compare::eq, 8, 0}}});
  return p;
}

TEST(SeccompCacheKey, EveryInputChangesIt) {
  std::string base = cache_key(sample(), "libseccomp 2.5.4");
  EXPECT_EQ(base, cache_key(sample(), "libseccomp 2.5.4"));
  EXPECT_NE(base, cache_key(sample(), "libseccomp 2.5.5"));
  auto changed = [&](auto change) {
    Profile p = sample();
    change(p);
    return cache_key(p, "libseccomp 2.5.4");
  };
  EXPECT_NE(base, changed([](Profile& p) { p.default_errno = 38; }));
  EXPECT_NE(base, changed([](Profile& p) { p.default_action = Action::kill_process; }));
  EXPECT_NE(base, changed([](Profile& p) { p.architectures.pop_back(); }));
  EXPECT_NE(base, changed([](Profile& p) { p.rules[0].names = {"readwrite"}; }));
  EXPECT_NE(base, changed([](Profile& p) { p.rules[1].args[0].value = 9; }));
  EXPECT_NE(base, changed([](Profile& p) { p.rules[1].args[0].op = Compare::masked_eq; }));
  EXPECT_NE(base, changed([](Profile& p) { p.rules[1].errno_ret = 13; }));
  EXPECT_NE(base, changed([](Profile& p) { std::swap(p.rules[0], p.rules[1]); }));
  // Names are length-prefixed: ["a b"] and ["a", "b"] differ.
  EXPECT_NE(changed([](Profile& p) { p.rules[0].names = {"a b"}; }), changed([](Profile& p) {
              p.rules[0].names = {"a", "b"};
            }));
}

TEST(SeccompCacheFile, NameIsSixteenHexDigits) {
  std::string name = cache_file_name("key");
  EXPECT_EQ(name.size(), 16u);
  EXPECT_EQ(name.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(name, cache_file_name("key2"));
}

TEST(SeccompCacheFile, RoundTripOnlyForItsOwnKey) {
  std::string program(16, '\x01');
  std::string file = encode_cache_entry("the key", program);
  EXPECT_EQ(decode_cache_entry(file, "the key"), program);
  EXPECT_FALSE(decode_cache_entry(file, "the kez"));
  EXPECT_FALSE(decode_cache_entry(file, "the ke"));
  EXPECT_FALSE(decode_cache_entry(file.substr(0, file.size() - 1), "the key"));   // partial insn
  EXPECT_FALSE(decode_cache_entry(file.substr(0, file.size() - 16), "the key"));  // no program
  EXPECT_FALSE(decode_cache_entry("x" + file, "the key"));
  EXPECT_FALSE(decode_cache_entry("", "the key"));
  EXPECT_FALSE(decode_cache_entry("contain seccomp program 1\n5\nnope!xxxxxxxx", "the key"));
  EXPECT_FALSE(decode_cache_entry("contain seccomp program 1\n99999999999999999999999\n", "k"));
  EXPECT_FALSE(decode_cache_entry(encode_cache_entry("k", std::string(4097 * 8, 'a')), "k"));
  EXPECT_TRUE(decode_cache_entry(encode_cache_entry("k", std::string(4096 * 8, 'a')), "k"));
}

}  // namespace
}  // namespace contain::model::seccomp
