// BabyBear and its extension against GMP big-integer arithmetic and the field axioms.
#include <gmp.h>
#include <gtest/gtest.h>

#include <vector>

#include "kernels/avx2/field_avx2.hpp"
#include "prover/common/cpu_features.hpp"
#include "prover/common/rng.hpp"
#include "prover/field/babybear.hpp"
#include "prover/field/babybear_ext.hpp"
#include "prover/field/field_ops.hpp"

namespace efaas {
namespace {

// (a op b) mod p computed by GMP.
uint32_t gmp_op(uint32_t a, uint32_t b, char op) {
  mpz_t x, y, p;
  mpz_init_set_ui(x, a);
  mpz_init_set_ui(y, b);
  mpz_init_set_ui(p, Fp::kP);
  switch (op) {
    case '+': mpz_add(x, x, y); break;
    case '-': mpz_sub(x, x, y); break;
    case '*': mpz_mul(x, x, y); break;
    case '/': mpz_invert(y, y, p); mpz_mul(x, x, y); break;
  }
  mpz_mod(x, x, p);
  uint32_t r = uint32_t(mpz_get_ui(x));
  mpz_clears(x, y, p, nullptr);
  return r;
}

uint32_t random_canonical(Rng& rng) {
  // Mix in edge values: 0, 1, p-1, p-2 show up often.
  switch (rng.uniform(16)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return Fp::kP - 1;
    case 3: return Fp::kP - 2;
    default: return uint32_t(rng.uniform(Fp::kP));
  }
}

Fp4 random_ext(Rng& rng) {
  return {Fp::from_canonical(random_canonical(rng)), Fp::from_canonical(random_canonical(rng)),
          Fp::from_canonical(random_canonical(rng)), Fp::from_canonical(random_canonical(rng))};
}

TEST(BabyBear, ArithmeticMatchesGmp) {
  Rng rng(test_seed("BabyBear.ArithmeticMatchesGmp"));
  for (int i = 0; i < 20000; ++i) {
    uint32_t a = random_canonical(rng), b = random_canonical(rng);
    Fp fa = Fp::from_canonical(a), fb = Fp::from_canonical(b);
    ASSERT_EQ(fa.to_canonical(), a);
    ASSERT_EQ((fa + fb).to_canonical(), gmp_op(a, b, '+')) << a << " + " << b;
    ASSERT_EQ((fa - fb).to_canonical(), gmp_op(a, b, '-')) << a << " - " << b;
    ASSERT_EQ((fa * fb).to_canonical(), gmp_op(a, b, '*')) << a << " * " << b;
    ASSERT_EQ((-fa).to_canonical(), gmp_op(0, a, '-'));
    if (b != 0) {
      ASSERT_EQ((fa * fb.inverse()).to_canonical(), gmp_op(a, b, '/')) << a << " / " << b;
    }
  }
}

TEST(BabyBear, FromU32ReducesAnyInteger) {
  EXPECT_EQ(Fp::from_u32(Fp::kP).to_canonical(), 0u);
  EXPECT_EQ(Fp::from_u32(0xffffffffu).to_canonical(), 0xffffffffu % Fp::kP);
  EXPECT_EQ(Fp::from_u64(uint64_t(Fp::kP) * 5 + 3).to_canonical(), 3u);
}

TEST(BabyBear, TwoAdicGeneratorsHaveExactOrder) {
  for (uint32_t k = 0; k <= Fp::kTwoAdicity; ++k) {
    Fp g = Fp::two_adic_generator(k);
    EXPECT_EQ(g.pow(uint64_t(1) << k), Fp::one()) << k;
    if (k > 0) {
      EXPECT_NE(g.pow(uint64_t(1) << (k - 1)), Fp::one()) << k;
    }
  }
  // The generator generates: g^((p-1)/q) != 1 for each prime q | p - 1 = 2^27 * 3 * 5.
  Fp g = Fp::from_canonical(Fp::kGenerator);
  for (uint64_t q : {2, 3, 5}) EXPECT_NE(g.pow((Fp::kP - 1) / q), Fp::one()) << q;
}

TEST(BabyBearExt, FieldAxioms) {
  Rng rng(test_seed("BabyBearExt.FieldAxioms"));
  for (int i = 0; i < 2000; ++i) {
    Fp4 a = random_ext(rng), b = random_ext(rng), c = random_ext(rng);
    ASSERT_EQ(a * (b + c), a * b + a * c);
    ASSERT_EQ(a * b, b * a);
    ASSERT_EQ((a * b) * c, a * (b * c));
    ASSERT_EQ(a - a, Fp4::zero());
    if (!a.is_zero()) {
      ASSERT_EQ(a * a.inverse(), Fp4::one()) << to_string(a);
    }
    // Frobenius is the p-th power map, a ring homomorphism of order 4 fixing Fp.
    ASSERT_EQ(a.frobenius(), a.pow(Fp::kP));
    ASSERT_EQ((a * b).frobenius(), a.frobenius() * b.frobenius());
    ASSERT_EQ(a.frobenius().frobenius().frobenius().frobenius(), a);
    Fp s = Fp::from_canonical(random_canonical(rng));
    ASSERT_EQ(Fp4(s).frobenius(), Fp4(s));
    ASSERT_EQ(a * s, a * Fp4(s));
  }
  // x^4 = 11 in this representation.
  Fp4 x(Fp::zero(), Fp::one(), Fp::zero(), Fp::zero());
  EXPECT_EQ(x.pow(4), Fp4(Fp::from_canonical(11)));
  // The multiplicative group has order p^4 - 1: a^(p^4 - 1) = 1, via Frobenius a^(p^4) = a.
  Fp4 a = random_ext(rng);
  EXPECT_EQ(a.frobenius().frobenius().frobenius().frobenius(), a);
}

// Schoolbook product mod x^4 - 11 with one Fp operation at a time: the oracle for the
// lazily-reduced multiplication.
Fp4 naive_mul(const Fp4& a, const Fp4& b) {
  Fp c[7] = {};
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) c[i + j] += a[i] * b[j];
  }
  const Fp w = Fp::from_canonical(11);
  return {c[0] + w * c[4], c[1] + w * c[5], c[2] + w * c[6], c[3]};
}

TEST(BabyBearExt, MultiplicationMatchesSchoolbookIncludingExtremes) {
  Rng rng(test_seed("BabyBearExt.Multiplication"));
  const Fp m = Fp::from_canonical(Fp::kP - 1);
  const Fp4 all_max(m, m, m, m);
  EXPECT_EQ(all_max * all_max, naive_mul(all_max, all_max));
  for (int i = 0; i < 20000; ++i) {
    Fp4 a = random_ext(rng), b = random_ext(rng);
    ASSERT_EQ(a * b, naive_mul(a, b)) << to_string(a) << " * " << to_string(b);
  }
}

TEST(BabyBearExt, NoElementOfTheBaseFieldIsAFourthRootOf11) {
  // x^4 - 11 is irreducible only if 11 is not a square in Fp (p = 1 mod 4): check Euler.
  EXPECT_NE(Fp::from_canonical(11).pow((Fp::kP - 1) / 2), Fp::one());
}

TEST(FieldOps, BatchInverseMatchesSingleInversion) {
  Rng rng(test_seed("FieldOps.BatchInverse"));
  for (size_t n : {0, 1, 2, 7, 8, 9, 17, 1000}) {
    std::vector<Fp> v(n);
    for (auto& x : v) x = Fp::from_canonical(1 + uint32_t(rng.uniform(Fp::kP - 1)));
    std::vector<Fp> out(n);
    ASSERT_TRUE(batch_inverse(v, out).is_ok());
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], v[i].inverse());
    // In place.
    ASSERT_TRUE(batch_inverse(v, v).is_ok());
    EXPECT_EQ(v, out);
    std::vector<Fp4> e(n);
    for (auto& x : e) x = random_ext(rng);
    std::vector<Fp4> eo(n);
    bool has_zero = false;
    for (auto& x : e) has_zero |= x.is_zero();
    if (!has_zero) {
      ASSERT_TRUE(batch_inverse(e, eo).is_ok());
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(eo[i], e[i].inverse());
    }
  }
  // Fp4 through the norm: sparse elements (base-field values, single powers of x, the pairs
  // A and x B of the norm's tower) against the Frobenius inverse, and a zero named by index.
  {
    std::vector<Fp4> sparse;
    for (int mask = 1; mask < 16; ++mask) {
      Fp c[4];
      for (int k = 0; k < 4; ++k) {
        c[k] = (mask >> k) & 1 ? Fp::from_canonical(1 + uint32_t(rng.uniform(Fp::kP - 1)))
                               : Fp::zero();
      }
      sparse.push_back(Fp4(c[0], c[1], c[2], c[3]));
    }
    sparse.push_back(-Fp4::one());
    std::vector<Fp4> inv(sparse.size());
    ASSERT_TRUE(batch_inverse(sparse, inv).is_ok());
    for (size_t i = 0; i < sparse.size(); ++i) {
      ASSERT_EQ(inv[i], sparse[i].inverse()) << to_string(sparse[i]);
      ASSERT_EQ(inv[i] * sparse[i], Fp4::one());
    }
    sparse[5] = Fp4::zero();
    Status z = batch_inverse(sparse, sparse);
    EXPECT_EQ(z.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(z.message().find("element 5 is zero"), std::string::npos) << z.message();
  }
  std::vector<Fp> with_zero = {Fp::one(), Fp::zero(), Fp::one()};
  Status s = batch_inverse(with_zero, with_zero);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("element 1 is zero"), std::string::npos) << s.message();
  std::vector<Fp> small(2);
  EXPECT_FALSE(batch_inverse(with_zero, small).is_ok());
}

TEST(FieldOps, SerializationRoundTripsAndRejectsNonCanonical) {
  Rng rng(test_seed("FieldOps.Serialization"));
  std::vector<Fp> v(100);
  for (auto& x : v) x = Fp::from_canonical(random_canonical(rng));
  std::vector<uint8_t> bytes;
  serialize(v, bytes);
  ASSERT_EQ(bytes.size(), 400u);
  auto back = deserialize_fp(bytes);
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(*back, v);
  // Little-endian canonical values.
  std::vector<uint8_t> one;
  serialize(std::vector<Fp>{Fp::from_canonical(0x01020304)}, one);
  EXPECT_EQ(one, (std::vector<uint8_t>{4, 3, 2, 1}));

  std::vector<uint8_t> bad = bytes;
  bad[40] = 0x01; bad[41] = 0x00; bad[42] = 0x00; bad[43] = 0x78;  // exactly p
  auto r = deserialize_fp(bad);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("byte 40"), std::string::npos) << r.status().message();
  bytes.pop_back();
  EXPECT_FALSE(deserialize_fp(bytes).is_ok());

  std::vector<Fp4> e(10);
  for (auto& x : e) x = random_ext(rng);
  std::vector<uint8_t> eb;
  serialize(e, eb);
  auto eback = deserialize_fp4(eb);
  ASSERT_TRUE(eback.is_ok());
  EXPECT_EQ(*eback, e);
  eb[16 * 3 + 7] = 0xff;  // coefficient 1 of element 3 >= p
  EXPECT_FALSE(deserialize_fp4(eb).is_ok());
}

TEST(FieldAvx2, MatchesScalar) {
  if (!avx2_usable()) GTEST_SKIP() << "AVX2 not available on this CPU";
  Rng rng(test_seed("FieldAvx2.MatchesScalar"));
  const size_t n = 4099;  // not a multiple of 8: the scalar tail runs too
  std::vector<Fp> a(n), b(n), out(n);
  for (size_t i = 0; i < n; ++i) {
    a[i] = Fp::from_canonical(random_canonical(rng));
    b[i] = Fp::from_canonical(random_canonical(rng));
  }
  avx2::add_arrays(a.data(), b.data(), out.data(), n);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], a[i] + b[i]) << i;
  avx2::sub_arrays(a.data(), b.data(), out.data(), n);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], a[i] - b[i]) << i;
  avx2::mul_arrays(a.data(), b.data(), out.data(), n);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], a[i] * b[i]) << i;
  avx2::scale_array(a.data(), b[7], out.data(), n);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], a[i] * b[7]) << i;
}

}  // namespace
}  // namespace efaas
