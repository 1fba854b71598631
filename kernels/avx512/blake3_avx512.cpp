// BLAKE3 Merkle hashing on AVX-512: sixteen inputs at once, one per 32-bit lane (the AVX2
// kernel's layout, twice as wide, with vprord for every rotation). The compression, chunk and
// parent structure are the shared body in kernels/simd/blake3_packed.hpp. Results are identical
// to the scalar reference in prover/hash/blake3.cpp (blake3_test checks it). Compress batches
// that are not a multiple of 16 finish on the AVX2 kernels, then one pair at a time; row
// batches of up to 8 rows go to the AVX2 kernel, longer tails use masked lanes.
#include <algorithm>  // before the target region: baseline copies of std:: inlines
#include <cstring>

#include "prover/hash/blake3.hpp"

// GCC 12's AVX-512 headers self-initialize their "undefined" vectors (__Y = __Y), which
// -Wuninitialized reports in every function that inlines them (as in poseidon2_avx512.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include "kernels/avx512/target_avx512.hpp"

EFAAS_AVX512_BEGIN
#include "kernels/simd/transpose8.hpp"  // inside the region: compiled for this target

namespace efaas::avx512 {
namespace {

inline __m256i load8(const uint32_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// The 16-lane vector operations of the shared body (see blake3_packed.hpp for the contract).
struct Blake3Avx512Ops {
  using V = __m512i;
  static constexpr size_t kLanes = 16;
  static constexpr size_t kNarrowerRows = 8;  // half a batch or less fits AVX2's eight lanes

  static V zero() { return _mm512_setzero_si512(); }
  static V set1(uint32_t x) { return _mm512_set1_epi32(int(x)); }
  static V add(V a, V b) { return _mm512_add_epi32(a, b); }
  static V sub(V a, V b) { return _mm512_sub_epi32(a, b); }
  static V xor_bits(V a, V b) { return _mm512_xor_si512(a, b); }
  static V min_u32(V a, V b) { return _mm512_min_epu32(a, b); }
  static V rotr16(V x) { return _mm512_ror_epi32(x, 16); }
  static V rotr12(V x) { return _mm512_ror_epi32(x, 12); }
  static V rotr8(V x) { return _mm512_ror_epi32(x, 8); }
  static V rotr7(V x) { return _mm512_ror_epi32(x, 7); }

  static V load(const uint32_t* p) { return _mm512_loadu_si512(p); }
  static V gather(const uint32_t* base, V offsets) {
    return _mm512_i32gather_epi32(offsets, base, 4);
  }
  static V lane_offsets(size_t n, size_t stride) {
    const V lanes =
        _mm512_min_epu32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                         _mm512_set1_epi32(int(n - 1)));
    return _mm512_mullo_epi32(lanes, _mm512_set1_epi32(int(stride)));
  }
  // Sixteen rows of eight words: two 8x8 transposes, the second one's result in the upper halves.
  static void load_transposed(const uint32_t* base, size_t stride, V* out) {
    __m256i lo[8], hi[8];
    for (size_t j = 0; j < 8; ++j) {
      lo[j] = load8(base + j * stride);
      hi[j] = load8(base + (8 + j) * stride);
    }
    simd::transpose8(lo);
    simd::transpose8(hi);
    for (int c = 0; c < 8; ++c) out[c] = _mm512_inserti64x4(_mm512_castsi256_si512(lo[c]), hi[c], 1);
  }
  static void store_transposed(const V* s, uint32_t* base, size_t stride) {
    __m256i lo[8], hi[8];
    for (int c = 0; c < 8; ++c) {
      lo[c] = _mm512_castsi512_si256(s[c]);
      hi[c] = _mm512_extracti64x4_epi64(s[c], 1);
    }
    simd::transpose8(lo);
    simd::transpose8(hi);
    for (size_t j = 0; j < 8; ++j) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(base + j * stride), lo[j]);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(base + (8 + j) * stride), hi[j]);
    }
  }

  // Tails: the 8-wide AVX2 kernels (compress: a multiple of 8, then one pair at a time).
  static const Blake3Kernels& narrower() { return avx2::blake3_kernels(); }
};

}  // namespace
}  // namespace efaas::avx512

#include "kernels/simd/blake3_packed.hpp"

namespace efaas::avx512 {

const Blake3Kernels& blake3_kernels() {
  return Blake3Packed<Blake3Avx512Ops>::kernels();
}

}  // namespace efaas::avx512
EFAAS_AVX512_END
