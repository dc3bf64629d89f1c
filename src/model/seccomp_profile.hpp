// Seccomp profiles in Docker's (and the OCI runtime spec's) JSON format, and
// their resolution for one container: rules whose "includes"/"excludes" name
// capabilities or architectures are kept or dropped for the container's
// capabilities and this machine's architecture. Pure: no libseccomp here; the
// result is compiled to BPF by kernel/seccomp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/seccomp_rules.hpp"
#include "model/security.hpp"

namespace contain::model::seccomp {

using contain::seccomp::Action;
using contain::seccomp::ArgCheck;
using contain::seccomp::Compare;
using contain::seccomp::Profile;
using contain::seccomp::Rule;

// Parses a profile; `source` names it in errors ("seccomp profile /x.json").
// Usage error (exit 2) for text that is not JSON, unknown actions or
// operators, an argument index above 5. Unknown keys are ignored as Docker does
// ("comment", "listenerPath" for actions we refuse anyway).
Result<Profile> parse_profile(std::string_view json, std::string_view source);

// The rules that apply to a container with `capabilities` on the architecture
// `arch` (Docker's name: "amd64"), conditions removed; the architectures of the
// profile's archMap entry for this architecture added to `architectures`.
Profile resolve(const Profile& profile, CapabilitySet capabilities, std::string_view arch);

// The capabilities some rule of `profile` depends on: two containers whose
// capabilities agree on these get the same filter.
CapabilitySet capabilities_that_matter(const Profile& profile);

// This program's default profile (data/seccomp/default.json, compiled in).
std::string_view default_profile_json();

}  // namespace contain::model::seccomp
