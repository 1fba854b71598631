// AVX2 column kernels: eight rows per register. Identical results to the scalar kernels in
// prover/air/column_kernels.cpp (column_kernels_test checks it on random inputs).
#include "kernels/avx2/column_avx2.hpp"

#include "kernels/avx2/babybear_avx2.hpp"

EFAAS_AVX2_BEGIN
namespace efaas::avx2 {

namespace {

using air::ExtCols;
using air::ExtColsOut;

inline __m256i ld(const Fp* p) { return PackedFp::load(p).v; }
inline void st(Fp* p, __m256i v) { PackedFp{v}.store(p); }

// A constant multiplier with its q factor precomputed (see mul_precomp).
struct Scalar {
  __m256i w, w_mu;
  explicit Scalar(Fp x)
      : w(_mm256_set1_epi32(int(x.montgomery()))),
        w_mu(_mm256_set1_epi32(int(x.montgomery() * Fp::kMu))) {}
  __m256i operator*(__m256i a) const { return mul_precomp(a, w, w_mu); }
};

constexpr Fp kW = Fp::from_u32(Fp4::kW);

Fp4 at(ExtCols a, size_t i) { return {a.c[0][i], a.c[1][i], a.c[2][i], a.c[3][i]}; }
void put(ExtColsOut o, size_t i, const Fp4& v) {
  for (int c = 0; c < 4; ++c) o.c[c][i] = v[c];
}

// (a0..a3) * (b0..b3) with x^4 = W; wb_i = W b_i.
inline void ext_mul8(const __m256i a[4], const __m256i b[4], const __m256i wb[4], __m256i o[4]) {
  o[0] = add(add(mul(a[0], b[0]), mul(a[1], wb[3])), add(mul(a[2], wb[2]), mul(a[3], wb[1])));
  o[1] = add(add(mul(a[0], b[1]), mul(a[1], b[0])), add(mul(a[2], wb[3]), mul(a[3], wb[2])));
  o[2] = add(add(mul(a[0], b[2]), mul(a[1], b[1])), add(mul(a[2], b[0]), mul(a[3], wb[3])));
  o[3] = add(add(mul(a[0], b[3]), mul(a[1], b[2])), add(mul(a[2], b[1]), mul(a[3], b[0])));
}

void add_k(const Fp* a, const Fp* b, Fp* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) st(out + i, add(ld(a + i), ld(b + i)));
  for (; i < n; ++i) out[i] = a[i] + b[i];
}
void sub_k(const Fp* a, const Fp* b, Fp* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) st(out + i, sub(ld(a + i), ld(b + i)));
  for (; i < n; ++i) out[i] = a[i] - b[i];
}
void mul_k(const Fp* a, const Fp* b, Fp* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) st(out + i, mul(ld(a + i), ld(b + i)));
  for (; i < n; ++i) out[i] = a[i] * b[i];
}
void neg_k(const Fp* a, Fp* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) st(out + i, neg(ld(a + i)));
  for (; i < n; ++i) out[i] = -a[i];
}
void ext_mul_base_k(ExtCols a, const Fp* b, ExtColsOut out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i bv = ld(b + i);
    __m256i r[4];
    for (int c = 0; c < 4; ++c) r[c] = mul(ld(a.c[c] + i), bv);
    for (int c = 0; c < 4; ++c) st(out.c[c] + i, r[c]);  // out may alias a
  }
  for (; i < n; ++i) put(out, i, at(a, i) * b[i]);
}
void ext_mul_k(ExtCols a, ExtCols b, ExtColsOut out, size_t n) {
  const Scalar w(kW);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i av[4], bv[4], wb[4], o[4];
    for (int c = 0; c < 4; ++c) {
      av[c] = ld(a.c[c] + i);
      bv[c] = ld(b.c[c] + i);
    }
    for (int c = 1; c < 4; ++c) wb[c] = w * bv[c];
    ext_mul8(av, bv, wb, o);
    for (int c = 0; c < 4; ++c) st(out.c[c] + i, o[c]);
  }
  for (; i < n; ++i) put(out, i, at(a, i) * at(b, i));
}
void mul_acc_k(const Fp* col, const Fp4& coeff, ExtColsOut acc, size_t n) {
  const Scalar k[4] = {Scalar(coeff[0]), Scalar(coeff[1]), Scalar(coeff[2]), Scalar(coeff[3])};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i x = ld(col + i);
    for (int c = 0; c < 4; ++c) st(acc.c[c] + i, add(ld(acc.c[c] + i), k[c] * x));
  }
  for (; i < n; ++i) {
    for (int c = 0; c < 4; ++c) acc.c[c][i] += coeff[c] * col[i];
  }
}
// Two products summed before one Montgomery reduction: each is < p^2, and with their sum
// < 2p^2 < p 2^32 the reduced value still lies in (-p, p), so reduce_products applies as is
// (q is linear: the sum of a * w_mu and b * v_mu is the sum's q mod 2^32).
struct Scalar2 {
  __m256i w, w_odd, w_mu, w_mu_odd;
  explicit Scalar2(Fp x)
      : w(_mm256_set1_epi32(int(x.montgomery()))),
        w_odd(_mm256_srli_epi64(w, 32)),
        w_mu(_mm256_set1_epi32(int(x.montgomery() * Fp::kMu))),
        w_mu_odd(_mm256_srli_epi64(w_mu, 32)) {}
};
inline __m256i mul2(__m256i a, __m256i a_odd, const Scalar2& x, __m256i b, __m256i b_odd,
                    const Scalar2& y) {
  const __m256i prod_evn = _mm256_add_epi64(_mm256_mul_epu32(a, x.w), _mm256_mul_epu32(b, y.w));
  const __m256i prod_odd =
      _mm256_add_epi64(_mm256_mul_epu32(a_odd, x.w_odd), _mm256_mul_epu32(b_odd, y.w_odd));
  const __m256i q_evn =
      _mm256_add_epi32(_mm256_mul_epu32(a, x.w_mu), _mm256_mul_epu32(b, y.w_mu));
  const __m256i q_odd =
      _mm256_add_epi32(_mm256_mul_epu32(a_odd, x.w_mu_odd), _mm256_mul_epu32(b_odd, y.w_mu_odd));
  return reduce_products(prod_evn, prod_odd, q_evn, q_odd);
}
void mul_acc2_k(const Fp* a, const Fp4& ka, const Fp* b, const Fp4& kb, ExtColsOut acc,
                size_t n) {
  const Scalar2 x[4] = {Scalar2(ka[0]), Scalar2(ka[1]), Scalar2(ka[2]), Scalar2(ka[3])};
  const Scalar2 y[4] = {Scalar2(kb[0]), Scalar2(kb[1]), Scalar2(kb[2]), Scalar2(kb[3])};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i av = ld(a + i), bv = ld(b + i);
    const __m256i av_odd = _mm256_srli_epi64(av, 32), bv_odd = _mm256_srli_epi64(bv, 32);
    for (int c = 0; c < 4; ++c) {
      st(acc.c[c] + i, add(ld(acc.c[c] + i), mul2(av, av_odd, x[c], bv, bv_odd, y[c])));
    }
  }
  for (; i < n; ++i) {
    for (int c = 0; c < 4; ++c) acc.c[c][i] += ka[c] * a[i] + kb[c] * b[i];
  }
}
void ext_mul_acc_k(ExtCols a, const Fp4& coeff, ExtColsOut acc, size_t n) {
  // a * coeff with the constant's W multiples folded in: o_c = sum_j a_j k_{c,j}.
  const Fp w = kW;
  const Fp kc[4][4] = {{coeff[0], w * coeff[3], w * coeff[2], w * coeff[1]},
                       {coeff[1], coeff[0], w * coeff[3], w * coeff[2]},
                       {coeff[2], coeff[1], coeff[0], w * coeff[3]},
                       {coeff[3], coeff[2], coeff[1], coeff[0]}};
  Scalar k[4][4] = {
      {Scalar(kc[0][0]), Scalar(kc[0][1]), Scalar(kc[0][2]), Scalar(kc[0][3])},
      {Scalar(kc[1][0]), Scalar(kc[1][1]), Scalar(kc[1][2]), Scalar(kc[1][3])},
      {Scalar(kc[2][0]), Scalar(kc[2][1]), Scalar(kc[2][2]), Scalar(kc[2][3])},
      {Scalar(kc[3][0]), Scalar(kc[3][1]), Scalar(kc[3][2]), Scalar(kc[3][3])}};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i av[4];
    for (int j = 0; j < 4; ++j) av[j] = ld(a.c[j] + i);
    for (int c = 0; c < 4; ++c) {
      __m256i s = add(add(k[c][0] * av[0], k[c][1] * av[1]), add(k[c][2] * av[2], k[c][3] * av[3]));
      st(acc.c[c] + i, add(ld(acc.c[c] + i), s));
    }
  }
  for (; i < n; ++i) {
    const Fp4 v = at(a, i) * coeff;
    for (int c = 0; c < 4; ++c) acc.c[c][i] += v[c];
  }
}

// Lazy reduction: the 62-bit products of Montgomery representatives are summed as their low
// and high 32-bit halves in 64-bit lanes (no overflow below 2^28 rows) and reduced once. The sum
// is R^2 * (sum col w) mod p, so one Montgomery reduction of it gives R * (sum col w).
Fp4 dot_k(const Fp* col, ExtCols w, size_t n) {
  const __m256i mask = _mm256_set1_epi64x(0xffffffff);
  __m256i lo[4], hi[4];
  for (int c = 0; c < 4; ++c) lo[c] = hi[c] = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(col + i));
    const __m256i x_odd = _mm256_srli_epi64(x, 32);
    for (int c = 0; c < 4; ++c) {
      const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.c[c] + i));
      const __m256i p0 = _mm256_mul_epu32(x, y);
      const __m256i p1 = _mm256_mul_epu32(x_odd, _mm256_srli_epi64(y, 32));
      lo[c] = _mm256_add_epi64(lo[c], _mm256_add_epi64(_mm256_and_si256(p0, mask),
                                                       _mm256_and_si256(p1, mask)));
      hi[c] = _mm256_add_epi64(hi[c], _mm256_add_epi64(_mm256_srli_epi64(p0, 32),
                                                       _mm256_srli_epi64(p1, 32)));
    }
  }
  constexpr uint64_t kTwo32 = (uint64_t(1) << 32) % Fp::kP;
  Fp4 out;
  Fp r[4];
  for (int c = 0; c < 4; ++c) {
    alignas(32) uint64_t l[4], h[4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(l), lo[c]);
    _mm256_store_si256(reinterpret_cast<__m256i*>(h), hi[c]);
    uint64_t sl = l[0] + l[1] + l[2] + l[3], sh = h[0] + h[1] + h[2] + h[3];
    for (size_t j = i; j < n; ++j) {
      const uint64_t p = uint64_t(col[j].montgomery()) * w.c[c][j].montgomery();
      sl += p & 0xffffffff;
      sh += p >> 32;
    }
    const uint64_t t = ((sh % Fp::kP) * kTwo32 + sl % Fp::kP) % Fp::kP;
    r[c] = Fp::from_montgomery(Fp::mont_reduce(t));
  }
  out = Fp4(r[0], r[1], r[2], r[3]);
  return out;
}

const air::ColumnKernels kAvx2{add_k,      sub_k,      mul_k,     neg_k, ext_mul_base_k,
                               ext_mul_k,  mul_acc_k, ext_mul_acc_k, dot_k,
                               mul_acc2_k};

}  // namespace

const air::ColumnKernels& column_kernels() { return kAvx2; }

}  // namespace efaas::avx2
EFAAS_AVX2_END
