// Attaches contain's v2 device program (kernel/cgroup) with Docker's default
// allow-list to a cgroup2 group, moves a child into it and reports what the
// child may open: the one live check of the eBPF program on a machine whose
// controllers are all v1 (a cgroup2 hierarchy takes device programs whatever
// its controllers). Usage: device_filter GROUP PATH... ; prints "PATH ok" or
// "PATH <errno name>" per path.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "kernel/cgroup.hpp"
#include "model/cgroups.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: device_filter GROUP PATH...\n");
    return 2;
  }
  namespace cgroup = contain::kernel::cgroup;
  std::string group = argv[1];
  auto attached = cgroup::attach_device_program(
      group, cgroup::device_program(contain::model::default_device_rules()));
  if (!attached) {
    std::fprintf(stderr, "device_filter: %s\n", attached.error().message().c_str());
    return 1;
  }
  int pipe_fds[2];
  if (::pipe(pipe_fds) < 0) return 1;
  pid_t child = ::fork();
  if (child == 0) {
    char go;
    ::close(pipe_fds[1]);
    if (::read(pipe_fds[0], &go, 1) != 0) _exit(1);  // EOF once the parent moved us
    for (int i = 2; i < argc; ++i) {
      int fd = ::open(argv[i], O_RDONLY | O_NONBLOCK);
      std::printf("%s %s\n", argv[i], fd >= 0 ? "ok" : strerrorname_np(errno));
      if (fd >= 0) ::close(fd);
    }
    std::fflush(stdout);
    _exit(0);
  }
  ::close(pipe_fds[0]);
  auto moved = cgroup::add_process(group, child);
  ::close(pipe_fds[1]);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!moved) {
    std::fprintf(stderr, "device_filter: %s\n", moved.error().message().c_str());
    return 1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
