#include "engine/container/userns.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/nsfs.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "core/unique_fd.hpp"
#include "engine/bridge_link.hpp"
#include "engine/container/child.hpp"
#include "engine/container/security.hpp"
#include "engine/records.hpp"
#include "kernel/files.hpp"
#include "kernel/userns.hpp"

namespace contain::engine::detail {

namespace {

using model::IdMap;
using model::IdRange;
using Mode = model::UsernsRequest::Mode;
using nlohmann::json;

}  // namespace

std::optional<ContainerUsernsRecord> PreparedUserns::to_record() const {
  if (!enabled()) return std::nullopt;
  return ContainerUsernsRecord{.mode = rootless ? "rootless" : model::UsernsRequest{mode}.str(),
                               .uid_map = model::id_map_str(uid_map),
                               .gid_map = model::id_map_str(gid_map),
                               .joined = joins()};
}

namespace {

// Rootless --network netns:NS: the user may enter NS only with privilege over
// the user namespace that owns it, so that one must be the caller's own (made
// by unshare -Urn, say); the container joins it instead of making its own.
Status prepare_joined_userns(const model::ContainerSpec& spec, PreparedUserns& u) {
  std::string what = fmt::format("--network netns:{}", spec.network.name);
  auto ref = TRY_WRAP(resolve_netns(TRY(model::NetnsSpec::parse(spec.network.name))), what);
  auto netns = TRY_WRAP(ref.open(), what);
  UniqueFd owner(::ioctl(netns.get(), NS_GET_USERNS));
  if (!owner)
    return fail(Error::system(fmt::format("{}: find the user namespace that owns it", what)));
  UniqueFd own(::open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC));
  struct stat a {
  }, b{};
  if (!own || ::fstat(owner.get(), &a) < 0 || ::fstat(own.get(), &b) < 0)
    return fail(Error::system(fmt::format("{}: compare user namespaces", what)));
  uid_t owner_uid = 0;
  bool ours = ::ioctl(owner.get(), NS_GET_OWNER_UID, &owner_uid) == 0 && owner_uid == ::geteuid();
  if (a.st_ino == b.st_ino || !ours)
    return fail(Error::usage(fmt::format(
        "{}: that network namespace belongs to {}, not to a user namespace of yours; a rootless "
        "container can join only one made in your own (e.g. by 'unshare -Urn'), or use "
        "--network none or pasta",
        what,
        a.st_ino == b.st_ino ? std::string("the host's users (root)")
                             : fmt::format("a user namespace of uid {}", owner_uid))));
  u.joins_owner = true;
  return {};
}

// An unprivileged caller: a user namespace always; its own ids are root
// inside, and its /etc/subuid and /etc/subgid ranges (if it has both) are
// 1-65536 through newuidmap/newgidmap. What needs the host's privileges is
// refused here, before anything is made.
Status prepare_rootless(const model::ContainerSpec& spec, PreparedUserns& u) {
  using Kind = model::NetworkChoice::Kind;
  if (spec.userns.mode == Mode::explicit_maps)
    return fail(Error::usage(
        "--uidmap/--gidmap need root: a rootless container maps your own id to root inside "
        "and your /etc/subuid and /etc/subgid ranges to 1-65536"));
  if (spec.network.kind == Kind::managed)
    return fail(Error::usage(fmt::format(
        "--network {}: a managed network needs root (its bridge and firewall are the host's); "
        "rootless containers have --network none or pasta (or run as root)",
        spec.network.name)));
  if (spec.network.kind == Kind::netns) TRY(prepare_joined_userns(spec, u));
  for (const auto& v : spec.security.volumes)
    if (v.idmap)
      return fail(Error::usage(fmt::format(
          "-v {}: idmapped mounts need root; drop ',idmap' (your files are root's inside)",
          v.str())));
  // pasta opens the tun device inside the container's namespaces, as the user.
  if (spec.network.kind == Kind::pasta && ::access("/dev/net/tun", R_OK | W_OK) < 0)
    return fail(Error::failed(
        fmt::format("--network pasta: /dev/net/tun is not usable by you ({}); pasta needs it "
                    "(udev makes it mode 0666 on most systems: ask root to)",
                    std::strerror(errno)),
        errno));
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  if (spec.rootfs) {
    struct stat st;
    if (::stat(spec.rootfs->c_str(), &st) < 0)
      return fail(Error::system(fmt::format("--rootfs {}", *spec.rootfs)));
    if (st.st_uid != uid)
      return fail(Error::usage(fmt::format(
          "--rootfs {} is owned by uid {}, not by you (uid {}): a rootless container sees only "
          "your own files as root's; copy it as yourself (cp -a) or run as root with --userns",
          *spec.rootfs, st.st_uid, uid)));
  }
  // The files first (missing ones list nothing): most systems list nobody, and
  // the caller's name, which only a listed line is compared with, costs an NSS
  // lookup (nsswitch.conf, nscd, /etc/passwd; LDAP on some), more than the
  // rest of this preparation.
  std::string subuid = TRY(kernel::read_config_file("/etc/subuid")).value_or("");
  std::string subgid = TRY(kernel::read_config_file("/etc/subgid")).value_or("");
  std::string name;
  if (model::lists_subordinate_ids(subuid) || model::lists_subordinate_ids(subgid)) {
    passwd* pw = ::getpwuid(uid);
    name = pw ? pw->pw_name : std::to_string(uid);
  }
  auto uids = TRY(model::parse_subordinate_ids(subuid, name, uid, "/etc/subuid"));
  auto gids = TRY(model::parse_subordinate_ids(subgid, name, uid, "/etc/subgid"));
  u.uid_map = {{0, uid, 1}};
  u.gid_map = {{0, gid, 1}};
  if (!uids.empty() && !gids.empty()) {
    u.helpers = true;
    u.uid_map.push_back({1, uids[0].first, std::min(uids[0].count, model::kContainerIds)});
    u.gid_map.push_back({1, gids[0].first, std::min(gids[0].count, model::kContainerIds)});
  }
  return {};
}

std::vector<std::uint32_t> helper_args(const IdMap& map) {
  std::vector<std::uint32_t> out;
  for (const auto& e : map) out.insert(out.end(), {e.inside, e.outside, e.count});
  return out;
}

}  // namespace

Result<PreparedUserns> prepare_userns(const model::ContainerSpec& spec) {
  PreparedUserns u;
  u.mode = spec.userns.mode;
  u.uid_map = spec.userns.uid_map;
  u.gid_map = spec.userns.gid_map;
  u.volume_fd_index.assign(spec.security.volumes.size(), -1);
  u.rootless = ::geteuid() != 0;
  if (u.rootless) {
    TRY(prepare_rootless(spec, u));
    u.received.assign(1, -1);
    return u;
  }
  if (spec.network.kind == model::NetworkChoice::Kind::pasta)
    return fail(
        Error::usage("--network pasta is for rootless containers; as root, use a managed network "
                     "('contain network create') with -p"));
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
  TRY(store.visit<ContainerRecord>(
      [&](const std::string& name, const ContainerRecord& r) -> Status {
        if (!r.userns || r.rootless()) return Status{};
        std::string what = fmt::format("the user namespace recorded for container {}", name);
        auto uids = TRY_WRAP(model::parse_id_map(r.userns->uid_map, "uid_map"), what);
        auto gids = TRY_WRAP(model::parse_id_map(r.userns->gid_map, "gid_map"), what);
        for (auto range : model::host_ranges(uids)) used_uids.push_back(range);
        for (auto range : model::host_ranges(gids)) used_gids.push_back(range);
        return Status{};
      }));
  // The files first (missing ones list nothing). The user "contain" is found
  // by name; its uid matters only to a line keyed by number, and looking it up
  // goes through NSS: here nsswitch.conf, /etc/passwd and libnss_systemd
  // (loaded with libcap and libm, then asking systemd's user database), about
  // 1.9 ms of every --userns run (bench/RESULTS.md).
  std::string subuid = TRY(kernel::read_config_file("/etc/subuid")).value_or("");
  std::string subgid = TRY(kernel::read_config_file("/etc/subgid")).value_or("");
  auto contain_uid = static_cast<std::uint32_t>(-1);
  if (model::names_users_by_uid(subuid) || model::names_users_by_uid(subgid))
    if (passwd* pw = ::getpwnam("contain")) contain_uid = pw->pw_uid;
  auto uid_pool = TRY(model::parse_subordinate_ids(subuid, "contain", contain_uid, "/etc/subuid"));
  auto gid_pool = TRY(model::parse_subordinate_ids(subgid, "contain", contain_uid, "/etc/subgid"));
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

namespace {

// Rootless, joining the user namespace of --network netns:NS: a process may
// enter a user namespace only while single-threaded and never leave it, so a
// short-lived process of ours enters it (and NS) and makes the container with
// CLONE_PARENT: the container is then our child, as always.
Result<kernel::Cloned> clone_in_joined_userns(std::uint64_t flags, int netns_fd) {
  UniqueFd owner(::ioctl(netns_fd, NS_GET_USERNS));
  if (!owner) return fail(Error::system("find the user namespace of the network namespace"));
  int userns_fd = owner.get();
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) return fail(Error::system("create a pipe"));
  UniqueFd read_end(p[0]), write_end(p[1]);
  pid_t mid = ::fork();
  if (mid < 0) return fail(Error::system("fork"));
  if (mid == 0) {
    read_end.reset();
    // The pid of the container, or minus the errno and the step that failed.
    std::int32_t report[2] = {0, 0};
    if (::setns(userns_fd, CLONE_NEWUSER) < 0)
      report[0] = -errno, report[1] = 1;
    else if (::setns(netns_fd, CLONE_NEWNET) < 0)
      report[0] = -errno, report[1] = 2;
    else {
      // (clone3 takes no exit signal with CLONE_PARENT: ours, SIGCHLD, is used.)
      auto cloned = kernel::clone_with_pidfd((flags & ~CLONE_NEWUSER) | CLONE_PARENT, 0);
      if (cloned && cloned->pid == 0) return cloned;  // the container: on to its stages
      if (cloned)
        report[0] = cloned->pid;
      else
        report[0] = -cloned.error().code(), report[1] = 3;
    }
    (void)!::write(write_end.get(), report, sizeof report);
    ::_exit(0);
  }
  write_end.reset();
  std::int32_t report[2] = {0, 0};
  ssize_t n;
  do n = ::read(read_end.get(), report, sizeof report);
  while (n < 0 && errno == EINTR);
  while (::waitpid(mid, nullptr, 0) < 0 && errno == EINTR) {
  }
  if (n != sizeof report) return fail(Error::failed("the process entering the namespaces died"));
  if (report[0] < 0) {
    static const char* const steps[] = {"", "enter the user namespace of the network namespace",
                                        "enter the network namespace",
                                        "create the container process (clone3)"};
    return fail(Error::system(steps[report[1] & 3], -report[0]));
  }
  kernel::Cloned cloned;
  cloned.pid = report[0];
  cloned.pidfd = TRY(kernel::open_pidfd(cloned.pid));
  return cloned;
}

}  // namespace

Result<kernel::Cloned> clone_container(std::uint64_t flags, const PreparedUserns& userns,
                                       int join_netns_fd) {
  if (userns.joins()) return clone_in_joined_userns(flags, join_netns_fd);
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
  if (userns.joins())
    ;  // a user namespace of the caller's, with its maps already
  else if (userns.helpers)
    TRY(kernel::write_id_maps_with_helpers(pid, helper_args(userns.uid_map),
                                           helper_args(userns.gid_map)));
  else  // An unprivileged writer must deny setgroups before it may write a gid map.
    TRY(kernel::write_id_maps(pid, model::id_map_text(userns.uid_map),
                              model::id_map_text(userns.gid_map), userns.rootless));
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
  // could lower them but not set them to any value it was given. Rootless,
  // the score only when asked: lowering one's own needs a privilege.
  int oom = spec.security.oom_score_adj;
  TRY(apply_limits(pid, spec.security.ulimits,
                   userns.rootless && oom == 0 ? std::nullopt : std::optional<int>(oom)));
  std::vector<int> fds;
  for (const auto& t : trees) fds.push_back(t.get());
  return kernel::send_with_fds(sync_fd, kMapsReady, fds);
}

}  // namespace contain::engine::detail
