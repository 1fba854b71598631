// NTT tests: scalar against the naive DFT, every backend against scalar, cosets, orders,
// batches, LDE against direct polynomial evaluation, and argument errors.
#include <gtest/gtest.h>

#include <bit>
#include <vector>

#include "prover/common/rng.hpp"
#include "prover/device/backend.hpp"
#include "prover/ntt/ntt.hpp"

namespace efaas {
namespace {

std::vector<Fp> random_vec(Rng& rng, size_t n) {
  std::vector<Fp> v(n);
  for (auto& x : v) x = Fp::from_canonical(uint32_t(rng.uniform(Fp::kP)));
  return v;
}

size_t bitrev(size_t i, uint32_t log_n) {
  size_t r = 0;
  for (uint32_t b = 0; b < log_n; ++b) r |= ((i >> b) & 1) << (log_n - 1 - b);
  return r;
}

std::vector<Fp> to_bitrev(const std::vector<Fp>& v) {
  uint32_t log_n = uint32_t(std::countr_zero(v.size()));
  std::vector<Fp> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[bitrev(i, log_n)] = v[i];
  return out;
}

Fp eval_poly(const Fp* c, size_t n, Fp x) {
  Fp acc = Fp::zero();
  for (size_t i = n; i-- > 0;) acc = acc * x + c[i];
  return acc;
}

// Backends to compare with the scalar reference: those this machine has.
std::vector<Backend> other_backends() {
  std::vector<Backend> out;
  for (Backend b : {Backend::kAvx2, Backend::kOpenCl}) {
    auto r = resolve_backend(b);
    if (!r) {
      std::fprintf(stderr, "skipping backend %s: %s\n", backend_name(b),
                   r.status().message().c_str());
      continue;
    }
    // A backend that answers UNIMPLEMENTED is reported, not compared.
    std::vector<Fp> probe(8, Fp::one());
    NttConfig cfg;
    cfg.backend = b;
    Status s = ntt(probe, 1, cfg);
    if (s.code() == StatusCode::kUnimplemented) {
      std::fprintf(stderr, "backend %s: %s\n", backend_name(b), s.message().c_str());
      continue;
    }
    out.push_back(b);
  }
  return out;
}

TEST(Ntt, ScalarMatchesNaiveDft) {
  Rng rng(test_seed("Ntt.ScalarMatchesNaiveDft"));
  NttConfig cfg;
  cfg.backend = Backend::kScalar;
  for (uint32_t log_n = 0; log_n <= 12; ++log_n) {
    const size_t n = size_t(1) << log_n;
    std::vector<Fp> c = random_vec(rng, n);
    std::vector<Fp> expect(n);
    naive_dft(c, expect);
    std::vector<Fp> got = c;
    ASSERT_TRUE(ntt(got, 1, cfg).is_ok());
    ASSERT_EQ(got, expect) << "log_n=" << log_n;
    // And back.
    ASSERT_TRUE(intt(got, 1, cfg).is_ok());
    ASSERT_EQ(got, c) << "log_n=" << log_n;
    // Coset evaluation against the naive DFT on the coset.
    Fp shift = Fp::from_canonical(1 + uint32_t(rng.uniform(Fp::kP - 1)));
    naive_dft(c, expect, shift);
    got = c;
    ASSERT_TRUE(coset_ntt(got, 1, shift, cfg).is_ok());
    ASSERT_EQ(got, expect) << "coset log_n=" << log_n;
    ASSERT_TRUE(coset_intt(got, 1, shift, cfg).is_ok());
    ASSERT_EQ(got, c) << "coset inverse log_n=" << log_n;
  }
}

TEST(Ntt, BitReversePermuteMatchesTheNaivePermutation) {
  Rng rng(test_seed("Ntt.BitReversePermute"));
  for (uint32_t log_n = 0; log_n <= 20; ++log_n) {
    const std::vector<Fp> v = random_vec(rng, size_t(1) << log_n);
    std::vector<Fp> x = v;
    bit_reverse_permute(x.data(), log_n);
    ASSERT_EQ(x, to_bitrev(v)) << "log_n=" << log_n;
  }
}

TEST(Ntt, OrdersAreBitReversalsOfEachOther) {
  Rng rng(test_seed("Ntt.Orders"));
  for (Backend b : {Backend::kScalar, Backend::kAvx2}) {
    if (!resolve_backend(b)) continue;
    for (uint32_t log_n : {0u, 1u, 3u, 4u, 5u, 9u, 13u, 16u}) {
      const size_t n = size_t(1) << log_n;
      std::vector<Fp> c = random_vec(rng, n);
      std::vector<Fp> nat = c;
      NttConfig cfg;
      cfg.backend = b;
      ASSERT_TRUE(ntt(nat, 1, cfg).is_ok());
      for (Order in : {Order::kNatural, Order::kBitReversed}) {
        for (Order out : {Order::kNatural, Order::kBitReversed}) {
          cfg.input_order = in;
          cfg.output_order = out;
          std::vector<Fp> x = in == Order::kNatural ? c : to_bitrev(c);
          ASSERT_TRUE(ntt(x, 1, cfg).is_ok());
          ASSERT_EQ(x, out == Order::kNatural ? nat : to_bitrev(nat))
              << backend_name(b) << " log_n=" << log_n << " in=" << int(in) << " out=" << int(out);
          // Inverse with the orders swapped returns the input in its own order.
          std::swap(cfg.input_order, cfg.output_order);
          ASSERT_TRUE(intt(x, 1, cfg).is_ok());
          ASSERT_EQ(x, in == Order::kNatural ? c : to_bitrev(c)) << backend_name(b);
          // Cosets in every order combination.
          Fp shift = Fp::from_canonical(Fp::kGenerator);
          std::swap(cfg.input_order, cfg.output_order);
          std::vector<Fp> y = in == Order::kNatural ? c : to_bitrev(c);
          ASSERT_TRUE(coset_ntt(y, 1, shift, cfg).is_ok());
          std::swap(cfg.input_order, cfg.output_order);
          ASSERT_TRUE(coset_intt(y, 1, shift, cfg).is_ok());
          ASSERT_EQ(y, in == Order::kNatural ? c : to_bitrev(c)) << backend_name(b);
        }
      }
    }
  }
}

// Every backend against scalar, sizes 2^0 .. 2^20, single and batched, both directions and
// orders, with and without a coset shift; thread counts 1 and 2.
TEST(Ntt, BackendsMatchScalar) {
  Rng rng(test_seed("Ntt.BackendsMatchScalar"));
  for (Backend b : other_backends()) {
    for (uint32_t log_n = 0; log_n <= 20; ++log_n) {
      const size_t n = size_t(1) << log_n;
      const size_t cols = log_n <= 10 ? 5 : (log_n <= 16 ? 3 : 1);
      std::vector<Fp> data = random_vec(rng, n * cols);
      for (int variant = 0; variant < 4; ++variant) {
        NttConfig ref;
        ref.backend = Backend::kScalar;
        ref.input_order = (variant & 1) ? Order::kBitReversed : Order::kNatural;
        ref.output_order = (variant & 2) ? Order::kNatural : Order::kBitReversed;
        NttConfig cfg = ref;
        cfg.backend = b;
        cfg.threads = (variant & 1) ? 2 : 1;
        const bool inverse = variant >= 2;
        const Fp shift = (variant % 3 == 0) ? Fp::one() : Fp::from_canonical(7);
        std::vector<Fp> expect = data, got = data;
        if (inverse) {
          ASSERT_TRUE(coset_intt(expect, cols, shift, ref).is_ok());
          ASSERT_TRUE(coset_intt(got, cols, shift, cfg).is_ok());
        } else {
          ASSERT_TRUE(coset_ntt(expect, cols, shift, ref).is_ok());
          ASSERT_TRUE(coset_ntt(got, cols, shift, cfg).is_ok());
        }
        ASSERT_EQ(got, expect) << backend_name(b) << " log_n=" << log_n << " variant=" << variant;
      }
    }
  }
}

TEST(Ntt, ParallelSingleColumnMatchesSerial) {
  Rng rng(test_seed("Ntt.ParallelSingleColumn"));
  for (Backend b : {Backend::kScalar, Backend::kAvx2}) {
    if (!resolve_backend(b)) continue;
    for (uint32_t log_n : {14u, 17u, 18u}) {
      std::vector<Fp> data = random_vec(rng, size_t(1) << log_n);
      for (size_t threads : {2u, 3u}) {
        for (bool inverse : {false, true}) {
          for (Order in : {Order::kNatural, Order::kBitReversed}) {
            NttConfig one;
            one.backend = b;
            one.threads = 1;
            one.input_order = in;
            NttConfig many = one;
            many.threads = threads;
            std::vector<Fp> x = data, y = data;
            Fp shift = Fp::from_canonical(31);
            if (inverse) {
              ASSERT_TRUE(coset_intt(x, 1, shift, one).is_ok());
              ASSERT_TRUE(coset_intt(y, 1, shift, many).is_ok());
            } else {
              ASSERT_TRUE(coset_ntt(x, 1, shift, one).is_ok());
              ASSERT_TRUE(coset_ntt(y, 1, shift, many).is_ok());
            }
            ASSERT_EQ(x, y) << backend_name(b) << " log_n=" << log_n << " threads=" << threads;
          }
        }
      }
    }
  }
}

TEST(Ntt, LdeAgreesWithDirectEvaluation) {
  Rng rng(test_seed("Ntt.Lde"));
  std::vector<Backend> backends = other_backends();
  backends.insert(backends.begin(), Backend::kScalar);
  for (Backend b : backends) {
    for (uint32_t log_n : {0u, 2u, 5u, 10u, 14u}) {
      for (uint32_t log_blowup : {1u, 2u, 3u, 4u}) {
        const size_t n = size_t(1) << log_n, cols = 3;
        const uint32_t log_m = log_n + log_blowup;
        const size_t m = size_t(1) << log_m;
        // Random polynomials of degree < n, given as evaluations on H.
        std::vector<Fp> coeffs = random_vec(rng, n * cols);
        std::vector<Fp> evals = coeffs;
        NttConfig ref;
        ref.backend = Backend::kScalar;
        ASSERT_TRUE(ntt(evals, cols, ref).is_ok());
        for (Order out_order : {Order::kNatural, Order::kBitReversed}) {
          NttConfig cfg;
          cfg.backend = b;
          cfg.output_order = out_order;
          LdeParams params;
          params.log_blowup = log_blowup;
          std::vector<Fp> out(m * cols);
          ASSERT_TRUE(lde(evals, out, cols, params, cfg).is_ok());
          const Fp w = Fp::two_adic_generator(log_m);
          for (int probe = 0; probe < 16; ++probe) {
            size_t c = rng.uniform(cols), i = rng.uniform(m);
            size_t pos = out_order == Order::kNatural ? i : bitrev(i, log_m);
            Fp x = params.output_shift * w.pow(i);
            ASSERT_EQ(out[c * m + pos], eval_poly(coeffs.data() + c * n, n, x))
                << backend_name(b) << " log_n=" << log_n << " blowup=" << log_blowup;
          }
        }
      }
    }
  }
}

TEST(Ntt, LdeFromACosetInBitReversedOrder) {
  Rng rng(test_seed("Ntt.LdeFromCoset"));
  const uint32_t log_n = 6;
  const size_t n = 64;
  std::vector<Fp> coeffs = random_vec(rng, n);
  Fp in_shift = Fp::from_canonical(5);
  std::vector<Fp> evals = coeffs;
  NttConfig cfg;
  cfg.backend = Backend::kScalar;
  cfg.output_order = Order::kBitReversed;
  ASSERT_TRUE(coset_ntt(evals, 1, in_shift, cfg).is_ok());
  LdeParams params;
  params.log_blowup = 2;
  params.input_shift = in_shift;
  params.output_shift = Fp::from_canonical(31);
  for (Backend b : {Backend::kScalar, Backend::kAvx2}) {
    if (!resolve_backend(b)) continue;
    NttConfig lcfg;
    lcfg.backend = b;
    lcfg.input_order = Order::kBitReversed;
    std::vector<Fp> out(n * 4);
    ASSERT_TRUE(lde(evals, out, 1, params, lcfg).is_ok());
    const Fp w = Fp::two_adic_generator(log_n + 2);
    for (size_t i = 0; i < out.size(); ++i) {
      ASSERT_EQ(out[i], eval_poly(coeffs.data(), n, params.output_shift * w.pow(i)));
    }
  }
}

TEST(Ntt, BadArgumentsAreErrorsNotCrashes) {
  std::vector<Fp> v(12);
  Status s = ntt(v, 1);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("not a power of two"), std::string::npos) << s.message();
  s = ntt(v, 5);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("equal columns"), std::string::npos) << s.message();
  EXPECT_EQ(ntt(v, 0).code(), StatusCode::kInvalidArgument);
  std::vector<Fp> empty;
  EXPECT_EQ(ntt(empty, 1).code(), StatusCode::kInvalidArgument);
  std::vector<Fp> ok(16);
  EXPECT_EQ(coset_ntt(ok, 1, Fp::zero()).code(), StatusCode::kInvalidArgument);
  std::vector<Fp> out(30);
  s = lde(ok, out, 1);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("expected 32"), std::string::npos) << s.message();
  LdeParams big;
  big.log_blowup = 24;  // 2^4 * 2^24 > 2^27
  EXPECT_EQ(lde(ok, out, 1, big).code(), StatusCode::kOutOfRange);
  big.log_blowup = 0;
  EXPECT_EQ(lde(ok, out, 1, big).code(), StatusCode::kOutOfRange);
  // A length beyond the two-adicity is refused before any allocation: fake a span.
  std::span<Fp> huge(ok.data(), size_t(1) << 28);
  s = ntt(huge, 1);
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange);
  EXPECT_NE(s.message().find("two-adicity"), std::string::npos) << s.message();
  std::vector<Fp> both(64);
  std::span<const Fp> in(both.data(), 16);
  std::span<Fp> overlap(both.data() + 8, 32);
  EXPECT_EQ(lde(in, overlap, 1).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace efaas
