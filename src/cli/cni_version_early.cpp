// CNI VERSION, answered before anything else runs. podman runs VERSION for
// every plugin of every network on every podman command, so it must be cheap:
// this function sits in the executable's .preinit_array, which the dynamic
// loader calls before the initialisers of any shared library (libstdc++,
// libnftables, libnl, fmt) and before our own static constructors. It uses
// only system-call wrappers and the environment the loader hands it; every
// other invocation returns from here untouched and starts as usual.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "cni/plugin.hpp"
#include "model/cni.hpp"

namespace {

// CNI_COMMAND's value, from the environment block itself (getenv's own state
// may not be set up yet).
const char* cni_command(char** envp) {
  constexpr std::string_view kName = "CNI_COMMAND=";
  for (char** e = envp; e && *e; ++e)
    if (std::strncmp(*e, kName.data(), kName.size()) == 0) return *e + kName.size();
  return nullptr;
}

void answer_version_early(int argc, char** argv, char** envp) {
  const char* command = contain::cni::plugin_arguments(argc, argv) ? cni_command(envp) : nullptr;
  if (!command || std::strcmp(command, "VERSION") != 0) return;
  // The runtime writes the network configuration to stdin: read it all, so
  // that its writer never meets a closed pipe. VERSION ignores it.
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
  }
  std::string_view text = contain::model::cni::kVersionInfoText;
  while (!text.empty()) {
    ssize_t n = ::write(STDOUT_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ::_exit(1);
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  ::_exit(0);
}

[[gnu::section(".preinit_array"),
  gnu::used]] void (*const kAnswerVersionEarly)(int, char**, char**) = answer_version_early;

}  // namespace
