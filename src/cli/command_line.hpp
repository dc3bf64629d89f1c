// One contain command line parsed into its action: shared by main() (the
// process's arguments) and `contain batch` (a script's lines, parsed all
// before the first one runs).
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/app.hpp"
#include "core/error.hpp"
#include "model/container_options.hpp"

namespace contain::cli {

struct CommandLine {
  CLI::App app{"contain: network namespaces and lightweight containers, without a daemon"};
  Commands commands{app};
};

struct ParsedCommandLine {
  std::unique_ptr<CommandLine> cli;
  // Set when --help or --version was asked for (CLI11 says so by throwing):
  // print_help() prints what was asked and returns the exit code.
  std::exception_ptr help;
  int print_help() const;
};

// Parses `words` (the arguments after the program's name). A usage error (the
// caller exits 2) names the command and what is wrong: an unknown command or
// option (with the closest known one), a missing argument, a command after
// `--` for a command that takes none. Nothing is run.
Result<ParsedCommandLine> parse_command_line(const std::vector<std::string>& words);

// `contain run` once its options are read: by CLI11 (cli/container), or, for
// the commonest command lines, by model::read_common_run in main(), which
// builds no parser.
Result<int> run_command(model::ContainerOptions options);

}  // namespace contain::cli
