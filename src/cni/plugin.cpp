#include "cni/plugin.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "engine/cni.hpp"
#include "model/cni.hpp"
#include "model/json_text.hpp"

namespace contain::cni {

namespace mc = model::cni;
using nlohmann::json;

namespace {

std::string read_stdin() {
  std::string text;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

void print_json(const json& j) {
  std::string text = model::json_text(j) + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

// The spec's error JSON goes to stdout (the runtime shows its msg), with a
// non-zero exit status.
int report(const mc::CniError& error, std::string_view version) {
  print_json(mc::encode_error(error, version));
  return 1;
}

// An engine error as a CNI error: "try again later" for contention, "invalid
// configuration" for what the request itself got wrong, ours (100) otherwise.
mc::CniError from_engine(const Error& e) {
  int err = e.code();
  if (err == EAGAIN || err == EBUSY) return {mc::Code::try_again, e.message(), {}};
  if (e.kind() == ErrorKind::usage) return {mc::Code::invalid_config, e.message(), {}};
  return {mc::Code::failed, e.message(), {}};
}

mc::CniResult<engine::CniAttachRequest> attach_request(const mc::Environment& env,
                                                       const mc::Config& config) {
  auto name = NetworkName::parse(config.name);
  if (!name) return mc::cni_fail(mc::Code::invalid_config, name.error().message());
  auto ifname = IfName::parse(env.ifname);
  if (!ifname) return mc::cni_fail(mc::Code::invalid_environment, ifname.error().message());
  engine::CniAttachRequest r{
      .network = {*name, std::nullopt, std::nullopt, config.ip_masq, {}, config.mtu},
      .owner = mc::attachment_owner(env.container_id, env.ifname),
      .netns_path = env.netns,
      .ifname = *ifname,
      .ip = std::nullopt,
      .mac = config.mac,
      .ports = config.port_mappings,
      .bandwidth = config.bandwidth};
  // host-local's defaults: from the subnet's first address to its last.
  auto ip_range = [](const mc::Range& range) -> std::optional<model::AddressRange> {
    if (!range.range_start && !range.range_end) return std::nullopt;
    return model::AddressRange{range.range_start.value_or(range.subnet.network()),
                               range.range_end.value_or(range.subnet.last())};
  };
  for (const auto& range : config.ranges) {
    if (!r.network.subnet) {
      r.network.subnet = range.subnet;
      r.network.gateway = range.gateway;
      r.network.ip_range = ip_range(range);
    } else {
      r.network.more_subnets.push_back({range.subnet, range.gateway, ip_range(range)});
    }
  }
  // The first static address is for the network's first subnet unless it
  // lies in a further one (the engine sorts those by subnet).
  for (const auto& ip : config.ips) {
    bool further = std::any_of(r.network.more_subnets.begin(), r.network.more_subnets.end(),
                               [&](const engine::SubnetSpec& m) { return m.subnet.contains(ip); });
    if (!further && !r.ip &&
        (!r.network.subnet || r.network.subnet->contains(ip) ||
         r.network.subnet->family() == ip.family()))
      r.ip = ip;
    else
      r.more_ips.push_back(ip);
  }
  for (const auto& route : config.routes)
    if (route.dst.prefix() != 0) r.routes.push_back(route);
  return r;
}

json add_result(const engine::CniAttachment& a, const mc::Environment& env,
                const mc::Config& config) {
  mc::AddResult result;
  result.interfaces = {{a.bridge, a.bridge_mac, "", 0},
                       {a.host, a.host_mac, "", 0},
                       {a.ifname, a.mac, env.netns, static_cast<int>(a.mtu)}};
  result.ips = {{a.address, a.gateway, 2}};
  for (const auto& m : a.more) result.ips.push_back({m.address, m.gateway, 2});
  auto any = [](const Cidr& c) { return Cidr(IpAddress::from_value(c.family(), 0), 0); };
  if (a.default_route) result.routes.push_back({any(a.address), a.gateway});
  for (const auto& m : a.more)
    if (m.default_route) result.routes.push_back({any(m.address), m.gateway});
  result.routes.insert(result.routes.end(), a.routes.begin(), a.routes.end());
  result.dns = config.dns;
  return mc::encode_result(result, config.cni_version);
}

int run(const mc::Environment& env, const mc::Config& config) {
  const std::string& version = config.cni_version;
  auto name = NetworkName::parse(config.name);
  if (!name) return report({mc::Code::invalid_config, name.error().message(), {}}, version);
  switch (env.command) {
    case mc::Command::add: {
      auto request = attach_request(env, config);
      if (!request) return report(request.error(), version);
      auto attached = engine::cni_attach(*request);
      if (!attached) return report(from_engine(attached.error()), version);
      print_json(add_result(*attached, env, config));
      return 0;
    }
    case mc::Command::del: {
      auto done = engine::cni_detach(*name, mc::attachment_owner(env.container_id, env.ifname));
      if (!done) return report(from_engine(done.error()), version);
      return 0;
    }
    case mc::Command::check: {
      auto request = attach_request(env, config);
      if (!request) return report(request.error(), version);
      auto checked = engine::cni_check(*request);
      if (!checked) return report(from_engine(checked.error()), version);
      return 0;
    }
    case mc::Command::gc: {
      std::set<std::string> valid;
      for (const auto& [id, ifname] : config.valid_attachments)
        valid.insert(mc::attachment_owner(id, ifname));
      auto done = engine::cni_collect(*name, valid);
      if (!done) return report(from_engine(done.error()), version);
      return 0;
    }
    case mc::Command::status: {
      auto exhausted = engine::cni_pool_exhausted(*name);
      if (!exhausted) return report(from_engine(exhausted.error()), version);
      if (*exhausted)
        return report({mc::Code::not_available,
                       fmt::format("network {} has no free address left", config.name),
                       {}},
                      version);
      return 0;
    }
    case mc::Command::version:
      break;
  }
  print_json(mc::encode_version_info());
  return 0;
}

}  // namespace

bool is_plugin_invocation(int argc, char** argv) {
  return plugin_arguments(argc, argv) && (argc == 2 || std::getenv("CNI_COMMAND") != nullptr);
}

int run_plugin() {
  mc::Getenv getenv = [](const char* name) -> const char* { return std::getenv(name); };
  // VERSION is run for every plugin of every network on every podman command:
  // it reads nothing but stdin, takes no lock and loads no library.
  auto command = mc::parse_command(getenv);
  std::string input = read_stdin();
  std::string version = mc::request_version(input);
  if (!command) return report(command.error(), version);
  if (*command == mc::Command::version) {
    print_json(mc::encode_version_info());
    return 0;
  }
  auto env = mc::parse_environment(getenv);
  if (!env) return report(env.error(), version);
  auto config = mc::parse_config(input, *env);
  if (!config) return report(config.error(), version);
  return run(*env, *config);
}

}  // namespace contain::cni
