// Seccomp rules as data: what a profile says, once parsed (model/seccomp_profile)
// and before it is compiled to BPF (kernel/seccomp). Plain values, std only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace contain::seccomp {

enum class Action { kill_thread, kill_process, trap, errno_, trace, log, allow };
enum class Compare { ne, lt, le, eq, ge, gt, masked_eq };

struct ArgCheck {
  unsigned index = 0;  // 0..5
  Compare op = Compare::eq;
  std::uint64_t value = 0;
  std::uint64_t value_two = 0;  // the mask for masked_eq
};

struct Rule {
  std::vector<std::string> names;
  Action action = Action::allow;
  std::uint32_t errno_ret = 1;  // for errno_ (EPERM unless given)
  std::vector<ArgCheck> args = {};
  // Conditions, Docker's names: capabilities ("CAP_SYS_ADMIN") and
  // architectures ("amd64", "x32", ...).
  std::vector<std::string> include_caps = {}, exclude_caps = {};
  std::vector<std::string> include_arches = {}, exclude_arches = {};
};

struct Profile {
  Action default_action = Action::errno_;
  std::uint32_t default_errno = 1;
  // libseccomp's architecture tokens ("SCMP_ARCH_X86_64"); empty: the native one.
  std::vector<std::string> architectures = {};
  // "archMap": a native architecture and those it also runs (x86_64: x86, x32).
  struct ArchEntry {
    std::string native;
    std::vector<std::string> sub = {};
  };
  std::vector<ArchEntry> arch_map = {};
  std::vector<Rule> rules = {};
};

}  // namespace contain::seccomp
