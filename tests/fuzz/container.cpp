// What `run` reads from the command line (model/container): --name, --network,
// -p, -e, and the ports and protocols they hold (core/port).
#include "model/container.hpp"

#include <algorithm>

#include "core/port.hpp"
#include "fuzz.hpp"
#include "model/netns_spec.hpp"

using namespace contain;
using namespace contain::model;

namespace {

bool same(const PortMapping& a, const PortMapping& b) {
  return a.host_address == b.host_address && a.host_port == b.host_port &&
         a.container_port == b.container_port && a.protocol == b.protocol;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::text_of(data, size);
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
    auto env = container_environment("host", {*entry}, "xterm");
    FUZZ_CHECK(!env.empty() && env.back() == *entry);
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
  return 0;
}
