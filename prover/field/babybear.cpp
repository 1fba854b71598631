#include "prover/field/babybear.hpp"

#include <cassert>

namespace efaas {

Fp Fp::two_adic_generator(uint32_t log_n) {
  assert(log_n <= kTwoAdicity);
  // g^((p-1)/2^27) has order exactly 2^27 because g generates the whole group.
  static const Fp root27 = Fp::from_canonical(kGenerator).pow((kP - 1) >> kTwoAdicity);
  Fp r = root27;
  for (uint32_t i = log_n; i < kTwoAdicity; ++i) r = r.square();
  return r;
}

std::string to_string(Fp x) { return std::to_string(x.to_canonical()); }

}  // namespace efaas
