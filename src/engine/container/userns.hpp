// A container's user namespace (--userns, --uidmap/--gidmap, and every
// container of an unprivileged caller): the maps it gets, the host ranges
// allocated under the store's lock (recorded in the container's record, so
// they are free again when the record goes), and the parent's stage after
// clone (maps, idmapped mounts). Internal to the engine.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "core/error.hpp"
#include "engine/record/container.hpp"
#include "engine/state.hpp"
#include "kernel/process.hpp"
#include "model/container.hpp"
#include "model/idmap.hpp"

namespace contain::engine::detail {

struct ChildPlan;

struct PreparedUserns {
  model::UsernsRequest::Mode mode = model::UsernsRequest::Mode::host;
  // An unprivileged caller: maps through newuidmap/newgidmap (full) or of
  // the caller's own ids alone (setgroups denied), no idmapped mounts.
  bool rootless = false;
  bool helpers = false;           // rootless, with a range in /etc/subuid and /etc/subgid
  model::IdMap uid_map, gid_map;  // automatic: filled by allocate_userns
  // Which descriptors the child receives with the maps (SCM_RIGHTS), in order:
  // the idmapped root first (if any), then idmapped volumes.
  bool idmapped_root = false;
  std::vector<int> volume_fd_index;  // per volume, its place among them, or -1
  std::vector<int> received;         // the child's buffer for them (-1 filled)
  // Rootless with --network netns:NS where NS was made in a user namespace of
  // the caller's (unshare -Urn): that user namespace, joined instead of a new
  // one (a user may enter NS only through it). Its maps are its own: none written.
  bool joins_owner = false;

  bool joins() const { return joins_owner; }

  bool enabled() const { return mode != model::UsernsRequest::Mode::host || rootless; }
  // The record's "userns" (engine/record/container.hpp); none if disabled.
  std::optional<ContainerUsernsRecord> to_record() const;
};

// Before anything is created: the maps asked for, or how rootless maps will
// be made; what cannot work is refused here (usage errors).
Result<PreparedUserns> prepare_userns(const model::ContainerSpec& spec);

// Under the store's lock, before the container's record is written: an
// automatic container gets the first 65536 host uids and gids of the pool
// (/etc/subuid and /etc/subgid entries of the user "contain", else
// model::kDefaultPool) that no recorded container uses.
Status allocate_userns(const StateStore& store, PreparedUserns& userns);

// Fills the child's part of the plan (clone flags are added by the caller).
void plan_userns(const PreparedUserns& userns, ChildPlan& plan);

// clone3 for the container: with a user namespace and --network netns:NS,
// the clone happens inside NS (we enter it for that moment), since a child in
// a new user namespace may not enter a namespace of the host's.
Result<kernel::Cloned> clone_container(std::uint64_t flags, const PreparedUserns& userns,
                                       int join_netns_fd);

// Parent, after clone, before anything else of the child runs: writes the
// maps, makes the idmapped root and volumes, applies --ulimit and
// --oom-score-adj from outside (the child has no privilege over the host's
// limits any more) and sends the maps-ready byte with the mounts.
Status configure_userns(const model::ContainerSpec& spec, const PreparedUserns& userns, pid_t pid,
                        int sync_fd);

// The byte the parent sends once the maps are written.
inline constexpr char kMapsReady = 'U';

}  // namespace contain::engine::detail
