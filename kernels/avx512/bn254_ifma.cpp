#include "kernels/avx512/bn254_ifma.hpp"

// GCC 12's AVX-512 headers self-initialize their "undefined" vectors (__Y = __Y), which
// -Wuninitialized reports in every function that inlines them.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <array>
#include <type_traits>
#include <cstdlib>
#include <cstring>

#include "kernels/avx512/target_avx512.hpp"
#include "prover/common/cpu_features.hpp"

namespace efaas::ifma {

using bn254::Fq;
using bn254::Limbs;

static_assert(sizeof(Fq) == 32, "Fq arrays are read as four 64-bit limbs per element");
static_assert(sizeof(bn254::Fq2) == 64, "Fq2 arrays are read as eight 64-bit limbs per element");

bool bn254_supported() { return cpu_features().avx512f && cpu_features().avx512ifma; }

bool bn254_usable() {
  static const bool usable = [] {
    const char* off = std::getenv("EFAAS_DISABLE_IFMA");
    if (off != nullptr && std::strcmp(off, "1") == 0) return false;
    return bn254_supported();
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

// The modulus p, 2p (< 2^255: no carry out) and -p^-1 mod 2^52 (the low bits of the 64-bit
// Montgomery constant) of Fq or Fr in radix 2^52. Both moduli are below 2^254, which the
// product's bound below needs.
template <typename Field>
struct Mod {
  static constexpr R52 kP = to_r52(Field::kModulus);
  static constexpr R52 k2P = to_r52(twice(Field::kModulus));
  static constexpr uint64_t kPinv52 = Field::kInv & kMask52;
};
using FqMod = Mod<Fq>;
using FrMod = Mod<bn254::Fr>;

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
template <typename M = FqMod>
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
  const V pinv = bc(M::kPinv52);
  const V p[5] = {bc(M::kP[0]), bc(M::kP[1]), bc(M::kP[2]), bc(M::kP[3]), bc(M::kP[4])};
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
template <typename M = FqMod>
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
    V x = _mm512_add_epi64(_mm512_mask_add_epi64(d.l[i], neg, d.l[i], bc(M::k2P[i])), c);
    c = _mm512_srli_epi64(x, 52);
    d.l[i] = _mm512_and_si512(x, mask);
  }
  d.l[4] = _mm512_add_epi64(_mm512_mask_add_epi64(d.l[4], neg, d.l[4], bc(M::k2P[4])), c);
  return d;
}

// Values < 2p to [0, p).
template <typename M = FqMod>
inline F5 canonical(const F5& a) {
  const V mask = bc(kMask52);
  F5 d;
  V c = _mm512_setzero_si512();
  for (int i = 0; i < 4; ++i) {
    V x = _mm512_add_epi64(_mm512_sub_epi64(a.l[i], bc(M::kP[i])), c);
    c = _mm512_srai_epi64(x, 52);
    d.l[i] = _mm512_and_si512(x, mask);
  }
  d.l[4] = _mm512_add_epi64(_mm512_sub_epi64(a.l[4], bc(M::kP[4])), c);
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

// a + b for values < 2p, result in [0, 2p): carry chain, then 2p subtracted where >= 2p.
template <typename M = FqMod>
inline F5 add(const F5& a, const F5& b) {
  const V mask = bc(kMask52);
  F5 s;
  V c = _mm512_setzero_si512();
  for (int i = 0; i < 4; ++i) {
    V x = _mm512_add_epi64(_mm512_add_epi64(a.l[i], b.l[i]), c);
    c = _mm512_srli_epi64(x, 52);
    s.l[i] = _mm512_and_si512(x, mask);
  }
  s.l[4] = _mm512_add_epi64(_mm512_add_epi64(a.l[4], b.l[4]), c);
  F5 d;
  c = _mm512_setzero_si512();
  for (int i = 0; i < 4; ++i) {
    V x = _mm512_add_epi64(_mm512_sub_epi64(s.l[i], bc(M::k2P[i])), c);
    c = _mm512_srai_epi64(x, 52);
    d.l[i] = _mm512_and_si512(x, mask);
  }
  d.l[4] = _mm512_add_epi64(_mm512_sub_epi64(s.l[4], bc(M::k2P[4])), c);
  const __mmask8 keep = _mm512_cmplt_epi64_mask(d.l[4], _mm512_setzero_si512());
  for (int i = 0; i < 5; ++i) d.l[i] = _mm512_mask_mov_epi64(d.l[i], keep, s.l[i]);
  return d;
}

// The element at word offset `off` of records 2^log_words 64-bit words long, for the
// record indices in vk (lanes outside `live` take `fill`).
inline F5 gather5(const uint64_t* base, V vk, __mmask8 live, const V fill[4], int log_words,
                  int off) {
  const V vw = _mm512_slli_epi64(vk, unsigned(log_words));
  V a[4];
  for (int l = 0; l < 4; ++l) {
    a[l] = _mm512_mask_i64gather_epi64(fill[l], live, _mm512_add_epi64(vw, bc(uint64_t(off + l))),
                                       base, 8);
  }
  return from_u64(a);
}
inline void scatter5(uint64_t* base, V vk, __mmask8 live, const F5& x, int log_words, int off) {
  V a[4];
  to_u64(canonical(x), a);
  const V vw = _mm512_slli_epi64(vk, unsigned(log_words));
  for (int l = 0; l < 4; ++l) {
    _mm512_mask_i64scatter_epi64(base, live, _mm512_add_epi64(vw, bc(uint64_t(off + l))), a[l],
                                 8);
  }
}

// The field operations the batch-affine kernel needs, for Fq and for Fq2 = Fq[u]/(u^2 + 1).
struct FqOps {
  using Scalar = Fq;
  using E = F5;
  static constexpr int kBlocks = 5;  // vectors per element
  static E mul(const E& a, const E& b) { return ifma::mul(a, b); }
  static E sqr(const E& a) { return ifma::mul(a, a); }
  static E sub(const E& a, const E& b) { return ifma::sub(a, b); }
  static E constant(const Fq& c) { return broadcast(to_r52(c.v)); }
  static E gather(const Scalar* base, V vk, __mmask8 live, const Scalar& fill) {
    V f[4];
    for (int l = 0; l < 4; ++l) f[l] = bc(fill.v[l]);
    return gather5(reinterpret_cast<const uint64_t*>(base), vk, live, f, 2, 0);
  }
  static void scatter(Scalar* base, V vk, __mmask8 live, const E& x) {
    scatter5(reinterpret_cast<uint64_t*>(base), vk, live, x, 2, 0);
  }
  static void store(V* p, const E& x) {
    for (int i = 0; i < 5; ++i) _mm512_store_si512(p + i, x.l[i]);
  }
  static E load(const V* p) {
    E x;
    for (int i = 0; i < 5; ++i) x.l[i] = _mm512_load_si512(p + i);
    return x;
  }
};

struct Fq2Ops {
  using Scalar = bn254::Fq2;
  struct E {
    F5 c0, c1;
  };
  static constexpr int kBlocks = 10;
  // Schoolbook (4 products): Karatsuba's sums would leave the < 2p range the product needs.
  static E mul(const E& a, const E& b) {
    return {ifma::sub(ifma::mul(a.c0, b.c0), ifma::mul(a.c1, b.c1)),
            ifma::add(ifma::mul(a.c0, b.c1), ifma::mul(a.c1, b.c0))};
  }
  // (c0 + c1)(c0 - c1) + 2 c0 c1 u
  static E sqr(const E& a) {
    const F5 t = ifma::mul(a.c0, a.c1);
    return {ifma::mul(ifma::add(a.c0, a.c1), ifma::sub(a.c0, a.c1)), ifma::add(t, t)};
  }
  static E sub(const E& a, const E& b) { return {ifma::sub(a.c0, b.c0), ifma::sub(a.c1, b.c1)}; }
  static E constant(const Scalar& c) {
    return {broadcast(to_r52(c.c0.v)), broadcast(to_r52(c.c1.v))};
  }
  static E gather(const Scalar* base, V vk, __mmask8 live, const Scalar& fill) {
    V f0[4], f1[4];
    for (int l = 0; l < 4; ++l) {
      f0[l] = bc(fill.c0.v[l]);
      f1[l] = bc(fill.c1.v[l]);
    }
    const uint64_t* w = reinterpret_cast<const uint64_t*>(base);
    return {gather5(w, vk, live, f0, 3, 0), gather5(w, vk, live, f1, 3, 4)};
  }
  static void scatter(Scalar* base, V vk, __mmask8 live, const E& x) {
    uint64_t* w = reinterpret_cast<uint64_t*>(base);
    scatter5(w, vk, live, x.c0, 3, 0);
    scatter5(w, vk, live, x.c1, 3, 4);
  }
  static void store(V* p, const E& x) {
    FqOps::store(p, x.c0);
    FqOps::store(p + 5, x.c1);
  }
  static E load(const V* p) { return {FqOps::load(p), FqOps::load(p + 5)}; }
};

inline V iota() { return _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0); }
inline __mmask8 live_lanes(size_t n, size_t first) {
  return n - first >= 8 ? __mmask8(0xff) : __mmask8((1u << (n - first)) - 1);
}

template <typename Ops>
void mul_arrays_impl(const typename Ops::Scalar* a, const typename Ops::Scalar* b,
                     typename Ops::Scalar* out, size_t n) {
  const typename Ops::Scalar zero{};
  for (size_t g = 0; g < n; g += 8) {
    const __mmask8 live = live_lanes(n, g);
    const V vk = _mm512_add_epi64(bc(g), iota());
    Ops::scatter(out, vk, live, Ops::mul(Ops::gather(a, vk, live, zero), Ops::gather(b, vk, live, zero)));
  }
}

template <typename Ops>
void forward_impl(const typename Ops::Scalar* den, size_t n, V* den_blocks, V* prefix_blocks,
                  typename Ops::Scalar lanes[8]) {
  using E = typename Ops::E;
  const auto one_scalar = Ops::Scalar::one();
  E acc = Ops::constant(one_scalar);
  for (size_t g = 0; g < n; g += 8) {
    const V vk = _mm512_add_epi64(bc(g), iota());
    // Padding lanes multiply by one.
    const E d = Ops::gather(den, vk, live_lanes(n, g), one_scalar);
    Ops::store(prefix_blocks + (g / 8) * Ops::kBlocks, acc);
    Ops::store(den_blocks + (g / 8) * Ops::kBlocks, d);
    acc = Ops::mul(acc, d);
  }
  Ops::scatter(lanes, iota(), 0xff, acc);
}

template <typename Ops>
void backward_impl(typename Ops::Scalar* bx, typename Ops::Scalar* by, const uint32_t* idx,
                   const typename Ops::Scalar* px, const typename Ops::Scalar* py, size_t n,
                   const V* den_blocks, const V* prefix_blocks,
                   const typename Ops::Scalar lanes[8]) {
  using E = typename Ops::E;
  const typename Ops::Scalar zero{};
  E inv = Ops::gather(lanes, iota(), 0xff, zero);
  const size_t groups = (n + 7) / 8;
  for (size_t g = groups; g-- > 0;) {
    const size_t first = g * 8;
    const __mmask8 live = live_lanes(n, first);
    const E d = Ops::load(den_blocks + g * Ops::kBlocks);
    const E pre = Ops::load(prefix_blocks + g * Ops::kBlocks);
    const E dinv = Ops::mul(inv, pre);
    inv = Ops::mul(inv, d);
    uint32_t ib[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    std::memcpy(ib, idx + first, sizeof(uint32_t) * (n - first < 8 ? n - first : 8));
    const V vb = _mm512_cvtepu32_epi64(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(ib)));
    const V vk = _mm512_add_epi64(bc(first), iota());
    const E x1 = Ops::gather(bx, vb, live, zero), y1 = Ops::gather(by, vb, live, zero);
    const E x2 = Ops::gather(px, vk, live, zero), y2 = Ops::gather(py, vk, live, zero);
    const E lambda = Ops::mul(Ops::sub(y2, y1), dinv);
    const E x3 = Ops::sub(Ops::sub(Ops::sqr(lambda), x1), x2);
    const E y3 = Ops::sub(Ops::mul(lambda, Ops::sub(x1, x3)), y1);
    Ops::scatter(bx, vb, live, x3);
    Ops::scatter(by, vb, live, y3);
  }
}

// Fr in planes: limb l of element i at planes[l * stride + i].
void fr_to_planes_impl(const bn254::Fr* x, size_t count, uint64_t* planes, size_t stride) {
  const uint64_t* w = reinterpret_cast<const uint64_t*>(x);
  for (size_t i = 0; i < count; i += 8) {
    const V vk4 = _mm512_slli_epi64(_mm512_add_epi64(bc(i), iota()), 2);
    V a[4];
    for (int l = 0; l < 4; ++l) {
      a[l] = _mm512_i64gather_epi64(_mm512_add_epi64(vk4, bc(uint64_t(l))), w, 8);
    }
    const F5 r = from_u64(a);
    for (int l = 0; l < 5; ++l) _mm512_storeu_si512(planes + l * stride + i, r.l[l]);
  }
}

void fr_from_planes_impl(const uint64_t* planes, size_t stride, size_t count, bn254::Fr* x) {
  uint64_t* w = reinterpret_cast<uint64_t*>(x);
  for (size_t i = 0; i < count; i += 8) {
    F5 r;
    for (int l = 0; l < 5; ++l) r.l[l] = _mm512_loadu_si512(planes + l * stride + i);
    V a[4];
    to_u64(canonical<FrMod>(r), a);
    const V vk4 = _mm512_slli_epi64(_mm512_add_epi64(bc(i), iota()), 2);
    for (int l = 0; l < 4; ++l) {
      _mm512_i64scatter_epi64(w, _mm512_add_epi64(vk4, bc(uint64_t(l))), a[l], 8);
    }
  }
}

void fr_butterflies_impl(uint64_t* planes, size_t stride, size_t s, size_t h, size_t j0,
                         size_t count, const uint64_t* tw, size_t tw_stride) {
  for (size_t j = j0; j < j0 + count; j += 8) {
    F5 u, v, t;
    for (int l = 0; l < 5; ++l) {
      u.l[l] = _mm512_loadu_si512(planes + l * stride + s + j);
      v.l[l] = _mm512_loadu_si512(planes + l * stride + s + j + h);
      t.l[l] = _mm512_loadu_si512(tw + l * tw_stride + h + j);
    }
    v = mul<FrMod>(v, t);
    const F5 a = add<FrMod>(u, v), b = sub<FrMod>(u, v);
    for (int l = 0; l < 5; ++l) {
      _mm512_storeu_si512(planes + l * stride + s + j, a.l[l]);
      _mm512_storeu_si512(planes + l * stride + s + j + h, b.l[l]);
    }
  }
}

}  // namespace
EFAAS_IFMA_END

void fr_to_planes(const bn254::Fr* x, size_t count, uint64_t* planes, size_t stride) {
  fr_to_planes_impl(x, count, planes, stride);
}
void fr_from_planes(const uint64_t* planes, size_t stride, size_t count, bn254::Fr* x) {
  fr_from_planes_impl(planes, stride, count, x);
}
void fr_butterflies(uint64_t* planes, size_t stride, size_t s, size_t h, size_t j0,
                    size_t count, const uint64_t* tw, size_t tw_stride) {
  fr_butterflies_impl(planes, stride, s, h, j0, count, tw, tw_stride);
}

void fq_mul_arrays(const Fq* a, const Fq* b, Fq* out, size_t n) {
  mul_arrays_impl<FqOps>(a, b, out, n);
}
void fq2_mul_arrays(const bn254::Fq2* a, const bn254::Fq2* b, bn254::Fq2* out, size_t n) {
  mul_arrays_impl<Fq2Ops>(a, b, out, n);
}

namespace {
template <typename F>
constexpr size_t kBlocksPerElement = std::is_same_v<F, Fq> ? 5 : 10;
}

template <typename F>
BatchAffine<F>::BatchAffine(size_t max_batch)
    : max_batch_(max_batch),
      den_(kBlocksPerElement<F> * ((max_batch + 7) / 8)),
      prefix_(kBlocksPerElement<F> * ((max_batch + 7) / 8)) {}

template <typename F>
void BatchAffine<F>::forward(const F* den, size_t n, F lanes[8]) {
  if (n > max_batch_) std::abort();  // a caller bug: the scratch holds max_batch elements
  using Ops = std::conditional_t<std::is_same_v<F, Fq>, FqOps, Fq2Ops>;
  forward_impl<Ops>(den, n, reinterpret_cast<V*>(den_.data()), reinterpret_cast<V*>(prefix_.data()),
                    lanes);
}

template <typename F>
void BatchAffine<F>::backward(F* bx, F* by, const uint32_t* idx, const F* px, const F* py,
                              size_t n, const F lanes[8]) {
  if (n > max_batch_) std::abort();
  using Ops = std::conditional_t<std::is_same_v<F, Fq>, FqOps, Fq2Ops>;
  backward_impl<Ops>(bx, by, idx, px, py, n, reinterpret_cast<const V*>(den_.data()),
                     reinterpret_cast<const V*>(prefix_.data()), lanes);
}

template class BatchAffine<Fq>;
template class BatchAffine<bn254::Fq2>;

}  // namespace efaas::ifma
