#include "engine/container_userns.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "core/unique_fd.hpp"
#include "engine/container_child.hpp"
#include "engine/records.hpp"
#include "kernel/userns.hpp"

namespace contain::engine::detail {

namespace {

using model::IdMap;
using model::IdRange;
using Mode = model::UsernsRequest::Mode;
using nlohmann::json;

std::optional<std::string> read_text(const char* path) {
  std::ifstream file(path);
  if (!file) return std::nullopt;
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// The ranges /etc/subuid (or subgid) gives `user`; none if the file is missing.
Result<std::vector<IdRange>> subordinate_ids(const char* file, const std::string& user,
                                             std::uint32_t uid) {
  auto text = read_text(file);
  if (!text) return std::vector<IdRange>{};
  return model::parse_subordinate_ids(*text, user, uid, file);
}

}  // namespace

json PreparedUserns::to_json() const {
  if (!enabled()) return nullptr;
  return {{"mode", rootless ? "rootless" : model::UsernsRequest{mode}.str()},
          {"uid_map", model::id_map_str(uid_map)},
          {"gid_map", model::id_map_str(gid_map)}};
}

Result<PreparedUserns> prepare_userns(const model::ContainerSpec& spec) {
  PreparedUserns u;
  u.mode = spec.userns.mode;
  u.uid_map = spec.userns.uid_map;
  u.gid_map = spec.userns.gid_map;
  u.volume_fd_index.assign(spec.security.volumes.size(), -1);
  if (!u.enabled()) return u;
  int next = 0;
  if (spec.rootfs) {
    u.idmapped_root = true;
    ++next;
  }
  for (std::size_t i = 0; i < spec.security.volumes.size(); ++i)
    if (spec.security.volumes[i].idmap) u.volume_fd_index[i] = next++;
  if (next > 64)
    return fail(Error::usage(
        fmt::format("{} idmapped mounts: at most 64 (the root and volumes with ',idmap')", next)));
  u.received.assign(static_cast<std::size_t>(std::max(next, 1)), -1);
  return u;
}

Status allocate_userns(const StateStore& store, PreparedUserns& userns) {
  if (userns.mode != Mode::automatic || userns.rootless) return {};
  std::vector<IdRange> used_uids, used_gids;
  for (const auto& [name, r] : TRY(store.read_all(kContainerKind))) {
    if (!r.contains("userns") || !r["userns"].is_object()) continue;
    const json& u = r["userns"];
    if (u.value("mode", "") == "rootless") continue;
    std::string what = fmt::format("the user namespace recorded for container {}", name);
    auto uids = TRY_WRAP(model::parse_id_map(u.value("uid_map", ""), "uid_map"), what);
    auto gids = TRY_WRAP(model::parse_id_map(u.value("gid_map", ""), "gid_map"), what);
    for (auto range : model::host_ranges(uids)) used_uids.push_back(range);
    for (auto range : model::host_ranges(gids)) used_gids.push_back(range);
  }
  passwd* pw = ::getpwnam("contain");
  std::uint32_t contain_uid = pw ? pw->pw_uid : static_cast<std::uint32_t>(-1);
  auto uid_pool = TRY(subordinate_ids("/etc/subuid", "contain", contain_uid));
  auto gid_pool = TRY(subordinate_ids("/etc/subgid", "contain", contain_uid));
  if (uid_pool.empty()) uid_pool = {model::kDefaultPool};
  if (gid_pool.empty()) gid_pool = {model::kDefaultPool};
  auto uid = model::allocate_range(uid_pool, used_uids, model::kContainerIds);
  auto gid = model::allocate_range(gid_pool, used_gids, model::kContainerIds);
  if (!uid || !gid)
    return fail(Error::failed(
        fmt::format("--userns: every range of {} ids in the pool is in use (remove exited "
                    "containers with 'contain rm', or give the user 'contain' a larger range "
                    "in /etc/subuid and /etc/subgid)",
                    model::kContainerIds),
        ENOSPC));
  userns.uid_map = {{0, *uid, model::kContainerIds}};
  userns.gid_map = {{0, *gid, model::kContainerIds}};
  return {};
}

void plan_userns(const PreparedUserns& userns, ChildPlan& plan) {
  plan.userns = userns.enabled();
  if (!plan.userns) return;
  plan.idmapped_root = userns.idmapped_root;
  plan.volume_fd_index = userns.volume_fd_index.data();
  // The child writes into its own copy of this buffer (after clone, memory is not shared).
  plan.mount_fds = const_cast<int*>(userns.received.data());
  plan.mount_fd_count = static_cast<int>(userns.received.size());
}

Result<kernel::Cloned> clone_container(std::uint64_t flags, const PreparedUserns& userns,
                                       int join_netns_fd) {
  if (!userns.enabled() || join_netns_fd < 0) return kernel::clone_with_pidfd(flags);
  UniqueFd own(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!own) return fail(Error::system("open /proc/self/ns/net"));
  if (::setns(join_netns_fd, CLONE_NEWNET) < 0)
    return fail(Error::system("enter the network namespace"));
  auto cloned = kernel::clone_with_pidfd(flags);
  if (cloned && cloned->pid == 0) return cloned;  // the child, in the namespace
  if (::setns(own.get(), CLONE_NEWNET) < 0) {
    Error e = Error::system("return to our own network namespace");
    if (cloned) {
      (void)kernel::signal_pidfd(cloned->pidfd.get(), SIGKILL);
      while (::waitpid(cloned->pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    return fail(std::move(e));
  }
  return cloned;
}

Status configure_userns(const model::ContainerSpec& spec, const PreparedUserns& userns, pid_t pid,
                        int sync_fd) {
  if (!userns.enabled()) return {};
  TRY(kernel::write_id_maps(pid, model::id_map_text(userns.uid_map),
                            model::id_map_text(userns.gid_map), false));
  std::vector<UniqueFd> trees;
  bool need_trees = userns.idmapped_root;
  for (int index : userns.volume_fd_index) need_trees = need_trees || index >= 0;
  if (need_trees) {
    UniqueFd ns = TRY(kernel::open_user_namespace(pid));
    // --overlay: DIR is the lower layer; otherwise DIR itself becomes /.
    if (userns.idmapped_root)
      trees.push_back(TRY(kernel::idmapped_tree(spec.rootfs->c_str(), ns.get(), false, false,
                                                fmt::format("--rootfs {}", *spec.rootfs))));
    const auto& volumes = spec.security.volumes;
    for (std::size_t i = 0; i < volumes.size(); ++i)
      if (userns.volume_fd_index[i] >= 0)
        trees.push_back(
            TRY(kernel::idmapped_tree(volumes[i].host, ns.get(), true, volumes[i].read_only,
                                      fmt::format("-v {}", volumes[i].str()))));
  }
  // Limits of the host's user namespace: the child, root only inside its own,
  // could lower them but not set them to any value it was given.
  for (const auto& limit : spec.security.ulimits) {
    rlimit value{limit.soft, limit.hard};
    if (::prlimit(pid, static_cast<__rlimit_resource>(limit.resource), &value, nullptr) < 0)
      return fail(Error::system(fmt::format("--ulimit {}", limit.str())));
  }
  {
    std::string path = fmt::format("/proc/{}/oom_score_adj", pid);
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    std::string text = std::to_string(spec.security.oom_score_adj);
    if (!fd || ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      return fail(Error::system(fmt::format("--oom-score-adj {}", text)));
  }
  std::vector<int> fds;
  for (const auto& t : trees) fds.push_back(t.get());
  return kernel::send_with_fds(sync_fd, kMapsReady, fds);
}

bool has_userns(const json& record) {
  return record.contains("userns") && record["userns"].is_object();
}

}  // namespace contain::engine::detail
