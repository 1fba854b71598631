// BLAKE3 against b3sum (Debian's package, an independent implementation; tools/setup.sh
// installs it) on the specification's test-vector inputs, and the Merkle wrappers against
// their definition in blake3.hpp.
#include "prover/hash/blake3.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace efaas {
namespace {

std::string hex(std::span<const uint8_t> b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t x : b) {
    s += d[x >> 4];
    s += d[x & 15];
  }
  return s;
}

// b3sum's hex digest of `data`, or "" when b3sum cannot be run.
std::string b3sum(const std::vector<uint8_t>& data) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("efaas_b3_" + std::to_string(::getpid()));
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
  std::string out;
  if (FILE* p = ::popen(("b3sum --no-names '" + path.string() + "' 2>/dev/null").c_str(), "r")) {
    char buf[128];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    ::pclose(p);
  }
  std::filesystem::remove(path);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

TEST(Blake3, KnownAnswers) {
  EXPECT_EQ(hex(blake3::hash({})),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
  const uint8_t zero = 0;
  EXPECT_EQ(hex(blake3::hash({&zero, 1})),
            "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213");
}

// The official test vectors' inputs (byte i is i mod 251) at every length they list: one
// block, chunk boundaries, and trees of up to 100 chunks.
TEST(Blake3, MatchesB3sumOnTheSpecificationsInputs) {
  ASSERT_FALSE(b3sum({}).empty()) << "b3sum is not installed (tools/setup.sh installs it)";
  for (size_t len : {0, 1, 63, 64, 65, 127, 128, 1023, 1024, 1025, 2048, 2049, 3072, 3073, 4096,
                     4097, 5120, 5121, 6144, 6145, 7168, 7169, 8192, 8193, 16384, 31744, 102400}) {
    std::vector<uint8_t> data(len);
    for (size_t i = 0; i < len; ++i) data[i] = uint8_t(i % 251);
    EXPECT_EQ(hex(blake3::hash(data)), b3sum(data)) << "length " << len;
  }
}

TEST(Blake3, MatchesB3sumOnRandomInputs) {
  const uint32_t seed = std::random_device{}();
  std::printf("seed %u\n", seed);
  std::mt19937 rng(seed);
  for (int t = 0; t < 20; ++t) {
    std::vector<uint8_t> data(rng() % 5000);
    for (uint8_t& b : data) b = uint8_t(rng());
    EXPECT_EQ(hex(blake3::hash(data)), b3sum(data)) << "seed " << seed << " length " << data.size();
  }
}

TEST(Blake3, MerkleLeavesHashMontgomeryWordsOfTheConcatenatedRows) {
  std::mt19937 rng(7);
  std::vector<Fp> a(8 * 3), b(8 * 300);  // a row-major 8x3, b column-major 8x300 (> one chunk)
  for (Fp& x : a) x = Fp::from_u32(rng());
  for (Fp& x : b) x = Fp::from_u32(rng());
  const std::vector<MatrixView> mats = {{a.data(), 8, 3, Layout::kRowMajor},
                                        {b.data(), 8, 300, Layout::kColMajor}};
  for (size_t r = 0; r < 8; ++r) {
    std::vector<uint8_t> bytes;
    for (const MatrixView& m : mats)
      for (size_t c = 0; c < m.cols; ++c)
        for (int k = 0; k < 4; ++k) bytes.push_back(uint8_t(m.at(r, c).montgomery() >> (8 * k)));
    const blake3::Bytes32 h = blake3::hash(bytes);
    const Digest d = blake3_hash_rows_concat(mats, r);
    for (size_t i = 0; i < kDigestSize; ++i) {
      const uint32_t w = uint32_t(h[4 * i]) | uint32_t(h[4 * i + 1]) << 8 |
                         uint32_t(h[4 * i + 2]) << 16 | uint32_t(h[4 * i + 3]) << 24;
      EXPECT_EQ(d[i].montgomery(), w % Fp::kP) << "row " << r << " word " << i;
    }
    std::vector<Digest> out(1);
    scalar_blake3_kernels().hash_rows(mats, r, 1, out.data());
    EXPECT_EQ(out[0], d);
  }
  // Compression is the hash of the two digests' 16 Montgomery words.
  Digest l, rr;
  for (size_t i = 0; i < kDigestSize; ++i) {
    l[i] = Fp::from_u32(rng());
    rr[i] = Fp::from_u32(rng());
  }
  std::vector<uint32_t> words;
  for (const Fp& x : l) words.push_back(x.montgomery());
  for (const Fp& x : rr) words.push_back(x.montgomery());
  EXPECT_EQ(blake3_compress(l, rr), digest_from_blake3(blake3::hash_words(words)));
  EXPECT_NE(blake3_compress(l, rr), blake3_compress(rr, l));
}

TEST(Blake3, MerkleHashNamesRoundTrip) {
  for (MerkleHash h : {MerkleHash::kPoseidon2, MerkleHash::kBlake3}) {
    auto parsed = parse_merkle_hash(merkle_hash_name(h));
    ASSERT_TRUE(bool(parsed));
    EXPECT_EQ(*parsed, h);
  }
  EXPECT_FALSE(bool(parse_merkle_hash("sha256")));
}

}  // namespace
}  // namespace efaas
