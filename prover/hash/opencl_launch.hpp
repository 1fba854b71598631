#pragma once
// Shared by the OpenCL hash wrappers (poseidon2_opencl.cpp, blake3_opencl.cpp): buffer range
// checks and one-dimensional launches.
#include <algorithm>
#include <cstddef>
#include <string>

#include "prover/common/status.hpp"
#include "prover/device/opencl_runtime.hpp"

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

// One work-item per item in work-groups of kGroup (the kernels skip the padding items): a fixed,
// moderate size suits GPUs and lets PoCL vectorize across work-items.
inline constexpr size_t kGroup = 64;

inline Status launch1d(OpenClDevice& dev, const OpenClKernel& k, size_t n) {
  const size_t wg = std::min(kGroup, std::max<size_t>(1, k.max_work_group_size()));
  return dev.launch(k, {(n + wg - 1) / wg * wg}, {wg});
}

}  // namespace efaas::hash_opencl
