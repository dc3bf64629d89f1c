// Container confinement options (model/security) and seccomp profiles in
// Docker's JSON format (model/seccomp_profile): --cap-add/--cap-drop, --user,
// --ulimit, -v, --tmpfs, --shm-size, --security-opt and seccomp=FILE; and the
// files of the cache of compiled seccomp programs (model/seccomp_cache).
#include "model/security.hpp"

#include <algorithm>

#include "fuzz.hpp"
#include "model/seccomp_cache.hpp"
#include "model/seccomp_profile.hpp"

using namespace contain;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::text_of(data, size);
  if (auto cap = model::parse_capability(text)) {
    FUZZ_CHECK(*cap >= 0 && *cap <= model::kLastCapability);
    FUZZ_CHECK(model::parse_capability(model::capability_name(*cap)).value() == *cap);
  }
  auto caps =
      model::resolve_capabilities({{std::string(text)}, {}, false}, model::kAllCapabilities);
  if (caps) FUZZ_CHECK((*caps & ~model::kAllCapabilities) == 0);
  if (auto user = model::UserRequest::parse(text)) {
    FUZZ_CHECK(!user->user.empty());
    (void)model::resolve_user(std::optional<model::UserRequest>(*user), {}, text, text);
  }
  if (auto limit = model::Ulimit::parse(text)) {
    FUZZ_CHECK(limit->soft <= limit->hard);
    FUZZ_CHECK(model::Ulimit::parse(limit->str()).has_value());
  }
  if (auto volume = model::Volume::parse(text)) {
    FUZZ_CHECK(volume->host.front() == '/' && volume->container.front() == '/');
    FUZZ_CHECK(model::Volume::parse(volume->str()).has_value());
  }
  if (auto tmpfs = model::Tmpfs::parse(text)) FUZZ_CHECK(tmpfs->mode <= 07777);
  if (auto bytes = model::parse_docker_size(text, "--shm-size")) FUZZ_CHECK(*bytes > 0);
  model::SecurityOptions options;
  (void)model::apply_security_opt(text, options);
  if (auto profile = model::seccomp::parse_profile(text, "fuzz")) {
    auto resolved = model::seccomp::resolve(*profile, model::kDefaultCapabilities, "amd64");
    FUZZ_CHECK(resolved.rules.size() <= profile->rules.size());
    for (const auto& rule : profile->rules)
      for (const auto& arg : rule.args) FUZZ_CHECK(arg.index <= 5);
  }
  // A cache file, read with a key taken from its own text (so that some inputs
  // carry their key): whatever it gives back is whole instructions, and is
  // exactly what encoding it again would store.
  for (std::string_view key :
       {text.substr(0, std::min<std::size_t>(text.size(), 40)), std::string_view("k")}) {
    if (auto program = model::seccomp::decode_cache_entry(text, key)) {
      FUZZ_CHECK(!program->empty() && program->size() % 8 == 0);
      FUZZ_CHECK(model::seccomp::encode_cache_entry(key, *program) == text);
    }
  }
  return 0;
}
