// fntrace OUT BINARY COMMAND...: the functions of BINARY that COMMAND runs, in
// the order they are first entered, written to OUT one (mangled) name a line.
//
// A development tool for scripts/order-functions, which writes the link order
// of contain's functions (data/contain.order): COMMAND runs under ptrace, and
// in every process that executes BINARY (found at each exec) each function of
// BINARY's symbol table gets a one-shot breakpoint. A hit records the function,
// puts its first byte back and resumes it; children (clone, fork) inherit the
// breakpoints not yet hit and are followed the same way. Run it as root: the
// traced processes may switch users and namespaces.
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

struct Function {
  std::uint64_t offset;  // from the start of the binary's first mapping
  std::string name;
  unsigned char first_byte = 0;
  bool seen = false;
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "fntrace: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

// The functions (STT_FUNC with a size) of an ELF executable's .symtab, one per
// address, sorted by address.
std::vector<Function> read_functions(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("open " + path);
  struct stat st {};
  if (::fstat(fd, &st) < 0) die("stat " + path);
  auto* base = static_cast<const char*>(
      ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0));
  if (base == MAP_FAILED) die("mmap " + path);
  ::close(fd);
  const auto* header = reinterpret_cast<const Elf64_Ehdr*>(base);
  if (std::memcmp(header->e_ident, ELFMAG, SELFMAG) != 0 ||
      header->e_ident[EI_CLASS] != ELFCLASS64) {
    std::fprintf(stderr, "fntrace: %s is not a 64-bit ELF file\n", path.c_str());
    std::exit(1);
  }
  // Symbols are link-time addresses; the first loadable segment (at 0 in a
  // PIE) is mapped at the base found in /proc/PID/maps.
  const auto* segments = reinterpret_cast<const Elf64_Phdr*>(base + header->e_phoff);
  std::uint64_t first_load = UINT64_MAX;
  for (int i = 0; i < header->e_phnum; ++i)
    if (segments[i].p_type == PT_LOAD) first_load = std::min(first_load, segments[i].p_vaddr);
  first_load &= ~std::uint64_t{0xfff};
  const auto* sections = reinterpret_cast<const Elf64_Shdr*>(base + header->e_shoff);
  std::vector<Function> out;
  for (int i = 0; i < header->e_shnum; ++i) {
    if (sections[i].sh_type != SHT_SYMTAB) continue;
    const auto* symbols = reinterpret_cast<const Elf64_Sym*>(base + sections[i].sh_offset);
    const char* names = base + sections[sections[i].sh_link].sh_offset;
    for (std::size_t k = 0; k < sections[i].sh_size / sizeof(Elf64_Sym); ++k) {
      const Elf64_Sym& s = symbols[k];
      if (ELF64_ST_TYPE(s.st_info) != STT_FUNC || s.st_size == 0 || s.st_shndx == SHN_UNDEF)
        continue;
      out.push_back({s.st_value - first_load, names + s.st_name});
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Function& a, const Function& b) { return a.offset < b.offset; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Function& a, const Function& b) { return a.offset == b.offset; }),
            out.end());
  if (out.empty()) {
    std::fprintf(stderr, "fntrace: %s has no symbol table (stripped?)\n", path.c_str());
    std::exit(1);
  }
  return out;
}

class Tracer {
 public:
  Tracer(std::string binary, std::vector<Function> functions, std::FILE* out)
      : binary_(std::move(binary)), functions_(std::move(functions)), out_(out) {}

  // Runs argv under ptrace until every traced process has ended; returns
  // argv's exit status.
  int run(char** argv) {
    pid_t child = ::fork();
    if (child < 0) die("fork");
    if (child == 0) {
      if (::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) < 0) {
        std::fprintf(stderr, "fntrace: PTRACE_TRACEME: %s\n", std::strerror(errno));
        ::_exit(127);
      }
      ::raise(SIGSTOP);
      ::execvp(argv[0], argv);
      std::fprintf(stderr, "fntrace: exec %s: %s\n", argv[0], std::strerror(errno));
      ::_exit(127);
    }
    int status = 0;
    if (::waitpid(child, &status, 0) < 0) die("waitpid");
    if (!WIFSTOPPED(status)) return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    long options = PTRACE_O_TRACEEXEC | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
                   PTRACE_O_TRACEVFORK | PTRACE_O_EXITKILL;
    if (::ptrace(PTRACE_SETOPTIONS, child, nullptr, options) < 0) die("PTRACE_SETOPTIONS");
    ::ptrace(PTRACE_CONT, child, nullptr, nullptr);
    known_.insert(child);
    // Until every traced process has ended and the child (our own, traced or
    // not) has been reaped.
    int result = -1;
    while (!known_.empty() || result < 0) {
      pid_t pid = ::waitpid(-1, &status, __WALL);
      if (pid < 0) {
        if (errno == EINTR) continue;
        die("waitpid");
      }
      if (WIFEXITED(status) || WIFSIGNALED(status)) {
        known_.erase(pid);
        waiting_.erase(pid);
        bases_.erase(pid);
        if (pid == child) result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        continue;
      }
      if (!WIFSTOPPED(status)) continue;
      int signal = WSTOPSIG(status), event = status >> 16, deliver = 0;
      if (event == PTRACE_EVENT_EXEC) {
        bool ran_binary = bases_.erase(pid) > 0;
        if (executes_binary(pid)) {
          arm(pid);
        } else if (ran_binary) {
          // What the binary starts (a container's command, a detached one
          // too) is not traced: the trace ends when the binary's processes do.
          ::ptrace(PTRACE_DETACH, pid, nullptr, nullptr);
          known_.erase(pid);
          continue;
        }
      } else if (event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_FORK ||
                 event == PTRACE_EVENT_VFORK) {
        unsigned long new_pid = 0;
        ::ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &new_pid);
        auto born = static_cast<pid_t>(new_pid);
        if (auto it = bases_.find(pid); it != bases_.end()) bases_[born] = it->second;
        known_.insert(born);
        // Its first stop may have come before this event: it waited for its
        // base to be known, and goes on now.
        if (waiting_.erase(born)) ::ptrace(PTRACE_CONT, born, nullptr, nullptr);
      } else if (!known_.contains(pid)) {
        waiting_.insert(pid);  // a new child's first stop, before its parent's event
        continue;
      } else if (event == 0 && signal == SIGTRAP) {
        if (!hit(pid)) deliver = signal;
      } else if (event == 0 && signal != SIGSTOP) {
        deliver = signal;  // the process's own signal: passed on
      }
      ::ptrace(PTRACE_CONT, pid, nullptr, reinterpret_cast<void*>(static_cast<long>(deliver)));
    }
    return result;
  }

 private:
  bool executes_binary(pid_t pid) {
    char target[PATH_MAX];
    std::string link = "/proc/" + std::to_string(pid) + "/exe";
    ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    if (n < 0) return false;
    return std::string(target, static_cast<std::size_t>(n)) == binary_;
  }

  // Where the binary's first mapping (file offset 0) starts in pid.
  std::uint64_t load_base(pid_t pid) {
    std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
    std::string line;
    while (std::getline(maps, line)) {
      unsigned long start = 0, end = 0, offset = 0;
      char perms[8] = {};
      int path_at = 0;
      if (std::sscanf(line.c_str(), "%lx-%lx %7s %lx %*s %*s %n", &start, &end, perms, &offset,
                      &path_at) < 4)
        continue;
      if (offset == 0 && line.substr(static_cast<std::size_t>(path_at)) == binary_) return start;
    }
    return 0;
  }

  void arm(pid_t pid) {
    std::uint64_t base = load_base(pid);
    if (base == 0) return;
    bases_[pid] = base;
    for (Function& f : functions_) {
      if (f.seen) continue;
      errno = 0;
      long word = ::ptrace(PTRACE_PEEKTEXT, pid, reinterpret_cast<void*>(base + f.offset), nullptr);
      if (errno != 0) continue;
      f.first_byte = static_cast<unsigned char>(word);
      ::ptrace(PTRACE_POKETEXT, pid, reinterpret_cast<void*>(base + f.offset),
               reinterpret_cast<void*>((word & ~0xffL) | 0xcc));
    }
  }

  // A SIGTRAP in pid: one of our breakpoints (recorded, undone, resumed at the
  // function's start) or not ours (false).
  bool hit(pid_t pid) {
    auto it = bases_.find(pid);
    if (it == bases_.end()) return false;
    user_regs_struct regs{};
    if (::ptrace(PTRACE_GETREGS, pid, nullptr, &regs) < 0) return false;
    std::uint64_t offset = regs.rip - 1 - it->second;
    auto f = std::lower_bound(functions_.begin(), functions_.end(), offset,
                              [](const Function& a, std::uint64_t o) { return a.offset < o; });
    if (f == functions_.end() || f->offset != offset) return false;
    errno = 0;
    long word = ::ptrace(PTRACE_PEEKTEXT, pid, reinterpret_cast<void*>(regs.rip - 1), nullptr);
    if (errno != 0) return false;
    ::ptrace(PTRACE_POKETEXT, pid, reinterpret_cast<void*>(regs.rip - 1),
             reinterpret_cast<void*>((word & ~0xffL) | f->first_byte));
    regs.rip -= 1;
    ::ptrace(PTRACE_SETREGS, pid, nullptr, &regs);
    if (!f->seen) {
      f->seen = true;
      std::fprintf(out_, "%s\n", f->name.c_str());
    }
    return true;
  }

  std::string binary_;
  std::vector<Function> functions_;
  std::FILE* out_;
  std::map<pid_t, std::uint64_t> bases_;  // traced processes running the binary
  std::set<pid_t> known_;                 // traced processes whose parent's event came
  std::set<pid_t> waiting_;               // stopped children whose parent's event did not
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: fntrace OUT BINARY COMMAND...\n");
    return 2;
  }
  char binary[PATH_MAX];
  if (!::realpath(argv[2], binary)) die(argv[2]);
  std::FILE* out = std::fopen(argv[1], "w");
  if (!out) die(std::string("open ") + argv[1]);
  Tracer tracer(binary, read_functions(binary), out);
  int result = tracer.run(argv + 3);
  if (std::fclose(out) != 0) die(std::string("write ") + argv[1]);
  return result;
}
