// The Pippenger kernel for the baseline x86-64 target.
#define EFAAS_MSM_NS generic
#include "prover/msm/msm_kernel.hpp"

namespace efaas::msm::generic {

Jacobian<Fq> pippenger_g1(const Affine<Fq>* points, const Limbs* scalars, size_t n, uint32_t c,
                          ThreadPool& pool) {
  return pippenger(points, scalars, n, c, pool);
}
Jacobian<Fq2> pippenger_g2(const Affine<Fq2>* points, const Limbs* scalars, size_t n,
                           uint32_t c, ThreadPool& pool) {
  return pippenger(points, scalars, n, c, pool);
}

}  // namespace efaas::msm::generic
