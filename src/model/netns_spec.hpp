// A namespace argument (NS in the command synopses) as the user wrote it, typed
// at the edge. Every command that takes a network namespace accepts:
//   NAME            a name under /run/netns (NetnsName's rules, unchanged)
//   pid:PID         the network namespace of process PID
//   PATH            anything containing '/': a namespace file such as
//                   /proc/PID/ns/net or a bind mount of one anywhere
//   container:NAME  the namespace of a running contain container
// Pure: what the words mean (which process, whether the file is a namespace)
// is for the engine to find out (engine/bridge_link.hpp, resolve_netns).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <variant>

#include "core/error.hpp"
#include "core/names.hpp"
#include "model/container.hpp"

namespace contain::model {

struct NetnsSpec {
  struct Pid {
    // The kernel's PID_MAX_LIMIT: no process id is larger.
    static constexpr pid_t kMax = 4 * 1024 * 1024;
    pid_t value = 0;
    auto operator<=>(const Pid&) const = default;
  };
  struct Path {
    static constexpr std::size_t kMaxLength = 4095;  // PATH_MAX - 1
    std::string value;
    auto operator<=>(const Path&) const = default;
  };
  std::variant<NetnsName, Pid, Path, ContainerName> value;

  // Usage errors name the text and say what was expected.
  static Result<NetnsSpec> parse(std::string_view text);
  // The canonical text: parse(str()) gives an equal spec.
  std::string str() const;

  const NetnsName* name() const { return std::get_if<NetnsName>(&value); }
  const Pid* pid() const { return std::get_if<Pid>(&value); }
  const Path* path() const { return std::get_if<Path>(&value); }
  const ContainerName* container() const { return std::get_if<ContainerName>(&value); }
  bool operator==(const NetnsSpec&) const = default;
};

}  // namespace contain::model
