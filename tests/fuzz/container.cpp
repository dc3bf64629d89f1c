// What `run` reads from the command line: the whole option set through the spec
// builder (model/container_options), and on their own --name, --network, -p, -e
// and the ports and protocols they hold (core/port).
#include "model/container.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/port.hpp"
#include "fuzz.hpp"
#include "model/container_options.hpp"
#include "model/json_text.hpp"
#include "model/netns_spec.hpp"

using namespace contain;
using namespace contain::model;

namespace {

bool same(const PortMapping& a, const PortMapping& b) {
  return a.host_address == b.host_address && a.host_port == b.host_port &&
         a.container_port == b.container_port && a.protocol == b.protocol;
}

// The input as `run`'s options, one a line, in this order (an empty line: not
// given); the last line's letters are the flags. --rootfs resolves to
// /resolved/TEXT, or fails as a missing folder does when TEXT is "missing".
ContainerOptions options_of(std::string_view text, ContainerInputs& inputs) {
  std::vector<std::string> lines;
  for (std::size_t start = 0; start <= text.size();) {
    auto end = std::min(text.find('\n', start), text.size());
    lines.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  std::size_t next = 0;
  auto line = [&]() -> std::string { return next < lines.size() ? lines[next++] : std::string(); };
  auto one = [&](std::vector<std::string>& list) {
    if (auto l = line(); !l.empty()) list.push_back(l);
  };
  auto value = [&](std::string& field) {
    if (auto l = line(); !l.empty()) field = l;
  };
  ContainerOptions o;
  o.name = line();
  o.hostname = line();
  value(o.network);
  o.ip = line();
  value(o.workdir);
  one(o.ports);
  one(o.env);
  o.rootfs = line();
  o.user = line();
  one(o.tmpfs);
  one(o.volumes);
  one(o.ulimits);
  one(o.security_opt);
  one(o.cap_add);
  one(o.cap_drop);
  o.oom_score_adj = line();
  o.shm_size = line();
  o.limits.memory = line();
  o.limits.memory_swap = line();
  o.limits.pids_limit = line();
  o.limits.cpus = line();
  o.limits.cpuset_cpus = line();
  one(o.devices);
  o.userns = line();
  one(o.uidmap);
  one(o.command);
  std::string flags = line();
  o.detach = flags.find('d') != std::string::npos;
  o.tty = flags.find('t') != std::string::npos;
  o.init = flags.find('i') != std::string::npos;
  o.interactive = flags.find('I') != std::string::npos;
  o.privileged = flags.find('p') != std::string::npos;
  o.read_only = flags.find('r') != std::string::npos;
  o.overlay = flags.find('o') != std::string::npos;
  if (o.rootfs == "missing")
    inputs.rootfs =
        fail(Error::usage(fmt::format("--rootfs {}: {}", quote(o.rootfs), std::strerror(ENOENT))));
  else if (!o.rootfs.empty())
    inputs.rootfs = "/resolved/" + o.rootfs;
  return o;
}

// What the builder promises of the spec it returns, and of its refusals.
void check_builder(std::string_view text) {
  ContainerInputs inputs{.id = std::string(64, 'a')};
  auto o = options_of(text, inputs);
  auto spec = build_container_spec(o, inputs);
  if (!spec) {
    // Bad input is the user's: a usage error (exit 2) that says something.
    FUZZ_CHECK(spec.error().exit_code() == 2);
    FUZZ_CHECK(!spec.error().message().empty());
    return;
  }
  FUZZ_CHECK(validate(*spec).has_value());
  FUZZ_CHECK(spec->id == inputs.id);
  FUZZ_CHECK(o.name.empty() ? spec->name.str() == "c-aaaaaaaaaa" : spec->name.str() == o.name);
  FUZZ_CHECK(spec->hostname == (o.hostname.empty() ? spec->name.str() : o.hostname));
  FUZZ_CHECK(!spec->command.empty());
  FUZZ_CHECK(spec->rootfs.has_value() == !o.rootfs.empty());
  // The user's -e entry is the environment's last word.
  if (!o.env.empty()) FUZZ_CHECK(spec->environment.back() == o.env.back());
  FUZZ_CHECK(!spec->ip || spec->network.kind == NetworkChoice::Kind::managed);
  // -dit promises an attach contain does not have.
  FUZZ_CHECK(!(spec->tty && spec->detach && o.interactive));
  for (const auto& p : spec->ports) {
    auto again = PortMapping::parse(p.str());
    FUZZ_CHECK(again && same(*again, p));
  }
  // Built twice, the same spec; its JSON always prints.
  auto again = build_container_spec(o, inputs);
  FUZZ_CHECK(again && to_json(*again) == to_json(*spec));
  FUZZ_CHECK(!json_text(to_json(*spec)).empty());
}

}  // namespace

namespace {

// The input's lines as the words after `contain run`. What read_common_run
// reads is only its table's options, each once with a value that cannot be
// an option, then "--" and the command as given.
void check_common_run(std::string_view text) {
  std::vector<std::string> words;
  for (std::size_t start = 0; start <= text.size();) {
    auto end = std::min(text.find('\n', start), text.size());
    words.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  auto options = read_common_run(words);
  if (!options) return;
  auto dashes = std::find(words.begin(), words.end(), "--");
  FUZZ_CHECK(dashes != words.end());
  FUZZ_CHECK(options->command == std::vector<std::string>(dashes + 1, words.end()));
  for (auto w = words.begin(); w != dashes; ++w) {
    bool flag = std::any_of(std::begin(kCommonRunFlags), std::end(kCommonRunFlags),
                            [&](const auto& f) { return *w == f.name; });
    if (flag) continue;
    auto value = std::find_if(std::begin(kCommonRunValues), std::end(kCommonRunValues),
                              [&](const auto& v) { return *w == v.name || *w == v.short_name; });
    FUZZ_CHECK(value != std::end(kCommonRunValues) && !w->empty());
    ++w;
    FUZZ_CHECK(w != dashes && !w->empty() && w->front() != '-');
    FUZZ_CHECK((*options).*(value->field) == *w);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::text_of(data, size);
  check_builder(text);
  if (auto name = ContainerName::parse(text)) {
    // A file name and a hostname: 1-63 of [A-Za-z0-9_.-], starting with a letter or digit.
    FUZZ_CHECK(name->str() == text && !text.empty() && text.size() <= ContainerName::kMaxLength);
    FUZZ_CHECK(std::isalnum(static_cast<unsigned char>(text[0])));
    for (char c : text)
      FUZZ_CHECK(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
  }
  if (auto network = NetworkChoice::parse(text)) {
    auto again = NetworkChoice::parse(network->str());
    FUZZ_CHECK(again && again->kind == network->kind && again->name == network->name);
    // A managed network has a network's name; netns: takes any namespace reference.
    if (network->kind == NetworkChoice::Kind::managed)
      FUZZ_CHECK(NetnsName::parse(network->name).has_value());
    if (network->kind == NetworkChoice::Kind::netns)
      FUZZ_CHECK(model::NetnsSpec::parse(network->name).has_value());
  }
  if (auto mapping = PortMapping::parse(text)) {
    FUZZ_CHECK(mapping->host_port.value() != 0 && mapping->container_port.value() != 0);
    auto again = PortMapping::parse(mapping->str());
    FUZZ_CHECK(again && same(*again, *mapping));
  }
  if (auto entry = parse_environment_entry(text)) {
    // KEY=VALUE with a key, passed to execve() whole: no NUL that would cut it.
    FUZZ_CHECK(*entry == text);
    FUZZ_CHECK(entry->find('=') != std::string::npos && entry->find('=') > 0);
    FUZZ_CHECK(entry->find('\0') == std::string::npos);
    auto env = container_environment("host", {*entry});
    FUZZ_CHECK(!env.empty() && env.back() == *entry);
    // On a terminal: one TERM, the user's if the entry sets it, else xterm.
    auto on_terminal = process_environment(env, true);
    FUZZ_CHECK(std::count_if(on_terminal.begin(), on_terminal.end(),
                             [](const std::string& e) { return e.starts_with("TERM="); }) == 1);
    FUZZ_CHECK(entry->starts_with("TERM=") ? on_terminal == env
                                           : on_terminal.back() == "TERM=xterm");
    FUZZ_CHECK(process_environment(env, false) == env);
    // A later entry replaces an earlier one with the same key: each key appears once.
    std::string key = entry->substr(0, entry->find('=') + 1);
    FUZZ_CHECK(std::count_if(env.begin(), env.end(),
                             [&](const std::string& e) { return e.starts_with(key); }) == 1);
  }
  if (auto port = Port::parse(text)) {
    FUZZ_CHECK(port->value() != 0);
    FUZZ_CHECK(Port::parse(port->str()) == *port);
  }
  if (auto protocol = parse_protocol(text)) FUZZ_CHECK(protocol_name(*protocol) == text);
  check_common_run(text);
  return 0;
}
