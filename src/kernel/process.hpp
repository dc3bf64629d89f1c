// Running the user's command: the only program contain ever executes.
#pragma once

#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/names.hpp"

namespace contain::kernel {

// Runs argv inside the named network namespace the way `ip netns exec` does:
// a private mount namespace whose /sys shows the namespace's own devices, and
// /etc/netns/NAME/* bound over /etc. Waits for it and returns its status as a
// shell reports it: the exit code, or 128+N if signal N killed it. While it
// runs, SIGINT and SIGQUIT reach it from the terminal; SIGTERM and SIGHUP sent
// to us are passed on.
Result<int> run_in_netns(const NetnsName& name, int netns_fd, const std::vector<std::string>& argv);

// The status a shell would report for a waitpid() status.
int shell_status(int wait_status);

}  // namespace contain::kernel
