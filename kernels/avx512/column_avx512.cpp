// AVX-512 column kernels: the AVX2 kernels (kernels/avx2/column_avx2.cpp) with sixteen rows per
// register; row counts that are not a multiple of 16 leave their tail to the AVX2 kernels, and
// `dot` (already a lazily reduced sum) is the AVX2 one. Identical results to the scalar kernels
// (column_kernels_test checks it on random inputs).
#include "kernels/avx512/column_avx512.hpp"

#include "kernels/avx2/column_avx2.hpp"
#include "prover/field/babybear.hpp"

// GCC 12's AVX-512 headers self-initialize their "undefined" vectors (__Y = __Y), which
// -Wuninitialized reports in every function that inlines them (as in ntt_avx512.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include "kernels/avx512/target_avx512.hpp"

EFAAS_AVX512_BEGIN
#include "kernels/avx512/babybear_avx512.hpp"  // inside the region: compiled for this target

namespace efaas::avx512 {
namespace {

using air::ExtCols;
using air::ExtColsOut;
using packed::add;
using packed::mul;
using packed::p_vec;
using packed::reduce_products;
using packed::sub;

inline __m512i ld(const Fp* p) { return _mm512_loadu_si512(p); }
inline void st(Fp* p, __m512i v) { _mm512_storeu_si512(p, v); }

// A constant multiplier with w * p^-1 mod 2^32 precomputed: q needs no multiply.
struct Scalar {
  __m512i w, w_mu;
  explicit Scalar(Fp x)
      : w(_mm512_set1_epi32(int(x.montgomery()))),
        w_mu(_mm512_set1_epi32(int(x.montgomery() * Fp::kMu))) {}
  __m512i operator*(__m512i a) const {
    const __m512i a_odd = _mm512_srli_epi64(a, 32);
    return reduce_products(_mm512_mul_epu32(a, w), _mm512_mul_epu32(a_odd, w),
                           _mm512_mul_epu32(a, w_mu), _mm512_mul_epu32(a_odd, w_mu));
  }
};
inline __m512i neg(__m512i a) { return sub(_mm512_setzero_si512(), a); }

constexpr Fp kW = Fp::from_u32(Fp4::kW);

const air::ColumnKernels& tail() { return avx2::column_kernels(); }
ExtCols at(ExtCols a, size_t i) { return {{a.c[0] + i, a.c[1] + i, a.c[2] + i, a.c[3] + i}}; }
ExtColsOut at(ExtColsOut a, size_t i) {
  return {{a.c[0] + i, a.c[1] + i, a.c[2] + i, a.c[3] + i}};
}

void add_k(const Fp* a, const Fp* b, Fp* out, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) st(out + i, add(ld(a + i), ld(b + i)));
  if (i < n) tail().add(a + i, b + i, out + i, n - i);
}
void sub_k(const Fp* a, const Fp* b, Fp* out, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) st(out + i, sub(ld(a + i), ld(b + i)));
  if (i < n) tail().sub(a + i, b + i, out + i, n - i);
}
void mul_k(const Fp* a, const Fp* b, Fp* out, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) st(out + i, mul(ld(a + i), ld(b + i)));
  if (i < n) tail().mul(a + i, b + i, out + i, n - i);
}
void neg_k(const Fp* a, Fp* out, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) st(out + i, neg(ld(a + i)));
  if (i < n) tail().neg(a + i, out + i, n - i);
}
void ext_mul_base_k(ExtCols a, const Fp* b, ExtColsOut out, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i bv = ld(b + i);
    __m512i r[4];
    for (int c = 0; c < 4; ++c) r[c] = mul(ld(a.c[c] + i), bv);
    for (int c = 0; c < 4; ++c) st(out.c[c] + i, r[c]);  // out may alias a
  }
  if (i < n) tail().ext_mul_base(at(a, i), b + i, at(out, i), n - i);
}
void ext_mul_k(ExtCols a, ExtCols b, ExtColsOut out, size_t n) {
  const Scalar w(kW);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512i av[4], bv[4], wb[4];
    for (int c = 0; c < 4; ++c) {
      av[c] = ld(a.c[c] + i);
      bv[c] = ld(b.c[c] + i);
    }
    for (int c = 1; c < 4; ++c) wb[c] = w * bv[c];
    // (a0..a3) * (b0..b3) with x^4 = W.
    const __m512i o0 = add(add(mul(av[0], bv[0]), mul(av[1], wb[3])),
                           add(mul(av[2], wb[2]), mul(av[3], wb[1])));
    const __m512i o1 = add(add(mul(av[0], bv[1]), mul(av[1], bv[0])),
                           add(mul(av[2], wb[3]), mul(av[3], wb[2])));
    const __m512i o2 = add(add(mul(av[0], bv[2]), mul(av[1], bv[1])),
                           add(mul(av[2], bv[0]), mul(av[3], wb[3])));
    const __m512i o3 = add(add(mul(av[0], bv[3]), mul(av[1], bv[2])),
                           add(mul(av[2], bv[1]), mul(av[3], bv[0])));
    st(out.c[0] + i, o0);  // out may alias a or b: stored after every load
    st(out.c[1] + i, o1);
    st(out.c[2] + i, o2);
    st(out.c[3] + i, o3);
  }
  if (i < n) tail().ext_mul(at(a, i), at(b, i), at(out, i), n - i);
}
void mul_acc_k(const Fp* col, const Fp4& coeff, ExtColsOut acc, size_t n) {
  const Scalar k[4] = {Scalar(coeff[0]), Scalar(coeff[1]), Scalar(coeff[2]), Scalar(coeff[3])};
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i x = ld(col + i);
    for (int c = 0; c < 4; ++c) st(acc.c[c] + i, add(ld(acc.c[c] + i), k[c] * x));
  }
  if (i < n) tail().mul_acc(col + i, coeff, at(acc, i), n - i);
}
// Two products summed before one Montgomery reduction, as the AVX2 mul_acc2_k (the sum of two
// products < 2p^2 < p 2^32 keeps the reduced value in (-p, p)).
struct Scalar2 {
  __m512i w, w_mu;
  explicit Scalar2(Fp x)
      : w(_mm512_set1_epi32(int(x.montgomery()))),
        w_mu(_mm512_set1_epi32(int(x.montgomery() * Fp::kMu))) {}
};
inline __m512i mul2(__m512i a, __m512i a_odd, const Scalar2& x, __m512i b, __m512i b_odd,
                    const Scalar2& y) {
  const __m512i prod_evn = _mm512_add_epi64(_mm512_mul_epu32(a, x.w), _mm512_mul_epu32(b, y.w));
  const __m512i prod_odd =
      _mm512_add_epi64(_mm512_mul_epu32(a_odd, x.w), _mm512_mul_epu32(b_odd, y.w));
  const __m512i q_evn =
      _mm512_add_epi32(_mm512_mul_epu32(a, x.w_mu), _mm512_mul_epu32(b, y.w_mu));
  const __m512i q_odd =
      _mm512_add_epi32(_mm512_mul_epu32(a_odd, x.w_mu), _mm512_mul_epu32(b_odd, y.w_mu));
  return reduce_products(prod_evn, prod_odd, q_evn, q_odd);
}
void mul_acc2_k(const Fp* a, const Fp4& ka, const Fp* b, const Fp4& kb, ExtColsOut acc,
                size_t n) {
  const Scalar2 x[4] = {Scalar2(ka[0]), Scalar2(ka[1]), Scalar2(ka[2]), Scalar2(ka[3])};
  const Scalar2 y[4] = {Scalar2(kb[0]), Scalar2(kb[1]), Scalar2(kb[2]), Scalar2(kb[3])};
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i av = ld(a + i), bv = ld(b + i);
    const __m512i av_odd = _mm512_srli_epi64(av, 32), bv_odd = _mm512_srli_epi64(bv, 32);
    for (int c = 0; c < 4; ++c) {
      st(acc.c[c] + i, add(ld(acc.c[c] + i), mul2(av, av_odd, x[c], bv, bv_odd, y[c])));
    }
  }
  if (i < n) tail().mul_acc2(a + i, ka, b + i, kb, at(acc, i), n - i);
}
void ext_mul_acc_k(ExtCols a, const Fp4& coeff, ExtColsOut acc, size_t n) {
  // a * coeff with the constant's W multiples folded in: o_c = sum_j a_j k_{c,j}.
  const Fp w = kW;
  const Fp kc[4][4] = {{coeff[0], w * coeff[3], w * coeff[2], w * coeff[1]},
                       {coeff[1], coeff[0], w * coeff[3], w * coeff[2]},
                       {coeff[2], coeff[1], coeff[0], w * coeff[3]},
                       {coeff[3], coeff[2], coeff[1], coeff[0]}};
  const Scalar k[4][4] = {
      {Scalar(kc[0][0]), Scalar(kc[0][1]), Scalar(kc[0][2]), Scalar(kc[0][3])},
      {Scalar(kc[1][0]), Scalar(kc[1][1]), Scalar(kc[1][2]), Scalar(kc[1][3])},
      {Scalar(kc[2][0]), Scalar(kc[2][1]), Scalar(kc[2][2]), Scalar(kc[2][3])},
      {Scalar(kc[3][0]), Scalar(kc[3][1]), Scalar(kc[3][2]), Scalar(kc[3][3])}};
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512i av[4];
    for (int j = 0; j < 4; ++j) av[j] = ld(a.c[j] + i);
    for (int c = 0; c < 4; ++c) {
      const __m512i s =
          add(add(k[c][0] * av[0], k[c][1] * av[1]), add(k[c][2] * av[2], k[c][3] * av[3]));
      st(acc.c[c] + i, add(ld(acc.c[c] + i), s));
    }
  }
  if (i < n) tail().ext_mul_acc(at(a, i), coeff, at(acc, i), n - i);
}
Fp4 dot_k(const Fp* col, ExtCols w, size_t n) { return tail().dot(col, w, n); }

}  // namespace

const air::ColumnKernels& column_kernels() {
  static const air::ColumnKernels k{add_k, sub_k,     mul_k,         neg_k, ext_mul_base_k,
                                    ext_mul_k, mul_acc_k, ext_mul_acc_k, dot_k,
                                    mul_acc2_k};
  return k;
}

}  // namespace efaas::avx512
EFAAS_AVX512_END
