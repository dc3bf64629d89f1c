// Resource limits without root: Docker's unit conversions, the files the v1
// and v2 writers produce (the v2 writer over a fake cgroupfs tree in a
// temporary folder, since this machine has no v2 controllers), the layout
// parsers, and the v2 eBPF device program, run in a small interpreter and
// compared with the allow-list's own decisions.
#include "model/cgroups.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/container/cgroups.hpp"
#include "kernel/cgroup.hpp"

namespace contain {
namespace {

using model::ResourceLimits;
namespace fs = std::filesystem;

TEST(CgroupLimits, CpusBecomeQuotaAndPeriod) {
  EXPECT_EQ(*model::parse_cpus("0.5"), 500000000);
  EXPECT_EQ(*model::parse_cpus("2"), 2000000000);
  EXPECT_EQ(*model::parse_cpus(".25"), 250000000);
  EXPECT_EQ(*model::parse_cpus("1.000000001"), 1000000001);
  for (const char* bad : {"0", "0.0", "-1", "abc", "1.", "", ".", "1.0000000001", "1025", "1e3"})
    EXPECT_FALSE(model::parse_cpus(bad)) << bad;
  EXPECT_EQ(model::cpu_quota(500000000).quota_us, 50000);
  EXPECT_EQ(model::cpu_quota(500000000).period_us, 100000);
  EXPECT_EQ(model::cpu_quota(2000000000).quota_us, 200000);
  EXPECT_EQ(model::cpu_quota(1000000).quota_us, 1000);  // the kernel's minimum
}

TEST(CgroupLimits, SharesBecomeWeight) {
  // runc's and crun's conversion: 2 -> 1, 1024 -> 39, 262144 -> 10000.
  EXPECT_EQ(model::cpu_weight_from_shares(2), 1u);
  EXPECT_EQ(model::cpu_weight_from_shares(1024), 39u);
  EXPECT_EQ(model::cpu_weight_from_shares(262144), 10000u);
  EXPECT_EQ(model::cpu_weight_from_shares(0), 100u);  // unset: the kernel's default
  EXPECT_FALSE(model::parse_cpu_shares("1"));
  EXPECT_FALSE(model::parse_cpu_shares("262145"));
  EXPECT_EQ(*model::parse_cpu_shares("512"), 512u);
}

TEST(CgroupLimits, MemorySwapAsDocker) {
  ResourceLimits l;
  EXPECT_FALSE(model::memsw_limit(l));
  l.memory = 64 << 20;
  EXPECT_EQ(*model::memsw_limit(l), 128 << 20);  // default: as much swap as memory
  EXPECT_EQ(*model::swap_max(l), std::to_string(64 << 20));
  l.memory_swap = 64 << 20;
  EXPECT_EQ(*model::swap_max(l), "0");  // equal: no swap
  l.memory_swap = -1;
  EXPECT_EQ(*model::memsw_limit(l), -1);
  EXPECT_EQ(*model::swap_max(l), "max");
  EXPECT_EQ(*model::parse_memory_swap("-1"), -1);
  EXPECT_EQ(*model::parse_memory_swap("1g"), 1 << 30);
  EXPECT_FALSE(model::parse_memory_swap("-2"));
}

TEST(CgroupLimits, DockerRefusals) {
  ResourceLimits l;
  l.memory_swap = 64 << 20;
  EXPECT_FALSE(model::validate_limits(l));  // swap without memory
  l.memory = 128 << 20;
  EXPECT_FALSE(model::validate_limits(l));  // swap below memory
  l.memory_swap = -1;
  EXPECT_TRUE(model::validate_limits(l));
  l.memory = 1 << 20;
  EXPECT_FALSE(model::validate_limits(l));  // below 6m
  ResourceLimits r;
  r.memory = 64 << 20;
  r.memory_reservation = 128 << 20;
  EXPECT_FALSE(model::validate_limits(r));
}

TEST(CgroupLimits, CpuLists) {
  EXPECT_EQ(*model::parse_cpu_list("0", "--cpuset-cpus"), "0");
  EXPECT_EQ(*model::parse_cpu_list("0-3,5", "--cpuset-cpus"), "0-3,5");
  for (const char* bad : {"", "3-1", "a", "0,", "-1", "4096", "1-", ",0"})
    EXPECT_FALSE(model::parse_cpu_list(bad, "--cpuset-cpus")) << bad;
  EXPECT_EQ(model::cpu_list_members("0-2,5,1"), (std::vector<int>{0, 1, 2, 5}));
}

TEST(CgroupLimits, PidsLimit) {
  EXPECT_EQ(*model::parse_pids_limit("64"), 64);
  EXPECT_EQ(*model::parse_pids_limit("-1"), -1);
  EXPECT_FALSE(model::parse_pids_limit("x"));
  ResourceLimits l;
  l.pids_limit = -1;
  EXPECT_EQ(model::v1_limit_writes(l).at(0).value, "max");
  l.pids_limit = 0;
  EXPECT_EQ(model::v2_limit_writes(l).at(0).value, "max");
}

TEST(CgroupLimits, V1AndV2Files) {
  ResourceLimits l;
  l.memory = 64 << 20;
  l.memory_reservation = 32 << 20;
  l.pids_limit = 64;
  l.nano_cpus = 500000000;
  l.cpu_shares = 512;
  l.cpuset_cpus = "0";
  l.cpuset_mems = "0";
  using W = model::CgroupWrite;
  EXPECT_EQ(model::v1_limit_writes(l),
            (std::vector<W>{{"memory", "memory.limit_in_bytes", "67108864"},
                            {"memory", "memory.memsw.limit_in_bytes", "134217728"},
                            {"memory", "memory.soft_limit_in_bytes", "33554432"},
                            {"pids", "pids.max", "64"},
                            {"cpu", "cpu.cfs_period_us", "100000"},
                            {"cpu", "cpu.cfs_quota_us", "50000"},
                            {"cpu", "cpu.shares", "512"},
                            {"cpuset", "cpuset.cpus", "0"},
                            {"cpuset", "cpuset.mems", "0"}}));
  EXPECT_EQ(model::v2_limit_writes(l), (std::vector<W>{{"memory", "memory.max", "67108864"},
                                                       {"memory", "memory.swap.max", "67108864"},
                                                       {"memory", "memory.low", "33554432"},
                                                       {"pids", "pids.max", "64"},
                                                       {"cpu", "cpu.max", "50000 100000"},
                                                       {"cpu", "cpu.weight", "20"},
                                                       {"cpuset", "cpuset.cpus", "0"},
                                                       {"cpuset", "cpuset.mems", "0"}}));
}

TEST(CgroupDevices, RequestParsing) {
  auto d = *model::DeviceRequest::parse("/dev/fuse");
  EXPECT_EQ(d.container, "/dev/fuse");
  EXPECT_EQ(d.permissions(), "rwm");
  d = *model::DeviceRequest::parse("/dev/sdb:/dev/xvdb:r");
  EXPECT_EQ(d.container, "/dev/xvdb");
  EXPECT_EQ(d.permissions(), "r");
  d = *model::DeviceRequest::parse("/dev/sdb:rw");
  EXPECT_EQ(d.container, "/dev/sdb");
  EXPECT_EQ(d.permissions(), "rw");
  for (const char* bad : {"", "dev/sdb", "/dev/sdb:/x:q", "/a:/b:c:d", "/dev/../etc:/x"})
    EXPECT_FALSE(model::DeviceRequest::parse(bad)) << bad;
}

TEST(CgroupDevices, DefaultAllowList) {
  const auto& rules = model::default_device_rules();
  EXPECT_EQ(rules.front().str(), "c *:* m");
  EXPECT_TRUE(rules_allow(rules, 'c', 1, 3, "rw"));    // null
  EXPECT_TRUE(rules_allow(rules, 'c', 136, 7, "rw"));  // a pts
  EXPECT_TRUE(rules_allow(rules, 'b', 8, 0, "m"));     // mknod of a disk
  EXPECT_FALSE(rules_allow(rules, 'b', 8, 0, "r"));    // ... but not reading it
  EXPECT_FALSE(rules_allow(rules, 'c', 1, 1, "r"));    // /dev/mem
  EXPECT_FALSE(rules_allow(rules, 'c', 10, 229, "rw"));
}

// --- The v2 device program, interpreted ---

// Runs the few instructions device_program emits on a bpf_cgroup_dev_ctx.
int run_program(const std::vector<bpf_insn>& program, std::uint32_t access_type,
                std::uint32_t major, std::uint32_t minor) {
  const std::uint32_t ctx[3] = {access_type, major, minor};
  std::uint64_t r[11] = {};
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    const bpf_insn& i = program[pc];
    switch (i.code) {
      case BPF_LDX | BPF_MEM | BPF_W:
        EXPECT_EQ(i.src_reg, 1);
        EXPECT_EQ(i.imm, 0);
        EXPECT_TRUE(i.off == 0 || i.off == 4 || i.off == 8) << i.off;
        r[i.dst_reg] = ctx[i.off / 4];
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        r[i.dst_reg] = static_cast<std::uint32_t>(r[i.dst_reg] & static_cast<std::uint32_t>(i.imm));
        break;
      case BPF_ALU | BPF_RSH | BPF_K:
        r[i.dst_reg] = static_cast<std::uint32_t>(r[i.dst_reg]) >> i.imm;
        break;
      case BPF_ALU | BPF_MOV | BPF_X:
        r[i.dst_reg] = static_cast<std::uint32_t>(r[i.src_reg]);
        break;
      case BPF_ALU64 | BPF_MOV | BPF_K:
        r[i.dst_reg] = static_cast<std::uint64_t>(static_cast<std::int64_t>(i.imm));
        break;
      case BPF_JMP | BPF_JNE | BPF_K:
        if (r[i.dst_reg] != static_cast<std::uint64_t>(static_cast<std::int64_t>(i.imm)))
          pc += static_cast<std::size_t>(i.off);
        break;
      case BPF_JMP | BPF_EXIT:
        return static_cast<int>(r[0]);
      default:
        ADD_FAILURE() << "unexpected instruction " << int(i.code);
        return -1;
    }
  }
  ADD_FAILURE() << "the program ran off its end";
  return -1;
}

TEST(CgroupDevices, V2ProgramDecidesAsTheAllowList) {
  auto rules = model::default_device_rules();
  rules.push_back({'b', 8, 16, true, false, false});   // --device /dev/sdb:r
  rules.push_back({'c', 10, -1, false, true, false});  // any misc device, write only
  auto program = kernel::cgroup::device_program(rules);
  const char* accesses[] = {"r", "w", "m", "rw", "rwm", "rm"};
  int checked = 0, allowed = 0;
  for (char type : {'c', 'b'})
    for (std::uint32_t major : {1u, 4u, 5u, 8u, 10u, 136u, 254u})
      for (std::uint32_t minor : {0u, 1u, 2u, 3u, 5u, 7u, 8u, 9u, 16u, 200u, 229u})
        for (const char* access : accesses) {
          std::uint32_t bits = 0;
          for (const char* a = access; *a; ++a)
            bits |= *a == 'r'   ? BPF_DEVCG_ACC_READ
                    : *a == 'w' ? BPF_DEVCG_ACC_WRITE
                                : BPF_DEVCG_ACC_MKNOD;
          std::uint32_t dev_type = type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
          bool expected = rules_allow(rules, type, major, minor, access);
          EXPECT_EQ(run_program(program, bits << 16 | dev_type, major, minor), expected ? 1 : 0)
              << type << " " << major << ":" << minor << " " << access;
          ++checked;
          allowed += expected;
        }
  EXPECT_GT(allowed, 50);  // both outcomes are exercised
  EXPECT_LT(allowed, checked - 50);
  EXPECT_EQ(run_program(kernel::cgroup::device_program({}), BPF_DEVCG_ACC_READ << 16 | 2, 1, 3), 0);
}

// --- What the kernel shows ---

constexpr const char* kHybridMountinfo =
    "25 21 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
    "26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid shared:5 - cgroup2 cgroup2 rw,nsdelegate\n"
    "27 25 0:24 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
    "30 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
    "31 25 0:28 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
    "32 25 0:29 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
    "33 25 0:30 /docker /mnt/my\\040cgroup rw - cgroup cgroup rw,devices\n";

TEST(CgroupLayout, Mounts) {
  auto mounts = kernel::cgroup::parse_mounts(kHybridMountinfo);
  ASSERT_EQ(mounts.size(), 5u);
  EXPECT_TRUE(mounts[0].v2);
  EXPECT_EQ(mounts[1].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_EQ(mounts[4].mount_point, "/mnt/my cgroup");
  EXPECT_EQ(mounts[4].root, "/docker");
}

TEST(CgroupLayout, ProcCgroup) {
  auto entries = *kernel::cgroup::parse_proc_cgroup(
      "12:pids:/user.slice/a:b\n4:cpu,cpuacct:/\n1:name=systemd:/x\n0::/user.slice\n");
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].path, "/user.slice/a:b");
  EXPECT_EQ(entries[1].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_TRUE(entries[2].controllers.empty());
  EXPECT_EQ(entries[3].hierarchy_id, 0);
  EXPECT_FALSE(kernel::cgroup::parse_proc_cgroup("garbage\n"));
  EXPECT_FALSE(kernel::cgroup::parse_proc_cgroup("x:memory:/\n"));
}

TEST(CgroupLayout, KeyedValues) {
  const char* oom = "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n";
  EXPECT_EQ(kernel::cgroup::keyed_value(oom, "oom_kill"), 3u);
  EXPECT_EQ(kernel::cgroup::keyed_value(oom, "oom"), std::nullopt);
  EXPECT_EQ(kernel::cgroup::keyed_value("populated 0\nfrozen 0\n", "populated"), 0u);
}

// A fake cgroupfs: a temporary folder with the files a kernel would show.
class FakeTree : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/cgroup-fake.XXXXXX";
    root_ = ::mkdtemp(pattern);
  }
  void TearDown() override { fs::remove_all(root_); }
  void file(const std::string& path, const std::string& text = "") {
    fs::create_directories(fs::path(root_ + path).parent_path());
    std::ofstream(root_ + path) << text;
  }
  std::string read(const std::string& path) {
    std::ifstream in(root_ + path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  std::string root_;
};

TEST_F(FakeTree, HybridLayoutPerController) {
  file("/unified/user.slice/cgroup.controllers", "hugetlb\n");
  std::string mountinfo = "26 25 0:23 / " + root_ + "/unified rw - cgroup2 cgroup2 rw\n" +
                          "31 25 0:28 / " + root_ + "/memory rw - cgroup cgroup rw,memory\n" +
                          "32 25 0:29 / " + root_ +
                          "/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n";
  auto layout = *kernel::cgroup::layout_from(
      mountinfo, "4:memory:/user.slice\n3:cpu,cpuacct:/\n0::/user.slice\n");
  ASSERT_EQ(layout.hierarchies.size(), 3u);
  EXPECT_EQ(layout.for_controller("memory")->own, root_ + "/memory/user.slice");
  EXPECT_EQ(layout.for_controller("cpuacct")->own, root_ + "/cpu,cpuacct");
  EXPECT_TRUE(layout.for_controller("hugetlb")->v2);
  EXPECT_EQ(layout.for_controller("pids"), nullptr);
}

// The rootless shortcut (kernel::cgroup::own_groups_unwritable) says "no
// group can be written" only of real cgroup file systems: a tree of folders
// that looks right is no reason, nor is a group missing where it is looked for.
TEST_F(FakeTree, UnwritableOnlyOnCgroupFileSystems) {
  file("/memory/user.slice/tasks");
  file("/cpu,cpuacct/tasks");
  ::chmod((root_ + "/memory/user.slice").c_str(), 0555);
  const std::vector<std::string> wanted{"memory", "cpu", "cpuacct"};
  const std::string proc = "4:memory:/user.slice\n3:cpu,cpuacct:/\n0::/user.slice\n";
  EXPECT_FALSE(kernel::cgroup::own_groups_unwritable(proc, wanted, root_));
  EXPECT_FALSE(kernel::cgroup::own_groups_unwritable("4:memory:/elsewhere\n", {"memory"}, root_));
  EXPECT_FALSE(kernel::cgroup::own_groups_unwritable("garbage", {"memory"}, root_));
  ::chmod((root_ + "/memory/user.slice").c_str(), 0755);
}

// On this machine, with its real layout: when the shortcut says no group can
// be written, the layout agrees for every controller a container is put in.
// As root (who may write every group) the check runs as nobody, in a child.
TEST(CgroupLayout, UnwritableAgreesWithTheLayout) {
  auto check = [] {
    auto proc = kernel::cgroup::read_file("/proc/self/cgroup");
    auto layout = kernel::cgroup::detect_layout();
    if (!proc || !layout) return 3;
    const std::vector<std::string> wanted{"memory", "pids", "cpu", "cpuacct", "devices"};
    if (!kernel::cgroup::own_groups_unwritable(*proc, wanted)) return 2;  // the layout decides
    for (const auto& controller : wanted)
      if (const auto* h = layout->for_controller(controller))
        if (::access(h->own.c_str(), W_OK) == 0) return 1;
    return 0;
  };
  if (::geteuid() != 0) {
    EXPECT_NE(check(), 1);
    return;
  }
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) _exit(4);
    _exit(check());
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_NE(WEXITSTATUS(status), 1) << "a group the shortcut calls unwritable is writable";
  EXPECT_NE(WEXITSTATUS(status), 4);
}

TEST_F(FakeTree, V2WriterFillsTheGroupsFiles) {
  // What a v2 kernel shows: our group, with the controllers it may hand on.
  file("/unified/user.slice/app/cgroup.controllers", "cpuset cpu io memory pids\n");
  file("/unified/user.slice/app/cgroup.subtree_control");
  std::string mountinfo = "26 25 0:23 / " + root_ + "/unified rw - cgroup2 cgroup2 rw\n";
  auto layout = *kernel::cgroup::layout_from(mountinfo, "0::/user.slice/app\n");
  std::string id(64, 'a');
  model::ContainerSpec spec{.name = model::ContainerName::generated(id), .id = id};
  spec.security.capabilities.privileged = true;  // no device program: not loadable on a fake
  spec.limits.memory = 64 << 20;
  spec.limits.memory_swap = 96 << 20;
  spec.limits.pids_limit = 64;
  spec.limits.nano_cpus = 1500000000;
  spec.limits.cpu_shares = 2048;
  spec.limits.cpuset_cpus = "0-1";
  std::string group = "/unified/user.slice/app/contain/" + id;
  // Swap accounting is seen in our group's files.
  file("/unified/user.slice/app/memory.swap.max", "max\n");
  auto plan = *engine::detail::plan_cgroups_in(layout, spec);
  ASSERT_EQ(plan.groups.size(), 1u);
  EXPECT_TRUE(plan.groups[0].v2);
  EXPECT_EQ(plan.groups[0].path, root_ + group);
  EXPECT_FALSE(plan.restrict_devices);
  // The kernel makes these files with the group; the fake makes them first.
  file("/unified/user.slice/app/contain/cgroup.subtree_control");
  for (const char* f : {"memory.max", "memory.swap.max", "pids.max", "cpu.max", "cpu.weight",
                        "cpuset.cpus", "cgroup.procs"})
    file(group + "/" + f);
  ASSERT_TRUE(engine::detail::configure_cgroups(plan));
  EXPECT_EQ(read("/unified/user.slice/app/cgroup.subtree_control"), "+memory +pids +cpu +cpuset");
  EXPECT_EQ(read("/unified/user.slice/app/contain/cgroup.subtree_control"),
            "+memory +pids +cpu +cpuset");
  EXPECT_EQ(read(group + "/memory.max"), "67108864");
  EXPECT_EQ(read(group + "/memory.swap.max"), "33554432");
  EXPECT_EQ(read(group + "/pids.max"), "64");
  EXPECT_EQ(read(group + "/cpu.max"), "150000 100000");
  EXPECT_EQ(read(group + "/cpu.weight"), "79");
  EXPECT_EQ(read(group + "/cpuset.cpus"), "0-1");
  ASSERT_TRUE(engine::detail::join_v2_cgroups(plan, 4242));
  EXPECT_EQ(read(group + "/cgroup.procs"), "4242");
  // v2 has no per-thread move across domains: no `tasks` file for the child.
  EXPECT_TRUE(engine::detail::open_v1_tasks(plan)->empty());
  // The record round trip keeps the group, and refuses one that is not ours.
  engine::ContainerRecord record;
  record.id = id;
  record.cgroups = plan.to_record();
  EXPECT_EQ(engine::detail::CgroupPlan::from_record(record)->groups.size(), 1u);
}

TEST_F(FakeTree, V1WriterWritesDevicesAndLimits) {
  std::string mountinfo = "31 25 0:28 / " + root_ + "/memory rw - cgroup cgroup rw,memory\n" +
                          "32 25 0:29 / " + root_ + "/devices rw - cgroup cgroup rw,devices\n";
  file("/memory/cgroup.procs");
  file("/devices/cgroup.procs");
  auto layout = *kernel::cgroup::layout_from(mountinfo, "5:devices:/\n4:memory:/\n");
  std::string id(64, 'b');
  model::ContainerSpec spec{.name = model::ContainerName::generated(id), .id = id};
  spec.limits.memory = 64 << 20;  // no memsw file on this fake: swap accounting off
  auto plan = *engine::detail::plan_cgroups_in(layout, spec);
  ASSERT_EQ(plan.groups.size(), 2u);
  EXPECT_TRUE(plan.restrict_devices);
  for (const char* f : {"memory.limit_in_bytes"}) file("/memory/contain/" + id + "/" + f);
  file("/devices/contain/" + id + "/devices.deny");
  file("/devices/contain/" + id + "/devices.allow");
  ASSERT_TRUE(engine::detail::configure_cgroups(plan));
  EXPECT_EQ(read("/memory/contain/" + id + "/memory.limit_in_bytes"), "67108864");
  EXPECT_EQ(read("/devices/contain/" + id + "/devices.deny"), "a");
  // A regular file keeps only the last write: the kernel appends each rule.
  EXPECT_EQ(read("/devices/contain/" + id + "/devices.allow"), "c 10:200 rwm");
  // v1: the child joins each group itself through its `tasks` file; the parent
  // moves nothing (a cgroup.procs write would wait for an RCU grace period).
  file("/memory/contain/" + id + "/tasks");
  file("/devices/contain/" + id + "/tasks");
  file("/memory/contain/" + id + "/cgroup.procs");
  {
    auto tasks = engine::detail::open_v1_tasks(plan);
    ASSERT_TRUE(tasks);
    ASSERT_EQ(tasks->size(), 2u);
    for (const auto& fd : *tasks) EXPECT_TRUE(kernel::cgroup::join_self(fd.get()));
  }
  EXPECT_EQ(read("/memory/contain/" + id + "/tasks"), "0");
  EXPECT_EQ(read("/devices/contain/" + id + "/tasks"), "0");
  ASSERT_TRUE(engine::detail::join_v2_cgroups(plan, 4242));
  EXPECT_EQ(read("/memory/contain/" + id + "/cgroup.procs"), "");
  // --memory-swap on a kernel without swap accounting: refused before anything is made.
  spec.limits.memory_swap = 128 << 20;
  auto refused = engine::detail::plan_cgroups_in(layout, spec);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("swap"), std::string::npos);
}

TEST(CgroupRecords, ForeignPathsAreRefused) {
  std::string id(64, 'c');
  auto with_group = [&](std::string path) {
    engine::ContainerRecord r;
    r.id = id;
    r.cgroups = {{std::move(path), false, {"pids"}}};
    return r;
  };
  EXPECT_FALSE(engine::detail::CgroupPlan::from_record(with_group("/sys/fs/cgroup/pids")));
  EXPECT_TRUE(
      engine::detail::CgroupPlan::from_record(with_group("/sys/fs/cgroup/pids/x/contain/" + id)));
  EXPECT_FALSE(engine::detail::CgroupPlan::from_record(
      with_group("/sys/fs/cgroup/pids/contain/" + std::string(64, 'd'))));
  // A record whose id is not ours names no group of ours.
  auto no_id = with_group("/sys/fs/cgroup/pids/x/contain/" + id);
  no_id.id = "../x";
  EXPECT_FALSE(engine::detail::CgroupPlan::from_record(no_id));
}

TEST(CgroupPlanning, MissingControllerIsAClearError) {
  kernel::cgroup::Layout empty;
  std::string id(64, 'e');
  model::ContainerSpec spec{.name = model::ContainerName::generated(id), .id = id};
  EXPECT_TRUE(engine::detail::plan_cgroups_in(empty, spec));  // no limits: fine
  spec.limits.pids_limit = 10;
  auto refused = engine::detail::plan_cgroups_in(empty, spec);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("--pids-limit: the pids cgroup controller is not"),
            std::string::npos)
      << refused.error().message();
}

}  // namespace
}  // namespace contain
