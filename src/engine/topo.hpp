// `topo`: a whole lab (model/topology) applied all or nothing, recorded under
// owner topo/NAME before anything is made, removed from its record.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "engine/state.hpp"
#include "model/topology.hpp"

namespace contain::engine {

inline constexpr std::string_view kTopoKind = "topo";
inline std::string topo_owner(std::string_view name) { return "topo/" + std::string(name); }

// What the store keeps of a lab: enough to take it down, show or check it
// without its file (the file's text is kept; an edited file does not matter).
struct TopoRecord {
  std::string name;
  std::string prefix;
  std::string file;    // where it was read from, for people
  std::string text;    // the file's text, parsed again by show/check/graph
  std::string digest;  // of the canonical topology and prefix: "up twice" is "already up"
  std::string state;   // "creating" until everything is made, then "up"
  std::vector<std::string> namespaces;  // every namespace it makes, in plan order
  std::vector<std::string> containers;  // the containers of its container nodes
  std::vector<std::string> host_links;  // its ends in the host namespace (host:IF)
  // The last `topo check` of its expectations, for `topo graph`.
  struct CheckMark {
    std::string from, to;  // nodes (`to` may be an address)
    bool reach = true;
    bool passed = false;
  };
  std::vector<CheckMark> last_check;
  int pid = 0;  // the process making it, while "creating"
  std::uint64_t start_time = 0;

  nlohmann::json to_json() const;
  static Result<TopoRecord> from_json(const nlohmann::json& j);
};

struct TopoUpOptions {
  std::string prefix;  // prepended to every namespace name
  std::string file;
  std::string text;
  // Called between phases ("namespaces", "links", "addresses") with work done
  // and total, for a progress line on a terminal. Never from two threads at once.
  std::function<void(std::string_view phase, std::size_t done, std::size_t total)> progress;
};
struct TopoUpSummary {
  bool already_up = false;
  std::size_t nodes = 0;
  std::size_t links = 0;
  std::chrono::milliseconds elapsed{0};
};
// Makes the lab: namespaces (bridge nodes hold a Linux bridge), veth pairs
// born in their namespaces (and host:IF ends in the host namespace), addresses,
// routes, forwarding and sysctls, link MTU, state and shaping, NAT on the host,
// then the container nodes' containers (in their nodes' namespaces, wired
// before their commands start) and the nodes' exec commands. All or nothing.
Result<TopoUpSummary> topo_up(const model::Topology& topology, const TopoUpOptions& options);

// Removes everything the record names; when it returns, the namespaces are
// gone. ENOENT if no lab of that name is recorded.
Status topo_down(std::string_view name);

Result<std::vector<TopoRecord>> topo_list();
// ENOENT (with a message saying so) if no lab of that name is recorded.
Result<TopoRecord> topo_record(std::string_view name);

// The container of a container node: LAB-NODE, as containerlab names them
// (clab-LAB-NODE).
std::string topo_container_name(std::string_view lab, std::string_view node);

// Keeps the results of a `topo check` of a lab that is up in its record (the
// previous ones are replaced). ENOENT if the lab is not up.
Status record_topo_check(std::string_view lab, const std::vector<TopoRecord::CheckMark>& marks);

// Runs argv inside a node of a lab that is up (inside the container of a
// container node); returns its exit status.
Result<int> topo_exec(std::string_view lab, std::string_view node,
                      const std::vector<std::string>& argv);

// For `contain gc`: labs whose `up` died half way are removed. Appends one
// line per lab to `done`.
Status collect_topologies(const StateStore& store, std::vector<std::string>& done);

}  // namespace contain::engine
