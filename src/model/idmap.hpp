// User namespaces as the user asks for them (--userns, --uidmap, --gidmap),
// the subordinate id files (/etc/subuid, /etc/subgid) and the choice of a
// free host range for a container. Pure logic: no system calls.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace contain::model {

// One line of /proc/PID/uid_map: ids inside..inside+count-1 of the container
// are host ids outside..outside+count-1.
struct IdMapEntry {
  std::uint32_t inside = 0;
  std::uint32_t outside = 0;
  std::uint32_t count = 0;
  auto operator<=>(const IdMapEntry&) const = default;
};

// A uid or gid map: at most 340 entries (the kernel's limit), neither the
// inside nor the outside ranges overlapping (the kernel refuses both).
using IdMap = std::vector<IdMapEntry>;
inline constexpr std::size_t kMaxIdMapEntries = 340;
// The ids a default container has inside: 0-65535, as podman and Docker give.
inline constexpr std::uint32_t kContainerIds = 65536;

// --uidmap / --gidmap CONTAINER:HOST:COUNT (podman's form). `option` names
// the option in messages.
Result<IdMapEntry> parse_id_map_entry(std::string_view text, std::string_view option);
// Checks a whole map: not empty, no overlap inside or outside, ≤ 340 entries.
Status check_id_map(const IdMap& map, std::string_view option);
// The text the kernel reads from /proc/PID/uid_map: one "inside outside count" a line.
std::string id_map_text(const IdMap& map);
// "0:100000:65536,..." for records and messages; parse_id_map reads it back.
std::string id_map_str(const IdMap& map);
Result<IdMap> parse_id_map(std::string_view text, std::string_view option);
// The host id an inside id maps to, if it is mapped.
std::optional<std::uint32_t> map_to_host(const IdMap& map, std::uint32_t inside);

// --userns: host (no user namespace, the default), auto (a new one whose ids
// 0-65535 map to a free range of the pool), or explicit maps (--uidmap/--gidmap).
struct UsernsRequest {
  enum class Mode { host, automatic, explicit_maps };
  Mode mode = Mode::host;
  IdMap uid_map = {};
  IdMap gid_map = {};
  // From --userns[=MODE], --uidmap and --gidmap (empty `mode`: no --userns given).
  // --uidmap alone also maps gids the same way (as podman does).
  static Result<UsernsRequest> parse(std::string_view mode, const std::vector<std::string>& uidmap,
                                     const std::vector<std::string>& gidmap);
  bool enabled() const { return mode != Mode::host; }
  std::string str() const;  // "host", "auto" or "explicit"
};

// A range of host ids: first..first+count-1.
struct IdRange {
  std::uint32_t first = 0;
  std::uint32_t count = 0;
  std::uint64_t end() const { return std::uint64_t{first} + count; }
  auto operator<=>(const IdRange&) const = default;
};

// The ranges /etc/subuid or /etc/subgid gives a user, in file order: lines
// "NAME:FIRST:COUNT" or "UID:FIRST:COUNT". Blank lines and lines starting
// with '#' are skipped; a malformed line is an error naming its number.
Result<std::vector<IdRange>> parse_subordinate_ids(std::string_view text, std::string_view user,
                                                   std::uint32_t uid, std::string_view file);
// Whether `text` has a line parse_subordinate_ids would look at (one neither
// blank nor a comment): if neither file has one, the caller's name is not needed.
bool lists_subordinate_ids(std::string_view text);
// Whether a line of `text` names its user by number ("UID:FIRST:COUNT"): only
// then does finding a user's ranges need the user's uid.
bool names_users_by_uid(std::string_view text);

// The pool automatic ranges come from when /etc/subuid has no entry for the
// user "contain": 65536 × 16384 ids from 1,000,000,000 (below 2^31, which
// some tools treat as negative; above the ids distributions hand out).
inline constexpr IdRange kDefaultPool{1'000'000'000u, 65536u * 16384u};

// The first `count` host ids in `pool` (ranges in order) that overlap none of
// `used`; nullopt if the pool is exhausted.
std::optional<std::uint32_t> allocate_range(const std::vector<IdRange>& pool,
                                            std::vector<IdRange> used, std::uint32_t count);

// The host ranges a map uses (its outside ranges).
std::vector<IdRange> host_ranges(const IdMap& map);

}  // namespace contain::model
