// contain run, exec, ps, logs, stop, rm: containers without a daemon.
#include "engine/container.hpp"

#include <fmt/format.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cli/app.hpp"

namespace contain::cli {

namespace {

using nlohmann::json;

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += separator;
    out += p;
  }
  return out;
}

std::string status_text(const engine::ContainerInfo& c) {
  if (c.status == "exited")
    return c.exit_code ? fmt::format("exited ({})", *c.exit_code) : "exited (?)";
  return c.status;
}

void add_run(Commands& commands) {
  auto* sub = commands.app().add_subcommand(
      "run", "Run a command in a new container (PID, UTS, IPC, mount, cgroup, network namespaces)");
  struct Options {
    bool detach = false, init = false;
    std::string name, hostname, network = "none", ip, workdir = "/", rootfs;
    std::vector<std::string> ports, env;
  };
  auto o = std::make_shared<Options>();
  sub->add_flag("-d,--detach", o->detach,
                "Run in the background: print the id once the command started; output goes to "
                "'contain logs'");
  sub->add_option("--name", o->name, "Container name (unique; generated if absent)");
  sub->add_option("--hostname", o->hostname, "Hostname inside (default: the container name)");
  sub->add_option("--network", o->network, "none (loopback only), netns:NS or a network NAME")
      ->capture_default_str();
  sub->add_option("--ip", o->ip, "Address on the managed network (default: the next free one)");
  sub->add_option("-p,--publish", o->ports, "Publish a port: [ADDR:]HOSTPORT:PORT[/udp]")
      ->take_last();
  sub->get_option("-p")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sub->add_option("-e,--env", o->env, "Set an environment variable: KEY=VALUE")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sub->add_option("-w,--workdir", o->workdir, "Working directory inside (absolute)")
      ->capture_default_str();
  sub->add_flag("--init", o->init,
                "Run a minimal init as PID 1 that reaps zombies and forwards signals");
  sub->add_option("--rootfs", o->rootfs,
                  "Directory that becomes / (default: share the host's files)");
  // Everything after the command's name belongs to the command, options included.
  sub->prefix_command();
  sub->footer(
      "Usage: contain run [OPTIONS] -- CMD [ARG...]   (default command: /bin/sh)\n"
      "Exit status: the command's own, or 128+N if signal N killed it.");
  commands.on(
      sub, "run",
      [&commands, sub, o]() -> Result<int> {
        std::string id = TRY(engine::new_container_id());
        model::ContainerSpec spec{.name = o->name.empty()
                                              ? model::ContainerName::generated(id)
                                              : TRY(model::ContainerName::parse(o->name)),
                                  .id = id};
        spec.hostname = o->hostname.empty() ? spec.name.str() : o->hostname;
        spec.command = commands.command_of(sub);
        if (spec.command.empty()) spec.command = {"/bin/sh"};
        std::vector<std::string> env;
        for (const auto& e : o->env) env.push_back(TRY(model::parse_environment_entry(e)));
        spec.environment = model::container_environment(spec.hostname, env, std::getenv("TERM"));
        spec.workdir = o->workdir;
        if (!o->rootfs.empty()) {
          char resolved[PATH_MAX];
          if (!::realpath(o->rootfs.c_str(), resolved))
            return fail(Error::usage(
                fmt::format("--rootfs {}: {}", quote(o->rootfs), std::strerror(errno))));
          spec.rootfs = resolved;
        }
        spec.network = TRY(model::NetworkChoice::parse(o->network));
        if (!o->ip.empty()) {
          auto ip = IpAddress::parse(o->ip);
          if (!ip)
            return fail(Error::usage(fmt::format("--ip {} is not an IP address", quote(o->ip))));
          spec.ip = *ip;
        }
        for (const auto& p : o->ports) spec.ports.push_back(TRY(model::PortMapping::parse(p)));
        spec.init = o->init;
        spec.detach = o->detach;
        TRY(model::validate(spec));
        if (!spec.detach) return engine::run_container(std::move(spec));
        auto started_id = TRY(engine::run_container_detached(std::move(spec)));
        std::puts(started_id.c_str());
        return 0;
      },
      {.takes_command = true});
}

void add_exec(Commands& commands) {
  auto* sub = commands.app().add_subcommand(
      "exec", "Run a command inside a running container (its namespaces, root, environment)");
  auto name = std::make_shared<std::string>();
  sub->add_option("NAME", *name, "Container name")->required();
  sub->prefix_command();
  sub->footer(
      "Usage: contain exec NAME -- CMD [ARG...]\n"
      "Exit status: the command's own, or 128+N if signal N killed it.");
  commands.on(sub, "exec",
              [&commands, sub, name]() -> Result<int> {
                auto n = TRY(model::ContainerName::parse(*name));
                std::vector<std::string> argv = commands.command_of(sub);
                if (argv.empty())
                  return fail(Error::usage(
                      "exec: no command given; usage: contain exec NAME -- CMD [ARG...]"));
                return engine::exec_in_container(n, argv);
              },
              {.takes_command = true});
}

void add_ps(Commands& commands) {
  auto* sub = commands.app().add_subcommand("ps", "List containers (running ones, or all with -a)");
  auto all = std::make_shared<bool>(false);
  auto as_json = std::make_shared<bool>(false);
  sub->add_flag("-a,--all", *all, "Also list exited containers");
  sub->add_flag("--json", *as_json,
                "Print JSON: [{\"name\", \"id\", \"pid\", \"status\", \"exit_code\", \"network\", "
                "\"address\", \"ports\", \"command\", \"created\", \"finished\"}]");
  commands.on(
      sub, "ps",
      [all, as_json]() -> Result<int> {
        auto list = TRY(engine::list_containers(*all));
        if (*as_json) {
          json out = json::array();
          for (const auto& c : list)
            out.push_back({{"name", c.name},
                           {"id", c.id},
                           {"pid", c.pid ? json(c.pid) : json(nullptr)},
                           {"status", c.status},
                           {"exit_code", c.exit_code ? json(*c.exit_code) : json(nullptr)},
                           {"network", c.network},
                           {"address", c.address.empty() ? json(nullptr) : json(c.address)},
                           {"ports", c.ports},
                           {"command", c.command},
                           {"created", c.created},
                           {"finished", c.finished.empty() ? json(nullptr) : json(c.finished)}});
          print_json(out);
          return 0;
        }
        std::vector<std::vector<std::string>> rows;
        for (const auto& c : list)
          rows.push_back({c.name, c.id.substr(0, 12), c.pid ? std::to_string(c.pid) : "-",
                          status_text(c), c.network, c.address.empty() ? "-" : c.address,
                          c.ports.empty() ? "-" : join(c.ports, ","), c.created,
                          join(c.command, " ")});
        print_table(
            {"NAME", "ID", "PID", "STATUS", "NETWORK", "ADDRESS", "PORTS", "CREATED", "COMMAND"},
            rows);
        return 0;
      },
      {.privileged = false});
}

void add_logs(Commands& commands) {
  auto* sub = commands.app().add_subcommand("logs", "Print a detached container's output");
  auto name = std::make_shared<std::string>();
  auto follow = std::make_shared<bool>(false);
  sub->add_flag("-f,--follow", *follow, "Keep printing as it grows, until the container ends");
  sub->add_option("NAME", *name, "Container name")->required();
  commands.on(sub, "logs",
              [name, follow]() -> Result<int> {
                auto n = TRY(model::ContainerName::parse(*name));
                TRY(engine::read_logs(n, *follow, [](std::string_view chunk) {
                  std::fwrite(chunk.data(), 1, chunk.size(), stdout);
                  std::fflush(stdout);
                }));
                return 0;
              },
              {.privileged = false});
}

void add_stop(Commands& commands) {
  auto* sub = commands.app().add_subcommand(
      "stop", "Stop a container: SIGTERM, then SIGKILL after --time seconds");
  auto name = std::make_shared<std::string>();
  auto seconds = std::make_shared<int>(10);
  sub->add_option("NAME", *name, "Container name")->required();
  sub->add_option("-t,--time", *seconds, "Seconds to wait before SIGKILL")
      ->capture_default_str()
      ->check(CLI::Range(0, 86400));
  commands.on(sub, "stop", [name, seconds]() -> Result<int> {
    auto n = TRY(model::ContainerName::parse(*name));
    TRY(engine::stop_container(n, *seconds));
    return 0;
  });
}

void add_rm(Commands& commands) {
  auto* sub =
      commands.app().add_subcommand("rm", "Remove a container (a running one only with -f)");
  auto names = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  sub->add_flag("-f,--force", *force, "Kill it first if it is running");
  sub->add_option("NAME", *names, "Container names")->required();
  commands.on(sub, "rm", [names, force]() -> Result<int> {
    std::vector<model::ContainerName> parsed;
    for (const auto& n : *names) parsed.push_back(TRY(model::ContainerName::parse(n)));
    for (const auto& n : parsed) TRY(engine::remove_container(n, *force));
    return 0;
  });
}

void add_container_commands(Commands& commands) {
  add_run(commands);
  add_exec(commands);
  add_ps(commands);
  add_logs(commands);
  add_stop(commands);
  add_rm(commands);
}

CommandGroup container_group{"container", 60, add_container_commands, "run exec ps logs stop rm"};

}  // namespace

}  // namespace contain::cli
