// The release plan: which kinds each event gives back, and in which order.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "engine/release.hpp"

namespace contain::engine {
namespace {

using K = ReleaseKind;
using E = ReleaseEvent;

std::vector<K> plan(std::vector<std::string> owners, ReleaseOptions options) {
  return plan_release(owners, options);
}

TEST(ReleasePlan, TableFollowsTheEnumOrderAndNamesEveryKindOnce) {
  std::set<K> seen;
  for (std::size_t i = 0; i < std::size(kReleaseOrder); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(kReleaseOrder[i].kind), i) << kReleaseOrder[i].name;
    EXPECT_TRUE(seen.insert(kReleaseOrder[i].kind).second);
    EXPECT_NE(release_kind_name(kReleaseOrder[i].kind), "?");
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(K::netns_records) + 1);
}

TEST(ReleasePlan, NamespaceDeleteLeavesLinksToTheKernel) {
  EXPECT_EQ(plan({"netns/a", "netns/b"}, {.event = E::namespace_deleted}),
            (std::vector<K>{K::firewall, K::shaping, K::addresses}));
}

TEST(ReleasePlan, ContainerExitWaitsForItsVethBeforeFirewallAndAddresses) {
  EXPECT_EQ(plan({"container/box"}, {.event = E::container_exited}),
            (std::vector<K>{K::cgroups, K::pasta, K::await_links, K::firewall, K::addresses,
                            K::netns_records}));
  // No published port: nothing of it is in the firewall.
  EXPECT_EQ(plan({"container/box"}, {.event = E::container_exited, .firewall = false}),
            (std::vector<K>{K::cgroups, K::pasta, K::await_links, K::addresses, K::netns_records}));
  // No managed network: only its processes.
  EXPECT_EQ(plan({"container/box"}, {.event = E::container_exited, .networked = false}),
            (std::vector<K>{K::cgroups, K::pasta}));
}

TEST(ReleasePlan, RmAndGcOfAContainer) {
  EXPECT_EQ(plan({"container/box"}, {.event = E::container_removed}),
            (std::vector<K>{K::cgroups, K::pasta, K::firewall, K::addresses, K::netns_records}));
  // gc deletes the host ends itself: the namespace may not be destroyed yet.
  EXPECT_EQ(plan({"container/box"}, {.event = E::container_collected}),
            (std::vector<K>{K::cgroups, K::pasta, K::firewall, K::host_links, K::addresses,
                            K::netns_records}));
  // An exited container: its monitor gave back the rest.
  EXPECT_EQ(plan({"container/box"}, {.event = E::exited_collected}),
            (std::vector<K>{K::cgroups, K::pasta}));
}

TEST(ReleasePlan, ProcessesOnlyForContainers) {
  for (E event : {E::container_removed, E::container_collected, E::exited_collected}) {
    auto kinds = plan({"netns/a"}, {.event = event});
    EXPECT_EQ(std::count(kinds.begin(), kinds.end(), K::cgroups), 0);
    EXPECT_EQ(std::count(kinds.begin(), kinds.end(), K::pasta), 0);
  }
}

TEST(ReleasePlan, NetworkDetachAndDelete) {
  EXPECT_EQ(plan({"netns/a"}, {.event = E::attachment_detached, .network = "web"}),
            (std::vector<K>{K::forwards_into, K::host_links, K::addresses}));
  // The network's record, attachments and all, is removed by the caller.
  EXPECT_EQ(plan({"network/web"}, {.event = E::network_deleted, .network = "web"}),
            (std::vector<K>{K::releasing, K::firewall, K::forwards_into, K::host_links}));
}

TEST(ReleasePlan, CniDelete) {
  EXPECT_EQ(plan({"cni/abc/eth0"}, {.event = E::cni_deleted, .network = "web"}),
            (std::vector<K>{K::firewall, K::shaping, K::host_links, K::addresses}));
}

// Whatever the event, firewall entries go before the links and addresses
// they point at, and processes before everything.
TEST(ReleasePlan, OrderHoldsForEveryEvent) {
  for (int e = 0; e <= static_cast<int>(E::cni_deleted); ++e) {
    auto kinds = plan({"container/box"}, {.event = static_cast<E>(e)});
    EXPECT_TRUE(std::is_sorted(kinds.begin(), kinds.end())) << e;
    auto at = [&](K k) { return std::find(kinds.begin(), kinds.end(), k) - kinds.begin(); };
    if (at(K::firewall) < std::ssize(kinds)) {
      // (A kind not in the plan is at its end.)
      EXPECT_LT(at(K::firewall), at(K::addresses)) << e;
      EXPECT_LT(at(K::firewall), at(K::host_links)) << e;
    }
    EXPECT_FALSE(kinds.empty()) << e;
  }
}

TEST(ReleasePlan, NoOwnersNothing) {
  // release_owned_by returns at once; the plan still answers for the event.
  EXPECT_TRUE(plan({}, {.event = E::exited_collected}).empty());
}

}  // namespace
}  // namespace contain::engine
