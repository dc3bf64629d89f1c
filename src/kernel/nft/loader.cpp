// libnftables, loaded on first use.
//
// libnftables brings five more shared libraries with it (libnftnl, libmnl,
// libjansson, libgmp, libxtables); loading them costs ~2.5 ms per process on a
// small VM, more than a whole `net create`. So contain does not link it: these
// definitions of its public API (nftables/libnftables.h) dlopen() it the first
// time a firewall command creates a context, and forward every call. Code in
// kernel/nft uses the ordinary API and never knows.
//
// The executable does not export these symbols (no -rdynamic), so the library's
// own internal calls still bind to its own functions.
#include <dlfcn.h>
#include <nftables/libnftables.h>

#include <cstdlib>

namespace {

void* library() {
  static void* handle = ::dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
  return handle;
}

// The library function `name`. Only nft_ctx_new() can be reached before the
// library is loaded; everything else takes a context it returned.
template <class Fn>
Fn resolve(const char* name) {
  void* handle = library();
  if (!handle) return nullptr;
  return reinterpret_cast<Fn>(::dlsym(handle, name));
}

template <class Fn>
Fn must_resolve(const char* name) {
  Fn fn = resolve<Fn>(name);
  if (!fn) std::abort();  // a context exists, so the library is loaded: cannot happen
  return fn;
}

#define CONTAIN_NFT_FORWARD(ret, name, params, args)     \
  extern "C" ret name params {                           \
    static auto fn = must_resolve<ret(*) params>(#name); \
    return fn args;                                      \
  }

}  // namespace

// NULL (as when out of memory) if libnftables is not installed: callers already
// have to handle a failed context.
extern "C" struct nft_ctx* nft_ctx_new(uint32_t flags) {
  static auto fn = resolve<struct nft_ctx* (*)(uint32_t)>("nft_ctx_new");
  return fn ? fn(flags) : nullptr;
}

CONTAIN_NFT_FORWARD(void, nft_ctx_free, (struct nft_ctx * ctx), (ctx))
CONTAIN_NFT_FORWARD(bool, nft_ctx_get_dry_run, (struct nft_ctx * ctx), (ctx))
CONTAIN_NFT_FORWARD(void, nft_ctx_set_dry_run, (struct nft_ctx * ctx, bool dry), (ctx, dry))
CONTAIN_NFT_FORWARD(uint32_t, nft_ctx_get_optimize, (struct nft_ctx * ctx), (ctx))
CONTAIN_NFT_FORWARD(void, nft_ctx_set_optimize, (struct nft_ctx * ctx, uint32_t flags),
                    (ctx, flags))
CONTAIN_NFT_FORWARD(unsigned int, nft_ctx_output_get_flags, (struct nft_ctx * ctx), (ctx))
CONTAIN_NFT_FORWARD(void, nft_ctx_output_set_flags, (struct nft_ctx * ctx, unsigned int flags),
                    (ctx, flags))
CONTAIN_NFT_FORWARD(unsigned int, nft_ctx_output_get_debug, (struct nft_ctx * ctx), (ctx))
CONTAIN_NFT_FORWARD(void, nft_ctx_output_set_debug, (struct nft_ctx * ctx, unsigned int mask),
                    (ctx, mask))
CONTAIN_NFT_FORWARD(int, nft_ctx_buffer_output, (struct nft_ctx * ctx), (ctx))
CONTAIN_NFT_FORWARD(int, nft_ctx_unbuffer_output, (struct nft_ctx * ctx), (ctx))
CONTAIN_NFT_FORWARD(const char*, nft_ctx_get_output_buffer, (struct nft_ctx * ctx), (ctx))
CONTAIN_NFT_FORWARD(int, nft_ctx_buffer_error, (struct nft_ctx * ctx), (ctx))
CONTAIN_NFT_FORWARD(int, nft_ctx_unbuffer_error, (struct nft_ctx * ctx), (ctx))
CONTAIN_NFT_FORWARD(const char*, nft_ctx_get_error_buffer, (struct nft_ctx * ctx), (ctx))
CONTAIN_NFT_FORWARD(int, nft_ctx_add_include_path, (struct nft_ctx * ctx, const char* path),
                    (ctx, path))
CONTAIN_NFT_FORWARD(void, nft_ctx_clear_include_paths, (struct nft_ctx * ctx), (ctx))
CONTAIN_NFT_FORWARD(int, nft_ctx_add_var, (struct nft_ctx * ctx, const char* var), (ctx, var))
CONTAIN_NFT_FORWARD(void, nft_ctx_clear_vars, (struct nft_ctx * ctx), (ctx))
CONTAIN_NFT_FORWARD(int, nft_run_cmd_from_buffer, (struct nft_ctx * nft, const char* buf),
                    (nft, buf))
CONTAIN_NFT_FORWARD(int, nft_run_cmd_from_filename, (struct nft_ctx * nft, const char* filename),
                    (nft, filename))
