#pragma once
// BLAKE3 (the standard hash mode, 32-byte output) and its use as the Merkle hash of STARK
// commitments: Poseidon2's sponge costs ~12 CPU cycles per hashed byte here, BLAKE3 about one
// in SIMD lanes (hash_bench's leaf rows), and the Merkle leaves are most of a zkWASM proof's
// hashing.
//
// Merkle hashing with BLAKE3 (MerkleHash::kBlake3), the same tree shape as Poseidon2's
// (merkle.hpp):
//   leaf:     BLAKE3 of the row's cells, each as its 4-byte little-endian Montgomery word
//             (x * 2^32 mod p, the in-memory representation: a bijection of the field, so no
//             conversion is paid per cell), matrices concatenated in commit order;
//   compress: BLAKE3 of the 64 bytes left || right, each digest as its 8 Montgomery words;
//   digest:   the 32-byte output read as 8 little-endian words, each reduced mod p and taken as
//             a Montgomery word (~30.6 bits each, ~122 bits of collision security in all).
// Digests stay 8 field elements, so trees, the transcript and proofs keep their shape; a proof
// names its hash in its parameters (FriParams::merkle_hash, docs/stark.md "Merkle hash").
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "prover/common/status.hpp"
#include "prover/device/backend.hpp"
#include "prover/hash/matrix.hpp"
#include "prover/hash/merkle_hash.hpp"
#include "prover/hash/poseidon2.hpp"

namespace efaas {

namespace blake3 {
using Bytes32 = std::array<uint8_t, 32>;

// The BLAKE3 initialisation vector, message schedule and domain flags (the specification's).
inline constexpr std::array<uint32_t, 8> kIv = {0x6A09E667u, 0xBB67AE85u, 0x3C6EF372u,
                                                0xA54FF53Au, 0x510E527Fu, 0x9B05688Cu,
                                                0x1F83D9ABu, 0x5BE0CD19u};
inline constexpr std::array<uint8_t, 16> kMsgPermutation = {2, 6,  3,  10, 7, 0,  4,  13,
                                                            1, 11, 12, 5,  9, 14, 15, 8};
inline constexpr uint32_t kChunkStart = 1, kChunkEnd = 2, kParent = 4, kRoot = 8;
inline constexpr size_t kBlockLen = 64, kChunkLen = 1024;

// The compression function: the first 8 words of the output state (a chaining value).
std::array<uint32_t, 8> compress(const std::array<uint32_t, 8>& cv,
                                 const std::array<uint32_t, 16>& block, uint64_t counter,
                                 uint32_t block_len, uint32_t flags);

// Standard BLAKE3 hash of any input (chunks and the tree of parent nodes included).
Bytes32 hash(std::span<const uint8_t> data);
// The same over a sequence of little-endian 32-bit words (4 * words.size() bytes).
std::array<uint32_t, 8> hash_words(std::span<const uint32_t> words);
}  // namespace blake3

// The Merkle digest of a BLAKE3 output (see above).
Digest digest_from_blake3(const std::array<uint32_t, 8>& words);
// Leaf and node hashing of MerkleHash::kBlake3, scalar reference.
Digest blake3_hash_rows_concat(std::span<const MatrixView> matrices, size_t row);
Digest blake3_compress(const Digest& left, const Digest& right);

// Batch kernels, the same contracts as Poseidon2Kernels::hash_rows / compress (hash_backend.hpp).
struct Blake3Kernels {
  void (*hash_rows)(std::span<const MatrixView> matrices, size_t begin, size_t count, Digest* out);
  void (*compress)(const Digest* a, const Digest* b, size_t stride, Digest* out, size_t n);
};
const Blake3Kernels& scalar_blake3_kernels();
// The kernels for a resolved CPU backend; every table gives results identical to the scalar one.
// kAvx2 gets the 16-lane AVX-512 table where avx512_usable() and set_avx512_hashing (the switch
// Poseidon2's kernels use, hash_backend.hpp) allows it, else the 8-lane AVX2 one.
// kOpenCl is UNIMPLEMENTED here (callers dispatch to the device first: blake3_opencl.hpp).
Result<const Blake3Kernels*> blake3_kernels_for(Backend backend);

namespace avx2 {
// Eight rows or compressions per step; call only when avx2_usable() (kernels/avx2/blake3_avx2.cpp).
const Blake3Kernels& blake3_kernels();
}  // namespace avx2
namespace avx512 {
// Sixteen per step; call only when avx512_usable() (kernels/avx512/blake3_avx512.cpp).
const Blake3Kernels& blake3_kernels();
}  // namespace avx512

}  // namespace efaas
