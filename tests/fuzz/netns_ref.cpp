// Namespace references (model/netns_spec), wherever a command takes a
// namespace: a name under /run/netns, pid:PID, a path to a namespace file or
// container:NAME; and the identities records of unnamed namespaces are keyed
// by (core/netns_id, "DEV:INO").
#include "core/netns_id.hpp"
#include "fuzz.hpp"
#include "model/netns_spec.hpp"

using namespace contain;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::text_of(data, size);
  if (auto spec = model::NetnsSpec::parse(text)) {
    // Exactly one kind, printing back to a text that parses to the same spec.
    auto again = model::NetnsSpec::parse(spec->str());
    FUZZ_CHECK(again.has_value() && *again == *spec);
    if (const auto* pid = spec->pid()) {
      FUZZ_CHECK(pid->value > 0 && pid->value <= model::NetnsSpec::Pid::kMax);
    } else if (const auto* path = spec->path()) {
      FUZZ_CHECK(path->value.find('/') != std::string::npos);
      FUZZ_CHECK(path->value.size() <= model::NetnsSpec::Path::kMaxLength);
      FUZZ_CHECK(path->value.find('\0') == std::string::npos);
    } else if (const auto* name = spec->name()) {
      // A name is a file name under /run/netns: never a path or a reference.
      FUZZ_CHECK(name->str().find('/') == std::string::npos);
      FUZZ_CHECK(!name->str().starts_with("pid:") && !name->str().starts_with("container:"));
    }
  }
  if (auto id = NetnsId::parse(text)) {
    FUZZ_CHECK(NetnsId::parse(id->str()) == id);
  }
  return 0;
}
