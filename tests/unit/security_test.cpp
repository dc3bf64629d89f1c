#include "model/security.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

namespace contain::model {
namespace {

constexpr CapabilitySet bit(int cap) { return CapabilitySet{1} << cap; }

TEST(Capabilities, NamesWithOrWithoutPrefixAnyCase) {
  for (const char* name : {"NET_RAW", "net_raw", "CAP_NET_RAW", "cap_Net_Raw"})
    EXPECT_EQ(parse_capability(name).value(), 13) << name;
  EXPECT_EQ(parse_capability("CHECKPOINT_RESTORE").value(), 40);
  for (const char* bad : {"NOPE", "", "CAP_", "ALL", "NET RAW", "13"}) {
    auto r = parse_capability(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().exit_code(), 2);
  }
  EXPECT_EQ(capability_name(21), "CAP_SYS_ADMIN");
  EXPECT_EQ(capability_names(bit(0) | bit(5)), "CAP_CHOWN,CAP_KILL");
}

TEST(Capabilities, DockerDefaultsAreTheFourteen) {
  EXPECT_EQ(kDefaultCapabilities, 0x00000000a80425fbull);
  EXPECT_EQ(__builtin_popcountll(kDefaultCapabilities), 14);
}

TEST(Capabilities, AddDropAllAndPrivileged) {
  const CapabilitySet everything = kAllCapabilities;
  auto resolve = [&](CapabilityRequest r, CapabilitySet bounding = kAllCapabilities) {
    return resolve_capabilities(r, bounding);
  };
  EXPECT_EQ(resolve({}).value(), kDefaultCapabilities);
  EXPECT_EQ(resolve({{"SYS_ADMIN"}, {}, false}).value(), kDefaultCapabilities | bit(21));
  EXPECT_EQ(resolve({{}, {"net_raw"}, false}).value(), kDefaultCapabilities & ~bit(13));
  EXPECT_EQ(resolve({{}, {"ALL"}, false}).value(), 0u);
  EXPECT_EQ(resolve({{"CHOWN"}, {"all"}, false}).value(), bit(0));
  EXPECT_EQ(resolve({{"ALL"}, {}, false}).value(), everything);
  EXPECT_EQ(resolve({{"ALL"}, {"SYS_ADMIN"}, false}).value(), everything & ~bit(21));
  // Added and dropped: added, as Docker.
  EXPECT_EQ(resolve({{"NET_ADMIN"}, {"NET_ADMIN"}, false}).value(), kDefaultCapabilities | bit(12));
  EXPECT_EQ(resolve({{}, {}, true}).value(), everything);
}

TEST(Capabilities, IntersectedWithTheCallersBoundingSet) {
  // This machine's root lacks CAP_SYS_RESOURCE (24): never a failure, unless asked for.
  const CapabilitySet bounding = kAllCapabilities & ~bit(24) & ~bit(13);
  EXPECT_EQ(resolve_capabilities({}, bounding).value(), kDefaultCapabilities & ~bit(13));
  EXPECT_EQ(resolve_capabilities({{"ALL"}, {}, false}, bounding).value(), bounding);
  EXPECT_EQ(resolve_capabilities({{}, {}, true}, bounding).value(), bounding);
  auto asked = resolve_capabilities({{"SYS_RESOURCE"}, {}, false}, bounding);
  ASSERT_FALSE(asked);
  EXPECT_EQ(asked.error().exit_code(), 1);
  EXPECT_NE(asked.error().message().find("CAP_SYS_RESOURCE"), std::string::npos);
  auto unknown = resolve_capabilities({{"NOPE"}, {}, false}, bounding);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().exit_code(), 2);
  EXPECT_NE(unknown.error().message().find("--cap-add"), std::string::npos);
}

TEST(SecurityOpt, SeccompAndNoNewPrivileges) {
  SecurityOptions o;
  ASSERT_TRUE(apply_security_opt("seccomp=unconfined", o));
  EXPECT_EQ(o.seccomp, SecurityOptions::Seccomp::unconfined);
  ASSERT_TRUE(apply_security_opt("seccomp=/etc/p.json", o));
  EXPECT_EQ(o.seccomp, SecurityOptions::Seccomp::file);
  EXPECT_EQ(o.seccomp_file, "/etc/p.json");
  ASSERT_TRUE(apply_security_opt("no-new-privileges", o));
  EXPECT_TRUE(o.no_new_privileges);
  ASSERT_TRUE(apply_security_opt("no-new-privileges=false", o));
  EXPECT_FALSE(o.no_new_privileges);
  ASSERT_TRUE(apply_security_opt("no-new-privileges:true", o));
  EXPECT_TRUE(o.no_new_privileges);
  for (const char* bad : {"seccomp=", "seccomp", "apparmor=x", "no-new-privileges=maybe", ""})
    EXPECT_FALSE(apply_security_opt(bad, o)) << bad;
}

TEST(User, ParseAndResolve) {
  const char* passwd =
      "root:x:0:0:root:/root:/bin/sh\n# comment\nnobody:x:65534:65534:nobody:/nonexistent:/bin/"
      "false\nalice:x:1000:1000::/home/alice:/bin/sh\n";
  const char* group = "root:x:0:\nwheel:x:10:alice,bob\nalice:x:1000:\nstaff:x:50:\n";
  auto r = [&](const char* spec, std::vector<std::string> add = {}) {
    std::optional<UserRequest> req;
    if (spec) req = UserRequest::parse(spec).value();
    return resolve_user(req, add, passwd, group);
  };
  EXPECT_EQ(r(nullptr)->uid, 0u);
  EXPECT_EQ(r(nullptr)->home, "/root");
  auto alice = r("alice").value();
  EXPECT_EQ(alice.uid, 1000u);
  EXPECT_EQ(alice.gid, 1000u);
  EXPECT_EQ(alice.home, "/home/alice");
  EXPECT_EQ(alice.groups, std::vector<std::uint32_t>{10});
  auto numeric = r("1000").value();
  EXPECT_EQ(numeric.gid, 1000u);  // the entry's group
  auto stranger = r("4242").value();
  EXPECT_EQ(stranger.uid, 4242u);
  EXPECT_EQ(stranger.gid, 0u);
  EXPECT_EQ(r("nobody:staff")->gid, 50u);
  EXPECT_EQ(r("1000:7")->gid, 7u);
  EXPECT_EQ(r("alice", {"staff", "10", "99"})->groups, (std::vector<std::uint32_t>{10, 50, 99}));
  for (const char* unknown : {"mallory", "alice:nogroup"}) {
    auto bad = r(unknown);
    ASSERT_FALSE(bad) << unknown;
    EXPECT_EQ(bad.error().exit_code(), 2);
  }
  EXPECT_FALSE(r("alice", {"nogroup"}));
  for (const char* bad : {"", ":", "a:", ":b", "a b", "a:b:c"})
    EXPECT_FALSE(UserRequest::parse(bad));
  // No /etc/passwd at all: numbers still work.
  EXPECT_EQ(resolve_user(UserRequest::parse("7:8").value(), {}, "", "")->gid, 8u);
}

TEST(Ulimit, NamesValuesAndOrder) {
  auto n = Ulimit::parse("nofile=1024:2048").value();
  EXPECT_EQ(n.resource, RLIMIT_NOFILE);
  EXPECT_EQ(n.soft, 1024u);
  EXPECT_EQ(n.hard, 2048u);
  EXPECT_EQ(Ulimit::parse("nproc=64")->hard, 64u);
  EXPECT_EQ(Ulimit::parse("core=unlimited")->soft, RLIM_INFINITY);
  EXPECT_EQ(Ulimit::parse("core=-1:-1")->hard, RLIM_INFINITY);
  EXPECT_EQ(Ulimit::parse("nofile=10:20")->str(), "nofile=10:20");
  for (const char* bad : {"nofile=abc", "nofile", "nope=1", "nofile=2:1", "nofile=1:2:3",
                          "nofile=", "=1", "nofile=1:"}) {
    auto r = Ulimit::parse(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().exit_code(), 2);
  }
}

TEST(OomAndSizes, Ranges) {
  EXPECT_EQ(parse_oom_score_adj("-1000").value(), -1000);
  EXPECT_EQ(parse_oom_score_adj("500").value(), 500);
  for (const char* bad : {"1001", "-1001", "x", ""}) EXPECT_FALSE(parse_oom_score_adj(bad)) << bad;
  EXPECT_EQ(parse_docker_size("64m", "--shm-size").value(), 64ull << 20);
  EXPECT_EQ(parse_docker_size("1G", "--shm-size").value(), 1ull << 30);
  EXPECT_EQ(parse_docker_size("512kb", "--shm-size").value(), 512ull << 10);
  EXPECT_EQ(parse_docker_size("4096", "--shm-size").value(), 4096u);
  for (const char* bad : {"", "m", "0", "-1", "1t", "1.5m"})
    EXPECT_FALSE(parse_docker_size(bad, "--shm-size")) << bad;
}

TEST(Volume, HostContainerAndMode) {
  auto v = Volume::parse("/srv/data:/data:ro").value();
  EXPECT_EQ(v.host, "/srv/data");
  EXPECT_EQ(v.container, "/data");
  EXPECT_TRUE(v.read_only);
  EXPECT_FALSE(Volume::parse("/a:/b")->read_only);
  EXPECT_FALSE(Volume::parse("/a:/b:rw")->read_only);
  for (const char* bad : {"/a", "a:/b", "/a:b", "/a:/b:x", "/a:/../b", "/a:/b:ro:z", "named:/b"})
    EXPECT_FALSE(Volume::parse(bad)) << bad;
}

TEST(Tmpfs, OptionsAsDocker) {
  auto t = Tmpfs::parse("/tmp").value();
  EXPECT_EQ(t.mode, 01777u);
  EXPECT_TRUE(t.noexec && t.nosuid && t.nodev);
  EXPECT_EQ(t.mount_data(), "mode=1777");
  auto sized = Tmpfs::parse("/run:size=64m,mode=755,exec").value();
  EXPECT_EQ(sized.size, 64ull << 20);
  EXPECT_EQ(sized.mode, 0755u);
  EXPECT_FALSE(sized.noexec);
  EXPECT_EQ(sized.mount_data(), "mode=755,size=67108864");
  for (const char* bad : {"tmp", "/tmp:size=x", "/tmp:mode=9", "/tmp:bogus", "/a/../b"})
    EXPECT_FALSE(Tmpfs::parse(bad)) << bad;
}

}  // namespace
}  // namespace contain::model
