#include "engine/record/container.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace contain::engine {

using nlohmann::json;

namespace {

bool all_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isxdigit(c) != 0; });
}

}  // namespace

Result<ContainerCgroupRecord> ContainerCgroupRecord::from_json(const json& j,
                                                               std::string_view where) {
  record::Fields f(j, where);
  TRY(f.object());
  ContainerCgroupRecord g;
  TRY(f.req("path", g.path));
  TRY(f.opt("v2", g.v2));
  TRY(f.opt("controllers", g.controllers));
  return g;
}

json ContainerCgroupRecord::to_json() const {
  return {{"path", path}, {"v2", v2}, {"controllers", controllers}};
}

Result<ContainerUsernsRecord> ContainerUsernsRecord::from_json(const json& j,
                                                               std::string_view where) {
  record::Fields f(j, where);
  TRY(f.object());
  ContainerUsernsRecord u;
  TRY(f.req("mode", u.mode));
  TRY(f.req("uid_map", u.uid_map));
  TRY(f.req("gid_map", u.gid_map));
  TRY(f.opt("joined", u.joined));
  return u;
}

json ContainerUsernsRecord::to_json() const {
  json j{{"mode", mode}, {"uid_map", uid_map}, {"gid_map", gid_map}};
  if (joined) j["joined"] = true;
  return j;
}

Result<ContainerUserRecord> ContainerUserRecord::from_json(const json& j, std::string_view where) {
  record::Fields f(j, where);
  TRY(f.object());
  ContainerUserRecord u;
  TRY(f.opt("uid", u.uid));
  TRY(f.opt("gid", u.gid));
  TRY(f.opt("groups", u.groups));
  return u;
}

json ContainerUserRecord::to_json() const {
  return {{"uid", uid}, {"gid", gid}, {"groups", groups}};
}

Result<ContainerSecurityRecord> ContainerSecurityRecord::from_json(const json& j,
                                                                   std::string_view where) {
  record::Fields f(j, where);
  TRY(f.object());
  ContainerSecurityRecord s;
  TRY(f.opt("privileged", s.privileged));
  std::string capabilities = "0";
  TRY(f.opt("capabilities", capabilities));
  auto [end, ec] = std::from_chars(capabilities.data(), capabilities.data() + capabilities.size(),
                                   s.capabilities, 16);
  if (capabilities.empty() || ec != std::errc() || end != capabilities.data() + capabilities.size())
    return fail(Error::failed(
        fmt::format("field {} is not a hexadecimal capability set", f.name("capabilities"))));
  TRY(f.opt("capability_names", s.capability_names));
  TRY(f.opt("seccomp", s.seccomp));
  TRY(f.opt("no_new_privileges", s.no_new_privileges));
  TRY(f.opt("user", s.user));
  TRY(f.opt("user_spec", s.user_spec));
  TRY(f.opt("masked_paths", s.masked_paths));
  TRY(f.opt("read_only", s.read_only));
  TRY(f.opt("overlay", s.overlay));
  TRY(f.opt("volumes", s.volumes));
  TRY(f.opt("tmpfs", s.tmpfs));
  TRY(f.opt("ulimits", s.ulimits));
  TRY(f.opt("oom_score_adj", s.oom_score_adj));
  TRY(f.opt("shm_options", s.shm_options));
  TRY(f.opt("seccomp_program", s.seccomp_program));
  // 16 hexadecimal digits an instruction (code, jt, jf, k).
  if (s.seccomp_program && (s.seccomp_program->size() % 16 != 0 || !all_hex(*s.seccomp_program)))
    return fail(Error::failed(fmt::format("field {} is not a seccomp program in hexadecimal",
                                          f.name("seccomp_program"))));
  return s;
}

json ContainerSecurityRecord::to_json() const {
  json j{{"privileged", privileged},
         {"capabilities", fmt::format("{:016x}", capabilities)},
         {"capability_names", capability_names},
         {"seccomp", seccomp},
         {"no_new_privileges", no_new_privileges},
         {"user_spec", user_spec ? json(*user_spec) : json(nullptr)},
         {"masked_paths", masked_paths},
         {"read_only", read_only},
         {"overlay", overlay},
         {"volumes", volumes},
         {"tmpfs", tmpfs},
         {"ulimits", ulimits},
         {"oom_score_adj", oom_score_adj},
         {"shm_options", shm_options}};
  if (user) j["user"] = user->to_json();
  if (seccomp_program) j["seccomp_program"] = *seccomp_program;
  return j;
}

Result<ContainerRecord> ContainerRecord::from_json(const json& j) {
  record::Fields f(j);
  TRY(f.object());
  ContainerRecord r;
  // In the order of the schema table this replaces, so that a record with
  // several faults is refused for the same one as before.
  TRY(f.req("name", r.name));
  TRY(f.req("id", r.id));
  TRY(f.opt("hostname", r.hostname));
  TRY(f.opt("command", r.command));
  TRY(f.opt("environment", r.environment));
  TRY(f.opt("workdir", r.workdir));
  TRY(f.opt("rootfs", r.rootfs));
  TRY(f.opt("network", r.network));
  TRY(f.opt("address", r.address));
  TRY(f.opt("ports", r.ports));
  TRY(f.opt("init", r.init));
  TRY(f.opt("detached", r.detached));
  TRY(f.opt("tty", r.tty));
  TRY(f.opt("created", r.created));
  TRY(f.req("status", r.status));
  TRY(f.req("pid", r.pid));
  TRY(f.opt("pid_start", r.pid_start));
  TRY(f.opt("monitor_pid", r.monitor_pid));
  TRY(f.opt("monitor_start", r.monitor_start));
  TRY(f.opt("exit_code", r.exit_code));
  TRY(f.opt("oom_killed", r.oom_killed));
  TRY(f.opt("cgroups", r.cgroups));
  TRY(f.opt("limits", r.limits));
  TRY(f.opt("finished", r.finished));
  TRY(f.opt("phase", r.phase));
  TRY(f.opt("userns", r.userns));
  TRY(f.opt("pasta_pid", r.pasta_pid));
  TRY(f.opt("pasta_start", r.pasta_start));
  TRY(f.opt("security", r.security));
  return r;
}

json ContainerRecord::to_json() const {
  json j{{"name", name},
         {"id", id},
         {"hostname", hostname},
         {"command", command},
         {"environment", environment},
         {"workdir", workdir},
         {"rootfs", rootfs ? json(*rootfs) : json(nullptr)},
         {"network", network},
         {"address", address ? json(*address) : json(nullptr)},
         {"ports", ports},
         {"init", init},
         {"detached", detached},
         {"tty", tty},
         {"cgroups", record::to_json_array(cgroups)},
         {"limits", limits},
         {"userns", userns ? userns->to_json() : json(nullptr)},
         {"created", created},
         {"status", status},
         {"pid", pid},
         {"monitor_pid", monitor_pid},
         {"monitor_start", monitor_start}};
  if (security) j["security"] = security->to_json();
  if (pid_start) j["pid_start"] = *pid_start;
  if (pasta_pid) j["pasta_pid"] = *pasta_pid;
  if (pasta_start) j["pasta_start"] = *pasta_start;
  if (exit_code) j["exit_code"] = *exit_code;
  if (oom_killed) j["oom_killed"] = *oom_killed;
  if (finished) j["finished"] = *finished;
  record::put_phase(j, phase);
  return j;
}

}  // namespace contain::engine
