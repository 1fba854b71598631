#pragma once
// BLAKE3 Merkle hashing (blake3.hpp's leaf and compress) on OpenCL, bit-identical to the scalar
// reference: the same entry points as poseidon2_opencl.hpp's, for MerkleHash::kBlake3.
#include <cstddef>
#include <span>

#include "prover/common/status.hpp"
#include "prover/device/opencl_runtime.hpp"
#include "prover/hash/matrix.hpp"
#include "prover/hash/poseidon2.hpp"
#include "prover/hash/poseidon2_opencl.hpp"

namespace efaas {

// digests[digest_offset + r] = blake3_hash_rows_concat(matrices, r) for every row r.
Status opencl_blake3_hash_rows_device(std::span<const OpenClMatrix> matrices,
                                      OpenClBuffer& digests, size_t digest_offset = 0);
// out[out_offset + i] = blake3_compress(in[in_offset + 2i], in[in_offset + 2i + 1]), i < n.
Status opencl_blake3_compress_pairs_device(const OpenClBuffer& in, size_t in_offset,
                                           OpenClBuffer& out, size_t out_offset, size_t n);
// nodes[offset + i] = blake3_compress(nodes[offset + i], inject[i]), i < n.
Status opencl_blake3_compress_inject_device(OpenClBuffer& nodes, size_t offset,
                                            const OpenClBuffer& inject, size_t n);

// Host memory, device `device` (index into list_opencl_devices()).
Status opencl_blake3_hash_matrix_rows(std::span<const MatrixView> matrices, std::span<Digest> out,
                                      int device);
Status opencl_blake3_compress_pairs(std::span<const Digest> in, std::span<Digest> out, int device);

}  // namespace efaas
