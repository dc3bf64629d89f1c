#include "engine/container/security.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/unique_fd.hpp"
#include "engine/security.hpp"
#include "engine/state.hpp"
#include "kernel/files.hpp"

namespace contain::engine::detail {

namespace {

using nlohmann::json;

std::string program_hex(const kernel::seccomp::Program& program) {
  std::string out;
  out.reserve(program.size() * 16);
  for (const auto& insn : program)
    out += fmt::format("{:04x}{:02x}{:02x}{:08x}", insn.code, insn.jt, insn.jf, insn.k);
  return out;
}

Result<kernel::seccomp::Program> program_from_hex(std::string_view hex) {
  if (hex.size() % 16 != 0) return fail(Error::failed("the recorded seccomp program is damaged"));
  kernel::seccomp::Program program;
  for (std::size_t at = 0; at < hex.size(); at += 16) {
    auto field = [&](std::size_t offset, std::size_t length) {
      return static_cast<std::uint32_t>(
          std::stoul(std::string(hex.substr(at + offset, length)), nullptr, 16));
    };
    program.push_back(sock_filter{static_cast<std::uint16_t>(field(0, 4)),
                                  static_cast<std::uint8_t>(field(4, 2)),
                                  static_cast<std::uint8_t>(field(6, 2)), field(8, 8)});
  }
  return program;
}

Result<model::ResolvedUser> resolve_in_root(const std::string& root,
                                            const std::optional<model::UserRequest>& user,
                                            const std::vector<std::string>& group_add) {
  // Read inside the root: its owner may have made /etc/passwd a link to a host
  // file, or a FIFO. Missing files list nobody.
  const std::string& in = root.empty() ? std::string("/") : root;
  auto passwd = TRY(kernel::read_config_file_in(in, "etc/passwd"));
  auto group = TRY(kernel::read_config_file_in(in, "etc/group"));
  return model::resolve_user(user, group_add, passwd.value_or(""), group.value_or(""));
}

void set_user(PreparedSecurity& p, model::ResolvedUser user, bool asked) {
  p.change_user = asked || !user.groups.empty();
  p.groups.assign(user.groups.begin(), user.groups.end());
  p.user = std::move(user);
}

}  // namespace

kernel::Confinement PreparedSecurity::confinement() const {
  kernel::Confinement c;
  c.privileged = privileged;
  c.capabilities = capabilities;
  c.change_user = change_user;
  c.uid = user.uid;
  c.gid = user.gid;
  c.groups = groups.data();
  c.group_count = static_cast<int>(groups.size());
  c.no_new_privs = no_new_privs;
  if (!program.empty()) {
    c.filter = program.data();
    c.filter_length = static_cast<unsigned short>(program.size());
  }
  return c;
}

ContainerSecurityRecord PreparedSecurity::to_record(const model::ContainerSpec& spec) const {
  const auto& s = spec.security;
  ContainerSecurityRecord out{
      .privileged = privileged,
      .capabilities = capabilities,
      .capability_names = model::capability_names(capabilities),
      .seccomp = seccomp,
      .no_new_privileges = no_new_privs,
      .user = ContainerUserRecord{user.uid, user.gid, user.groups},
      .user_spec = s.user ? std::optional(s.user->str()) : std::nullopt,
      .masked_paths = masked_paths,
      .read_only = s.read_only,
      .overlay = s.overlay,
      .oom_score_adj = s.oom_score_adj,
      .shm_options = shm_options,
  };
  for (const auto& v : s.volumes) out.volumes.push_back(v.str());
  for (const auto& t : s.tmpfs) out.tmpfs.push_back(t.str());
  for (const auto& u : s.ulimits) out.ulimits.push_back(u.str());
  // A profile file may change or vanish: exec loads what run loaded.
  if (seccomp != "default" && seccomp != "unconfined") out.seccomp_program = program_hex(program);
  return out;
}

Result<PreparedSecurity> prepare_security(const model::ContainerSpec& spec) {
  const auto& s = spec.security;
  PreparedSecurity p;
  p.privileged = s.capabilities.privileged;
  model::CapabilitySet bounding = TRY(caller_bounding_set());
  p.capabilities = TRY(model::resolve_capabilities(s.capabilities, bounding));
  p.no_new_privs = s.options.no_new_privileges;
  p.masked_paths = !p.privileged;
  using Seccomp = model::SecurityOptions::Seccomp;
  if (p.privileged || s.options.seccomp == Seccomp::unconfined) {
    p.seccomp = "unconfined";
  } else {
    p.program = TRY(seccomp_program(s.options, p.capabilities, container_state_root()));
    if (s.options.seccomp == Seccomp::file) p.seccomp = s.options.seccomp_file;
  }
  const std::string root = spec.rootfs.value_or("");
  set_user(p, TRY(resolve_in_root(root, s.user, s.group_add)), s.user.has_value());
  for (const auto& v : s.volumes) {
    struct stat st;
    if (::stat(v.host.c_str(), &st) < 0)
      return fail(
          Error::usage(fmt::format("-v {}: the host path {} does not exist ({}); create it first",
                                   v.str(), v.host, std::strerror(errno))));
  }
  for (const auto& t : s.tmpfs) p.tmpfs_data.push_back(t.mount_data());
  if (s.shm_size) p.shm_options = fmt::format("mode=1777,size={}", *s.shm_size);
  p.rootfs = root;
  if (s.overlay) p.rootfs = root + "/.contain-merged";
  p.userns = TRY(prepare_userns(spec));
  return p;
}

Result<PreparedSecurity> exec_security(const ContainerRecord& record,
                                       const ExecOverrides& overrides, int container_pid) {
  PreparedSecurity p;
  const ContainerSecurityRecord security = record.security.value_or(ContainerSecurityRecord{});
  p.privileged = overrides.privileged || security.privileged;
  if (p.privileged) {
    p.capabilities = TRY(caller_bounding_set());
    p.seccomp = "unconfined";
  } else {
    p.capabilities = security.capabilities;
    p.no_new_privs = security.no_new_privileges;
    p.seccomp = security.seccomp;
    if (p.seccomp == "default")
      p.program = TRY(seccomp_program({}, p.capabilities, container_state_root()));
    else if (p.seccomp != "unconfined")
      p.program = TRY(program_from_hex(security.seccomp_program.value_or("")));
  }
  if (overrides.user) {
    // Names are resolved in the container's own root, as it is now.
    std::string root = fmt::format("/proc/{}/root", container_pid);
    set_user(p, TRY(resolve_in_root(root, overrides.user, {})), true);
  } else if (security.user) {
    model::ResolvedUser user;
    user.uid = security.user->uid;
    user.gid = security.user->gid;
    user.groups = security.user->groups;
    set_user(p, std::move(user), security.user_spec.has_value());
  }
  return p;
}

Status apply_limits(pid_t pid, const std::vector<model::Ulimit>& ulimits,
                    std::optional<int> oom_score_adj) {
  for (const auto& limit : ulimits) {
    rlimit value{limit.soft, limit.hard};
    if (::prlimit(pid, static_cast<__rlimit_resource>(limit.resource), &value, nullptr) < 0)
      return fail(Error::system(fmt::format("--ulimit {}", limit.str())));
  }
  if (oom_score_adj) {
    std::string path = fmt::format("/proc/{}/oom_score_adj", pid);
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    std::string text = std::to_string(*oom_score_adj);
    if (!fd || ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      return fail(Error::system(fmt::format("--oom-score-adj {}", text)));
  }
  return {};
}

Status apply_recorded_limits(pid_t pid, const ContainerRecord& record) {
  const ContainerSecurityRecord security = record.security.value_or(ContainerSecurityRecord{});
  std::vector<model::Ulimit> ulimits;
  for (const auto& text : security.ulimits) ulimits.push_back(TRY(model::Ulimit::parse(text)));
  int oom = security.oom_score_adj;
  return apply_limits(pid, ulimits,
                      record.rootless() && oom == 0 ? std::nullopt : std::optional<int>(oom));
}

}  // namespace contain::engine::detail
