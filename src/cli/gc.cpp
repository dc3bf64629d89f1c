// contain gc: reconcile the state store with the kernel.
#include "engine/gc.hpp"

#include <fmt/format.h>

#include "cli/app.hpp"

namespace contain::cli {

namespace {

void add_gc_command(Commands& commands) {
  auto* sub = commands.app().add_subcommand(
      "gc", "Reconcile every record of ours with the kernel after a crash or SIGKILL");
  auto as_json = std::make_shared<bool>(false);
  sub->add_flag("--json", *as_json,
                "Print JSON: {\"removed\": [\"one line per thing removed\", ...]}");
  commands.on(sub, "gc", [as_json]() -> Result<int> {
    auto done = TRY(engine::collect_garbage());
    if (*as_json) {
      print_json({{"removed", done}});
    } else {
      for (const auto& line : done) fmt::print("{}\n", line);
      if (done.empty()) fmt::print("nothing to collect\n");
    }
    return 0;
  });
}

CommandGroup gc_group{"gc", 90, add_gc_command};

}  // namespace

}  // namespace contain::cli
