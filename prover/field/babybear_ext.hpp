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
    const Fp w = Fp::from_canonical(kW);
    const auto& a = c_;
    const auto& b = o.c_;
    return {a[0] * b[0] + w * (a[1] * b[3] + a[2] * b[2] + a[3] * b[1]),
            a[0] * b[1] + a[1] * b[0] + w * (a[2] * b[3] + a[3] * b[2]),
            a[0] * b[2] + a[1] * b[1] + a[2] * b[0] + w * (a[3] * b[3]),
            a[0] * b[3] + a[1] * b[2] + a[2] * b[1] + a[3] * b[0]};
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
