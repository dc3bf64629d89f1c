// engine/record/container.hpp: the record of a container.
#include <gtest/gtest.h>

#include <ctime>

#include "engine/container/record.hpp"
#include "engine/record/container.hpp"
#include "engine/record_schema.hpp"
#include "engine/records.hpp"

namespace contain::engine {
namespace {

using nlohmann::json;

std::string error_of(const json& j) {
  auto r = ContainerRecord::from_json(j);
  return r ? "" : r.error().message();
}

// A detached container on a managed network with a user namespace, limits
// and a profile file's seccomp program, as new_record and record_running
// wrote it (the store adds "schema").
constexpr const char* kWritten = R"({
  "name": "web", "id": "0688df6bfa83749a91759fec373c65ef2c5644379ef75230d6fc5083ba8ab5d0",
  "hostname": "web", "command": ["sleep", "100"],
  "environment": ["PATH=/usr/bin:/bin", "HOSTNAME=web"], "workdir": "/srv",
  "rootfs": "/srv/root", "network": "web", "address": "10.88.0.3", "ports": ["8081:80"],
  "init": true, "detached": true, "tty": false,
  "security": {"privileged": false, "capabilities": "00000000a80425fb",
               "capability_names": "CAP_CHOWN,CAP_KILL", "seccomp": "/etc/profile.json",
               "no_new_privileges": true, "user": {"uid": 1000, "gid": 100, "groups": [10, 20]},
               "user_spec": "1000:100", "masked_paths": true, "read_only": true,
               "overlay": false, "volumes": ["/data:/data:ro"], "tmpfs": ["/tmp"],
               "ulimits": ["nofile=1024:2048"], "oom_score_adj": 100,
               "shm_options": "mode=1777,size=65536k",
               "seccomp_program": "0020000000000004"},
  "cgroups": [{"path": "/sys/fs/cgroup/x/contain/0688", "v2": true,
               "controllers": ["memory", "pids"]}],
  "limits": {"memory": 67108864, "pids_limit": 64},
  "userns": {"mode": "auto", "uid_map": "0:100000:65536", "gid_map": "0:100000:65536"},
  "created": "2026-11-30T03:06:31Z", "status": "running", "pid": 19, "pid_start": 110984,
  "monitor_pid": 18, "monitor_start": 110983, "schema": 2})";

TEST(RecordContainer, AsThePreviousBinaryWroteIt) {
  auto text = json::parse(kWritten);
  auto r = ContainerRecord::from_json(text);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->name, "web");
  EXPECT_EQ(r->address, "10.88.0.3");
  EXPECT_EQ(r->rootfs, "/srv/root");
  EXPECT_EQ(r->pid, 19);
  EXPECT_EQ(r->pid_start, 110984u);
  EXPECT_FALSE(r->exit_code);
  ASSERT_TRUE(r->security);
  EXPECT_EQ(r->security->capabilities, 0xa80425fbu);
  ASSERT_TRUE(r->security->user);
  EXPECT_EQ(r->security->user->groups, (std::vector<std::uint32_t>{10, 20}));
  EXPECT_EQ(r->security->oom_score_adj, 100);
  ASSERT_EQ(r->cgroups.size(), 1u);
  EXPECT_TRUE(r->cgroups[0].v2);
  ASSERT_TRUE(r->userns);
  EXPECT_FALSE(r->rootless());
  EXPECT_EQ(r->limits["pids_limit"], 64);
  // Written back the same (the store adds "schema").
  text.erase("schema");
  EXPECT_EQ(r->to_json(), text);
  EXPECT_TRUE(validate_record(kContainerKind, json::parse(kWritten)));
}

// A record a newer version wrote, rewritten by this one (marked exited by its
// monitor): what this version does not know stays, in its parts too;
// "schema" is the store's and is not kept.
TEST(RecordContainer, KeepsUnknownKeysWhenRewritten) {
  auto text = json::parse(kWritten);
  text["later"] = {{"mode", "x"}};
  text["security"]["later"] = 1;
  text["security"]["user"]["later"] = 2;
  text["cgroups"][0]["later"] = 3;
  text["userns"]["later"] = 4;
  auto r = ContainerRecord::from_json(text);
  ASSERT_TRUE(r) << r.error().message();
  r->status = "exited";
  r->exit_code = 0;
  json out = r->to_json();
  EXPECT_EQ("exited", out["status"]);
  EXPECT_EQ(json({{"mode", "x"}}), out["later"]);
  EXPECT_EQ(1, out["security"]["later"]);
  EXPECT_EQ(2, out["security"]["user"]["later"]);
  EXPECT_EQ(3, out["cgroups"][0]["later"]);
  EXPECT_EQ(4, out["userns"]["later"]);
  EXPECT_FALSE(out.contains("schema"));
  // An unknown key does not make a corrupt field readable.
  text["pid"] = "19";
  EXPECT_EQ(error_of(text), "field \"pid\" is not an integer");
}

TEST(RecordContainer, AnOldRecordWithoutLaterFieldsIsRead) {
  // Before security, cgroups, limits, user namespaces and tty were recorded
  // (tests/fuzz/corpus/state/containers-box).
  auto r = ContainerRecord::from_json(json::parse(
      R"({"address":"10.88.0.3","command":["sleep","100"],"created":"2026-11-30T03:06:31Z",)"
      R"("detached":true,"environment":["HOME=/root"],"hostname":"box","id":"0688","init":false,)"
      R"("monitor_pid":18,"monitor_start":110984,"name":"box","network":"web","pid":19,)"
      R"("pid_start":110984,"ports":["8081:80"],"rootfs":null,"status":"running","workdir":"/"})"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(r->security);
  EXPECT_TRUE(r->cgroups.empty());
  EXPECT_FALSE(r->userns);
  EXPECT_FALSE(r->rootfs);
  // The least a record has: what the schema required.
  auto least = ContainerRecord::from_json(
      json{{"name", "c"}, {"id", "ab"}, {"status", "created"}, {"pid", 0}, {"later", {1, 2}}});
  ASSERT_TRUE(least) << least.error().message();
  EXPECT_EQ(least->workdir, "/");
  EXPECT_EQ(least->network, "none");
}

TEST(RecordContainer, RoundTripOfAnExitedRootlessOne) {
  ContainerRecord r;
  r.name = "c";
  r.id = "ab";
  r.status = "exited";
  r.exit_code = 137;
  r.oom_killed = true;
  r.finished = "2026-11-30T04:00:00Z";
  r.pasta_pid = 77;
  r.pasta_start = 5;
  r.phase = record::Phase::deleting;
  r.userns = ContainerUsernsRecord{"rootless", "0:1000:1", "0:1000:1", true};
  r.security = ContainerSecurityRecord{};
  auto back = ContainerRecord::from_json(r.to_json());
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->to_json(), r.to_json());
  EXPECT_TRUE(back->rootless());
  EXPECT_EQ(back->exit_code, 137);
  EXPECT_EQ(back->phase, record::Phase::deleting);
  EXPECT_EQ(back->to_json()["userns"]["joined"], true);
  EXPECT_EQ(back->to_json()["security"]["capabilities"], "0000000000000000");
}

TEST(RecordContainer, EveryCorruptFieldIsNamed) {
  auto good = json::parse(kWritten);
  auto with = [&](const char* key, json value) {
    json j = good;
    j[key] = std::move(value);
    return error_of(j);
  };
  auto without = [&](const char* key) {
    json j = good;
    j.erase(key);
    return error_of(j);
  };
  EXPECT_EQ(error_of(json::array()), "it is not a JSON object");
  for (const char* key : {"name", "id", "status", "pid"})
    EXPECT_EQ(without(key), fmt::format("field \"{}\" is missing", key));
  EXPECT_EQ(with("pid", "12"), "field \"pid\" is not an integer");
  EXPECT_EQ(with("pid", 1ull << 40), "field \"pid\" is not an integer");
  EXPECT_EQ(with("pid_start", -1), "field \"pid_start\" is not a non-negative integer");
  EXPECT_EQ(with("monitor_start", "x"), "field \"monitor_start\" is not a non-negative integer");
  EXPECT_EQ(with("command", {"sh", 1}), "field \"command\" is not an array of strings");
  EXPECT_EQ(with("rootfs", false), "field \"rootfs\" is not a string");
  EXPECT_EQ(with("address", 3), "field \"address\" is not a string");
  EXPECT_EQ(with("exit_code", 1.5), "field \"exit_code\" is not an integer");
  EXPECT_EQ(with("oom_killed", 1), "field \"oom_killed\" is not true or false");
  EXPECT_EQ(with("phase", "half"), "field \"phase\" is not \"creating\" or \"deleting\"");
  EXPECT_EQ(with("limits", json::array()), "field \"limits\" is not an object");
  EXPECT_EQ(with("cgroups", {1}), "field \"cgroups\" is not an array of objects");
  EXPECT_EQ(with("cgroups", {{{"v2", true}}}), "field \"cgroups\"[0].\"path\" is missing");
  EXPECT_EQ(with("userns", "auto"), "field \"userns\" is not an object");
  EXPECT_EQ(with("userns", {{"mode", "auto"}, {"uid_map", "0:1:1"}}),
            "field \"userns\".\"gid_map\" is missing");
  EXPECT_EQ(with("pasta_pid", "1"), "field \"pasta_pid\" is not an integer");
  EXPECT_EQ(with("security", 1), "field \"security\" is not an object");
  auto security = [&](const char* key, json value) {
    json j = good;
    j["security"][key] = std::move(value);
    return error_of(j);
  };
  EXPECT_EQ(security("capabilities", "xyz"),
            "field \"security\".\"capabilities\" is not a hexadecimal capability set");
  EXPECT_EQ(security("capabilities", "1ffffffffffffffff"),
            "field \"security\".\"capabilities\" is not a hexadecimal capability set");
  EXPECT_EQ(security("seccomp_program", "00200000000000"),
            "field \"security\".\"seccomp_program\" is not a seccomp program in hexadecimal");
  EXPECT_EQ(security("seccomp_program", "002000000000000g"),
            "field \"security\".\"seccomp_program\" is not a seccomp program in hexadecimal");
  EXPECT_EQ(security("user", {{"uid", -1}}),
            "field \"security\".\"user\".\"uid\" is not a non-negative integer");
  EXPECT_EQ(security("user", {{"groups", {1, "a"}}}),
            "field \"security\".\"user\".\"groups\" is not an array of non-negative integers");
  EXPECT_EQ(security("oom_score_adj", "0"),
            "field \"security\".\"oom_score_adj\" is not an integer");
  EXPECT_EQ(security("capability_names", json::array()),
            "field \"security\".\"capability_names\" is not a string");
  EXPECT_EQ(security("ulimits", "nofile"),
            "field \"security\".\"ulimits\" is not an array of strings");
  // The store says the same.
  auto valid = validate_record(kContainerKind, json{{"name", 1}});
  ASSERT_FALSE(valid);
  EXPECT_EQ(valid.error().message(), "field \"name\" is not a string");
}

// Times are computed without gmtime() (engine/container/record): they must
// read as gmtime writes them.
TEST(ContainerRecord, TimesAreUtcAsGmtimeWritesThem) {
  auto format = [](std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(text);
  };
  std::time_t before = std::time(nullptr);
  std::string now = detail::now_utc();
  std::time_t after = std::time(nullptr) + 1;  // time() may lag the precise clock
  bool matched = false;
  for (std::time_t t = before; t <= after; ++t) matched = matched || now == format(t);
  EXPECT_TRUE(matched) << now << " is not " << format(before);
}

}  // namespace
}  // namespace contain::engine
