#include "cli/app.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "kernel/caps.hpp"

namespace contain::cli {

Result<engine::NetnsRef> netns_argument(std::string_view text) {
  return engine::resolve_netns(TRY(model::NetnsSpec::parse(text)));
}

void Commands::on(CLI::App* sub, std::string name, Action action, Traits traits) {
  sub->callback([this, name = std::move(name), action = std::move(action), traits] {
    chosen_ = action;
    chosen_name_ = name;
    chosen_traits_ = traits;
  });
}

std::optional<Result<int>> Commands::run() const {
  if (!chosen_) return std::nullopt;
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
};
std::vector<GroupEntry>& groups() {
  static std::vector<GroupEntry> all;
  return all;
}

}  // namespace

CommandGroup::CommandGroup(const char* name, int order, void (*add)(Commands&),
                           const char* commands) {
  groups().push_back({name, order, add, commands ? commands : name});
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
        g.add(commands);
        return true;
      }
      rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    }
  }
  return false;
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

void print_json(const nlohmann::json& value) { std::puts(value.dump(2).c_str()); }

}  // namespace contain::cli
