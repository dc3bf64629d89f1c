// Shared plumbing of the command line: how a command group registers its
// subcommands and how actions, errors and output are handled.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "engine/bridge_link.hpp"

namespace contain::cli {

// What a parsed command does: returns its exit code, or an error to print.
using Action = std::function<Result<int>()>;

class Commands {
 public:
  explicit Commands(CLI::App& app) : app_(app) {}
  CLI::App& app() { return app_; }

  // Sets the action of `sub`. Privileged actions check for root first, so a
  // normal user gets one clear line before anything is tried.
  struct Traits {
    bool privileged = true;      // needs CAP_SYS_ADMIN and CAP_NET_ADMIN
    bool takes_command = false;  // accepts "-- CMD [ARG...]"
  };
  void on(CLI::App* sub, std::string name, Action action, Traits traits);
  void on(CLI::App* sub, std::string name, Action action) {
    on(sub, std::move(name), std::move(action), Traits{});
  }
  bool takes_command() const { return chosen_traits_.takes_command; }

  // Runs the action chosen by parsing, if any.
  std::optional<Result<int>> run() const;

  // The user's command for `net exec`, `exec` and `run`. main() splits the
  // arguments at the first "--" before CLI11 sees them (CLI11 hands "--" back to
  // the parent command); `sub` must be a prefix_command(), so a command given
  // without "--" arrives as its remaining arguments.
  std::vector<std::string> command_of(CLI::App* sub) const;
  // For a command that takes a command: an option-like word before the command
  // (before "--", or before the first word of a command given without it) that
  // no option of `sub` matched. A usage error naming it, else nothing.
  std::optional<Error> unknown_option_before_command() const;
  void set_after_dashes(std::vector<std::string> args) {
    after_dashes_ = std::move(args);
    has_dashes_ = true;
  }
  bool has_after_dashes() const { return has_dashes_; }

 private:
  CLI::App& app_;
  Action chosen_;
  CLI::App* chosen_sub_ = nullptr;
  std::string chosen_name_;
  Traits chosen_traits_;
  std::vector<std::string> after_dashes_;
  bool has_dashes_ = false;
};

// Converts a validated-type parse (NetnsName::parse, Cidr::parse, ...) of an
// optional string into the typed value, or returns the usage error.
template <class T, class Parse>
Result<std::optional<T>> parse_optional(const std::string& text, Parse parse) {
  if (text.empty()) return std::optional<T>();
  auto v = parse(text);
  if (!v) return fail(std::move(v).error());
  return std::optional<T>(std::move(*v));
}

// The message for `given`, an option that `sub` does not know: names it and
// suggests the closest option `sub` has, if one is close ("--hostnme": did you
// mean "--hostname"?); for a command that takes a command, says that nothing
// was run and where the command goes. An empty `command`: an option given
// before any command ("contain --bogus").
std::string unknown_option_message(const CLI::App& sub, std::string_view command,
                                   std::string_view given, bool takes_command);

// A namespace argument, NS in the synopses: a name under /run/netns, pid:PID,
// a path to a namespace file or container:NAME (model/netns_spec.hpp), parsed
// and resolved (pid:, paths and containers are opened here).
Result<engine::NetnsRef> netns_argument(std::string_view text);
inline constexpr const char* kNetnsHelp =
    "Namespace: a name under /run/netns, pid:PID, a path to a namespace file, or container:NAME";

// Prints rows as an aligned table with a header line.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);
void print_json(const nlohmann::json& value);

// Each command group (net, bridge, network, ...) registers itself from its own
// file with `static CommandGroup group{"net", 10, add_net_commands};`, so adding
// a group touches no shared file. `order` sorts them in the help. A group whose
// commands are not one command named after it lists them (`"run exec ps"`),
// and can add one of them alone (`add_one`), for a command line that names it.
struct CommandGroup {
  CommandGroup(const char* name, int order, void (*add)(Commands&), const char* commands = nullptr,
               void (*add_one)(Commands&, std::string_view command) = nullptr);
};
void add_all_command_groups(Commands& commands);
// Only the group that defines the top-level command `name`, or that command
// alone if its group can add it alone (start-up is most of a short command's
// time, and building every group's parser costs about a millisecond). Returns
// false, with nothing added, when no group defines it.
bool add_command_group(Commands& commands, std::string_view name);

}  // namespace contain::cli
