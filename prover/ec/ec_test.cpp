#include <gmp.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

#include "kernels/avx512/bn254_ifma.hpp"
#include "prover/common/rng.hpp"
#include "prover/ec/curve.hpp"
#include "prover/ec/fr_ntt.hpp"
#include "prover/ec/pairing.hpp"

namespace efaas::bn254 {
namespace {

// A GMP integer, for the oracle side.
struct Z {
  mpz_t v;
  Z() { mpz_init(v); }
  explicit Z(const Limbs& l) {
    mpz_init(v);
    mpz_import(v, 4, -1, 8, 0, 0, l.data());
  }
  ~Z() { mpz_clear(v); }
  Z(const Z&) = delete;
  Limbs limbs() const {
    Limbs r{};
    size_t c = 0;
    mpz_export(r.data(), &c, -1, 8, 0, 0, v);
    return r;
  }
};

template <typename F>
Limbs random_canonical(Rng& rng) {
  for (;;) {
    Limbs l{rng.next_u64(), rng.next_u64(), rng.next_u64(), rng.next_u64() >> 2};
    if (F::is_canonical(l)) return l;
  }
}

template <typename F>
void check_against_gmp(Rng& rng) {
  Z p(F::kModulus);
  for (int it = 0; it < 2000; ++it) {
    Limbs a = random_canonical<F>(rng), b = random_canonical<F>(rng);
    if (it == 0) a = Limbs{0, 0, 0, 0};
    if (it == 1) b = detail::sub_nb(F::kModulus, Limbs{1, 0, 0, 0});  // p - 1
    if (it == 2) a = b = detail::sub_nb(F::kModulus, Limbs{1, 0, 0, 0});
    if (it == 3) a = Limbs{~0ULL, ~0ULL, ~0ULL, F::kModulus[3] - 1};
    F fa = F::from_canonical_unchecked(a), fb = F::from_canonical_unchecked(b);
    ASSERT_EQ(fa.to_canonical(), a);
    Z za(a), zb(b), r;
    mpz_mul(r.v, za.v, zb.v);
    mpz_mod(r.v, r.v, p.v);
    ASSERT_EQ((fa * fb).to_canonical(), r.limbs()) << "mul, iteration " << it;
    mpz_add(r.v, za.v, zb.v);
    mpz_mod(r.v, r.v, p.v);
    ASSERT_EQ((fa + fb).to_canonical(), r.limbs()) << "add";
    mpz_sub(r.v, za.v, zb.v);
    mpz_mod(r.v, r.v, p.v);
    ASSERT_EQ((fa - fb).to_canonical(), r.limbs()) << "sub";
    if (!fb.is_zero()) {
      mpz_invert(r.v, zb.v, p.v);
      ASSERT_EQ(fb.inverse().to_canonical(), r.limbs()) << "inverse";
      // inverse() is GMP's gcd on the Montgomery value: also against Fermat, and b * b^-1.
      if (it < 50) {
        ASSERT_EQ(fb.inverse(), fb.inverse_by_pow()) << "inverse by pow";
      }
      ASSERT_EQ(fb * fb.inverse(), F::one()) << "b * b^-1";
    }
    if (it == 0) {
      ASSERT_TRUE(fa.inverse().is_zero()) << "0^-1 stays 0";
    }
    ASSERT_EQ(to_decimal(fa), [&] {
      char* s = mpz_get_str(nullptr, 10, za.v);
      std::string out(s);
      free(s);
      return out;
    }());
  }
}

// Both multipliers (mulx/adx assembly and portable C++) against GMP.
template <typename F>
void check_both_multipliers(const char* name) {
  Rng rng(test_seed(name));
  const bool saved = mulx_enabled();
  set_mulx_enabled(false);
  check_against_gmp<F>(rng);
  if (mulx_supported()) {
    set_mulx_enabled(true);
    ASSERT_TRUE(mulx_enabled());
    check_against_gmp<F>(rng);
  } else {
    std::fprintf(stderr, "no BMI2+ADX on this CPU: only the portable multiplier was tested\n");
  }
  set_mulx_enabled(saved);
}

TEST(Bn254Field, FqMatchesGmp) { check_both_multipliers<Fq>("Bn254Field.FqMatchesGmp"); }
TEST(Bn254Field, FrMatchesGmp) { check_both_multipliers<Fr>("Bn254Field.FrMatchesGmp"); }

TEST(Bn254Field, DecimalParsing) {
  EXPECT_EQ(to_decimal(*fq_from_decimal("12345678901234567890123", "x")),
            "12345678901234567890123");
  // p itself and garbage are rejected with the caller's label in the message.
  auto r = fq_from_decimal(
      "21888242871839275222246405745257275088696311157297823662689037894645226208583", "pi_a[0]");
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("pi_a[0]"), std::string::npos);
  EXPECT_FALSE(fr_from_decimal("-1", "x"));
  EXPECT_FALSE(fr_from_decimal("", "x"));
  EXPECT_FALSE(fr_from_decimal("12a", "x"));
  EXPECT_TRUE(fr_from_decimal(
      "21888242871839275222246405745257275088548364400416034343698204186575808495616", "x"));
  EXPECT_FALSE(fr_from_decimal(
      "21888242871839275222246405745257275088548364400416034343698204186575808495617", "x"));
}

TEST(Bn254Field, RootOfUnity) {
  // The 2^28-th root used by ffjavascript/snarkjs and arkworks.
  EXPECT_EQ(to_decimal(fr_root_of_unity(28)),
            "19103219067921713944291392827692070036145651957329286315305642004821462161904");
  Fr w = fr_root_of_unity(28);
  Fr x = w;
  for (int i = 0; i < 27; ++i) x = x.square();
  EXPECT_EQ(x, -Fr::one());  // primitive: w^(2^27) = -1
  EXPECT_EQ(x.square(), Fr::one());
}

TEST(Bn254Tower, FieldAxioms) {
  Rng rng(test_seed("Bn254Tower.FieldAxioms"));
  auto fq = [&] { return Fq::from_canonical_unchecked(random_canonical<Fq>(rng)); };
  auto fq2 = [&] { return Fq2{fq(), fq()}; };
  auto fq6 = [&] { return Fq6{fq2(), fq2(), fq2()}; };
  for (int it = 0; it < 20; ++it) {
    Fq12 a{fq6(), fq6()}, b{fq6(), fq6()}, c{fq6(), fq6()};
    EXPECT_EQ((a * b) * c, a * (b * c));
    EXPECT_EQ(a * b, b * a);
    EXPECT_EQ(a * a.inverse(), Fq12::one());
    Fq2 x = fq2();
    EXPECT_EQ(x * x.inverse(), Fq2::one());
    EXPECT_EQ(x.square(), x * x);
    // xi = 9 + u
    const Fq2 xi{Fq::from_u64(9), Fq::one()};
    EXPECT_EQ(x.mul_by_xi(), x * xi);
    // u^2 = -1
    Fq2 u{Fq::zero(), Fq::one()};
    EXPECT_EQ(u * u, -Fq2::one());
  }
}

TEST(Bn254Curve, GeneratorsAndOrder) {
  EXPECT_TRUE(is_on_curve(g1_generator()));
  EXPECT_TRUE(is_on_curve(g2_generator()));
  EXPECT_TRUE(G1Jacobian::from_affine(g1_generator()).mul(kGroupOrder).is_identity());
  EXPECT_TRUE(is_in_subgroup(g2_generator()));
  EXPECT_FALSE(G1Jacobian::from_affine(g1_generator())
                   .mul(detail::sub_nb(kGroupOrder, Limbs{1, 0, 0, 0}))
                   .is_identity());
  G1Affine bad = g1_generator();
  bad.y = bad.y + Fq::one();
  EXPECT_FALSE(is_on_curve(bad));
}

template <typename F>
void check_group_law(const Affine<F>& g, Rng& rng) {
  using J = Jacobian<F>;
  J gj = J::from_affine(g);
  // Naive multiples by repeated addition against double-and-add.
  J acc;
  for (uint64_t k = 0; k < 40; ++k) {
    ASSERT_EQ(acc, gj.mul(Limbs{k, 0, 0, 0})) << "k=" << k;
    ASSERT_TRUE(acc.is_identity() || is_on_curve(acc.to_affine()));
    acc = acc.add_affine(g);
  }
  for (int it = 0; it < 10; ++it) {
    Limbs a = random_canonical<Fr>(rng), b = random_canonical<Fr>(rng);
    Fr fa = Fr::from_canonical_unchecked(a), fb = Fr::from_canonical_unchecked(b);
    J pa = gj.mul(a), pb = gj.mul(b);
    J sum = gj.mul((fa + fb).to_canonical());
    EXPECT_EQ(pa + pb, sum);
    EXPECT_EQ(pa.add_affine(pb.to_affine()), sum);
    EXPECT_EQ(pa + pa, pa.dbl());
    EXPECT_EQ(pa.add_affine(pa.to_affine()), pa.dbl());
    EXPECT_TRUE((pa + (-pa)).is_identity());
    EXPECT_TRUE(pa.add_affine((-pa).to_affine()).is_identity());
    EXPECT_EQ(pa + J::identity(), pa);
    EXPECT_EQ(J::identity().add_affine(pa.to_affine()), pa);
    EXPECT_EQ(gj.mul((fa * fb).to_canonical()), pa.mul(b));
  }
}

template <typename F>
void check_batch_add(const Affine<F>& g, Rng& rng) {
  using J = Jacobian<F>;
  const size_t n = 64;
  std::vector<Affine<F>> a(n), b(n);
  for (size_t i = 0; i < n; ++i) {
    a[i] = J::from_affine(g).mul(random_canonical<Fr>(rng)).to_affine();
    b[i] = J::from_affine(g).mul(random_canonical<Fr>(rng)).to_affine();
  }
  b[3] = a[3];                     // doubling
  b[5] = -a[5];                    // cancellation
  a[7] = Affine<F>::identity();    // infinity on either side
  b[9] = Affine<F>::identity();
  std::vector<Affine<F>> want(n);
  for (size_t i = 0; i < n; ++i) {
    want[i] = (J::from_affine(a[i]) + J::from_affine(b[i])).to_affine();
  }
  batch_add_affine(a.data(), b.data(), n);
  for (size_t i = 0; i < n; ++i) EXPECT_EQ(a[i], want[i]) << "i=" << i;
  EXPECT_TRUE(a[5].infinity);
}

TEST(Bn254Curve, BatchAffineAddition) {
  Rng rng(test_seed("Bn254Curve.BatchAffineAddition"));
  check_batch_add(g1_generator(), rng);
  check_batch_add(g2_generator(), rng);
}

TEST(Bn254Curve, G1GroupLaw) {
  Rng rng(test_seed("Bn254Curve.G1GroupLaw"));
  check_group_law(g1_generator(), rng);
}

TEST(Bn254Curve, G2GroupLaw) {
  Rng rng(test_seed("Bn254Curve.G2GroupLaw"));
  check_group_law(g2_generator(), rng);
}

TEST(Bn254Pairing, Bilinear) {
  Rng rng(test_seed("Bn254Pairing.Bilinear"));
  const G1Affine g1 = g1_generator();
  const G2Affine g2 = g2_generator();
  Fq12 e = pairing(g1, g2);
  EXPECT_NE(e, Fq12::one());  // non-degenerate
  EXPECT_TRUE(e.pow(kGroupOrder.data(), 4).is_one());  // lands in the order-r subgroup
  for (int it = 0; it < 2; ++it) {
    Limbs a = random_canonical<Fr>(rng), b = random_canonical<Fr>(rng);
    Fr ab = Fr::from_canonical_unchecked(a) * Fr::from_canonical_unchecked(b);
    G1Affine pa = G1Jacobian::from_affine(g1).mul(a).to_affine();
    G2Affine qb = G2Jacobian::from_affine(g2).mul(b).to_affine();
    Limbs abl = ab.to_canonical();
    EXPECT_EQ(pairing(pa, qb), e.pow(abl.data(), 4));
    EXPECT_EQ(pairing(pa, qb), pairing(G1Jacobian::from_affine(g1).mul(abl).to_affine(), g2));
    // e(aP, bQ) e(-abP, Q) = 1, and a wrong exponent is not.
    std::pair<G1Affine, G2Affine> ok[] = {
        {pa, qb}, {-G1Jacobian::from_affine(g1).mul(abl).to_affine(), g2}};
    EXPECT_TRUE(pairing_product_is_one(ok));
    std::pair<G1Affine, G2Affine> bad[] = {{pa, qb}, {-g1, g2}};
    EXPECT_FALSE(pairing_product_is_one(bad));
  }
  EXPECT_TRUE(pairing(G1Affine::identity(), g2).is_one());
}

TEST(Bn254Ntt, MatchesNaiveDft) {
  Rng rng(test_seed("Bn254Ntt.MatchesNaiveDft"));
  for (uint32_t log_n : {0u, 1u, 3u, 6u, 9u}) {
    const size_t n = size_t(1) << log_n;
    std::vector<Fr> c(n), y(n), ref(n);
    for (auto& x : c) x = Fr::from_canonical_unchecked(random_canonical<Fr>(rng));
    Fr shift = Fr::from_u64(7);
    y = c;
    ASSERT_TRUE(fr_ntt(y).is_ok());
    fr_naive_dft(c, ref);
    ASSERT_EQ(y, ref) << "log_n=" << log_n;
    ASSERT_TRUE(fr_intt(y).is_ok());
    ASSERT_EQ(y, c);
    y = c;
    ASSERT_TRUE(fr_coset_ntt(y, shift).is_ok());
    fr_naive_dft(c, ref, shift);
    ASSERT_EQ(y, ref);
    ASSERT_TRUE(fr_coset_intt(y, shift).is_ok());
    ASSERT_EQ(y, c);
  }
  // A large one across the pool against the roundtrip and a spot check of one output.
  std::vector<Fr> c(1 << 14);
  for (auto& x : c) x = Fr::from_canonical_unchecked(random_canonical<Fr>(rng));
  std::vector<Fr> y = c;
  ASSERT_TRUE(fr_ntt(y).is_ok());
  Fr w = fr_root_of_unity(14).pow(Limbs{5, 0, 0, 0}), acc = Fr::zero(), p = Fr::one();
  for (const Fr& ci : c) {
    acc += ci * p;
    p *= w;
  }
  EXPECT_EQ(y[5], acc);
  ASSERT_TRUE(fr_intt(y).is_ok());
  EXPECT_EQ(y, c);
  std::vector<Fr> odd(12);
  EXPECT_EQ(fr_ntt(odd).code(), StatusCode::kInvalidArgument);
}

// The IFMA butterflies (where the CPU has them) against the scalar transform and the naive DFT,
// with extreme values (0, r - 1) in the input, on 1 and 2 threads.
TEST(Bn254Ntt, IfmaMatchesScalar) {
  if (!ifma::bn254_usable()) GTEST_SKIP() << "no AVX-512 IFMA on this CPU (or disabled)";
  Rng rng(test_seed("Bn254Ntt.IfmaMatchesScalar"));
  const Fr rm1 = Fr::from_canonical_unchecked(detail::sub_nb(Fr::kModulus, Limbs{1, 0, 0, 0}));
  for (uint32_t log_n : {4u, 5u, 7u, 10u, 13u}) {
    const size_t n = size_t(1) << log_n;
    std::vector<Fr> c(n);
    for (auto& x : c) x = Fr::from_canonical_unchecked(random_canonical<Fr>(rng));
    c[0] = rm1;
    c[1] = Fr::zero();
    c[n - 1] = rm1;
    const Fr shift = Fr::from_u64(5);
    std::vector<Fr> ref(n);
    if (log_n <= 7) fr_naive_dft(c, ref, shift);
    for (size_t threads : {1, 2}) {
      std::vector<Fr> fast = c, slow = c;
      ASSERT_TRUE(fr_coset_ntt(fast, shift, FrNttConfig{threads, true}).is_ok());
      ASSERT_TRUE(fr_coset_ntt(slow, shift, FrNttConfig{threads, false}).is_ok());
      ASSERT_EQ(fast, slow) << "log_n=" << log_n << " threads=" << threads;
      if (log_n <= 7) {
        ASSERT_EQ(fast, ref) << "log_n=" << log_n;
      }
      for (const Fr& y : fast) ASSERT_TRUE(Fr::is_canonical(y.v));
      ASSERT_TRUE(fr_intt(fast, FrNttConfig{threads, true}).is_ok());
      ASSERT_TRUE(fr_intt(slow, FrNttConfig{threads, false}).is_ok());
      ASSERT_EQ(fast, slow);
    }
  }
}

}  // namespace
}  // namespace efaas::bn254
