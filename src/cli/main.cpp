// contain: network namespaces and lightweight containers, daemonless.
#include <fmt/format.h>

#include <cstdio>

#include "cli/app.hpp"

namespace {

void print_error(const std::string& message) { fmt::print(stderr, "contain: {}\n", message); }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"contain: network namespaces and lightweight containers, without a daemon"};
  app.name("contain");
  app.require_subcommand(1);
  app.set_version_flag("--version", "contain 0.1.0");
  app.footer("Run 'contain COMMAND --help' for a command's options.");

  contain::cli::Commands commands(app);
  contain::cli::add_all_command_groups(commands);

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
    for (CLI::App* sub = &app; sub;) {
      auto subs = sub->get_subcommands();
      if (subs.empty()) break;
      sub = subs.front();
      where += " " + sub->get_name();
    }
    print_error(fmt::format("{} (see 'contain{} --help')", e.what(), where));
    return 2;
  }
  if (commands.has_after_dashes() && !commands.takes_command()) {
    print_error("unexpected arguments after '--': only 'net exec', 'exec' and 'run' take a command");
    return 2;
  }
  auto result = commands.run();
  if (!result) return 0;
  if (!*result) {
    print_error(result->error().message());
    return result->error().exit_code();
  }
  return **result;
}
