// Keccak-256 (Ethereum padding) against published vectors and vectors from an independent
// implementation (js-sha3 0.9.3, `keccak256`), including inputs around the 136-byte block size.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "prover/common/rng.hpp"
#include "prover/hash/keccak.hpp"

namespace efaas {
namespace {

std::string hex(const Hash256& h) {
  return to_hex(h);
}

TEST(Keccak256, PublishedVectors) {
  EXPECT_EQ(hex(keccak256("")), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  EXPECT_EQ(hex(keccak256("abc")),
            "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  EXPECT_EQ(hex(keccak256("The quick brown fox jumps over the lazy dog")),
            "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
  // Ethereum's ERC-20 Transfer event topic.
  EXPECT_EQ(hex(keccak256("Transfer(address,address,uint256)")),
            "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
  // One million 'a' (many blocks).
  EXPECT_EQ(hex(keccak256(std::string(1000000, 'a'))),
            "fadae6b49f129bbb812be8407b7b2894f34aecf6dbd1f9b0f0c7e9853098fc96");
}

TEST(Keccak256, BlockBoundaries) {
  // Byte i = (7 i + 3) mod 256; digests from js-sha3.
  const std::pair<size_t, const char*> cases[] = {
      {135, "00ef96af9cf4b24c7f269d922294444a197d0a33638c2e56634c57e892103a8f"},
      {136, "742061bcad767ed4c4f5883b1dcb1aad11afdcc140dc469d953759b127b9f9ed"},
      {137, "e3371f61e770abf254c34239c3b0099ad90594507415bc81dd0a10b9692bbf2a"},
      {200, "66d2cdf3ab4c5bd3c75add9b60b14ac5b7789534fa2da3f348853b847359a3a0"},
      {272, "ac141fd7b0a0ffcd2e967254d508da3ec616596493c36fa304425647d90e6de5"},
      {1000, "80cdc8dd52cbb3dbaea8f383209893fa2bb52efbd5aedbb4b26dcfe307fcdc9b"},
  };
  for (const auto& [n, want] : cases) {
    std::vector<uint8_t> in(n);
    for (size_t i = 0; i < n; ++i) in[i] = uint8_t(7 * i + 3);
    EXPECT_EQ(hex(keccak256(in)), want) << n << " bytes";
  }
}

TEST(Keccak256, IncrementalMatchesOneShot) {
  Rng rng(test_seed("Keccak256.IncrementalMatchesOneShot"));
  for (int t = 0; t < 20; ++t) {
    std::vector<uint8_t> in(rng.uniform(600));
    for (auto& b : in) b = uint8_t(rng.next_u32());
    Keccak256 h;
    size_t pos = 0;
    while (pos < in.size()) {
      size_t n = std::min<size_t>(in.size() - pos, rng.uniform(150) + 1);
      h.update(std::span<const uint8_t>(in.data() + pos, n));
      pos += n;
    }
    EXPECT_EQ(h.final(), keccak256(in));
    // final() resets: the object hashes the empty string next.
    EXPECT_EQ(hex(h.final()), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  }
}

}  // namespace
}  // namespace efaas
