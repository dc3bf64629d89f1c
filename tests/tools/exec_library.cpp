// Test helper: `contain exec` used as a library. Runs `true` in the container
// NAME through engine::exec_in_container, then says whether the caller's own
// later children still go to the caller's PID namespace (they must: exec may
// move only its own child into the container's). Usage: exec_library NAME
#include <fmt/format.h>
#include <unistd.h>

#include <string>

#include "engine/container/container.hpp"

using namespace contain;

namespace {

std::string link_of(const char* path) {
  char target[256] = {};
  ssize_t n = ::readlink(path, target, sizeof target - 1);
  return n > 0 ? std::string(target, static_cast<std::size_t>(n)) : std::string("?");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fmt::print(stderr, "usage: exec_library NAME\n");
    return 2;
  }
  auto name = model::ContainerName::parse(argv[1]);
  if (!name) return 2;
  std::string before = link_of("/proc/self/ns/pid_for_children");
  auto status = engine::exec_in_container(*name, {"true"});
  if (!status) {
    fmt::print(stderr, "{}\n", status.error().message());
    return 1;
  }
  std::string after = link_of("/proc/self/ns/pid_for_children");
  fmt::print("exec status {}; children's PID namespace {} -> {}\n", *status, before, after);
  return before == after && before != "?" ? 0 : 1;
}
