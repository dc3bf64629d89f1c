#include "engine/security.hpp"

#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "kernel/seccomp_prebuilt.hpp"
#include "model/seccomp_profile.hpp"

namespace contain::engine {

namespace ms = model::seccomp;

Result<model::CapabilitySet> caller_bounding_set() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("CapBnd:")) return std::stoull(line.substr(7), nullptr, 16);
  return fail(Error::failed("read the capability bounding set from /proc/self/status"));
}

Result<kernel::seccomp::Program> seccomp_program(const model::SecurityOptions& options,
                                                 model::CapabilitySet capabilities) {
  using Seccomp = model::SecurityOptions::Seccomp;
  if (options.seccomp == Seccomp::unconfined) return kernel::seccomp::Program{};
  if (options.seccomp == Seccomp::default_profile) {
    auto prebuilt = kernel::seccomp::prebuilt_default();
    if ((capabilities & prebuilt.relevant) == prebuilt.capabilities)
      return kernel::seccomp::Program(prebuilt.program.begin(), prebuilt.program.end());
    auto profile =
        TRY(ms::parse_profile(ms::default_profile_json(), "the default seccomp profile"));
    return kernel::seccomp::compile(
        ms::resolve(profile, capabilities, kernel::seccomp::native_arch()));
  }
  std::string source = fmt::format("--security-opt seccomp={}", options.seccomp_file);
  std::ifstream file(options.seccomp_file);
  if (!file)
    return fail(Error::usage(fmt::format("{}: cannot read the file: {}", source,
                                         std::strerror(errno ? errno : ENOENT))));
  std::stringstream text;
  text << file.rdbuf();
  auto profile = TRY(ms::parse_profile(text.str(), source));
  return TRY_WRAP(
      kernel::seccomp::compile(ms::resolve(profile, capabilities, kernel::seccomp::native_arch())),
      source);
}

}  // namespace contain::engine
