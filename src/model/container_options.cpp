#include "model/container_options.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "model/idmap.hpp"
#include "model/security.hpp"

namespace contain::model {

namespace {

using nlohmann::json;

template <class T>
json optional_json(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

template <class T>
json strings_of(const std::vector<T>& items) {
  json out = json::array();
  for (const auto& item : items) out.push_back(item.str());
  return out;
}

json id_map_json(const IdMap& map) {
  json out = json::array();
  for (const auto& e : map)
    out.push_back({{"inside", e.inside}, {"outside", e.outside}, {"count", e.count}});
  return out;
}

const char* network_kind_name(NetworkChoice::Kind kind) {
  switch (kind) {
    case NetworkChoice::Kind::none:
      return "none";
    case NetworkChoice::Kind::netns:
      return "netns";
    case NetworkChoice::Kind::managed:
      return "managed";
    case NetworkChoice::Kind::pasta:
      return "pasta";
  }
  return "none";
}

const char* seccomp_name(SecurityOptions::Seccomp seccomp) {
  switch (seccomp) {
    case SecurityOptions::Seccomp::default_profile:
      return "default";
    case SecurityOptions::Seccomp::unconfined:
      return "unconfined";
    case SecurityOptions::Seccomp::file:
      return "file";
  }
  return "default";
}

}  // namespace

Result<ResourceLimits> build_limits(const LimitOptions& o) {
  ResourceLimits l;
  if (!o.memory.empty()) l.memory = TRY(parse_docker_size(o.memory, "--memory"));
  if (!o.memory_swap.empty()) l.memory_swap = TRY(parse_memory_swap(o.memory_swap));
  if (!o.memory_reservation.empty())
    l.memory_reservation = TRY(parse_docker_size(o.memory_reservation, "--memory-reservation"));
  if (!o.pids_limit.empty()) l.pids_limit = TRY(parse_pids_limit(o.pids_limit));
  if (!o.cpus.empty()) l.nano_cpus = TRY(parse_cpus(o.cpus));
  if (!o.cpu_shares.empty()) l.cpu_shares = TRY(parse_cpu_shares(o.cpu_shares));
  if (!o.cpuset_cpus.empty()) l.cpuset_cpus = TRY(parse_cpu_list(o.cpuset_cpus, "--cpuset-cpus"));
  if (!o.cpuset_mems.empty()) l.cpuset_mems = TRY(parse_cpu_list(o.cpuset_mems, "--cpuset-mems"));
  return l;
}

Result<ContainerSpec> build_container_spec(const ContainerOptions& o,
                                           const ContainerInputs& inputs) {
  ContainerSpec spec{.name = o.name.empty() ? ContainerName::generated(inputs.id)
                                            : TRY(ContainerName::parse(o.name)),
                     .id = inputs.id};
  spec.hostname = o.hostname.empty() ? spec.name.str() : o.hostname;
  spec.command = o.command;
  if (spec.command.empty()) spec.command = {"/bin/sh"};
  std::vector<std::string> env;
  for (const auto& e : o.env) env.push_back(TRY(parse_environment_entry(e)));
  spec.environment = container_environment(spec.hostname, env);
  spec.workdir = o.workdir;
  if (!o.rootfs.empty()) {
    // The caller's slip, not the user's: a spec never holds a path nobody resolved.
    if (!inputs.rootfs)
      return fail(Error::failed(
          fmt::format("--rootfs {}: the path was not resolved before the spec was built",
                      quote(o.rootfs)),
          EINVAL));
    spec.rootfs = TRY(*inputs.rootfs);
  }
  spec.network = TRY(NetworkChoice::parse(o.network));
  if (!o.ip.empty()) {
    auto ip = IpAddress::parse(o.ip);
    if (!ip) return fail(Error::usage(fmt::format("--ip {} is not an IP address", quote(o.ip))));
    spec.ip = *ip;
  }
  for (const auto& p : o.ports) spec.ports.push_back(TRY(PortMapping::parse(p)));
  spec.init = o.init;
  spec.detach = o.detach;
  spec.tty = o.tty;
  // Docker's -dit keeps the terminal's input open for a later `docker attach`;
  // contain has no attach, so -i would promise what nothing can deliver.
  if (o.detach && o.tty && o.interactive)
    return fail(Error::usage(
        "-i cannot be used with -d -t: it would keep the terminal's input open for a later "
        "'attach', and contain has no attach; use -dt (the command keeps its terminal, its "
        "output goes to 'contain logs') and 'contain exec -it NAME' to work in it"));
  auto& sec = spec.security;
  sec.capabilities = {o.cap_add, o.cap_drop, o.privileged};
  for (const auto& opt : o.security_opt) TRY(apply_security_opt(opt, sec.options));
  if (!o.user.empty()) sec.user = TRY(UserRequest::parse(o.user));
  sec.group_add = o.group_add;
  sec.read_only = o.read_only;
  sec.overlay = o.overlay;
  for (const auto& t : o.tmpfs) sec.tmpfs.push_back(TRY(Tmpfs::parse(t)));
  for (const auto& v : o.volumes) sec.volumes.push_back(TRY(Volume::parse(v)));
  for (const auto& u : o.ulimits) sec.ulimits.push_back(TRY(Ulimit::parse(u)));
  if (!o.oom_score_adj.empty()) sec.oom_score_adj = TRY(parse_oom_score_adj(o.oom_score_adj));
  if (!o.shm_size.empty()) sec.shm_size = TRY(parse_docker_size(o.shm_size, "--shm-size"));
  spec.limits = TRY(build_limits(o.limits));
  for (const auto& d : o.devices) spec.devices.push_back(TRY(DeviceRequest::parse(d)));
  spec.userns = TRY(UsernsRequest::parse(o.userns, o.uidmap, o.gidmap));
  TRY(validate(spec));
  return spec;
}

json to_json(const ResourceLimits& l) {
  return {{"memory", optional_json(l.memory)},
          {"memory_swap", optional_json(l.memory_swap)},
          {"memory_reservation", optional_json(l.memory_reservation)},
          {"pids_limit", optional_json(l.pids_limit)},
          {"nano_cpus", optional_json(l.nano_cpus)},
          {"cpu_shares", optional_json(l.cpu_shares)},
          {"cpuset_cpus", optional_json(l.cpuset_cpus)},
          {"cpuset_mems", optional_json(l.cpuset_mems)}};
}

json to_json(const ContainerSpec& spec) {
  const auto& s = spec.security;
  json security = {
      {"cap_add", s.capabilities.add},
      {"cap_drop", s.capabilities.drop},
      {"privileged", s.capabilities.privileged},
      {"seccomp", seccomp_name(s.options.seccomp)},
      {"seccomp_file", s.options.seccomp == SecurityOptions::Seccomp::file
                           ? json(s.options.seccomp_file)
                           : json(nullptr)},
      {"no_new_privileges", s.options.no_new_privileges},
      {"user", s.user ? json(s.user->str()) : json(nullptr)},
      {"group_add", s.group_add},
      {"read_only", s.read_only},
      {"overlay", s.overlay},
      {"volumes", strings_of(s.volumes)},
      {"tmpfs", strings_of(s.tmpfs)},
      {"ulimits", strings_of(s.ulimits)},
      {"oom_score_adj", s.oom_score_adj},
      {"shm_size", optional_json(s.shm_size)},
  };
  return {
      {"name", spec.name.str()},
      {"id", spec.id},
      {"hostname", spec.hostname},
      {"command", spec.command},
      {"environment", spec.environment},
      {"workdir", spec.workdir},
      {"rootfs", optional_json(spec.rootfs)},
      {"network", {{"kind", network_kind_name(spec.network.kind)}, {"name", spec.network.name}}},
      {"address", spec.ip ? json(spec.ip->str()) : json(nullptr)},
      {"ports", strings_of(spec.ports)},
      {"init", spec.init},
      {"detach", spec.detach},
      {"tty", spec.tty},
      {"security", security},
      {"limits", to_json(spec.limits)},
      {"devices", strings_of(spec.devices)},
      {"userns",
       {{"mode", spec.userns.str()},
        {"uid_map", id_map_json(spec.userns.uid_map)},
        {"gid_map", id_map_json(spec.userns.gid_map)}}}};
}

std::optional<ContainerOptions> read_common_run(const std::vector<std::string>& words) {
  ContainerOptions options;
  std::vector<bool> seen(std::size(kCommonRunValues) + std::size(kCommonRunFlags), false);
  auto first_time = [&](std::size_t which) {
    if (seen[which]) return false;
    seen[which] = true;
    return true;
  };
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word == "--") {
      options.command.assign(words.begin() + static_cast<std::ptrdiff_t>(i) + 1, words.end());
      return options;
    }
    bool known = false;
    for (std::size_t k = 0; k < std::size(kCommonRunValues) && !known; ++k) {
      const auto& o = kCommonRunValues[k];
      if (word != o.name && (*o.short_name == '\0' || word != o.short_name)) continue;
      if (!first_time(k) || i + 1 >= words.size()) return std::nullopt;
      const std::string& value = words[++i];
      if (value.empty() || value.front() == '-') return std::nullopt;
      options.*o.field = value;
      known = true;
    }
    for (std::size_t k = 0; k < std::size(kCommonRunFlags) && !known; ++k) {
      if (word != kCommonRunFlags[k].name) continue;
      if (!first_time(std::size(kCommonRunValues) + k)) return std::nullopt;
      options.*kCommonRunFlags[k].field = true;
      known = true;
    }
    if (!known) return std::nullopt;
  }
  return std::nullopt;  // no "--": CLI11 decides what the words are
}

}  // namespace contain::model
