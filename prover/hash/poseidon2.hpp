#pragma once
// Poseidon2 over BabyBear, width 16, S-box x^7, 8 full + 13 partial rounds, with the constants
// and round order of shared/vectors/poseidon2_babybear16.json (Plonky3's BabyBear parameters).
//
// On top of the permutation, as Plonky3 does it (PaddingFreeSponge / TruncatedPermutation):
//   hash_row:  a sponge of rate 8 and capacity 8. The state starts at zero; each chunk of up to
//              8 inputs overwrites state[0..len) and the state is permuted; the digest is
//              state[0..8). No padding: inputs of different lengths are only distinct where the
//              length is fixed by context (a Merkle commitment's dimensions, a transcript's
//              protocol), which is how every caller here uses it. An empty input hashes to zeros.
//   compress:  2-to-1 compression: permute (left || right), keep the first 8 elements.
//
// Batch functions run on the backend named in their HashConfig; every backend gives results
// identical to the scalar reference.
#include <array>
#include <cstddef>
#include <span>

#include "prover/common/status.hpp"
#include "prover/device/backend.hpp"
#include "prover/field/babybear.hpp"
#include "prover/hash/matrix.hpp"
#include "prover/hash/merkle_hash.hpp"

namespace efaas {

constexpr size_t kPoseidon2Width = 16;
constexpr size_t kPoseidon2Rate = 8;
constexpr size_t kDigestSize = 8;  // field elements per digest (~124 bits of collision security)
constexpr size_t kPoseidon2FullRounds = 8;
constexpr size_t kPoseidon2PartialRounds = 13;

using Poseidon2State = std::array<Fp, kPoseidon2Width>;
using Digest = std::array<Fp, kDigestSize>;

struct HashConfig {
  Backend backend = Backend::kAuto;
  size_t threads = 0;     // CPU threads; 0 = one per allowed core
  int opencl_device = 0;  // index into list_opencl_devices()
  // The hash of Merkle leaves and nodes: hash_matrix_rows, compress_pairs and merkle.hpp's trees
  // (poseidon2_permute_batch and the transcript are Poseidon2 whatever it says).
  MerkleHash merkle_hash = MerkleHash::kPoseidon2;
};

// The permutation's constants in Montgomery form (the JSON file's values, converted).
struct Poseidon2Constants {
  std::array<std::array<Fp, kPoseidon2Width>, kPoseidon2FullRounds / 2> external_initial;
  std::array<std::array<Fp, kPoseidon2Width>, kPoseidon2FullRounds / 2> external_final;
  std::array<Fp, kPoseidon2PartialRounds> internal;
  std::array<Fp, kPoseidon2Width> internal_diag;
};
const Poseidon2Constants& poseidon2_constants();

// One permutation, in place: the one-register AVX-512 version where avx512_usable(), else the
// scalar reference (identical results; poseidon2_test compares them).
void poseidon2_permute(Poseidon2State& state);
// The scalar reference permutation, always (the oracle the SIMD kernels are tested against).
void poseidon2_permute_reference(Poseidon2State& state);

// Permutes every state in place (AVX2: 8 at a time), split over cfg.threads.
Status poseidon2_permute_batch(std::span<Poseidon2State> states, const HashConfig& cfg = {});

// Sponge hash of a sequence of elements (see above).
Digest hash_row(std::span<const Fp> elements);
// Row `row` of each matrix in turn, concatenated, absorbed as one sequence (a Merkle leaf over
// several matrices of the same height), without copying the row out.
Digest hash_rows_concat(std::span<const MatrixView> matrices, size_t row);
// 2-to-1 compression of two digests.
Digest compress(const Digest& left, const Digest& right);

// out[r] = the Merkle leaf digest of row r under cfg.merkle_hash (hash_rows_concat for Poseidon2,
// blake3_hash_rows_concat for BLAKE3); all matrices must have the same row count and out.size()
// must equal it. Column-major input is read in cache-friendly blocks.
Status hash_matrix_rows(std::span<const MatrixView> matrices, std::span<Digest> out,
                        const HashConfig& cfg = {});
// out[i] = compress(in[2i], in[2i+1]) under cfg.merkle_hash (blake3_compress for BLAKE3);
// in.size() == 2 * out.size().
Status compress_pairs(std::span<const Digest> in, std::span<Digest> out,
                      const HashConfig& cfg = {});

}  // namespace efaas
