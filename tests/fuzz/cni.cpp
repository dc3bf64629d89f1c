// The CNI plugin mode's inputs (model/cni): the network configuration a
// runtime writes on stdin, for every command, and CNI_ARGS. An input with a
// newline is CNI_ARGS (first line) and the configuration (the rest); without,
// all configuration. Whatever parses must hold contain's invariants and encode back.
#include "model/cni.hpp"

#include <map>
#include <string>

#include "fuzz.hpp"
#include "model/json_text.hpp"

using namespace contain;
namespace mc = contain::model::cni;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::text_of(data, size);
  std::string args;
  if (auto newline = text.find('\n'); newline != std::string_view::npos) {
    args = std::string(text.substr(0, newline));
    text.remove_prefix(newline + 1);
  }
  for (const char* command : {"ADD", "DEL", "CHECK", "GC", "STATUS"}) {
    std::map<std::string, std::string> vars{{"CNI_COMMAND", command},
                                            {"CNI_CONTAINERID", "fuzz"},
                                            {"CNI_NETNS", "/run/netns/fuzz"},
                                            {"CNI_IFNAME", "eth0"},
                                            {"CNI_ARGS", args}};
    mc::Getenv getenv = [&](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
    auto env = mc::parse_environment(getenv);
    if (!env) {
      FUZZ_CHECK(env.error().code == mc::Code::invalid_environment);
      vars.erase("CNI_ARGS");
      env = mc::parse_environment(getenv);
      FUZZ_CHECK(env.has_value());
    }
    auto config = mc::parse_config(text, *env);
    FUZZ_CHECK(mc::supported_version(mc::request_version(text)));
    if (!config) {
      FUZZ_CHECK(!config.error().msg.empty());
      (void)model::json_text(mc::encode_error(config.error(), mc::request_version(text)));
      continue;
    }
    FUZZ_CHECK(mc::supported_version(config->cni_version));
    FUZZ_CHECK(!config->name.empty() && config->name.size() <= 12);
    FUZZ_CHECK(config->ranges.size() <= 1 && config->ips.size() <= 1);
    for (const auto& r : config->ranges) FUZZ_CHECK(r.subnet == r.subnet.subnet());
    mc::AddResult result;
    for (const auto& r : config->ranges)
      result.ips.push_back({Cidr(r.subnet.network(), r.subnet.prefix()), r.gateway, 2});
    result.routes = config->routes;
    result.dns = config->dns;
    (void)model::json_text(mc::encode_result(result, config->cni_version));
  }
  return 0;
}
