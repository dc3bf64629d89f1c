// `contain batch` scripts: one contain command per line, split into words the
// way a shell splits a simple command (quotes and backslashes), and nothing
// more — no variables, globs, pipes or redirections: it is not a shell, and a
// word is never read as something else. Pure: no system calls.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace contain::model {

struct ScriptCommand {
  int line = 0;  // 1-based, where the command begins (a continued line spans several)
  std::vector<std::string> words;
};

struct ScriptError {
  int line = 0;
  int column = 0;  // 1-based
  std::string message;
};

struct ParsedScript {
  std::vector<ScriptCommand> commands;
  std::vector<ScriptError> errors;  // every line with a problem, in order
};

// Splits a script into commands. Blank lines and comments (`#` at the start of
// a word, to the end of the line) are skipped. Inside single quotes every
// character is itself; inside double quotes a backslash escapes only `"` and
// `\`; elsewhere a backslash escapes the next character, and a backslash at the
// end of a line continues the command on the next. Refused, naming line and
// column: a quote not closed on its line, a NUL byte, a `$`, backquote or shell operator
// (`|`, `;`, `&`, `<`, `>`, `(`, `)`) outside quotes — the script might mean
// them as a shell would, and contain will not guess.
ParsedScript parse_script(std::string_view text);

// A command's words quoted back so that parse_script reads them again as the
// same words (for messages: "line 3: net create 'a b'").
std::string quote_words(const std::vector<std::string>& words);

}  // namespace contain::model
