// AVX-512 NTT kernels: the AVX2 kernels' structure (kernels/avx2/ntt_avx2.cpp) with sixteen
// butterflies per instruction sequence, and the layers above the 2^12 leaf two per pass (radix 4)
// to halve the passes over a column. Layers with half-size >= 16 pair whole vectors; the last
// four layers (half-sizes 8, 4, 2, 1) run in registers on 32 elements, regrouped between layers
// by vpermt2d with index tables built once. Twiddle multiplies use the precomputed w * p^-1.
// Columns shorter than 32 and the layers below 16 of the parallel sweeps go to the AVX2 kernels.
// Results are identical to the scalar kernels (field arithmetic is exact and canonical).
#include "kernels/avx512/ntt_avx512.hpp"

#include <array>
#include <cstring>

#include "kernels/avx2/ntt_avx2.hpp"
#include "prover/field/babybear.hpp"
#include "prover/ntt/ntt_backend.hpp"

// GCC 12's AVX-512 headers self-initialize their "undefined" vectors (__Y = __Y), which
// -Wuninitialized reports in every function that inlines them (as in poseidon2_avx512.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include "kernels/avx512/target_avx512.hpp"

namespace efaas::avx512 {
namespace {

constexpr uint32_t kLeafLog = 12;  // 16 KiB blocks finish in L1

// Index tables of the in-register layers, built at baseline (no vector code needed).
// Layout k (k = 0..3) holds the 32 elements of a leaf group as lo = those with bit k clear in
// ascending order, hi = lo + 2^k; layout 4 is natural order (lo = 0..15, hi = 16..31).
struct LeafTables {
  // to[k][from] as vpermt2d indices: lanes of (lo, hi) of layout `from` for layout k.
  alignas(64) uint32_t lo_idx[5][5][16];
  alignas(64) uint32_t hi_idx[5][5][16];
  // Twiddles of layer k (k = 1..3) at the lanes of layout k, forward and inverse.
  alignas(64) uint32_t w[2][4][16];
  alignas(64) uint32_t mu[2][4][16];
};

void layout(uint32_t k, uint32_t lo[16], uint32_t hi[16]) {
  uint32_t n = 0;
  for (uint32_t e = 0; e < 32; ++e) {
    if (k == 4 ? e < 16 : !((e >> k) & 1)) {
      lo[n] = e;
      hi[n] = k == 4 ? e + 16 : e + (1u << k);
      ++n;
    }
  }
}

const LeafTables& leaf_tables() {
  static const LeafTables t = [] {
    LeafTables r{};
    uint32_t lo[5][16], hi[5][16];
    for (uint32_t k = 0; k < 5; ++k) layout(k, lo[k], hi[k]);
    for (uint32_t to = 0; to < 5; ++to) {
      for (uint32_t from = 0; from < 5; ++from) {
        uint32_t where[32];  // element -> vpermt2d source lane in layout `from`
        for (uint32_t i = 0; i < 16; ++i) {
          where[lo[from][i]] = i;
          where[hi[from][i]] = 16 + i;
        }
        for (uint32_t i = 0; i < 16; ++i) {
          r.lo_idx[to][from][i] = where[lo[to][i]];
          r.hi_idx[to][from][i] = where[hi[to][i]];
        }
      }
    }
    for (int inv = 0; inv < 2; ++inv) {
      for (uint32_t k = 1; k < 4; ++k) {
        const TwiddleLayer tw = twiddle_layer(inv != 0, k);
        for (uint32_t i = 0; i < 16; ++i) {
          const uint32_t j = lo[k][i] & ((1u << k) - 1);
          r.w[inv][k][i] = tw.w[j].montgomery();
          r.mu[inv][k][i] = tw.mu[j];
        }
      }
    }
    return r;
  }();
  return t;
}

}  // namespace
}  // namespace efaas::avx512

EFAAS_AVX512_BEGIN
#include "kernels/avx512/babybear_avx512.hpp"  // inside the region: compiled for this target

namespace efaas::avx512 {
namespace {

using packed::add;
using packed::mul;
using packed::p_vec;
using packed::reduce_products;
using packed::sub;

inline __m512i loadv(const void* p) { return _mm512_loadu_si512(p); }
inline void storev(void* p, __m512i v) { _mm512_storeu_si512(p, v); }


// a * w with w_mu = w * p^-1 mod 2^32 precomputed: q needs no multiply after the product.
inline __m512i mul_precomp(__m512i a, __m512i w, __m512i w_mu) {
  const __m512i a_odd = _mm512_srli_epi64(a, 32);
  const __m512i prod_evn = _mm512_mul_epu32(a, w);
  const __m512i prod_odd = _mm512_mul_epu32(a_odd, _mm512_srli_epi64(w, 32));
  const __m512i q_evn = _mm512_mul_epu32(a, w_mu);
  const __m512i q_odd = _mm512_mul_epu32(a_odd, _mm512_srli_epi64(w_mu, 32));
  return reduce_products(prod_evn, prod_odd, q_evn, q_odd);
}

// One layer of half-size h = 2^k >= 16 over a block of 2^log_n.
void dif_layer_block(Fp* x, uint32_t log_n, uint32_t k, TwiddleLayer tw) {
  const size_t h = size_t(1) << k, n = size_t(1) << log_n;
  for (size_t blk = 0; blk < n; blk += 2 * h) {
    Fp* a = x + blk;
    for (size_t j = 0; j < h; j += 16) {
      const __m512i u = loadv(a + j), v = loadv(a + j + h);
      storev(a + j, add(u, v));
      storev(a + j + h, mul_precomp(sub(u, v), loadv(tw.w + j), loadv(tw.mu + j)));
    }
  }
}

void dit_layer_block(Fp* x, uint32_t log_n, uint32_t k, TwiddleLayer tw) {
  const size_t h = size_t(1) << k, n = size_t(1) << log_n;
  for (size_t blk = 0; blk < n; blk += 2 * h) {
    Fp* a = x + blk;
    for (size_t j = 0; j < h; j += 16) {
      const __m512i u = loadv(a + j);
      const __m512i v = mul_precomp(loadv(a + j + h), loadv(tw.w + j), loadv(tw.mu + j));
      storev(a + j, add(u, v));
      storev(a + j + h, sub(u, v));
    }
  }
}

// Layers k and k - 1 in one pass over a block of 2^(k+1) (quarters of q = 2^(k-1) >= 16): the
// layers above the leaf run from L2/L3, so pairing them halves the passes over the column.
// With kScale, x[i] is first multiplied by scale * base^i (coset_dif). With `src`, the input is
// read from there instead of x (coset_dif_from: the copy into x folded into this pass).
template <bool kScale>
void dif_two_layers(Fp* x, uint32_t k, bool inverse, Fp scale = Fp::one(),
                    Fp base = Fp::one(), const Fp* src = nullptr) {
  const Fp* in = src != nullptr ? src : x;
  const TwiddleLayer hi = twiddle_layer(inverse, k), lo = twiddle_layer(inverse, k - 1);
  const size_t q = size_t(1) << (k - 1);
  // pw = scale * base^(j + lane); c_i = base^(i q) moves it to quarter i.
  alignas(64) Fp p[16];
  p[0] = scale;
  for (int i = 1; i < 16; ++i) p[i] = p[i - 1] * base;
  __m512i pw = loadv(p);
  const __m512i step = _mm512_set1_epi32(int(base.pow(16).montgomery()));
  const __m512i c1 = _mm512_set1_epi32(int(base.pow(q).montgomery()));
  const __m512i c2 = _mm512_set1_epi32(int(base.pow(2 * q).montgomery()));
  const __m512i c3 = _mm512_set1_epi32(int(base.pow(3 * q).montgomery()));
  for (size_t j = 0; j < q; j += 16) {
    __m512i x0 = loadv(in + j), x1 = loadv(in + j + q);
    __m512i x2 = loadv(in + j + 2 * q), x3 = loadv(in + j + 3 * q);
    if constexpr (kScale) {
      x0 = mul(x0, pw);
      x1 = mul(x1, mul(pw, c1));
      x2 = mul(x2, mul(pw, c2));
      x3 = mul(x3, mul(pw, c3));
      pw = mul(pw, step);
    }
    const __m512i y0 = add(x0, x2), y1 = add(x1, x3);
    const __m512i y2 = mul_precomp(sub(x0, x2), loadv(hi.w + j), loadv(hi.mu + j));
    const __m512i y3 = mul_precomp(sub(x1, x3), loadv(hi.w + j + q), loadv(hi.mu + j + q));
    const __m512i w = loadv(lo.w + j), w_mu = loadv(lo.mu + j);
    storev(x + j, add(y0, y1));
    storev(x + j + q, mul_precomp(sub(y0, y1), w, w_mu));
    storev(x + j + 2 * q, add(y2, y3));
    storev(x + j + 3 * q, mul_precomp(sub(y2, y3), w, w_mu));
  }
}

void dit_two_layers(Fp* x, uint32_t k, bool inverse) {
  const TwiddleLayer hi = twiddle_layer(inverse, k), lo = twiddle_layer(inverse, k - 1);
  const size_t q = size_t(1) << (k - 1);
  for (size_t j = 0; j < q; j += 16) {
    const __m512i x0 = loadv(x + j), x2 = loadv(x + j + 2 * q);
    const __m512i w = loadv(lo.w + j), w_mu = loadv(lo.mu + j);
    const __m512i t1 = mul_precomp(loadv(x + j + q), w, w_mu);
    const __m512i t3 = mul_precomp(loadv(x + j + 3 * q), w, w_mu);
    const __m512i y0 = add(x0, t1), y1 = sub(x0, t1), y2 = add(x2, t3), y3 = sub(x2, t3);
    const __m512i u2 = mul_precomp(y2, loadv(hi.w + j), loadv(hi.mu + j));
    const __m512i u3 = mul_precomp(y3, loadv(hi.w + j + q), loadv(hi.mu + j + q));
    storev(x + j, add(y0, u2));
    storev(x + j + 2 * q, sub(y0, u2));
    storev(x + j + q, add(y1, u3));
    storev(x + j + 3 * q, sub(y1, u3));
  }
}

// The vectors of the in-register layers, loaded once per leaf: the five regroupings in the
// order they run (DIF: layouts 4 -> 3 -> 2 -> 1 -> 0 -> 4, DIT: 4 -> 0 -> 1 -> 2 -> 3 -> 4) and
// the twiddles of layers 1..3 (layer 0's twiddle is 1).
struct LeafVectors {
  __m512i lo[5], hi[5];
  __m512i w[4], mu[4];
};

LeafVectors leaf_vectors(bool inverse, bool dif) {
  static constexpr uint32_t kDif[6] = {4, 3, 2, 1, 0, 4}, kDit[6] = {4, 0, 1, 2, 3, 4};
  const uint32_t* path = dif ? kDif : kDit;
  const LeafTables& t = leaf_tables();
  LeafVectors s;
  for (int i = 0; i < 5; ++i) {
    s.lo[i] = loadv(t.lo_idx[path[i + 1]][path[i]]);
    s.hi[i] = loadv(t.hi_idx[path[i + 1]][path[i]]);
  }
  for (int k = 0; k < 4; ++k) {
    s.w[k] = loadv(t.w[inverse][k]);
    s.mu[k] = loadv(t.mu[inverse][k]);
  }
  return s;
}

inline void regroup(__m512i& lo, __m512i& hi, const LeafVectors& s, int step) {
  const __m512i l = _mm512_permutex2var_epi32(lo, s.lo[step], hi);
  hi = _mm512_permutex2var_epi32(lo, s.hi[step], hi);
  lo = l;
}

inline void dif_butterfly(__m512i& lo, __m512i& hi, const LeafVectors& s, int k) {
  const __m512i d = sub(lo, hi);
  lo = add(lo, hi);
  hi = k == 0 ? d : mul_precomp(d, s.w[k], s.mu[k]);
}

inline void dit_butterfly(__m512i& lo, __m512i& hi, const LeafVectors& s, int k) {
  const __m512i t = k == 0 ? hi : mul_precomp(hi, s.w[k], s.mu[k]);
  hi = sub(lo, t);
  lo = add(lo, t);
}

// Layers of half-size 8, 4, 2, 1 (DIF order) on the 32 elements at x.
inline void dif_last4(Fp* x, const LeafVectors& s) {
  __m512i lo = loadv(x), hi = loadv(x + 16);
  regroup(lo, hi, s, 0);
  dif_butterfly(lo, hi, s, 3);
  regroup(lo, hi, s, 1);
  dif_butterfly(lo, hi, s, 2);
  regroup(lo, hi, s, 2);
  dif_butterfly(lo, hi, s, 1);
  regroup(lo, hi, s, 3);
  dif_butterfly(lo, hi, s, 0);
  regroup(lo, hi, s, 4);
  storev(x, lo);
  storev(x + 16, hi);
}

// Layers of half-size 1, 2, 4, 8 (DIT order) on the 32 elements at x.
inline void dit_first4(Fp* x, const LeafVectors& s) {
  __m512i lo = loadv(x), hi = loadv(x + 16);
  regroup(lo, hi, s, 0);
  dit_butterfly(lo, hi, s, 0);
  regroup(lo, hi, s, 1);
  dit_butterfly(lo, hi, s, 1);
  regroup(lo, hi, s, 2);
  dit_butterfly(lo, hi, s, 2);
  regroup(lo, hi, s, 3);
  dit_butterfly(lo, hi, s, 3);
  regroup(lo, hi, s, 4);
  storev(x, lo);
  storev(x + 16, hi);
}

void dif_leaf(Fp* x, uint32_t log_n, bool inverse) {
  for (uint32_t k = log_n - 1; k >= 4; --k) {
    dif_layer_block(x, log_n, k, twiddle_layer(inverse, k));
  }
  const LeafVectors s = leaf_vectors(inverse, true);
  const size_t n = size_t(1) << log_n;
  for (size_t i = 0; i < n; i += 32) dif_last4(x + i, s);
}

void dit_leaf(Fp* x, uint32_t log_n, bool inverse) {
  const LeafVectors s = leaf_vectors(inverse, false);
  const size_t n = size_t(1) << log_n;
  for (size_t i = 0; i < n; i += 32) dit_first4(x + i, s);
  for (uint32_t k = 4; k < log_n; ++k) dit_layer_block(x, log_n, k, twiddle_layer(inverse, k));
}

void dif(Fp* x, uint32_t log_n, bool inverse) {
  if (log_n < 5) {  // too short for the 32-element leaf
    avx2::ntt_kernels().dif(x, log_n, inverse);
    return;
  }
  if (log_n <= kLeafLog) {
    dif_leaf(x, log_n, inverse);
    return;
  }
  if (log_n >= kLeafLog + 2) {
    dif_two_layers<false>(x, log_n - 1, inverse);
    const size_t q = size_t(1) << (log_n - 2);
    for (int i = 0; i < 4; ++i) dif(x + i * q, log_n - 2, inverse);
    return;
  }
  dif_layer_block(x, log_n, log_n - 1, twiddle_layer(inverse, log_n - 1));
  const size_t h = size_t(1) << (log_n - 1);
  dif(x, log_n - 1, inverse);
  dif(x + h, log_n - 1, inverse);
}

void dit(Fp* x, uint32_t log_n, bool inverse) {
  if (log_n < 5) {
    avx2::ntt_kernels().dit(x, log_n, inverse);
    return;
  }
  if (log_n <= kLeafLog) {
    dit_leaf(x, log_n, inverse);
    return;
  }
  if (log_n >= kLeafLog + 2) {
    const size_t q = size_t(1) << (log_n - 2);
    for (int i = 0; i < 4; ++i) dit(x + i * q, log_n - 2, inverse);
    dit_two_layers(x, log_n - 1, inverse);
    return;
  }
  const size_t h = size_t(1) << (log_n - 1);
  dit(x, log_n - 1, inverse);
  dit(x + h, log_n - 1, inverse);
  dit_layer_block(x, log_n, log_n - 1, twiddle_layer(inverse, log_n - 1));
}

void scale_by_powers(Fp* x, size_t n, Fp scale, Fp base);

// scale_by_powers then dif; columns of 2^14 and more scale in the first radix-4 pass.
void coset_dif(Fp* x, uint32_t log_n, bool inverse, Fp scale, Fp base) {
  if (log_n < kLeafLog + 2) {
    scale_by_powers(x, size_t(1) << log_n, scale, base);
    dif(x, log_n, inverse);
    return;
  }
  dif_two_layers<true>(x, log_n - 1, inverse, scale, base);
  const size_t q = size_t(1) << (log_n - 2);
  for (int i = 0; i < 4; ++i) dif(x + i * q, log_n - 2, inverse);
}

// x = src, then coset_dif; from 2^14 the copy is the first radix-4 pass's loads.
void coset_dif_from(const Fp* src, Fp* x, uint32_t log_n, Fp scale, Fp base) {
  if (log_n < kLeafLog + 2) {
    std::memcpy(x, src, (size_t(1) << log_n) * sizeof(Fp));
    coset_dif(x, log_n, false, scale, base);
    return;
  }
  dif_two_layers<true>(x, log_n - 1, false, scale, base, src);
  const size_t q = size_t(1) << (log_n - 2);
  for (int i = 0; i < 4; ++i) dif(x + i * q, log_n - 2, false);
}

void scale_by_powers(Fp* x, size_t n, Fp scale, Fp base) {
  if (n < 32) {
    avx2::ntt_kernels().scale_by_powers(x, n, scale, base);
    return;
  }
  alignas(64) Fp p[16];
  p[0] = scale;
  for (int i = 1; i < 16; ++i) p[i] = p[i - 1] * base;
  __m512i pw = loadv(p);
  const __m512i step = _mm512_set1_epi32(int(base.pow(16).montgomery()));
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    storev(x + i, mul(loadv(x + i), pw));
    pw = mul(pw, step);
  }
  storev(p, pw);
  for (size_t j = 0; i < n; ++i, ++j) x[i] *= p[j];
}

// Butterflies [begin, end) of one layer (the parallel sweeps over a large column's top layers).
void dif_layer(Fp* x, uint32_t log_n, uint32_t k, bool inverse, size_t begin, size_t end) {
  const size_t h = size_t(1) << k;
  if (k < 4 || (begin & 15) || (end & 15)) {
    avx2::ntt_kernels().dif_layer(x, log_n, k, inverse, begin, end);
    return;
  }
  const TwiddleLayer tw = twiddle_layer(inverse, k);
  for (size_t t = begin; t < end; t += 16) {
    const size_t j = t & (h - 1);
    Fp* a = x + ((t >> k) << (k + 1)) + j;
    const __m512i u = loadv(a), v = loadv(a + h);
    storev(a, add(u, v));
    storev(a + h, mul_precomp(sub(u, v), loadv(tw.w + j), loadv(tw.mu + j)));
  }
}

void dit_layer(Fp* x, uint32_t log_n, uint32_t k, bool inverse, size_t begin, size_t end) {
  const size_t h = size_t(1) << k;
  if (k < 4 || (begin & 15) || (end & 15)) {
    avx2::ntt_kernels().dit_layer(x, log_n, k, inverse, begin, end);
    return;
  }
  const TwiddleLayer tw = twiddle_layer(inverse, k);
  for (size_t t = begin; t < end; t += 16) {
    const size_t j = t & (h - 1);
    Fp* a = x + ((t >> k) << (k + 1)) + j;
    const __m512i u = loadv(a);
    const __m512i v = mul_precomp(loadv(a + h), loadv(tw.w + j), loadv(tw.mu + j));
    storev(a, add(u, v));
    storev(a + h, sub(u, v));
  }
}

}  // namespace

const CpuNttKernels& ntt_kernels() {
  static const CpuNttKernels kernels{dif,       dit,       scale_by_powers,
                                     dif_layer, dit_layer, coset_dif,
                                     coset_dif_from};
  return kernels;
}

}  // namespace efaas::avx512
EFAAS_AVX512_END
