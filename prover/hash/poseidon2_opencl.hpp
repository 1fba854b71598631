#pragma once
// Poseidon2 on OpenCL (kernels/opencl/poseidon2.cl), bit-identical to the scalar reference.
//
// Device-resident entry points, for pipelines that keep data on the device between stages
// (LDE -> Merkle): they only enqueue work on the buffers' device queue (in order), so kernel
// errors surface at the next blocking read or OpenClDevice::finish(). Offsets and counts are in
// elements (Fp) for matrices and in digests (8 elements) for digest buffers; all are checked
// against the buffer sizes. The host-memory wrappers below upload, run and download; they back
// HashConfig::backend = kOpenCl in poseidon2.hpp, transcript.hpp and merkle.hpp.
#include <cstddef>
#include <cstdint>
#include <span>

#include "prover/common/status.hpp"
#include "prover/device/opencl_runtime.hpp"
#include "prover/hash/matrix.hpp"
#include "prover/hash/poseidon2.hpp"

namespace efaas {

// A matrix in device memory: `rows` x `cols` elements from element `offset` of `buffer`.
struct OpenClMatrix {
  const OpenClBuffer* buffer = nullptr;
  size_t offset = 0;
  size_t rows = 0;
  size_t cols = 0;
  Layout layout = Layout::kColMajor;
};

// digests[digest_offset + r] = hash_rows_concat(matrices, r) for every row r (all matrices the
// same height, on the digests' device).
Status opencl_hash_rows_device(std::span<const OpenClMatrix> matrices, OpenClBuffer& digests,
                               size_t digest_offset = 0);
// out[out_offset + i] = compress(in[in_offset + 2i], in[in_offset + 2i + 1]), i < n.
Status opencl_compress_pairs_device(const OpenClBuffer& in, size_t in_offset, OpenClBuffer& out,
                                    size_t out_offset, size_t n);
// nodes[offset + i] = compress(nodes[offset + i], inject[i]), i < n.
Status opencl_compress_inject_device(OpenClBuffer& nodes, size_t offset, const OpenClBuffer& inject,
                                     size_t n);
// n states of 16 elements, in place.
Status opencl_permute_device(OpenClBuffer& states, size_t n);

// Host memory, device `device` (index into list_opencl_devices()).
Status opencl_permute_batch(std::span<Poseidon2State> states, int device);
Status opencl_hash_matrix_rows(std::span<const MatrixView> matrices, std::span<Digest> out,
                               int device);
Status opencl_compress_pairs(std::span<const Digest> in, std::span<Digest> out, int device);
// Proof-of-work search: the smallest w < p such that permuting `base` with lane `lane` set to w
// gives lane 7 with its low `bits` bits zero (as Transcript::grind defines it); OUT_OF_RANGE if
// there is none.
Result<uint32_t> opencl_grind(const Poseidon2State& base, size_t lane, uint32_t bits, int device);

}  // namespace efaas
