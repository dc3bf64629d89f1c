// Specs built from options (model/container_options, model/network) against
// golden JSON in tests/unit/golden/, one file per case: defaults, every option
// set, and each refusal with the exact line a user sees. UPDATE_GOLDEN=1
// rewrites the files.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <set>

#include "golden.hpp"
#include "model/container_options.hpp"
#include "model/network.hpp"

namespace contain::model {
namespace {

constexpr const char* kId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

// What the caller found on the system: a fixed id, --rootfs resolved (when
// given) to /resolved/ and its text, or, for "missing", to the error the
// command line gives for a folder that is not there (cli/container).
ContainerInputs inputs_for(const ContainerOptions& o) {
  ContainerInputs inputs{.id = kId};
  if (o.rootfs == "missing")
    inputs.rootfs =
        fail(Error::usage(fmt::format("--rootfs {}: {}", quote(o.rootfs), std::strerror(ENOENT))));
  else if (!o.rootfs.empty())
    inputs.rootfs = "/resolved/" + o.rootfs;
  return inputs;
}

struct ContainerCase {
  std::string name;
  ContainerOptions options;
};

// Every option `run` takes, each set to something other than its default.
ContainerOptions every_option() {
  ContainerOptions o;
  o.name = "web";
  o.hostname = "web.example";
  o.command = {"/usr/sbin/httpd", "-f", "--", "-p"};
  o.env = {"A=1", "PATH=/opt/bin", "A=2", "EMPTY="};
  o.workdir = "/srv";
  o.rootfs = "images/web";
  o.network = "backend";
  o.ip = "198.51.100.7";
  o.ports = {"8080:80", "127.0.0.1:5353:53/udp", "[2001:db8::1]:8443:443/tcp"};
  o.detach = true;
  o.tty = true;
  o.init = true;
  o.cap_add = {"NET_ADMIN", "cap_sys_time"};
  o.cap_drop = {"MKNOD"};
  o.security_opt = {"seccomp=profile.json", "no-new-privileges"};
  o.group_add = {"wheel", "100"};
  o.tmpfs = {"/run:size=64m,mode=755", "/tmp"};
  o.volumes = {"/srv/data:/data:ro,idmap", "/srv/logs:/var/log"};
  o.ulimits = {"nofile=1024:2048", "core=unlimited"};
  o.read_only = true;
  o.overlay = true;
  o.user = "app:staff";
  o.oom_score_adj = "-500";
  o.shm_size = "128m";
  o.limits = {.memory = "256m",
              .memory_swap = "512m",
              .memory_reservation = "128m",
              .pids_limit = "100",
              .cpus = "1.5",
              .cpu_shares = "512",
              .cpuset_cpus = "0-1,3",
              .cpuset_mems = "0"};
  o.devices = {"/dev/fuse", "/dev/sda:/dev/xvda:r"};
  o.uidmap = {"0:100000:65536"};
  o.gidmap = {"0:200000:65536"};
  return o;
}

std::vector<ContainerCase> container_cases() {
  std::vector<ContainerCase> cases;
  auto add = [&](std::string name, ContainerOptions o) {
    cases.push_back({std::move(name), std::move(o)});
  };
  auto bad = [&](std::string name, auto change) {
    ContainerOptions o;
    change(o);
    add("container_error_" + name, std::move(o));
  };
  // Accepted.
  add("container_defaults", {});
  add("container_every_option", every_option());
  {
    ContainerOptions o;
    o.tty = true;
    o.privileged = true;
    o.network = "pasta";
    o.ports = {"8080:80"};
    o.userns = "auto";
    o.security_opt = {"seccomp=unconfined", "no-new-privileges=false"};
    add("container_tty_rootless", o);
  }
  {
    // What `topo up` builds for a container node (engine/topo).
    ContainerOptions o;
    o.name = "lab-r1";
    o.hostname = "r1";
    o.command = {"/bin/sh", "-c", "exec sleep infinity"};
    o.env = {"ROLE=router"};
    o.rootfs = "roots/alpine";
    o.network = "netns:lab-r1";
    o.detach = true;
    add("container_topology_node", o);
  }
  {
    ContainerOptions o;
    o.network = "netns:pid:42";
    o.command = {"/bin/true"};
    add("container_netns_pid", o);
  }
  // Refused: one option at a time, the line the user sees.
  bad("name", [](auto& o) { o.name = "-web"; });
  bad("name_too_long", [](auto& o) { o.name = std::string(64, 'n'); });
  bad("env", [](auto& o) { o.env = {"NOVALUE"}; });
  bad("env_empty_key", [](auto& o) { o.env = {"=1"}; });
  bad("rootfs_missing", [](auto& o) { o.rootfs = "missing"; });
  bad("network", [](auto& o) { o.network = "a/b"; });
  bad("network_netns", [](auto& o) { o.network = "netns:pid:x"; });
  bad("ip", [](auto& o) {
    o.network = "backend";
    o.ip = "198.51.100.300";
  });
  bad("port", [](auto& o) {
    o.network = "backend";
    o.ports = {"8080:0"};
  });
  bad("port_syntax", [](auto& o) {
    o.network = "backend";
    o.ports = {"8080"};
  });
  bad("security_opt", [](auto& o) { o.security_opt = {"apparmor=unconfined"}; });
  bad("user", [](auto& o) { o.user = ":staff"; });
  bad("tmpfs", [](auto& o) { o.tmpfs = {"run"}; });
  bad("volume", [](auto& o) { o.volumes = {"/srv:/../etc"}; });
  bad("ulimit", [](auto& o) { o.ulimits = {"nofile=2048:1024"}; });
  bad("oom_score_adj", [](auto& o) { o.oom_score_adj = "2000"; });
  bad("shm_size", [](auto& o) { o.shm_size = "lots"; });
  bad("memory", [](auto& o) { o.limits.memory = "1x"; });
  bad("cpus", [](auto& o) { o.limits.cpus = "0"; });
  bad("cpuset_cpus", [](auto& o) { o.limits.cpuset_cpus = "3-1"; });
  bad("device", [](auto& o) { o.devices = {"dev/fuse"}; });
  bad("userns", [](auto& o) { o.userns = "keep-id"; });
  bad("uidmap", [](auto& o) { o.uidmap = {"0:100000"}; });
  // Refused: combinations (model::validate).
  bad("detach_tty_interactive", [](auto& o) {
    o.detach = true;
    o.tty = true;
    o.interactive = true;
  });
  bad("ip_without_network", [](auto& o) { o.ip = "198.51.100.7"; });
  bad("port_without_network", [](auto& o) { o.ports = {"8080:80"}; });
  bad("workdir_relative", [](auto& o) { o.workdir = "srv"; });
  bad("hostname_too_long", [](auto& o) { o.hostname = std::string(65, 'h'); });
  bad("overlay_without_rootfs", [](auto& o) { o.overlay = true; });
  bad("idmap_without_userns", [](auto& o) { o.volumes = {"/srv:/srv:idmap"}; });
  bad("memory_swap_without_memory", [](auto& o) { o.limits.memory_swap = "1g"; });
  bad("memory_too_small", [](auto& o) { o.limits.memory = "1m"; });
  // Several bad options: the first in the order of ContainerOptions is named.
  bad("first_bad_option_wins", [](auto& o) {
    o.name = "-web";
    o.rootfs = "missing";
    o.workdir = "srv";
  });
  bad("rootfs_before_network", [](auto& o) {
    o.rootfs = "missing";
    o.network = "a/b";
  });
  return cases;
}

struct NetworkCase {
  std::string name;
  NetworkOptions options;
};

std::vector<NetworkCase> network_cases() {
  std::vector<NetworkCase> cases;
  auto add = [&](std::string name, NetworkOptions o) {
    cases.push_back({std::move(name), std::move(o)});
  };
  auto bad = [&](std::string name, NetworkOptions o) {
    add("network_error_" + name, std::move(o));
  };
  add("network_defaults", {.name = "web", .subnets = {"198.51.100.0/24"}});
  add("network_every_option", {.name = "ds",
                               .subnets = {"192.0.2.0/24", "2001:db8:d::/64"},
                               .gateways = {"2001:db8:d::fe", "192.0.2.254"},
                               .ip_ranges = {"2001:db8:d::100/120", "192.0.2.128/25"},
                               .mtu = 9000,
                               .no_nat = true});
  add("network_ipv6_only", {.name = "v6", .subnets = {"2001:db8:6::/64"}});
  add("network_single_gateway", {.name = "gw",
                                 .subnets = {"203.0.113.0/24"},
                                 .gateways = {"203.0.113.1"},
                                 .ip_ranges = {"203.0.113.64/26"}});
  bad("no_subnet", {.name = "web"});
  bad("three_subnets", {.name = "web", .subnets = {"192.0.2.0/24", "2001:db8::/64", "10.0.0.0/8"}});
  bad("subnet", {.name = "web", .subnets = {"192.0.2.0/33"}});
  bad("gateway", {.name = "web", .subnets = {"192.0.2.0/24"}, .gateways = {"gw"}});
  bad("gateway_in_no_subnet",
      {.name = "ds", .subnets = {"192.0.2.0/24", "2001:db8:d::/64"}, .gateways = {"198.51.100.1"}});
  bad("two_gateways", {.name = "ds",
                       .subnets = {"192.0.2.0/24", "2001:db8:d::/64"},
                       .gateways = {"192.0.2.1", "192.0.2.2"}});
  bad("ip_range", {.name = "web", .subnets = {"192.0.2.0/24"}, .ip_ranges = {"192.0.2.0/33"}});
  bad("ip_range_host_bits",
      {.name = "web", .subnets = {"192.0.2.0/24"}, .ip_ranges = {"192.0.2.130/25"}});
  bad("two_ranges", {.name = "ds",
                     .subnets = {"192.0.2.0/24", "2001:db8:d::/64"},
                     .ip_ranges = {"192.0.2.0/25", "192.0.2.128/25"}});
  bad("name", {.name = "much-too-long-name", .subnets = {"192.0.2.0/24"}});
  bad("mtu", {.name = "web", .subnets = {"192.0.2.0/24"}, .mtu = 67});
  // Refused when the pools are made (network_pools, before the host is looked at).
  bad("subnet_host_bits", {.name = "web", .subnets = {"192.0.2.1/24"}});
  bad("gateway_outside_subnet",
      {.name = "web", .subnets = {"192.0.2.0/24"}, .gateways = {"198.51.100.1"}});
  bad("range_outside_subnet",
      {.name = "web", .subnets = {"192.0.2.0/24"}, .ip_ranges = {"198.51.100.0/24"}});
  bad("two_subnets_one_family", {.name = "two", .subnets = {"192.0.2.0/24", "198.51.100.0/24"}});
  return cases;
}

class ContainerSpecGolden : public testing::TestWithParam<ContainerCase> {};

TEST_P(ContainerSpecGolden, MatchesGolden) {
  const auto& c = GetParam();
  auto spec = build_container_spec(c.options, inputs_for(c.options));
  if (c.name.starts_with("container_error_")) {
    ASSERT_FALSE(spec) << "accepted: " << json_text(to_json(*spec));
    EXPECT_EQ(spec.error().exit_code(), 2);
  } else {
    ASSERT_TRUE(spec) << spec.error().message();
  }
  golden::expect_matches(
      c.name, golden::result_json(spec, [](const ContainerSpec& s) { return to_json(s); }));
}

INSTANTIATE_TEST_SUITE_P(Specs, ContainerSpecGolden, testing::ValuesIn(container_cases()),
                         [](const auto& info) { return info.param.name; });

class NetworkSpecGolden : public testing::TestWithParam<NetworkCase> {};

// The spec and its pools, as `network create` checks them before touching the host.
Result<NetworkSpec> build_and_check(const NetworkOptions& options) {
  auto spec = TRY(build_network_spec(options));
  TRY(network_pools(spec));
  return spec;
}

TEST_P(NetworkSpecGolden, MatchesGolden) {
  const auto& c = GetParam();
  auto spec = build_and_check(c.options);
  if (c.name.starts_with("network_error_")) {
    ASSERT_FALSE(spec) << "accepted: " << json_text(to_json(*spec));
    EXPECT_EQ(spec.error().exit_code(), 2);
  } else {
    ASSERT_TRUE(spec) << spec.error().message();
  }
  golden::expect_matches(
      c.name, golden::result_json(spec, [](const NetworkSpec& s) { return to_json(s); }));
}

INSTANTIATE_TEST_SUITE_P(Specs, NetworkSpecGolden, testing::ValuesIn(network_cases()),
                         [](const auto& info) { return info.param.name; });

// A golden file no case writes any more would never be checked again.
TEST(SpecGolden, EveryFileHasItsCase) {
  std::set<std::string> names;
  for (const auto& c : container_cases()) EXPECT_TRUE(names.insert(c.name).second) << c.name;
  for (const auto& c : network_cases()) EXPECT_TRUE(names.insert(c.name).second) << c.name;
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(golden::dir())) {
    auto stem = entry.path().stem().string();
    if (!stem.starts_with("container_") && !stem.starts_with("network_")) continue;
    ++files;
    EXPECT_TRUE(names.contains(stem)) << entry.path() << " belongs to no case: delete it";
  }
  if (!golden::updating()) {
    EXPECT_EQ(files, names.size());
  }
}

// The pools network_pools makes are the ones create_network hands out from.
TEST(NetworkPools, OnePoolPerSubnetFirstFirst) {
  auto spec = build_network_spec(
      {.name = "ds", .subnets = {"2001:db8:d::/64", "192.0.2.0/24"}, .gateways = {"192.0.2.9"}});
  ASSERT_TRUE(spec);
  auto pools = network_pools(*spec);
  ASSERT_TRUE(pools);
  ASSERT_EQ(pools->size(), 2u);
  EXPECT_EQ((*pools)[0].subnet().str(), "2001:db8:d::/64");
  EXPECT_EQ((*pools)[0].gateway().str(), "2001:db8:d::1");
  EXPECT_EQ((*pools)[1].gateway().str(), "192.0.2.9");
}

}  // namespace
}  // namespace contain::model
