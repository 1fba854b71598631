// BLAKE3 Merkle hashing on AVX2: eight inputs at once, one per 32-bit lane. The compression,
// chunk and parent structure are the shared body in kernels/simd/blake3_packed.hpp; this file
// supplies the 8-lane vector operations (rotations by 16 and 8 as byte shuffles). Results are
// identical to the scalar reference in prover/hash/blake3.cpp (blake3_test checks it).
#include <algorithm>  // before the target region: baseline copies of std:: inlines
#include <cstring>

#include "kernels/avx2/target_avx2.hpp"
#include "prover/hash/blake3.hpp"

namespace efaas::avx2 {
namespace {

// Compress batches of fewer than eight: one pair at a time. Baseline code.
void compress_each(const Digest* a, const Digest* b, size_t stride, Digest* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = blake3_compress(a[i * stride], b[i * stride]);
}

}  // namespace
}  // namespace efaas::avx2

EFAAS_AVX2_BEGIN
#include "kernels/simd/transpose8.hpp"  // inside the region: compiled for this target

namespace efaas::avx2 {
namespace {

// The 8-lane vector operations of the shared body (see blake3_packed.hpp for the contract).
struct Blake3Avx2Ops {
  using V = __m256i;
  static constexpr size_t kLanes = 8;
  static constexpr size_t kNarrowerRows = 0;  // tails in masked lanes: 8x faster than scalar

  static V zero() { return _mm256_setzero_si256(); }
  static V set1(uint32_t x) { return _mm256_set1_epi32(int(x)); }
  static V add(V a, V b) { return _mm256_add_epi32(a, b); }
  static V sub(V a, V b) { return _mm256_sub_epi32(a, b); }
  static V xor_bits(V a, V b) { return _mm256_xor_si256(a, b); }
  static V min_u32(V a, V b) { return _mm256_min_epu32(a, b); }
  static V rotr16(V x) {
    const V k = _mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, 2, 3, 0, 1,
                                 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
    return _mm256_shuffle_epi8(x, k);
  }
  static V rotr8(V x) {
    const V k = _mm256_setr_epi8(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12, 1, 2, 3, 0,
                                 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12);
    return _mm256_shuffle_epi8(x, k);
  }
  static V rotr12(V x) { return _mm256_or_si256(_mm256_srli_epi32(x, 12), _mm256_slli_epi32(x, 20)); }
  static V rotr7(V x) { return _mm256_or_si256(_mm256_srli_epi32(x, 7), _mm256_slli_epi32(x, 25)); }

  static V load(const uint32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const V*>(p)); }
  static V gather(const uint32_t* base, V offsets) {
    return _mm256_i32gather_epi32(reinterpret_cast<const int*>(base), offsets, 4);
  }
  static V lane_offsets(size_t n, size_t stride) {
    const V lanes = _mm256_min_epu32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                     _mm256_set1_epi32(int(n - 1)));
    return _mm256_mullo_epi32(lanes, _mm256_set1_epi32(int(stride)));
  }
  static void load_transposed(const uint32_t* base, size_t stride, V* out) {
    for (size_t j = 0; j < 8; ++j) out[j] = load(base + j * stride);
    simd::transpose8(out);
  }
  static void store_transposed(V* s, uint32_t* base, size_t stride) {
    simd::transpose8(s);
    for (size_t j = 0; j < 8; ++j) _mm256_storeu_si256(reinterpret_cast<V*>(base + j * stride), s[j]);
  }

  static const Blake3Kernels& narrower() {
    static const Blake3Kernels k{scalar_blake3_kernels().hash_rows, compress_each};
    return k;
  }
};

}  // namespace
}  // namespace efaas::avx2

#include "kernels/simd/blake3_packed.hpp"

namespace efaas::avx2 {

const Blake3Kernels& blake3_kernels() {
  return Blake3Packed<Blake3Avx2Ops>::kernels();
}

}  // namespace efaas::avx2
EFAAS_AVX2_END
