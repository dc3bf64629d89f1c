// contain run, exec, ps, logs, stop, rm: containers without a daemon.
#include "engine/container/container.hpp"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "cli/app.hpp"
#include "model/container_options.hpp"
#include "model/json_text.hpp"

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
  if (c.status == "exited") {
    std::string code = c.exit_code ? std::to_string(*c.exit_code) : "?";
    return fmt::format("exited ({}{})", code, c.oom_killed ? ", out of memory" : "");
  }
  return c.status;
}

void add_limit_options(CLI::App* sub, model::LimitOptions& o, bool all) {
  sub->add_option("-m,--memory", o.memory, "Memory limit (64m, 1g; at least 6m)");
  sub->add_option("--memory-swap", o.memory_swap,
                  "Memory plus swap (Docker's meaning; -1: unlimited swap; default: twice "
                  "--memory)");
  sub->add_option("--pids-limit", o.pids_limit, "Maximum number of processes (0 or -1: unlimited)");
  sub->add_option("--cpus", o.cpus, "CPUs the container may use, as a fraction (0.5, 2)");
  if (!all) return;
  sub->add_option("--memory-reservation", o.memory_reservation,
                  "Soft memory limit, reclaimed first under pressure");
  sub->add_option("--cpu-shares", o.cpu_shares, "Relative CPU weight (2-262144, default 1024)");
  sub->add_option("--cpuset-cpus", o.cpuset_cpus, "CPUs the container may run on (0-3, 0,2)");
  sub->add_option("--cpuset-mems", o.cpuset_mems, "Memory nodes it may use (0-1)");
}

// Docker's -t and -i (so that `-it` works as people type it). stdin always
// reaches the command, so -i changes nothing (run refuses -dit: model).
void add_terminal_flags(CLI::App* sub, bool& tty, bool& interactive, bool detachable) {
  sub->add_flag("-t,--tty", tty,
                std::string("Run the command on a pseudo-terminal of its own (the container's "
                            "devpts), relayed to ours (in raw mode while it runs") +
                    (detachable ? "; with -d, into the log" : "") +
                    "); TERM=xterm unless -e sets TERM");
  sub->add_flag("-i,--interactive", interactive,
                std::string("Accepted as Docker's: stdin always reaches the command, with or "
                            "without it") +
                    (detachable ? " (not with -d -t: there is no attach)" : ""));
}

// --rootfs: the folder it names, for the spec (model/container_options); the
// error is the spec builder's to report, in the order of the options.
Result<std::string> resolve_rootfs(const std::string& rootfs) {
  char resolved[PATH_MAX];
  if (!::realpath(rootfs.c_str(), resolved))
    return fail(Error::usage(fmt::format("--rootfs {}: {}", quote(rootfs), std::strerror(errno))));
  return std::string(resolved);
}

void add_run(Commands& commands) {
  auto* sub = commands.app().add_subcommand(
      "run", "Run a command in a new container (PID, UTS, IPC, mount, cgroup, network namespaces)");
  auto o = std::make_shared<model::ContainerOptions>();
  sub->add_flag("-d,--detach", o->detach,
                "Run in the background: print the id once the command started; output goes to "
                "'contain logs'");
  add_terminal_flags(sub, o->tty, o->interactive, /*detachable=*/true);
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
  sub->add_flag("--overlay", o->overlay,
                "With --rootfs DIR: DIR is a read-only lower layer, writes go to a tmpfs layer");
  auto all = [](CLI::Option* opt) { opt->multi_option_policy(CLI::MultiOptionPolicy::TakeAll); };
  all(sub->add_option("--cap-add", o->cap_add, "Add a capability (NET_ADMIN, CAP_NET_ADMIN, ALL)"));
  all(sub->add_option("--cap-drop", o->cap_drop, "Drop a capability (or ALL)"));
  sub->add_flag("--privileged", o->privileged,
                "Every capability of the caller, no seccomp filter, no masked paths");
  all(sub->add_option("--security-opt", o->security_opt,
                      "seccomp=unconfined, seccomp=FILE.json (Docker's format), "
                      "no-new-privileges"));
  sub->add_option("-u,--user", o->user,
                  "Run as NAME|UID[:GROUP|GID] (the container's /etc/passwd)");
  all(sub->add_option("--group-add", o->group_add, "An additional group (name or number)"));
  sub->add_flag("--read-only", o->read_only, "Mount the container's root read-only");
  all(sub->add_option("--tmpfs", o->tmpfs, "Mount a tmpfs: PATH[:size=64m,mode=1777,...]"));
  all(sub->add_option("-v,--volume", o->volumes, "Bind a host path: HOST:CONTAINER[:ro]"));
  all(sub->add_option("--ulimit", o->ulimits, "A resource limit: NAME=SOFT[:HARD]"));
  sub->add_option("--oom-score-adj", o->oom_score_adj, "The OOM score adjustment (-1000..1000)");
  sub->add_option("--shm-size", o->shm_size, "Size of /dev/shm with --rootfs (default 64m)");
  add_limit_options(sub, o->limits, true);
  all(sub->add_option("--device", o->devices,
                      "Allow a host device: HOST[:CONTAINER][:rwm] (made in /dev with --rootfs)"));
  // A flag that takes a value only as --userns=MODE: a following word is the
  // command's, never the option's.
  sub->add_flag("--userns{auto}", o->userns,
                "A user namespace: root inside is an unprivileged range of the host "
                "(--userns or --userns=auto), or none (--userns=host)");
  all(sub->add_option("--uidmap", o->uidmap,
                      "Map container uids to host uids: CONTAINER:HOST:COUNT (implies a user "
                      "namespace; repeatable)"));
  all(sub->add_option("--gidmap", o->gidmap,
                      "Map container gids to host gids: CONTAINER:HOST:COUNT (default: as "
                      "--uidmap)"));
  // Everything after the command's name belongs to the command, options included.
  sub->prefix_command();
  sub->footer(
      "Usage: contain run [OPTIONS] -- CMD [ARG...]   (default command: /bin/sh)\n"
      "Exit status: the command's own, or 128+N if signal N killed it.");
  commands.on(sub, "run",
              [&commands, sub, o]() -> Result<int> {
                model::ContainerOptions options = *o;
                options.command = commands.command_of(sub);
                return run_command(std::move(options));
              },
              // An ordinary user runs rootless containers of their own (engine/container_userns).
              {.privileged = false, .takes_command = true});
}

void add_exec(Commands& commands) {
  auto* sub = commands.app().add_subcommand(
      "exec", "Run a command inside a running container (its namespaces, root, environment)");
  auto name = std::make_shared<std::string>();
  struct ExecFlags {
    std::string user, workdir;
    bool privileged = false, tty = false, interactive = false;
    std::vector<std::string> env;
  };
  auto f = std::make_shared<ExecFlags>();
  add_terminal_flags(sub, f->tty, f->interactive, /*detachable=*/false);
  sub->add_option("-u,--user", f->user,
                  "Run as NAME|UID[:GROUP|GID] instead of the container's user");
  sub->add_flag("--privileged", f->privileged,
                "Every capability of the caller and no seccomp filter for this command");
  sub->add_option("-e,--env", f->env, "Set an environment variable: KEY=VALUE")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sub->add_option("-w,--workdir", f->workdir, "Working directory (default: the container's)");
  sub->add_option("NAME", *name, "Container name")->required();
  sub->prefix_command();
  sub->footer(
      "Usage: contain exec [OPTIONS] NAME -- CMD [ARG...]\n"
      "Exit status: the command's own, or 128+N if signal N killed it.");
  commands.on(sub, "exec",
              [&commands, sub, name, f]() -> Result<int> {
                auto n = TRY(model::ContainerName::parse(*name));
                std::vector<std::string> argv = commands.command_of(sub);
                if (argv.empty())
                  return fail(Error::usage(
                      "exec: no command given; usage: contain exec NAME -- CMD [ARG...]"));
                engine::ExecOptions options;
                if (!f->user.empty()) options.user = TRY(model::UserRequest::parse(f->user));
                options.privileged = f->privileged;
                options.tty = f->tty;
                for (const auto& e : f->env)
                  options.environment.push_back(TRY(model::parse_environment_entry(e)));
                if (!f->workdir.empty() && f->workdir.front() != '/')
                  return fail(Error::usage(fmt::format(
                      "-w {} is invalid: the working directory must be an absolute path",
                      quote(f->workdir))));
                options.workdir = f->workdir;
                return engine::exec_in_container(n, argv, options);
              },
              {.privileged = false, .takes_command = true});
}

// The managed networks a running container is on (also those attached since
// it started), else what it was started with.
json networks_json(const engine::ContainerInfo& c) {
  json out = json::array();
  for (const auto& n : c.networks) out.push_back({{"network", n.network}, {"address", n.address}});
  return out;
}
std::string network_text(const engine::ContainerInfo& c) {
  if (c.networks.empty() || c.status != "running") return c.network;
  std::string out;
  for (const auto& n : c.networks) out += (out.empty() ? "" : ",") + n.network;
  // Joined to a namespace (netns:...) and attached to networks since: both.
  if (c.network.starts_with("netns:")) out = c.network + "," + out;
  return out;
}
// A user's name as /etc/passwd gives it, or the number.
std::string user_name(uid_t uid) {
  passwd entry{}, *found = nullptr;
  char buf[1024];
  if (::getpwuid_r(uid, &entry, buf, sizeof buf, &found) == 0 && found) return entry.pw_name;
  return std::to_string(uid);
}

std::string address_text(const engine::ContainerInfo& c) {
  if (c.networks.empty() || c.status != "running") return c.address.empty() ? "-" : c.address;
  std::string out;
  for (const auto& n : c.networks) out += (out.empty() ? "" : ",") + n.address;
  return out;
}

void add_ps(Commands& commands) {
  auto* sub = commands.app().add_subcommand("ps", "List containers (running ones, or all with -a)");
  auto all = std::make_shared<bool>(false);
  auto as_json = std::make_shared<bool>(false);
  auto all_users = std::make_shared<bool>(false);
  sub->add_flag("-a,--all", *all, "Also list exited containers");
  sub->add_flag("--all-users", *all_users,
                "As root: also list users' rootless containers (those recorded under "
                "/run/user/UID/contain or /tmp/contain-UID), with a USER column");
  sub->add_flag("--json", *as_json,
                "Print JSON: [{\"name\", \"id\", \"pid\", \"status\", \"exit_code\", \"network\", "
                "\"address\", \"networks\": [{\"network\", \"address\"}], \"ports\", "
                "\"command\", \"created\", \"finished\"}]");
  commands.on(
      sub, "ps",
      [all, as_json, all_users]() -> Result<int> {
        std::vector<Error> skipped;
        auto list = TRY(engine::list_containers(*all, *all_users, &skipped));
        for (const auto& e : skipped) fmt::print(stderr, "contain: warning: {}\n", e.message());
        if (*as_json) {
          json out = json::array();
          for (const auto& c : list)
            out.push_back({{"name", c.name},
                           {"id", c.id},
                           {"pid", c.pid ? json(c.pid) : json(nullptr)},
                           {"status", c.status},
                           {"exit_code", c.exit_code ? json(*c.exit_code) : json(nullptr)},
                           {"oom_killed", c.oom_killed},
                           {"network", c.network},
                           {"address", c.address.empty() ? json(nullptr) : json(c.address)},
                           {"networks", networks_json(c)},
                           {"ports", c.ports},
                           {"command", c.command},
                           {"created", c.created},
                           {"finished", c.finished.empty() ? json(nullptr) : json(c.finished)},
                           {"user", c.user}});
          print_json(out);
          return 0;
        }
        std::vector<std::vector<std::string>> rows;
        std::vector<std::string> header{"NAME",    "ID",    "PID",     "STATUS", "NETWORK",
                                        "ADDRESS", "PORTS", "CREATED", "COMMAND"};
        if (*all_users) header.insert(header.begin(), "USER");
        for (const auto& c : list) {
          rows.push_back({c.name, c.id.substr(0, 12), c.pid ? std::to_string(c.pid) : "-",
                          status_text(c), network_text(c), address_text(c),
                          c.ports.empty() ? "-" : join(c.ports, ","), c.created,
                          join(c.command, " ")});
          if (*all_users) rows.back().insert(rows.back().begin(), user_name(c.user));
        }
        print_table(header, rows);
        return 0;
      },
      {.privileged = false});
}

void add_inspect(Commands& commands) {
  auto* sub = commands.app().add_subcommand(
      "inspect",
      "Show a container's effective spec: namespaces, capabilities, seccomp, mounts, "
      "user, limits, network");
  auto name = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  sub->add_option("NAME", *name, "Container name")->required();
  sub->add_flag("--json", *as_json, "Print the whole record as JSON");
  // inspect, stop, rm: of the caller's own containers (root's, or a rootless user's).
  commands.on(
      sub, "inspect",
      [name, as_json]() -> Result<int> {
        auto n = TRY(model::ContainerName::parse(*name));
        auto r = TRY(engine::inspect_container(n));
        if (*as_json) {
          print_json(r);
          return 0;
        }
        auto text = [](const json& v) -> std::string {
          if (v.is_string()) return v.get<std::string>();
          if (v.is_null()) return "-";
          if (v.is_array()) {
            std::string out;
            for (const auto& item : v) out += (out.empty() ? "" : ",") + model::json_text(item);
            return out.empty() ? "-" : out;
          }
          return model::json_text(v);
        };
        std::vector<std::vector<std::string>> rows;
        for (const char* key : {"name", "id", "status", "pid", "command", "hostname", "rootfs",
                                "workdir", "network", "address", "ports", "namespaces"})
          if (r.contains(key)) rows.push_back({key, text(r[key])});
        if (r.contains("security"))
          for (const auto& [key, value] : r["security"].items())
            if (key != "seccomp_program") rows.push_back({key, text(value)});
        print_table({"FIELD", "VALUE"}, rows);
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
  commands.on(sub, "stop",
              [name, seconds]() -> Result<int> {
                auto n = TRY(model::ContainerName::parse(*name));
                TRY(engine::stop_container(n, *seconds));
                return 0;
              },
              {.privileged = false});
}

void add_rm(Commands& commands) {
  auto* sub =
      commands.app().add_subcommand("rm", "Remove a container (a running one only with -f)");
  auto names = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  sub->add_flag("-f,--force", *force, "Kill it first if it is running");
  sub->add_option("NAME", *names, "Container names")->required();
  commands.on(sub, "rm",
              [names, force]() -> Result<int> {
                std::vector<model::ContainerName> parsed;
                for (const auto& n : *names) parsed.push_back(TRY(model::ContainerName::parse(n)));
                for (const auto& n : parsed) TRY(engine::remove_container(n, *force));
                return 0;
              },
              {.privileged = false});
}

std::string bytes_text(std::optional<std::uint64_t> bytes) {
  if (!bytes) return "-";
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(*bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{}B", *bytes) : fmt::format("{:.1f}{}", value, units[unit]);
}

json optional_json(std::optional<std::uint64_t> v) { return v ? json(*v) : json(nullptr); }

void add_stats(Commands& commands) {
  auto* sub = commands.app().add_subcommand(
      "stats", "Show running containers' memory, CPU and process use (as docker stats)");
  auto names = std::make_shared<std::vector<std::string>>();
  auto as_json = std::make_shared<bool>(false);
  auto no_stream = std::make_shared<bool>(false);
  sub->add_option("NAME", *names, "Container names (default: every running container)");
  sub->add_flag("--no-stream", *no_stream, "Print one sample and exit");
  sub->add_flag("--json", *as_json,
                "Print JSON: [{\"name\", \"id\", \"memory_usage\", \"memory_limit\", "
                "\"memory_percent\", \"cpu_percent\", \"cpu_usage_ns\", \"pids\", "
                "\"pids_limit\", \"throttled_periods\"}]");
  commands.on(sub, "stats", [names, as_json, no_stream]() -> Result<int> {
    std::vector<model::ContainerName> parsed;
    for (const auto& n : *names) parsed.push_back(TRY(model::ContainerName::parse(n)));
    bool terminal = ::isatty(STDOUT_FILENO) && !*as_json;
    // CPU % is the CPU time used between two samples over the time between
    // them (100 % = one CPU, as docker stats): the first sample is a baseline.
    auto previous = TRY(engine::container_stats(parsed));
    auto previous_at = std::chrono::steady_clock::now();
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(*no_stream ? 500 : 1000));
      auto current = engine::container_stats(parsed);
      // A named container that ended while streaming ends the stream.
      if (!current) {
        if (!*no_stream && !parsed.empty()) return 0;
        return fail(std::move(current).error());
      }
      auto now = std::chrono::steady_clock::now();
      double wall_ns = std::chrono::duration<double, std::nano>(now - previous_at).count();
      json out = json::array();
      std::vector<std::vector<std::string>> rows;
      for (const auto& c : *current) {
        std::optional<double> cpu;
        for (const auto& p : previous)
          if (p.id == c.id && p.cpu_usage_ns && c.cpu_usage_ns)
            cpu =
                100.0 *
                static_cast<double>(*c.cpu_usage_ns - std::min(*c.cpu_usage_ns, *p.cpu_usage_ns)) /
                wall_ns;
        std::optional<double> memory_percent;
        if (c.memory_usage && c.memory_limit && *c.memory_limit > 0)
          memory_percent =
              100.0 * static_cast<double>(*c.memory_usage) / static_cast<double>(*c.memory_limit);
        out.push_back({{"name", c.name},
                       {"id", c.id},
                       {"memory_usage", optional_json(c.memory_usage)},
                       {"memory_limit", optional_json(c.memory_limit)},
                       {"memory_percent", memory_percent ? json(*memory_percent) : json(nullptr)},
                       {"cpu_percent", cpu ? json(*cpu) : json(nullptr)},
                       {"cpu_usage_ns", optional_json(c.cpu_usage_ns)},
                       {"pids", optional_json(c.pids)},
                       {"pids_limit", optional_json(c.pids_limit)},
                       {"throttled_periods", optional_json(c.throttled_periods)}});
        rows.push_back({c.name, c.id.substr(0, 12), cpu ? fmt::format("{:.2f}%", *cpu) : "-",
                        bytes_text(c.memory_usage) + " / " + bytes_text(c.memory_limit),
                        memory_percent ? fmt::format("{:.2f}%", *memory_percent) : "-",
                        c.pids ? std::to_string(*c.pids) : "-",
                        c.pids_limit ? std::to_string(*c.pids_limit) : "-"});
      }
      if (*as_json) {
        print_json(out);
      } else {
        // On a terminal the table refreshes in place.
        if (terminal && !*no_stream) std::fputs("\033[H\033[J", stdout);
        print_table({"NAME", "ID", "CPU %", "MEM USAGE / LIMIT", "MEM %", "PIDS", "PIDS LIMIT"},
                    rows);
      }
      std::fflush(stdout);
      if (*no_stream) return 0;
      previous = std::move(*current);
      previous_at = now;
    }
  });
}

void add_update(Commands& commands) {
  auto* sub =
      commands.app().add_subcommand("update", "Change the resource limits of a running container");
  auto name = std::make_shared<std::string>();
  auto o = std::make_shared<model::LimitOptions>();
  sub->add_option("NAME", *name, "Container name")->required();
  add_limit_options(sub, *o, true);
  commands.on(sub, "update", [name, o]() -> Result<int> {
    auto n = TRY(model::ContainerName::parse(*name));
    auto limits = TRY(model::build_limits(*o));
    if (!limits.any())
      return fail(Error::usage(
          "update: no limit given; give --memory, --memory-swap, --pids-limit, --cpus, "
          "--cpu-shares, --cpuset-cpus or --cpuset-mems"));
    TRY(engine::update_container(n, limits));
    return 0;
  });
}

struct ContainerCommand {
  std::string_view name;
  void (*add)(Commands&);
};
// In the order of the help.
constexpr ContainerCommand kContainerCommands[] = {
    {"run", add_run},         {"exec", add_exec},   {"ps", add_ps},
    {"inspect", add_inspect}, {"logs", add_logs},   {"stop", add_stop},
    {"rm", add_rm},           {"stats", add_stats}, {"update", add_update},
};

void add_container_commands(Commands& commands) {
  for (const auto& c : kContainerCommands) c.add(commands);
}

// `contain run ...` builds run's parser alone: every other command of the group
// is about as many objects again, made and destroyed before the container starts.
void add_container_command(Commands& commands, std::string_view name) {
  for (const auto& c : kContainerCommands)
    if (c.name == name) c.add(commands);
}

CommandGroup container_group{"container", 60, add_container_commands,
                             "run exec ps logs stop rm stats update", add_container_command};

}  // namespace

Result<int> run_command(model::ContainerOptions options) {
  model::ContainerInputs inputs{.id = TRY(engine::new_container_id())};
  if (!options.rootfs.empty()) inputs.rootfs = resolve_rootfs(options.rootfs);
  auto spec = TRY(model::build_container_spec(options, inputs));
  if (!spec.detach) {
    std::string name = spec.name.str();
    engine::RunOutcome outcome;
    int status = TRY(engine::run_container(std::move(spec), &outcome));
    if (outcome.oom_killed)
      std::fprintf(stderr, "contain: container %s exited (%d, out of memory)\n",
                   quote(name).c_str(), status);
    return status;
  }
  auto started_id = TRY(engine::run_container_detached(std::move(spec)));
  std::puts(started_id.c_str());
  return 0;
}

}  // namespace contain::cli
