#include "prover/field/babybear_ext.hpp"

namespace efaas {

Fp4 Fp4::pow(uint64_t e) const {
  Fp4 base = *this, acc = one();
  while (e) {
    if (e & 1) acc *= base;
    base = base.square();
    e >>= 1;
  }
  return acc;
}

Fp4 Fp4::frobenius() const {
  // (c_i x^i)^p = c_i x^(ip) = c_i (x^4)^(i(p-1)/4) x^i = c_i W^(i(p-1)/4) x^i.
  static const Fp z = Fp::from_canonical(kW).pow((Fp::kP - 1) / 4);
  static const Fp z2 = z * z;
  static const Fp z3 = z2 * z;
  return {c_[0], c_[1] * z, c_[2] * z2, c_[3] * z3};
}

Fp4 Fp4::inverse() const {
  if (is_zero()) return zero();
  const Fp4 f1 = frobenius();
  const Fp4 f2 = f1.frobenius();
  const Fp4 f3 = f2.frobenius();
  const Fp4 conj = f1 * f2 * f3;           // a^(p + p^2 + p^3)
  const Fp norm = (*this * conj)[0];       // a^(1+p+p^2+p^3) lies in Fp
  return conj * norm.inverse();
}

std::string to_string(const Fp4& x) {
  return "[" + to_string(x[0]) + ", " + to_string(x[1]) + ", " + to_string(x[2]) + ", " +
         to_string(x[3]) + "]";
}

}  // namespace efaas
