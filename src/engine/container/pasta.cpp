#include "engine/container/pasta.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "engine/state.hpp"
#include "kernel/process.hpp"

extern char** environ;

namespace contain::engine::detail {

namespace {

// pasta's port list for one protocol: "none", or "[ADDR/]HOST:CONTAINER,...".
std::string port_list(const model::ContainerSpec& spec, Protocol protocol) {
  std::string out;
  for (const auto& p : spec.ports) {
    if (p.protocol != protocol) continue;
    if (!out.empty()) out += ',';
    if (p.host_address) out += p.host_address->str() + "/";
    out += fmt::format("{}:{}", p.host_port.str(), p.container_port.str());
  }
  return out.empty() ? "none" : out;
}

std::string read_pid_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return {};
  char buf[32] = {};
  ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

Result<PastaProcess> start_pasta(const model::ContainerSpec& spec, pid_t pid) {
  PastaProcess pasta;
  if (spec.network.kind != model::NetworkChoice::Kind::pasta) return pasta;
  std::string pid_file = fmt::format("{}/pasta-{}.pid", container_state_root(), spec.name.str());
  ::unlink(pid_file.c_str());
  // Ports bound inside are not forwarded by themselves (pasta's default,
  // "auto"): only -p, and nothing from the container to the host's ports.
  std::vector<std::string> args = {"pasta",
                                   "--config-net",
                                   "--quiet",
                                   "-t",
                                   port_list(spec, Protocol::tcp),
                                   "-u",
                                   port_list(spec, Protocol::udp),
                                   "-T",
                                   "none",
                                   "-U",
                                   "none",
                                   "-P",
                                   pid_file,
                                   std::to_string(pid)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) < 0)
    return fail(Error::system("--network pasta: create a pipe"));
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 2);
  // A fresh process's signals: the monitor ignores SIGHUP, SIGINT and SIGPIPE,
  // and pasta refuses to start with ignored signals it wants to handle.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t child = 0;
  int rc = ::posix_spawnp(&child, "pasta", &actions, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  write_end.reset();
  if (rc != 0)
    return fail(Error::system(
        "--network pasta: run pasta (install the 'passt' package, or use --network none)", rc));
  // pasta forks to the background once the namespace is configured: its
  // first process ending is the signal. (The background one may keep the
  // pipe open: what it said is read without waiting for EOF.)
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  std::string said;
  char buf[512];
  ssize_t n;
  while ((n = ::read(read_end.get(), buf, sizeof buf)) > 0 && said.size() < 2048)
    said.append(buf, static_cast<std::size_t>(n));
  std::string text = read_pid_file(pid_file);
  ::unlink(pid_file.c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || text.empty()) {
    while (!said.empty() && (said.back() == '\n' || said.back() == ' ')) said.pop_back();
    for (auto& c : said)
      if (c == '\n') c = ' ';
    return fail(Error::failed(
        fmt::format("--network pasta: pasta failed{}{}", said.empty() ? "" : ": ", said)));
  }
  pasta.pid = static_cast<pid_t>(std::stol(text));
  auto pidfd = kernel::open_pidfd(pasta.pid);
  if (!pidfd) return fail(std::move(pidfd).error().wrap("--network pasta: find pasta"));
  pasta.pidfd = std::move(*pidfd);
  pasta.start_time = kernel::process_start_time(pasta.pid).value_or(0);
  return pasta;
}

void stop_pasta(PastaProcess& pasta) {
  if (!pasta.pidfd) return;
  (void)kernel::signal_pidfd(pasta.pidfd.get(), SIGTERM);
  (void)kernel::wait_pidfd(pasta.pidfd.get(), 2000);
  pasta.pidfd.reset();
  pasta.pid = 0;
}

void stop_recorded_pasta(const ContainerRecord& record) {
  pid_t pid = record.pasta_pid.value_or(0);
  std::uint64_t start = record.pasta_start.value_or(0);
  if (pid <= 0 || !kernel::process_alive(pid, start)) return;
  PastaProcess pasta;
  if (auto fd = kernel::open_pidfd(pid); fd && kernel::process_alive(pid, start)) {
    pasta.pidfd = std::move(*fd);
    stop_pasta(pasta);
  }
}

}  // namespace contain::engine::detail
