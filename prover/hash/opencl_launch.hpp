#pragma once
// Shared by the OpenCL hash wrappers (poseidon2_opencl.cpp, blake3_opencl.cpp): buffer range
// checks, the row-hashing inputs' checks, one-dimensional launches and the host round trips
// (upload, run the device function, read back).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "prover/common/status.hpp"
#include "prover/device/opencl_runtime.hpp"
#include "prover/hash/poseidon2_opencl.hpp"

namespace efaas::hash_opencl {

// [offset, offset + count) elements of elem_bytes each must lie inside b.
inline Status check_range(const char* op, const char* what, const OpenClBuffer& b, size_t offset,
                          size_t count, size_t elem_bytes) {
  if (!b.valid()) return invalid_argument(std::string(op) + ": " + what + " buffer is empty");
  if (offset + count < offset || (offset + count) * elem_bytes > b.size_bytes()) {
    return invalid_argument(std::string(op) + ": " + what + " [" + std::to_string(offset) + ", " +
                            std::to_string(offset + count) + ") exceeds its buffer of " +
                            std::to_string(b.size_bytes() / elem_bytes) + " elements");
  }
  return Status::ok();
}

// Matrices whose rows are hashed together into `digests`: at least one, each with a buffer on
// the digests' device holding its rows * cols elements, all with matrix 0's row count. Returns
// the total column count (a row's length in field elements).
inline Result<size_t> check_row_matrices(const char* op, std::span<const OpenClMatrix> matrices,
                                         const OpenClBuffer& digests) {
  if (matrices.empty()) return invalid_argument(std::string(op) + ": no matrices");
  const size_t rows = matrices[0].rows;
  size_t total = 0;
  for (size_t i = 0; i < matrices.size(); ++i) {
    const OpenClMatrix& m = matrices[i];
    if (m.buffer == nullptr) {
      return invalid_argument(std::string(op) + ": matrix " + std::to_string(i) + " has no buffer");
    }
    if (m.rows != rows) {
      return invalid_argument(std::string(op) + ": matrix " + std::to_string(i) + " has " +
                              std::to_string(m.rows) + " rows, matrix 0 has " +
                              std::to_string(rows));
    }
    if (m.cols > UINT32_MAX) return out_of_range(std::string(op) + ": too many columns");
    if (m.buffer->device() != digests.device()) {
      return invalid_argument(std::string(op) + ": matrix " + std::to_string(i) +
                              " lives on another device than the digests");
    }
    EFAAS_RETURN_IF_ERROR(
        check_range(op, "matrix", *m.buffer, m.offset, m.rows * m.cols, sizeof(Fp)));
    total += m.cols;
  }
  return total;
}

// One work-item per item in work-groups of kGroup (the kernels skip the padding items): a fixed,
// moderate size suits GPUs and lets PoCL vectorize across work-items.
inline constexpr size_t kGroup = 64;

inline Status launch1d(OpenClDevice& dev, const OpenClKernel& k, size_t n) {
  const size_t wg = std::min(kGroup, std::max<size_t>(1, k.max_work_group_size()));
  return dev.launch(k, {(n + wg - 1) / wg * wg}, {wg});
}

// The host entry point over a row-hashing device function (`hash_rows(mats, digests)`): uploads
// the matrices, hashes their rows into `out`. A matrix without elements is uploaded as a
// one-word stand-in: the device function still needs a buffer object to name.
template <typename HashRowsDevice>
Status hash_matrix_rows_via(std::span<const MatrixView> matrices, std::span<Digest> out,
                            int device, HashRowsDevice&& hash_rows) {
  if (out.empty()) return Status::ok();
  Result<OpenClDevice*> dev = OpenClDevice::get(device);
  if (!dev) return dev.status();
  std::vector<OpenClBuffer> bufs;
  std::vector<OpenClMatrix> mats;
  bufs.reserve(matrices.size());
  const Fp zero{};
  for (const MatrixView& m : matrices) {
    std::span<const Fp> data = m.size() ? std::span<const Fp>(m.data, m.size())
                                        : std::span<const Fp>(&zero, 1);
    Result<OpenClBuffer> b = (*dev)->upload(data);
    if (!b) return b.status();
    bufs.push_back(std::move(*b));
    mats.push_back({&bufs.back(), 0, m.rows, m.cols, m.layout});
  }
  Result<OpenClBuffer> digests = (*dev)->alloc(out.size_bytes());
  if (!digests) return digests.status();
  EFAAS_RETURN_IF_ERROR(hash_rows(std::span<const OpenClMatrix>(mats), *digests));
  return digests->read(out);
}

// The host entry point over a pair-compressing device function
// (`compress(in, in_offset, out, out_offset, n)`): out[i] from in[2i], in[2i + 1].
template <typename CompressPairsDevice>
Status compress_pairs_via(const char* op, std::span<const Digest> in, std::span<Digest> out,
                          int device, CompressPairsDevice&& compress) {
  if (in.size() != 2 * out.size()) {
    return invalid_argument(std::string(op) + ": " + std::to_string(in.size()) +
                            " input digests for " + std::to_string(out.size()) + " outputs");
  }
  if (out.empty()) return Status::ok();
  Result<OpenClDevice*> dev = OpenClDevice::get(device);
  if (!dev) return dev.status();
  Result<OpenClBuffer> din = (*dev)->upload(in);
  if (!din) return din.status();
  Result<OpenClBuffer> dout = (*dev)->alloc(out.size_bytes());
  if (!dout) return dout.status();
  EFAAS_RETURN_IF_ERROR(compress(*din, 0, *dout, 0, out.size()));
  return dout->read(out);
}

}  // namespace efaas::hash_opencl
