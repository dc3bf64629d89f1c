// Test helper: attaches the network namespace at PATH (e.g. /proc/PID/ns/net)
// to a managed network through the library API, by file descriptor, as the
// container code does. Usage: attach_fd attach|detach NETWORK PATH OWNER
#include <fcntl.h>
#include <fmt/format.h>

#include <string_view>

#include "engine/network.hpp"

using namespace contain;

int main(int argc, char** argv) {
  if (argc != 5) {
    fmt::print(stderr, "usage: attach_fd attach|detach NETWORK PATH OWNER\n");
    return 2;
  }
  UniqueFd fd(::open(argv[3], O_RDONLY | O_CLOEXEC));
  if (!fd) {
    fmt::print(stderr, "open {} failed\n", argv[3]);
    return 1;
  }
  auto ref = engine::NetnsRef::from_fd(fd.get(), argv[4]);
  auto network = NetworkName::parse(argv[2]);
  if (!network) return 2;
  if (std::string_view(argv[1]) == "attach") {
    auto a = engine::attach_to_network(*network, ref, std::nullopt, std::nullopt);
    if (!a) {
      fmt::print(stderr, "{}\n", a.error().message());
      return a.error().exit_code();
    }
    fmt::print("{} {}/{}\n", a->ifname, a->ip.str(), a->prefix);
    return 0;
  }
  auto d = engine::detach_from_network(*network, ref);
  if (!d) {
    fmt::print(stderr, "{}\n", d.error().message());
    return d.error().exit_code();
  }
  return 0;
}
