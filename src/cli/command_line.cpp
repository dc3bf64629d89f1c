#include "cli/command_line.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <sstream>

namespace contain::cli {

namespace {

// The parser of one command line. When the first word is a command (net,
// bridge, network, nat, forward, run, ps, ...), only the group that defines it
// is built: a short command is mostly process start-up, and every group's
// parser costs time to build. Anything else (--help, a typo) gets every group,
// so help and errors list all commands.
std::unique_ptr<CommandLine> make_cli(const std::vector<std::string>& words) {
  auto build = [](bool all, std::string_view group) {
    auto cli = std::make_unique<CommandLine>();
    cli->app.name("contain");
    cli->app.require_subcommand(1);
    cli->app.set_version_flag("--version", "contain 0.1.0");
    cli->app.footer("Run 'contain COMMAND --help' for a command's options.");
    if (all) {
      add_all_command_groups(cli->commands);
    } else if (!add_command_group(cli->commands, group) ||
               cli->app
                   .get_subcommands(
                       [&](CLI::App* sub) { return sub->check_name(std::string(group)); })
                   .empty()) {
      return std::unique_ptr<CommandLine>();
    }
    return cli;
  };
  if (!words.empty() && !words[0].empty() && words[0][0] != '-')
    if (auto cli = build(false, words[0])) return cli;
  return build(true, {});
}

}  // namespace

int ParsedCommandLine::print_help() const {
  try {
    std::rethrow_exception(help);
  } catch (const CLI::Error& e) {
    // Through stdio, as everything contain prints: the standard streams are
    // never constructed (src/cli/standard_streams.cpp).
    std::ostringstream out, err;
    int code = cli->app.exit(e, out, err);
    std::fputs(out.str().c_str(), stdout);
    std::fputs(err.str().c_str(), stderr);
    return code;
  }
}

Result<ParsedCommandLine> parse_command_line(const std::vector<std::string>& words) {
  ParsedCommandLine out;
  out.cli = make_cli(words);
  CLI::App& app = out.cli->app;
  Commands& commands = out.cli->commands;

  std::vector<std::string> args(words.rbegin(), words.rend());  // CLI11 wants them reversed
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (words[i] == "--") {
      commands.set_after_dashes({words.begin() + static_cast<std::ptrdiff_t>(i) + 1, words.end()});
      args.erase(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(words.size() - i));
      break;
    }
  }
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      out.help = std::current_exception();
      return out;
    }
    std::string where;
    CLI::App* deepest = &app;
    for (CLI::App* sub = &app; sub;) {
      auto subs = sub->get_subcommands();
      if (subs.empty()) break;
      sub = subs.front();
      deepest = sub;
      where += " " + sub->get_name();
    }
    // A first word that is no command ("contain nosuch"): CLI11 says only
    // that a command is required.
    if (deepest == &app && !words.empty() && !words[0].empty() && words[0][0] != '-')
      return fail(
          Error::usage(fmt::format("unknown command {} (see 'contain --help')", quote(words[0]))));
    // An option before any command ("contain --bogus"): named, as for a command's.
    if (deepest == &app && !words.empty() && words[0].size() > 1 && words[0][0] == '-')
      return fail(Error::usage(unknown_option_message(app, "", words[0], false)));
    // An option the command does not have: name it and suggest the closest.
    if (dynamic_cast<const CLI::ExtrasError*>(&e) && deepest != &app) {
      auto rest = deepest->remaining();
      if (!rest.empty() && rest.front().size() > 1 && rest.front()[0] == '-')
        return fail(
            Error::usage(unknown_option_message(*deepest, where.substr(1), rest.front(), false)));
    }
    return fail(Error::usage(fmt::format("{} (see 'contain{} --help')", e.what(), where)));
  }
  if (commands.has_after_dashes() && !commands.takes_command())
    return fail(Error::usage(
        "unexpected arguments after '--': only 'net exec', 'exec', 'run' and 'topo exec' take a "
        "command"));
  if (auto unknown = commands.unknown_option_before_command()) return fail(std::move(*unknown));
  return out;
}

}  // namespace contain::cli
