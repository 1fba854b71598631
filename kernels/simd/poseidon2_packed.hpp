#pragma once
// Poseidon2-BabyBear width 16 on a transposed state: register i holds lane i of Ops::kLanes
// states. One body for every vector ISA; kernels/avx2/poseidon2_avx2.cpp (8 lanes) and
// kernels/avx512/poseidon2_avx512.cpp (16 lanes) instantiate it with their vector-ops type.
//
// Include this header only inside the ISA's target region (EFAAS_AVX2_BEGIN / EFAAS_AVX512_BEGIN)
// and after hash_backend.hpp: the templates take that region's target attributes where they are
// defined. Everything here is a member of Poseidon2Packed<Ops>, and each Ops type lives in its
// translation unit's anonymous namespace, so no instantiation is shared between the ISAs (no
// baseline caller can link an AVX-512 copy).
//
// Ops provides, for V = Ops::V (kLanes 32-bit lanes):
//   kLanes; zero(), set1(u32); add_raw, sub_raw, min_u32, and_bits (lane-wise, no reduction);
//   shl<K>, shr<K> (logical shifts); mul_signed(a, b) = a b 2^-32 on signed representatives in
//   (-p, p), result in (-p, p) (see below); load(p): kLanes consecutive elements;
//   load_transposed(base, stride, out[8]): out[c] = element c of kLanes rows (row j at
//   base + j stride); store_transposed(s[8], base, stride): the inverse (may clobber s);
//   row_offsets(stride) and gather(base, offsets): element 0 of kLanes rows;
//   narrower(): the kernel table that finishes batches of fewer than kLanes items.
//   Optional: half(x) = x / 2 mod p when the ISA has a cheaper way than mul_2exp_neg<1>.
//
// The S-box works on signed representatives (Plonky3's trick): with signed 32x32 products
// |a b| < p^2, and q = a b p^-1 mod 2^32 taken as a signed value keeps q p in [-2^31 p, 2^31 p),
// so hi(a b - q p) is in (-p, p) with no correction step; only the S-box output is brought back
// to [0, p). Round constants are stored as rc - p, so s + rc' is in (-p, p) for s in [0, p) and
// needs no reduction either. Results are identical to the scalar reference in
// prover/hash/poseidon2.cpp (poseidon2_test checks every entry point of both instantiations).
#include "prover/hash/hash_backend.hpp"

namespace efaas {

template <class Ops>
struct Poseidon2Packed {
  using V = typename Ops::V;
  static constexpr size_t kLanes = Ops::kLanes;

  // a + b mod p for a, b < p: the sum is < 2p < 2^32, and min(s, s - p) as unsigned is the
  // reduced one (s - p wraps to a large value when s < p).
  static inline V add(V a, V b) {
    const V s = Ops::add_raw(a, b);
    return Ops::min_u32(s, Ops::sub_raw(s, Ops::set1(Fp::kP)));
  }
  static inline V sub(V a, V b) {
    const V d = Ops::sub_raw(a, b);
    return Ops::min_u32(d, Ops::add_raw(d, Ops::set1(Fp::kP)));
  }
  // (-p, p) -> [0, p): a negative value plus p is smaller than the value itself as unsigned.
  static inline V canonical(V x) { return Ops::min_u32(x, Ops::add_raw(x, Ops::set1(Fp::kP))); }

  // x * 2^-k (see mul_2exp_neg in poseidon2.cpp): hi - lo * 15 * 2^(27-k) mod p.
  template <int K>
  static inline V mul_2exp_neg(V x) {
    const V lo = Ops::and_bits(x, Ops::set1((1u << K) - 1));
    const V t = Ops::template shl<27 - K>(Ops::sub_raw(Ops::template shl<4>(lo), lo));
    return sub(Ops::template shr<K>(x), t);
  }
  static inline V half(V x) {
    if constexpr (requires { Ops::half(x); }) {
      return Ops::half(x);
    } else {
      return mul_2exp_neg<1>(x);
    }
  }

  struct Constants {
    V external_initial[4][16];
    V external_final[4][16];
    V internal[13];
  };

  // Constants are stored as rc - p (see the top of this file). No lambdas here: GCC does not
  // give them the region's target attributes.
  static V shifted(Fp rc) { return Ops::set1(rc.montgomery() - Fp::kP); }
  static Constants make_constants() {
    const Poseidon2Constants& c = poseidon2_constants();
    Constants p;
    for (int r = 0; r < 4; ++r) {
      for (int i = 0; i < 16; ++i) {
        p.external_initial[r][i] = shifted(c.external_initial[r][i]);
        p.external_final[r][i] = shifted(c.external_final[r][i]);
      }
    }
    for (int r = 0; r < 13; ++r) p.internal[r] = shifted(c.internal[r]);
    return p;
  }
  static const Constants& constants() {
    static const Constants pc = make_constants();
    return pc;
  }

  // (s + rc')^7 in [0, p) for s in [0, p) and the shifted constant rc'.
  static inline V add_rc_sbox(V s, V rc) {
    const V x = Ops::add_raw(s, rc);
    const V x2 = Ops::mul_signed(x, x);
    const V x3 = Ops::mul_signed(x2, x);
    const V x4 = Ops::mul_signed(x2, x2);
    return canonical(Ops::mul_signed(x3, x4));
  }

  // See external_linear in poseidon2.cpp. M4 = [[2,3,1,1],[1,2,3,1],[1,1,2,3],[3,1,1,2]] in 11
  // additions instead of 15 (Plonky3's apply_mat4 chain).
  static inline void external_linear(V* s) {
    for (int b = 0; b < 16; b += 4) {
      const V x0 = s[b], x1 = s[b + 1], x2 = s[b + 2], x3 = s[b + 3];
      const V t01 = add(x0, x1), t23 = add(x2, x3);
      const V t0123 = add(t01, t23);
      const V t01123 = add(t0123, x1), t01233 = add(t0123, x3);
      s[b] = add(t01123, t01);              // 2 x0 + 3 x1 + x2 + x3
      s[b + 1] = add(t01123, add(x2, x2));  // x0 + 2 x1 + 3 x2 + x3
      s[b + 2] = add(t01233, t23);          // x0 + x1 + 2 x2 + 3 x3
      s[b + 3] = add(t01233, add(x0, x0));  // 3 x0 + x1 + x2 + 2 x3
    }
    for (int i = 0; i < 4; ++i) {
      const V col = add(add(s[i], s[4 + i]), add(s[8 + i], s[12 + i]));
      s[i] = add(s[i], col);
      s[4 + i] = add(s[4 + i], col);
      s[8 + i] = add(s[8 + i], col);
      s[12 + i] = add(s[12 + i], col);
    }
  }

  // One partial round with the hard-coded internal diagonal (checked in poseidon2.cpp).
  static inline void partial_round(V* s, V rc) {
    V part = add(add(add(s[1], s[2]), add(s[3], s[4])), add(add(s[5], s[6]), add(s[7], s[8])));
    part = add(part, add(add(add(s[9], s[10]), add(s[11], s[12])), add(add(s[13], s[14]), s[15])));
    const V x0 = add_rc_sbox(s[0], rc);
    const V sum = add(part, x0);
    s[0] = sub(sum, add(x0, x0));
    s[1] = add(sum, s[1]);
    s[2] = add(sum, add(s[2], s[2]));
    s[3] = add(sum, half(s[3]));
    s[4] = add(sum, add(add(s[4], s[4]), s[4]));
    const V d5 = add(s[5], s[5]);
    s[5] = add(sum, add(d5, d5));
    s[6] = sub(sum, half(s[6]));
    s[7] = sub(sum, add(add(s[7], s[7]), s[7]));
    const V d8 = add(s[8], s[8]);
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
  static inline void full_round_sboxes(V* s, const V* rc) {
    V x[16], x2[16], x3[16];
    for (int i = 0; i < 16; ++i) x[i] = Ops::add_raw(s[i], rc[i]);
    for (int i = 0; i < 16; ++i) x2[i] = Ops::mul_signed(x[i], x[i]);
    for (int i = 0; i < 16; ++i) x3[i] = Ops::mul_signed(x2[i], x[i]);
    for (int i = 0; i < 16; ++i) x2[i] = Ops::mul_signed(x2[i], x2[i]);
    for (int i = 0; i < 16; ++i) s[i] = canonical(Ops::mul_signed(x3[i], x2[i]));
  }

  // kLanes permutations of the transposed state s[16]. Not inlined (member functions defined in
  // the class are implicitly inline, which would copy it into every caller and leave the partial
  // rounds out of line instead): one copy, with the rounds inlined into it.
  [[gnu::noinline]] static void permute(V* s) {
    const Constants& c = constants();
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

  static void permute_many(Poseidon2State* states, size_t n) {
    size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
      V s[16];
      Fp* base = states[i].data();
      Ops::load_transposed(base, kPoseidon2Width, s);
      Ops::load_transposed(base + 8, kPoseidon2Width, s + 8);
      permute(s);
      Ops::store_transposed(s, base, kPoseidon2Width);
      Ops::store_transposed(s + 8, base + 8, kPoseidon2Width);
    }
    if (i < n) Ops::narrower().permute(states + i, n - i);
  }

  // The sponge of hash_row on kLanes rows at once; absorb() takes lane values for the rows.
  struct Sponge {
    V s[16];
    int pos = 0;
    Sponge() {
      for (V& v : s) v = Ops::zero();
    }
    inline void absorb(V v) {
      s[pos++] = v;
      if (pos == 8) {
        permute(s);
        pos = 0;
      }
    }
    inline void finish(Digest* out) {
      if (pos != 0) permute(s);
      Ops::store_transposed(s, out[0].data(), kDigestSize);
    }
  };

  // Wide column-major matrices are more streams than the hardware prefetcher follows: each
  // column's line is fetched this many rows ahead (8% on 2^18 x 128 with AVX-512).
  static constexpr size_t kPrefetchRows = 32;

  static void hash_rows(std::span<const MatrixView> mats, size_t begin, size_t count,
                        Digest* out) {
    size_t i = 0;
    for (; i + kLanes <= count; i += kLanes) {
      const size_t r0 = begin + i;
      Sponge sp;
      for (const MatrixView& m : mats) {
        if (m.layout == Layout::kColMajor) {
          // Element c of the kLanes rows is contiguous in column c.
          const bool ahead = r0 + kPrefetchRows < m.rows;
          for (size_t c = 0; c < m.cols; ++c) {
            const Fp* col = m.data + c * m.rows + r0;
            if (ahead) {
              _mm_prefetch(reinterpret_cast<const char*>(col + kPrefetchRows), _MM_HINT_T0);
            }
            sp.absorb(Ops::load(col));
          }
          continue;
        }
        const Fp* base = m.data + r0 * m.cols;
        size_t c = 0;
        for (; c + 8 <= m.cols; c += 8) {
          V t[8];
          Ops::load_transposed(base + c, m.cols, t);
          for (int j = 0; j < 8; ++j) sp.absorb(t[j]);
        }
        if (c < m.cols) {
          const V offsets = Ops::row_offsets(m.cols);
          for (; c < m.cols; ++c) sp.absorb(Ops::gather(base + c, offsets));
        }
      }
      sp.finish(out + i);
    }
    if (i < count) Ops::narrower().hash_rows(mats, begin + i, count - i, out + i);
  }

  static void compress(const Digest* a, const Digest* b, size_t stride, Digest* out, size_t n) {
    const size_t row_stride = stride * kDigestSize;
    size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
      V s[16];
      Ops::load_transposed(a[i * stride].data(), row_stride, s);
      Ops::load_transposed(b[i * stride].data(), row_stride, s + 8);
      permute(s);
      Ops::store_transposed(s, out[i].data(), kDigestSize);
    }
    if (i < n) Ops::narrower().compress(a + i * stride, b + i * stride, stride, out + i, n - i);
  }

  static const Poseidon2Kernels& kernels() {
    static const Poseidon2Kernels k{permute_many, hash_rows, compress};
    return k;
  }
};

}  // namespace efaas
