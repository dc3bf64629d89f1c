// nftables through libnftables, in-process: a command buffer in the nft
// language is one atomic transaction (all of it applies, or none). The library
// never prints: its output and error text are buffered and the error text
// becomes our Error.
#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"

struct nft_ctx;

namespace contain::kernel {

// A handle on the process's one libnftables context. It is made on first use
// (loading the library) and kept until exit: libnftables caches the ruleset in
// its context, so a later transaction of the same process (a container's
// forward removal after its addition, gc's several steps) costs one round trip
// instead of dumping the table again when nothing changed meanwhile; making a
// context (~0.5 ms) and freeing one (up to 3 ms) are saved too. Calls from
// several threads are serialised. A process forked after the first use must
// not use it (it would share the netlink socket): contain forks its monitors
// before any firewall work.
class Nftables {
 public:
  static Result<Nftables> open();

  // Runs `commands` (several lines, one transaction). On failure the error
  // names `what` and carries the first line nft reported.
  Status run(std::string_view commands, std::string_view what) const;
  // As run(), returning what nft printed (for `list` commands).
  Result<std::string> query(std::string_view commands, std::string_view what) const;

 private:
  explicit Nftables(nft_ctx* ctx) : ctx_(ctx) {}
  nft_ctx* ctx_;
};

// The first "Error: ..." line of nft's error text, without the prefix; the
// whole text, joined into one line, if there is none (exposed for unit tests).
std::string first_nft_error(std::string_view text);

}  // namespace contain::kernel
