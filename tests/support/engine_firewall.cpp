// Test helper: calls the engine's firewall functions that have no command of
// their own yet (they are steps of `network create/delete`), so integration
// tests can drive them with bridges the test makes itself.
//
//   engine_firewall nat SUBNET OWNER
//   engine_firewall isolate SUBNET BRIDGE OWNER
//   engine_firewall unisolate BRIDGE
//   engine_firewall remove-owned OWNER
#include <fmt/format.h>

#include <string>

#include "engine/firewall.hpp"

using namespace contain;

namespace {

Status run(int argc, char** argv) {
  std::string verb = argc > 1 ? argv[1] : "";
  auto store = TRY(engine::StateStore::lock());
  if (verb == "nat" && argc == 4)
    return engine::enable_nat(store, TRY(Cidr::parse(argv[2])), std::nullopt, argv[3]);
  if (verb == "isolate" && argc == 5)
    return engine::isolate_network(store, TRY(Cidr::parse(argv[2])), TRY(IfName::parse(argv[3])),
                                   argv[4]);
  if (verb == "unisolate" && argc == 3)
    return engine::unisolate_network(store, TRY(IfName::parse(argv[2])));
  if (verb == "remove-owned" && argc == 3) return engine::remove_firewall_owned_by(store, argv[2]);
  return fail(Error::usage("usage: engine_firewall nat|isolate|unisolate|remove-owned ..."));
}

}  // namespace

int main(int argc, char** argv) {
  auto status = run(argc, argv);
  if (status) return 0;
  fmt::print(stderr, "engine_firewall: {}\n", status.error().message());
  return status.error().exit_code();
}
