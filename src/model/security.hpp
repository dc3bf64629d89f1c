// What a container may do, as the user asked for it: capabilities, the user it
// runs as, resource limits, extra mounts (volumes, tmpfs) and security options.
// Pure decisions, no system calls: every option is parsed here once, at the
// edge, so bad values are refused before anything is created.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace contain::model {

// --- Capabilities ---

// A set of capabilities as the kernel's 64-bit masks (bit N is capability N).
using CapabilitySet = std::uint64_t;

// The highest capability this program knows (CAP_CHECKPOINT_RESTORE, Linux 5.9).
inline constexpr int kLastCapability = 40;
inline constexpr CapabilitySet kAllCapabilities = (CapabilitySet{1} << (kLastCapability + 1)) - 1;

// Docker's default set: CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW,
// SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL,
// AUDIT_WRITE — 0x00000000a80425fb.
extern const CapabilitySet kDefaultCapabilities;

// "net_raw", "NET_RAW", "CAP_NET_RAW", "cap_net_raw" -> 13. "ALL" is not a
// capability (see resolve_capabilities). Usage error naming the value otherwise.
Result<int> parse_capability(std::string_view name);
// "CAP_NET_RAW" for 13; "CAP_41" for a number this program does not name.
std::string capability_name(int capability);
// "CAP_CHOWN,CAP_KILL", in number order; "" for none.
std::string capability_names(CapabilitySet set);

// The capabilities a container gets, Docker's rules: --privileged is every
// capability; --cap-add ALL starts from all, --cap-drop ALL from none,
// otherwise from the defaults; then the drops are taken away and the adds put
// back (a capability both added and dropped is added, as Docker does).
// The result is intersected with `bounding` (the caller's bounding set): a
// capability the caller lacks is silently left out, unless it was asked for
// by name, which is an error (exit 1) naming it.
struct CapabilityRequest {
  std::vector<std::string> add = {};
  std::vector<std::string> drop = {};
  bool privileged = false;
};
Result<CapabilitySet> resolve_capabilities(const CapabilityRequest& request,
                                           CapabilitySet bounding);

// --- Security options ---

// --security-opt seccomp=unconfined|FILE, no-new-privileges[=true|false] (also
// Docker's older "no-new-privileges:true").
struct SecurityOptions {
  enum class Seccomp { default_profile, unconfined, file };
  Seccomp seccomp = Seccomp::default_profile;
  std::string seccomp_file = {};  // for Seccomp::file, as given
  bool no_new_privileges = false;
};
Status apply_security_opt(std::string_view text, SecurityOptions& options);

// --- The user ---

// --user NAME|UID[:GROUP|GID], as given; names are resolved in the container's
// /etc/passwd and /etc/group (resolve_user) once its root is known.
struct UserRequest {
  std::string user;   // never empty
  std::string group;  // empty: the user's primary group
  static Result<UserRequest> parse(std::string_view text);
  std::string str() const;
};

struct ResolvedUser {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::vector<std::uint32_t> groups = {};  // supplementary: the user's groups, then --group-add
  std::string home = "/";
};

// Resolves against the text of the container's /etc/passwd and /etc/group
// (empty text: no such file). A number needs no entry: as in Docker, uid 1000
// without one runs with gid 0 unless a group is given. An unknown name is an
// error (exit 2) that says where it looked.
Result<ResolvedUser> resolve_user(const std::optional<UserRequest>& request,
                                  const std::vector<std::string>& group_add,
                                  std::string_view passwd, std::string_view group);

// --- Resource limits ---

// --ulimit NAME=SOFT[:HARD]; NAME as Docker (nofile, nproc, core, ...), a value
// a number or "unlimited" (or -1); HARD defaults to SOFT; SOFT <= HARD.
struct Ulimit {
  int resource = 0;  // RLIMIT_*
  std::string name;
  std::uint64_t soft = 0;  // RLIM_INFINITY for unlimited
  std::uint64_t hard = 0;
  static Result<Ulimit> parse(std::string_view text);
  std::string str() const;
};

// --oom-score-adj N: -1000..1000.
Result<int> parse_oom_score_adj(std::string_view text);

// A size with Docker's units: a number of bytes, or with b, k, m, g (x1024),
// any case, an optional trailing "b" ("64m", "64mb", "1G").
Result<std::uint64_t> parse_docker_size(std::string_view text, std::string_view what);

// --- Mounts ---

// -v HOST:CONTAINER[:OPTIONS]; both absolute, no "..". OPTIONS, comma-separated:
// ro or rw, and idmap (with --userns: the host's ids are seen through the
// container's map, as its root is; without it, host files keep their owners).
struct Volume {
  std::string host;
  std::string container;
  bool read_only = false;
  bool idmap = false;
  static Result<Volume> parse(std::string_view text);
  std::string str() const;
};

// --tmpfs PATH[:OPTIONS]: size=SIZE, mode=OCTAL, ro, rw, noexec, exec, nosuid,
// suid, nodev, dev. Defaults as Docker: nosuid, nodev, noexec, mode 1777.
struct Tmpfs {
  std::string path;
  std::optional<std::uint64_t> size = {};
  std::uint32_t mode = 01777;
  bool read_only = false;
  bool noexec = true;
  bool nosuid = true;
  bool nodev = true;
  static Result<Tmpfs> parse(std::string_view text);
  // The data string for mount(2): "mode=1777,size=65536".
  std::string mount_data() const;
  std::string str() const;
};

// Everything of the above a container was asked for (ContainerSpec::security).
struct ContainerSecurity {
  CapabilityRequest capabilities = {};
  SecurityOptions options = {};
  std::optional<UserRequest> user = {};
  std::vector<std::string> group_add = {};
  bool read_only = false;  // --read-only: the root is mounted read-only
  std::vector<Volume> volumes = {};
  std::vector<Tmpfs> tmpfs = {};
  std::vector<Ulimit> ulimits = {};
  int oom_score_adj = 0;
  std::optional<std::uint64_t> shm_size = {};
  bool overlay = false;  // --overlay: the rootfs is a read-only lower layer
};

// An absolute path without ".." components, empty components or a trailing
// slash mattering; `what` names the option in the error.
Status check_container_path(std::string_view path, std::string_view what);

}  // namespace contain::model
