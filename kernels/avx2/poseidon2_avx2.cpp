// Poseidon2-BabyBear width 16 on AVX2: eight permutations at once, state transposed so that
// register i holds lane i of the eight states. The round structure, sponge and compression are
// the shared body in kernels/simd/poseidon2_packed.hpp; this file supplies the 8-lane vector
// operations. Results are identical to the scalar reference in prover/hash/poseidon2.cpp
// (poseidon2_test checks it on random inputs).
#include "kernels/avx2/babybear_avx2.hpp"
#include "prover/hash/hash_backend.hpp"

namespace efaas::avx2 {
namespace {

// Batch tails of fewer than eight items: one state at a time (poseidon2_permute is the
// one-register AVX-512 permutation where usable, else the scalar reference). Baseline code.
void permute_each(Poseidon2State* states, size_t n) {
  for (size_t i = 0; i < n; ++i) poseidon2_permute(states[i]);
}
void hash_rows_each(std::span<const MatrixView> mats, size_t begin, size_t count, Digest* out) {
  for (size_t i = 0; i < count; ++i) out[i] = hash_rows_concat(mats, begin + i);
}
void compress_each(const Digest* a, const Digest* b, size_t stride, Digest* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = efaas::compress(a[i * stride], b[i * stride]);
}

}  // namespace
}  // namespace efaas::avx2

EFAAS_AVX2_BEGIN
#include "kernels/simd/transpose8.hpp"  // inside the region: compiled for this target

namespace efaas::avx2 {
namespace {

// The 8-lane vector operations of the shared body (see poseidon2_packed.hpp for the contract).
struct Avx2Ops {
  using V = __m256i;
  static constexpr size_t kLanes = 8;

  static V zero() { return _mm256_setzero_si256(); }
  static V set1(uint32_t x) { return _mm256_set1_epi32(int(x)); }
  static V add_raw(V a, V b) { return _mm256_add_epi32(a, b); }
  static V sub_raw(V a, V b) { return _mm256_sub_epi32(a, b); }
  static V min_u32(V a, V b) { return _mm256_min_epu32(a, b); }
  static V and_bits(V a, V b) { return _mm256_and_si256(a, b); }
  template <int K>
  static V shl(V x) {
    return _mm256_slli_epi32(x, K);
  }
  template <int K>
  static V shr(V x) {
    return _mm256_srli_epi32(x, K);
  }

  // Signed products of the even lanes (vpmuldq); the odd lanes shifted down.
  static V mul_signed(V a, V b) {
    const V p = _mm256_set1_epi32(int(Fp::kP));
    const V mu = _mm256_set1_epi32(int(Fp::kMu));
    const V a_odd = _mm256_srli_epi64(a, 32);
    const V b_odd = _mm256_srli_epi64(b, 32);
    const V prod_evn = _mm256_mul_epi32(a, b);
    const V prod_odd = _mm256_mul_epi32(a_odd, b_odd);
    const V q_evn = _mm256_mul_epu32(prod_evn, mu);
    const V q_odd = _mm256_mul_epu32(prod_odd, mu);
    const V d_evn = _mm256_sub_epi64(prod_evn, _mm256_mul_epi32(q_evn, p));
    const V d_odd = _mm256_sub_epi64(prod_odd, _mm256_mul_epi32(q_odd, p));
    return _mm256_blend_epi32(_mm256_srli_epi64(d_evn, 32), d_odd, 0b10101010);
  }

  static V load(const Fp* p) { return PackedFp::load(p).v; }
  static void load_transposed(const Fp* base, size_t stride, V* out) {
    for (size_t j = 0; j < 8; ++j) out[j] = load(base + j * stride);
    simd::transpose8(out);
  }
  static void store_transposed(V* s, Fp* base, size_t stride) {
    simd::transpose8(s);
    for (size_t j = 0; j < 8; ++j) PackedFp{s[j]}.store(base + j * stride);
  }
  static V row_offsets(size_t stride) {
    return _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                              _mm256_set1_epi32(int(stride)));
  }
  static V gather(const Fp* base, V offsets) {
    return _mm256_i32gather_epi32(reinterpret_cast<const int*>(base), offsets, 4);
  }

  static const Poseidon2Kernels& narrower() {
    static const Poseidon2Kernels k{permute_each, hash_rows_each, compress_each};
    return k;
  }
};

}  // namespace
}  // namespace efaas::avx2

#include "kernels/simd/poseidon2_packed.hpp"

namespace efaas::avx2 {

const Poseidon2Kernels& poseidon2_kernels() {
  return Poseidon2Packed<Avx2Ops>::kernels();
}

}  // namespace efaas::avx2
EFAAS_AVX2_END
