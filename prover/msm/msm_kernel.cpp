// Instantiations of the Pippenger kernel for G1 and G2.
#include "prover/msm/msm_kernel.hpp"

namespace efaas::msm::kernel {

Jacobian<Fq> pippenger_g1(const Affine<Fq>* points, const Limbs* scalars, size_t n, uint32_t c,
                          ThreadPool& pool, bool ifma) {
  return pippenger(points, scalars, n, c, pool, ifma);
}
Jacobian<Fq2> pippenger_g2(const Affine<Fq2>* points, const Limbs* scalars, size_t n,
                           uint32_t c, ThreadPool& pool, bool ifma) {
  return pippenger(points, scalars, n, c, pool, ifma);
}

}  // namespace efaas::msm::kernel
