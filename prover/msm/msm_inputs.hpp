#pragma once
// Random MSM inputs for tests, benchmarks and `efaas bench`: canonical scalars and distinct
// curve points, cheap to make in bulk.
#include <vector>

#include "prover/common/rng.hpp"
#include "prover/ec/curve.hpp"

namespace efaas::msm {

// A uniformly random canonical scalar in [0, r) (rejection sampling on 254 bits).
inline bn254::Limbs random_scalar(Rng& rng) {
  for (;;) {
    bn254::Limbs l{rng.next_u64(), rng.next_u64(), rng.next_u64(), rng.next_u64() >> 2};
    if (bn254::Fr::is_canonical(l)) return l;
  }
}

// Points P_i = (s + i t) G for random s, t: distinct, one addition each instead of a scalar
// multiplication, converted to affine with one batched inversion.
template <typename A>
std::vector<A> random_points(const A& g, size_t n, Rng& rng) {
  using J = bn254::Jacobian<decltype(g.x)>;
  J gj = J::from_affine(g);
  J p = gj.mul(random_scalar(rng)), step = gj.mul(random_scalar(rng));
  std::vector<J> js(n);
  for (size_t i = 0; i < n; ++i) {
    js[i] = p;
    p += step;
  }
  std::vector<A> out(n);
  bn254::batch_to_affine(js.data(), out.data(), n);
  return out;
}

}  // namespace efaas::msm
