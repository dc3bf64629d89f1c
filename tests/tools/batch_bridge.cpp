// Test helper: the library batch path. Creates namespaces PREFIX0..PREFIX{N-1}
// on bridge BR with addresses SUBNET_BASE.(i+2)/24 and a default route via
// SUBNET_BASE.1. Usage: batch_bridge BR PREFIX N SUBNET_BASE (e.g. 192.0.2)
#include <fmt/format.h>

#include <cstdlib>

#include "engine/bridge.hpp"

using namespace contain;

int main(int argc, char** argv) {
  if (argc != 5) {
    fmt::print(stderr, "usage: batch_bridge BR PREFIX N SUBNET_BASE\n");
    return 2;
  }
  auto bridge = IfName::parse(argv[1]);
  if (!bridge) return 2;
  int n = std::atoi(argv[3]);
  std::vector<engine::BridgedNetns> spaces;
  for (int i = 0; i < n; ++i) {
    auto name = NetnsName::parse(fmt::format("{}{}", argv[2], i));
    auto address = Cidr::parse(fmt::format("{}.{}/24", argv[4], i + 2));
    auto gateway = IpAddress::parse(fmt::format("{}.1", argv[4]));
    if (!name || !address || !gateway) return 2;
    spaces.push_back({*name, *address, *gateway});
  }
  auto ports = engine::create_bridged_netns(*bridge, spaces);
  if (!ports) {
    fmt::print(stderr, "{}\n", ports.error().message());
    return ports.error().exit_code();
  }
  for (const auto& p : *ports) fmt::print("{} {}\n", p.host, p.address ? p.address->str() : "-");
  return 0;
}
