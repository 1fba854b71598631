#include "prover/ec/pairing.hpp"

#include <gmp.h>

#include <vector>

namespace efaas::bn254 {

namespace {

using BigExp = std::vector<uint64_t>;

BigExp export_words(const mpz_t z) {
  BigExp w((mpz_sizeinbase(z, 2) + 63) / 64 + 1, 0);
  size_t count = 0;
  mpz_export(w.data(), &count, -1, 8, 0, 0, z);
  w.resize(count);
  return w;
}

Fq2 pow_big(const Fq2& b, const BigExp& e) {
  Fq2 r = Fq2::one();
  for (size_t i = e.size() * 64; i-- > 0;) {
    r = r.square();
    if ((e[i / 64] >> (i % 64)) & 1) r *= b;
  }
  return r;
}

struct Constants {
  Fq2 g12, g13;  // xi^((p-1)/3), xi^((p-1)/2): Frobenius on the twist
  Fq2 g22, g23;  // xi^((p^2-1)/3), xi^((p^2-1)/2)
  BigExp final_hard;  // (p^6 + 1) / r
  uint64_t loop_lo = 0, loop_hi = 0;  // 6x + 2, x = 4965661367192848881
};

const Constants& constants() {
  static const Constants c = [] {
    Constants k;
    mpz_t p, r, e, t;
    mpz_inits(p, r, e, t, nullptr);
    mpz_import(p, 4, -1, 8, 0, 0, FqTag::kModulus.data());
    mpz_import(r, 4, -1, 8, 0, 0, FrTag::kModulus.data());
    const Fq2 xi{Fq::from_u64(9), Fq::one()};
    mpz_sub_ui(e, p, 1);
    mpz_divexact_ui(t, e, 3);
    k.g12 = pow_big(xi, export_words(t));
    mpz_divexact_ui(t, e, 2);
    k.g13 = pow_big(xi, export_words(t));
    mpz_mul(e, p, p);
    mpz_sub_ui(e, e, 1);
    mpz_divexact_ui(t, e, 3);
    k.g22 = pow_big(xi, export_words(t));
    mpz_divexact_ui(t, e, 2);
    k.g23 = pow_big(xi, export_words(t));
    mpz_pow_ui(e, p, 6);
    mpz_add_ui(e, e, 1);
    mpz_divexact(t, e, r);
    k.final_hard = export_words(t);
    mpz_clears(p, r, e, t, nullptr);
    u128 loop = u128(4965661367192848881ULL) * 6 + 2;
    k.loop_lo = uint64_t(loop);
    k.loop_hi = uint64_t(loop >> 64);
    return k;
  }();
  return c;
}

// The line through T with slope lambda, evaluated at P after untwisting
// (x, y) -> (x w^2, y w^3): yP - lambda xP w + (lambda xT - yT) w^3.
Fq12 line_value(const Fq2& lambda, const G2Affine& t, const G1Affine& p) {
  Fq12 l;
  l.c0 = Fq6{Fq2{p.y, Fq::zero()}, Fq2::zero(), Fq2::zero()};
  l.c1 = Fq6{-(lambda * p.x), lambda * t.x - t.y, Fq2::zero()};
  return l;
}

// T <- 2T, returns the tangent line at P.
Fq12 step_double(G2Affine& t, const G1Affine& p) {
  if (t.infinity) return Fq12::one();
  if (t.y.is_zero()) {  // vertical tangent: the line lies in a subfield the final exponent kills
    t = G2Affine::identity();
    return Fq12::one();
  }
  Fq2 x2 = t.x.square();
  Fq2 lambda = (x2.dbl() + x2) * t.y.dbl().inverse();
  Fq12 l = line_value(lambda, t, p);
  Fq2 x3 = lambda.square() - t.x.dbl();
  Fq2 y3 = lambda * (t.x - x3) - t.y;
  t = {x3, y3, false};
  return l;
}

// T <- T + Q, returns the chord through them at P.
Fq12 step_add(G2Affine& t, const G2Affine& q, const G1Affine& p) {
  if (q.infinity) return Fq12::one();
  if (t.infinity) {
    t = q;
    return Fq12::one();
  }
  if (t.x == q.x) {
    if (t.y == q.y) return step_double(t, p);
    t = G2Affine::identity();  // vertical chord, killed by the final exponentiation
    return Fq12::one();
  }
  Fq2 lambda = (q.y - t.y) * (q.x - t.x).inverse();
  Fq12 l = line_value(lambda, t, p);
  Fq2 x3 = lambda.square() - t.x - q.x;
  Fq2 y3 = lambda * (t.x - x3) - t.y;
  t = {x3, y3, false};
  return l;
}

}  // namespace

Fq12 miller_loop(const G1Affine& p, const G2Affine& q) {
  if (p.infinity || q.infinity) return Fq12::one();
  const Constants& k = constants();
  Fq12 f = Fq12::one();
  G2Affine t = q;
  int top = 64 + 63 - __builtin_clzll(k.loop_hi);  // loop_hi != 0: 6x+2 has 65 bits
  for (int i = top - 1; i >= 0; --i) {
    f = f.square() * step_double(t, p);
    uint64_t bit = i >= 64 ? (k.loop_hi >> (i - 64)) & 1 : (k.loop_lo >> i) & 1;
    if (bit) f *= step_add(t, q, p);
  }
  // Q1 = pi(Q), Q2 = pi^2(Q); add Q1 and -Q2.
  G2Affine q1{q.x.conjugate() * k.g12, q.y.conjugate() * k.g13, false};
  G2Affine q2n{q.x * k.g22, -(q.y * k.g23), false};
  f *= step_add(t, q1, p);
  f *= step_add(t, q2n, p);
  return f;
}

Fq12 final_exponentiation(const Fq12& f) {
  const Constants& k = constants();
  Fq12 f1 = f.conjugate() * f.inverse();  // f^(p^6 - 1)
  return f1.pow(k.final_hard.data(), k.final_hard.size());
}

Fq12 pairing(const G1Affine& p, const G2Affine& q) {
  return final_exponentiation(miller_loop(p, q));
}

bool pairing_product_is_one(std::span<const std::pair<G1Affine, G2Affine>> pairs) {
  Fq12 f = Fq12::one();
  for (const auto& [p, q] : pairs) f *= miller_loop(p, q);
  return final_exponentiation(f).is_one();
}

}  // namespace efaas::bn254
