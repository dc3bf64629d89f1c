#include "kernel/nft/context.hpp"

#include <fmt/format.h>
#include <nftables/libnftables.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>

#include "kernel/memory.hpp"

namespace contain::kernel {

namespace {

std::mutex context_mutex;  // guards the context and every call on it

struct Context {
  nft_ctx* ctx = nullptr;
  pid_t pid = 0;    // the process that made it (a forked child shares its socket)
  ino_t netns = 0;  // and the network namespace its socket is in
};
Context context;  // guarded by context_mutex

ino_t current_netns() {
  struct stat st {};
  return ::stat("/proc/thread-self/ns/net", &st) == 0 ? st.st_ino : 0;
}

}  // namespace

Result<Nftables> Nftables::open() {
  std::lock_guard lock(context_mutex);
  pid_t pid = ::getpid();
  ino_t netns = current_netns();
  if (context.ctx && context.pid == pid && context.netns == netns) return Nftables(context.ctx);
  if (context.ctx) nft_ctx_free(context.ctx);  // this process's copy of another's
  context = {};
  // Its first transaction touches ~1 MiB of fresh heap (libnftables gives each
  // cache a table of 8,192 buckets): populate that in one call.
  prefault_heap(1 << 20);
  nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (!ctx) return fail(Error::failed("open nftables: libnftables could not make a context"));
  if (nft_ctx_buffer_output(ctx) != 0 || nft_ctx_buffer_error(ctx) != 0) {
    nft_ctx_free(ctx);
    return fail(Error::failed("open nftables: cannot buffer libnftables output"));
  }
  context = {ctx, pid, netns};
  return Nftables(ctx);
}

void Nftables::close_process_context() {
  std::lock_guard lock(context_mutex);
  if (context.ctx) nft_ctx_free(context.ctx);
  context = {};
}

std::string first_nft_error(std::string_view text) {
  std::string joined;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (line.starts_with("Error: ")) return std::string(line.substr(7));
    if (!line.empty()) {
      if (!joined.empty()) joined += ' ';
      joined += line;
    }
    pos = end + 1;
  }
  return joined.empty() ? "nftables refused the request" : joined;
}

Result<std::string> Nftables::query(std::string_view commands, std::string_view what) const {
  std::string buffer(commands);
  std::lock_guard lock(context_mutex);
  int rc = nft_run_cmd_from_buffer(ctx_, buffer.c_str());
  // Read both buffers every time: libnftables keeps appending to them otherwise.
  std::string out = nft_ctx_get_output_buffer(ctx_);
  std::string err = nft_ctx_get_error_buffer(ctx_);
  if (rc != 0) {
    // nft reports the kernel's errno only as text; EPERM is worth recognising.
    int code = err.find("Operation not permitted") != std::string::npos ? EPERM : 0;
    return fail(Error::failed(fmt::format("{}: nftables: {}", what, first_nft_error(err)), code));
  }
  return out;
}

Status Nftables::run(std::string_view commands, std::string_view what) const {
  TRY(query(commands, what));
  return {};
}

}  // namespace contain::kernel
