// What a container is, as the user asked for it: a plain struct that later
// options (resource limits, capabilities, seccomp, user namespaces) extend.
// Pure logic: parsing and checking at the edge, no system calls.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/ip.hpp"
#include "core/names.hpp"
#include "core/port.hpp"
#include "model/cgroups.hpp"
#include "model/idmap.hpp"
#include "model/security.hpp"

namespace contain::model {

// A container name: a file name under /run/contain/containers and the default
// hostname, so it follows hostname rules: 1-63 of [A-Za-z0-9_.-], first
// character a letter or digit.
class ContainerName {
 public:
  static constexpr std::size_t kMaxLength = 63;
  static Result<ContainerName> parse(std::string_view text);
  // "c-" and the first 10 hex digits of the id.
  static ContainerName generated(std::string_view id);
  const std::string& str() const { return value_; }
  const char* c_str() const { return value_.c_str(); }
  auto operator<=>(const ContainerName&) const = default;

 private:
  explicit ContainerName(std::string value) : value_(std::move(value)) {}
  std::string value_;
};

// --network: none (a new namespace with loopback only), netns:NS (join an
// existing namespace: a name, pid:PID, a path or container:NAME; see
// model/netns_spec.hpp), pasta (rootless: user-mode networking through
// pasta, the host's addresses and routes, -p through it) or NAME (a managed
// network).
struct NetworkChoice {
  enum class Kind { none, netns, managed, pasta };
  Kind kind = Kind::none;
  std::string name = {};  // the namespace (netns) or the network (managed)
  static Result<NetworkChoice> parse(std::string_view text);
  std::string str() const;
};

// -p [ADDR:]HOSTPORT:PORT[/udp]
struct PortMapping {
  std::optional<IpAddress> host_address;
  Port host_port = Port::from_number(1);
  Port container_port = Port::from_number(1);
  Protocol protocol = Protocol::tcp;
  static Result<PortMapping> parse(std::string_view text);
  std::string str() const;
};

// -e KEY=VAL: KEY is non-empty and holds no '='.
Result<std::string> parse_environment_entry(std::string_view text);

struct ContainerSpec {
  ContainerName name;
  std::string id;                         // 64 hex digits
  std::string hostname = {};              // defaults to the name
  std::vector<std::string> command = {};  // argv; /bin/sh if the user gave none
  // KEY=VAL, as configured (container_environment); a process on a terminal
  // also gets TERM=xterm (process_environment).
  std::vector<std::string> environment = {};
  std::string workdir = "/";
  std::optional<std::string> rootfs = {};  // absolute path; none: share the host's files
  NetworkChoice network = {};
  std::optional<IpAddress> ip = {};
  std::vector<PortMapping> ports = {};
  bool init = false;    // our own minimal init as PID 1
  bool detach = false;  // -d
  bool tty = false;     // -t: the command on a pseudo-terminal of its own
  ContainerSecurity security = {};
  ResourceLimits limits = {};               // --memory, --pids-limit, --cpus, ... (cgroups)
  std::vector<DeviceRequest> devices = {};  // --device
  UsernsRequest userns = {};                // --userns, --uidmap, --gidmap
};

// The environment a container is configured with, as Docker's Config.Env:
// PATH, HOSTNAME, HOME, then the user's -e entries, a later entry replacing an
// earlier one with the same key. No TERM unless the user gives one: the
// caller's own is not handed in (it names the caller's terminal, not the
// container's).
std::vector<std::string> container_environment(const std::string& hostname,
                                               const std::vector<std::string>& user_entries);

// The environment a process of the container gets (`run`, `exec`): the
// configured one and, on a terminal of ours (-t), TERM=xterm unless it sets
// TERM, as Docker does for `run -t` and `exec -t`. Not recorded: an `exec`
// without -t into a `run -t` container has no TERM, as in Docker.
std::vector<std::string> process_environment(std::vector<std::string> configured, bool on_terminal);

// Checks what cannot be checked option by option (--ip needs a managed network,
// -w must be absolute, ...). Usage errors only.
Status validate(const ContainerSpec& spec);

}  // namespace contain::model
