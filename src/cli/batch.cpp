// contain batch: a script of contain commands run in one process, as
// `ip -batch`, `tc -batch` and `nft -f` are for their tools.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli/app.hpp"
#include "cli/command_line.hpp"
#include "cli/topo.hpp"
#include "core/names.hpp"
#include "engine/batch_session.hpp"
#include "kernel/files.hpp"
#include "model/batch_script.hpp"

namespace contain::cli {

namespace {

Result<std::string> read_script(const std::string& path) {
  if (path != "-") return read_text_file(path);
  auto text = kernel::read_all(STDIN_FILENO, "the script from stdin");
  if (!text) return fail(Error::usage(text.error().message()));
  return std::move(*text);
}

// Commands a script may not hold: a batch inside a batch would read its own
// script (or stdin) again, and the CNI mode is a protocol, not a command.
std::optional<std::string> refused_in_batch(const std::vector<std::string>& words) {
  const std::string& first = words.front();
  if (first == "contain")
    return fmt::format("a line is a contain command without the word 'contain' (write '{}')",
                       model::quote_words({words.begin() + 1, words.end()}));
  if (first == "batch") return std::string("'batch' cannot run inside a batch");
  if (first == "cni") return std::string("'cni' is the CNI plugin protocol, not a batch command");
  if (first == "--help" || first == "-h" || first == "--version")
    return fmt::format("{} is not a command", quote(first));
  return std::nullopt;
}

// Lines that only make or remove namespaces, links and bridges, and their
// records, run in a session (engine/batch_session): the store's lock held and
// its records in memory from one such line to the next, one netlink socket per
// namespace kept open. Any other line runs with both released: it may start
// processes that take the lock themselves (run, exec, topo) or remove
// namespaces the kept sockets would hold.
bool runs_in_session(const std::vector<std::string>& words) {
  if (words.size() < 2) return false;
  const std::string& group = words[0];
  const std::string& command = words[1];
  if (group == "net") return command == "create" || command == "delete" || command == "veth";
  if (group == "bridge") return command == "create" || command == "attach" || command == "delete";
  return false;
}

Result<int> run_batch(const std::string& path, bool force) {
  std::string text = TRY(read_script(path));
  std::string file = path == "-" ? "<stdin>" : path;
  auto script = model::parse_script(text);

  // Every line is parsed before the first one runs: a script with a mistake on
  // its last line changes nothing.
  std::vector<std::pair<int, std::string>> errors;  // by line
  for (const auto& e : script.errors)
    errors.emplace_back(e.line, fmt::format("{}:{}:{}: {}", file, e.line, e.column, e.message));
  for (const auto& command : script.commands) {
    if (auto why = refused_in_batch(command.words)) {
      errors.emplace_back(command.line, fmt::format("{}:{}: {}", file, command.line, *why));
      continue;
    }
    auto parsed = parse_command_line(command.words);
    if (!parsed)
      errors.emplace_back(command.line,
                          fmt::format("{}:{}: {}", file, command.line, parsed.error().message()));
    else if (parsed->help)
      errors.emplace_back(
          command.line,
          fmt::format("{}:{}: --help is not a command (run 'contain {} --help' on its own)", file,
                      command.line, command.words.front()));
  }
  if (!errors.empty()) {
    std::stable_sort(errors.begin(), errors.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string message;
    for (const auto& [line, e] : errors) message += e + "\n";
    message += fmt::format("{}: {} error{}, nothing was run", file, errors.size(),
                           errors.size() == 1 ? "" : "s");
    return fail(Error::usage(message));
  }

  // Then one line after the other. Each is parsed again rather than kept: a
  // parser per line would hold megabytes for a script of thousands of lines,
  // and parsing the same words again gives the same command.
  std::vector<int> failed_lines;
  std::optional<engine::BatchSession> session;
  for (std::size_t i = 0; i < script.commands.size(); ++i) {
    const auto& command = script.commands[i];
    std::optional<Error> error;
    if (!runs_in_session(command.words)) {
      session.reset();
    } else if (!session) {
      auto begun = engine::BatchSession::begin();
      if (begun)
        session.emplace(std::move(*begun));
      else
        error = std::move(begun).error();
    }
    auto parsed = parse_command_line(command.words);
    if (error) {
      // The session could not begin: the line is not run.
    } else if (!parsed) {
      error = std::move(parsed).error();
    } else {
      auto result = parsed->cli->commands.run();
      if (result && !*result) {
        error = std::move(*result).error();
      } else if (result && **result != 0) {
        // run, exec, net exec: the command's own status. A script stops at a
        // command that failed, as `ip -batch` does.
        error = Error::failed(fmt::format("'{}' exited with status {}",
                                          model::quote_words(command.words), **result))
                    .with_exit_code(**result);
      }
    }
    // What commands printed comes before the next line's output and errors.
    std::fflush(stdout);
    if (!error) continue;
    std::string where = fmt::format("{}:{}", file, command.line);
    if (!force) {
      std::size_t left = script.commands.size() - i - 1;
      std::string message = fmt::format("{}: {}", where, error->for_user());
      if (left > 0)
        message +=
            fmt::format("\n{}: stopped; {} command{} after line {} not run (--force goes on)", file,
                        left, left == 1 ? "" : "s", command.line);
      // The failed line's exit status is the script's (`run`'s command's own, 2, 1).
      Error stop = error->kind() == ErrorKind::usage ? Error::usage(message)
                                                     : Error::failed(message, error->code());
      return fail(std::move(stop).with_exit_code(error->exit_code()));
    }
    fmt::print(stderr, "contain: {}: {}\n", where, error->for_user());
    failed_lines.push_back(command.line);
  }
  if (failed_lines.empty()) return 0;
  std::string lines;
  for (int l : failed_lines) lines += (lines.empty() ? "" : ", ") + std::to_string(l);
  return fail(Error::failed(fmt::format("{}: {} of {} commands failed (line{} {})", file,
                                        failed_lines.size(), script.commands.size(),
                                        failed_lines.size() == 1 ? "" : "s", lines)));
}

void add_batch_command(Commands& commands) {
  auto* sub = commands.app().add_subcommand(
      "batch", "Run a script of contain commands, one per line, in one process (like 'ip -batch')");
  auto path = std::make_shared<std::string>("-");
  auto force = std::make_shared<bool>(false);
  sub->add_option("FILE", *path, "The script; '-' (the default) reads it from stdin");
  sub->add_flag("--force", *force,
                "Go on after a command fails (exit 1 at the end if any failed); lines that do "
                "not parse still stop the script before anything runs");
  sub->footer(
      "One command per line, as on the command line without the word 'contain'\n"
      "('net create a'). '#' begins a comment; quotes and backslashes as in a shell;\n"
      "no variables, pipes or redirections. Every line is parsed before the first runs.");
  // Each line checks its own privileges when it runs.
  commands.on(sub, "batch", [path, force]() -> Result<int> { return run_batch(*path, *force); },
              {.privileged = false});
}

CommandGroup batch_group{"batch", 90, add_batch_command};

}  // namespace

}  // namespace contain::cli
