#include "model/batch_script.hpp"

#include <fmt/format.h>

namespace contain::model {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
bool is_shell_operator(char c) {
  return c == '|' || c == ';' || c == '&' || c == '<' || c == '>' || c == '(' || c == ')' ||
         c == '$' || c == '`';
}

std::string printable(char c) {
  if (c == '\0') return "a NUL byte";
  return fmt::format("'{}'", c);
}

}  // namespace

ParsedScript parse_script(std::string_view text) {
  ParsedScript out;
  int line = 1, column = 0;
  std::size_t i = 0;
  auto next = [&]() -> char {
    char c = text[i++];
    if (c == '\n') {
      ++line;
      column = 0;
    } else {
      ++column;
    }
    return c;
  };
  // One command per iteration: words up to an unescaped newline or the end.
  while (i < text.size()) {
    ScriptCommand command;
    command.line = line;
    std::string word;
    bool in_word = false;  // a word has begun (even an empty one: '')
    bool failed = false;
    auto end_word = [&] {
      if (in_word) command.words.push_back(std::move(word));
      word.clear();
      in_word = false;
    };
    auto error = [&](int at_line, int at_column, std::string message) {
      out.errors.push_back({at_line, at_column, std::move(message)});
      failed = true;
    };
    while (i < text.size() && !failed) {
      char c = next();
      if (c == '\n') break;
      if (c == '\0') {
        error(line, column, "a NUL byte; a script is text");
      } else if (is_blank(c)) {
        end_word();
      } else if (c == '#' && !in_word) {
        while (i < text.size() && text[i] != '\n') next();
      } else if (c == '\\') {
        if (i == text.size()) break;  // a backslash at the very end: nothing to escape
        char escaped = next();
        if (escaped == '\n') continue;  // the command goes on on the next line
        if (escaped == '\0') error(line, column, "a NUL byte; a script is text");
        word += escaped;
        in_word = true;
      } else if (c == '\'' || c == '"') {
        int open_line = line, open_column = column;
        in_word = true;
        bool closed = false;
        // A quote ends on its own line: an unclosed one is reported there, and
        // the next line is read as the next command.
        while (i < text.size() && text[i] != '\n') {
          char q = next();
          if (q == c) {
            closed = true;
            break;
          }
          if (q == '\0') {
            error(line, column, "a NUL byte; a script is text");
            break;
          }
          if (c == '"' && q == '\\' && i < text.size() && (text[i] == '"' || text[i] == '\\')) {
            word += next();
            continue;
          }
          word += q;
        }
        if (!closed && !failed)
          error(open_line, open_column,
                fmt::format("the quote {} is not closed on its line; close it there (a quoted "
                            "word cannot hold a line break)",
                            printable(c)));
      } else if (is_shell_operator(c)) {
        error(line, column,
              fmt::format("{} is shell syntax and a batch script is not run by a shell (no "
                          "variables, pipes or redirections); quote it if it is part of a word",
                          printable(c)));
      } else {
        word += c;
        in_word = true;
      }
    }
    if (failed) {
      // Skip to the next line: one error per line, then go on to find the others.
      while (i < text.size() && next() != '\n') {
      }
      continue;
    }
    end_word();
    if (command.words.empty()) continue;
    out.commands.push_back(std::move(command));
  }
  return out;
}

std::string quote_words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    bool plain = !w.empty();
    for (char c : w)
      if (is_blank(c) || is_shell_operator(c) || c == '\'' || c == '"' || c == '\\' || c == '#' ||
          c == '\n' || c == '\0')
        plain = false;
    if (plain) {
      out += w;
      continue;
    }
    out += '\'';
    for (char c : w) {
      if (c == '\'')
        out += "'\\''";
      else
        out += c;
    }
    out += '\'';
  }
  return out;
}

}  // namespace contain::model
