// The parent side of starting a container (`contain run`): the ordered
// stages from clone to the go, shared by the foreground run (container/start)
// and the monitor of a detached one (container/monitor). Internal to the engine.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/unique_fd.hpp"
#include "engine/container/network.hpp"
#include "engine/container/pasta.hpp"
#include "engine/container/record.hpp"
#include "engine/container/security.hpp"
#include "engine/foreground.hpp"
#include "kernel/child.hpp"
#include "model/container.hpp"

namespace contain::engine::detail {

struct Started {
  pid_t pid = 0;
  UniqueFd pidfd;
  std::uint64_t start_time = 0;
  UniqueFd sync;  // the parent's end of the sync socket, if the report is read later
  NetworkAttachment network;
  PastaProcess pasta;  // --network pasta (rootless)
  UniqueFd terminal;   // -t: the master of the command's pseudo-terminal
};

struct Stdio {
  int in = -1, out = -1, err = -1;
};

// argv and envp as execve takes them: pointers into `strings`, null-terminated.
std::vector<char*> c_strings(const std::vector<std::string>& strings);

// Parent, -t: the child sent no terminal; its report says why, or it died without one.
Error terminal_error(const std::string& what, const kernel::ChildError& report);

// Parent side of starting a container, in the host's namespaces: prepares
// everything the child reads (argv, environment, paths, fds), then runs the
// parent's stage table (container/start.cpp: cgroups made, clone, cgroups
// joined, id maps, pasta, network, record, go), undoing what was done if one
// fails. The go's last part is the child's report: EOF means exec succeeded, a
// frame says what failed. A foreground caller skips it (`report_later`): it
// waits for the exit anyway and then reads the report from Started::sync,
// which saves a wake-up between clone and exec. `written`: the record as
// reserve_name wrote it (update_record).
Result<Started> start_process(const model::ContainerSpec& spec, const PreparedSecurity& security,
                              Stdio stdio, WrittenRecord* written,
                              SignalForwarding* forwarding = nullptr,
                              TerminalHandoff* terminal = nullptr, bool report_later = false);

}  // namespace contain::engine::detail
