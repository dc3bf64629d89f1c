// cgroups: what the kernel shows (/proc/self/mountinfo, /proc/self/cgroup,
// flat-keyed files such as memory.oom_control), the limits of run and update
// (--memory-swap, --cpus, --pids-limit, --cpu-shares, --cpuset-cpus,
// --device), and a container record's "cgroups" (CgroupPlan::from_record).
#include "model/cgroups.hpp"

#include <nlohmann/json.hpp>

#include "engine/container/cgroups.hpp"
#include "fuzz.hpp"
#include "kernel/cgroup.hpp"

using namespace contain;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::text_of(data, size);
  for (const auto& mount : kernel::cgroup::parse_mounts(text)) {
    FUZZ_CHECK(mount.v2 || !mount.controllers.empty());
  }
  if (auto entries = kernel::cgroup::parse_proc_cgroup(text))
    for (const auto& e : *entries) FUZZ_CHECK(!e.path.empty() && e.path.front() == '/');
  (void)kernel::cgroup::keyed_value(text, "oom_kill");
  if (auto cpus = model::parse_cpus(text)) {
    FUZZ_CHECK(*cpus > 0 && *cpus <= std::int64_t{1024} * 1000000000);
    auto quota = model::cpu_quota(*cpus);
    FUZZ_CHECK(quota.quota_us >= 1000 && quota.period_us == 100000);
  }
  if (auto swap = model::parse_memory_swap(text)) FUZZ_CHECK(*swap == -1 || *swap > 0);
  if (auto pids = model::parse_pids_limit(text)) FUZZ_CHECK(*pids <= (std::int64_t{1} << 22));
  if (auto shares = model::parse_cpu_shares(text)) {
    auto weight = model::cpu_weight_from_shares(*shares);
    FUZZ_CHECK(weight >= 1 && weight <= 10000);
  }
  if (auto list = model::parse_cpu_list(text, "--cpuset-cpus")) {
    FUZZ_CHECK(*list == text);
    FUZZ_CHECK(!model::cpu_list_members(*list).empty());
  }
  if (auto device = model::DeviceRequest::parse(text)) {
    FUZZ_CHECK(device->host.front() == '/' && device->container.front() == '/');
    FUZZ_CHECK(!device->permissions().empty());
  }
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_discarded())
    if (auto record = engine::ContainerRecord::from_json(json))
      if (auto plan = engine::detail::CgroupPlan::from_record(*record))
        for (const auto& g : plan->groups) FUZZ_CHECK(g.path.ends_with("/contain/" + record->id));
  return 0;
}
