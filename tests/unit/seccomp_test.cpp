#include "kernel/seccomp.hpp"

#include <gtest/gtest.h>
#include <linux/seccomp.h>

#include "engine/security.hpp"
#include "kernel/seccomp_prebuilt.hpp"
#include "model/seccomp_profile.hpp"

namespace contain {
namespace {

namespace ms = model::seccomp;
constexpr model::CapabilitySet bit(int cap) { return model::CapabilitySet{1} << cap; }

ms::Profile default_profile() {
  return ms::parse_profile(ms::default_profile_json(), "default").value();
}

bool allows(const ms::Profile& resolved, std::string_view name) {
  for (const auto& rule : resolved.rules)
    for (const auto& n : rule.names)
      if (n == name && rule.action == ms::Action::allow) return true;
  return false;
}

TEST(SeccompProfile, DefaultParsesAndDependsOnCapabilities) {
  auto profile = default_profile();
  EXPECT_EQ(profile.default_action, ms::Action::errno_);
  EXPECT_EQ(profile.default_errno, 1u);
  auto plain = ms::resolve(profile, model::kDefaultCapabilities, "amd64");
  EXPECT_TRUE(allows(plain, "read"));
  EXPECT_TRUE(allows(plain, "chroot"));  // CAP_SYS_CHROOT is a default
  EXPECT_TRUE(allows(plain, "arch_prctl"));
  EXPECT_FALSE(allows(plain, "mount"));
  EXPECT_FALSE(allows(plain, "init_module"));
  EXPECT_FALSE(allows(plain, "set_tls"));  // ARM only
  EXPECT_EQ(plain.architectures,
            (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  auto admin = ms::resolve(profile, model::kDefaultCapabilities | bit(21), "amd64");
  EXPECT_TRUE(allows(admin, "mount"));
  EXPECT_TRUE(allows(admin, "unshare"));
  EXPECT_TRUE(allows(admin, "clone3"));
  auto none = ms::resolve(profile, 0, "amd64");
  EXPECT_FALSE(allows(none, "chroot"));
  EXPECT_TRUE(ms::capabilities_that_matter(profile) & bit(21));
  EXPECT_FALSE(ms::capabilities_that_matter(profile) & bit(13));
}

TEST(SeccompProfile, RefusesWhatIsNotAProfile) {
  for (
      const char* bad :
      {"", "not json", "[]", "{}", R"({"defaultAction":"SCMP_ACT_NOPE"})",
       R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"]}]})",
       R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":6,"op":"SCMP_CMP_EQ","value":1}]}]})",
       R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"op":"SCMP_CMP_WHAT","value":1}]}]})",
       R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":[],"action":"SCMP_ACT_ALLOW"}]})",
       R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":{}})",
       // An archMap entry whose subArchitectures are not names (the fuzzer's
       // leak: the error came after the architecture's name was built).
       R"({"defaultAction":"SCMP_ACT_ERRNO","archMap":[{"architecture":"SCMP_ARCH_X86_64_LONGER_NAME","subArchitectures":["SCMP_ARCH_X86",{}]}]})"}) {
    auto r = ms::parse_profile(bad, "p.json");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().exit_code(), 2);
    EXPECT_NE(r.error().message().find("p.json"), std::string::npos);
  }
  auto minimal = ms::parse_profile(
      R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"mkdir","action":"SCMP_ACT_ERRNO","errnoRet":13,"comment":"x"}]})",
      "p.json");
  ASSERT_TRUE(minimal);
  EXPECT_EQ(minimal->rules.at(0).names, std::vector<std::string>{"mkdir"});
  EXPECT_EQ(minimal->rules.at(0).errno_ret, 13u);
}

TEST(SeccompCompile, PrebuiltIsTheDefaultProfileCompiledNow) {
  auto profile = default_profile();
  auto prebuilt = kernel::seccomp::prebuilt_default();
  EXPECT_EQ(prebuilt.relevant, ms::capabilities_that_matter(profile));
  auto now = kernel::seccomp::compile(
      ms::resolve(profile, model::kDefaultCapabilities, kernel::seccomp::native_arch()));
  ASSERT_TRUE(now) << now.error().message();
  ASSERT_EQ(now->size(), prebuilt.program.size());
  for (std::size_t i = 0; i < now->size(); ++i) {
    EXPECT_EQ((*now)[i].code, prebuilt.program[i].code) << i;
    EXPECT_EQ((*now)[i].k, prebuilt.program[i].k) << i;
  }
  // Capabilities the filter does not depend on reuse the prebuilt program.
  auto dropped = engine::seccomp_program({}, model::kDefaultCapabilities & ~bit(13));
  ASSERT_TRUE(dropped);
  EXPECT_EQ(dropped->size(), prebuilt.program.size());
  auto admin = engine::seccomp_program({}, model::kDefaultCapabilities | bit(21));
  ASSERT_TRUE(admin);
  EXPECT_NE(admin->size(), prebuilt.program.size());
}

TEST(SeccompCompile, NewerCallsAnswerEnosysBeforeTheProfile) {
  auto program = engine::seccomp_program({}, model::kDefaultCapabilities).value();
  // The prefix ends with a return of ENOSYS.
  bool enosys = false;
  for (std::size_t i = 0; i < 12 && i < program.size(); ++i)
    enosys |= program[i].code == (BPF_RET | BPF_K) && program[i].k == (SECCOMP_RET_ERRNO | ENOSYS);
  EXPECT_TRUE(enosys);
}

}  // namespace
}  // namespace contain
