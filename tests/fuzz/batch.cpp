// `contain batch` scripts (model/batch_script): a file or stdin, split into
// commands before any runs.
#include "fuzz.hpp"
#include "model/batch_script.hpp"

using namespace contain;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::text_of(data, size);
  auto script = model::parse_script(text);
  int last = 0;
  for (const auto& e : script.errors) {
    FUZZ_CHECK(!e.message.empty());
    FUZZ_CHECK(e.line >= 1 && e.column >= 1);
  }
  for (const auto& c : script.commands) {
    // Commands come in order, never empty, and quoted back they read as themselves.
    FUZZ_CHECK(c.line > last);
    last = c.line;
    FUZZ_CHECK(!c.words.empty());
    auto again = model::parse_script(model::quote_words(c.words));
    FUZZ_CHECK(again.errors.empty());
    FUZZ_CHECK(again.commands.size() == 1);
    FUZZ_CHECK(again.commands[0].words == c.words);
  }
  return 0;
}
