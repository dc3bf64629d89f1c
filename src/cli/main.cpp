// contain: network namespaces and lightweight containers, daemonless.
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "cli/app.hpp"
#include "cni/plugin.hpp"
#include "kernel/memory.hpp"

namespace {

void print_error(const std::string& message) { fmt::print(stderr, "contain: {}\n", message); }

struct Cli {
  CLI::App app{"contain: network namespaces and lightweight containers, without a daemon"};
  contain::cli::Commands commands{app};
};

// The parser of the command line. When argv[1] is a command (net, bridge,
// network, nat, forward, run, ps, ...), only the group that defines it is
// built: a short command is mostly process start-up, and every group's parser
// costs time to build. Anything else (--help, a typo) gets every group, so
// help and errors list all commands.
std::unique_ptr<Cli> make_cli(int argc, char** argv) {
  auto build = [](bool all, std::string_view group) {
    auto cli = std::make_unique<Cli>();
    cli->app.name("contain");
    cli->app.require_subcommand(1);
    cli->app.set_version_flag("--version", "contain 0.1.0");
    cli->app.footer("Run 'contain COMMAND --help' for a command's options.");
    if (all) {
      contain::cli::add_all_command_groups(cli->commands);
    } else if (!contain::cli::add_command_group(cli->commands, group) ||
               cli->app
                   .get_subcommands(
                       [&](CLI::App* sub) { return sub->check_name(std::string(group)); })
                   .empty()) {
      return std::unique_ptr<Cli>();
    }
    return cli;
  };
  if (argc > 1 && argv[1][0] != '-')
    if (auto cli = build(false, argv[1])) return cli;
  return build(true, {});
}

}  // namespace

int main(int argc, char** argv) {
  // The CNI plugin mode decides first: no command-line parser is built for it.
  if (contain::cni::is_plugin_invocation(argc, argv)) return contain::cni::run_plugin();
  contain::kernel::keep_heap();
  auto cli = make_cli(argc, argv);
  CLI::App& app = cli->app;
  contain::cli::Commands& commands = cli->commands;

  std::vector<std::string> args;
  for (int i = argc - 1; i >= 1; --i) args.emplace_back(argv[i]);  // CLI11 wants them reversed
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--") {
      commands.set_after_dashes({argv + i + 1, argv + argc});
      args.erase(args.begin(), args.begin() + (argc - i));
      break;
    }
  }
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    // --help and --version: CLI11 prints the help of the subcommand asked about.
    if (e.get_exit_code() == 0) return app.exit(e);
    std::string where;
    CLI::App* deepest = &app;
    for (CLI::App* sub = &app; sub;) {
      auto subs = sub->get_subcommands();
      if (subs.empty()) break;
      sub = subs.front();
      deepest = sub;
      where += " " + sub->get_name();
    }
    // An option the command does not have: name it and suggest the closest.
    if (dynamic_cast<const CLI::ExtrasError*>(&e) && deepest != &app) {
      auto rest = deepest->remaining();
      if (!rest.empty() && rest.front().size() > 1 && rest.front()[0] == '-') {
        print_error(
            contain::cli::unknown_option_message(*deepest, where.substr(1), rest.front(), false));
        return 2;
      }
    }
    print_error(fmt::format("{} (see 'contain{} --help')", e.what(), where));
    return 2;
  }
  if (commands.has_after_dashes() && !commands.takes_command()) {
    print_error(
        "unexpected arguments after '--': only 'net exec', 'exec' and 'run' take a command");
    return 2;
  }
  auto result = commands.run();
  if (!result) return 0;
  if (!*result) {
    print_error(result->error().for_user());
    return result->error().exit_code();
  }
  return **result;
}
