// contain: network namespaces and lightweight containers, daemonless.
#include <fmt/format.h>

#include <cstdio>

#include "cli/command_line.hpp"
#include "cni/plugin.hpp"
#include "kernel/memory.hpp"

namespace {

void print_error(const std::string& message) { fmt::print(stderr, "contain: {}\n", message); }

}  // namespace

int main(int argc, char** argv) {
  // Before the plugin mode too: an ADD or DEL loads libnftables, which maps
  // and unmaps several large blocks per transaction (two mallopt calls, no
  // system call: free for VERSION).
  contain::kernel::keep_heap();
  // The CNI plugin mode decides first: no command-line parser is built for it.
  if (contain::cni::is_plugin_invocation(argc, argv)) return contain::cni::run_plugin();
  auto parsed = contain::cli::parse_command_line({argv + 1, argv + argc});
  if (!parsed) {
    print_error(parsed.error().message());
    return parsed.error().exit_code();
  }
  // --help and --version: CLI11 prints the help of the subcommand asked about.
  if (parsed->help) return parsed->print_help();
  // The unknown option before a command was checked by the parse: run() finds none.
  auto result = parsed->cli->commands.run();
  if (!result) return 0;
  if (!*result) {
    print_error(result->error().for_user());
    return result->error().exit_code();
  }
  return **result;
}
