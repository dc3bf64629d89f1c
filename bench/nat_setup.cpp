// The container-style setup of bench/nat_vs_cni.sh done through contain as a
// library, in one process: namespace, veth with addresses, NAT, one published
// port; then removal. Prints one line per round: "ADD_MS REMOVE_MS".
//
//   nat_setup ROUNDS FIRST_PORT
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>

#include "engine/firewall.hpp"
#include "engine/net.hpp"

using namespace contain;

namespace {

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

template <class T>
T must(Result<T> r) {
  if (!r) {
    fmt::print(stderr, "nat_setup: {}\n", r.error().message());
    std::exit(1);
  }
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 15;
  int first_port = argc > 2 ? std::atoi(argv[2]) : 9000;
  for (int i = 1; i <= rounds; ++i) {
    auto name = must(NetnsName::parse(fmt::format("lib{}", i)));
    auto subnet = must(Cidr::parse(fmt::format("10.90.{}.0/24", i)));
    auto t = std::chrono::steady_clock::now();
    must(engine::create_netns(name));
    must(engine::create_veth_to_netns({must(IfName::parse(fmt::format("lib{}-h", i))), name,
                                       must(IfName::parse("eth0")),
                                       must(Cidr::parse(fmt::format("10.90.{}.1/24", i))),
                                       must(Cidr::parse(fmt::format("10.90.{}.2/24", i)))}));
    must(engine::enable_nat(subnet, std::nullopt));
    must(engine::add_forward({Protocol::tcp, Port::from_number(first_port + i), std::nullopt, name,
                              Port::from_number(80)}));
    double add = ms_since(t);
    t = std::chrono::steady_clock::now();
    must(engine::delete_netns({name}));  // removes the forward it owns
    must(engine::disable_nat(subnet));
    fmt::print("{:.3f} {:.3f}\n", add, ms_since(t));
  }
  return 0;
}
