// NTT tests: scalar against the naive DFT, every backend and CPU kernel set against scalar,
// cosets, orders, batches, LDE against direct polynomial evaluation, and argument errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <vector>

#include "kernels/avx2/ntt_avx2.hpp"
#include "kernels/avx512/ntt_avx512.hpp"
#include "prover/common/cpu_features.hpp"
#include "prover/common/rng.hpp"
#include "prover/device/backend.hpp"
#include "prover/ntt/ntt.hpp"
#include "prover/ntt/ntt_backend.hpp"

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

// The CPU vector kernel sets this machine can run, by name. The public API picks one of them
// (AVX-512 where usable), so each is also compared with the scalar kernels directly here.
std::vector<std::pair<const char*, const CpuNttKernels*>> vector_kernel_sets() {
  std::vector<std::pair<const char*, const CpuNttKernels*>> out;
  if (avx2_usable()) {
    out.emplace_back("avx2", &avx2::ntt_kernels());
  } else {
    std::fprintf(stderr, "skipping the AVX2 kernels: AVX2 not usable here\n");
  }
  if (avx512_usable()) {
    out.emplace_back("avx512", &avx512::ntt_kernels());
  } else {
    std::fprintf(stderr, "skipping the AVX-512 kernels: AVX-512 not usable here\n");
  }
  return out;
}

TEST(Ntt, VectorKernelSetsMatchScalar) {
  Rng rng(test_seed("Ntt.VectorKernelSets"));
  const CpuNttKernels& scalar = scalar_ntt_kernels();
  for (auto [name, kernels] : vector_kernel_sets()) {
    // Whole transforms, serial and with one column split across threads (log_n >= 14).
    for (uint32_t log_n : {0u, 3u, 4u, 5u, 6u, 9u, 12u, 13u, 14u, 15u, 18u}) {
      const size_t n = size_t(1) << log_n;
      std::vector<Fp> data = random_vec(rng, n);
      for (int variant = 0; variant < 8; ++variant) {
        TransformSpec spec;
        spec.log_n = log_n;
        spec.inverse = variant & 1;
        spec.input_order = (variant & 2) ? Order::kBitReversed : Order::kNatural;
        spec.output_order = (variant & 4) ? Order::kNatural : Order::kBitReversed;
        spec.shift = (variant % 3 == 0) ? Fp::one() : Fp::from_canonical(11);
        std::vector<Fp> expect = data;
        ASSERT_TRUE(cpu_transform(scalar, expect, 1, spec, 1).is_ok());
        for (size_t threads : {1u, 2u}) {
          std::vector<Fp> got = data;
          ASSERT_TRUE(cpu_transform(*kernels, got, 1, spec, threads).is_ok());
          ASSERT_EQ(got, expect) << name << " log_n=" << log_n << " variant=" << variant
                                 << " threads=" << threads;
        }
      }
    }
    // The LDE path (interpolate, rescale to the output coset, evaluate), whole columns and one
    // column across threads.
    for (uint32_t log_n : {3u, 5u, 10u, 13u}) {
      for (uint32_t log_blowup : {1u, 2u, 3u}) {
        for (size_t cols : {1u, 3u}) {
          const size_t n = size_t(1) << log_n;
          std::vector<Fp> in = random_vec(rng, n * cols);
          LdeSpec spec;
          spec.log_n = log_n;
          spec.log_blowup = log_blowup;
          spec.input_shift = Fp::from_canonical(5);
          spec.output_shift = Fp::from_canonical(31);
          spec.output_order = cols == 1 ? Order::kNatural : Order::kBitReversed;
          std::vector<Fp> expect(in.size() << log_blowup), got(expect.size());
          ASSERT_TRUE(cpu_lde(scalar, in, expect, cols, spec, 1).is_ok());
          ASSERT_TRUE(cpu_lde(*kernels, in, got, cols, spec, 2).is_ok());
          ASSERT_EQ(got, expect) << name << " lde log_n=" << log_n << " blowup=" << log_blowup
                                 << " cols=" << cols;
        }
      }
    }
    // Single layers over ranges that start and end off the vector width.
    const uint32_t log_n = 10;
    std::vector<Fp> data = random_vec(rng, size_t(1) << log_n);
    for (uint32_t k = 0; k < log_n; ++k) {
      for (bool inverse : {false, true}) {
        const size_t begin = rng.uniform(200), end = 300 + rng.uniform(212);
        for (bool dif : {true, false}) {
          std::vector<Fp> expect = data, got = data;
          (dif ? scalar.dif_layer : scalar.dit_layer)(expect.data(), log_n, k, inverse, begin, end);
          (dif ? kernels->dif_layer : kernels->dit_layer)(got.data(), log_n, k, inverse, begin,
                                                          end);
          ASSERT_EQ(got, expect) << name << " layer " << k << " [" << begin << ", " << end << ")";
        }
      }
    }
    // scale_by_powers at lengths around the vector widths.
    for (size_t n : {1u, 15u, 16u, 31u, 32u, 33u, 100u, 4096u}) {
      std::vector<Fp> expect = random_vec(rng, n), got = expect;
      const Fp scale = Fp::from_canonical(3), base = Fp::from_canonical(1234567);
      scalar.scale_by_powers(expect.data(), n, scale, base);
      kernels->scale_by_powers(got.data(), n, scale, base);
      ASSERT_EQ(got, expect) << name << " scale_by_powers n=" << n;
    }
  }
}

// coset_ntt_rows against the full scalar coset_ntt at the requested rows: the scalar, AVX2 and
// AVX-512 kernels, one row, 16-row groups as the STARK openings ask, random rows, every row.
TEST(Ntt, CosetNttRowsMatchesTheFullTransform) {
  Rng rng(test_seed("Ntt.CosetNttRows"));
  std::vector<std::pair<const char*, const CpuNttKernels*>> sets{{"scalar", &scalar_ntt_kernels()}};
  for (auto set : vector_kernel_sets()) sets.push_back(set);
  const Fp shift = Fp::from_canonical(31);
  for (uint32_t log_n : {0u, 1u, 4u, 6u, 7u, 11u, 16u, 18u}) {
    const size_t n = size_t(1) << log_n, cols = 3;
    const std::vector<Fp> data = random_vec(rng, n * cols);
    std::vector<Fp> expect = data;
    NttConfig ref;
    ref.backend = Backend::kScalar;
    ref.output_order = Order::kBitReversed;
    ASSERT_TRUE(coset_ntt(expect, cols, shift, ref).is_ok());
    std::vector<std::vector<size_t>> row_sets{{n - 1}, {0}};
    std::vector<size_t> all(n), groups, random;
    for (size_t i = 0; i < n; ++i) all[i] = i;
    row_sets.push_back(all);
    for (int q = 0; q < 11; ++q) {
      const size_t g = rng.uniform(n) & ~size_t(15);
      for (size_t i = g; i < std::min(n, g + 16); ++i) groups.push_back(i);
      random.push_back(rng.uniform(n));
    }
    for (auto* v : {&groups, &random}) {
      std::sort(v->begin(), v->end());
      v->erase(std::unique(v->begin(), v->end()), v->end());
      row_sets.push_back(*v);
    }
    for (auto [name, kernels] : sets) {
      for (const std::vector<size_t>& rows : row_sets) {
        std::vector<Fp> got = data;
        ASSERT_TRUE(cpu_coset_ntt_rows(*kernels, got, cols, log_n, shift, rows, 2).is_ok());
        for (size_t c = 0; c < cols; ++c) {
          for (size_t r : rows) {
            ASSERT_EQ(got[c * n + r], expect[c * n + r])
                << name << " log_n=" << log_n << " col " << c << " row " << r << " of "
                << rows.size();
          }
        }
      }
    }
    // The public entry point (AVX-512/AVX2 where usable), and its argument checks.
    std::vector<Fp> got = data;
    NttConfig cfg;
    cfg.backend = Backend::kAuto;
    ASSERT_TRUE(coset_ntt_rows(got, cols, shift, groups, cfg).is_ok());
    for (size_t c = 0; c < cols; ++c) {
      for (size_t r : groups) ASSERT_EQ(got[c * n + r], expect[c * n + r]) << "log_n=" << log_n;
    }
    const std::vector<size_t> past_end{n}, repeated{0, 0};
    EXPECT_EQ(coset_ntt_rows(got, cols, shift, past_end, cfg).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(coset_ntt_rows(got, cols, shift, repeated, cfg).code(),
              StatusCode::kInvalidArgument);
  }
}

// coset_ntt_from (copy folded into the first pass where the kernels have it) against a copy
// and the scalar coset_ntt, every kernel set, thread counts that split columns and not.
TEST(Ntt, CosetNttFromMatchesCopyAndTransform) {
  Rng rng(test_seed("Ntt.CosetNttFrom"));
  std::vector<std::pair<const char*, const CpuNttKernels*>> sets{{"scalar", &scalar_ntt_kernels()}};
  for (auto set : vector_kernel_sets()) sets.push_back(set);
  const Fp shift = Fp::from_canonical(31);
  for (uint32_t log_n : {0u, 5u, 13u, 14u, 15u, 17u}) {
    const size_t n = size_t(1) << log_n;
    for (size_t cols : {size_t(1), size_t(3)}) {
      const std::vector<Fp> src = random_vec(rng, n * cols);
      std::vector<Fp> expect = src;
      NttConfig ref;
      ref.backend = Backend::kScalar;
      ref.output_order = Order::kBitReversed;
      ASSERT_TRUE(coset_ntt(expect, cols, shift, ref).is_ok());
      for (auto [name, kernels] : sets) {
        for (size_t threads : {size_t(1), size_t(2)}) {
          std::vector<Fp> got(n * cols);
          ASSERT_TRUE(cpu_coset_ntt_from(*kernels, src, got, cols, log_n, shift, threads).is_ok());
          ASSERT_EQ(got, expect) << name << " log_n=" << log_n << " cols=" << cols
                                 << " threads=" << threads;
        }
      }
      std::vector<Fp> got(n * cols);
      NttConfig cfg;
      ASSERT_TRUE(coset_ntt_from(src, got, cols, shift, cfg).is_ok());
      ASSERT_EQ(got, expect) << "log_n=" << log_n;
    }
  }
  std::vector<Fp> a(64), b(32);
  EXPECT_EQ(coset_ntt_from(a, b, 1, shift).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(coset_ntt_from(std::span<const Fp>(a.data(), 32), std::span<Fp>(a.data() + 16, 32), 1,
                           shift)
                .code(),
            StatusCode::kInvalidArgument);
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
