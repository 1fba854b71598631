// BLAKE3, scalar: the reference the SIMD and OpenCL kernels are tested against, and b3sum
// (Debian's independent implementation) is the oracle for this one (blake3_test.cpp).
#include "prover/hash/blake3.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>
#include <vector>

#include "prover/common/cpu_features.hpp"
#include "prover/hash/hash_backend.hpp"

namespace efaas {

static_assert(std::endian::native == std::endian::little,
              "BLAKE3 words are read from memory as little-endian");

const char* merkle_hash_name(MerkleHash h) {
  switch (h) {
    case MerkleHash::kPoseidon2:
      return "poseidon2";
    case MerkleHash::kBlake3:
      return "blake3";
  }
  return "unknown";
}

Result<MerkleHash> parse_merkle_hash(std::string_view name) {
  if (name == "poseidon2") return MerkleHash::kPoseidon2;
  if (name == "blake3") return MerkleHash::kBlake3;
  return invalid_argument("unknown Merkle hash '" + std::string(name) +
                          "' (expected poseidon2 or blake3)");
}

Result<std::optional<MerkleHash>> parse_accepted_merkle_hash(std::string_view name) {
  if (name == "any") return std::optional<MerkleHash>();
  if (name == "poseidon2" || name == "blake3") return std::optional(*parse_merkle_hash(name));
  return invalid_argument("'" + std::string(name) + "' is not any, poseidon2 or blake3");
}

namespace blake3 {
namespace {

inline void g(uint32_t* s, int a, int b, int c, int d, uint32_t mx, uint32_t my) {
  s[a] = s[a] + s[b] + mx;
  s[d] = std::rotr(s[d] ^ s[a], 16);
  s[c] = s[c] + s[d];
  s[b] = std::rotr(s[b] ^ s[c], 12);
  s[a] = s[a] + s[b] + my;
  s[d] = std::rotr(s[d] ^ s[a], 8);
  s[c] = s[c] + s[d];
  s[b] = std::rotr(s[b] ^ s[c], 7);
}

// A chunk's blocks, the last zero-padded; `bytes` is the chunk's data (at most kChunkLen).
std::array<uint32_t, 16> load_block(const uint8_t* bytes, size_t len) {
  uint8_t buf[kBlockLen] = {};
  std::memcpy(buf, bytes, len);
  std::array<uint32_t, 16> w;
  std::memcpy(w.data(), buf, kBlockLen);
  return w;
}

// Chaining value of one chunk; `root` sets ROOT on its last block (a one-chunk input).
std::array<uint32_t, 8> chunk_cv(const uint8_t* data, size_t len, uint64_t counter, bool root) {
  std::array<uint32_t, 8> cv = kIv;
  const size_t blocks = std::max<size_t>(1, (len + kBlockLen - 1) / kBlockLen);
  for (size_t b = 0; b < blocks; ++b) {
    const size_t off = b * kBlockLen;
    const size_t blen = std::min(kBlockLen, len - std::min(len, off));
    uint32_t flags = (b == 0 ? kChunkStart : 0) | (b + 1 == blocks ? kChunkEnd : 0);
    if (root && b + 1 == blocks) flags |= kRoot;
    cv = compress(cv, load_block(data + std::min(len, off), blen), counter, uint32_t(blen), flags);
  }
  return cv;
}

std::array<uint32_t, 8> parent_cv(const std::array<uint32_t, 8>& left,
                                  const std::array<uint32_t, 8>& right, bool root) {
  std::array<uint32_t, 16> block;
  std::copy(left.begin(), left.end(), block.begin());
  std::copy(right.begin(), right.end(), block.begin() + 8);
  return compress(kIv, block, 0, kBlockLen, kParent | (root ? kRoot : 0));
}

std::array<uint32_t, 8> hash_bytes(const uint8_t* data, size_t len) {
  const size_t chunks = std::max<size_t>(1, (len + kChunkLen - 1) / kChunkLen);
  if (chunks == 1) return chunk_cv(data, len, 0, true);
  // The specification's stack of subtree chaining values: after chunk i (not the last), merge
  // as many times as i + 1 has trailing zero bits; the last chunk folds the whole stack.
  std::vector<std::array<uint32_t, 8>> stack;
  for (size_t i = 0; i + 1 < chunks; ++i) {
    std::array<uint32_t, 8> cv = chunk_cv(data + i * kChunkLen, kChunkLen, i, false);
    for (uint64_t total = i + 1; (total & 1) == 0; total >>= 1) {
      cv = parent_cv(stack.back(), cv, false);
      stack.pop_back();
    }
    stack.push_back(cv);
  }
  const size_t last = chunks - 1;
  std::array<uint32_t, 8> cv = chunk_cv(data + last * kChunkLen, len - last * kChunkLen, last, false);
  while (!stack.empty()) {
    cv = parent_cv(stack.back(), cv, stack.size() == 1);
    stack.pop_back();
  }
  return cv;
}

}  // namespace

std::array<uint32_t, 8> compress(const std::array<uint32_t, 8>& cv,
                                 const std::array<uint32_t, 16>& block, uint64_t counter,
                                 uint32_t block_len, uint32_t flags) {
  uint32_t s[16] = {cv[0],  cv[1],  cv[2],  cv[3],  cv[4],           cv[5],
                    cv[6],  cv[7],  kIv[0], kIv[1], kIv[2],          kIv[3],
                    uint32_t(counter), uint32_t(counter >> 32), block_len, flags};
  std::array<uint32_t, 16> m = block;
  for (int r = 0; r < 7; ++r) {
    g(s, 0, 4, 8, 12, m[0], m[1]);
    g(s, 1, 5, 9, 13, m[2], m[3]);
    g(s, 2, 6, 10, 14, m[4], m[5]);
    g(s, 3, 7, 11, 15, m[6], m[7]);
    g(s, 0, 5, 10, 15, m[8], m[9]);
    g(s, 1, 6, 11, 12, m[10], m[11]);
    g(s, 2, 7, 8, 13, m[12], m[13]);
    g(s, 3, 4, 9, 14, m[14], m[15]);
    if (r < 6) {
      std::array<uint32_t, 16> p;
      for (int i = 0; i < 16; ++i) p[i] = m[kMsgPermutation[i]];
      m = p;
    }
  }
  std::array<uint32_t, 8> out;
  for (int i = 0; i < 8; ++i) out[i] = s[i] ^ s[i + 8];
  return out;
}

Bytes32 hash(std::span<const uint8_t> data) {
  const std::array<uint32_t, 8> words = hash_bytes(data.data(), data.size());
  Bytes32 out;
  std::memcpy(out.data(), words.data(), out.size());
  return out;
}

std::array<uint32_t, 8> hash_words(std::span<const uint32_t> words) {
  return hash_bytes(reinterpret_cast<const uint8_t*>(words.data()), words.size() * 4);
}

}  // namespace blake3

Digest digest_from_blake3(const std::array<uint32_t, 8>& words) {
  Digest d;
  for (size_t i = 0; i < kDigestSize; ++i) d[i] = Fp::from_montgomery(words[i] % Fp::kP);
  return d;
}

namespace {

static_assert(sizeof(Fp) == sizeof(uint32_t));

std::vector<uint32_t> row_words(std::span<const MatrixView> matrices, size_t row) {
  std::vector<uint32_t> words;
  for (const MatrixView& m : matrices)
    for (size_t c = 0; c < m.cols; ++c) words.push_back(m.at(row, c).montgomery());
  return words;
}

void scalar_hash_rows(std::span<const MatrixView> mats, size_t begin, size_t count, Digest* out) {
  for (size_t i = 0; i < count; ++i) out[i] = blake3_hash_rows_concat(mats, begin + i);
}

void scalar_compress(const Digest* a, const Digest* b, size_t stride, Digest* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = blake3_compress(a[i * stride], b[i * stride]);
}

}  // namespace

Digest blake3_hash_rows_concat(std::span<const MatrixView> matrices, size_t row) {
  return digest_from_blake3(blake3::hash_words(row_words(matrices, row)));
}

Digest blake3_compress(const Digest& left, const Digest& right) {
  std::array<uint32_t, 16> block;
  for (size_t i = 0; i < kDigestSize; ++i) {
    block[i] = left[i].montgomery();
    block[i + kDigestSize] = right[i].montgomery();
  }
  using namespace blake3;
  return digest_from_blake3(compress(kIv, block, 0, kBlockLen, kChunkStart | kChunkEnd | kRoot));
}

const Blake3Kernels& scalar_blake3_kernels() {
  static const Blake3Kernels k{scalar_hash_rows, scalar_compress};
  return k;
}

Result<const Blake3Kernels*> blake3_kernels_for(Backend backend) {
  Result<Backend> resolved = resolve_backend(backend);
  if (!resolved) return resolved.status();
  if (*resolved == Backend::kOpenCl) {
    return unimplemented("BLAKE3 host kernels for the OpenCL backend: dispatch to the device");
  }
  if (*resolved == Backend::kAvx2) {
    if (avx512_usable() && avx512_hashing_enabled()) return &avx512::blake3_kernels();
    return &avx2::blake3_kernels();
  }
  return &scalar_blake3_kernels();
}

}  // namespace efaas
