// The on-disk cache of compiled seccomp programs: libseccomp takes 40-50 ms to
// compile a profile on a small machine, so a container whose capabilities or
// profile file differ from the default (whose program is built into the
// binary) would pay that at every start. Each compiled program is kept in a
// file named by a hash of its key; the key is the whole input (the resolved
// profile, every field, and what compiled it), stored in the file and compared
// byte for byte when read, so a hash collision or a damaged file is a miss,
// never a wrong filter. Pure: the engine reads and writes the files.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/seccomp_rules.hpp"

namespace contain::model::seccomp {

// Everything the compiled program depends on, as text: `compiler` names what
// compiles it (libseccomp's version, contain's own build).
std::string cache_key(const contain::seccomp::Profile& resolved, std::string_view compiler);
// The file's name: 16 hex digits of a 64-bit FNV-1a hash of the key.
std::string cache_file_name(std::string_view key);
// The file's contents: a header line, the key's length and the key, then the
// program (classic BPF instructions, 8 bytes each, as the kernel takes them).
std::string encode_cache_entry(std::string_view key, std::string_view program);
// The program of a file written by encode_cache_entry for this very key;
// nothing for another key, a damaged file, or a program of no instructions,
// of a partial one or of more than the kernel's 4,096.
std::optional<std::string> decode_cache_entry(std::string_view file, std::string_view key);

}  // namespace contain::model::seccomp
