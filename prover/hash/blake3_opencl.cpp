// Host side of kernels/opencl/blake3.cl: argument checks (as poseidon2_opencl.cpp's) and launches.
#include "prover/hash/blake3_opencl.hpp"

#include <algorithm>
#include <bit>
#include <optional>
#include <string>
#include <vector>

#include "kernels/opencl/opencl_sources.hpp"
#include "prover/hash/blake3.hpp"
#include "prover/hash/opencl_launch.hpp"

namespace efaas {

namespace {

static_assert(Fp::kP == 0x78000001u, "BB_P in babybear.cl");
static_assert(sizeof(Digest) == 8 * sizeof(uint32_t), "digests are plain arrays of words");

// blake3.cl's B3_MAX_STACK: rows of up to 2^16 chunks of 256 words.
constexpr size_t kMaxStack = 16;
constexpr size_t kChunkWords = blake3::kChunkLen / 4;
constexpr size_t kMaxRowWords = kChunkWords << kMaxStack;

Result<OpenClKernel> b3_kernel(OpenClDevice& dev, const char* name) {
  static const std::string source = with_babybear(blake3_source);  // built once
  Result<const OpenClProgram*> prog = dev.program("kernels/opencl/blake3.cl", source, "-cl-std=CL1.2");
  if (!prog) return prog.status();
  return (*prog)->kernel(name);
}


using hash_opencl::check_range;
using hash_opencl::check_row_matrices;
using hash_opencl::launch1d;

constexpr size_t kDigestBytes = sizeof(Digest);

}  // namespace

Status opencl_blake3_hash_rows_device(std::span<const OpenClMatrix> matrices,
                                      OpenClBuffer& digests, size_t digest_offset) {
  const char* op = "opencl blake3 hash rows";
  Result<size_t> total_cols = check_row_matrices(op, matrices, digests);
  if (!total_cols) return total_cols.status();
  const size_t rows = matrices[0].rows, total = *total_cols;
  if (total > kMaxRowWords) {
    return unimplemented(std::string(op) + ": rows of " + std::to_string(total) +
                         " cells; the kernel's chunk stack holds rows of at most " +
                         std::to_string(kMaxRowWords));
  }
  EFAAS_RETURN_IF_ERROR(check_range(op, "digests", digests, digest_offset, rows, kDigestBytes));
  if (rows == 0) return Status::ok();
  OpenClDevice& dev = *digests.device();
  Result<OpenClKernel> k = b3_kernel(dev, "b3_absorb");
  if (!k) return k.status();
  // Rows that span several matrices keep their hashing state on the device between launches:
  // chaining value, partial block and the subtree stack (popcount(chunk) entries, at most
  // bit_width(chunks - 1)). One matrix (or none with columns) needs none: `digests` stands in
  // for the unused states argument.
  size_t with_cols = 0;
  for (const OpenClMatrix& m : matrices) with_cols += m.cols > 0;
  const size_t chunks = std::max<size_t>(1, (total + kChunkWords - 1) / kChunkWords);
  const size_t state_words = with_cols > 1 ? 24 + 8 * std::bit_width(chunks - 1) : 0;
  std::optional<OpenClBuffer> states;
  if (state_words > 0) {
    Result<OpenClBuffer> s = dev.alloc(rows * state_words * sizeof(uint32_t));
    if (!s) return s.status();
    states = std::move(*s);
  }
  EFAAS_RETURN_IF_ERROR(k->set_arg(0, states ? *states : digests));
  EFAAS_RETURN_IF_ERROR(k->set_arg(1, uint32_t(state_words)));
  EFAAS_RETURN_IF_ERROR(k->set_arg(8, uint64_t(total)));
  EFAAS_RETURN_IF_ERROR(k->set_arg(9, digests));
  EFAAS_RETURN_IF_ERROR(k->set_arg(10, uint64_t(digest_offset)));
  size_t pos = 0;
  for (const OpenClMatrix& m : matrices) {
    // Matrices without columns add nothing, except that an empty row still gets its digest.
    if (m.cols == 0 && !(total == 0 && &m == &matrices[0])) continue;
    EFAAS_RETURN_IF_ERROR(k->set_arg(2, *m.buffer));
    EFAAS_RETURN_IF_ERROR(k->set_arg(3, uint64_t(m.offset)));
    EFAAS_RETURN_IF_ERROR(k->set_arg(4, uint64_t(m.rows)));
    EFAAS_RETURN_IF_ERROR(k->set_arg(5, uint32_t(m.cols)));
    EFAAS_RETURN_IF_ERROR(k->set_arg(6, uint32_t(m.layout == Layout::kColMajor)));
    EFAAS_RETURN_IF_ERROR(k->set_arg(7, uint64_t(pos)));
    EFAAS_RETURN_IF_ERROR(launch1d(dev, *k, rows));
    pos += m.cols;
  }
  // `states` is released when this returns; the in-order queue has the kernels that use it
  // enqueued, and clReleaseMemObject defers the free until they are done.
  return Status::ok();
}

Status opencl_blake3_compress_pairs_device(const OpenClBuffer& in, size_t in_offset,
                                           OpenClBuffer& out, size_t out_offset, size_t n) {
  const char* op = "opencl blake3 compress pairs";
  EFAAS_RETURN_IF_ERROR(check_range(op, "input", in, in_offset, 2 * n, kDigestBytes));
  EFAAS_RETURN_IF_ERROR(check_range(op, "output", out, out_offset, n, kDigestBytes));
  if (in.device() != out.device()) {
    return invalid_argument(std::string(op) + ": input and output on different devices");
  }
  if (n == 0) return Status::ok();
  Result<OpenClKernel> k = b3_kernel(*out.device(), "b3_compress_pairs");
  if (!k) return k.status();
  EFAAS_RETURN_IF_ERROR(k->set_arg(0, in));
  EFAAS_RETURN_IF_ERROR(k->set_arg(1, uint64_t(in_offset)));
  EFAAS_RETURN_IF_ERROR(k->set_arg(2, out));
  EFAAS_RETURN_IF_ERROR(k->set_arg(3, uint64_t(out_offset)));
  EFAAS_RETURN_IF_ERROR(k->set_arg(4, uint64_t(n)));
  return launch1d(*out.device(), *k, n);
}

Status opencl_blake3_compress_inject_device(OpenClBuffer& nodes, size_t offset,
                                            const OpenClBuffer& inject, size_t n) {
  const char* op = "opencl blake3 compress inject";
  EFAAS_RETURN_IF_ERROR(check_range(op, "nodes", nodes, offset, n, kDigestBytes));
  EFAAS_RETURN_IF_ERROR(check_range(op, "injected digests", inject, 0, n, kDigestBytes));
  if (nodes.device() != inject.device()) {
    return invalid_argument(std::string(op) + ": buffers on different devices");
  }
  if (n == 0) return Status::ok();
  Result<OpenClKernel> k = b3_kernel(*nodes.device(), "b3_compress_inject");
  if (!k) return k.status();
  EFAAS_RETURN_IF_ERROR(k->set_arg(0, nodes));
  EFAAS_RETURN_IF_ERROR(k->set_arg(1, uint64_t(offset)));
  EFAAS_RETURN_IF_ERROR(k->set_arg(2, inject));
  EFAAS_RETURN_IF_ERROR(k->set_arg(3, uint64_t(n)));
  return launch1d(*nodes.device(), *k, n);
}

Status opencl_blake3_hash_matrix_rows(std::span<const MatrixView> matrices, std::span<Digest> out,
                                      int device) {
  return hash_opencl::hash_matrix_rows_via(
      matrices, out, device, [](std::span<const OpenClMatrix> mats, OpenClBuffer& digests) {
        return opencl_blake3_hash_rows_device(mats, digests);
      });
}

Status opencl_blake3_compress_pairs(std::span<const Digest> in, std::span<Digest> out,
                                    int device) {
  return hash_opencl::compress_pairs_via("opencl blake3 compress pairs", in, out, device,
                                         opencl_blake3_compress_pairs_device);
}

}  // namespace efaas
