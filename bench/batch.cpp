// N namespaces on one bridge through the library batch path
// (engine::create_bridged_netns), against the step-by-step iproute2 way (one
// `ip` process per step) measured in the same run on a sample. Run it inside
// bench/run: it changes the network of the namespace it runs in.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "engine/bridge.hpp"
#include "engine/net.hpp"
#include "kernel/netlink/link.hpp"

using namespace contain;
using clock_type = std::chrono::steady_clock;

namespace {

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// Kernel memory that grows with namespaces: slab, per-cpu, page tables, stacks (KiB).
long kernel_kib() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  long value;
  std::string unit;
  long sum = 0;
  while (in >> key >> value >> unit)
    if (key == "Slab:" || key == "Percpu:" || key == "KernelStack:" || key == "PageTables:")
      sum += value;
  return sum;
}

int sh(const std::string& cmd) { return std::system(cmd.c_str()); }

std::string address_of(int i) { return fmt::format("10.200.{}.{}", (i + 2) / 256, (i + 2) % 256); }

int host_links() {
  auto sock = kernel::NetlinkSocket::open();
  return sock ? static_cast<int>(kernel::list_links(*sock)->size()) : -1;
}

void die(const Error& e) {
  fmt::print(stderr, "bench: {}\n", e.message());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 1000;
  int sample = argc > 2 ? std::atoi(argv[2]) : 50;
  auto bridge = *IfName::parse("bb0");
  if (auto ok = engine::create_bridge(bridge, *Cidr::parse("10.200.0.1/16")); !ok) die(ok.error());
  int links_before = host_links();

  // --- contain, batch path ---
  std::vector<engine::BridgedNetns> spaces;
  std::vector<NetnsName> names;
  for (int i = 0; i < n; ++i) {
    names.push_back(*NetnsName::parse(fmt::format("b{}", i)));
    spaces.push_back({names.back(), Cidr(*IpAddress::parse(address_of(i)), 16),
                      *IpAddress::parse("10.200.0.1")});
  }
  long mem_before = kernel_kib();
  auto start = clock_type::now();
  if (auto ok = engine::create_bridged_netns(bridge, spaces); !ok) die(ok.error());
  double create = seconds_since(start);
  long mem_after = kernel_kib();
  bool reachable =
      sh(fmt::format("ip netns exec b0 ping -c1 -W2 {} >/dev/null && ip netns exec b{} ping -c1 "
                     "-W2 {} >/dev/null",
                     address_of(n - 1), n - 1, address_of(0))) == 0;
  start = clock_type::now();
  if (auto ok = engine::delete_netns(names); !ok) die(ok.error());
  double teardown = seconds_since(start);
  int leaked = host_links() - links_before;

  // --- iproute2, one process per step, on a sample ---
  start = clock_type::now();
  for (int i = 0; i < sample; ++i) {
    std::string ns = fmt::format("s{}", i), h = fmt::format("sv{}", i);
    if (sh(fmt::format(
            "ip netns add {0} && ip link add {1} type veth peer name eth0 && "
            "ip link set eth0 netns {0} && ip link set {1} master bb0 && ip link set {1} up && "
            "ip -n {0} addr add {2}/16 dev eth0 && ip -n {0} link set eth0 up && "
            "ip -n {0} link set lo up",
            ns, h, address_of(n + i))) != 0)
      die(Error::failed(fmt::format("the step-by-step reference failed for namespace {}", ns)));
  }
  double ip_create = seconds_since(start);
  bool ip_reachable = sh(fmt::format("ip netns exec s0 ping -c1 -W2 {} >/dev/null",
                                     address_of(n + sample - 1))) == 0;
  start = clock_type::now();
  for (int i = 0; i < sample; ++i)
    if (sh(fmt::format("ip link del sv{0} && ip netns del s{0}", i)) != 0)
      die(Error::failed(fmt::format("the step-by-step reference failed to remove s{}", i)));
  double ip_teardown = seconds_since(start);

  double per_ns = create / n * 1000, ip_per_ns = ip_create / sample * 1000;
  double td_per_ns = teardown / n * 1000, ip_td_per_ns = ip_teardown / sample * 1000;
  std::string load;
  std::getline(std::ifstream("/proc/loadavg") >> std::ws, load);
  fmt::print("batch path, N={} namespaces on one bridge (load average {})\n", n, load);
  fmt::print(
      "  create   contain {:8.3f} s  {:7.3f} ms/ns   ip step-by-step {:7.3f} ms/ns (sample {})"
      "   ratio {:6.1f}x\n",
      create, per_ns, ip_per_ns, sample, ip_per_ns / per_ns);
  fmt::print(
      "  teardown contain {:8.3f} s  {:7.3f} ms/ns   ip step-by-step {:7.3f} ms/ns"
      "                ratio {:6.1f}x\n",
      teardown, td_per_ns, ip_td_per_ns, ip_td_per_ns / td_per_ns);
  fmt::print("  reachability first<->last: {}   (ip sample: {})\n", reachable ? "ok" : "FAILED",
             ip_reachable ? "ok" : "FAILED");
  fmt::print("  leaked links after teardown: {}\n", leaked);
  fmt::print("  kernel memory (Slab+Percpu+KernelStack+PageTables): {:.1f} KiB per namespace\n",
             double(mem_after - mem_before) / n);
  bool ok = reachable && ip_reachable && leaked == 0 && per_ns <= 1.5 && teardown <= 2.0;
  fmt::print("  targets (<=1.5 ms/ns create, <=2 s teardown, 0 leaked, reachable): {}\n",
             ok ? "met" : "NOT met");
  (void)engine::delete_bridge(bridge, false);
  return ok ? 0 : 1;
}
