// Poseidon2-BabyBear width 16 on AVX-512: sixteen permutations at once, state transposed so that
// zmm register i holds lane i of the sixteen states (the AVX2 kernel's layout, twice as wide);
// the round structure, sponge and compression are the shared body in
// kernels/simd/poseidon2_packed.hpp, this file supplies the 16-lane vector operations and the
// one-register permutation for single states. Results are identical to the scalar reference in
// prover/hash/poseidon2.cpp; poseidon2_test compares every entry point with it on random inputs.
// Batches that are not a multiple of 16 finish on the AVX2 kernels (a multiple of 8) and then
// one state at a time.
#include "prover/field/babybear.hpp"
#include "prover/hash/hash_backend.hpp"

// GCC 12's AVX-512 headers self-initialize their "undefined" vectors (__Y = __Y), which
// -Wuninitialized reports in every function that inlines them (as in bn254_ifma.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include "kernels/avx512/target_avx512.hpp"

EFAAS_AVX512_BEGIN
#include "kernels/avx512/babybear_avx512.hpp"  // inside the region: compiled for this target
#include "kernels/simd/transpose8.hpp"          // likewise

namespace efaas::avx512 {

namespace {

// Modular add and sub (babybear_avx512.hpp), for the one-register permutation below.
using packed::add;
using packed::p_vec;
using packed::sub;

// Montgomery products a b 2^-32 mod p of sixteen lanes on signed representatives (see
// poseidon2_packed.hpp): vpmuldq multiplies the even 32-bit lanes, the odd ones are moved down
// with a vpshufd, and masked shuffles gather the sixteen high halves.
inline __m512i mul_signed(__m512i a, __m512i b) {
  const __m512i p = p_vec();
  const __m512i mu = _mm512_set1_epi32(int(Fp::kMu));
  const __m512i a_odd = _mm512_shuffle_epi32(a, _MM_PERM_DDBB);
  const __m512i b_odd = _mm512_shuffle_epi32(b, _MM_PERM_DDBB);
  const __m512i prod_evn = _mm512_mul_epi32(a, b);
  const __m512i prod_odd = _mm512_mul_epi32(a_odd, b_odd);
  const __m512i q_evn = _mm512_mul_epu32(prod_evn, mu);
  const __m512i q_odd = _mm512_mul_epu32(prod_odd, mu);
  const __m512i qp_evn = _mm512_mul_epi32(q_evn, p);
  const __m512i qp_odd = _mm512_mul_epi32(q_odd, p);
  constexpr __mmask16 kEvens = 0x5555;
  const __m512i prod_hi = _mm512_mask_shuffle_epi32(prod_odd, kEvens, prod_evn, _MM_PERM_DDBB);
  const __m512i qp_hi = _mm512_mask_shuffle_epi32(qp_odd, kEvens, qp_evn, _MM_PERM_DDBB);
  return _mm512_sub_epi32(prod_hi, qp_hi);
}

// (-p, p) -> [0, p).
inline __m512i canonical(__m512i x) {
  return _mm512_min_epu32(x, _mm512_add_epi32(x, p_vec()));
}

inline __m256i load8(const Fp* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// The 16-lane vector operations of the shared body (see poseidon2_packed.hpp for the contract).
struct Avx512Ops {
  using V = __m512i;
  static constexpr size_t kLanes = 16;

  static V zero() { return _mm512_setzero_si512(); }
  static V set1(uint32_t x) { return _mm512_set1_epi32(int(x)); }
  static V add_raw(V a, V b) { return _mm512_add_epi32(a, b); }
  static V sub_raw(V a, V b) { return _mm512_sub_epi32(a, b); }
  static V min_u32(V a, V b) { return _mm512_min_epu32(a, b); }
  static V and_bits(V a, V b) { return _mm512_and_si512(a, b); }
  template <int K>
  static V shl(V x) {
    return _mm512_slli_epi32(x, K);
  }
  template <int K>
  static V shr(V x) {
    return _mm512_srli_epi32(x, K);
  }
  static V mul_signed(V a, V b) { return avx512::mul_signed(a, b); }
  // x / 2 = (x + (x odd ? p : 0)) / 2, below p for x < p: a masked add instead of the
  // four-operation mul_2exp_neg<1>.
  static V half(V x) {
    const __mmask16 odd = _mm512_test_epi32_mask(x, _mm512_set1_epi32(1));
    return _mm512_srli_epi32(_mm512_mask_add_epi32(x, odd, x, p_vec()), 1);
  }

  static V load(const Fp* p) { return _mm512_loadu_si512(p); }
  // Sixteen rows of eight elements: two 8x8 transposes, the second one's result in the upper
  // halves.
  static void load_transposed(const Fp* base, size_t stride, V* out) {
    __m256i lo[8], hi[8];
    for (size_t j = 0; j < 8; ++j) {
      lo[j] = load8(base + j * stride);
      hi[j] = load8(base + (8 + j) * stride);
    }
    simd::transpose8(lo);
    simd::transpose8(hi);
    for (int c = 0; c < 8; ++c) out[c] = _mm512_inserti64x4(_mm512_castsi256_si512(lo[c]), hi[c], 1);
  }
  static void store_transposed(const V* s, Fp* base, size_t stride) {
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
  static V row_offsets(size_t stride) {
    return _mm512_mullo_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
        _mm512_set1_epi32(int(stride)));
  }
  static V gather(const Fp* base, V offsets) { return _mm512_i32gather_epi32(offsets, base, 4); }

  // Batch tails: the 8-wide AVX2 kernels (a multiple of 8), then one state at a time.
  static const Poseidon2Kernels& narrower() { return avx2::poseidon2_kernels(); }
};

}  // namespace
}  // namespace efaas::avx512

#include "kernels/simd/poseidon2_packed.hpp"

namespace efaas::avx512 {
namespace {

// One permutation in one register (lane i = state element i), for the latency-bound callers:
// the transcript and the verifier's Merkle paths and sponges. The linear layers are lane
// rotations (vpshufd inside 128-bit blocks, vshufi64x2 across them) and additions; a partial
// round sums lanes 1..15 and multiplies them by the diagonal while lane 0's S-box runs.
struct SingleConstants {
  __m512i external_initial[4];
  __m512i external_final[4];
  __m512i internal[13];  // lane 0: rc - p, other lanes 0
  __m512i diag;          // internal diagonal, Montgomery form
};

const SingleConstants& single_constants() {
  static const SingleConstants sc = [] {
    const Poseidon2Constants& c = poseidon2_constants();
    SingleConstants k;
    uint32_t lanes[16];
    for (int r = 0; r < 4; ++r) {
      for (int i = 0; i < 16; ++i) lanes[i] = c.external_initial[r][i].montgomery() - Fp::kP;
      k.external_initial[r] = _mm512_loadu_si512(lanes);
      for (int i = 0; i < 16; ++i) lanes[i] = c.external_final[r][i].montgomery() - Fp::kP;
      k.external_final[r] = _mm512_loadu_si512(lanes);
    }
    for (int r = 0; r < 13; ++r) {
      for (int i = 0; i < 16; ++i) lanes[i] = i == 0 ? c.internal[r].montgomery() - Fp::kP : 0;
      k.internal[r] = _mm512_loadu_si512(lanes);
    }
    for (int i = 0; i < 16; ++i) lanes[i] = c.internal_diag[i].montgomery();
    k.diag = _mm512_loadu_si512(lanes);
    return k;
  }();
  return sc;
}

constexpr _MM_PERM_ENUM kRot1 = _MM_PERM_ADCB;  // lane i <- lane i + 1 (mod 4, per block)
constexpr _MM_PERM_ENUM kRot2 = _MM_PERM_BADC;  // lane i <- lane i + 2

// Every lane gets the sum of all sixteen.
inline __m512i horizontal_sum(__m512i x) {
  x = add(x, _mm512_shuffle_i64x2(x, x, _MM_SHUFFLE(0, 3, 2, 1)));
  x = add(x, _mm512_shuffle_i64x2(x, x, _MM_SHUFFLE(1, 0, 3, 2)));
  x = add(x, _mm512_shuffle_epi32(x, kRot1));
  return add(x, _mm512_shuffle_epi32(x, kRot2));
}

// M4 per block as sum + x_i + 2 x_{i+1} = (s01 + rot2(s01)) + s01 + rot1(x), s01 = x + rot1(x);
// then each lane adds the sum of its position over the four blocks.
inline __m512i external_linear_single(__m512i x) {
  const __m512i r1 = _mm512_shuffle_epi32(x, kRot1);
  const __m512i s01 = add(x, r1);
  const __m512i sum4 = add(s01, _mm512_shuffle_epi32(s01, kRot2));
  const __m512i y = add(add(sum4, s01), r1);
  __m512i col = add(y, _mm512_shuffle_i64x2(y, y, _MM_SHUFFLE(0, 3, 2, 1)));
  col = add(col, _mm512_shuffle_i64x2(col, col, _MM_SHUFFLE(1, 0, 3, 2)));
  return add(y, col);
}

inline __m512i sbox_signed(__m512i x) {
  const __m512i x2 = mul_signed(x, x);
  const __m512i x3 = mul_signed(x2, x);
  const __m512i x4 = mul_signed(x2, x2);
  return canonical(mul_signed(x3, x4));
}

inline __m512i partial_round_single(__m512i s, __m512i rc, __m512i diag) {
  const __m512i sb = sbox_signed(_mm512_add_epi32(s, rc));  // lane 0 is the S-box output
  const __m512i part = horizontal_sum(_mm512_maskz_mov_epi32(0xFFFE, s));
  const __m512i dm = canonical(mul_signed(s, diag));  // lanes 1..15: diag[i] s[i]
  const __m512i sb0 = _mm512_broadcastd_epi32(_mm512_castsi512_si128(sb));
  const __m512i sum = add(part, sb0);
  // Lane 0: sum + diag[0] sb0 = sum - 2 sb0 (diag[0] = -2, checked in poseidon2.cpp).
  return _mm512_mask_blend_epi32(0x0001, add(sum, dm), sub(sum, add(sb0, sb0)));
}

}  // namespace

void permute_single(Poseidon2State& state) {
  const SingleConstants& c = single_constants();
  __m512i s = _mm512_loadu_si512(state.data());
  s = external_linear_single(s);
  for (int r = 0; r < 4; ++r) {
    s = external_linear_single(sbox_signed(_mm512_add_epi32(s, c.external_initial[r])));
  }
  for (int r = 0; r < 13; ++r) s = partial_round_single(s, c.internal[r], c.diag);
  for (int r = 0; r < 4; ++r) {
    s = external_linear_single(sbox_signed(_mm512_add_epi32(s, c.external_final[r])));
  }
  _mm512_storeu_si512(state.data(), s);
}

const Poseidon2Kernels& poseidon2_kernels() {
  return Poseidon2Packed<Avx512Ops>::kernels();
}

}  // namespace efaas::avx512
EFAAS_AVX512_END
