// The libnftables shim loads the library on first use and forwards calls.
#include <gtest/gtest.h>
#include <nftables/libnftables.h>

#include <string>

TEST(NftablesLoader, LoadsOnFirstUseAndForwards) {
  nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  ASSERT_NE(ctx, nullptr) << "libnftables.so.1 could not be loaded";
  nft_ctx_set_dry_run(ctx, true);
  EXPECT_TRUE(nft_ctx_get_dry_run(ctx));
  ASSERT_EQ(nft_ctx_buffer_error(ctx), 0);
  // A syntax error is reported through the error buffer, not stderr.
  EXPECT_NE(nft_run_cmd_from_buffer(ctx, "this is not nft"), 0);
  EXPECT_NE(std::string(nft_ctx_get_error_buffer(ctx)).find("Error"), std::string::npos);
  nft_ctx_free(ctx);
}
