// The CNI plugin mode: `contain cni`, or contain run with CNI_COMMAND set and no
// arguments (a runtime such as podman executes the plugin by its full path,
// so the file name cannot decide). The environment and the configuration on
// stdin go in; the result, or the spec's error JSON, goes to stdout; logs to
// stderr. The decisions are model/cni, the work engine/cni.
#pragma once

#include <cstring>

namespace contain::cni {

// The arguments of a plugin invocation: none (with CNI_COMMAND set), or `cni`.
// Also read before any initialiser runs (cli/cni_version_early.cpp): plain C.
inline bool plugin_arguments(int argc, char** argv) {
  return argc == 1 || (argc == 2 && std::strcmp(argv[1], "cni") == 0);
}
// Whether this invocation is the plugin mode.
bool is_plugin_invocation(int argc, char** argv);
// Runs one CNI command; returns the process's exit status.
int run_plugin();

}  // namespace contain::cni
