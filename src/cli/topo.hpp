// Shared by the topo command files (topo.cpp, topo_check.cpp, topo_graph.cpp).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "cli/app.hpp"
#include "core/error.hpp"
#include "engine/topo.hpp"
#include "model/topology.hpp"

namespace contain::cli {

Result<std::string> read_text_file(const std::string& path);

// A lab named on the command line: a file, or the name of a lab that is up.
struct LabSource {
  model::Topology topology;
  std::string prefix;
  std::string text;                          // the file's, when a file was named
  std::optional<engine::TopoRecord> record;  // set when the lab is up
};
Result<LabSource> resolve_lab(const std::string& file_or_name);

struct CheckOptions {
  bool all = false;
  bool json = false;
  std::chrono::milliseconds timeout{1000};
  std::chrono::milliseconds settle{3000};
};
// Prints one line per expectation and the count; returns 0 if all passed, else 1.
Result<int> run_topo_check(const model::Topology& topology, const std::string& prefix,
                           const CheckOptions& options);

void add_topo_check_command(Commands& commands, CLI::App* topo);
void add_topo_graph_command(Commands& commands, CLI::App* topo);

}  // namespace contain::cli
