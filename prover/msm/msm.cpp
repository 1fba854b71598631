#include "prover/msm/msm.hpp"

#include <string>

#include "prover/common/cpu_features.hpp"
#include "prover/common/thread_pool.hpp"


namespace efaas::msm {

namespace generic {
bn254::Jacobian<bn254::Fq> pippenger_g1(const bn254::Affine<bn254::Fq>*, const Limbs*, size_t,
                                        uint32_t, ThreadPool&);
bn254::Jacobian<bn254::Fq2> pippenger_g2(const bn254::Affine<bn254::Fq2>*, const Limbs*, size_t,
                                         uint32_t, ThreadPool&);
}  // namespace generic

uint32_t default_window_bits(size_t n) {
  uint32_t best = 1;
  double best_cost = 1e300;
  for (uint32_t c = 1; c <= 16; ++c) {
    double cost = double((256 + c - 1) / c) * (double(n) + double(uint64_t(1) << c));
    if (cost < best_cost) {
      best_cost = cost;
      best = c;
    }
  }
  return best;
}

namespace {

struct Plan {
  bool use_bmi2 = false;
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
      p.use_bmi2 = cpu_features().bmi2 && cpu_features().adx;
      break;
    case Backend::kScalar:
      break;
    case Backend::kAvx2:
      return unimplemented("MSM: no AVX2 kernel (the CPU path uses mulx; pick auto or scalar)");
    case Backend::kOpenCl:
      return unimplemented("MSM: the OpenCL G1 kernel waits for prover/device/opencl_runtime");
  }
  p.c = cfg.window_bits ? cfg.window_bits : default_window_bits(points.size());
  if (p.c < 2) p.c = 2;  // one bucket per window would leave no room for signed digits
  p.pool = &ThreadPool::with_threads(cfg.threads);
  return p;
}

}  // namespace

Result<G1Jacobian> msm_g1(std::span<const G1Affine> points, std::span<const Limbs> scalars,
                          const MsmConfig& cfg) {
  Result<Plan> p = plan(points, scalars, cfg);
  if (!p) return p.status();
  if (points.empty()) return G1Jacobian::identity();
  return generic::pippenger_g1(points.data(), scalars.data(), points.size(), p->c, *p->pool);
}

Result<G2Jacobian> msm_g2(std::span<const G2Affine> points, std::span<const Limbs> scalars,
                          const MsmConfig& cfg) {
  Result<Plan> p = plan(points, scalars, cfg);
  if (!p) return p.status();
  if (points.empty()) return G2Jacobian::identity();
  return generic::pippenger_g2(points.data(), scalars.data(), points.size(), p->c, *p->pool);
}

}  // namespace efaas::msm
