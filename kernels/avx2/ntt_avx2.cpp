// AVX2 NTT kernels: eight butterflies per instruction sequence. Layers with half-size >= 8 pair
// whole vectors; the last three layers (half-sizes 4, 2, 1) pair lanes inside a couple of
// vectors with shuffles. Blocks recurse depth-first so every layer below the cache size runs
// from cache; the twiddle multiply uses a precomputed w * p^-1 to shorten its dependency chain.
#include "kernels/avx2/ntt_avx2.hpp"

#include "kernels/avx2/babybear_avx2.hpp"
#include "kernels/avx2/target_avx2.hpp"
#include "prover/ntt/ntt_backend.hpp"

EFAAS_AVX2_BEGIN
namespace efaas::avx2 {

namespace {

constexpr uint32_t kLeafLog = 12;  // 16 KiB blocks finish in L1

inline __m256i loadv(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline void storev(void* p, __m256i v) { _mm256_storeu_si256(static_cast<__m256i*>(p), v); }

// Scalar butterflies for short or unaligned ranges.
inline void dif_scalar(Fp* a, size_t h, Fp w) {
  Fp u = a[0], v = a[h];
  a[0] = u + v;
  a[h] = (u - v) * w;
}
inline void dit_scalar(Fp* a, size_t h, Fp w) {
  Fp u = a[0], v = a[h] * w;
  a[0] = u + v;
  a[h] = u - v;
}

// One layer of half-size h = 2^k >= 8 over butterflies [begin, end) of a column.
void dif_layer_range(Fp* x, uint32_t k, TwiddleLayer tw, size_t begin, size_t end) {
  const size_t h = size_t(1) << k;
  size_t t = begin;
  for (; t < end && (t & 7); ++t) {
    dif_scalar(x + ((t >> k) << (k + 1)) + (t & (h - 1)), h, tw.w[t & (h - 1)]);
  }
  for (; t + 8 <= end; t += 8) {
    const size_t j = t & (h - 1);
    Fp* a = x + ((t >> k) << (k + 1)) + j;
    __m256i u = loadv(a), v = loadv(a + h);
    storev(a, add(u, v));
    storev(a + h, mul_precomp(sub(u, v), loadv(tw.w + j), loadv(tw.mu + j)));
  }
  for (; t < end; ++t) {
    dif_scalar(x + ((t >> k) << (k + 1)) + (t & (h - 1)), h, tw.w[t & (h - 1)]);
  }
}

void dit_layer_range(Fp* x, uint32_t k, TwiddleLayer tw, size_t begin, size_t end) {
  const size_t h = size_t(1) << k;
  size_t t = begin;
  for (; t < end && (t & 7); ++t) {
    dit_scalar(x + ((t >> k) << (k + 1)) + (t & (h - 1)), h, tw.w[t & (h - 1)]);
  }
  for (; t + 8 <= end; t += 8) {
    const size_t j = t & (h - 1);
    Fp* a = x + ((t >> k) << (k + 1)) + j;
    __m256i u = loadv(a);
    __m256i v = mul_precomp(loadv(a + h), loadv(tw.w + j), loadv(tw.mu + j));
    storev(a, add(u, v));
    storev(a + h, sub(u, v));
  }
  for (; t < end; ++t) {
    dit_scalar(x + ((t >> k) << (k + 1)) + (t & (h - 1)), h, tw.w[t & (h - 1)]);
  }
}

// A whole layer over a block of 2^log_n, k >= 3: nested loops without index arithmetic.
void dif_layer_block(Fp* x, uint32_t log_n, uint32_t k, TwiddleLayer tw) {
  const size_t h = size_t(1) << k, n = size_t(1) << log_n;
  for (size_t blk = 0; blk < n; blk += 2 * h) {
    Fp* a = x + blk;
    for (size_t j = 0; j < h; j += 8) {
      __m256i u = loadv(a + j), v = loadv(a + j + h);
      storev(a + j, add(u, v));
      storev(a + j + h, mul_precomp(sub(u, v), loadv(tw.w + j), loadv(tw.mu + j)));
    }
  }
}

void dit_layer_block(Fp* x, uint32_t log_n, uint32_t k, TwiddleLayer tw) {
  const size_t h = size_t(1) << k, n = size_t(1) << log_n;
  for (size_t blk = 0; blk < n; blk += 2 * h) {
    Fp* a = x + blk;
    for (size_t j = 0; j < h; j += 8) {
      __m256i u = loadv(a + j);
      __m256i v = mul_precomp(loadv(a + j + h), loadv(tw.w + j), loadv(tw.mu + j));
      storev(a + j, add(u, v));
      storev(a + j + h, sub(u, v));
    }
  }
}

// Twiddle vectors for the in-register layers: half-size 4 uses [w8^0..w8^3] twice, half-size 2
// uses [1, w4] four times, half-size 1 needs none (w = 1).
struct SmallTwiddles {
  __m256i w4, w4_mu, w2, w2_mu;
};

SmallTwiddles small_twiddles(bool inverse) {
  TwiddleLayer t2 = twiddle_layer(inverse, 2), t1 = twiddle_layer(inverse, 1);
  SmallTwiddles s;
  auto rep = [](const auto* p, int period) {
    alignas(32) uint32_t v[8];
    for (int i = 0; i < 8; ++i) {
      if constexpr (sizeof(*p) == 4) v[i] = reinterpret_cast<const uint32_t*>(p)[i % period];
    }
    return loadv(v);
  };
  s.w4 = rep(t2.w, 4);
  s.w4_mu = rep(t2.mu, 4);
  s.w2 = rep(t1.w, 2);
  s.w2_mu = rep(t1.mu, 2);
  return s;
}

// Layers of half-size 4, 2, 1 (DIF order) on 16 consecutive elements held in a and b.
inline void dif_last3(__m256i& a, __m256i& b, const SmallTwiddles& s) {
  // Half-size 4: lo = [a0..a3 | b0..b3], hi = [a4..a7 | b4..b7].
  __m256i lo = _mm256_permute2x128_si256(a, b, 0x20);
  __m256i hi = _mm256_permute2x128_si256(a, b, 0x31);
  __m256i u = add(lo, hi);
  __m256i v = mul_precomp(sub(lo, hi), s.w4, s.w4_mu);
  // Half-size 2: per 128-bit lane, u2 = [x0 x1 x4 x5], v2 = [x2 x3 x6 x7] of each 8-block.
  __m256i u2 = _mm256_unpacklo_epi64(u, v);
  __m256i v2 = _mm256_unpackhi_epi64(u, v);
  u = add(u2, v2);
  v = mul_precomp(sub(u2, v2), s.w2, s.w2_mu);
  // Half-size 1: u3 = even elements, v3 = odd elements.
  __m256i u3 = _mm256_blend_epi32(u, _mm256_slli_epi64(v, 32), 0b10101010);
  __m256i v3 = _mm256_blend_epi32(_mm256_srli_epi64(u, 32), v, 0b10101010);
  __m256i s3 = add(u3, v3), d3 = sub(u3, v3);
  // Undo the shuffles.
  u = _mm256_blend_epi32(s3, _mm256_slli_epi64(d3, 32), 0b10101010);
  v = _mm256_blend_epi32(_mm256_srli_epi64(s3, 32), d3, 0b10101010);
  lo = _mm256_unpacklo_epi64(u, v);
  hi = _mm256_unpackhi_epi64(u, v);
  a = _mm256_permute2x128_si256(lo, hi, 0x20);
  b = _mm256_permute2x128_si256(lo, hi, 0x31);
}

// Layers of half-size 1, 2, 4 (DIT order) on 16 consecutive elements.
inline void dit_first3(__m256i& a, __m256i& b, const SmallTwiddles& s) {
  __m256i lo = _mm256_permute2x128_si256(a, b, 0x20);
  __m256i hi = _mm256_permute2x128_si256(a, b, 0x31);
  __m256i u = _mm256_unpacklo_epi64(lo, hi);  // [x0 x1 x4 x5] per lane
  __m256i v = _mm256_unpackhi_epi64(lo, hi);  // [x2 x3 x6 x7]
  __m256i u3 = _mm256_blend_epi32(u, _mm256_slli_epi64(v, 32), 0b10101010);  // x0 x2 x4 x6
  __m256i v3 = _mm256_blend_epi32(_mm256_srli_epi64(u, 32), v, 0b10101010);  // x1 x3 x5 x7
  __m256i s3 = add(u3, v3), d3 = sub(u3, v3);
  u = _mm256_blend_epi32(s3, _mm256_slli_epi64(d3, 32), 0b10101010);
  v = _mm256_blend_epi32(_mm256_srli_epi64(s3, 32), d3, 0b10101010);
  // Half-size 2: pairs (u, v) lane-wise.
  __m256i t = mul_precomp(v, s.w2, s.w2_mu);
  __m256i u2 = add(u, t), v2 = sub(u, t);
  lo = _mm256_unpacklo_epi64(u2, v2);  // [x0..x3 | ...]
  hi = _mm256_unpackhi_epi64(u2, v2);  // [x4..x7 | ...]
  t = mul_precomp(hi, s.w4, s.w4_mu);
  __m256i l4 = add(lo, t), h4 = sub(lo, t);
  a = _mm256_permute2x128_si256(l4, h4, 0x20);
  b = _mm256_permute2x128_si256(l4, h4, 0x31);
}

void dif_leaf(Fp* x, uint32_t log_n, bool inverse) {
  for (uint32_t k = log_n - 1; k >= 3; --k) {
    dif_layer_block(x, log_n, k, twiddle_layer(inverse, k));
  }
  const SmallTwiddles s = small_twiddles(inverse);
  const size_t n = size_t(1) << log_n;
  for (size_t i = 0; i < n; i += 16) {
    __m256i a = loadv(x + i), b = loadv(x + i + 8);
    dif_last3(a, b, s);
    storev(x + i, a);
    storev(x + i + 8, b);
  }
}

void dit_leaf(Fp* x, uint32_t log_n, bool inverse) {
  const SmallTwiddles s = small_twiddles(inverse);
  const size_t n = size_t(1) << log_n;
  for (size_t i = 0; i < n; i += 16) {
    __m256i a = loadv(x + i), b = loadv(x + i + 8);
    dit_first3(a, b, s);
    storev(x + i, a);
    storev(x + i + 8, b);
  }
  for (uint32_t k = 3; k < log_n; ++k) dit_layer_block(x, log_n, k, twiddle_layer(inverse, k));
}

void dif(Fp* x, uint32_t log_n, bool inverse) {
  if (log_n < 4) {  // too short for the vector leaf
    scalar_ntt_kernels().dif(x, log_n, inverse);
    return;
  }
  if (log_n <= kLeafLog) {
    dif_leaf(x, log_n, inverse);
    return;
  }
  dif_layer_block(x, log_n, log_n - 1, twiddle_layer(inverse, log_n - 1));
  const size_t h = size_t(1) << (log_n - 1);
  dif(x, log_n - 1, inverse);
  dif(x + h, log_n - 1, inverse);
}

void dit(Fp* x, uint32_t log_n, bool inverse) {
  if (log_n < 4) {
    scalar_ntt_kernels().dit(x, log_n, inverse);
    return;
  }
  if (log_n <= kLeafLog) {
    dit_leaf(x, log_n, inverse);
    return;
  }
  const size_t h = size_t(1) << (log_n - 1);
  dit(x, log_n - 1, inverse);
  dit(x + h, log_n - 1, inverse);
  dit_layer_block(x, log_n, log_n - 1, twiddle_layer(inverse, log_n - 1));
}

void scale_by_powers(Fp* x, size_t n, Fp scale, Fp base) {
  if (n < 16) {
    scalar_ntt_kernels().scale_by_powers(x, n, scale, base);
    return;
  }
  alignas(32) Fp p[8];
  p[0] = scale;
  for (int i = 1; i < 8; ++i) p[i] = p[i - 1] * base;
  __m256i pw = loadv(p);
  const __m256i step = PackedFp::broadcast(base.pow(8)).v;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    storev(x + i, mul(loadv(x + i), pw));
    pw = mul(pw, step);
  }
  _mm256_store_si256(reinterpret_cast<__m256i*>(p), pw);
  for (size_t j = 0; i < n; ++i, ++j) x[i] *= p[j];
}

void dif_layer(Fp* x, uint32_t log_n, uint32_t k, bool inverse, size_t begin, size_t end) {
  if (k < 3) {
    scalar_ntt_kernels().dif_layer(x, log_n, k, inverse, begin, end);
  } else {
    dif_layer_range(x, k, twiddle_layer(inverse, k), begin, end);
  }
}

void dit_layer(Fp* x, uint32_t log_n, uint32_t k, bool inverse, size_t begin, size_t end) {
  if (k < 3) {
    scalar_ntt_kernels().dit_layer(x, log_n, k, inverse, begin, end);
  } else {
    dit_layer_range(x, k, twiddle_layer(inverse, k), begin, end);
  }
}

}  // namespace

const CpuNttKernels& ntt_kernels() {
  static const CpuNttKernels kernels{dif,       dit,       scale_by_powers,
                                     dif_layer, dit_layer, nullptr,
                                     nullptr};
  return kernels;
}

}  // namespace efaas::avx2
EFAAS_AVX2_END
