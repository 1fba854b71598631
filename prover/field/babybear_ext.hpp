#pragma once
// The degree-4 extension Fp4 = Fp[x] / (x^4 - 11), used for challenges, LogUp and FRI.
#include <array>
#include <string>

#include "prover/field/babybear.hpp"

namespace efaas {

class Fp4 {
 public:
  static constexpr uint32_t kW = 11;  // x^4 = W; x^4 - 11 is irreducible over BabyBear.

  constexpr Fp4() = default;
  constexpr explicit Fp4(Fp c0) : c_{c0, Fp::zero(), Fp::zero(), Fp::zero()} {}
  constexpr Fp4(Fp c0, Fp c1, Fp c2, Fp c3) : c_{c0, c1, c2, c3} {}
  static constexpr Fp4 zero() { return Fp4(); }
  static constexpr Fp4 one() { return Fp4(Fp::one()); }

  constexpr const std::array<Fp, 4>& coeffs() const { return c_; }
  constexpr Fp operator[](size_t i) const { return c_[i]; }
  constexpr bool is_zero() const { return *this == Fp4(); }
  constexpr bool operator==(const Fp4&) const = default;

  constexpr Fp4 operator+(const Fp4& o) const {
    return {c_[0] + o.c_[0], c_[1] + o.c_[1], c_[2] + o.c_[2], c_[3] + o.c_[3]};
  }
  constexpr Fp4 operator-(const Fp4& o) const {
    return {c_[0] - o.c_[0], c_[1] - o.c_[1], c_[2] - o.c_[2], c_[3] - o.c_[3]};
  }
  constexpr Fp4 operator-() const { return {-c_[0], -c_[1], -c_[2], -c_[3]}; }
  constexpr Fp4 operator*(const Fp4& o) const {
    // Schoolbook with x^4 = W, each coefficient a sum of four 62-bit products reduced once
    // (W b_i is formed first; multiplying a Montgomery representative by the integer W is
    // multiplying the element by W).
    const uint64_t a0 = c_[0].montgomery(), a1 = c_[1].montgomery(), a2 = c_[2].montgomery(),
                   a3 = c_[3].montgomery();
    const uint64_t b0 = o.c_[0].montgomery(), b1 = o.c_[1].montgomery(),
                   b2 = o.c_[2].montgomery(), b3 = o.c_[3].montgomery();
    const uint64_t wb1 = (b1 * kW) % Fp::kP, wb2 = (b2 * kW) % Fp::kP, wb3 = (b3 * kW) % Fp::kP;
    return {Fp::from_montgomery(Fp::mont_reduce_wide(a0 * b0 + a1 * wb3 + a2 * wb2 + a3 * wb1)),
            Fp::from_montgomery(Fp::mont_reduce_wide(a0 * b1 + a1 * b0 + a2 * wb3 + a3 * wb2)),
            Fp::from_montgomery(Fp::mont_reduce_wide(a0 * b2 + a1 * b1 + a2 * b0 + a3 * wb3)),
            Fp::from_montgomery(Fp::mont_reduce_wide(a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0))};
  }
  constexpr Fp4 operator*(Fp s) const { return {c_[0] * s, c_[1] * s, c_[2] * s, c_[3] * s}; }
  constexpr Fp4& operator+=(const Fp4& o) { return *this = *this + o; }
  constexpr Fp4& operator-=(const Fp4& o) { return *this = *this - o; }
  constexpr Fp4& operator*=(const Fp4& o) { return *this = *this * o; }
  constexpr Fp4& operator*=(Fp s) { return *this = *this * s; }

  constexpr Fp4 square() const { return *this * *this; }
  Fp4 pow(uint64_t e) const;
  // x -> x^p: coefficient i is multiplied by W^(i(p-1)/4).
  Fp4 frobenius() const;
  // Inverse via the norm: a^-1 = a^(p+p^2+p^3) / N(a), N(a) in Fp. Zero maps to zero.
  Fp4 inverse() const;

 private:
  std::array<Fp, 4> c_{};
};

std::string to_string(const Fp4& x);

}  // namespace efaas
