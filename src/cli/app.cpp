#include "cli/app.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <vector>

#include "core/names.hpp"
#include "core/spelling.hpp"
#include "kernel/caps.hpp"
#include "model/json_text.hpp"

namespace contain::cli {

Result<engine::NetnsRef> netns_argument(std::string_view text) {
  return engine::resolve_netns(TRY(model::NetnsSpec::parse(text)));
}

void Commands::on(CLI::App* sub, std::string name, Action action, Traits traits) {
  sub->callback([this, sub, name = std::move(name), action = std::move(action), traits] {
    chosen_ = action;
    chosen_sub_ = sub;
    chosen_name_ = name;
    chosen_traits_ = traits;
  });
}

std::optional<Result<int>> Commands::run() const {
  if (!chosen_) return std::nullopt;
  // A misspelt option must not become the command (nor run it): refused before
  // anything is checked or created.
  if (auto unknown = unknown_option_before_command()) return Result<int>(fail(std::move(*unknown)));
  if (chosen_traits_.privileged) {
    if (auto ok = kernel::require_admin_capabilities("contain " + chosen_name_); !ok)
      return Result<int>(fail(std::move(ok).error()));
  }
  return chosen_();
}

namespace {

struct GroupEntry {
  const char* name;
  int order;
  void (*add)(Commands&);
  std::string_view commands;  // the top-level commands it adds, separated by spaces
  void (*add_one)(Commands&, std::string_view);
};
std::vector<GroupEntry>& groups() {
  static std::vector<GroupEntry> all;
  return all;
}

}  // namespace

CommandGroup::CommandGroup(const char* name, int order, void (*add)(Commands&),
                           const char* commands,
                           void (*add_one)(Commands&, std::string_view command)) {
  groups().push_back({name, order, add, commands ? commands : name, add_one});
}

void add_all_command_groups(Commands& commands) {
  auto all = groups();
  std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.order < b.order; });
  for (const auto& g : all) g.add(commands);
}

bool add_command_group(Commands& commands, std::string_view name) {
  for (const auto& g : groups()) {
    for (std::string_view rest = g.commands; !rest.empty();) {
      std::size_t space = rest.find(' ');
      if (rest.substr(0, space) == name) {
        if (g.add_one)
          g.add_one(commands, name);
        else
          g.add(commands);
        return true;
      }
      rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    }
  }
  return false;
}

std::string unknown_option_message(const CLI::App& sub, std::string_view command,
                                   std::string_view given, bool takes_command) {
  // "--hostnme=box": the name is what comes before the value.
  std::string_view name = given.substr(0, given.find('='));
  std::vector<std::string> options;
  for (const CLI::Option* opt : sub.get_options()) {
    if (opt->get_positional()) continue;
    for (const auto& l : opt->get_lnames()) options.push_back("--" + l);
    for (const auto& s : opt->get_snames()) options.push_back("-" + s);
  }
  // Close means a typo, not another word: a third of the name at most (and
  // one letter for another is no typo of a short option).
  std::optional<std::string> best;
  if (name.size() > 2) best = closest(name, options, std::max<std::size_t>(1, name.size() / 3));
  bool close = best.has_value();
  // No command: an option of contain's own, before any command.
  std::string message = command.empty()
                            ? fmt::format("unknown option {}", quote(given))
                            : fmt::format("{}: unknown option {}", command, quote(given));
  if (close) message += fmt::format("; did you mean {}?", *best);
  if (takes_command) message += close ? " Nothing was run" : "; nothing was run";
  std::string help = command.empty() ? std::string("see 'contain --help'")
                                     : fmt::format("see 'contain {} --help'", command);
  if (takes_command) return fmt::format("{} ({}; the command goes after '--')", message, help);
  return close ? message : fmt::format("{} ({})", message, help);
}

std::optional<Error> Commands::unknown_option_before_command() const {
  if (!chosen_traits_.takes_command || !chosen_sub_) return std::nullopt;
  // CLI11 sets aside the options it does not know and, from the first word
  // that is no option (the command), everything else: an unknown option before
  // the command is therefore the first word set aside.
  std::vector<std::string> rest = chosen_sub_->remaining();
  if (rest.empty() || rest.front().size() < 2 || rest.front()[0] != '-') return std::nullopt;
  return Error::usage(unknown_option_message(*chosen_sub_, chosen_name_, rest.front(), true));
}

std::vector<std::string> Commands::command_of(CLI::App* sub) const {
  std::vector<std::string> argv = sub->remaining();
  // "CMD -- ARG": the "--" was the command's own argument.
  if (!argv.empty() && has_dashes_) argv.emplace_back("--");
  argv.insert(argv.end(), after_dashes_.begin(), after_dashes_.end());
  return argv;
}

void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i + 1 == row.size())
        line += row[i];
      else
        line += fmt::format("{:<{}}  ", row[i], width[i]);
    }
    std::puts(line.c_str());
  };
  print_row(header);
  for (const auto& row : rows) print_row(row);
}

void print_json(const nlohmann::json& value) { std::puts(model::json_text(value, 2).c_str()); }

}  // namespace contain::cli
