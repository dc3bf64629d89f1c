// nftables through libnftables, in-process: a command buffer in the nft
// language is one atomic transaction (all of it applies, or none). The library
// never prints: its output and error text are buffered and the error text
// becomes our Error.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"

struct nft_ctx;

namespace contain::kernel {

class Nftables {
 public:
  static Result<Nftables> open();

  // Runs `commands` (several lines, one transaction). On failure the error
  // names `what` and carries the first line nft reported.
  Status run(std::string_view commands, std::string_view what) const;
  // As run(), returning what nft printed (for `list` commands).
  Result<std::string> query(std::string_view commands, std::string_view what) const;

 private:
  struct Deleter {
    void operator()(nft_ctx* ctx) const;
  };
  explicit Nftables(nft_ctx* ctx) : ctx_(ctx) {}
  std::unique_ptr<nft_ctx, Deleter> ctx_;
};

// The first "Error: ..." line of nft's error text, without the prefix; the
// whole text, joined into one line, if there is none (exposed for unit tests).
std::string first_nft_error(std::string_view text);

}  // namespace contain::kernel
