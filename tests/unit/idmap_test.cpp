#include "model/idmap.hpp"

#include <gtest/gtest.h>

#include "model/security.hpp"

namespace contain::model {
namespace {

TEST(IdMap, EntryParsesPodmansForm) {
  auto e = parse_id_map_entry("0:100000:65536", "--uidmap").value();
  EXPECT_EQ(e, (IdMapEntry{0, 100000, 65536}));
  for (const char* bad :
       {"", "0:1", "0:1:2:3", "a:1:1", "0:1:0", "-1:1:1", "0:1:4294967295", "4294967295:0:1",
        "0:4294967294:2", "0: 1:1", "0:1:1x", "00000000000:1:1"}) {
    auto r = parse_id_map_entry(bad, "--uidmap");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().exit_code(), 2) << bad;
    EXPECT_NE(r.error().message().find("--uidmap"), std::string::npos) << r.error().message();
  }
  // The largest valid id is 2^32-2.
  EXPECT_TRUE(parse_id_map_entry("4294967294:0:1", "--uidmap"));
}

TEST(IdMap, OverlapsAreRefusedInsideAndOutside) {
  EXPECT_TRUE(check_id_map({{0, 1000, 1}, {1, 100000, 65535}}, "--uidmap"));
  auto inside = check_id_map({{0, 1000, 10}, {5, 200000, 10}}, "--uidmap");
  ASSERT_FALSE(inside);
  EXPECT_NE(inside.error().message().find("container ids overlap"), std::string::npos);
  auto outside = check_id_map({{0, 1000, 10}, {100, 1009, 10}}, "--uidmap");
  ASSERT_FALSE(outside);
  EXPECT_NE(outside.error().message().find("host ids overlap"), std::string::npos);
  EXPECT_FALSE(check_id_map({}, "--uidmap"));
  IdMap many;
  for (std::uint32_t i = 0; i < 341; ++i) many.push_back({i, 1000 + i, 1});
  EXPECT_FALSE(check_id_map(many, "--uidmap"));
  many.pop_back();
  EXPECT_TRUE(check_id_map(many, "--uidmap"));
}

TEST(IdMap, TextForTheKernelAndForRecords) {
  IdMap map{{0, 1000, 1}, {1, 100000, 65536}};
  EXPECT_EQ(id_map_text(map), "0 1000 1\n1 100000 65536\n");
  EXPECT_EQ(id_map_str(map), "0:1000:1,1:100000:65536");
  EXPECT_EQ(parse_id_map(id_map_str(map), "uid_map").value(), map);
  EXPECT_FALSE(parse_id_map("", "uid_map"));
  EXPECT_FALSE(parse_id_map("0:1:1,", "uid_map"));
  EXPECT_EQ(map_to_host(map, 0), 1000u);
  EXPECT_EQ(map_to_host(map, 65536), 165535u);
  EXPECT_EQ(map_to_host(map, 65537), std::nullopt);
}

TEST(Userns, RequestFromOptions) {
  using Mode = UsernsRequest::Mode;
  EXPECT_EQ(UsernsRequest::parse("", {}, {}).value().mode, Mode::host);
  EXPECT_EQ(UsernsRequest::parse("host", {}, {}).value().mode, Mode::host);
  EXPECT_EQ(UsernsRequest::parse("auto", {}, {}).value().mode, Mode::automatic);
  auto explicit_maps = UsernsRequest::parse("", {"0:100000:1000"}, {}).value();
  EXPECT_EQ(explicit_maps.mode, Mode::explicit_maps);
  EXPECT_EQ(explicit_maps.gid_map, explicit_maps.uid_map);  // --gidmap defaults to --uidmap
  auto both = UsernsRequest::parse("auto", {"0:100000:10"}, {"0:200000:10", "10:300000:5"}).value();
  EXPECT_EQ(both.gid_map.size(), 2u);
  for (auto [mode, uid] : {std::pair{"host", "0:1:1"}, {"nomap", ""}, {"keep-id", ""}}) {
    std::vector<std::string> maps;
    if (*uid) maps.push_back(uid);
    auto r = UsernsRequest::parse(mode, maps, {});
    ASSERT_FALSE(r) << mode;
    EXPECT_EQ(r.error().exit_code(), 2);
  }
  EXPECT_FALSE(UsernsRequest::parse("", {"0:1000:10", "5:2000:10"}, {}));
}

TEST(SubordinateIds, ByNameOrUidSkippingCommentsAndOthers) {
  const char* text =
      "# comment\n"
      "\n"
      "alice:100000:65536\n"
      "contain:200000:131072\n"
      "1000:300000:65536\r\n"
      "contain:400000:0\n";
  auto contain = parse_subordinate_ids(text, "contain", 999, "/etc/subuid").value();
  EXPECT_EQ(contain, (std::vector<IdRange>{{200000, 131072}}));
  auto by_uid = parse_subordinate_ids(text, "bob", 1000, "/etc/subuid").value();
  EXPECT_EQ(by_uid, (std::vector<IdRange>{{300000, 65536}}));
  EXPECT_TRUE(parse_subordinate_ids(text, "nobody", 65534, "/etc/subuid").value().empty());
  auto bad = parse_subordinate_ids("alice:100000:65536\nbroken line\n", "alice", 1, "/etc/subuid");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("/etc/subuid line 2"), std::string::npos);
}

TEST(SubordinateIds, ListedOnlyWithALineTheParserReads) {
  // Without such a line the caller's name is never looked up (engine/container/userns).
  EXPECT_FALSE(lists_subordinate_ids(""));
  EXPECT_FALSE(lists_subordinate_ids("\n  \n\t\r\n# alice:100000:65536\n"));
  EXPECT_TRUE(lists_subordinate_ids("# comment\n\nalice:100000:65536"));
  EXPECT_TRUE(lists_subordinate_ids("broken line\n"));
  EXPECT_FALSE(names_users_by_uid(""));
  EXPECT_FALSE(names_users_by_uid("# 1000:100000:65536\ncontain:100000:65536\nalice2:1:2\n"));
  EXPECT_FALSE(names_users_by_uid("broken line\n:1:2\n"));
  EXPECT_TRUE(names_users_by_uid("contain:100000:65536\n987:300000:65536\n"));
  // parse_subordinate_ids compares the whole field: " 987" is nobody's uid.
  EXPECT_FALSE(names_users_by_uid(" 987:300000:65536\n"));
  EXPECT_TRUE(names_users_by_uid("987\n"));
  // An empty name then matches no line: only the uid's lines count.
  EXPECT_EQ(
      parse_subordinate_ids("alice:100000:65536\n1000:300000:65536\n", "", 1000, "/etc/subuid")
          .value(),
      (std::vector<IdRange>{{300000, 65536}}));
}

TEST(Allocation, FirstFreeRangeOfThePool) {
  std::vector<IdRange> pool{{100000, 65536 * 3}};
  EXPECT_EQ(allocate_range(pool, {}, 65536), 100000u);
  EXPECT_EQ(allocate_range(pool, {{100000, 65536}}, 65536), 165536u);
  // A hole left by a removed container is reused first.
  EXPECT_EQ(allocate_range(pool, {{165536, 65536}, {100000 + 2 * 65536, 65536}}, 65536), 100000u);
  // Explicit maps of other containers are avoided too, even unaligned ones.
  EXPECT_EQ(allocate_range(pool, {{100010, 5}}, 65536), 100015u);
  EXPECT_EQ(allocate_range(pool, {{100000, 65536}, {165536, 65536}, {231072, 65536}}, 65536),
            std::nullopt);
  // The next pool range when the first is full; ranges used outside any pool do not matter.
  std::vector<IdRange> two{{1000, 10}, {5000, 100}};
  EXPECT_EQ(allocate_range(two, {{1000, 10}, {7, 3}}, 10), 5000u);
  EXPECT_EQ(allocate_range(two, {}, 50), 5000u);
  EXPECT_EQ(allocate_range(two, {}, 101), std::nullopt);
  EXPECT_EQ(allocate_range({kDefaultPool}, {}, kContainerIds), kDefaultPool.first);
}

TEST(Volume, IdmapOption) {
  auto v = Volume::parse("/srv:/data:ro,idmap").value();
  EXPECT_TRUE(v.read_only);
  EXPECT_TRUE(v.idmap);
  EXPECT_EQ(v.str(), "/srv:/data:ro,idmap");
  EXPECT_FALSE(Volume::parse("/srv:/data").value().idmap);
  EXPECT_FALSE(Volume::parse("/srv:/data:noidmap"));
}

}  // namespace
}  // namespace contain::model
