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
// (loading the library) and kept: making a context costs ~0.5 ms and freeing
// one up to 3 ms, and a process often runs several transactions (a container's
// forward, later its removal; gc's steps). (libnftables refetches its cache of
// the ruleset whenever the ruleset changed, which each of our commits does.)
// Calls from several threads are serialised. The context belongs to the
// process and network namespace that made it: a forked child, or a caller in
// another network namespace, gets a new one.
class Nftables {
 public:
  static Result<Nftables> open();
  // Frees the context (its caches: ~0.5 MiB per table in the ruleset); the
  // next open() makes a new one. For a process that stays, once its firewall
  // work is done for a while.
  static void close_process_context();

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
