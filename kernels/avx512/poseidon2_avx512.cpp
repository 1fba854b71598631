// Poseidon2-BabyBear width 16 on AVX-512: sixteen permutations at once, state transposed so that
// zmm register i holds lane i of the sixteen states (the AVX2 kernel's layout, twice as wide).
// Results are identical to the scalar reference in prover/hash/poseidon2.cpp; poseidon2_test
// compares every entry point with it on random inputs. Batches that are not a multiple of 16
// finish on the AVX2 kernels (a multiple of 8) and then the scalar code.
#include "prover/hash/hash_backend.hpp"

// GCC 12's AVX-512 headers self-initialize their "undefined" vectors (__Y = __Y), which
// -Wuninitialized reports in every function that inlines them (as in bn254_ifma.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include "kernels/avx512/target_avx512.hpp"

EFAAS_AVX512_BEGIN
namespace efaas::avx512 {

namespace {

inline __m512i p_vec() { return _mm512_set1_epi32(int(Fp::kP)); }

// a + b mod p for a, b < p: the sum is < 2p < 2^32, and min(s, s - p) as unsigned is the
// reduced one (s - p wraps to a large value when s < p).
inline __m512i add(__m512i a, __m512i b) {
  const __m512i s = _mm512_add_epi32(a, b);
  return _mm512_min_epu32(s, _mm512_sub_epi32(s, p_vec()));
}
inline __m512i sub(__m512i a, __m512i b) {
  const __m512i d = _mm512_sub_epi32(a, b);
  return _mm512_min_epu32(d, _mm512_add_epi32(d, p_vec()));
}

// Montgomery products a b 2^-32 mod p of sixteen lanes: vpmul(u)dq multiplies the even 32-bit
// lanes, the odd ones are moved down with a vpshufd, and masked shuffles gather the sixteen high
// halves. The S-box works on signed representatives in (-p, p) (Plonky3's AVX-512 trick): with
// vpmuldq, |a b| < p^2, and with q = a b p^-1 mod 2^32 taken as a signed 32-bit value, q p is in
// [-2^31 p, 2^31 p), so (a b - q p) / 2^32 = hi(a b) - hi(q p) is in (-p, p) without any
// correction step; only the S-box's output is brought back to [0, p). That is two fewer
// operations per product, and the round-constant addition (s + (rc - p), in (-p, p)) needs
// no reduction either.
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

// (-p, p) -> [0, p): a negative value plus p is smaller than the value itself as unsigned.
inline __m512i canonical(__m512i x) {
  return _mm512_min_epu32(x, _mm512_add_epi32(x, p_vec()));
}

// Round constants are stored as rc - p, so s + rc' is in (-p, p) for s in [0, p).
struct PackedConstants {
  __m512i external_initial[4][16];
  __m512i external_final[4][16];
  __m512i internal[13];
};

inline __m512i shifted(Fp rc) {
  return _mm512_set1_epi32(int(rc.montgomery() - Fp::kP));
}

const PackedConstants& packed_constants() {
  static const PackedConstants pc = [] {
    const Poseidon2Constants& c = poseidon2_constants();
    PackedConstants p;
    for (int r = 0; r < 4; ++r) {
      for (int i = 0; i < 16; ++i) {
        p.external_initial[r][i] = shifted(c.external_initial[r][i]);
        p.external_final[r][i] = shifted(c.external_final[r][i]);
      }
    }
    for (int r = 0; r < 13; ++r) p.internal[r] = shifted(c.internal[r]);
    return p;
  }();
  return pc;
}

// (s + rc')^7 in [0, p) for s in [0, p) and the shifted constant rc'.
inline __m512i add_rc_sbox(__m512i s, __m512i rc) {
  const __m512i x = _mm512_add_epi32(s, rc);
  const __m512i x2 = mul_signed(x, x);
  const __m512i x3 = mul_signed(x2, x);
  const __m512i x4 = mul_signed(x2, x2);
  return canonical(mul_signed(x3, x4));
}

// See external_linear in poseidon2.cpp. M4 = [[2,3,1,1],[1,2,3,1],[1,1,2,3],[3,1,1,2]] in 11
// additions instead of 15 (Plonky3's apply_mat4 chain).
inline void external_linear(__m512i* s) {
  for (int b = 0; b < 16; b += 4) {
    const __m512i x0 = s[b], x1 = s[b + 1], x2 = s[b + 2], x3 = s[b + 3];
    const __m512i t01 = add(x0, x1), t23 = add(x2, x3);
    const __m512i t0123 = add(t01, t23);
    const __m512i t01123 = add(t0123, x1), t01233 = add(t0123, x3);
    s[b] = add(t01123, t01);              // 2 x0 + 3 x1 + x2 + x3
    s[b + 1] = add(t01123, add(x2, x2));  // x0 + 2 x1 + 3 x2 + x3
    s[b + 2] = add(t01233, t23);          // x0 + x1 + 2 x2 + 3 x3
    s[b + 3] = add(t01233, add(x0, x0));  // 3 x0 + x1 + x2 + 2 x3
  }
  for (int i = 0; i < 4; ++i) {
    const __m512i col = add(add(s[i], s[4 + i]), add(s[8 + i], s[12 + i]));
    s[i] = add(s[i], col);
    s[4 + i] = add(s[4 + i], col);
    s[8 + i] = add(s[8 + i], col);
    s[12 + i] = add(s[12 + i], col);
  }
}

// x * 2^-k (see mul_2exp_neg in poseidon2.cpp): hi - lo * 15 * 2^(27-k) mod p.
template <int K>
inline __m512i mul_2exp_neg(__m512i x) {
  const __m512i lo = _mm512_and_si512(x, _mm512_set1_epi32((1 << K) - 1));
  const __m512i t = _mm512_slli_epi32(_mm512_sub_epi32(_mm512_slli_epi32(lo, 4), lo), 27 - K);
  return sub(_mm512_srli_epi32(x, K), t);
}

// x / 2 = (x + (x odd ? p : 0)) / 2, below p for x < p.
inline __m512i half(__m512i x) {
  const __mmask16 odd = _mm512_test_epi32_mask(x, _mm512_set1_epi32(1));
  return _mm512_srli_epi32(_mm512_mask_add_epi32(x, odd, x, p_vec()), 1);
}

// One partial round with the hard-coded internal diagonal (checked in poseidon2.cpp).
inline void partial_round(__m512i* s, __m512i rc) {
  __m512i part = add(add(add(s[1], s[2]), add(s[3], s[4])), add(add(s[5], s[6]), add(s[7], s[8])));
  part = add(part, add(add(add(s[9], s[10]), add(s[11], s[12])), add(add(s[13], s[14]), s[15])));
  const __m512i x0 = add_rc_sbox(s[0], rc);
  const __m512i sum = add(part, x0);
  s[0] = sub(sum, add(x0, x0));
  s[1] = add(sum, s[1]);
  s[2] = add(sum, add(s[2], s[2]));
  s[3] = add(sum, half(s[3]));
  s[4] = add(sum, add(add(s[4], s[4]), s[4]));
  const __m512i d5 = add(s[5], s[5]);
  s[5] = add(sum, add(d5, d5));
  s[6] = sub(sum, half(s[6]));
  s[7] = sub(sum, add(add(s[7], s[7]), s[7]));
  const __m512i d8 = add(s[8], s[8]);
  s[8] = sub(sum, add(d8, d8));
  s[9] = add(sum, mul_2exp_neg<8>(s[9]));
  s[10] = add(sum, mul_2exp_neg<2>(s[10]));
  s[11] = add(sum, mul_2exp_neg<3>(s[11]));
  s[12] = add(sum, mul_2exp_neg<27>(s[12]));
  s[13] = sub(sum, mul_2exp_neg<8>(s[13]));
  s[14] = sub(sum, mul_2exp_neg<4>(s[14]));
  s[15] = sub(sum, mul_2exp_neg<27>(s[15]));
}

// The sixteen S-boxes of a full round stage by stage, so independent multiplications overlap
// in the pipeline (see the AVX2 kernel).
inline void full_round_sboxes(__m512i* s, const __m512i* rc) {
  __m512i x[16], x2[16], x3[16];
  for (int i = 0; i < 16; ++i) x[i] = _mm512_add_epi32(s[i], rc[i]);
  for (int i = 0; i < 16; ++i) x2[i] = mul_signed(x[i], x[i]);
  for (int i = 0; i < 16; ++i) x3[i] = mul_signed(x2[i], x[i]);
  for (int i = 0; i < 16; ++i) x2[i] = mul_signed(x2[i], x2[i]);
  for (int i = 0; i < 16; ++i) s[i] = canonical(mul_signed(x3[i], x2[i]));
}

void permute16(__m512i* s) {
  const PackedConstants& c = packed_constants();
  external_linear(s);
  for (int r = 0; r < 4; ++r) {
    full_round_sboxes(s, c.external_initial[r]);
    external_linear(s);
  }
  for (int r = 0; r < 13; ++r) partial_round(s, c.internal[r]);
  for (int r = 0; r < 4; ++r) {
    full_round_sboxes(s, c.external_final[r]);
    external_linear(s);
  }
}

// In-place transpose of an 8x8 matrix of 32-bit values in eight ymm registers.
inline void transpose8(__m256i* r) {
  const __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]);
  const __m256i t1 = _mm256_unpackhi_epi32(r[0], r[1]);
  const __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]);
  const __m256i t3 = _mm256_unpackhi_epi32(r[2], r[3]);
  const __m256i t4 = _mm256_unpacklo_epi32(r[4], r[5]);
  const __m256i t5 = _mm256_unpackhi_epi32(r[4], r[5]);
  const __m256i t6 = _mm256_unpacklo_epi32(r[6], r[7]);
  const __m256i t7 = _mm256_unpackhi_epi32(r[6], r[7]);
  const __m256i u0 = _mm256_unpacklo_epi64(t0, t2);
  const __m256i u1 = _mm256_unpackhi_epi64(t0, t2);
  const __m256i u2 = _mm256_unpacklo_epi64(t1, t3);
  const __m256i u3 = _mm256_unpackhi_epi64(t1, t3);
  const __m256i u4 = _mm256_unpacklo_epi64(t4, t6);
  const __m256i u5 = _mm256_unpackhi_epi64(t4, t6);
  const __m256i u6 = _mm256_unpacklo_epi64(t5, t7);
  const __m256i u7 = _mm256_unpackhi_epi64(t5, t7);
  r[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
  r[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
  r[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
  r[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
  r[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
  r[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
  r[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
  r[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

inline __m256i load8(const Fp* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}
inline __m512i load16(const Fp* p) {
  return _mm512_loadu_si512(p);
}
inline __m512i join(__m256i lo, __m256i hi) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

// Sixteen rows of eight elements (row j at base + j * stride) -> out[c] = element c of the
// sixteen rows: two 8x8 transposes, the second one's result in the upper halves.
inline void load_transpose16x8(const Fp* base, size_t stride, __m512i* out) {
  __m256i lo[8], hi[8];
  for (int j = 0; j < 8; ++j) {
    lo[j] = load8(base + j * stride);
    hi[j] = load8(base + (8 + j) * stride);
  }
  transpose8(lo);
  transpose8(hi);
  for (int c = 0; c < 8; ++c) out[c] = join(lo[c], hi[c]);
}

// The inverse: lane j of s[c] -> base[j * stride + c] for sixteen rows j and c < 8.
inline void store_transpose16x8(const __m512i* s, Fp* base, size_t stride) {
  __m256i lo[8], hi[8];
  for (int c = 0; c < 8; ++c) {
    lo[c] = _mm512_castsi512_si256(s[c]);
    hi[c] = _mm512_extracti64x4_epi64(s[c], 1);
  }
  transpose8(lo);
  transpose8(hi);
  for (int j = 0; j < 8; ++j) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(base + j * stride), lo[j]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(base + (8 + j) * stride), hi[j]);
  }
}
inline void store_digests(const __m512i* s, Digest* out) {
  store_transpose16x8(s, out[0].data(), kDigestSize);
}

void permute_many(Poseidon2State* states, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512i s[16];
    Fp* base = states[i].data();
    load_transpose16x8(base, kPoseidon2Width, s);
    load_transpose16x8(base + 8, kPoseidon2Width, s + 8);
    permute16(s);
    store_transpose16x8(s, base, kPoseidon2Width);
    store_transpose16x8(s + 8, base + 8, kPoseidon2Width);
  }
  if (i < n) avx2::poseidon2_kernels().permute(states + i, n - i);
}

// The sponge of hash_row on sixteen rows at once; absorb() takes lane values for the rows.
struct Sponge16 {
  __m512i s[16];
  int pos = 0;
  Sponge16() {
    for (__m512i& v : s) v = _mm512_setzero_si512();
  }
  inline void absorb(__m512i v) {
    s[pos++] = v;
    if (pos == 8) {
      permute16(s);
      pos = 0;
    }
  }
  inline void finish(Digest* out) {
    if (pos != 0) permute16(s);
    store_digests(s, out);
  }
};

constexpr size_t kPrefetchRows = 32;

void hash_rows(std::span<const MatrixView> mats, size_t begin, size_t count, Digest* out) {
  size_t i = 0;
  for (; i + 16 <= count; i += 16) {
    const size_t r0 = begin + i;
    Sponge16 sp;
    for (const MatrixView& m : mats) {
      if (m.layout == Layout::kColMajor) {
        // Element c of the sixteen rows is contiguous in column c.
        // Wide matrices are more streams than the hardware prefetcher follows: fetch each
        // column's line two blocks ahead (8% on 2^18 x 128).
        const bool ahead = r0 + kPrefetchRows < m.rows;
        for (size_t c = 0; c < m.cols; ++c) {
          const Fp* col = m.data + c * m.rows + r0;
          if (ahead) _mm_prefetch(reinterpret_cast<const char*>(col + kPrefetchRows), _MM_HINT_T0);
          sp.absorb(load16(col));
        }
        continue;
      }
      const Fp* base = m.data + r0 * m.cols;
      size_t c = 0;
      for (; c + 8 <= m.cols; c += 8) {
        __m512i t[8];
        load_transpose16x8(base + c, m.cols, t);
        for (int j = 0; j < 8; ++j) sp.absorb(t[j]);
      }
      if (c < m.cols) {
        const __m512i idx = _mm512_mullo_epi32(
            _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
            _mm512_set1_epi32(int(m.cols)));
        for (; c < m.cols; ++c) sp.absorb(_mm512_i32gather_epi32(idx, base + c, 4));
      }
    }
    sp.finish(out + i);
  }
  if (i < count) avx2::poseidon2_kernels().hash_rows(mats, begin + i, count - i, out + i);
}

void compress(const Digest* a, const Digest* b, size_t stride, Digest* out, size_t n) {
  size_t i = 0;
  const size_t row_stride = stride * kDigestSize;
  for (; i + 16 <= n; i += 16) {
    __m512i s[16];
    load_transpose16x8(a[i * stride].data(), row_stride, s);
    load_transpose16x8(b[i * stride].data(), row_stride, s + 8);
    permute16(s);
    store_digests(s, out + i);
  }
  if (i < n) avx2::poseidon2_kernels().compress(a + i * stride, b + i * stride, stride, out + i, n - i);
}

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
  static const Poseidon2Kernels k{permute_many, hash_rows, compress};
  return k;
}

}  // namespace efaas::avx512
EFAAS_AVX512_END
