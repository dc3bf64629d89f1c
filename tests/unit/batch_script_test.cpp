#include "model/batch_script.hpp"

#include <gtest/gtest.h>

namespace contain::model {
namespace {

using Words = std::vector<std::string>;

TEST(BatchScript, SplitsLinesIntoWordsAndSkipsCommentsAndBlankLines) {
  auto s = parse_script(
      "# a lab\n"
      "net create a\n"
      "\n"
      "   \t\n"
      "bridge attach br0 a --addr 10.0.0.2/24   # the first host\n"
      "net exec a -- echo '#not a comment' x#y\n");
  ASSERT_TRUE(s.errors.empty());
  ASSERT_EQ(s.commands.size(), 3u);
  EXPECT_EQ(s.commands[0].line, 2);
  EXPECT_EQ(s.commands[0].words, (Words{"net", "create", "a"}));
  EXPECT_EQ(s.commands[1].line, 5);
  EXPECT_EQ(s.commands[1].words, (Words{"bridge", "attach", "br0", "a", "--addr", "10.0.0.2/24"}));
  EXPECT_EQ(s.commands[2].words,
            (Words{"net", "exec", "a", "--", "echo", "#not a comment", "x#y"}));
}

TEST(BatchScript, QuotesAndBackslashesAsAShell) {
  auto s = parse_script(R"(run -e 'A=x y' -e "B=\"q\" \\ \n" -e C=a\ b '' "")");
  ASSERT_TRUE(s.errors.empty());
  ASSERT_EQ(s.commands.size(), 1u);
  EXPECT_EQ(s.commands[0].words,
            (Words{"run", "-e", "A=x y", "-e", "B=\"q\" \\ \\n", "-e", "C=a b", "", ""}));
}

TEST(BatchScript, ABackslashAtTheEndOfALineContinuesTheCommand) {
  auto s = parse_script("net veth --host h \\\n  --ns a\nnet create b\n");
  ASSERT_TRUE(s.errors.empty());
  ASSERT_EQ(s.commands.size(), 2u);
  EXPECT_EQ(s.commands[0].line, 1);
  EXPECT_EQ(s.commands[0].words, (Words{"net", "veth", "--host", "h", "--ns", "a"}));
  EXPECT_EQ(s.commands[1].line, 3);
}

TEST(BatchScript, ReportsEveryBadLineWithItsColumn) {
  auto s = parse_script(
      "net create a\n"
      "net create 'b\n"  // not closed on its line: the next line is the next command
      "net list\n");
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_EQ(s.errors[0].line, 2);
  EXPECT_EQ(s.errors[0].column, 12);
  EXPECT_NE(s.errors[0].message.find("not closed"), std::string::npos);
  ASSERT_EQ(s.commands.size(), 2u);
  EXPECT_EQ(s.commands[1].line, 3);
  EXPECT_EQ(s.commands[1].words, (Words{"net", "list"}));

  s = parse_script("net create $NAME\nnet list | grep a\nnet create c; net create d\nok x\n");
  ASSERT_EQ(s.errors.size(), 3u);
  EXPECT_EQ(s.errors[0].line, 1);
  EXPECT_EQ(s.errors[0].column, 12);
  EXPECT_EQ(s.errors[1].line, 2);
  EXPECT_EQ(s.errors[1].column, 10);
  EXPECT_EQ(s.errors[2].line, 3);
  // The good lines are still split (the caller refuses to run any of them).
  ASSERT_EQ(s.commands.size(), 1u);
  EXPECT_EQ(s.commands[0].line, 4);
}

TEST(BatchScript, RefusesNulBytes) {
  using namespace std::string_literals;
  auto s = parse_script("net create a\0b\n"s);
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_EQ(s.errors[0].column, 13);
}

TEST(BatchScript, QuotedWordsReadBackAsThemselves) {
  Words words{"run", "-e", "A=x y", "it's", "", "$HOME", "a\\b", "#", "plain/10.0.0.1:80"};
  EXPECT_EQ(quote_words(words),
            R"(run -e 'A=x y' 'it'\''s' '' '$HOME' 'a\b' '#' plain/10.0.0.1:80)");
  auto s = parse_script(quote_words(words));
  ASSERT_TRUE(s.errors.empty());
  ASSERT_EQ(s.commands.size(), 1u);
  EXPECT_EQ(s.commands[0].words, words);
}

}  // namespace
}  // namespace contain::model
