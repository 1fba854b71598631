#pragma once
// Multi-scalar multiplication sum_i k_i P_i over BN254 G1 and G2: Pippenger's bucket method with
// signed-digit windows (digits in [-2^(c-1), 2^(c-1)), so 2^(c-1) buckets per window), the
// window width c chosen by size, windows spread across the hwloc-pinned thread pool.
//
// Scalars are canonical integers in [0, r) as little-endian 64-bit limbs. A scalar >= r is
// rejected with OUT_OF_RANGE naming its index (never silently reduced: such a value means the
// caller mixed up Montgomery and canonical form). Points are affine and must be on the curve
// (the .zkey reader checks); the point at infinity, zero scalars and repeated points are fine.
#include <cstdint>
#include <span>

#include "prover/common/status.hpp"
#include "prover/device/backend.hpp"
#include "prover/ec/curve.hpp"

namespace efaas::msm {

using bn254::G1Affine;
using bn254::G1Jacobian;
using bn254::G2Affine;
using bn254::G2Jacobian;
using bn254::Limbs;

struct MsmConfig {
  // kAuto and kScalar: the CPU kernel. Its field products use mulx/adx when the CPU has
  // BMI2+ADX, process-wide (bn254::mulx_enabled(); EFAAS_DISABLE_MULX=1 forces portable C++).
  // kAuto also runs the batch-affine bucket additions on AVX-512 IFMA where the CPU has it
  // (ifma::bn254_usable(); EFAAS_DISABLE_IFMA=1 turns it off); kScalar never does.
  // kOpenCl: G1 only (the device sums the buckets, the host reduces them; UNIMPLEMENTED for
  // G2, UNAVAILABLE without a device). kAvx2 has no MSM kernel: UNIMPLEMENTED.
  Backend backend = Backend::kAuto;
  size_t threads = 0;        // 0 = one per allowed core
  uint32_t window_bits = 0;  // 0 = chosen by size; else 1..16
  int opencl_device = 0;     // index into list_opencl_devices()
};

Result<G1Jacobian> msm_g1(std::span<const G1Affine> points, std::span<const Limbs> scalars,
                          const MsmConfig& cfg = {});
Result<G2Jacobian> msm_g2(std::span<const G2Affine> points, std::span<const Limbs> scalars,
                          const MsmConfig& cfg = {});

// The window width msm_* uses for n points (after dropping infinity points and zero scalars):
// the c minimizing the estimated field products, windows * (n * add + 24 * 2^(c-1)).
uint32_t default_window_bits(size_t n);

}  // namespace efaas::msm
