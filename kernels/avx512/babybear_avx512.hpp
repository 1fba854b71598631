#pragma once
// Sixteen BabyBear elements in one zmm register: the modular add and sub that the AVX-512
// kernels share (ntt_avx512.cpp, poseidon2_avx512.cpp). Include only inside an
// EFAAS_AVX512_BEGIN region (kernels/avx512/target_avx512.hpp) and after
// prover/field/babybear.hpp: the functions are static, so each translation unit keeps its own
// copy compiled for that target and no baseline caller can link an AVX-512 one.
#include <immintrin.h>

namespace efaas::avx512::packed {

static inline __m512i p_vec() { return _mm512_set1_epi32(int(Fp::kP)); }

// a + b mod p for a, b < p: the sum is < 2p < 2^32, and min(s, s - p) as unsigned picks the
// reduced one.
static inline __m512i add(__m512i a, __m512i b) {
  const __m512i s = _mm512_add_epi32(a, b);
  return _mm512_min_epu32(s, _mm512_sub_epi32(s, p_vec()));
}
// a - b mod p for a, b < p (a wrapped difference is above p, d + p below it).
static inline __m512i sub(__m512i a, __m512i b) {
  const __m512i d = _mm512_sub_epi32(a, b);
  return _mm512_min_epu32(d, _mm512_add_epi32(d, p_vec()));
}

// Montgomery products: (prod - q p) / 2^32 for the even and odd 64-bit products (q = prod *
// p^-1 mod 2^32); low halves cancel, the result is in (-p, p) before the final correction.
static inline __m512i reduce_products(__m512i prod_evn, __m512i prod_odd, __m512i q_evn,
                                      __m512i q_odd) {
  const __m512i p = p_vec();
  const __m512i d_evn = _mm512_sub_epi64(prod_evn, _mm512_mul_epu32(q_evn, p));
  const __m512i d_odd = _mm512_sub_epi64(prod_odd, _mm512_mul_epu32(q_odd, p));
  const __m512i d = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(d_evn, 32), d_odd);
  return _mm512_min_epu32(d, _mm512_add_epi32(d, p));
}

static inline __m512i mul(__m512i a, __m512i b) {
  const __m512i mu = _mm512_set1_epi32(int(Fp::kMu));
  const __m512i prod_evn = _mm512_mul_epu32(a, b);
  const __m512i prod_odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), _mm512_srli_epi64(b, 32));
  return reduce_products(prod_evn, prod_odd, _mm512_mul_epu32(prod_evn, mu),
                         _mm512_mul_epu32(prod_odd, mu));
}

}  // namespace efaas::avx512::packed
