#include <gtest/gtest.h>

#include <type_traits>
#include <vector>

#include "kernels/avx512/bn254_ifma.hpp"
#include "prover/common/rng.hpp"
#include "prover/msm/msm.hpp"
#include "prover/msm/msm_inputs.hpp"

namespace efaas::msm {
namespace {

using bn254::Fr;

// The reference: sum_i k_i P_i by double-and-add.
template <typename A>
auto naive_msm(const std::vector<A>& pts, const std::vector<Limbs>& ks) {
  using J = bn254::Jacobian<decltype(pts[0].x)>;
  J acc;
  for (size_t i = 0; i < pts.size(); ++i) acc += J::from_affine(pts[i]).mul(ks[i]);
  return acc;
}

template <typename A>
Result<bn254::Jacobian<decltype(A{}.x)>> run(const std::vector<A>& pts,
                                             const std::vector<Limbs>& ks,
                                             const MsmConfig& cfg) {
  if constexpr (std::is_same_v<A, G1Affine>) {
    return msm_g1(pts, ks, cfg);
  } else {
    return msm_g2(pts, ks, cfg);
  }
}

bool have_opencl() { return resolve_backend(Backend::kOpenCl).is_ok(); }

// Every backend that runs here: the CPU kernel on 1 and 2 threads, and OpenCL for G1 when a
// device is present (PoCL in CI).
template <typename A>
std::vector<MsmConfig> configs() {
  std::vector<MsmConfig> out;
  for (Backend b : {Backend::kScalar, Backend::kAuto}) {
    for (size_t t : {1, 2}) out.push_back(MsmConfig{b, t, 0});
  }
  if (std::is_same_v<A, G1Affine> && have_opencl()) out.push_back(MsmConfig{Backend::kOpenCl});
  return out;
}

template <typename A>
void check_random(const A& g, const std::vector<size_t>& sizes, Rng& rng) {
  for (size_t n : sizes) {
    std::vector<A> pts = random_points(g, n, rng);
    std::vector<Limbs> ks(n);
    for (auto& k : ks) k = random_scalar(rng);
    auto want = naive_msm(pts, ks);
    for (const MsmConfig& cfg : configs<A>()) {
      auto got = run(pts, ks, cfg);
      ASSERT_TRUE(got.is_ok()) << got.status().to_string();
      EXPECT_EQ(*got, want) << "n=" << n << " backend=" << backend_name(cfg.backend)
                            << " threads=" << cfg.threads;
    }
  }
}

TEST(Msm, G1RandomMatchesNaive) {
  Rng rng(test_seed("Msm.G1RandomMatchesNaive"));
  check_random(bn254::g1_generator(), {1, 2, 3, 7, 64, 100, 1000, 1537}, rng);
}

TEST(Msm, G2RandomMatchesNaive) {
  Rng rng(test_seed("Msm.G2RandomMatchesNaive"));
  check_random(bn254::g2_generator(), {1, 5, 33, 300}, rng);
}

TEST(Msm, EveryWindowWidth) {
  Rng rng(test_seed("Msm.EveryWindowWidth"));
  const size_t n = 77;
  auto pts = random_points(bn254::g1_generator(), n, rng);
  std::vector<Limbs> ks(n);
  for (auto& k : ks) k = random_scalar(rng);
  // Extremes that exercise the signed-digit carries: r - 1 and all-ones low limbs.
  ks[0] = bn254::detail::sub_nb(bn254::kGroupOrder, Limbs{1, 0, 0, 0});
  ks[1] = Limbs{~0ULL, ~0ULL, ~0ULL, 0x0fffffffffffffffULL};
  auto want = naive_msm(pts, ks);
  for (uint32_t c = 1; c <= 16; ++c) {
    auto got = msm_g1(pts, ks, MsmConfig{Backend::kAuto, 2, c});
    ASSERT_TRUE(got.is_ok());
    EXPECT_EQ(*got, want) << "window_bits=" << c;
  }
}

TEST(Msm, EdgeCases) {
  Rng rng(test_seed("Msm.EdgeCases"));
  const auto g = bn254::g1_generator();
  auto pts = random_points(g, 50, rng);
  std::vector<Limbs> ks(50);
  for (auto& k : ks) k = random_scalar(rng);

  // Zero scalars everywhere, and some zero scalars.
  std::vector<Limbs> zeros(50, Limbs{0, 0, 0, 0});
  EXPECT_TRUE(msm_g1(pts, zeros)->is_identity());
  auto some = ks;
  for (size_t i = 0; i < some.size(); i += 3) some[i] = Limbs{0, 0, 0, 0};
  EXPECT_EQ(*msm_g1(pts, some), naive_msm(pts, some));

  // The point at infinity among the inputs contributes nothing.
  auto with_inf = pts;
  with_inf[4] = G1Affine::identity();
  with_inf[17] = G1Affine::identity();
  EXPECT_EQ(*msm_g1(with_inf, ks), naive_msm(with_inf, ks));

  // Repeated points (same bucket gets P twice: the doubling case) and P with -P (cancels).
  std::vector<G1Affine> rep(40, pts[0]);
  std::vector<Limbs> ones(40, Limbs{5, 0, 0, 0});
  EXPECT_EQ(*msm_g1(rep, ones), G1Jacobian::from_affine(pts[0]).mul(Limbs{200, 0, 0, 0}));
  std::vector<G1Affine> pm = {pts[1], -pts[1], pts[2], pts[2]};
  std::vector<Limbs> same(4, ks[3]);
  EXPECT_EQ(*msm_g1(pm, same), G1Jacobian::from_affine(pts[2]).mul(ks[3]).dbl());
  rep = {pts[0], pts[0], pts[0]};
  std::vector<Limbs> ks3 = {ks[0], ks[0], ks[1]};
  EXPECT_EQ(*msm_g1(rep, ks3), naive_msm(rep, ks3));

  // The same on the batch-affine path (window >= 10): a bucket hit twice in one batch, the
  // doubling and the cancellation all go through the overflow accumulators.
  for (uint32_t c : {10u, 13u}) {
    MsmConfig cfg{Backend::kAuto, 2, c};
    std::vector<G1Affine> many(300, pts[0]);
    std::vector<Limbs> k5(300, Limbs{5, 0, 0, 0});
    EXPECT_EQ(*msm_g1(many, k5, cfg), G1Jacobian::from_affine(pts[0]).mul(Limbs{1500, 0, 0, 0}));
    EXPECT_EQ(*msm_g1(pm, same, cfg), G1Jacobian::from_affine(pts[2]).mul(ks[3]).dbl());
    std::vector<G1Affine> mixed;
    std::vector<Limbs> mk;
    for (size_t i = 0; i < 200; ++i) {
      mixed.push_back(i % 3 == 0 ? -pts[i % 7] : pts[i % 7]);
      mk.push_back(i % 2 ? ks[i % 5] : Limbs{i % 4, 0, 0, 0});
    }
    EXPECT_EQ(*msm_g1(mixed, mk, cfg), naive_msm(mixed, mk)) << "window " << c;
  }

  // n = 1 with scalars 0, 1, r-1; and n = 0.
  std::vector<G1Affine> one = {pts[9]};
  EXPECT_TRUE(msm_g1(one, std::vector<Limbs>{Limbs{0, 0, 0, 0}})->is_identity());
  EXPECT_EQ(*msm_g1(one, std::vector<Limbs>{Limbs{1, 0, 0, 0}}),
            G1Jacobian::from_affine(pts[9]));
  EXPECT_EQ(*msm_g1(one, std::vector<Limbs>{
                             bn254::detail::sub_nb(bn254::kGroupOrder, Limbs{1, 0, 0, 0})}),
            -G1Jacobian::from_affine(pts[9]));
  EXPECT_TRUE(msm_g1({}, {})->is_identity());

  // Scalars >= r are rejected with the index, not reduced; so are mismatched lengths.
  auto bad = ks;
  bad[7] = bn254::kGroupOrder;
  auto r = msm_g1(pts, bad);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange);
  EXPECT_NE(r.status().message().find("scalar 7"), std::string::npos);
  bad[7] = Limbs{~0ULL, ~0ULL, ~0ULL, ~0ULL};
  EXPECT_FALSE(msm_g1(pts, bad).is_ok());
  EXPECT_EQ(msm_g1(pts, std::span<const Limbs>(ks).first(49)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(msm_g1(pts, ks, MsmConfig{Backend::kAuto, 0, 17}).status().code(),
            StatusCode::kInvalidArgument);
}

// The batch-affine reduction (bucket ranges summed side by side) meets equal points inside one
// range: running + bucket doubles or cancels, total + running doubles. Window 10 with digits
// up to 300 gives ranges of 3 buckets; small scalars put each point in one known bucket.
TEST(Msm, ReductionDoublingsAndCancellations) {
  Rng rng(test_seed("Msm.ReductionDoublingsAndCancellations"));
  auto pts = random_points(bn254::g1_generator(), 4, rng);
  const G1Affine p = pts[0], q = pts[1];
  auto k = [](uint64_t v) { return Limbs{v, 0, 0, 0}; };
  struct Case {
    std::vector<G1Affine> pts;
    std::vector<Limbs> ks;
  };
  std::vector<Case> cases = {
      {{p, p, q}, {k(299), k(300), k(256)}},     // running P + bucket P: doubling
      {{p, -p, q}, {k(300), k(299), k(256)}},    // running P + bucket -P: cancellation
      {{p, q}, {k(300), k(256)}},                // total P + running P (empty bucket between)
      {{p, p, p, q}, {k(298), k(299), k(300), k(1)}},
      {{p, -p, p, -p}, {k(300), k(300), k(150), k(151)}},  // buckets that cancel themselves
  };
  for (Backend b : {Backend::kScalar, Backend::kAuto}) {
    for (size_t i = 0; i < cases.size(); ++i) {
      auto got = msm_g1(cases[i].pts, cases[i].ks, MsmConfig{b, 1, 10});
      ASSERT_TRUE(got.is_ok());
      EXPECT_EQ(*got, naive_msm(cases[i].pts, cases[i].ks))
          << "case " << i << " backend " << backend_name(b);
    }
  }
  // The same shapes on G2 (scalar field arithmetic only).
  auto p2 = random_points(bn254::g2_generator(), 2, rng);
  std::vector<G2Affine> g2pts = {p2[0], p2[0], -p2[0], p2[1]};
  std::vector<Limbs> g2ks = {k(299), k(300), k(297), k(256)};
  EXPECT_EQ(*msm_g2(g2pts, g2ks, MsmConfig{Backend::kAuto, 1, 10}), naive_msm(g2pts, g2ks));
}

// Digits on a few dozen buckets of a wide window (one large digit keeps the window's bucket
// range wide): the retry queue fills while a fair batch is pending, which flushes the batch
// early; with one bucket only, the XYZZ overflow takes the points.
TEST(Msm, SkewedDigitsFlushEarly) {
  Rng rng(test_seed("Msm.SkewedDigitsFlushEarly"));
  const size_t n = 2000;
  auto pts = random_points(bn254::g1_generator(), n, rng);
  std::vector<Limbs> ks(n);
  for (size_t i = 0; i < n; ++i) ks[i] = Limbs{1 + rng.next_u64() % 48, 0, 0, 0};
  ks[n / 2] = Limbs{511, 0, 0, 0};
  // The oracle: S_k = sum of the points with scalar k, then sum k S_k by double-and-add.
  std::vector<G1Jacobian> by_k(512);
  for (size_t i = 0; i < n; ++i) by_k[ks[i][0]] = by_k[ks[i][0]].add_affine(pts[i]);
  G1Jacobian want;
  for (uint64_t k = 1; k < 512; ++k) want += by_k[k].mul(Limbs{k, 0, 0, 0});
  for (Backend b : {Backend::kScalar, Backend::kAuto}) {
    for (uint32_t c : {10u, 11u}) {
      auto got = msm_g1(pts, ks, MsmConfig{b, 1, c});
      ASSERT_TRUE(got.is_ok());
      EXPECT_EQ(*got, want) << "window " << c << " backend " << backend_name(b);
    }
  }
  // G2 through the same path.
  auto pts2 = random_points(bn254::g2_generator(), 600, rng);
  std::vector<Limbs> ks2(600);
  for (auto& k : ks2) k = Limbs{1 + rng.next_u64() % 40, 0, 0, 0};
  ks2[7] = Limbs{500, 0, 0, 0};
  EXPECT_EQ(*msm_g2(pts2, ks2, MsmConfig{Backend::kAuto, 1, 10}),
            *msm_g2(pts2, ks2, MsmConfig{Backend::kScalar, 1, 6}));
}

TEST(Msm, LargeAcrossThreads) {
  // n not a multiple of any chunk or window size, checked against the scalar backend on one
  // thread and against a naive sum over a sparse scalar set.
  Rng rng(test_seed("Msm.LargeAcrossThreads"));
  const size_t n = 20011;
  auto pts = random_points(bn254::g1_generator(), n, rng);
  std::vector<Limbs> ks(n, Limbs{0, 0, 0, 0});
  std::vector<G1Affine> sub_pts;
  std::vector<Limbs> sub_ks;
  for (size_t i = 0; i < n; i += 97) {
    ks[i] = random_scalar(rng);
    sub_pts.push_back(pts[i]);
    sub_ks.push_back(ks[i]);
  }
  auto want = naive_msm(sub_pts, sub_ks);
  EXPECT_EQ(*msm_g1(pts, ks, MsmConfig{Backend::kAuto, 2, 0}), want);
  for (auto& k : ks) k = random_scalar(rng);
  auto a = msm_g1(pts, ks, MsmConfig{Backend::kScalar, 1, 0});
  auto b = msm_g1(pts, ks, MsmConfig{Backend::kAuto, 2, 0});
  auto c = msm_g1(pts, ks, MsmConfig{Backend::kAuto, 2, 7});
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*a, *c);
}

// The IFMA field product (radix 2^52, R = 2^256) against the scalar Montgomery product, on
// random elements and the extremes (0, 1, p - 1, the largest limbs), every tail length.
TEST(Ifma, FqProductsMatchScalar) {
  if (!ifma::bn254_usable()) GTEST_SKIP() << "no AVX-512 IFMA on this CPU (or disabled)";
  Rng rng(test_seed("Ifma.FqProductsMatchScalar"));
  using bn254::Fq;
  auto random_fq = [&] {
    for (;;) {
      Limbs l{rng.next_u64(), rng.next_u64(), rng.next_u64(), rng.next_u64() >> 2};
      if (Fq::is_canonical(l)) return Fq::from_mont(l);
    }
  };
  const Fq pm1 = Fq::from_mont(bn254::detail::sub_nb(Fq::kModulus, Limbs{1, 0, 0, 0}));
  const Fq extremes[] = {Fq::zero(), Fq::one(), Fq::from_mont(Limbs{1, 0, 0, 0}), pm1,
                         -Fq::one(), Fq::from_mont(Limbs{~0ULL, ~0ULL, ~0ULL, 0x30644e72e131a028ULL})};
  for (size_t n : {1, 7, 8, 9, 16, 33, 1000}) {
    std::vector<Fq> a(n), b(n), got(n);
    for (size_t i = 0; i < n; ++i) {
      a[i] = random_fq();
      b[i] = random_fq();
    }
    for (size_t i = 0; i < std::size(extremes) && i < n; ++i) {
      a[i] = extremes[i];
      b[n - 1 - i] = extremes[(i + 3) % std::size(extremes)];
    }
    ifma::fq_mul_arrays(a.data(), b.data(), got.data(), n);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(got[i], a[i] * b[i]) << "n=" << n << " i=" << i;
      ASSERT_TRUE(Fq::is_canonical(got[i].v));
    }
  }
  // Products of extremes with each other, all pairs.
  for (const Fq& x : extremes) {
    for (const Fq& y : extremes) {
      Fq out;
      ifma::fq_mul_arrays(&x, &y, &out, 1);
      EXPECT_EQ(out, x * y);
    }
  }
}

// The Fq2 product on IFMA (schoolbook over the Fq kernel) against bn254::Fq2.
TEST(Ifma, Fq2ProductsMatchScalar) {
  if (!ifma::bn254_usable()) GTEST_SKIP() << "no AVX-512 IFMA on this CPU (or disabled)";
  Rng rng(test_seed("Ifma.Fq2ProductsMatchScalar"));
  using bn254::Fq;
  using bn254::Fq2;
  auto random_fq = [&] {
    for (;;) {
      Limbs l{rng.next_u64(), rng.next_u64(), rng.next_u64(), rng.next_u64() >> 2};
      if (Fq::is_canonical(l)) return Fq::from_mont(l);
    }
  };
  const Fq pm1 = Fq::from_mont(bn254::detail::sub_nb(Fq::kModulus, Limbs{1, 0, 0, 0}));
  for (size_t n : {1, 5, 8, 17, 200}) {
    std::vector<Fq2> a(n), b(n), got(n);
    for (size_t i = 0; i < n; ++i) {
      a[i] = {random_fq(), random_fq()};
      b[i] = {random_fq(), random_fq()};
    }
    a[0] = {pm1, pm1};
    b[n - 1] = {Fq::zero(), pm1};
    ifma::fq2_mul_arrays(a.data(), b.data(), got.data(), n);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(got[i], a[i] * b[i]) << "n=" << n << " i=" << i;
  }
}

// G2 with its bucket additions on IFMA against the scalar kernel, batch-affine windows.
TEST(Ifma, G2MsmMatchesScalarKernel) {
  if (!ifma::bn254_usable()) GTEST_SKIP() << "no AVX-512 IFMA on this CPU (or disabled)";
  Rng rng(test_seed("Ifma.G2MsmMatchesScalarKernel"));
  const size_t n = 1500;
  auto pts = random_points(bn254::g2_generator(), n, rng);
  std::vector<Limbs> ks(n);
  for (auto& k : ks) k = random_scalar(rng);
  for (size_t i = 0; i < n; i += 9) pts[i] = pts[i / 9];  // repeated points
  for (size_t i = 1; i < n; i += 13) ks[i] = ks[0];       // repeated scalars
  pts[2] = -pts[1];
  ks[2] = ks[1];
  ks[5] = Limbs{0, 0, 0, 0};
  pts[6] = G2Affine::identity();
  auto want = *msm_g2(pts, ks, MsmConfig{Backend::kScalar, 1, 8});
  for (uint32_t c : {10u, 12u}) {
    auto got = msm_g2(pts, ks, MsmConfig{Backend::kAuto, 2, c});
    ASSERT_TRUE(got.is_ok());
    EXPECT_EQ(*got, want) << "window " << c;
  }
}

// The MSM with its bucket additions on IFMA (kAuto here) against the scalar kernel and the
// naive sum, on the batch-affine windows, sizes that leave partial vector groups, and inputs
// that stress conflicts (few distinct points, repeated scalars).
TEST(Ifma, MsmMatchesScalarKernel) {
  if (!ifma::bn254_usable()) GTEST_SKIP() << "no AVX-512 IFMA on this CPU (or disabled)";
  Rng rng(test_seed("Ifma.MsmMatchesScalarKernel"));
  for (size_t n : {1, 13, 1023, 4099}) {
    auto pts = random_points(bn254::g1_generator(), n, rng);
    std::vector<Limbs> ks(n);
    for (auto& k : ks) k = random_scalar(rng);
    if (n > 20) {
      for (size_t i = 0; i < n; i += 5) pts[i] = pts[i / 5];      // repeated points
      for (size_t i = 1; i < n; i += 7) ks[i] = ks[0];            // repeated scalars
      for (size_t i = 2; i < n; i += 11) pts[i] = -pts[i - 1];    // cancellations
      ks[3] = Limbs{0, 0, 0, 0};
      pts[4] = G1Affine::identity();
    }
    auto want = n <= 1023 ? naive_msm(pts, ks) : *msm_g1(pts, ks, MsmConfig{Backend::kScalar, 1, 0});
    for (uint32_t c : {10u, 11u, 13u, 16u}) {
      for (size_t t : {1, 2}) {
        auto got = msm_g1(pts, ks, MsmConfig{Backend::kAuto, t, c});
        ASSERT_TRUE(got.is_ok());
        EXPECT_EQ(*got, want) << "n=" << n << " window=" << c << " threads=" << t;
      }
    }
  }
}

TEST(Msm, OpenClEdgeCases) {
  if (!have_opencl()) {
    // Without a device the backend says so rather than falling back silently.
    std::vector<G1Affine> pts = {bn254::g1_generator()};
    std::vector<Limbs> ks = {Limbs{1, 0, 0, 0}};
    EXPECT_EQ(msm_g1(pts, ks, MsmConfig{Backend::kOpenCl}).status().code(),
              StatusCode::kUnavailable);
    GTEST_SKIP() << "no OpenCL device";
  }
  Rng rng(test_seed("Msm.OpenClEdgeCases"));
  auto pts = random_points(bn254::g1_generator(), 300, rng);
  std::vector<Limbs> ks(300);
  for (auto& k : ks) k = random_scalar(rng);
  ks[0] = bn254::detail::sub_nb(bn254::kGroupOrder, Limbs{1, 0, 0, 0});
  ks[1] = Limbs{0, 0, 0, 0};
  pts[2] = G1Affine::identity();
  pts[3] = pts[4];   // repeated point in the same bucket: the doubling case on the device
  ks[3] = ks[4];
  pts[5] = -pts[6];  // cancellation
  ks[5] = ks[6];
  auto want = naive_msm(pts, ks);
  for (uint32_t c : {0u, 3u, 10u, 16u}) {
    auto got = msm_g1(pts, ks, MsmConfig{Backend::kOpenCl, 0, c});
    ASSERT_TRUE(got.is_ok()) << got.status().to_string();
    EXPECT_EQ(*got, want) << "window " << c;
  }
  // n = 1, all-zero scalars, the same point many times.
  std::vector<G1Affine> one = {pts[9]};
  EXPECT_EQ(*msm_g1(one, std::vector<Limbs>{Limbs{7, 0, 0, 0}}, MsmConfig{Backend::kOpenCl}),
            G1Jacobian::from_affine(pts[9]).mul(Limbs{7, 0, 0, 0}));
  std::vector<Limbs> zeros(300, Limbs{0, 0, 0, 0});
  EXPECT_TRUE(msm_g1(pts, zeros, MsmConfig{Backend::kOpenCl})->is_identity());
  std::vector<G1Affine> many(100, pts[0]);
  std::vector<Limbs> k3(100, Limbs{3, 0, 0, 0});
  EXPECT_EQ(*msm_g1(many, k3, MsmConfig{Backend::kOpenCl}),
            G1Jacobian::from_affine(pts[0]).mul(Limbs{300, 0, 0, 0}));
  // A larger random input against the CPU kernel.
  auto big = random_points(bn254::g1_generator(), 5003, rng);
  std::vector<Limbs> bk(5003);
  for (auto& k : bk) k = random_scalar(rng);
  EXPECT_EQ(*msm_g1(big, bk, MsmConfig{Backend::kOpenCl}), *msm_g1(big, bk));
}

TEST(Msm, UnsupportedBackendsSayWhy) {
  std::vector<G1Affine> pts = {bn254::g1_generator()};
  std::vector<G2Affine> pts2 = {bn254::g2_generator()};
  std::vector<Limbs> ks = {Limbs{1, 0, 0, 0}};
  EXPECT_EQ(msm_g1(pts, ks, MsmConfig{Backend::kAvx2}).status().code(),
            StatusCode::kUnimplemented);
  if (have_opencl()) {
    EXPECT_EQ(msm_g2(pts2, ks, MsmConfig{Backend::kOpenCl}).status().code(),
              StatusCode::kUnimplemented);
  }
}

}  // namespace
}  // namespace efaas::msm
