#pragma once
// Eight BabyBear elements (Montgomery form) in one AVX2 register.
// Include only from kernels/avx2 translation units (see target_avx2.hpp); callers reach them
// through functions guarded by avx2_usable().
#include <cstdint>

#include "kernels/avx2/target_avx2.hpp"
#include "prover/field/babybear.hpp"

EFAAS_AVX2_BEGIN
namespace efaas::avx2 {

struct PackedFp {
  __m256i v;

  static inline PackedFp load(const Fp* p) {
    return {_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))};
  }
  inline void store(Fp* p) const { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
  static inline PackedFp broadcast(Fp x) { return {_mm256_set1_epi32(int(x.montgomery()))}; }
};

inline __m256i p_vec() { return _mm256_set1_epi32(int(Fp::kP)); }
inline __m256i mu_vec() { return _mm256_set1_epi32(int(Fp::kMu)); }

// a + b mod p: the sum is < 2p < 2^32, and min(s, s - p) as unsigned picks the reduced one.
inline __m256i add(__m256i a, __m256i b) {
  __m256i s = _mm256_add_epi32(a, b);
  return _mm256_min_epu32(s, _mm256_sub_epi32(s, p_vec()));
}
inline __m256i sub(__m256i a, __m256i b) {
  __m256i d = _mm256_sub_epi32(a, b);
  return _mm256_min_epu32(d, _mm256_add_epi32(d, p_vec()));
}
inline __m256i neg(__m256i a) {
  return sub(_mm256_setzero_si256(), a);
}

// Given 64-bit products in the even and odd lanes, and q = (prod_lo * mu) mod 2^32 for each,
// returns the eight Montgomery-reduced values (prod - q p) / 2^32 in [0, p).
inline __m256i reduce_products(__m256i prod_evn, __m256i prod_odd, __m256i q_evn,
                               __m256i q_odd) {
  const __m256i p = p_vec();
  __m256i qp_evn = _mm256_mul_epu32(q_evn, p);
  __m256i qp_odd = _mm256_mul_epu32(q_odd, p);
  // Low halves cancel exactly; the high halves' difference is in (-p, p).
  __m256i d_evn = _mm256_sub_epi64(prod_evn, qp_evn);
  __m256i d_odd = _mm256_sub_epi64(prod_odd, qp_odd);
  __m256i d = _mm256_blend_epi32(_mm256_srli_epi64(d_evn, 32), d_odd, 0b10101010);
  return _mm256_min_epu32(d, _mm256_add_epi32(d, p));
}

// a * b * 2^-32 mod p, eight lanes.
inline __m256i mul(__m256i a, __m256i b) {
  __m256i a_odd = _mm256_srli_epi64(a, 32);
  __m256i b_odd = _mm256_srli_epi64(b, 32);
  __m256i prod_evn = _mm256_mul_epu32(a, b);
  __m256i prod_odd = _mm256_mul_epu32(a_odd, b_odd);
  __m256i q_evn = _mm256_mul_epu32(prod_evn, mu_vec());
  __m256i q_odd = _mm256_mul_epu32(prod_odd, mu_vec());
  return reduce_products(prod_evn, prod_odd, q_evn, q_odd);
}

// a * w where w_mu = w * mu mod 2^32 was precomputed (twiddles): q comes straight from a * w_mu,
// which takes the q multiplication off the critical path.
inline __m256i mul_precomp(__m256i a, __m256i w, __m256i w_mu) {
  __m256i a_odd = _mm256_srli_epi64(a, 32);
  __m256i prod_evn = _mm256_mul_epu32(a, w);
  __m256i prod_odd = _mm256_mul_epu32(a_odd, _mm256_srli_epi64(w, 32));
  __m256i q_evn = _mm256_mul_epu32(a, w_mu);
  __m256i q_odd = _mm256_mul_epu32(a_odd, _mm256_srli_epi64(w_mu, 32));
  return reduce_products(prod_evn, prod_odd, q_evn, q_odd);
}

}  // namespace efaas::avx2
EFAAS_AVX2_END
