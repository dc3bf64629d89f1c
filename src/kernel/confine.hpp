// What takes a container's privileges away before exec, step by step, in the
// kernel's order: resource limits and the OOM score while still root; masked
// and read-only paths once /proc is the container's; then the bounding set,
// the user, the capability sets, no_new_privs and, last, the seccomp filter.
// Each step runs in a child after clone (or in exec's child after setns): no
// allocation, failures reported through ChildError.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <cstdint>

#include "kernel/child.hpp"

namespace contain::kernel {

// Prepared by the parent; the child only reads it.
struct Confinement {
  bool privileged = false;         // --privileged: the caller's capabilities, no filter, no masking
  std::uint64_t capabilities = 0;  // bounding, permitted and effective; inheritable, ambient empty
  bool change_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  const gid_t* groups = nullptr;  // supplementary groups
  int group_count = 0;
  bool no_new_privs = false;
  const sock_filter* filter = nullptr;  // null: unconfined
  unsigned short filter_length = 0;
};

// Writes /proc/self/oom_score_adj.
bool set_oom_score_adj(int value, ChildError& e);

// setrlimit for `resource`.
bool set_rlimit(int resource, std::uint64_t soft, std::uint64_t hard, ChildError& e);

// Docker's masked paths: /dev/null bound over files, an empty read-only tmpfs
// over directories; and its read-only paths, bound read-only onto themselves.
// Paths that do not exist are skipped. `root` is "" once pivoted.
bool mask_paths(const char* root, ChildError& e);

// The capability bounding set is reduced to c.capabilities (needs CAP_SETPCAP).
bool drop_bounding_set(const Confinement& c, ChildError& e);
// setgroups, setresgid, setresuid, keeping the permitted set across the uid
// change (SECBIT_KEEP_CAPS, cleared again by exec: a non-root command starts
// without capabilities, as in Docker).
bool change_user(const Confinement& c, ChildError& e);
// Permitted and effective become c.capabilities, inheritable and ambient empty.
// Without no_new_privs the kernel loads a filter only for CAP_SYS_ADMIN, so
// until the filter is in, CAP_SYS_ADMIN stays effective (`keep_for_filter`);
// finish_capabilities() then takes it away (capset is allowed by any
// profile that lets a container start, as in Docker's).
bool set_capabilities(const Confinement& c, ChildError& e);
bool set_no_new_privs(const Confinement& c, ChildError& e);
bool load_filter(const Confinement& c, ChildError& e);
bool finish_capabilities(const Confinement& c, ChildError& e);

// All of the above from the bounding set on, in order (exec's child uses it).
bool confine(const Confinement& c, ChildError& e);

}  // namespace contain::kernel
