// The CNI protocol (spec 0.3.0 to 1.1.0) as pure decisions: the environment and
// the network configuration a runtime hands a plugin, parsed and checked into
// typed values; results and errors encoded in the version the runtime asked
// for. No syscalls: src/cni/ reads the environment and stdin, src/engine/ acts.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip.hpp"
#include "core/names.hpp"
#include "core/port.hpp"

namespace contain::model::cni {

// Versions a plugin lists in VERSION; a runtime (podman) drops a network whose
// conflist version the plugin does not list. 0.1.0 and 0.2.0 had another result
// format and are refused with code 1.
inline constexpr std::array<std::string_view, 5> kSupportedVersions = {"0.3.0", "0.3.1", "0.4.0",
                                                                       "1.0.0", "1.1.0"};
inline constexpr std::string_view kLatestVersion = "1.1.0";
// VERSION's answer as text, exactly as encode_version_info() prints it (a unit
// test holds the two together): the executable writes it before any library is
// initialised (cli/cni_version_early.cpp).
inline constexpr std::string_view kVersionInfoText =
    R"({"cniVersion":"1.1.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]})"
    "\n";

// The spec's well-known error codes; 100 and above are ours.
enum class Code : int {
  incompatible_version = 1,
  unsupported_field = 2,
  unknown_container = 3,
  invalid_environment = 4,
  io_failure = 5,
  decode = 6,
  invalid_config = 7,
  try_again = 11,
  not_available = 50,
  limited_connectivity = 51,
  failed = 100,  // the engine refused or failed (its message says why)
};

// What a plugin prints on stdout (with a non-zero exit) when it fails.
struct CniError {
  Code code = Code::failed;
  std::string msg;
  std::string details;
};
template <class T>
using CniResult = std::expected<T, CniError>;
inline std::unexpected<CniError> cni_fail(Code code, std::string msg, std::string details = {}) {
  return std::unexpected(CniError{code, std::move(msg), std::move(details)});
}
// {"cniVersion", "code", "msg", "details"?}
nlohmann::json encode_error(const CniError& error, std::string_view version);

enum class Command { add, del, check, version, status, gc };

// The variables a runtime sets. CNI_CONTAINERID, CNI_NETNS and CNI_IFNAME are
// checked (and required) only for the commands that use them.
struct Environment {
  Command command = Command::version;
  std::string container_id;
  std::string netns;  // a path; empty when not given (allowed for DEL)
  std::string ifname;
  std::string path;  // CNI_PATH (unused: no plugin is executed)
  // CNI_ARGS "K=V;K=V", keys as given.
  std::map<std::string, std::string> args;
};
using Getenv = std::function<const char*(const char*)>;
// Code 4 naming the variable when one is missing or malformed.
CniResult<Environment> parse_environment(const Getenv& getenv);
// Only CNI_COMMAND: VERSION must stay cheap and ignore everything else.
CniResult<Command> parse_command(const Getenv& getenv);

// One host-local range: a subnet, optionally a part of it to hand out from.
struct Range {
  Cidr subnet;
  std::optional<IpAddress> range_start;
  std::optional<IpAddress> range_end;
  std::optional<IpAddress> gateway;
};
struct Route {
  Cidr dst;
  std::optional<IpAddress> gw;
};
struct Dns {
  std::vector<std::string> nameservers;
  std::string domain;
  std::vector<std::string> search;
  std::vector<std::string> options;
  bool empty() const {
    return nameservers.empty() && domain.empty() && search.empty() && options.empty();
  }
};
struct PortMapping {
  Protocol protocol = Protocol::tcp;
  Port host_port = Port::from_number(1);
  Port container_port = Port::from_number(1);
  std::optional<IpAddress> host_ip;  // none or "": every address of the host
  auto operator<=>(const PortMapping&) const = default;
};
// The bandwidth capability: rates in bit/s, bursts in bits (as the bandwidth plugin).
struct Bandwidth {
  std::uint64_t ingress_rate = 0;
  std::uint64_t ingress_burst = 0;
  std::uint64_t egress_rate = 0;
  std::uint64_t egress_burst = 0;
  bool empty() const { return ingress_rate == 0 && egress_rate == 0; }
};
// The burst of a token bucket in bytes for a burst given in bits. Kubernetes
// sends 2^32-1 bits ("unlimited") when a pod sets no burst, which would let
// half a gigabyte pass at line rate before shaping starts; a bucket of 1/10 s
// of the rate (at least 32 KiB, at most the kernel's 2^31-1 bytes) is used
// instead of any burst larger than that.
std::uint64_t burst_bytes(std::uint64_t rate_bits, std::uint64_t burst_bits);

// A plugin configuration as a runtime hands it over on stdin.
struct Config {
  std::string cni_version;
  std::string name;
  std::string type;
  std::string bridge;  // as configured; contain's bridge is "cn-" + name
  // At most one per address family (dual stack: an IPv4 and an IPv6 range);
  // more are refused with code 2. The first is the network's first subnet.
  std::vector<Range> ranges;
  std::vector<Route> routes;  // ipam routes: default routes and any others
  Dns dns;
  bool ip_masq = false;
  unsigned mtu = 0;  // of the bridge and the veths, when the network is made (0: the kernel's)
  bool is_gateway = true;
  bool has_prev_result = false;
  nlohmann::json prev_result;
  // Capabilities (runtimeConfig, keys matched case-insensitively), args.cni.ips and CNI_ARGS.
  std::vector<PortMapping> port_mappings;
  Bandwidth bandwidth;
  std::vector<IpAddress> ips;  // static addresses, duplicates removed; at most one per family
  std::string mac;             // requested MAC, "" for a random one
  // GC: the attachments still in use ("cni.dev/valid-attachments" or "cni.dev/attachments").
  std::vector<std::pair<std::string, std::string>> valid_attachments;  // (containerID, ifname)
};

// The version a request is in, for encoding errors before the config is parsed:
// the config's cniVersion when stdin is JSON with a string there, else the latest.
std::string request_version(std::string_view stdin_text);

// Parses and checks the configuration for `command`: code 6 for JSON that does
// not decode, 1 for an unsupported cniVersion (or a command the version does
// not have: CHECK before 0.4.0, STATUS and GC before 1.1.0), 7 for invalid
// values, 2 for a field contain does not support, naming key and value.
CniResult<Config> parse_config(std::string_view stdin_text, const Environment& env);

// The parsed MAC "aa:bb:cc:dd:ee:ff" (lower case), or code 7.
CniResult<std::string> parse_mac(std::string_view text, std::string_view where);

// The owner recorded for an attachment: "cni/<containerID>/<ifname>". The
// identity of an attachment is (network, container ID, ifname); the network
// is the record it lives in.
std::string attachment_owner(std::string_view container_id, std::string_view ifname);
inline constexpr std::string_view kOwnerPrefix = "cni/";

// What ADD reports.
struct Interface {
  std::string name;
  std::string mac;
  std::string sandbox;  // the namespace path, for the interface inside it
  int mtu = 0;          // 0: not reported
};
struct IpConfig {
  Cidr address;
  std::optional<IpAddress> gateway;
  int interface = -1;  // index into interfaces, -1: not reported
};
struct AddResult {
  std::vector<Interface> interfaces;
  std::vector<IpConfig> ips;
  std::vector<Route> routes;
  Dns dns;
};
// The result in `version`'s format: "ips[].version" before 1.0.0; "mtu" of an
// interface only from 1.1.0.
nlohmann::json encode_result(const AddResult& result, std::string_view version);

// The conflist `contain network create --cni-conflist DIR` writes for a
// network: one plugin of type "contain" with host-local's ipam syntax and
// every capability contain handles; the range as rangeStart and rangeEnd.
// A dual-stack network's further subnets follow as further ranges, each with
// a default route of its family.
struct ConflistSubnet {
  Cidr subnet;
  IpAddress gateway;
  std::optional<std::pair<IpAddress, IpAddress>> range = {};
};
nlohmann::json network_conflist(std::string_view name, const Cidr& subnet, const IpAddress& gateway,
                                bool nat, std::optional<std::pair<IpAddress, IpAddress>> range = {},
                                unsigned mtu = 0, const std::vector<ConflistSubnet>& more = {});

// VERSION's answer.
nlohmann::json encode_version_info();

// Whether `version` is one of kSupportedVersions.
bool supported_version(std::string_view version);
// -1, 0, 1 as semantic versions a and b compare (both supported versions).
int compare_versions(std::string_view a, std::string_view b);

}  // namespace contain::model::cni
