// Names (core/names): namespaces, interfaces, networks; and quote(), which puts
// any of them into an error message.
#include "core/names.hpp"

#include "fuzz.hpp"

using namespace contain;

namespace {

bool is_space_or_control(unsigned char c) { return c <= ' ' || c == 0x7f; }

// What quote() returns prints as one line: no control byte, every '"' escaped.
void check_quoted(std::string_view text) {
  std::string q = quote(text);
  FUZZ_CHECK(q.size() >= 2 && q.front() == '"' && q.back() == '"');
  for (std::size_t i = 1; i + 1 < q.size(); ++i) {
    unsigned char c = q[i];
    FUZZ_CHECK(c >= ' ' && c != 0x7f);
    if (c == '\\') {
      ++i;  // an escape: the next byte is '"', '\\' or the 'x' of \xNN
      FUZZ_CHECK(i + 1 < q.size());
    } else {
      FUZZ_CHECK(c != '"');
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::text_of(data, size);
  check_quoted(text);
  if (auto ns = NetnsName::parse(text)) {
    // A file name in /run/netns, nothing else: no path, no hidden truncation.
    FUZZ_CHECK(ns->str() == text && !text.empty() && text.size() <= NetnsName::kMaxLength);
    FUZZ_CHECK(text != "." && text != "..");
    for (unsigned char c : text) FUZZ_CHECK(c != '/' && !is_space_or_control(c));
  }
  if (auto ifname = IfName::parse(text)) {
    // What the kernel's dev_valid_name() accepts, and kept as given: a '%' would
    // make the kernel pick the name itself (dev_alloc_name), so it is not ours to record.
    FUZZ_CHECK(ifname->str() == text && !text.empty() && text.size() <= IfName::kMaxLength);
    FUZZ_CHECK(text != "." && text != "..");
    for (unsigned char c : text)
      FUZZ_CHECK(c != '/' && c != ':' && c != '%' && !is_space_or_control(c));
  }
  if (auto network = NetworkName::parse(text)) {
    FUZZ_CHECK(network->str() == text);
    // Its bridge is a valid interface name, and its name a valid namespace-style name.
    FUZZ_CHECK(IfName::parse(network->bridge()).has_value());
    FUZZ_CHECK(NetnsName::parse(text).has_value());
    FUZZ_CHECK(quote(text) == "\"" + std::string(text) + "\"");
  }
  return 0;
}
