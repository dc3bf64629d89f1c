// Device access rules as data: what a container may do with device nodes,
// decided in model/cgroups (Docker's defaults, --device) and enforced by
// kernel/cgroup (the v1 devices controller's allow-list, or the v2 eBPF
// device program). Plain values, std only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace contain {

// One entry of the allow-list, as the v1 devices controller writes it:
// "c 1:3 rwm"; type 'a' (all), 'c' or 'b'; -1 is '*'.
struct DeviceRule {
  char type = 'a';
  std::int64_t major = -1;
  std::int64_t minor = -1;
  bool read = true, write = true, mknod = true;

  std::string str() const {
    auto number = [](std::int64_t n) { return n < 0 ? std::string("*") : std::to_string(n); };
    std::string out(1, type);
    out += ' ' + number(major) + ':' + number(minor) + ' ';
    if (read) out += 'r';
    if (write) out += 'w';
    if (mknod) out += 'm';
    return out;
  }
  auto operator<=>(const DeviceRule&) const = default;
};

// Whether some rule covers the whole `access` ("r", "w", "m" or several) on a
// device, as both kernels decide: one rule must allow all of it.
inline bool rules_allow(const std::vector<DeviceRule>& rules, char type, std::int64_t major,
                        std::int64_t minor, std::string_view access) {
  for (const auto& r : rules) {
    if (r.type != 'a' && r.type != type) continue;
    if (r.major >= 0 && r.major != major) continue;
    if (r.minor >= 0 && r.minor != minor) continue;
    bool covered = true;
    for (char a : access)
      if ((a == 'r' && !r.read) || (a == 'w' && !r.write) || (a == 'm' && !r.mknod))
        covered = false;
    if (covered) return true;
  }
  return false;
}

}  // namespace contain
