#pragma once
// BN254 groups: G1 = E(Fq): y^2 = x^3 + 3, and G2 on the sextic D-twist
// E'(Fq2): y^2 = x^3 + 3/(9+u). Affine points (with an infinity flag) and Jacobian points
// (X/Z^2, Y/Z^3; Z = 0 is infinity) with the a = 0 formulas of the Explicit-Formulas Database.
#include <vector>

#include "prover/ec/tower.hpp"

namespace efaas::bn254 {

template <typename F>
struct Affine {
  F x, y;
  bool infinity = true;

  static Affine identity() { return {}; }
  bool operator==(const Affine& o) const {
    if (infinity || o.infinity) return infinity == o.infinity;
    return x == o.x && y == o.y;
  }
  Affine operator-() const { return infinity ? *this : Affine{x, -y, false}; }
};

template <typename F>
struct Jacobian {
  F x = F::one(), y = F::one(), z = F::zero();

  static Jacobian identity() { return {}; }
  bool is_identity() const { return z.is_zero(); }
  static Jacobian from_affine(const Affine<F>& a) {
    if (a.infinity) return {};
    return {a.x, a.y, F::one()};
  }
  Jacobian operator-() const { return {x, -y, z}; }

  Jacobian dbl() const {
    if (is_identity()) return *this;
    // dbl-2009-l
    F a = x.square(), b = y.square(), c = b.square();
    F d = ((x + b).square() - a - c).dbl();
    F e = a.dbl() + a;
    F f = e.square();
    Jacobian r;
    r.x = f - d.dbl();
    r.y = e * (d - r.x) - c.dbl().dbl().dbl();
    r.z = (y * z).dbl();
    return r;
  }

  Jacobian operator+(const Jacobian& q) const {
    if (is_identity()) return q;
    if (q.is_identity()) return *this;
    // add-2007-bl
    F z1z1 = z.square(), z2z2 = q.z.square();
    F u1 = x * z2z2, u2 = q.x * z1z1;
    F s1 = y * q.z * z2z2, s2 = q.y * z * z1z1;
    F h = u2 - u1, rr = (s2 - s1).dbl();
    if (h.is_zero()) return rr.is_zero() ? dbl() : identity();
    F i = h.dbl().square(), j = h * i, v = u1 * i;
    Jacobian r;
    r.x = rr.square() - j - v.dbl();
    r.y = rr * (v - r.x) - (s1 * j).dbl();
    r.z = ((z + q.z).square() - z1z1 - z2z2) * h;
    return r;
  }

  // Mixed addition with an affine point (madd-2007-bl).
  Jacobian add_affine(const Affine<F>& q) const {
    if (q.infinity) return *this;
    if (is_identity()) return from_affine(q);
    F z1z1 = z.square();
    F u2 = q.x * z1z1, s2 = q.y * z * z1z1;
    F h = u2 - x, rr = (s2 - y).dbl();
    if (h.is_zero()) return rr.is_zero() ? dbl() : identity();
    F hh = h.square(), i = hh.dbl().dbl(), j = h * i, v = x * i;
    Jacobian r;
    r.x = rr.square() - j - v.dbl();
    r.y = rr * (v - r.x) - (y * j).dbl();
    r.z = (z + h).square() - z1z1 - hh;
    return r;
  }
  Jacobian& operator+=(const Jacobian& q) { return *this = *this + q; }

  Affine<F> to_affine() const {
    if (is_identity()) return Affine<F>::identity();
    F zi = z.inverse(), zi2 = zi.square();
    return {x * zi2, y * zi2 * zi, false};
  }
  bool operator==(const Jacobian& q) const {
    if (is_identity() || q.is_identity()) return is_identity() == q.is_identity();
    F z1z1 = z.square(), z2z2 = q.z.square();
    return x * z2z2 == q.x * z1z1 && y * q.z * z2z2 == q.y * z * z1z1;
  }
  bool operator!=(const Jacobian& q) const { return !(*this == q); }

  // Double-and-add over a little-endian 256-bit integer (not constant time).
  Jacobian mul(const Limbs& k) const {
    Jacobian r;
    for (int i = 255; i >= 0; --i) {
      r = r.dbl();
      if ((k[i / 64] >> (i % 64)) & 1) r += *this;
    }
    return r;
  }
};

using Fq2Affine = Affine<Fq2>;
using G1Affine = Affine<Fq>;
using G2Affine = Affine<Fq2>;
using G1Jacobian = Jacobian<Fq>;
using G2Jacobian = Jacobian<Fq2>;

// Curve coefficients b: 3 for G1, 3/(9+u) for the twist.
const Fq& g1_b();
const Fq2& g2_b();

G1Affine g1_generator();
G2Affine g2_generator();

bool is_on_curve(const G1Affine& p);
bool is_on_curve(const G2Affine& p);
// r * P == identity (G2 has a large cofactor; G1's is 1).
bool is_in_subgroup(const G2Affine& p);

// Affine conversion of many points with one field inversion.
template <typename F>
void batch_to_affine(const Jacobian<F>* in, Affine<F>* out, size_t n) {
  std::vector<F> zs(n), scratch(n);
  for (size_t i = 0; i < n; ++i) zs[i] = in[i].z;
  batch_inverse(zs.data(), n, scratch.data());
  for (size_t i = 0; i < n; ++i) {
    if (in[i].is_identity()) {
      out[i] = Affine<F>::identity();
      continue;
    }
    F zi2 = zs[i].square();
    out[i] = {in[i].x * zi2, in[i].y * zi2 * zs[i], false};
  }
}

// a[i] += b[i] for every i, in affine coordinates, sharing one field inversion across the
// batch (Montgomery's trick): about 6 products per addition instead of 11 for a mixed Jacobian
// addition plus its share of converting back. Doublings, cancellations and infinity are
// handled (those entries take their own path).
template <typename F>
void batch_add_affine(Affine<F>* a, const Affine<F>* b, size_t n) {
  std::vector<F> den(n), scratch(n);
  std::vector<uint8_t> general(n, 0);
  for (size_t i = 0; i < n; ++i) {
    if (a[i].infinity || b[i].infinity || a[i].x == b[i].x) {
      den[i] = F::zero();  // skipped by batch_inverse
      continue;
    }
    general[i] = 1;
    den[i] = b[i].x - a[i].x;
  }
  batch_inverse(den.data(), n, scratch.data());
  for (size_t i = 0; i < n; ++i) {
    if (!general[i]) {
      a[i] = (Jacobian<F>::from_affine(a[i]) + Jacobian<F>::from_affine(b[i])).to_affine();
      continue;
    }
    F lambda = (b[i].y - a[i].y) * den[i];
    F x3 = lambda.square() - a[i].x - b[i].x;
    a[i].y = lambda * (a[i].x - x3) - a[i].y;
    a[i].x = x3;
  }
}

// The scalar field's order r as an integer.
inline constexpr Limbs kGroupOrder = FrTag::kModulus;

}  // namespace efaas::bn254
