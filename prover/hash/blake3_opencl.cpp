// BLAKE3 on OpenCL: the kernels are not written yet, so every entry point says so.
#include "prover/hash/blake3_opencl.hpp"

namespace efaas {
namespace {
Status not_yet() {
  return unimplemented("BLAKE3 Merkle hashing on OpenCL: not implemented yet; use the scalar "
                       "or avx2 backend, or the poseidon2 Merkle hash");
}
}  // namespace

Status opencl_blake3_hash_rows_device(std::span<const OpenClMatrix>, OpenClBuffer&, size_t) {
  return not_yet();
}
Status opencl_blake3_compress_pairs_device(const OpenClBuffer&, size_t, OpenClBuffer&, size_t,
                                           size_t) {
  return not_yet();
}
Status opencl_blake3_compress_inject_device(OpenClBuffer&, size_t, const OpenClBuffer&, size_t) {
  return not_yet();
}
Status opencl_blake3_hash_matrix_rows(std::span<const MatrixView>, std::span<Digest>, int) {
  return not_yet();
}
Status opencl_blake3_compress_pairs(std::span<const Digest>, std::span<Digest>, int) {
  return not_yet();
}

}  // namespace efaas
