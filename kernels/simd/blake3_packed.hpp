#pragma once
// BLAKE3 Merkle hashing (prover/hash/blake3.hpp) on Ops::kLanes inputs at once, one input per
// 32-bit lane: register i of the state holds word i of every lane's compression. All rows of a
// hash_rows call have the same width, so the chunk / block / parent structure is the same in
// every lane and only the message words differ. One body for every vector ISA;
// kernels/avx2/blake3_avx2.cpp (8 lanes) and kernels/avx512/blake3_avx512.cpp (16 lanes)
// instantiate it with their vector-ops type.
//
// Include this header only inside the ISA's target region, after blake3.hpp, <algorithm> and
// <cstring> (so that their inline functions keep baseline code; see poseidon2_packed.hpp: the
// same scheme, so no instantiation is shared between ISAs).
//
// Ops provides, for V = Ops::V (kLanes 32-bit lanes):
//   kLanes; zero(), set1(u32), add, xor_bits, min_u32, sub; rotr16/12/8/7 (rotate right);
//   load(p): kLanes consecutive words; gather(base, offsets): word base[offsets[j]] in lane j;
//   lane_offsets(n, stride): lane j gets min(j, n - 1) * stride (clamped: lanes past the last
//   valid row repeat it, so a short batch never reads past its matrix);
//   load_transposed(base, stride, out[8]): out[c] = word c of kLanes rows (row j at
//   base + j stride); store_transposed(s[8], base, stride): the inverse (may clobber s);
//   narrower(): the kernel table that finishes compress batches of fewer than kLanes items;
//   kNarrowerRows: row batches of at most this many go to narrower().hash_rows instead of
//   masked lanes (0: always masked lanes; AVX-512 hands tails of <= 8 rows to AVX2).
#include <algorithm>
#include <array>
#include <cstring>

#include "prover/hash/blake3.hpp"

namespace efaas {

template <class Ops>
struct Blake3Packed {
  using V = typename Ops::V;
  static constexpr size_t kLanes = Ops::kLanes;
  static constexpr size_t kBlockWords = blake3::kBlockLen / 4;  // 16
  static constexpr size_t kChunkWords = blake3::kChunkLen / 4;  // 256
  // Subtree chaining values waiting for their right sibling: at most one per bit of the chunk
  // count, which is a size_t.
  static constexpr size_t kMaxStack = 64;

  static_assert(sizeof(Digest) == 8 * sizeof(uint32_t), "digests are 8 Montgomery words");

  // The message word order of each round: round r reads m[kSchedule[r][i]] where round 0 is the
  // identity and each round permutes the previous one by kMsgPermutation (as in blake3.cpp).
  static constexpr std::array<std::array<uint8_t, 16>, 7> kSchedule = [] {
    std::array<std::array<uint8_t, 16>, 7> s{};
    for (uint8_t i = 0; i < 16; ++i) s[0][i] = i;
    for (size_t r = 1; r < 7; ++r) {
      for (size_t i = 0; i < 16; ++i) s[r][i] = s[r - 1][blake3::kMsgPermutation[i]];
    }
    return s;
  }();

  static inline void g(V* s, int a, int b, int c, int d, V mx, V my) {
    s[a] = Ops::add(Ops::add(s[a], s[b]), mx);
    s[d] = Ops::rotr16(Ops::xor_bits(s[d], s[a]));
    s[c] = Ops::add(s[c], s[d]);
    s[b] = Ops::rotr12(Ops::xor_bits(s[b], s[c]));
    s[a] = Ops::add(Ops::add(s[a], s[b]), my);
    s[d] = Ops::rotr8(Ops::xor_bits(s[d], s[a]));
    s[c] = Ops::add(s[c], s[d]);
    s[b] = Ops::rotr7(Ops::xor_bits(s[b], s[c]));
  }

  // A template per round, so every message index is a compile-time constant.
  template <size_t R>
  static inline void round(V* s, const V* m) {
    constexpr const std::array<uint8_t, 16>& k = kSchedule[R];
    g(s, 0, 4, 8, 12, m[k[0]], m[k[1]]);
    g(s, 1, 5, 9, 13, m[k[2]], m[k[3]]);
    g(s, 2, 6, 10, 14, m[k[4]], m[k[5]]);
    g(s, 3, 7, 11, 15, m[k[6]], m[k[7]]);
    g(s, 0, 5, 10, 15, m[k[8]], m[k[9]]);
    g(s, 1, 6, 11, 12, m[k[10]], m[k[11]]);
    g(s, 2, 7, 8, 13, m[k[12]], m[k[13]]);
    g(s, 3, 4, 9, 14, m[k[14]], m[k[15]]);
  }

  // cv <- the first 8 output words of compress(cv, m, counter, block_len, flags), every lane.
  // Not inlined: one copy with the seven rounds inlined into it.
  [[gnu::noinline]] static void compress_block(V* cv, const V* m, uint64_t counter,
                                               uint32_t block_len, uint32_t flags) {
    V s[16];
    for (int i = 0; i < 8; ++i) s[i] = cv[i];
    for (int i = 0; i < 4; ++i) s[8 + i] = Ops::set1(blake3::kIv[i]);
    s[12] = Ops::set1(uint32_t(counter));
    s[13] = Ops::set1(uint32_t(counter >> 32));
    s[14] = Ops::set1(block_len);
    s[15] = Ops::set1(flags);
    round<0>(s, m);
    round<1>(s, m);
    round<2>(s, m);
    round<3>(s, m);
    round<4>(s, m);
    round<5>(s, m);
    round<6>(s, m);
    for (int i = 0; i < 8; ++i) cv[i] = Ops::xor_bits(s[i], s[i + 8]);
  }

  static inline void set_iv(V* cv) {
    for (int i = 0; i < 8; ++i) cv[i] = Ops::set1(blake3::kIv[i]);
  }

  // cv <- parent(left, cv): the PARENT compression of two subtree chaining values.
  static inline void parent(const V* left, V* cv, bool root) {
    V m[16];
    for (int i = 0; i < 8; ++i) {
      m[i] = left[i];
      m[8 + i] = cv[i];
    }
    set_iv(cv);
    compress_block(cv, m, 0, blake3::kBlockLen,
                   blake3::kParent | (root ? blake3::kRoot : 0));
  }

  // Word w mod p for w < 2^32 < 3p: two conditional subtractions as min(x, x - p).
  static inline V reduce(V w) {
    const V p = Ops::set1(Fp::kP);
    w = Ops::min_u32(w, Ops::sub(w, p));
    return Ops::min_u32(w, Ops::sub(w, p));
  }

  // Stores the digests of the first n lanes (n <= kLanes).
  static inline void store_digests(V* cv, Digest* out, size_t n) {
    for (int i = 0; i < 8; ++i) cv[i] = reduce(cv[i]);
    if (n == kLanes) {
      Ops::store_transposed(cv, reinterpret_cast<uint32_t*>(out[0].data()), kDigestSize);
      return;
    }
    alignas(64) uint32_t words[8][kLanes];
    for (int i = 0; i < 8; ++i) std::memcpy(words[i], &cv[i], sizeof(V));
    for (size_t j = 0; j < n; ++j) {
      uint32_t d[8];
      for (int i = 0; i < 8; ++i) d[i] = words[i][j];
      std::memcpy(out[j].data(), d, sizeof d);
    }
  }

  // The BLAKE3 hash of kLanes inputs of `total` words each, fed one word-vector at a time; the
  // chunk counter, CHUNK_START / CHUNK_END / ROOT flags and parent merging follow
  // blake3.cpp's hash_bytes, the same for every lane.
  struct Hasher {
    size_t total;
    size_t k = 0;  // words absorbed
    size_t depth = 0;
    V cv[8];
    V block[16];
    V stack[kMaxStack][8];

    explicit Hasher(size_t total_words) : total(total_words) {}

    inline void absorb(V w) {
      block[k % kBlockWords] = w;
      ++k;
      if (k % kBlockWords == 0 || k == total) end_block();
    }

    // The block ending at word k (full, or the input's last) is complete: compress it, and
    // finish its chunk when it is the chunk's last.
    void end_block() {
      const size_t words = (k - 1) % kBlockWords + 1;
      for (size_t i = words; i < kBlockWords; ++i) block[i] = Ops::zero();
      const size_t start = k - words;
      const uint64_t chunk = start / kChunkWords;
      const size_t chunk_end = std::min(total, size_t(chunk + 1) * kChunkWords);
      const bool chunk_start = start % kChunkWords == 0;
      const bool chunk_last = k == chunk_end;
      const bool single_chunk = total <= kChunkWords;
      if (chunk_start) set_iv(cv);
      uint32_t flags = (chunk_start ? blake3::kChunkStart : 0) |
                       (chunk_last ? blake3::kChunkEnd : 0) |
                       (chunk_last && single_chunk ? blake3::kRoot : 0);
      compress_block(cv, block, chunk, uint32_t(4 * words), flags);
      if (!chunk_last || single_chunk) return;
      if (k < total) {
        // After chunk i (not the last), merge as many times as i + 1 has trailing zero bits.
        for (uint64_t t = chunk + 1; (t & 1) == 0; t >>= 1) parent(stack[--depth], cv, false);
        std::copy_n(cv, 8, stack[depth++]);
      } else {
        // The last chunk folds the whole stack; the final merge is the root.
        while (depth > 0) {
          --depth;
          parent(stack[depth], cv, depth == 0);
        }
      }
    }

    // The digests of the first n lanes. An empty input is one empty block (the ROOT chunk).
    void finish(Digest* out, size_t n) {
      if (total == 0) end_empty();
      store_digests(cv, out, n);
    }

    void end_empty() {
      set_iv(cv);
      for (V& b : block) b = Ops::zero();
      compress_block(cv, block, 0, 0, blake3::kChunkStart | blake3::kChunkEnd | blake3::kRoot);
    }
  };

  // Wide column-major matrices are more streams than the hardware prefetcher follows (as in
  // poseidon2_packed.hpp): each column's line is fetched this many rows ahead.
  static constexpr size_t kPrefetchRows = 32;

  // n <= kLanes rows from r0: full batches use plain loads (column-major) or 8x8 transposes
  // (row-major); a short batch gathers with clamped lane offsets and keeps the first n digests.
  static void hash_batch(std::span<const MatrixView> mats, size_t width, size_t r0, size_t n,
                         Digest* out) {
    Hasher h(width);
    const bool full = n == kLanes;
    for (const MatrixView& m : mats) {
      const uint32_t* data = reinterpret_cast<const uint32_t*>(m.data);
      if (m.layout == Layout::kColMajor) {
        if (full) {
          const bool ahead = r0 + kPrefetchRows < m.rows;
          for (size_t c = 0; c < m.cols; ++c) {
            const uint32_t* col = data + c * m.rows + r0;
            if (ahead) {
              _mm_prefetch(reinterpret_cast<const char*>(col + kPrefetchRows), _MM_HINT_T0);
            }
            h.absorb(Ops::load(col));
          }
        } else {
          const V offsets = Ops::lane_offsets(n, 1);
          for (size_t c = 0; c < m.cols; ++c) h.absorb(Ops::gather(data + c * m.rows + r0, offsets));
        }
        continue;
      }
      const uint32_t* base = data + r0 * m.cols;
      size_t c = 0;
      if (full) {
        for (; c + 8 <= m.cols; c += 8) {
          V t[8];
          Ops::load_transposed(base + c, m.cols, t);
          for (int j = 0; j < 8; ++j) h.absorb(t[j]);
        }
      }
      if (c < m.cols) {
        const V offsets = Ops::lane_offsets(n, m.cols);
        for (; c < m.cols; ++c) h.absorb(Ops::gather(base + c, offsets));
      }
    }
    h.finish(out, n);
  }

  static void hash_rows(std::span<const MatrixView> mats, size_t begin, size_t count,
                        Digest* out) {
    size_t width = 0;
    for (const MatrixView& m : mats) width += m.cols;
    for (size_t i = 0; i < count; i += kLanes) {
      const size_t n = std::min(kLanes, count - i);
      if (n <= Ops::kNarrowerRows) {
        Ops::narrower().hash_rows(mats, begin + i, n, out + i);
      } else {
        hash_batch(mats, width, begin + i, n, out + i);
      }
    }
  }

  // One block per lane: left || right, flags CHUNK_START | CHUNK_END | ROOT, counter 0.
  static void compress(const Digest* a, const Digest* b, size_t stride, Digest* out, size_t n) {
    const size_t row_stride = stride * kDigestSize;
    size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
      V m[16], cv[8];
      Ops::load_transposed(reinterpret_cast<const uint32_t*>(a[i * stride].data()), row_stride, m);
      Ops::load_transposed(reinterpret_cast<const uint32_t*>(b[i * stride].data()), row_stride,
                           m + 8);
      set_iv(cv);
      compress_block(cv, m, 0, blake3::kBlockLen,
                     blake3::kChunkStart | blake3::kChunkEnd | blake3::kRoot);
      store_digests(cv, out + i, kLanes);
    }
    if (i < n) Ops::narrower().compress(a + i * stride, b + i * stride, stride, out + i, n - i);
  }

  static const Blake3Kernels& kernels() {
    static const Blake3Kernels k{hash_rows, compress};
    return k;
  }
};

}  // namespace efaas
