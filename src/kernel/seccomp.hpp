// Seccomp filters: a resolved profile (model/seccomp_profile) compiled to a
// classic BPF program with libseccomp, and that program loaded with one
// seccomp(2) call. Compiling costs 12-20 ms on a small machine, loading under a
// millisecond, so the default profile is compiled at build time (tools/
// seccomp_gen writes it into the binary) and only other profiles or capability
// sets are compiled when a container starts.
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/seccomp_rules.hpp"

namespace contain::kernel::seccomp {

using Program = std::vector<sock_filter>;

// Compiles a resolved profile (model::seccomp::resolve: conditions gone). When the default
// action refuses, system calls numbered above every call the profile names
// (per architecture, x86-64, x86 and x32 apart) answer ENOSYS instead, so that
// programs probing for calls newer than the profile fall back, as with runc.
Result<Program> compile(const contain::seccomp::Profile& resolved);

// What compile() is, for the cache of compiled programs (model/seccomp_cache):
// libseccomp's version, the revision of compile() below (bump kCompileRevision
// when its output changes for the same input) and the running binary's
// identity (device, inode, size, modification time), so a rebuilt contain
// never takes a program an older one compiled.
std::string compiler_identity();

// The architecture name Docker's profiles use for this build ("amd64").
const char* native_arch();

}  // namespace contain::kernel::seccomp
