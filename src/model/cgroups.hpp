// Resource limits as Docker names them (--memory, --memory-swap, --pids-limit,
// --cpus, --cpu-shares, --cpuset-cpus, --device, ...), turned into the files a
// cgroup v1 or v2 hierarchy takes. Pure decisions, no system calls:
// kernel/cgroup writes what is decided here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/device_rules.hpp"
#include "core/error.hpp"

namespace contain::model {

// --- Devices ---

// Docker's default allow-list: mknod of any character or block device (the
// MKNOD capability is Docker's default), and read/write of null, zero, full,
// random, urandom, tty, console, ptmx, the pts devices and tun.
const std::vector<DeviceRule>& default_device_rules();

// --device HOST[:CONTAINER][:PERMISSIONS]: both absolute; PERMISSIONS a
// non-empty combination of r, w, m (default rwm). CONTAINER defaults to HOST.
struct DeviceRequest {
  std::string host;
  std::string container;
  bool read = true, write = true, mknod = true;
  static Result<DeviceRequest> parse(std::string_view text);
  std::string permissions() const;  // "rwm"
  std::string str() const;
};

// --- Limits ---

struct ResourceLimits {
  std::optional<std::uint64_t> memory = {};              // --memory, bytes
  std::optional<std::int64_t> memory_swap = {};          // --memory-swap: memory+swap; -1 unlimited
  std::optional<std::uint64_t> memory_reservation = {};  // --memory-reservation (soft limit)
  std::optional<std::int64_t> pids_limit = {};           // --pids-limit; <= 0 unlimited
  std::optional<std::int64_t> nano_cpus = {};            // --cpus x 10^9
  std::optional<std::uint64_t> cpu_shares = {};          // --cpu-shares
  std::optional<std::string> cpuset_cpus = {};           // --cpuset-cpus, as validated
  std::optional<std::string> cpuset_mems = {};           // --cpuset-mems
  // Whether any limit is set (devices are not limits: every container has an allow-list).
  bool any() const;
};

// "0.5" -> 500000000. A positive decimal of at most 9 fractional digits, at most 1024.
Result<std::int64_t> parse_cpus(std::string_view text, std::string_view what = "--cpus");
// A size (parse_docker_size), or -1 for unlimited.
Result<std::int64_t> parse_memory_swap(std::string_view text);
// A whole number; 0 and negative mean unlimited, as in Docker.
Result<std::int64_t> parse_pids_limit(std::string_view text,
                                      std::string_view what = "--pids-limit");
// 2..262144, the kernel's range for cpu.shares.
Result<std::uint64_t> parse_cpu_shares(std::string_view text);
// A CPU or memory-node list: "0", "0-3", "0,2-3"; numbers below 4096, ranges ascending.
Result<std::string> parse_cpu_list(std::string_view text, std::string_view what);
// The numbers a list names ("0,2-3" -> {0, 2, 3}); empty for a malformed list.
std::vector<int> cpu_list_members(std::string_view list);

// Combinations Docker refuses: --memory-swap without --memory, smaller than
// it; --memory-reservation above --memory; --memory below 6 MiB (a container
// could not start).
Status validate_limits(const ResourceLimits& limits);

// --cpus as CFS bandwidth: a 100 ms period and the quota the fraction allows
// (at least 1 ms, the kernel's minimum).
struct CpuQuota {
  std::int64_t quota_us = 0;
  std::int64_t period_us = 100000;
};
CpuQuota cpu_quota(std::int64_t nano_cpus);

// cpu.shares (2..262144, default 1024) as cgroup v2's cpu.weight (1..10000,
// default 100), the conversion runc and crun use.
std::uint64_t cpu_weight_from_shares(std::uint64_t shares);

// memory.memsw.limit_in_bytes on v1 (memory+swap, as Docker's --memory-swap):
// none when no memory limit; -1 (unlimited) for --memory-swap -1; twice the
// memory when --memory-swap is not given (Docker's default: as much swap as memory).
std::optional<std::int64_t> memsw_limit(const ResourceLimits& limits);
// memory.swap.max on v2 (swap alone): "max" for unlimited, memsw - memory otherwise.
std::optional<std::string> swap_max(const ResourceLimits& limits);

// --- What gets written ---

// One file write: into the group of `controller`'s hierarchy (v1), or into
// the one v2 group, where `controller` says which controller must be enabled.
struct CgroupWrite {
  std::string controller;  // "memory", "pids", "cpu", "cpuset"
  std::string file;        // "memory.limit_in_bytes"
  std::string value;
  auto operator<=>(const CgroupWrite&) const = default;
};
// In order: memsw after memory (the kernel refuses memsw below memory).
std::vector<CgroupWrite> v1_limit_writes(const ResourceLimits& limits);
std::vector<CgroupWrite> v2_limit_writes(const ResourceLimits& limits);
// The controllers a limit needs, for the "not available" error: {"memory", "--memory"}.
struct NeededController {
  std::string controller;
  std::string option;
};
std::vector<NeededController> needed_controllers(const ResourceLimits& limits);

}  // namespace contain::model
