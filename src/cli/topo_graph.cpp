// contain topo graph: a picture of a lab, as DOT, Mermaid or SVG.
#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdio>
#include <fstream>

#include "cli/topo.hpp"
#include "engine/net.hpp"
#include "model/topology_graph.hpp"

namespace contain::cli {

namespace {

// Graphviz's library, loaded only when an SVG is asked for: linking it would
// load a dozen libraries at the start of every command.
class Graphviz {
 public:
  static Result<Graphviz> load() {
    Graphviz g;
    g.cgraph_ = ::dlopen("libcgraph.so.6", RTLD_NOW | RTLD_GLOBAL);
    g.gvc_ = ::dlopen("libgvc.so.6", RTLD_NOW | RTLD_GLOBAL);
    if (!g.cgraph_ || !g.gvc_)
      return fail(Error::failed(
          fmt::format("SVG needs Graphviz's library ({}); install libgvc6 (Debian: graphviz), "
                      "or use --format dot|mermaid",
                      ::dlerror())));
    bool ok =
        g.bind(g.cgraph_, "agmemread", g.agmemread_) && g.bind(g.cgraph_, "agclose", g.agclose_) &&
        g.bind(g.gvc_, "gvContext", g.gvContext_) && g.bind(g.gvc_, "gvLayout", g.gvLayout_) &&
        g.bind(g.gvc_, "gvRenderData", g.gvRenderData_) &&
        g.bind(g.gvc_, "gvFreeRenderData", g.gvFreeRenderData_) &&
        g.bind(g.gvc_, "gvFreeLayout", g.gvFreeLayout_) &&
        g.bind(g.gvc_, "gvFreeContext", g.gvFreeContext_);
    if (!ok) return fail(Error::failed("Graphviz's library lacks a function contain needs"));
    return g;
  }

  Result<std::string> svg(const std::string& dot) const {
    void* context = gvContext_();
    if (!context) return fail(Error::failed("Graphviz: no context"));
    void* graph = agmemread_(dot.c_str());
    if (!graph) {
      gvFreeContext_(context);
      return fail(Error::failed("Graphviz could not read the lab's DOT text"));
    }
    std::string out;
    bool ok = gvLayout_(context, graph, "dot") == 0;
    if (ok) {
      char* data = nullptr;
      unsigned length = 0;
      ok = gvRenderData_(context, graph, "svg", &data, &length) == 0;
      if (ok && data) out.assign(data, length);
      if (data) gvFreeRenderData_(data);
      gvFreeLayout_(context, graph);
    }
    agclose_(graph);
    gvFreeContext_(context);
    if (!ok || out.empty())
      return fail(
          Error::failed("Graphviz could not lay the lab out (is its 'dot' plugin "
                        "installed? Debian: graphviz)"));
    return out;
  }

 private:
  template <class F>
  static bool bind(void* lib, const char* name, F& out) {
    out = reinterpret_cast<F>(::dlsym(lib, name));
    return out != nullptr;
  }
  void* cgraph_ = nullptr;
  void* gvc_ = nullptr;
  void* (*agmemread_)(const char*) = nullptr;
  int (*agclose_)(void*) = nullptr;
  void* (*gvContext_)() = nullptr;
  int (*gvLayout_)(void*, void*, const char*) = nullptr;
  int (*gvRenderData_)(void*, void*, const char*, char**, unsigned*) = nullptr;
  void (*gvFreeRenderData_)(char*) = nullptr;
  int (*gvFreeLayout_)(void*, void*) = nullptr;
  int (*gvFreeContext_)(void*) = nullptr;
};

// Each link's state in a lab that is up, from its first end's interface.
model::GraphState state_of(const LabSource& lab) {
  model::GraphState state;
  if (!lab.record) return state;
  std::map<std::string, std::optional<engine::NetnsDetails>> seen;
  for (const auto& m : lab.record->last_check)
    state.checks.push_back({m.from, m.to, m.reach, m.passed});
  for (std::size_t i = 0; i < lab.topology.links.size(); ++i) {
    // From a node's end: the host's is not in a namespace of the lab.
    const auto& ends = lab.topology.links[i].ends;
    const auto& end = ends[0].node == model::kHostNode ? ends[1] : ends[0];
    auto& details = seen[end.node];
    if (!details) {
      auto name = NetnsName::parse(lab.prefix + end.node);
      if (name)
        if (auto d = engine::show_netns(engine::NetnsRef::named(*name))) details = std::move(*d);
    }
    std::string s = "missing";
    if (details)
      for (const auto& l : details->links)
        if (l.name == end.ifname) s = (l.flags & 1u) ? "up" : "down";
    state.links[i] = s;
  }
  return state;
}

}  // namespace

void add_topo_graph_command(Commands& commands, CLI::App* topo) {
  auto* sub = topo->add_subcommand("graph", "Draw a lab: SVG, Graphviz DOT or Mermaid");
  struct Options {
    std::string what, format = "svg", out;
  };
  auto o = std::make_shared<Options>();
  sub->add_option("FILE|NAME", o->what, "The lab's file or name")->required();
  sub->add_option("--format", o->format, "svg, dot or mermaid")
      ->capture_default_str()
      ->check(CLI::IsMember({"svg", "dot", "mermaid"}));
  sub->add_option("-o,--output", o->out, "Write to this file instead of standard output");
  commands.on(sub, "topo graph",
              [o]() -> Result<int> {
                auto lab = TRY(resolve_lab(o->what));
                auto state = state_of(lab);
                std::string text;
                if (o->format == "mermaid") {
                  text = model::topology_mermaid(lab.topology, state);
                } else {
                  text = model::topology_dot(lab.topology, state);
                  if (o->format == "svg") text = TRY(TRY(Graphviz::load()).svg(text));
                }
                if (o->out.empty()) {
                  std::fwrite(text.data(), 1, text.size(), stdout);
                  return 0;
                }
                std::ofstream f(o->out, std::ios::binary | std::ios::trunc);
                f << text;
                f.close();
                if (!f) return fail(Error::system(fmt::format("write {}", quote(o->out))));
                return 0;
              },
              {.privileged = false});
}

}  // namespace contain::cli
