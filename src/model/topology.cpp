#include "model/topology.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <ranges>
#include <set>
#include <span>

#include "core/names.hpp"
#include "core/spelling.hpp"
#include "model/container.hpp"

namespace contain::model {

std::string_view node_kind_name(NodeKind kind) {
  switch (kind) {
    case NodeKind::netns:
      return "netns";
    case NodeKind::bridge:
      return "bridge";
    case NodeKind::container:
      return "container";
  }
  return "netns";
}

std::string Expectation::describe() const {
  std::string out = from;
  if (!from_ifname.empty()) out += ":" + from_ifname;
  out += " -> ";
  out += to_address ? to_address->str() : to;
  if (!to_ifname.empty()) out += ":" + to_ifname;
  if (proto == Proto::tcp) out += fmt::format(" tcp/{}", port);
  return out;
}

const TopoNode* Topology::node(std::string_view name) const {
  for (const auto& n : nodes)
    if (n.name == name) return &n;
  return nullptr;
}

std::vector<Cidr> Topology::addresses_of(std::string_view node, std::string_view ifname) const {
  std::vector<Cidr> out;
  for (const auto& l : links)
    for (const auto& e : l.ends)
      if (e.node == node && (ifname.empty() || e.ifname == ifname))
        out.insert(out.end(), e.addresses.begin(), e.addresses.end());
  if (ifname.empty() || ifname == "lo")
    if (const TopoNode* n = this->node(node))
      out.insert(out.end(), n->loopback.begin(), n->loopback.end());
  return out;
}

namespace {

std::string shape_text(const std::optional<LinkShape>& s) {
  if (!s) return "-";
  auto t = [](const auto& v) { return v ? v->text() : std::string("-"); };
  return fmt::format("rate={} burst={} latency={} delay={} jitter={} loss={}", t(s->rate),
                     t(s->burst), t(s->latency), t(s->delay), t(s->jitter), t(s->loss));
}

}  // namespace

std::string Topology::canonical() const {
  std::string out = fmt::format("name {}\n", name);
  for (const auto& n : nodes) {
    out += fmt::format("node {} kind={} forwarding={} mtu={} rootfs={}\n", n.name,
                       node_kind_name(n.kind), n.forwarding, n.mtu ? *n.mtu : 0u, n.rootfs);
    for (const auto& r : n.routes) out += fmt::format(" route {}\n", r.text);
    for (const auto& a : n.loopback) out += fmt::format(" loopback {}\n", a.str());
    for (const auto& [k, v] : n.sysctls) out += fmt::format(" sysctl {}={}\n", k, v);
    for (const auto& e : n.exec) out += fmt::format(" exec {}\n", e);
    for (const auto& c : n.command) out += fmt::format(" command {}\n", c);
    for (const auto& e : n.env) out += fmt::format(" env {}\n", e);
  }
  for (const auto& l : links) {
    out += fmt::format("link mtu={} up={}\n", l.mtu ? *l.mtu : 0u, l.up);
    for (const auto& e : l.ends) {
      out += fmt::format(" end {}:{} shape {}", e.node, e.ifname, shape_text(e.shape));
      for (const auto& a : e.addresses) out += " " + a.str();
      out += "\n";
    }
  }
  for (const auto& r : nat) out += fmt::format("nat {} via {}\n", r.subnet.str(), r.via);
  for (const auto& e : expectations)
    out += fmt::format("expect {} {}\n", e.reach ? "reach" : "no-reach", e.describe());
  return out;
}

namespace {

// ---------------------------------------------------------------------------
// Reading YAML with positions. yaml-cpp throws on syntax errors and keeps
// duplicate keys silently (a lookup returns the first); we iterate maps
// ourselves to see every key once and report the second of a pair.

class Reader {
 public:
  explicit Reader(std::vector<Diagnostic>& out) : out_(out) {}

  static SourcePos pos_of(const YAML::Node& n, SourcePos fallback = {}) {
    if (!n.IsDefined()) return fallback;
    YAML::Mark m = n.Mark();
    if (m.line < 0 || m.is_null()) return fallback;
    return {m.line + 1, m.column + 1};
  }

  void error(SourcePos pos, std::string message) { out_.push_back({pos, std::move(message)}); }

  // A map's entries by key, in file order. Unknown and duplicate keys are
  // reported; a null node (a key with nothing after it) is an empty map.
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
    SourcePos pos;        // of the key
    SourcePos value_pos;  // of the value, or of the key when the value has none
  };
  class Map {
   public:
    const Entry* find(std::string_view key) const {
      for (const auto& e : entries)
        if (e.key == key) return &e;
      return nullptr;
    }
    std::vector<Entry> entries;
    SourcePos pos;
  };

  std::optional<Map> map(const YAML::Node& n, SourcePos at, std::string_view where,
                         std::span<const std::string_view> known) {
    Map out;
    out.pos = pos_of(n, at);
    if (!n.IsDefined() || n.IsNull()) return out;
    if (!n.IsMap()) {
      error(out.pos, fmt::format("{} must be a map of keys (key: value)", where));
      return std::nullopt;
    }
    std::set<std::string> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
      SourcePos kpos = pos_of(it->first, out.pos);
      if (!it->first.IsScalar()) {
        error(kpos, fmt::format("a key in {} must be a plain name", where));
        continue;
      }
      std::string key = it->first.Scalar();
      if (!seen.insert(key).second) {
        error(kpos, fmt::format("duplicate key '{}' in {} (keep only one of them)", key, where));
        continue;
      }
      if (known.size() > 0 && std::find(known.begin(), known.end(), key) == known.end()) {
        error(kpos, unknown_key(key, where, known));
        continue;
      }
      out.entries.push_back({key, it->first, it->second, kpos, pos_of(it->second, kpos)});
    }
    return out;
  }

  static std::string unknown_key(std::string_view key, std::string_view where,
                                 std::span<const std::string_view> known) {
    if (auto best = closest(key, known, std::max<std::size_t>(2, key.size() / 3)))
      return fmt::format("unknown key '{}' in {} (did you mean '{}'?)", key, where, *best);
    std::string all;
    for (auto k : known) all += (all.empty() ? "" : ", ") + std::string(k);
    return fmt::format("unknown key '{}' in {} (known keys: {})", key, where, all);
  }

  std::optional<std::string> scalar(const Entry& e, std::string_view what) {
    return scalar(e.value, e.value_pos, what);
  }
  std::optional<std::string> scalar(const YAML::Node& n, SourcePos at, std::string_view what) {
    if (!n.IsScalar()) {
      error(pos_of(n, at), fmt::format("{} must be a single value", what));
      return std::nullopt;
    }
    return n.Scalar();
  }

  std::optional<bool> boolean(const Entry& e, std::string_view what) {
    auto s = scalar(e, what);
    if (!s) return std::nullopt;
    if (*s == "true" || *s == "yes" || *s == "on") return true;
    if (*s == "false" || *s == "no" || *s == "off") return false;
    error(e.value_pos, fmt::format("{} must be true or false, not '{}'", what, *s));
    return std::nullopt;
  }

  std::optional<unsigned> number(const Entry& e, std::string_view what, unsigned min,
                                 unsigned max) {
    auto s = scalar(e, what);
    if (!s) return std::nullopt;
    unsigned v = 0;
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    if (ec != std::errc() || end != s->data() + s->size() || v < min || v > max) {
      error(e.value_pos,
            fmt::format("{} must be a number from {} to {}, not '{}'", what, min, max, *s));
      return std::nullopt;
    }
    return v;
  }

  // A list of scalars; a single scalar counts as a list of one.
  std::vector<std::pair<std::string, SourcePos>> strings(const Entry& e, std::string_view what,
                                                         bool allow_null = false) {
    std::vector<std::pair<std::string, SourcePos>> out;
    if (e.value.IsScalar()) {
      out.emplace_back(e.value.Scalar(), e.value_pos);
      return out;
    }
    if (!e.value.IsSequence()) {
      error(e.value_pos, fmt::format("{} must be a list", what));
      return out;
    }
    for (const auto& item : e.value) {
      SourcePos p = pos_of(item, e.value_pos);
      if (allow_null && item.IsNull()) {
        out.emplace_back("", p);
      } else if (!item.IsScalar()) {
        error(p, fmt::format("each item of {} must be a single value", what));
      } else {
        out.emplace_back(item.Scalar(), p);
      }
    }
    return out;
  }

 private:
  std::vector<Diagnostic>& out_;
};

constexpr std::string_view kTopKeys[] = {"name", "topology", "expect", "nat", "mgmt", "prefix"};
constexpr std::string_view kTopologyKeys[] = {"nodes", "links", "defaults"};
constexpr std::string_view kNodeKeys[] = {"kind",    "forwarding", "routes", "loopback",
                                          "sysctls", "exec",       "mtu",    "command",
                                          "rootfs",  "env",        "image"};
constexpr std::string_view kLinkKeys[] = {"endpoints", "ipv4", "ipv6", "mtu",
                                          "shape",     "up",   "type"};
constexpr std::string_view kEndpointKeys[] = {"node", "interface", "ipv4", "ipv6", "shape"};
constexpr std::string_view kShapeKeys[] = {"rate", "burst", "latency", "delay", "jitter", "loss"};
constexpr std::string_view kExpectKeys[] = {"reach", "no-reach"};
constexpr std::string_view kProbeKeys[] = {"from", "to", "proto", "port"};
constexpr std::string_view kNatKeys[] = {"subnet", "via"};

bool valid_node_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  if (!std::isalnum(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

// Sysctls that belong to the network namespace (others would change the host).
bool namespaced_sysctl(std::string_view path) {
  for (std::string_view p : {"net/ipv4/", "net/ipv6/", "net/unix/", "net/netfilter/"})
    if (path.starts_with(p)) return true;
  return path == "net/core/somaxconn";
}

class Parser {
 public:
  explicit Parser(std::vector<Diagnostic>& out) : r_(out) {}

  std::optional<Topology> parse(const YAML::Node& root) {
    Topology t;
    auto top = r_.map(root, {1, 1}, "the file", kTopKeys);
    if (!top) return std::nullopt;
    if (root.IsNull() || !root.IsDefined()) {
      r_.error({1, 1}, "the file is empty (it needs a 'name' and a 'topology' with 'nodes')");
      return std::nullopt;
    }
    if (const auto* e = top->find("name")) {
      if (auto s = r_.scalar(*e, "name")) {
        if (!valid_node_name(*s))
          r_.error(e->value_pos, fmt::format("lab name '{}' must be 1-64 letters, digits, '-', "
                                             "'_' or '.', starting with a letter or digit",
                                             *s));
        t.name = *s;
      }
    } else {
      r_.error(top->pos, "the lab has no 'name' (add 'name: NAME' at the top)");
    }
    if (const auto* e = top->find("topology")) {
      parse_topology_section(*e, t);
    } else {
      r_.error(top->pos, "the file has no 'topology' section (add 'topology:' with 'nodes:')");
    }
    if (const auto* e = top->find("expect")) parse_expect(*e, t);
    if (const auto* e = top->find("nat")) parse_nat(*e, t);
    return t;
  }

 private:
  void parse_topology_section(const Reader::Entry& section, Topology& t) {
    auto m = r_.map(section.value, section.value_pos, "topology", kTopologyKeys);
    if (!m) return;
    std::optional<Reader::Map> defaults;
    if (const auto* e = m->find("defaults"))
      defaults = r_.map(e->value, e->value_pos, "topology.defaults", kNodeKeys);
    if (const auto* e = m->find("nodes")) {
      auto nodes = r_.map(e->value, e->value_pos, "topology.nodes", {});
      if (nodes)
        for (const auto& n : nodes->entries) parse_node(n, defaults ? &*defaults : nullptr, t);
    } else {
      r_.error(m->pos, "topology has no 'nodes' (add 'nodes:' with one entry per node)");
    }
    if (const auto* e = m->find("links")) {
      if (e->value.IsNull()) return;
      if (!e->value.IsSequence()) {
        r_.error(e->value_pos, "topology.links must be a list (each item starting with '- ')");
        return;
      }
      for (const auto& item : e->value) parse_link(item, Reader::pos_of(item, e->value_pos), t);
    }
  }

  void parse_node(const Reader::Entry& entry, const Reader::Map* defaults, Topology& t) {
    TopoNode n;
    n.name = entry.key;
    n.pos = entry.pos;
    std::string where = fmt::format("node {}", n.name);
    if (!valid_node_name(n.name))
      r_.error(entry.pos, fmt::format("node name '{}' must be 1-64 letters, digits, '-', '_' or "
                                      "'.', starting with a letter or digit",
                                      n.name));
    if (n.name == kHostNode)
      r_.error(entry.pos,
               "node name 'host' is reserved for links into the host namespace "
               "('host:IF'); choose another name");
    auto m = r_.map(entry.value, entry.value_pos, where, kNodeKeys);
    if (!m) return;
    // A key of the node, else of topology.defaults.
    auto get = [&](std::string_view key) -> const Reader::Entry* {
      if (const auto* e = m->find(key)) return e;
      return defaults ? defaults->find(key) : nullptr;
    };
    if (const auto* e = get("image"))
      r_.error(e->pos, fmt::format("{}: 'image' is not supported: contain does not pull images "
                                   "(use 'rootfs: DIR' with kind: container, or drop 'image')",
                                   where));
    if (const auto* e = get("kind")) {
      if (auto s = r_.scalar(*e, "kind")) {
        if (*s == "netns" || *s == "linux")
          n.kind = NodeKind::netns;
        else if (*s == "bridge")
          n.kind = NodeKind::bridge;
        else if (*s == "container")
          n.kind = NodeKind::container;
        else
          r_.error(e->value_pos, fmt::format("{}: unknown kind '{}' (use netns, bridge or "
                                             "container)",
                                             where, *s));
      }
    }
    if (const auto* e = get("forwarding"))
      if (auto b = r_.boolean(*e, "forwarding")) n.forwarding = *b;
    if (const auto* e = get("mtu"))
      if (auto v = r_.number(*e, "mtu", 68, 65535)) n.mtu = *v;
    if (const auto* e = get("routes"))
      for (auto& [text, pos] : r_.strings(*e, "routes")) {
        if (auto route = parse_route(text, pos, where)) n.routes.push_back(*route);
      }
    if (const auto* e = get("loopback"))
      for (auto& [text, pos] : r_.strings(*e, "loopback")) {
        auto c = Cidr::parse(text);
        if (!c)
          r_.error(pos, fmt::format("{}: loopback address '{}' is not an address with a prefix "
                                    "(write it as 10.255.0.1/32)",
                                    where, text));
        else
          n.loopback.push_back(*c);
      }
    if (const auto* e = get("sysctls")) {
      if (auto s = r_.map(e->value, e->value_pos, where + " sysctls", {}))
        for (const auto& kv : s->entries) {
          std::string path = kv.key;
          if (path.find('/') == std::string::npos) std::replace(path.begin(), path.end(), '.', '/');
          if (!namespaced_sysctl(path) || path.find("..") != std::string::npos) {
            r_.error(kv.pos, fmt::format("{}: sysctl '{}' is not one of the network namespace "
                                         "(only net.ipv4.*, net.ipv6.*, net.unix.*, "
                                         "net.netfilter.* and net.core.somaxconn are)",
                                         where, kv.key));
            continue;
          }
          if (auto v = r_.scalar(kv, "a sysctl value")) n.sysctls.emplace_back(path, *v);
        }
    }
    if (const auto* e = get("exec"))
      for (auto& [text, pos] : r_.strings(*e, "exec")) n.exec.push_back(text);
    // A list is the argv; one string is a shell command line, as in compose files.
    if (const auto* e = get("command")) {
      if (e->value.IsScalar())
        n.command = {"/bin/sh", "-c", e->value.Scalar()};
      else
        for (auto& [text, pos] : r_.strings(*e, "command")) n.command.push_back(text);
    }
    if (const auto* e = get("env"))
      for (auto& [text, pos] : r_.strings(*e, "env")) {
        if (text.find('=') == std::string::npos)
          r_.error(pos, fmt::format("{}: env entry '{}' must be KEY=VALUE", where, text));
        // The rest of what `run -e` refuses (an empty key, a NUL byte), here
        // with the line, rather than from the container's spec at `topo up`.
        else if (auto entry = parse_environment_entry(text); !entry)
          r_.error(pos, fmt::format("{}: {}", where, entry.error().message()));
        n.env.push_back(text);
      }
    if (const auto* e = get("rootfs"))
      if (auto s = r_.scalar(*e, "rootfs")) n.rootfs = *s;
    if (n.kind != NodeKind::container &&
        (!n.command.empty() || !n.rootfs.empty() || !n.env.empty()))
      r_.error(entry.pos,
               fmt::format("{}: command, rootfs and env are for kind: container", where));
    if (n.kind == NodeKind::container && n.command.empty())
      r_.error(entry.pos, fmt::format("{}: a container node needs a 'command'", where));
    if (n.kind == NodeKind::bridge &&
        (n.forwarding || !n.routes.empty() || !n.loopback.empty() || !n.exec.empty()))
      r_.error(entry.pos, fmt::format("{}: a bridge node is a switch: it takes no forwarding, "
                                      "routes, loopback or exec",
                                      where));
    t.nodes.push_back(std::move(n));
  }

  std::optional<TopoRoute> parse_route(const std::string& text, SourcePos pos,
                                       const std::string& where) {
    std::vector<std::string> words;
    for (std::size_t i = 0; i < text.size();) {
      std::size_t j = text.find(' ', i);
      if (j == std::string::npos) j = text.size();
      if (j > i) words.push_back(text.substr(i, j - i));
      i = j + 1;
    }
    TopoRoute route;
    route.text = text;
    route.pos = pos;
    auto bad = [&](std::string why) {
      r_.error(pos, fmt::format("{}: route '{}' {} (write 'DEST via GW', 'default via GW' or "
                                "'DEST dev IF')",
                                where, text, why));
      return std::nullopt;
    };
    if (words.size() != 3 && words.size() != 5) return bad("has the wrong number of words");
    if (words[0] != "default") {
      auto dest = Cidr::parse(words[0]);
      if (!dest) return bad(fmt::format("has a bad destination '{}'", words[0]));
      if (dest->address() != dest->network())
        return bad(
            fmt::format("has host bits set in '{}' (use {})", words[0], dest->subnet().str()));
      route.destination = *dest;
    }
    for (std::size_t i = 1; i + 1 < words.size(); i += 2) {
      if (words[i] == "via") {
        auto gw = IpAddress::parse(words[i + 1]);
        if (!gw) return bad(fmt::format("has a bad gateway '{}'", words[i + 1]));
        route.gateway = *gw;
      } else if (words[i] == "dev") {
        if (!IfName::parse(words[i + 1]))
          return bad(fmt::format("names a bad interface '{}'", words[i + 1]));
        route.dev = words[i + 1];
      } else {
        return bad(fmt::format("has '{}' where 'via' or 'dev' belongs", words[i]));
      }
    }
    if (!route.gateway && route.dev.empty()) return bad("has neither 'via' nor 'dev'");
    if (route.gateway && route.destination &&
        route.gateway->family() != route.destination->family())
      return bad("mixes IPv4 and IPv6");
    return route;
  }

  std::optional<LinkShape> parse_shape(const YAML::Node& n, SourcePos at) {
    auto m = r_.map(n, at, "shape", kShapeKeys);
    if (!m) return std::nullopt;
    LinkShape s;
    bool ok = true;
    auto unit = [&](const char* key, auto parse, auto& field) {
      const auto* e = m->find(key);
      if (!e) return;
      auto text = r_.scalar(*e, key);
      if (!text) return void(ok = false);
      auto v = parse(*text);
      if (!v) {
        r_.error(e->value_pos, fmt::format("shape {}: {}", key, v.error().message()));
        ok = false;
        return;
      }
      field = *v;
    };
    unit("rate", Rate::parse, s.rate);
    unit("burst", Size::parse, s.burst);
    unit("latency", Duration::parse, s.latency);
    unit("delay", Duration::parse, s.delay);
    unit("jitter", Duration::parse, s.jitter);
    unit("loss", Percent::parse, s.loss);
    if (!ok) return std::nullopt;
    if ((s.burst || s.latency) && !s.rate) {
      r_.error(m->pos, "shape: burst and latency need a rate");
      return std::nullopt;
    }
    if (s.jitter && !s.delay) {
      r_.error(m->pos, "shape: jitter needs a delay");
      return std::nullopt;
    }
    return s;
  }

  // "A:eth0" or containerlab's extended form {node: A, interface: eth0, ipv4: ...}.
  std::optional<LinkEnd> parse_endpoint(const YAML::Node& n, SourcePos at) {
    LinkEnd end;
    if (n.IsScalar()) {
      const std::string& s = n.Scalar();
      auto colon = s.find(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) {
        r_.error(at, fmt::format("endpoint '{}' must be NODE:INTERFACE (for example A:eth0)", s));
        return std::nullopt;
      }
      end.node = s.substr(0, colon);
      end.ifname = s.substr(colon + 1);
      return end;
    }
    auto m = r_.map(n, at, "an endpoint", kEndpointKeys);
    if (!m) return std::nullopt;
    const auto* node = m->find("node");
    const auto* ifname = m->find("interface");
    if (!node || !ifname) {
      r_.error(m->pos, "an endpoint needs 'node' and 'interface'");
      return std::nullopt;
    }
    auto ns = r_.scalar(*node, "node");
    auto is = r_.scalar(*ifname, "interface");
    if (!ns || !is) return std::nullopt;
    end.node = *ns;
    end.ifname = *is;
    for (const char* family : {"ipv4", "ipv6"})
      if (const auto* e = m->find(family))
        for (auto& [text, pos] : r_.strings(*e, family))
          if (auto c = parse_address(text, pos, family)) end.addresses.push_back(*c);
    if (const auto* e = m->find("shape"))
      if (auto s = parse_shape(e->value, e->value_pos)) end.shape = *s;
    return end;
  }

  std::optional<Cidr> parse_address(const std::string& text, SourcePos pos,
                                    std::string_view family) {
    auto c = Cidr::parse(text);
    if (!c || text.find('/') == std::string::npos) {
      r_.error(pos, fmt::format("'{}' is not an {} address with a prefix (for example {})", text,
                                family, family == "ipv4" ? "10.0.1.1/24" : "2001:db8::1/64"));
      return std::nullopt;
    }
    if (c->address().is_v4() != (family == "ipv4")) {
      r_.error(pos, fmt::format("'{}' is not an {} address (list it under {})", text, family,
                                family == "ipv4" ? "ipv6" : "ipv4"));
      return std::nullopt;
    }
    return *c;
  }

  void parse_link(const YAML::Node& item, SourcePos at, Topology& t) {
    auto m = r_.map(item, at, "a link", kLinkKeys);
    if (!m) return;
    TopoLink link;
    link.pos = m->pos;
    const auto* endpoints = m->find("endpoints");
    if (!endpoints) {
      r_.error(m->pos, "a link needs 'endpoints: [\"NODE:IF\", \"NODE:IF\"]'");
      return;
    }
    if (!endpoints->value.IsSequence() || endpoints->value.size() != 2) {
      r_.error(endpoints->value_pos,
               "a link's endpoints must be a list of two (\"A:eth0\", "
               "\"B:eth0\")");
      return;
    }
    bool ok = true;
    for (std::size_t i = 0; i < 2; ++i) {
      auto end = parse_endpoint(endpoints->value[i],
                                Reader::pos_of(endpoints->value[i], endpoints->value_pos));
      if (end)
        link.ends[i] = std::move(*end);
      else
        ok = false;
    }
    for (const char* family : {"ipv4", "ipv6"}) {
      const auto* e = m->find(family);
      if (!e) continue;
      auto items = r_.strings(*e, family, true);
      if (items.size() != 2) {
        r_.error(e->value_pos, fmt::format("{} must list two addresses, one per endpoint in the "
                                           "same order (use null or \"\" for none)",
                                           family));
        continue;
      }
      for (std::size_t i = 0; i < 2; ++i) {
        if (items[i].first.empty()) continue;
        if (auto c = parse_address(items[i].first, items[i].second, family))
          link.ends[i].addresses.push_back(*c);
      }
    }
    if (const auto* e = m->find("mtu"))
      if (auto v = r_.number(*e, "mtu", 68, 65535)) link.mtu = *v;
    if (const auto* e = m->find("up"))
      if (auto b = r_.boolean(*e, "up")) link.up = *b;
    if (const auto* e = m->find("type"))
      if (auto s = r_.scalar(*e, "type"); s && *s != "veth")
        r_.error(e->value_pos, fmt::format("link type '{}' is not supported (only veth)", *s));
    if (const auto* e = m->find("shape")) {
      // On the link: both ends; on an endpoint: that end only (it wins).
      if (auto s = parse_shape(e->value, e->value_pos))
        for (auto& end : link.ends)
          if (!end.shape) end.shape = *s;
    }
    if (ok) t.links.push_back(std::move(link));
  }

  // "X -> Y", "X <-> Y" or {from, to, proto, port}.
  void parse_probe(const YAML::Node& item, SourcePos at, bool reach, Topology& t) {
    Expectation e;
    e.reach = reach;
    e.pos = at;
    std::string from, to;
    bool both = false;
    if (item.IsScalar()) {
      const std::string& s = item.Scalar();
      std::size_t arrow = s.find("<->");
      std::size_t len = 3;
      if (arrow != std::string::npos) {
        both = true;
      } else {
        arrow = s.find("->");
        len = 2;
      }
      if (arrow == std::string::npos) {
        r_.error(at, fmt::format("expectation '{}' must be \"X -> Y\" or \"X <-> Y\"", s));
        return;
      }
      auto trim = [](std::string v) {
        while (!v.empty() && v.front() == ' ') v.erase(v.begin());
        while (!v.empty() && v.back() == ' ') v.pop_back();
        return v;
      };
      from = trim(s.substr(0, arrow));
      to = trim(s.substr(arrow + len));
    } else {
      auto m = r_.map(item, at, "an expectation", kProbeKeys);
      if (!m) return;
      const auto* f = m->find("from");
      const auto* d = m->find("to");
      if (!f || !d) {
        r_.error(m->pos, "an expectation needs 'from' and 'to'");
        return;
      }
      auto fs = r_.scalar(*f, "from");
      auto ds = r_.scalar(*d, "to");
      if (!fs || !ds) return;
      from = *fs;
      to = *ds;
      if (const auto* p = m->find("proto")) {
        auto ps = r_.scalar(*p, "proto");
        if (ps && *ps == "tcp")
          e.proto = Proto::tcp;
        else if (ps && *ps != "icmp")
          r_.error(p->value_pos, fmt::format("proto '{}' is not icmp or tcp", *ps));
      }
      if (const auto* p = m->find("port")) {
        if (auto v = r_.number(*p, "port", 1, 65535)) e.port = static_cast<std::uint16_t>(*v);
      }
      if (e.proto == Proto::tcp && e.port == 0) {
        r_.error(m->pos, "a tcp expectation needs a 'port'");
        return;
      }
    }
    if (from.empty() || to.empty()) {
      r_.error(at, "an expectation needs a source and a target");
      return;
    }
    auto split = [](const std::string& s, std::string& node, std::string& ifname) {
      auto colon = s.find(':');
      node = s.substr(0, colon);
      ifname = colon == std::string::npos ? "" : s.substr(colon + 1);
    };
    split(from, e.from, e.from_ifname);
    if (auto ip = IpAddress::parse(to))
      e.to_address = *ip;
    else
      split(to, e.to, e.to_ifname);
    if (both && e.to_address) {
      r_.error(at, "\"X <-> Y\" needs two nodes; an address can only be a target (use ->)");
      return;
    }
    t.expectations.push_back(e);
    if (both) {
      Expectation back = e;
      std::swap(back.from, back.to);
      std::swap(back.from_ifname, back.to_ifname);
      t.expectations.push_back(back);
    }
  }

  void parse_expect(const Reader::Entry& section, Topology& t) {
    auto m = r_.map(section.value, section.value_pos, "expect", kExpectKeys);
    if (!m) return;
    for (const auto& kv : m->entries) {
      if (kv.value.IsNull()) continue;
      if (!kv.value.IsSequence()) {
        r_.error(kv.value_pos, fmt::format("expect.{} must be a list", kv.key));
        continue;
      }
      for (const auto& item : kv.value)
        parse_probe(item, Reader::pos_of(item, kv.value_pos), kv.key == "reach", t);
    }
  }

  void parse_nat(const Reader::Entry& section, Topology& t) {
    if (!section.value.IsSequence()) {
      r_.error(section.value_pos, "nat must be a list of {subnet, via}");
      return;
    }
    for (const auto& item : section.value) {
      auto m = r_.map(item, Reader::pos_of(item, section.value_pos), "a nat entry", kNatKeys);
      if (!m) continue;
      const auto* s = m->find("subnet");
      const auto* v = m->find("via");
      if (!s || !v) {
        r_.error(m->pos, "a nat entry needs 'subnet' and 'via'");
        continue;
      }
      auto ss = r_.scalar(*s, "subnet");
      auto vs = r_.scalar(*v, "via");
      if (!ss || !vs) continue;
      auto c = Cidr::parse(*ss);
      if (!c || c->address() != c->network()) {
        r_.error(s->value_pos, fmt::format("nat subnet '{}' is not a subnet (for example "
                                           "10.0.0.0/24)",
                                           *ss));
        continue;
      }
      t.nat.push_back({*c, *vs, m->pos});
    }
  }

  Reader r_;
};

}  // namespace

std::vector<Diagnostic> validate_topology(const Topology& t) {
  std::vector<Diagnostic> out;
  auto error = [&](SourcePos pos, std::string message) {
    out.push_back({pos, std::move(message)});
  };
  std::map<std::string, const TopoNode*> nodes;
  for (const auto& n : t.nodes) {
    if (!nodes.emplace(n.name, &n).second)
      error(n.pos, fmt::format("node {} is defined twice", n.name));
  }
  // Interfaces per node, and every address in the lab.
  std::map<std::string, std::set<std::string>> ifnames;
  std::map<IpAddress, std::string> addresses;
  auto claim_address = [&](const Cidr& c, const std::string& owner, SourcePos pos) {
    auto [it, fresh] = addresses.emplace(c.address(), owner);
    if (!fresh)
      error(pos, fmt::format("address {} of {} is also on {} (each address once)", c.str(), owner,
                             it->second));
  };
  for (const auto& l : t.links) {
    for (const auto& e : l.ends) {
      std::string end = fmt::format("{}:{}", e.node, e.ifname);
      const TopoNode* node = nullptr;
      if (e.node != kHostNode) {
        auto it = nodes.find(e.node);
        if (it == nodes.end()) {
          auto best = closest(e.node, std::views::keys(nodes), 2);
          error(l.pos,
                fmt::format("link endpoint {}: no node named {} (define it under "
                            "topology.nodes{})",
                            end, e.node, best ? fmt::format(", or did you mean {}?", *best) : ""));
          continue;
        }
        node = it->second;
      }
      if (!IfName::parse(e.ifname) || e.ifname == "lo") {
        error(l.pos, fmt::format("link endpoint {}: '{}' is not a usable interface name (1-15 "
                                 "characters, no '/', ':' or spaces; not lo)",
                                 end, e.ifname));
        continue;
      }
      if (node && node->kind == NodeKind::bridge && e.ifname == kBridgeIfname)
        error(l.pos, fmt::format("link endpoint {}: {} is the bridge itself inside a bridge node "
                                 "(choose another interface name)",
                                 end, kBridgeIfname));
      if (!ifnames[e.node].insert(e.ifname).second)
        error(l.pos,
              fmt::format("link endpoint {} is used by two links (each interface once)", end));
      if (node && node->kind == NodeKind::bridge && !e.addresses.empty())
        error(l.pos, fmt::format("link endpoint {}: a bridge node's ports carry no addresses "
                                 "(address the hosts on it)",
                                 end));
      for (const auto& a : e.addresses) claim_address(a, end, l.pos);
    }
  }
  for (const auto& n : t.nodes) {
    for (const auto& a : n.loopback) claim_address(a, n.name + ":lo", n.pos);
    std::vector<Cidr> connected = t.addresses_of(n.name);
    for (const auto& r : n.routes) {
      if (!r.dev.empty() && !ifnames[n.name].contains(r.dev))
        error(r.pos, fmt::format("node {}: route '{}' names interface {}, which {} has no link on",
                                 n.name, r.text, r.dev, n.name));
      if (r.gateway && r.dev.empty()) {
        bool on_link = std::any_of(connected.begin(), connected.end(), [&](const Cidr& c) {
          return c.family() == r.gateway->family() && c.contains(*r.gateway) &&
                 c.address() != *r.gateway;
        });
        if (!on_link)
          error(r.pos, fmt::format("node {}: route '{}': gateway {} is not on a subnet of {}'s "
                                   "links (give {} an address in its subnet, or fix the gateway)",
                                   n.name, r.text, r.gateway->str(), n.name, n.name));
      }
    }
  }
  for (const auto& nat : t.nat) {
    auto it = nodes.find(nat.via);
    if (it == nodes.end()) {
      error(nat.pos, fmt::format("nat via {}: no such node", nat.via));
      continue;
    }
    bool host_link = std::any_of(t.links.begin(), t.links.end(), [&](const TopoLink& l) {
      return (l.ends[0].node == nat.via && l.ends[1].node == kHostNode) ||
             (l.ends[1].node == nat.via && l.ends[0].node == kHostNode);
    });
    if (!host_link)
      error(nat.pos, fmt::format("nat via {}: {} has no link to the host (add a link with "
                                 "endpoint host:IF)",
                                 nat.via, nat.via));
  }
  for (const auto& e : t.expectations) {
    auto from = nodes.find(e.from);
    if (from == nodes.end()) {
      error(e.pos, fmt::format("expectation {}: no node named {}", e.describe(), e.from));
      continue;
    }
    if (from->second->kind == NodeKind::bridge) {
      error(e.pos, fmt::format("expectation {}: {} is a bridge and sends nothing (probe from a "
                               "host)",
                               e.describe(), e.from));
      continue;
    }
    if (!e.from_ifname.empty() && !ifnames[e.from].contains(e.from_ifname))
      error(e.pos, fmt::format("expectation {}: {} has no interface {}", e.describe(), e.from,
                               e.from_ifname));
    if (e.to_address) continue;
    auto to = nodes.find(e.to);
    if (to == nodes.end()) {
      error(e.pos, fmt::format("expectation {}: '{}' is neither a node nor an address",
                               e.describe(), e.to));
      continue;
    }
    if (!e.to_ifname.empty() && !ifnames[e.to].contains(e.to_ifname)) {
      error(e.pos,
            fmt::format("expectation {}: {} has no interface {}", e.describe(), e.to, e.to_ifname));
      continue;
    }
    if (t.addresses_of(e.to, e.to_ifname).empty())
      error(e.pos,
            fmt::format("expectation {}: {} has no address to probe (give it one, or "
                        "probe another target)",
                        e.describe(), e.to_ifname.empty() ? e.to : e.to + ":" + e.to_ifname));
  }
  if (t.nodes.empty() && out.empty()) error({1, 1}, "the lab has no nodes");
  return out;
}

ParsedTopology parse_topology(std::string_view text) {
  ParsedTopology out;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    out.diagnostics.push_back(
        {{e.mark.line + 1, e.mark.column + 1}, fmt::format("YAML syntax: {}", e.msg)});
    return out;
  }
  try {
    Parser parser(out.diagnostics);
    auto t = parser.parse(root);
    if (t) {
      auto more = validate_topology(*t);
      // Validation errors of things the parser already refused would only repeat them.
      if (out.diagnostics.empty() || !more.empty())
        out.diagnostics.insert(out.diagnostics.end(), more.begin(), more.end());
    }
    if (out.diagnostics.empty()) out.topology = std::move(t);
  } catch (const YAML::Exception& e) {
    out.diagnostics.push_back({{e.mark.line + 1, e.mark.column + 1}, e.msg});
  }
  std::stable_sort(
      out.diagnostics.begin(), out.diagnostics.end(), [](const auto& a, const auto& b) {
        return std::pair(a.pos.line, a.pos.column) < std::pair(b.pos.line, b.pos.column);
      });
  return out;
}

Result<Topology> load_topology(std::string_view text, std::string_view file) {
  auto parsed = parse_topology(text);
  if (parsed.topology) return std::move(*parsed.topology);
  std::string message;
  for (const auto& d : parsed.diagnostics) {
    if (!message.empty()) message += "\n";
    message += fmt::format("{}:{}:{}: {}", file, d.pos.line, d.pos.column, d.message);
  }
  if (parsed.diagnostics.size() > 1)
    message += fmt::format("\n{}: {} errors, nothing was changed", file, parsed.diagnostics.size());
  return fail(Error::usage(message));
}

std::string TopologyPlan::netns_of(const Topology& t, std::string_view node) const {
  for (const auto& n : nodes)
    if (t.nodes[n.node].name == node) return n.netns;
  return {};
}

TopologyPlan plan_topology(const Topology& t, std::string_view prefix) {
  TopologyPlan plan;
  for (std::size_t i = 0; i < t.nodes.size(); ++i)
    plan.nodes.push_back({i, std::string(prefix) + t.nodes[i].name});
  auto is_bridge = [&](const LinkEnd& e) {
    const TopoNode* n = t.node(e.node);
    return n && n->kind == NodeKind::bridge;
  };
  for (std::size_t i = 0; i < t.links.size(); ++i) {
    const auto& l = t.links[i];
    int creator = 0;
    if (l.ends[0].node == kHostNode)
      creator = 0;  // the host end is made in the host, its peer born in the node
    else if (l.ends[1].node == kHostNode)
      creator = 1;
    else if (!is_bridge(l.ends[0]) && is_bridge(l.ends[1]))
      creator = 1;
    plan.links.push_back({i, creator});
  }
  return plan;
}

Result<std::string> generate_topology(std::string_view shape, int count) {
  auto addr = [](int i) { return fmt::format("10.0.{}.{}/16", i / 256, i % 256); };
  std::string out;
  if (shape == "star") {
    if (count < 1 || count > 65000)
      return fail(Error::usage("topo gen star N: N must be 1 to 65000"));
    out = fmt::format("name: star{}\ntopology:\n  nodes:\n    s1: {{kind: bridge}}\n", count);
    for (int i = 1; i <= count; ++i) out += fmt::format("    h{}: {{}}\n", i);
    out += "  links:\n";
    for (int i = 1; i <= count; ++i)
      out += fmt::format("    - {{endpoints: [\"h{}:eth0\", \"s1:p{}\"], ipv4: [{}, null]}}\n", i,
                         i, addr(i));
    if (count >= 2) out += fmt::format("expect:\n  reach: [\"h1 <-> h{}\"]\n", count);
    return out;
  }
  if (shape == "linear") {
    if (count < 1 || count > 65000)
      return fail(Error::usage("topo gen linear N: N must be 1 to 65000"));
    out = fmt::format("name: linear{}\ntopology:\n  nodes:\n", count);
    for (int i = 1; i <= count; ++i) out += fmt::format("    s{}: {{kind: bridge}}\n", i);
    for (int i = 1; i <= count; ++i) out += fmt::format("    h{}: {{}}\n", i);
    out += "  links:\n";
    for (int i = 1; i <= count; ++i)
      out += fmt::format("    - {{endpoints: [\"h{}:eth0\", \"s{}:h\"], ipv4: [{}, null]}}\n", i, i,
                         addr(i));
    for (int i = 1; i < count; ++i)
      out += fmt::format("    - {{endpoints: [\"s{}:right\", \"s{}:left\"]}}\n", i, i + 1);
    if (count >= 2) out += fmt::format("expect:\n  reach: [\"h1 <-> h{}\"]\n", count);
    return out;
  }
  if (shape == "chain") {
    // h1 - r1 - r2 - ... - rN - h2, link k on 10.0.k.0/24 (k = 0..N).
    if (count < 1 || count > 250)
      return fail(Error::usage("topo gen chain N: N (routers) must be 1 to 250"));
    out = fmt::format("name: chain{}\ntopology:\n  nodes:\n", count);
    out += "    h1: {routes: [\"default via 10.0.0.2\"]}\n";
    for (int r = 1; r <= count; ++r) {
      std::string routes;
      for (int k = 0; k <= count; ++k) {
        if (k == r - 1 || k == r) continue;  // connected
        routes += fmt::format("{}\"10.0.{}.0/24 via 10.0.{}.{}\"", routes.empty() ? "" : ", ", k,
                              k < r ? r - 1 : r, k < r ? 1 : 2);
      }
      out += fmt::format("    r{}: {{forwarding: true{}}}\n", r,
                         routes.empty() ? "" : ", routes: [" + routes + "]");
    }
    out += fmt::format("    h2: {{routes: [\"default via 10.0.{}.1\"]}}\n", count);
    out += "  links:\n";
    for (int k = 0; k <= count; ++k) {
      std::string left = k == 0 ? "h1" : fmt::format("r{}", k);
      std::string right = k == count ? "h2" : fmt::format("r{}", k + 1);
      out += fmt::format(
          "    - {{endpoints: [\"{}:eth{}\", \"{}:eth{}\"], ipv4: [10.0.{}.1/24, 10.0.{}.2/24]}}\n",
          left, k == 0 ? 0 : 1, right, 0, k, k);
    }
    out += "expect:\n  reach: [\"h1 <-> h2\"]\n";
    return out;
  }
  return fail(Error::usage(
      fmt::format("topo gen: unknown shape {} (use star, linear or chain)", quote(shape))));
}

}  // namespace contain::model
