#pragma once
// The OpenCL backend of msm_g1 (called by msm.cpp after validation and compaction).
#include <span>

#include "prover/common/thread_pool.hpp"
#include "prover/msm/msm.hpp"

namespace efaas::msm {

Result<G1Jacobian> msm_g1_opencl(std::span<const G1Affine> points, std::span<const Limbs> scalars,
                                 uint32_t window_bits, int device, ThreadPool& pool);

}  // namespace efaas::msm
