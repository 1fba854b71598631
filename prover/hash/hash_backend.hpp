#pragma once
// What each hashing backend implements. poseidon2.cpp validates arguments, splits work over
// threads and dispatches here; kernels may assume valid shapes.
#include <cstddef>
#include <span>

#include "prover/common/status.hpp"
#include "prover/hash/matrix.hpp"
#include "prover/hash/poseidon2.hpp"

namespace efaas {

struct Poseidon2Kernels {
  // Permutes n states in place.
  void (*permute)(Poseidon2State* states, size_t n);
  // out[i] = hash_rows_concat(matrices, begin + i) for i < count.
  void (*hash_rows)(std::span<const MatrixView> matrices, size_t begin, size_t count, Digest* out);
  // out[i] = compress(a[i * stride], b[i * stride]) for i < n.
  void (*compress)(const Digest* a, const Digest* b, size_t stride, Digest* out, size_t n);
};

const Poseidon2Kernels& scalar_poseidon2_kernels();

// The kernels for a resolved CPU backend (scalar or AVX2). The AVX2 backend gets the 16-wide
// AVX-512 kernels where avx512_usable() and set_avx512_hashing(false) was not called (hash_bench
// compares the two in one process that way), else the 8-wide AVX2 ones; all give identical
// results. kOpenCl is not a table of host
// functions: callers dispatch to poseidon2_opencl.hpp first, and asking here is UNIMPLEMENTED.
Result<const Poseidon2Kernels*> poseidon2_kernels_for(Backend backend);
void set_avx512_hashing(bool enabled);
bool avx512_hashing_enabled();  // the switch above (BLAKE3's kernels follow it too)

// A Merkle hash's batch kernels (the two Poseidon2Kernels / Blake3Kernels have in common): what
// hash_matrix_rows, compress_pairs and the Merkle tree's host builder call.
struct MerkleKernels {
  // out[i] = the leaf digest of row begin + i (over every matrix, concatenated), i < count.
  void (*hash_rows)(std::span<const MatrixView> matrices, size_t begin, size_t count, Digest* out);
  // out[i] = the node digest of (a[i * stride], b[i * stride]) for i < n.
  void (*compress)(const Digest* a, const Digest* b, size_t stride, Digest* out, size_t n);
};
// `hash`'s kernels for a resolved CPU backend (kOpenCl: UNIMPLEMENTED, dispatch to the device).
Result<MerkleKernels> merkle_kernels_for(MerkleHash hash, Backend backend);

namespace avx2 {
// Call only when avx2_usable() (kernels/avx2/poseidon2_avx2.cpp).
const Poseidon2Kernels& poseidon2_kernels();
}  // namespace avx2

namespace avx512 {
// Sixteen permutations per call; call only when avx512_usable()
// (kernels/avx512/poseidon2_avx512.cpp). Batch tails go to the AVX2 kernels.
const Poseidon2Kernels& poseidon2_kernels();
// One permutation in one zmm register (the latency-bound single calls: poseidon2_permute,
// hash_row, compress, the transcript).
void permute_single(Poseidon2State& state);
}  // namespace avx512

}  // namespace efaas
