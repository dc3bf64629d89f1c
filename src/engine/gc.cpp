#include "engine/gc.hpp"

#include <fmt/format.h>

#include <set>

#include "engine/container.hpp"
#include "engine/state.hpp"
#include "kernel/link.hpp"
#include "kernel/netns.hpp"

namespace contain::engine {

namespace {

constexpr std::string_view kNetnsKind = "netns";
constexpr std::string_view kNetnsOwnerPrefix = "contain:netns/";

bool netns_alive(const std::string& name) {
  auto parsed = NetnsName::parse(name);
  return parsed && kernel::netns_exists(*parsed);
}

}  // namespace

Result<std::vector<std::string>> collect_garbage() {
  auto store = TRY(StateStore::lock());
  auto host = TRY(kernel::NetlinkSocket::open());
  auto links = TRY(kernel::list_links(host));
  std::vector<std::string> done;

  // Records of namespaces that are gone.
  std::set<std::string> recorded_alive;
  for (const auto& name : TRY(store.list(kNetnsKind))) {
    if (netns_alive(name)) {
      recorded_alive.insert(name);
      continue;
    }
    TRY(store.remove(kNetnsKind, name));
    done.push_back(fmt::format("removed the record of namespace {} (it no longer exists)", name));
  }
  // Host links marked as belonging to a namespace that is gone. (The kernel
  // destroys a veth with its namespace; one is left only when something else
  // kept the namespace alive while its name was removed.)
  for (const auto& link : links) {
    if (!link.alias.starts_with(kNetnsOwnerPrefix)) continue;
    std::string owner = link.alias.substr(kNetnsOwnerPrefix.size());
    if (recorded_alive.contains(owner) || netns_alive(owner)) continue;
    TRY(kernel::delete_link(host, link.ifindex));
    done.push_back(fmt::format("deleted link {} (its namespace {} no longer exists)", link.name,
                               owner));
  }
  // Containers that died with their monitor.
  for (auto& line : TRY(collect_container_garbage(store))) done.push_back(std::move(line));
  return done;
}

}  // namespace contain::engine
