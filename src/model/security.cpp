#include "model/security.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

#include "core/text.hpp"

namespace contain::model {

namespace {

// Indexed by capability number, as <linux/capability.h>.
constexpr std::array<std::string_view, kLastCapability + 1> kCapabilityNames = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE"};

constexpr CapabilitySet bit(int capability) { return CapabilitySet{1} << capability; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

bool is_all(std::string_view name) { return iequals(name, "ALL") || iequals(name, "CAP_ALL"); }

struct LimitName {
  std::string_view name;
  int resource;
};
constexpr LimitName kLimits[] = {{"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
                                 {"data", RLIMIT_DATA},         {"fsize", RLIMIT_FSIZE},
                                 {"locks", RLIMIT_LOCKS},       {"memlock", RLIMIT_MEMLOCK},
                                 {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
                                 {"nofile", RLIMIT_NOFILE},     {"nproc", RLIMIT_NPROC},
                                 {"rss", RLIMIT_RSS},           {"rtprio", RLIMIT_RTPRIO},
                                 {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
                                 {"stack", RLIMIT_STACK},       {"as", RLIMIT_AS}};

// One line of /etc/passwd or /etc/group split at ':'.
std::optional<std::vector<std::string_view>> find_entry(std::string_view file, std::string_view key,
                                                        std::size_t key_field,
                                                        std::size_t min_fields) {
  for (auto line : split(file, '\n')) {
    if (line.empty() || line.front() == '#') continue;
    auto fields = split(line, ':');
    if (fields.size() < min_fields) continue;
    if (fields[key_field] == key) return fields;
  }
  return std::nullopt;
}

Result<std::uint32_t> resolve_group(std::string_view name, std::string_view group_file,
                                    std::string_view option) {
  if (auto gid = parse_number<std::uint32_t>(name)) return *gid;
  auto entry = find_entry(group_file, name, 0, 3);
  if (!entry)
    return fail(Error::usage(fmt::format(
        "{}: no group named '{}' in the container's /etc/group; give a number or a group "
        "that exists there",
        option, name)));
  auto gid = parse_number<std::uint32_t>((*entry)[2]);
  if (!gid)
    return fail(Error::usage(
        fmt::format("{}: group '{}' has a bad gid in the container's /etc/group", option, name)));
  return *gid;
}

}  // namespace

const CapabilitySet kDefaultCapabilities = bit(0) | bit(1) | bit(4) | bit(3) | bit(27) | bit(13) |
                                           bit(6) | bit(7) | bit(31) | bit(8) | bit(10) | bit(18) |
                                           bit(5) | bit(29);

Result<int> parse_capability(std::string_view name) {
  std::string_view bare = name;
  if (bare.size() > 4 && iequals(bare.substr(0, 4), "CAP_")) bare.remove_prefix(4);
  for (int cap = 0; cap <= kLastCapability; ++cap)
    if (iequals(bare, kCapabilityNames[cap])) return cap;
  return fail(Error::usage(fmt::format(
      "unknown capability '{}'; use a name such as NET_ADMIN or CAP_NET_ADMIN (any case), or ALL",
      name)));
}

std::string capability_name(int capability) {
  if (capability >= 0 && capability <= kLastCapability)
    return fmt::format("CAP_{}", kCapabilityNames[capability]);
  return fmt::format("CAP_{}", capability);
}

std::string capability_names(CapabilitySet set) {
  std::string out;
  for (int cap = 0; cap < 64; ++cap) {
    if (!(set & bit(cap))) continue;
    if (!out.empty()) out += ',';
    out += capability_name(cap);
  }
  return out;
}

Result<CapabilitySet> resolve_capabilities(const CapabilityRequest& request,
                                           CapabilitySet bounding) {
  bool add_all = false, drop_all = false;
  CapabilitySet add = 0, drop = 0;
  for (const auto& name : request.add) {
    if (is_all(name)) {
      add_all = true;
      continue;
    }
    add |= bit(TRY_WRAP(parse_capability(name), "--cap-add"));
  }
  for (const auto& name : request.drop) {
    if (is_all(name)) {
      drop_all = true;
      continue;
    }
    drop |= bit(TRY_WRAP(parse_capability(name), "--cap-drop"));
  }
  if (request.privileged) return bounding & kAllCapabilities;
  if (CapabilitySet missing = add & ~bounding)
    return fail(Error::failed(
        fmt::format("--cap-add {}: this process does not have it (its bounding set lacks it), so "
                    "the container cannot get it; run contain with it or leave the option out",
                    capability_names(missing)),
        EPERM));
  CapabilitySet base = add_all ? kAllCapabilities : drop_all ? 0 : kDefaultCapabilities;
  if (add_all) drop &= ~add;  // as Docker: with ALL added, a drop still applies
  CapabilitySet set = ((base & ~drop) | add) & bounding;
  return set;
}

Status apply_security_opt(std::string_view text, SecurityOptions& options) {
  auto equals = text.find_first_of("=:");
  std::string_view key = text.substr(0, equals);
  std::string_view value =
      equals == std::string_view::npos ? std::string_view() : text.substr(equals + 1);
  if (key == "seccomp") {
    if (value.empty())
      return fail(
          Error::usage("--security-opt seccomp needs a value: seccomp=unconfined or "
                       "seccomp=FILE (a Docker/OCI seccomp profile in JSON)"));
    if (value == "unconfined") {
      options.seccomp = SecurityOptions::Seccomp::unconfined;
    } else {
      options.seccomp = SecurityOptions::Seccomp::file;
      options.seccomp_file = std::string(value);
    }
    return {};
  }
  if (key == "no-new-privileges") {
    if (value.empty() || value == "true") {
      options.no_new_privileges = true;
      return {};
    }
    if (value == "false") {
      options.no_new_privileges = false;
      return {};
    }
    return fail(Error::usage(
        fmt::format("--security-opt no-new-privileges={}: the value is true or false", value)));
  }
  return fail(Error::usage(fmt::format(
      "--security-opt {}: not supported; contain knows seccomp=unconfined, seccomp=FILE and "
      "no-new-privileges (AppArmor and SELinux labels are not implemented)",
      text)));
}

Result<UserRequest> UserRequest::parse(std::string_view text) {
  auto colon = text.find(':');
  UserRequest request{std::string(text.substr(0, colon)), {}};
  if (colon != std::string_view::npos) request.group = std::string(text.substr(colon + 1));
  auto valid = [](std::string_view part) {
    return !part.empty() && part.size() <= 32 && std::all_of(part.begin(), part.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    });
  };
  if (!valid(request.user) || (colon != std::string_view::npos && !valid(request.group)))
    return fail(Error::usage(fmt::format(
        "--user '{}': expected NAME|UID[:GROUP|GID], for example 1000:1000 or nobody", text)));
  return request;
}

std::string UserRequest::str() const { return group.empty() ? user : user + ":" + group; }

Result<ResolvedUser> resolve_user(const std::optional<UserRequest>& request,
                                  const std::vector<std::string>& group_add,
                                  std::string_view passwd, std::string_view group) {
  ResolvedUser user;
  std::string user_name = "root";
  if (request) {
    if (auto uid = parse_number<std::uint32_t>(request->user)) {
      user.uid = *uid;
      // A number with an entry takes that entry's group and home, as Docker.
      for (auto line : split(passwd, '\n')) {
        auto fields = split(line, ':');
        if (fields.size() >= 6 && fields[2] == request->user) {
          user_name = std::string(fields[0]);
          user.gid = parse_number<std::uint32_t>(fields[3]).value_or(0);
          user.home = std::string(fields[5]);
          break;
        }
      }
      if (user_name == "root" && user.uid != 0) user_name.clear();
    } else {
      auto entry = find_entry(passwd, request->user, 0, 6);
      if (!entry)
        return fail(Error::usage(fmt::format(
            "--user: no user named '{}' in the container's /etc/passwd; give a number or a user "
            "that exists there",
            request->user)));
      auto entry_uid = parse_number<std::uint32_t>((*entry)[2]);
      auto entry_gid = parse_number<std::uint32_t>((*entry)[3]);
      if (!entry_uid || !entry_gid)
        return fail(Error::usage(
            fmt::format("--user: user '{}' has a bad uid or gid in the container's /etc/passwd",
                        request->user)));
      user.uid = *entry_uid;
      user.gid = *entry_gid;
      user.home = std::string((*entry)[5]);
      user_name = request->user;
    }
    if (!request->group.empty()) user.gid = TRY(resolve_group(request->group, group, "--user"));
  } else {
    if (auto entry = find_entry(passwd, "root", 0, 6)) user.home = std::string((*entry)[5]);
  }
  if (user.home.empty()) user.home = "/";
  // The user's supplementary groups: every group that lists the name.
  if (!user_name.empty()) {
    for (auto line : split(group, '\n')) {
      auto fields = split(line, ':');
      if (fields.size() < 4 || line.front() == '#') continue;
      for (auto member : split(fields[3], ','))
        if (member == user_name) {
          if (auto gid = parse_number<std::uint32_t>(fields[2]))
            if (std::find(user.groups.begin(), user.groups.end(), *gid) == user.groups.end())
              user.groups.push_back(*gid);
        }
    }
  }
  for (const auto& name : group_add) {
    auto gid = TRY(resolve_group(name, group, "--group-add"));
    if (std::find(user.groups.begin(), user.groups.end(), gid) == user.groups.end())
      user.groups.push_back(gid);
  }
  return user;
}

Result<Ulimit> Ulimit::parse(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return fail(Error::usage(fmt::format(
        "--ulimit '{}': {}; expected NAME=SOFT[:HARD], for example nofile=1024:2048", text, why)));
  };
  auto equals = text.find('=');
  if (equals == std::string_view::npos) return bad("no '='");
  Ulimit limit;
  limit.name = std::string(text.substr(0, equals));
  auto known = std::find_if(std::begin(kLimits), std::end(kLimits),
                            [&](const LimitName& l) { return l.name == limit.name; });
  if (known == std::end(kLimits))
    return bad(
        "unknown limit (core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, "
        "nproc, rss, rtprio, rttime, sigpending, stack, as)");
  limit.resource = known->resource;
  auto values = split(text.substr(equals + 1), ':');
  if (values.size() > 2) return bad("more than two values");
  std::uint64_t parsed[2] = {};
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] == "unlimited" || values[i] == "-1") {
      parsed[i] = RLIM_INFINITY;
      continue;
    }
    auto n = parse_number<std::uint64_t>(values[i]);
    if (!n || *n == RLIM_INFINITY) return bad(fmt::format("'{}' is not a number", values[i]));
    parsed[i] = *n;
  }
  limit.soft = parsed[0];
  limit.hard = values.size() == 2 ? parsed[1] : parsed[0];
  if (limit.soft > limit.hard) return bad("the soft limit is above the hard limit");
  return limit;
}

std::string Ulimit::str() const {
  auto one = [](std::uint64_t v) {
    return v == RLIM_INFINITY ? std::string("unlimited") : std::to_string(v);
  };
  return fmt::format("{}={}:{}", name, one(soft), one(hard));
}

Result<int> parse_oom_score_adj(std::string_view text) {
  auto n = parse_number<int>(text);
  if (!n || *n < -1000 || *n > 1000)
    return fail(Error::usage(
        fmt::format("--oom-score-adj '{}': expected a number from -1000 to 1000", text)));
  return *n;
}

Result<std::uint64_t> parse_docker_size(std::string_view text, std::string_view what) {
  std::string_view digits = text;
  std::uint64_t unit = 1;
  auto lower = [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  if (!digits.empty() && lower(digits.back()) == 'b') digits.remove_suffix(1);
  if (!digits.empty()) {
    switch (lower(digits.back())) {
      case 'k':
        unit = 1ull << 10;
        break;
      case 'm':
        unit = 1ull << 20;
        break;
      case 'g':
        unit = 1ull << 30;
        break;
      default:
        break;
    }
    if (unit != 1) digits.remove_suffix(1);
  }
  auto n = parse_number<std::uint64_t>(digits);
  if (!n || *n == 0 || *n > std::numeric_limits<std::uint64_t>::max() / unit)
    return fail(Error::usage(
        fmt::format("{} '{}': expected a size such as 64m, 1g or a number of bytes", what, text)));
  return *n * unit;
}

Status check_container_path(std::string_view path, std::string_view what) {
  if (path.empty() || path.front() != '/')
    return fail(Error::usage(fmt::format("{} '{}': the path must be absolute", what, path)));
  for (auto part : split(path, '/'))
    if (part == "..")
      return fail(Error::usage(fmt::format("{} '{}': the path must not contain '..'", what, path)));
  return {};
}

Result<Volume> Volume::parse(std::string_view text) {
  auto parts = split(text, ':');
  if (parts.size() < 2 || parts.size() > 3)
    return fail(Error::usage(
        fmt::format("-v '{}': expected HOST:CONTAINER[:ro|rw][,idmap] with absolute paths, for "
                    "example /srv/data:/data:ro",
                    text)));
  Volume volume{std::string(parts[0]), std::string(parts[1]), false};
  TRY(check_container_path(volume.host, "-v (host path)"));
  TRY(check_container_path(volume.container, "-v (container path)"));
  if (parts.size() == 3) {
    for (auto option : split(parts[2], ',')) {
      if (option == "ro")
        volume.read_only = true;
      else if (option == "rw")
        volume.read_only = false;
      else if (option == "idmap")
        volume.idmap = true;
      else
        return fail(Error::usage(
            fmt::format("-v '{}': unknown option '{}'; use ro, rw or idmap", text, option)));
    }
  }
  return volume;
}

std::string Volume::str() const {
  return fmt::format("{}:{}:{}{}", host, container, read_only ? "ro" : "rw", idmap ? ",idmap" : "");
}

Result<Tmpfs> Tmpfs::parse(std::string_view text) {
  auto colon = text.find(':');
  Tmpfs tmpfs;
  tmpfs.path = std::string(text.substr(0, colon));
  TRY(check_container_path(tmpfs.path, "--tmpfs"));
  if (colon == std::string_view::npos) return tmpfs;
  for (auto option : split(text.substr(colon + 1), ',')) {
    if (option.starts_with("size=")) {
      tmpfs.size = TRY(parse_docker_size(option.substr(5), "--tmpfs size"));
    } else if (option.starts_with("mode=")) {
      auto mode = parse_number<std::uint32_t>(option.substr(5), 8);
      if (!mode || *mode > 07777)
        return fail(Error::usage(
            fmt::format("--tmpfs '{}': mode must be octal, for example mode=1777", text)));
      tmpfs.mode = *mode;
    } else if (option == "ro") {
      tmpfs.read_only = true;
    } else if (option == "rw") {
      tmpfs.read_only = false;
    } else if (option == "noexec" || option == "exec") {
      tmpfs.noexec = option == "noexec";
    } else if (option == "nosuid" || option == "suid") {
      tmpfs.nosuid = option == "nosuid";
    } else if (option == "nodev" || option == "dev") {
      tmpfs.nodev = option == "nodev";
    } else {
      return fail(Error::usage(fmt::format(
          "--tmpfs '{}': unknown option '{}'; known: size=, mode=, ro, rw, exec, noexec, suid, "
          "nosuid, dev, nodev",
          text, option)));
    }
  }
  return tmpfs;
}

std::string Tmpfs::mount_data() const {
  std::string data = fmt::format("mode={:o}", mode);
  if (size) data += fmt::format(",size={}", *size);
  return data;
}

std::string Tmpfs::str() const {
  std::string out = path + ":" + mount_data();
  if (read_only) out += ",ro";
  if (!noexec) out += ",exec";
  if (!nosuid) out += ",suid";
  if (!nodev) out += ",dev";
  return out;
}

}  // namespace contain::model
