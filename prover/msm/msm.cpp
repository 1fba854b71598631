#include "prover/msm/msm.hpp"

#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include "prover/common/thread_pool.hpp"
#include "prover/msm/msm_kernel.hpp"
#include "prover/msm/msm_opencl.hpp"


namespace efaas::msm {



uint32_t default_window_bits(size_t n) {
  // Cost in field products: every point costs one bucket addition per window (about 7 with
  // batch-affine buckets from c = 10, 10 with XYZZ below), and each window's running-sum
  // reduction costs about 24 per bucket.
  uint32_t best = 2;
  double best_cost = 1e300;
  for (uint32_t c = 2; c <= 16; ++c) {
    const double add = c >= kernel::kMinBatchAffineBits ? 7.0 : 10.0;
    const double cost = double((256 + c - 1) / c) *
                        (double(n) * add + 24.0 * double(uint64_t(1) << (c - 1)));
    if (cost < best_cost) {
      best_cost = cost;
      best = c;
    }
  }
  return best;
}

namespace {

struct Plan {
  bool opencl = false;
  uint32_t c = 0;
  ThreadPool* pool = nullptr;
};

template <typename P>
Result<Plan> plan(std::span<const P> points, std::span<const Limbs> scalars,
                  const MsmConfig& cfg) {
  if (points.size() != scalars.size()) {
    return invalid_argument("MSM: " + std::to_string(points.size()) + " points but " +
                            std::to_string(scalars.size()) + " scalars");
  }
  for (size_t i = 0; i < scalars.size(); ++i) {
    if (!bn254::Fr::is_canonical(scalars[i])) {
      return out_of_range("MSM: scalar " + std::to_string(i) +
                          " is not below the group order r (scalars must be canonical)");
    }
  }
  if (cfg.window_bits > 16) {
    return invalid_argument("MSM: window_bits " + std::to_string(cfg.window_bits) +
                            " outside 1..16");
  }
  Plan p;
  switch (cfg.backend) {
    case Backend::kAuto:
    case Backend::kScalar:
      break;
    case Backend::kAvx2:
      return unimplemented("MSM: no AVX2 kernel (the CPU path uses mulx; pick auto or scalar)");
    case Backend::kOpenCl: {
      if constexpr (!std::is_same_v<P, G1Affine>) {
        return unimplemented("MSM: the OpenCL backend covers G1 only (G2 runs on the CPU)");
      }
      Result<Backend> b = resolve_backend(Backend::kOpenCl);
      if (!b) return b.status();
      p.opencl = true;
      break;
    }
  }
  p.c = cfg.window_bits ? cfg.window_bits : default_window_bits(points.size());
  if (p.c < 2) p.c = 2;  // one bucket per window would leave no room for signed digits
  p.pool = &ThreadPool::with_threads(cfg.threads);
  return p;
}

}  // namespace

namespace {

bool is_zero(const Limbs& k) { return (k[0] | k[1] | k[2] | k[3]) == 0; }

// Drops the terms that contribute nothing (point at infinity or zero scalar) when there are
// many: Groth16's A and B bases are largely infinity. The window is chosen for what is left.
template <typename P>
struct Compacted {
  std::vector<P> points;
  std::vector<Limbs> scalars;
  std::span<const P> p;
  std::span<const Limbs> k;
};

template <typename P>
void compact(std::span<const P> points, std::span<const Limbs> scalars, Compacted<P>& out) {
  size_t live = 0;
  for (size_t i = 0; i < points.size(); ++i) live += !points[i].infinity && !is_zero(scalars[i]);
  if (live * 8 > points.size() * 7) {  // under 1/8 trivial: not worth a copy
    out.p = points;
    out.k = scalars;
    return;
  }
  out.points.reserve(live);
  out.scalars.reserve(live);
  for (size_t i = 0; i < points.size(); ++i) {
    if (points[i].infinity || is_zero(scalars[i])) continue;
    out.points.push_back(points[i]);
    out.scalars.push_back(scalars[i]);
  }
  out.p = out.points;
  out.k = out.scalars;
}

}  // namespace

Result<G1Jacobian> msm_g1(std::span<const G1Affine> points, std::span<const Limbs> scalars,
                          const MsmConfig& cfg) {
  Result<Plan> p = plan(points, scalars, cfg);
  if (!p) return p.status();
  Compacted<G1Affine> c;
  compact(points, scalars, c);
  if (c.p.empty()) return G1Jacobian::identity();
  const uint32_t bits = cfg.window_bits ? p->c : std::max(2u, default_window_bits(c.p.size()));
  if (p->opencl) return msm_g1_opencl(c.p, c.k, bits, cfg.opencl_device, *p->pool);
  const bool ifma = cfg.backend == Backend::kAuto && ifma::bn254_usable();
  return kernel::pippenger_g1(c.p.data(), c.k.data(), c.p.size(), bits, *p->pool, ifma);
}

Result<G2Jacobian> msm_g2(std::span<const G2Affine> points, std::span<const Limbs> scalars,
                          const MsmConfig& cfg) {
  Result<Plan> p = plan(points, scalars, cfg);
  if (!p) return p.status();
  Compacted<G2Affine> c;
  compact(points, scalars, c);
  if (c.p.empty()) return G2Jacobian::identity();
  const uint32_t bits = cfg.window_bits ? p->c : std::max(2u, default_window_bits(c.p.size()));
  const bool ifma = cfg.backend == Backend::kAuto && ifma::bn254_usable();
  return kernel::pippenger_g2(c.p.data(), c.k.data(), c.p.size(), bits, *p->pool, ifma);
}

}  // namespace efaas::msm
