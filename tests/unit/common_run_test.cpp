// model::read_common_run: the `run` command lines main() reads without CLI11.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/container_options.hpp"

namespace contain::model {
namespace {

using Words = std::vector<std::string>;

TEST(CommonRun, ReadsTheTableAndTheCommand) {
  auto o = read_common_run({"--rootfs", "r", "--name", "web", "--hostname", "h", "--network",
                            "netns:x", "-w", "/srv", "-u", "1000:1000", "--init", "--read-only",
                            "--privileged", "--", "sh", "-c", "--name x"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->rootfs, "r");
  EXPECT_EQ(o->name, "web");
  EXPECT_EQ(o->hostname, "h");
  EXPECT_EQ(o->network, "netns:x");
  EXPECT_EQ(o->workdir, "/srv");
  EXPECT_EQ(o->user, "1000:1000");
  EXPECT_TRUE(o->init && o->read_only && o->privileged);
  EXPECT_EQ(o->command, (Words{"sh", "-c", "--name x"}));
  // Long names of the short ones too; the rest keeps the defaults of ContainerOptions.
  o = read_common_run({"--workdir", "/a", "--user", "u", "--"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->workdir, "/a");
  EXPECT_EQ(o->user, "u");
  EXPECT_TRUE(o->command.empty());
  EXPECT_EQ(o->network, "none");
  EXPECT_FALSE(o->init || o->detach || o->tty);
  o = read_common_run({"--", "true"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->workdir, "/");
  EXPECT_EQ(o->command, Words{"true"});
}

// Whatever CLI11 might read otherwise is left to CLI11.
TEST(CommonRun, LeavesEverythingElseToCli11) {
  for (const Words& words : std::vector<Words>{
           {},                                            // no "--"
           {"true"},                                      // a command without "--"
           {"--name", "a"},                               // no "--"
           {"--name=a", "--", "true"},                    // = form
           {"-wDIR", "--", "true"},                       // attached value
           {"-w"},                                        // value missing
           {"--name", "--", "true"},                      // value missing
           {"--name", "", "--", "true"},                  // empty value
           {"--name", "-x", "--", "true"},                // value like an option
           {"--name", "a", "--name", "b", "--", "true"},  // repeated
           {"--init", "--init", "--", "true"},            // repeated flag
           {"-e", "A=1", "--", "true"},                   // not in the table
           {"-d", "--", "true"},
           {"-t", "--", "true"},
           {"--userns", "--", "true"},
           {"--help", "--", "true"},
           {"-h", "--", "true"},
           {"--rootfs", "r", "extra", "--", "true"},  // a word that is no option
           {"--Name", "a", "--", "true"},             // case matters
       }) {
    std::string line;
    for (const auto& w : words) line += " [" + w + "]";
    EXPECT_FALSE(read_common_run(words)) << line;
  }
}

}  // namespace
}  // namespace contain::model
