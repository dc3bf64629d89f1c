#include "model/cgroups.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "core/text.hpp"
#include "model/security.hpp"

namespace contain::model {

namespace {

std::string bytes_text(std::int64_t value) { return std::to_string(value); }

}  // namespace

// --- Devices ---

const std::vector<DeviceRule>& default_device_rules() {
  auto rw = [](std::int64_t major, std::int64_t minor) {
    return DeviceRule{'c', major, minor, true, true, true};
  };
  static const std::vector<DeviceRule> rules = {
      {'c', -1, -1, false, false, true},  // mknod of any character device
      {'b', -1, -1, false, false, true},  // ... and block device (opening them stays denied)
      rw(1, 3),                           // null
      rw(1, 5),                           // zero
      rw(1, 7),                           // full
      rw(1, 8),                           // random
      rw(1, 9),                           // urandom
      rw(5, 0),                           // tty
      rw(5, 1),                           // console
      rw(5, 2),                           // ptmx
      rw(136, -1),                        // pts/*
      rw(10, 200),                        // net/tun
  };
  return rules;
}

Result<DeviceRequest> DeviceRequest::parse(std::string_view text) {
  auto parts = split(text, ':');
  auto bad = [&](std::string_view why) {
    return fail(Error::usage(
        fmt::format("--device '{}': {}; expected HOST[:CONTAINER][:PERMISSIONS], e.g. /dev/fuse or "
                    "/dev/sdb:/dev/xvdb:r",
                    text, why)));
  };
  if (parts.size() > 3) return bad("too many ':'");
  DeviceRequest out;
  out.host = std::string(parts[0]);
  out.container = out.host;
  auto is_permissions = [](std::string_view p) {
    return !p.empty() && p.size() <= 3 &&
           std::all_of(p.begin(), p.end(), [](char c) { return c == 'r' || c == 'w' || c == 'm'; });
  };
  std::string_view permissions = "rwm";
  if (parts.size() == 3) {
    out.container = std::string(parts[1]);
    permissions = parts[2];
    if (!is_permissions(permissions)) return bad("permissions are a combination of r, w and m");
  } else if (parts.size() == 2) {
    if (is_permissions(parts[1]))
      permissions = parts[1];
    else
      out.container = std::string(parts[1]);
  }
  if (auto ok = check_container_path(out.host, "--device"); !ok) return fail(std::move(ok).error());
  if (auto ok = check_container_path(out.container, "--device"); !ok)
    return fail(std::move(ok).error());
  out.read = permissions.find('r') != std::string_view::npos;
  out.write = permissions.find('w') != std::string_view::npos;
  out.mknod = permissions.find('m') != std::string_view::npos;
  return out;
}

std::string DeviceRequest::permissions() const {
  return std::string(read ? "r" : "") + (write ? "w" : "") + (mknod ? "m" : "");
}

std::string DeviceRequest::str() const {
  return fmt::format("{}:{}:{}", host, container, permissions());
}

// --- Limits ---

bool ResourceLimits::any() const {
  return memory || memory_swap || memory_reservation || pids_limit || nano_cpus || cpu_shares ||
         cpuset_cpus || cpuset_mems;
}

Result<std::int64_t> parse_cpus(std::string_view text, std::string_view what) {
  auto bad = [&] {
    return fail(Error::usage(
        fmt::format("{} '{}': expected a number of CPUs above 0 and at most 1024, such as 0.5 or 2",
                    what, text)));
  };
  auto dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  if (whole.empty() && fraction.empty()) return bad();
  if (fraction.size() > 9 || (dot != std::string_view::npos && fraction.empty())) return bad();
  std::int64_t units = 0;
  if (!whole.empty()) {
    auto n = parse_number<std::int64_t>(whole);
    if (!n || *n < 0 || *n > 1024) return bad();
    units = *n * 1000000000;
  }
  if (!fraction.empty()) {
    auto f = parse_number<std::int64_t>(fraction);
    if (!f || *f < 0) return bad();
    std::int64_t scale = 1;
    for (std::size_t i = fraction.size(); i < 9; ++i) scale *= 10;
    units += *f * scale;
  }
  if (units <= 0 || units > std::int64_t{1024} * 1000000000) return bad();
  return units;
}

Result<std::int64_t> parse_memory_swap(std::string_view text) {
  if (text == "-1") return std::int64_t{-1};
  auto size = TRY(parse_docker_size(text, "--memory-swap"));
  if (size > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return fail(Error::usage(fmt::format("--memory-swap '{}': too large", text)));
  return static_cast<std::int64_t>(size);
}

Result<std::int64_t> parse_pids_limit(std::string_view text, std::string_view what) {
  auto n = parse_number<std::int64_t>(text);
  if (!n || *n > (std::int64_t{1} << 22))
    return fail(Error::usage(
        fmt::format("{} '{}': expected a number of processes (0 or -1: unlimited; at most 4194304)",
                    what, text)));
  return *n;
}

Result<std::uint64_t> parse_cpu_shares(std::string_view text) {
  auto n = parse_number<std::uint64_t>(text);
  if (!n || *n < 2 || *n > 262144)
    return fail(Error::usage(fmt::format(
        "--cpu-shares '{}': expected a relative weight from 2 to 262144 (the default is 1024)",
        text)));
  return *n;
}

Result<std::string> parse_cpu_list(std::string_view text, std::string_view what) {
  auto bad = [&](std::string_view why) {
    return fail(Error::usage(
        fmt::format("{} '{}': {}; expected a list such as 0, 0-3 or 0,2-3", what, text, why)));
  };
  if (text.empty()) return bad("empty");
  for (auto item : split(text, ',')) {
    auto dash = item.find('-');
    auto first = parse_number<int>(item.substr(0, dash));
    auto last = dash == std::string_view::npos ? first : parse_number<int>(item.substr(dash + 1));
    if (!first || !last || *first < 0)
      return bad(fmt::format("'{}' is not a number or range", item));
    if (*last < *first) return bad(fmt::format("range '{}' goes down", item));
    if (*last >= 4096) return bad(fmt::format("'{}' is above 4095", item));
  }
  return std::string(text);
}

std::vector<int> cpu_list_members(std::string_view list) {
  std::vector<int> out;
  if (list.empty()) return out;
  for (auto item : split(list, ',')) {
    auto dash = item.find('-');
    auto first = parse_number<int>(item.substr(0, dash));
    auto last = dash == std::string_view::npos ? first : parse_number<int>(item.substr(dash + 1));
    if (!first || !last || *first < 0 || *last < *first || *last >= 4096) return {};
    for (int i = *first; i <= *last; ++i) out.push_back(i);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Status validate_limits(const ResourceLimits& limits) {
  constexpr std::uint64_t kMinimumMemory = 6 << 20;
  if (limits.memory && *limits.memory < kMinimumMemory)
    return fail(Error::usage(fmt::format(
        "--memory {}: the minimum memory limit is 6m (a container could not even start below it)",
        *limits.memory)));
  if (limits.memory_swap) {
    if (!limits.memory)
      return fail(Error::usage(
          "--memory-swap needs --memory: it is the total of memory and swap (or -1 for unlimited "
          "swap)"));
    if (*limits.memory_swap >= 0 &&
        static_cast<std::uint64_t>(*limits.memory_swap) < *limits.memory)
      return fail(Error::usage(fmt::format(
          "--memory-swap {} is below --memory {}: it is the total of memory and swap, so it must "
          "be at least the memory limit (equal: no swap)",
          *limits.memory_swap, *limits.memory)));
  }
  if (limits.memory_reservation && limits.memory && *limits.memory_reservation > *limits.memory)
    return fail(Error::usage(
        "--memory-reservation must not be above --memory (it is a soft limit under the hard one)"));
  return {};
}

CpuQuota cpu_quota(std::int64_t nano_cpus) {
  CpuQuota q;
  q.quota_us = std::max<std::int64_t>(1000, nano_cpus * q.period_us / 1000000000);
  return q;
}

std::uint64_t cpu_weight_from_shares(std::uint64_t shares) {
  if (shares == 0) return 100;
  shares = std::clamp<std::uint64_t>(shares, 2, 262144);
  return 1 + ((shares - 2) * 9999) / 262142;
}

std::optional<std::int64_t> memsw_limit(const ResourceLimits& limits) {
  if (!limits.memory) return std::nullopt;
  if (limits.memory_swap) return *limits.memory_swap;
  return static_cast<std::int64_t>(*limits.memory * 2);
}

std::optional<std::string> swap_max(const ResourceLimits& limits) {
  auto total = memsw_limit(limits);
  if (!total) return std::nullopt;
  if (*total < 0) return "max";
  return std::to_string(*total - static_cast<std::int64_t>(*limits.memory));
}

std::vector<CgroupWrite> v1_limit_writes(const ResourceLimits& limits) {
  std::vector<CgroupWrite> out;
  if (limits.memory) {
    out.push_back({"memory", "memory.limit_in_bytes", std::to_string(*limits.memory)});
    auto total = memsw_limit(limits);
    out.push_back({"memory", "memory.memsw.limit_in_bytes", bytes_text(*total)});
  }
  if (limits.memory_reservation)
    out.push_back(
        {"memory", "memory.soft_limit_in_bytes", std::to_string(*limits.memory_reservation)});
  if (limits.pids_limit)
    out.push_back(
        {"pids", "pids.max", *limits.pids_limit > 0 ? std::to_string(*limits.pids_limit) : "max"});
  if (limits.nano_cpus) {
    auto q = cpu_quota(*limits.nano_cpus);
    out.push_back({"cpu", "cpu.cfs_period_us", std::to_string(q.period_us)});
    out.push_back({"cpu", "cpu.cfs_quota_us", std::to_string(q.quota_us)});
  }
  if (limits.cpu_shares) out.push_back({"cpu", "cpu.shares", std::to_string(*limits.cpu_shares)});
  if (limits.cpuset_cpus) out.push_back({"cpuset", "cpuset.cpus", *limits.cpuset_cpus});
  if (limits.cpuset_mems) out.push_back({"cpuset", "cpuset.mems", *limits.cpuset_mems});
  return out;
}

std::vector<CgroupWrite> v2_limit_writes(const ResourceLimits& limits) {
  std::vector<CgroupWrite> out;
  if (limits.memory) {
    out.push_back({"memory", "memory.max", std::to_string(*limits.memory)});
    out.push_back({"memory", "memory.swap.max", *swap_max(limits)});
  }
  if (limits.memory_reservation)
    out.push_back({"memory", "memory.low", std::to_string(*limits.memory_reservation)});
  if (limits.pids_limit)
    out.push_back(
        {"pids", "pids.max", *limits.pids_limit > 0 ? std::to_string(*limits.pids_limit) : "max"});
  if (limits.nano_cpus) {
    auto q = cpu_quota(*limits.nano_cpus);
    out.push_back({"cpu", "cpu.max", fmt::format("{} {}", q.quota_us, q.period_us)});
  }
  if (limits.cpu_shares)
    out.push_back(
        {"cpu", "cpu.weight", std::to_string(cpu_weight_from_shares(*limits.cpu_shares))});
  if (limits.cpuset_cpus) out.push_back({"cpuset", "cpuset.cpus", *limits.cpuset_cpus});
  if (limits.cpuset_mems) out.push_back({"cpuset", "cpuset.mems", *limits.cpuset_mems});
  return out;
}

std::vector<NeededController> needed_controllers(const ResourceLimits& limits) {
  std::vector<NeededController> out;
  if (limits.memory) out.push_back({"memory", "--memory"});
  if (limits.memory_swap) out.push_back({"memory", "--memory-swap"});
  if (limits.memory_reservation) out.push_back({"memory", "--memory-reservation"});
  if (limits.pids_limit) out.push_back({"pids", "--pids-limit"});
  if (limits.nano_cpus) out.push_back({"cpu", "--cpus"});
  if (limits.cpu_shares) out.push_back({"cpu", "--cpu-shares"});
  if (limits.cpuset_cpus) out.push_back({"cpuset", "--cpuset-cpus"});
  if (limits.cpuset_mems) out.push_back({"cpuset", "--cpuset-mems"});
  return out;
}

}  // namespace contain::model
