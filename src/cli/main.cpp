// contain: network namespaces and lightweight containers, daemonless.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

#include "cli/command_line.hpp"
#include "cni/plugin.hpp"
#include "kernel/memory.hpp"

namespace {

void print_error(const std::string& message) { fmt::print(stderr, "contain: {}\n", message); }

// Leaves without destroying anything: the parser's tree, the static objects
// of CLI11, libnl, libnftables and yaml-cpp, and the heap they hold. A
// command has finished all its work (records, locks, rollbacks) before it
// returns, and the kernel takes back memory and descriptors whole; freeing
// them one by one only writes to pages that, after `run` cloned its
// container, are shared copy-on-write with the child: on a virtual machine
// a fault each (0.4-0.7 ms of a rootless `run` here, bench/RESULTS.md).
// All output goes through stdio (fmt and fputs; the standard streams are
// never built, src/cli/standard_streams.cpp), so one fflush is enough.
[[noreturn]] void leave(int code) {
  std::fflush(nullptr);
  std::_Exit(code);
}

// A command's end: its error printed, or its exit code.
[[noreturn]] void finish(contain::Result<int> result) {
  if (!result) {
    print_error(result.error().for_user());
    leave(result.error().exit_code());
  }
  leave(*result);
}

}  // namespace

int main(int argc, char** argv) {
  // Before the plugin mode too: an ADD or DEL loads libnftables, which maps
  // and unmaps several large blocks per transaction (two mallopt calls, no
  // system call: free for VERSION).
  contain::kernel::keep_heap();
  // The CNI plugin mode decides first: no command-line parser is built for it.
  if (contain::cni::is_plugin_invocation(argc, argv)) return contain::cni::run_plugin();
  std::vector<std::string> words(argv + 1, argv + argc);
  // `contain run` with only its commonest options is read without building
  // CLI11's parser (1.3-1.5 ms of a rootless run); any other line, CLI11 reads.
  if (words.size() > 1 && words[0] == "run")
    if (auto options = contain::model::read_common_run({words.begin() + 1, words.end()}))
      finish(contain::cli::run_command(std::move(*options)));
  auto parsed = contain::cli::parse_command_line(words);
  if (!parsed) {
    print_error(parsed.error().message());
    return parsed.error().exit_code();
  }
  // --help and --version: CLI11 prints the help of the subcommand asked about.
  if (parsed->help) return parsed->print_help();
  // The unknown option before a command was checked by the parse: run() finds none.
  auto result = parsed->cli->commands.run();
  if (!result) leave(0);
  finish(std::move(*result));
}
