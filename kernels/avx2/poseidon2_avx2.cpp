// Poseidon2-BabyBear width 16 on AVX2: eight permutations at once, state transposed so that
// register i holds lane i of the eight states. Results are identical to the scalar reference in
// prover/hash/poseidon2.cpp (poseidon2_test checks it on random inputs).
#include <algorithm>

#include "kernels/avx2/babybear_avx2.hpp"
#include "prover/hash/hash_backend.hpp"

EFAAS_AVX2_BEGIN
namespace efaas::avx2 {

namespace {

// The S-box on signed representatives in (-p, p), as in kernels/avx512/poseidon2_avx512.cpp:
// with vpmuldq |a b| < p^2, and q = a b p^-1 mod 2^32 taken as signed keeps q p in
// [-2^31 p, 2^31 p), so hi(a b - q p) is in (-p, p) with no correction; only the S-box output
// is brought back to [0, p), and s + (rc - p) needs no reduction.
inline __m256i mul_signed(__m256i a, __m256i b) {
  const __m256i p = p_vec();
  const __m256i a_odd = _mm256_srli_epi64(a, 32);
  const __m256i b_odd = _mm256_srli_epi64(b, 32);
  const __m256i prod_evn = _mm256_mul_epi32(a, b);
  const __m256i prod_odd = _mm256_mul_epi32(a_odd, b_odd);
  const __m256i q_evn = _mm256_mul_epu32(prod_evn, mu_vec());
  const __m256i q_odd = _mm256_mul_epu32(prod_odd, mu_vec());
  const __m256i d_evn = _mm256_sub_epi64(prod_evn, _mm256_mul_epi32(q_evn, p));
  const __m256i d_odd = _mm256_sub_epi64(prod_odd, _mm256_mul_epi32(q_odd, p));
  return _mm256_blend_epi32(_mm256_srli_epi64(d_evn, 32), d_odd, 0b10101010);
}

// (-p, p) -> [0, p).
inline __m256i canonical(__m256i x) {
  return _mm256_min_epu32(x, _mm256_add_epi32(x, p_vec()));
}

// Round constants are stored as rc - p (see mul_signed).
struct PackedConstants {
  __m256i external_initial[4][16];
  __m256i external_final[4][16];
  __m256i internal[13];
};

inline __m256i shifted(Fp rc) {
  return _mm256_set1_epi32(int(rc.montgomery() - Fp::kP));
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
inline __m256i add_rc_sbox(__m256i s, __m256i rc) {
  const __m256i x = _mm256_add_epi32(s, rc);
  const __m256i x2 = mul_signed(x, x);
  const __m256i x3 = mul_signed(x2, x);
  const __m256i x4 = mul_signed(x2, x2);
  return canonical(mul_signed(x3, x4));
}

// See external_linear in poseidon2.cpp. M4 = [[2,3,1,1],[1,2,3,1],[1,1,2,3],[3,1,1,2]] in 11
// additions instead of 15 (Plonky3's apply_mat4 chain).
inline void external_linear(__m256i* s) {
  for (int b = 0; b < 16; b += 4) {
    const __m256i x0 = s[b], x1 = s[b + 1], x2 = s[b + 2], x3 = s[b + 3];
    const __m256i t01 = add(x0, x1), t23 = add(x2, x3);
    const __m256i t0123 = add(t01, t23);
    const __m256i t01123 = add(t0123, x1), t01233 = add(t0123, x3);
    s[b] = add(t01123, t01);              // 2 x0 + 3 x1 + x2 + x3
    s[b + 1] = add(t01123, add(x2, x2));  // x0 + 2 x1 + 3 x2 + x3
    s[b + 2] = add(t01233, t23);          // x0 + x1 + 2 x2 + 3 x3
    s[b + 3] = add(t01233, add(x0, x0));  // 3 x0 + x1 + x2 + 2 x3
  }
  for (int i = 0; i < 4; ++i) {
    __m256i col = add(add(s[i], s[4 + i]), add(s[8 + i], s[12 + i]));
    s[i] = add(s[i], col);
    s[4 + i] = add(s[4 + i], col);
    s[8 + i] = add(s[8 + i], col);
    s[12 + i] = add(s[12 + i], col);
  }
}

// x * 2^-k (see mul_2exp_neg in poseidon2.cpp): hi - lo * 15 * 2^(27-k) mod p.
template <int K>
inline __m256i mul_2exp_neg(__m256i x) {
  const __m256i lo = _mm256_and_si256(x, _mm256_set1_epi32((1 << K) - 1));
  const __m256i t = _mm256_slli_epi32(_mm256_sub_epi32(_mm256_slli_epi32(lo, 4), lo), 27 - K);
  return sub(_mm256_srli_epi32(x, K), t);
}

// One partial round with the hard-coded internal diagonal (checked in poseidon2.cpp).
inline void partial_round(__m256i* s, __m256i rc) {
  __m256i part = add(add(add(s[1], s[2]), add(s[3], s[4])), add(add(s[5], s[6]), add(s[7], s[8])));
  part = add(part, add(add(add(s[9], s[10]), add(s[11], s[12])), add(add(s[13], s[14]), s[15])));
  const __m256i x0 = add_rc_sbox(s[0], rc);
  const __m256i sum = add(part, x0);
  s[0] = sub(sum, add(x0, x0));
  s[1] = add(sum, s[1]);
  s[2] = add(sum, add(s[2], s[2]));
  s[3] = add(sum, mul_2exp_neg<1>(s[3]));
  s[4] = add(sum, add(add(s[4], s[4]), s[4]));
  const __m256i d5 = add(s[5], s[5]);
  s[5] = add(sum, add(d5, d5));
  s[6] = sub(sum, mul_2exp_neg<1>(s[6]));
  s[7] = sub(sum, add(add(s[7], s[7]), s[7]));
  const __m256i d8 = add(s[8], s[8]);
  s[8] = sub(sum, add(d8, d8));
  s[9] = add(sum, mul_2exp_neg<8>(s[9]));
  s[10] = add(sum, mul_2exp_neg<2>(s[10]));
  s[11] = add(sum, mul_2exp_neg<3>(s[11]));
  s[12] = add(sum, mul_2exp_neg<27>(s[12]));
  s[13] = sub(sum, mul_2exp_neg<8>(s[13]));
  s[14] = sub(sum, mul_2exp_neg<4>(s[14]));
  s[15] = sub(sum, mul_2exp_neg<27>(s[15]));
}

// The sixteen S-boxes of a full round, stage by stage across the state: each stage's
// multiplications are independent, so they overlap in the pipeline instead of waiting on one
// S-box's chain of three dependent multiplications (compilers keep the source order here).
inline void full_round_sboxes(__m256i* s, const __m256i* rc) {
  __m256i x[16], x2[16], x3[16];
  for (int i = 0; i < 16; ++i) x[i] = _mm256_add_epi32(s[i], rc[i]);
  for (int i = 0; i < 16; ++i) x2[i] = mul_signed(x[i], x[i]);
  for (int i = 0; i < 16; ++i) x3[i] = mul_signed(x2[i], x[i]);
  for (int i = 0; i < 16; ++i) x2[i] = mul_signed(x2[i], x2[i]);
  for (int i = 0; i < 16; ++i) s[i] = canonical(mul_signed(x3[i], x2[i]));
}

void permute8(__m256i* s) {
  const PackedConstants& c = packed_constants();
  external_linear(s);
  for (int r = 0; r < 4; ++r) {
    full_round_sboxes(s, c.external_initial[r]);
    external_linear(s);
  }
  for (int r = 0; r < 13; ++r) {
    partial_round(s, c.internal[r]);
  }
  for (int r = 0; r < 4; ++r) {
    full_round_sboxes(s, c.external_final[r]);
    external_linear(s);
  }
}

// In-place transpose of an 8x8 matrix of 32-bit values held in eight registers.
inline void transpose8(__m256i* r) {
  __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]);
  __m256i t1 = _mm256_unpackhi_epi32(r[0], r[1]);
  __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]);
  __m256i t3 = _mm256_unpackhi_epi32(r[2], r[3]);
  __m256i t4 = _mm256_unpacklo_epi32(r[4], r[5]);
  __m256i t5 = _mm256_unpackhi_epi32(r[4], r[5]);
  __m256i t6 = _mm256_unpacklo_epi32(r[6], r[7]);
  __m256i t7 = _mm256_unpackhi_epi32(r[6], r[7]);
  __m256i u0 = _mm256_unpacklo_epi64(t0, t2);
  __m256i u1 = _mm256_unpackhi_epi64(t0, t2);
  __m256i u2 = _mm256_unpacklo_epi64(t1, t3);
  __m256i u3 = _mm256_unpackhi_epi64(t1, t3);
  __m256i u4 = _mm256_unpacklo_epi64(t4, t6);
  __m256i u5 = _mm256_unpackhi_epi64(t4, t6);
  __m256i u6 = _mm256_unpacklo_epi64(t5, t7);
  __m256i u7 = _mm256_unpackhi_epi64(t5, t7);
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
  return PackedFp::load(p).v;
}
inline void store8(Fp* p, __m256i v) {
  PackedFp{v}.store(p);
}

// Eight digests (eight elements each) at a, a + stride, ... -> lanes 0..7 of the state.
inline void load_digests(const Digest* d, size_t stride, __m256i* s) {
  for (int j = 0; j < 8; ++j) s[j] = load8(d[j * stride].data());
  transpose8(s);
}
inline void store_digests(__m256i* s, Digest* out) {
  transpose8(s);
  for (int j = 0; j < 8; ++j) store8(out[j].data(), s[j]);
}

void permute_many(Poseidon2State* states, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i s[16];
    for (int j = 0; j < 8; ++j) {
      s[j] = load8(states[i + j].data());
      s[8 + j] = load8(states[i + j].data() + 8);
    }
    transpose8(s);
    transpose8(s + 8);
    permute8(s);
    transpose8(s);
    transpose8(s + 8);
    for (int j = 0; j < 8; ++j) {
      store8(states[i + j].data(), s[j]);
      store8(states[i + j].data() + 8, s[8 + j]);
    }
  }
  for (; i < n; ++i) poseidon2_permute(states[i]);
}

// The sponge of hash_row on eight rows at once; absorb() takes lane values for the eight rows.
struct Sponge8 {
  __m256i s[16];
  int pos = 0;
  Sponge8() {
    for (__m256i& v : s) v = _mm256_setzero_si256();
  }
  inline void absorb(__m256i v) {
    s[pos++] = v;
    if (pos == 8) {
      permute8(s);
      pos = 0;
    }
  }
  inline void finish(Digest* out) {
    if (pos != 0) permute8(s);
    store_digests(s, out);
  }
};

constexpr size_t kPrefetchRows = 32;

void hash_rows(std::span<const MatrixView> mats, size_t begin, size_t count, Digest* out) {
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const size_t r0 = begin + i;
    Sponge8 sp;
    for (const MatrixView& m : mats) {
      if (m.layout == Layout::kColMajor) {
        // Element c of the eight rows is contiguous in column c.
        // Wide matrices are more streams than the hardware prefetcher follows.
        const bool ahead = r0 + kPrefetchRows < m.rows;
        for (size_t c = 0; c < m.cols; ++c) {
          const Fp* col = m.data + c * m.rows + r0;
          if (ahead) _mm_prefetch(reinterpret_cast<const char*>(col + kPrefetchRows), _MM_HINT_T0);
          sp.absorb(load8(col));
        }
        continue;
      }
      const Fp* base = m.data + r0 * m.cols;
      size_t c = 0;
      for (; c + 8 <= m.cols; c += 8) {
        __m256i t[8];
        for (int j = 0; j < 8; ++j) t[j] = load8(base + j * m.cols + c);
        transpose8(t);
        for (int j = 0; j < 8; ++j) sp.absorb(t[j]);
      }
      if (c < m.cols) {
        const __m256i idx = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                               _mm256_set1_epi32(int(m.cols)));
        for (; c < m.cols; ++c) {
          sp.absorb(_mm256_i32gather_epi32(reinterpret_cast<const int*>(base + c), idx, 4));
        }
      }
    }
    sp.finish(out + i);
  }
  for (; i < count; ++i) out[i] = hash_rows_concat(mats, begin + i);
}

void compress(const Digest* a, const Digest* b, size_t stride, Digest* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i s[16];
    load_digests(a + i * stride, stride, s);
    load_digests(b + i * stride, stride, s + 8);
    permute8(s);
    store_digests(s, out + i);
  }
  for (; i < n; ++i) out[i] = efaas::compress(a[i * stride], b[i * stride]);
}

}  // namespace

const Poseidon2Kernels& poseidon2_kernels() {
  static const Poseidon2Kernels k{permute_many, hash_rows, compress};
  return k;
}

}  // namespace efaas::avx2
EFAAS_AVX2_END
