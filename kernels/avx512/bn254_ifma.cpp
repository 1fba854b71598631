#include "kernels/avx512/bn254_ifma.hpp"

// GCC 12's AVX-512 headers self-initialize their "undefined" vectors (__Y = __Y), which
// -Wuninitialized reports in every function that inlines them.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <array>
#include <cstdlib>
#include <cstring>

#include "kernels/avx512/target_avx512.hpp"
#include "prover/common/cpu_features.hpp"

namespace efaas::ifma {

using bn254::Fq;
using bn254::Limbs;

static_assert(sizeof(Fq) == 32, "Fq arrays are read as four 64-bit limbs per element");

bool bn254_usable() {
  static const bool usable = [] {
    const char* off = std::getenv("EFAAS_DISABLE_IFMA");
    if (off != nullptr && std::strcmp(off, "1") == 0) return false;
    return cpu_features().avx512f && cpu_features().avx512ifma;
  }();
  return usable;
}

namespace {

using R52 = std::array<uint64_t, 5>;
constexpr uint64_t kMask52 = (uint64_t(1) << 52) - 1;

constexpr R52 to_r52(const Limbs& a) {
  return {a[0] & kMask52, ((a[0] >> 52) | (a[1] << 12)) & kMask52,
          ((a[1] >> 40) | (a[2] << 24)) & kMask52, ((a[2] >> 28) | (a[3] << 36)) & kMask52,
          a[3] >> 16};
}
constexpr Limbs twice(const Limbs& a) {
  return {a[0] << 1, (a[1] << 1) | (a[0] >> 63), (a[2] << 1) | (a[1] >> 63),
          (a[3] << 1) | (a[2] >> 63)};
}

constexpr R52 kP = to_r52(Fq::kModulus);
constexpr R52 k2P = to_r52(twice(Fq::kModulus));  // 2p < 2^255: no carry out
// -p^-1 mod 2^52, the low bits of Fq's 64-bit Montgomery constant.
constexpr uint64_t kPinv52 = Fq::kInv & kMask52;

}  // namespace

EFAAS_IFMA_BEGIN
namespace {

using V = __m512i;

// Eight field elements: limb i of lane j in l[i] lane j. Limbs < 2^52; values < 2p between
// operations (Montgomery products tolerate it, and need no final subtraction).
struct F5 {
  V l[5];
};

inline V bc(uint64_t x) { return _mm512_set1_epi64(static_cast<long long>(x)); }

inline F5 broadcast(const R52& c) {
  return {{bc(c[0]), bc(c[1]), bc(c[2]), bc(c[3]), bc(c[4])}};
}

// Montgomery product a * b / 2^256 for limbs < 2^52 and values < 2p; the result is < 2p
// (T + m p < 4p^2 + 2^256 p and 4p < 2^256). Four reduction rounds of 52 bits and a last one
// of 48 bits divide by exactly 2^256, so the representation is bn254::Fq's.
inline F5 mul(const F5& a, const F5& b) {
  const V zero = _mm512_setzero_si512();
  V t[10];
  for (V& x : t) x = zero;
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 5; ++j) {
      t[i + j] = _mm512_madd52lo_epu64(t[i + j], a.l[i], b.l[j]);
      t[i + j + 1] = _mm512_madd52hi_epu64(t[i + j + 1], a.l[i], b.l[j]);
    }
  }
  const V pinv = bc(kPinv52);
  const V p[5] = {bc(kP[0]), bc(kP[1]), bc(kP[2]), bc(kP[3]), bc(kP[4])};
  for (int i = 0; i < 4; ++i) {
    const V m = _mm512_madd52lo_epu64(zero, t[i], pinv);
    for (int j = 0; j < 5; ++j) {
      t[i + j] = _mm512_madd52lo_epu64(t[i + j], m, p[j]);
      t[i + j + 1] = _mm512_madd52hi_epu64(t[i + j + 1], m, p[j]);
    }
    t[i + 1] = _mm512_add_epi64(t[i + 1], _mm512_srli_epi64(t[i], 52));
  }
  const V m = _mm512_and_si512(_mm512_madd52lo_epu64(zero, t[4], pinv),
                               bc((uint64_t(1) << 48) - 1));
  for (int j = 0; j < 5; ++j) {
    t[4 + j] = _mm512_madd52lo_epu64(t[4 + j], m, p[j]);
    t[5 + j] = _mm512_madd52hi_epu64(t[5 + j], m, p[j]);
  }
  const V mask = bc(kMask52);
  for (int i = 4; i < 9; ++i) {
    t[i + 1] = _mm512_add_epi64(t[i + 1], _mm512_srli_epi64(t[i], 52));
    t[i] = _mm512_and_si512(t[i], mask);
  }
  // t[4] has its low 48 bits zero: shift the whole number right by 48 into five limbs.
  F5 r;
  for (int k = 0; k < 4; ++k) {
    r.l[k] = _mm512_or_si512(_mm512_srli_epi64(t[4 + k], 48),
                             _mm512_and_si512(_mm512_slli_epi64(t[5 + k], 4), mask));
  }
  r.l[4] = _mm512_or_si512(_mm512_srli_epi64(t[8], 48), _mm512_slli_epi64(t[9], 4));
  return r;
}

// a - b for values < 2p, result in [0, 2p): borrow chain, then 2p added back where negative.
inline F5 sub(const F5& a, const F5& b) {
  const V mask = bc(kMask52);
  F5 d;
  V c = _mm512_setzero_si512();
  for (int i = 0; i < 4; ++i) {
    V x = _mm512_add_epi64(_mm512_sub_epi64(a.l[i], b.l[i]), c);
    c = _mm512_srai_epi64(x, 52);
    d.l[i] = _mm512_and_si512(x, mask);
  }
  d.l[4] = _mm512_add_epi64(_mm512_sub_epi64(a.l[4], b.l[4]), c);
  const __mmask8 neg = _mm512_cmplt_epi64_mask(d.l[4], _mm512_setzero_si512());
  if (neg == 0) return d;
  c = _mm512_setzero_si512();
  for (int i = 0; i < 4; ++i) {
    V x = _mm512_add_epi64(_mm512_mask_add_epi64(d.l[i], neg, d.l[i], bc(k2P[i])), c);
    c = _mm512_srli_epi64(x, 52);
    d.l[i] = _mm512_and_si512(x, mask);
  }
  d.l[4] = _mm512_add_epi64(_mm512_mask_add_epi64(d.l[4], neg, d.l[4], bc(k2P[4])), c);
  return d;
}

// Values < 2p to [0, p).
inline F5 canonical(const F5& a) {
  const V mask = bc(kMask52);
  F5 d;
  V c = _mm512_setzero_si512();
  for (int i = 0; i < 4; ++i) {
    V x = _mm512_add_epi64(_mm512_sub_epi64(a.l[i], bc(kP[i])), c);
    c = _mm512_srai_epi64(x, 52);
    d.l[i] = _mm512_and_si512(x, mask);
  }
  d.l[4] = _mm512_add_epi64(_mm512_sub_epi64(a.l[4], bc(kP[4])), c);
  const __mmask8 keep = _mm512_cmplt_epi64_mask(d.l[4], _mm512_setzero_si512());
  for (int i = 0; i < 5; ++i) d.l[i] = _mm512_mask_mov_epi64(d.l[i], keep, a.l[i]);
  return d;
}

// Four 64-bit limb vectors to five 52-bit ones and back.
inline F5 from_u64(const V a[4]) {
  const V mask = bc(kMask52);
  F5 r;
  r.l[0] = _mm512_and_si512(a[0], mask);
  r.l[1] = _mm512_and_si512(
      _mm512_or_si512(_mm512_srli_epi64(a[0], 52), _mm512_slli_epi64(a[1], 12)), mask);
  r.l[2] = _mm512_and_si512(
      _mm512_or_si512(_mm512_srli_epi64(a[1], 40), _mm512_slli_epi64(a[2], 24)), mask);
  r.l[3] = _mm512_and_si512(
      _mm512_or_si512(_mm512_srli_epi64(a[2], 28), _mm512_slli_epi64(a[3], 36)), mask);
  r.l[4] = _mm512_srli_epi64(a[3], 16);
  return r;
}
inline void to_u64(const F5& x, V a[4]) {
  a[0] = _mm512_or_si512(x.l[0], _mm512_slli_epi64(x.l[1], 52));
  a[1] = _mm512_or_si512(_mm512_srli_epi64(x.l[1], 12), _mm512_slli_epi64(x.l[2], 40));
  a[2] = _mm512_or_si512(_mm512_srli_epi64(x.l[2], 24), _mm512_slli_epi64(x.l[3], 28));
  a[3] = _mm512_or_si512(_mm512_srli_epi64(x.l[3], 36), _mm512_slli_epi64(x.l[4], 16));
}

// Elements base[k] for the element indices in vk (lanes outside `live` take `fill`).
inline F5 gather(const Fq* base, V vk, __mmask8 live, const F5& fill_r52) {
  V fill[4];
  to_u64(fill_r52, fill);
  const V vk4 = _mm512_slli_epi64(vk, 2);
  V a[4];
  for (int l = 0; l < 4; ++l) {
    a[l] = _mm512_mask_i64gather_epi64(fill[l], live, _mm512_add_epi64(vk4, bc(uint64_t(l))),
                                       base, 8);
  }
  return from_u64(a);
}
inline void scatter(Fq* base, V vk, __mmask8 live, const F5& x) {
  V a[4];
  to_u64(canonical(x), a);
  const V vk4 = _mm512_slli_epi64(vk, 2);
  for (int l = 0; l < 4; ++l) {
    _mm512_mask_i64scatter_epi64(base, live, _mm512_add_epi64(vk4, bc(uint64_t(l))), a[l], 8);
  }
}

inline V iota() { return _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0); }
inline __mmask8 live_lanes(size_t n, size_t first) {
  return n - first >= 8 ? __mmask8(0xff) : __mmask8((1u << (n - first)) - 1);
}

inline F5 load_block(const void* p) {
  const V* v = static_cast<const V*>(p);
  return {{_mm512_load_si512(v), _mm512_load_si512(v + 1), _mm512_load_si512(v + 2),
           _mm512_load_si512(v + 3), _mm512_load_si512(v + 4)}};
}
inline void store_block(void* p, const F5& x) {
  V* v = static_cast<V*>(p);
  for (int i = 0; i < 5; ++i) _mm512_store_si512(v + i, x.l[i]);
}

void mul_arrays_impl(const Fq* a, const Fq* b, Fq* out, size_t n) {
  const F5 zero = broadcast(R52{});
  for (size_t g = 0; g < n; g += 8) {
    const __mmask8 live = live_lanes(n, g);
    const V vk = _mm512_add_epi64(bc(g), iota());
    scatter(out, vk, live, mul(gather(a, vk, live, zero), gather(b, vk, live, zero)));
  }
}

void forward_impl(const Fq* den, size_t n, void* den_blocks, void* prefix_blocks, Fq lanes[8]) {
  const F5 one = broadcast(to_r52(Fq::kR));
  F5 acc = one;
  char* dp = static_cast<char*>(den_blocks);
  char* pp = static_cast<char*>(prefix_blocks);
  for (size_t g = 0; g < n; g += 8, dp += 5 * 64, pp += 5 * 64) {
    const V vk = _mm512_add_epi64(bc(g), iota());
    const F5 d = gather(den, vk, live_lanes(n, g), one);  // padding lanes multiply by one
    store_block(pp, acc);
    store_block(dp, d);
    acc = mul(acc, d);
  }
  scatter(lanes, iota(), 0xff, acc);
}

void backward_impl(Fq* bx, Fq* by, const uint32_t* idx, const Fq* px, const Fq* py, size_t n,
                   const void* den_blocks, const void* prefix_blocks, const Fq lanes[8]) {
  const F5 zero = broadcast(R52{});
  F5 inv = gather(lanes, iota(), 0xff, zero);
  const size_t groups = (n + 7) / 8;
  for (size_t g = groups; g-- > 0;) {
    const size_t first = g * 8;
    const __mmask8 live = live_lanes(n, first);
    const F5 d = load_block(static_cast<const char*>(den_blocks) + g * 5 * 64);
    const F5 pre = load_block(static_cast<const char*>(prefix_blocks) + g * 5 * 64);
    const F5 dinv = mul(inv, pre);
    inv = mul(inv, d);
    uint32_t ib[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    std::memcpy(ib, idx + first, sizeof(uint32_t) * (n - first < 8 ? n - first : 8));
    const V vb = _mm512_cvtepu32_epi64(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(ib)));
    const V vk = _mm512_add_epi64(bc(first), iota());
    const F5 x1 = gather(bx, vb, live, zero), y1 = gather(by, vb, live, zero);
    const F5 x2 = gather(px, vk, live, zero), y2 = gather(py, vk, live, zero);
    const F5 lambda = mul(sub(y2, y1), dinv);
    const F5 x3 = sub(sub(mul(lambda, lambda), x1), x2);
    const F5 y3 = sub(mul(lambda, sub(x1, x3)), y1);
    scatter(bx, vb, live, x3);
    scatter(by, vb, live, y3);
  }
}

}  // namespace
EFAAS_IFMA_END

void fq_mul_arrays(const Fq* a, const Fq* b, Fq* out, size_t n) { mul_arrays_impl(a, b, out, n); }

BatchAffineFq::BatchAffineFq(size_t max_batch)
    : den_(5 * ((max_batch + 7) / 8)), prefix_(5 * ((max_batch + 7) / 8)) {}

void BatchAffineFq::forward(const Fq* den, size_t n, Fq lanes[8]) {
  forward_impl(den, n, den_.data(), prefix_.data(), lanes);
}

void BatchAffineFq::backward(Fq* bx, Fq* by, const uint32_t* idx, const Fq* px, const Fq* py,
                             size_t n, const Fq lanes[8]) {
  backward_impl(bx, by, idx, px, py, n, den_.data(), prefix_.data(), lanes);
}

}  // namespace efaas::ifma
