#pragma once
// The BN254 extension tower used by G2 and the pairing:
//   Fq2  = Fq[u]  / (u^2 + 1)
//   Fq6  = Fq2[v] / (v^3 - xi),  xi = 9 + u
//   Fq12 = Fq6[w] / (w^2 - v)
#include "prover/ec/bn254_field.hpp"

namespace efaas::bn254 {

struct Fq2 {
  Fq c0, c1;

  static Fq2 zero() { return {}; }
  static Fq2 one() { return {Fq::one(), Fq::zero()}; }
  bool is_zero() const { return c0.is_zero() && c1.is_zero(); }
  bool operator==(const Fq2& o) const { return c0 == o.c0 && c1 == o.c1; }
  bool operator!=(const Fq2& o) const { return !(*this == o); }
  Fq2 operator+(const Fq2& b) const { return {c0 + b.c0, c1 + b.c1}; }
  Fq2 operator-(const Fq2& b) const { return {c0 - b.c0, c1 - b.c1}; }
  Fq2 operator-() const { return {-c0, -c1}; }
  Fq2 dbl() const { return {c0.dbl(), c1.dbl()}; }
  Fq2 operator*(const Fq2& b) const {
    Fq t0 = c0 * b.c0, t1 = c1 * b.c1;
    return {t0 - t1, (c0 + c1) * (b.c0 + b.c1) - t0 - t1};
  }
  Fq2 operator*(const Fq& b) const { return {c0 * b, c1 * b}; }
  Fq2& operator+=(const Fq2& b) { return *this = *this + b; }
  Fq2& operator-=(const Fq2& b) { return *this = *this - b; }
  Fq2& operator*=(const Fq2& b) { return *this = *this * b; }
  Fq2 square() const {
    // (c0 + c1)(c0 - c1) + 2 c0 c1 u
    Fq t = c0 * c1;
    return {(c0 + c1) * (c0 - c1), t.dbl()};
  }
  Fq2 conjugate() const { return {c0, -c1}; }
  Fq2 inverse() const {
    Fq n = (c0.square() + c1.square()).inverse();
    return {c0 * n, -(c1 * n)};
  }
  // Multiplication by xi = 9 + u.
  Fq2 mul_by_xi() const {
    Fq t0 = c0.dbl().dbl().dbl() + c0;  // 9 c0
    Fq t1 = c1.dbl().dbl().dbl() + c1;
    return {t0 - c1, t1 + c0};
  }
};

struct Fq6 {
  Fq2 c0, c1, c2;

  static Fq6 zero() { return {}; }
  static Fq6 one() { return {Fq2::one(), Fq2::zero(), Fq2::zero()}; }
  bool is_zero() const { return c0.is_zero() && c1.is_zero() && c2.is_zero(); }
  bool operator==(const Fq6& o) const { return c0 == o.c0 && c1 == o.c1 && c2 == o.c2; }
  Fq6 operator+(const Fq6& b) const { return {c0 + b.c0, c1 + b.c1, c2 + b.c2}; }
  Fq6 operator-(const Fq6& b) const { return {c0 - b.c0, c1 - b.c1, c2 - b.c2}; }
  Fq6 operator-() const { return {-c0, -c1, -c2}; }
  Fq6 operator*(const Fq6& b) const {
    Fq2 t0 = c0 * b.c0, t1 = c1 * b.c1, t2 = c2 * b.c2;
    Fq2 r0 = ((c1 + c2) * (b.c1 + b.c2) - t1 - t2).mul_by_xi() + t0;
    Fq2 r1 = (c0 + c1) * (b.c0 + b.c1) - t0 - t1 + t2.mul_by_xi();
    Fq2 r2 = (c0 + c2) * (b.c0 + b.c2) - t0 - t2 + t1;
    return {r0, r1, r2};
  }
  Fq6 square() const { return *this * *this; }
  // Multiplication by v: (c0 + c1 v + c2 v^2) v = xi c2 + c0 v + c1 v^2.
  Fq6 mul_by_v() const { return {c2.mul_by_xi(), c0, c1}; }
  Fq6 inverse() const {
    Fq2 a = c0.square() - (c1 * c2).mul_by_xi();
    Fq2 b = c2.square().mul_by_xi() - c0 * c1;
    Fq2 c = c1.square() - c0 * c2;
    Fq2 f = c0 * a + (c2 * b + c1 * c).mul_by_xi();
    Fq2 fi = f.inverse();
    return {a * fi, b * fi, c * fi};
  }
};

struct Fq12 {
  Fq6 c0, c1;

  static Fq12 one() { return {Fq6::one(), Fq6::zero()}; }
  bool operator==(const Fq12& o) const { return c0 == o.c0 && c1 == o.c1; }
  bool operator!=(const Fq12& o) const { return !(*this == o); }
  bool is_one() const { return *this == one(); }
  Fq12 operator*(const Fq12& b) const {
    Fq6 t0 = c0 * b.c0, t1 = c1 * b.c1;
    return {t0 + t1.mul_by_v(), (c0 + c1) * (b.c0 + b.c1) - t0 - t1};
  }
  Fq12& operator*=(const Fq12& b) { return *this = *this * b; }
  Fq12 square() const { return *this * *this; }
  // f^(p^6): the conjugate over Fq6.
  Fq12 conjugate() const { return {c0, -c1}; }
  Fq12 inverse() const {
    Fq6 d = (c0.square() - c1.square().mul_by_v()).inverse();
    return {c0 * d, -(c1 * d)};
  }
  // Exponent as little-endian 64-bit words (any length).
  Fq12 pow(const uint64_t* e, size_t words) const {
    Fq12 r = one();
    for (size_t i = words * 64; i-- > 0;) {
      r = r.square();
      if ((e[i / 64] >> (i % 64)) & 1) r *= *this;
    }
    return r;
  }
};

}  // namespace efaas::bn254
