// The AVX2 and AVX-512 column kernels against the scalar ones, and the scalar ones against Fp/Fp4
// arithmetic element by element, on random inputs (lengths that are not multiples of 8 too).
#include "prover/air/column_kernels.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "kernels/avx2/column_avx2.hpp"
#include "kernels/avx512/column_avx512.hpp"
#include "prover/common/cpu_features.hpp"
#include "prover/common/rng.hpp"

namespace efaas::air {
namespace {

Fp rand_fp(Rng& rng) { return Fp::from_u32(rng.next_u32()); }
Fp4 rand_fp4(Rng& rng) { return Fp4(rand_fp(rng), rand_fp(rng), rand_fp(rng), rand_fp(rng)); }

struct Ext {
  std::vector<Fp> c[4];
  explicit Ext(size_t n) {
    for (auto& v : c) v.assign(n, Fp::zero());
  }
  Ext(Rng& rng, size_t n) {
    for (auto& v : c) {
      v.resize(n);
      for (Fp& x : v) x = rand_fp(rng);
    }
  }
  ExtCols in() const { return {{c[0].data(), c[1].data(), c[2].data(), c[3].data()}}; }
  ExtColsOut out() { return {{c[0].data(), c[1].data(), c[2].data(), c[3].data()}}; }
  Fp4 at(size_t i) const { return {c[0][i], c[1][i], c[2][i], c[3][i]}; }
};

std::vector<Fp> rand_vec(Rng& rng, size_t n) {
  std::vector<Fp> v(n);
  for (Fp& x : v) x = rand_fp(rng);
  // Edge values the reductions must get right.
  if (n > 3) v[0] = Fp::zero(), v[1] = -Fp::one(), v[2] = Fp::one();
  return v;
}

// Runs every kernel of `k` on the same random inputs and checks against Fp/Fp4 arithmetic.
void check_kernels(const ColumnKernels& k, uint64_t seed) {
  for (size_t n : {size_t(0), size_t(1), size_t(7), size_t(8), size_t(16), size_t(37),
                   size_t(49), size_t(256)}) {
    Rng rng(seed + n);
    const std::vector<Fp> a = rand_vec(rng, n), b = rand_vec(rng, n);
    const Ext x(rng, n), y(rng, n), acc0(rng, n);
    const Fp4 coeff = rand_fp4(rng);
    std::vector<Fp> o(n);
    k.add(a.data(), b.data(), o.data(), n);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(o[i], a[i] + b[i]) << "add n=" << n << " i=" << i;
    k.sub(a.data(), b.data(), o.data(), n);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(o[i], a[i] - b[i]) << "sub n=" << n << " i=" << i;
    k.mul(a.data(), b.data(), o.data(), n);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(o[i], a[i] * b[i]) << "mul n=" << n << " i=" << i;
    k.neg(a.data(), o.data(), n);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(o[i], -a[i]) << "neg n=" << n << " i=" << i;
    Ext e(n);
    k.ext_mul_base(x.in(), a.data(), e.out(), n);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(e.at(i), x.at(i) * a[i]) << "ext_mul_base " << i;
    k.ext_mul(x.in(), y.in(), e.out(), n);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(e.at(i), x.at(i) * y.at(i)) << "ext_mul " << i;
    Ext acc = acc0;
    k.mul_acc(a.data(), coeff, acc.out(), n);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(acc.at(i), acc0.at(i) + coeff * a[i]) << "mul_acc " << i;
    const Fp4 coeff2 = rand_fp4(rng);
    acc = acc0;
    k.mul_acc2(a.data(), coeff, b.data(), coeff2, acc.out(), n);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(acc.at(i), acc0.at(i) + coeff * a[i] + coeff2 * b[i]) << "mul_acc2 " << i;
    }
    acc = acc0;
    k.ext_mul_acc(x.in(), coeff, acc.out(), n);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(acc.at(i), acc0.at(i) + x.at(i) * coeff) << "ext_mul_acc " << i;
    }
    Fp4 d = Fp4::zero();
    for (size_t i = 0; i < n; ++i) d += x.at(i) * a[i];
    ASSERT_EQ(k.dot(a.data(), x.in(), n), d) << "dot n=" << n;
  }
  // The lazy sums at their largest: every product of representatives (p-1)^2, many rows.
  const size_t big = 100003;
  const Fp top = Fp::from_montgomery(Fp::kP - 1);
  std::vector<Fp> m(big, top);
  Ext wm(big);
  for (auto& v : wm.c) v.assign(big, top);
  const Fp s = Fp::from_u64(big) * top * top;
  EXPECT_EQ(k.dot(m.data(), wm.in(), big), Fp4(s, s, s, s));
  // mul_acc2's unreduced sum of two products at its largest, 2 (p-1)^2.
  const size_t rows = 37;
  const Fp4 top4(top, top, top, top);
  Ext acc(rows);
  k.mul_acc2(m.data(), top4, m.data(), top4, acc.out(), rows);
  for (size_t i = 0; i < rows; ++i) ASSERT_EQ(acc.at(i), top4 * top + top4 * top) << "mul_acc2 " << i;
}

TEST(ColumnKernels, ScalarMatchesFieldArithmetic) {
  check_kernels(scalar_column_kernels(), test_seed("ColumnKernels.Scalar"));
}

TEST(ColumnKernels, Avx2MatchesFieldArithmetic) {
  if (!avx2_usable()) GTEST_SKIP() << "AVX2 not usable on this CPU";
  ASSERT_NE(&column_kernels(true), &scalar_column_kernels());
  check_kernels(avx2::column_kernels(), test_seed("ColumnKernels.Avx2"));
}

TEST(ColumnKernels, Avx512MatchesFieldArithmetic) {
  if (!avx512_usable()) GTEST_SKIP() << "AVX-512 not usable on this CPU";
  // The dispatch picks them where usable (EFAAS_DISABLE_AVX512=1 falls back to AVX2).
  EXPECT_EQ(&column_kernels(true), &avx512::column_kernels());
  check_kernels(avx512::column_kernels(), test_seed("ColumnKernels.Avx512"));
}

TEST(ColumnKernels, NoSimdRequestedGivesScalar) {
  EXPECT_EQ(&column_kernels(false), &scalar_column_kernels());
}

}  // namespace
}  // namespace efaas::air
