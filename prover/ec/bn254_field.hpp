#pragma once
// BN254 base field Fq and scalar field Fr: 4x64-bit limbs in Montgomery form (R = 2^256), the
// same representation snarkjs/ffjavascript store in .zkey files ("LEM"), so points load by copy.
//
// Multiplication is the "no-carry" CIOS variant (both moduli leave the top bit of the top limb
// free). It is plain C++ with unsigned __int128; the MSM inner loops are also compiled in a
// translation unit with -mbmi2 -madx (mulx/adcx/adox) and chosen at run time (prover/msm).
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "prover/common/status.hpp"

namespace efaas::bn254 {

using u128 = unsigned __int128;
using Limbs = std::array<uint64_t, 4>;

namespace detail {

constexpr bool geq(const Limbs& a, const Limbs& b) {
  for (int i = 3; i >= 0; --i) {
    if (a[i] != b[i]) return a[i] > b[i];
  }
  return true;
}

constexpr Limbs sub_nb(const Limbs& a, const Limbs& b) {
  Limbs r{};
  uint64_t borrow = 0;
  for (int i = 0; i < 4; ++i) {
    u128 d = u128(a[i]) - b[i] - borrow;
    r[i] = uint64_t(d);
    borrow = uint64_t(d >> 64) & 1;
  }
  return r;
}

// 2^k mod m for a modulus below 2^255, by doubling.
constexpr Limbs pow2_mod(const Limbs& m, int k) {
  Limbs x{1, 0, 0, 0};
  for (int i = 0; i < k; ++i) {
    uint64_t carry = 0;
    for (int j = 0; j < 4; ++j) {
      uint64_t nc = x[j] >> 63;
      x[j] = (x[j] << 1) | carry;
      carry = nc;
    }
    if (geq(x, m)) x = sub_nb(x, m);
  }
  return x;
}

// -m^-1 mod 2^64 by Newton iteration.
constexpr uint64_t neg_inv64(uint64_t m0) {
  uint64_t inv = 1;
  for (int i = 0; i < 7; ++i) inv *= 2 - m0 * inv;
  return ~inv + 1;
}

// Whether Montgomery products use the MULX/ADCX/ADOX assembly (BMI2 + ADX, checked once via
// cpu_features(); EFAAS_DISABLE_MULX=1 forces the portable code). A well-predicted branch on a
// global costs far less than the products it selects.
bool detect_mulx();

// x^-1 mod m for 0 < x < m, m prime (GMP's extended gcd; variable time, about 20x faster than
// the Fermat power). Used by Fp256::inverse().
Limbs invert_mod(const Limbs& x, const Limbs& m);
inline bool g_mulx = detect_mulx();

#if defined(__x86_64__)
// One CIOS round: t = (t + a * bi + m * p) / 2^64 with m = (t0 + a0 bi) * inv mod 2^64, on two
// carry chains (CF via adcx, OF via adox). Needs BMI2 + ADX: only called when g_mulx is set.
[[gnu::always_inline]] inline void mulx_round(uint64_t t[4], const uint64_t* a, uint64_t bi, const uint64_t* p,
                       uint64_t inv) {
  uint64_t t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3], lo, hi, top, zero;
  __asm__(
      "xorl %k[zero], %k[zero]\n\t"
      "movq %[bi], %%rdx\n\t"
      "mulxq 0(%[a]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[t0]\n\t"
      "adoxq %[hi], %[t1]\n\t"
      "mulxq 8(%[a]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[t1]\n\t"
      "adoxq %[hi], %[t2]\n\t"
      "mulxq 16(%[a]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[t2]\n\t"
      "adoxq %[hi], %[t3]\n\t"
      "mulxq 24(%[a]), %[lo], %[top]\n\t"
      "adcxq %[lo], %[t3]\n\t"
      "adoxq %[zero], %[top]\n\t"
      "adcxq %[zero], %[top]\n\t"
      "movq %[t0], %%rdx\n\t"
      "imulq %[inv], %%rdx\n\t"
      "xorl %k[lo], %k[lo]\n\t"
      "mulxq 0(%[p]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[t0]\n\t"
      "adoxq %[hi], %[t1]\n\t"
      "mulxq 8(%[p]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[t1]\n\t"
      "adoxq %[hi], %[t2]\n\t"
      "mulxq 16(%[p]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[t2]\n\t"
      "adoxq %[hi], %[t3]\n\t"
      "mulxq 24(%[p]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[t3]\n\t"
      "adoxq %[hi], %[top]\n\t"
      "adcxq %[zero], %[top]\n\t"
      : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3), [lo] "=&r"(lo),
        [hi] "=&r"(hi), [top] "=&r"(top), [zero] "=&r"(zero)
      : [a] "r"(a), [bi] "rm"(bi), [p] "r"(p), [inv] "rm"(inv),
        // The limbs read through the pointers, so the compiler stores them first.
        "m"(*reinterpret_cast<const uint64_t(*)[4]>(a)),
        "m"(*reinterpret_cast<const uint64_t(*)[4]>(p))
      : "rdx", "cc");
  t[0] = t1;
  t[1] = t2;
  t[2] = t3;
  t[3] = top;
}
#endif

}  // namespace detail

// Tests switch between the two multipliers; turning mulx on needs CPU support.
bool mulx_supported();
inline bool mulx_enabled() { return detail::g_mulx; }
inline void set_mulx_enabled(bool on) { detail::g_mulx = on && mulx_supported(); }

struct FqTag {
  static constexpr Limbs kModulus{0x3c208c16d87cfd47ULL, 0x97816a916871ca8dULL,
                                  0xb85045b68181585dULL, 0x30644e72e131a029ULL};
  static constexpr const char* kName = "Fq";
};
struct FrTag {
  static constexpr Limbs kModulus{0x43e1f593f0000001ULL, 0x2833e84879b97091ULL,
                                  0xb85045b68181585dULL, 0x30644e72e131a029ULL};
  static constexpr const char* kName = "Fr";
};

template <typename Tag>
struct Fp256 {
  static constexpr Limbs kModulus = Tag::kModulus;
  static constexpr Limbs kR = detail::pow2_mod(kModulus, 256);
  static constexpr Limbs kR2 = detail::pow2_mod(kModulus, 512);
  static constexpr Limbs kR3 = detail::pow2_mod(kModulus, 768);
  static constexpr uint64_t kInv = detail::neg_inv64(kModulus[0]);

  Limbs v{};  // Montgomery representation a*R mod p, always < p

  static constexpr Fp256 zero() { return Fp256{}; }
  static constexpr Fp256 one() { return from_mont(kR); }
  // Takes the limbs as the Montgomery representation itself (no conversion, no check).
  static constexpr Fp256 from_mont(const Limbs& m) {
    Fp256 r;
    r.v = m;
    return r;
  }
  static Fp256 from_u64(uint64_t x) { return from_canonical_unchecked(Limbs{x, 0, 0, 0}); }
  // x must be < p (checked by the caller, see is_canonical).
  static Fp256 from_canonical_unchecked(const Limbs& x) { return from_mont(x) * from_mont(kR2); }
  static bool is_canonical(const Limbs& x) { return !detail::geq(x, kModulus); }
  // The integer in [0, p).
  Limbs to_canonical() const { return (*this * from_mont(Limbs{1, 0, 0, 0})).v; }

  bool is_zero() const { return (v[0] | v[1] | v[2] | v[3]) == 0; }
  bool operator==(const Fp256& o) const { return v == o.v; }
  bool operator!=(const Fp256& o) const { return v != o.v; }

  [[gnu::always_inline]] Fp256 operator+(const Fp256& b) const {
    Fp256 r;
    uint64_t c = 0;
    for (int i = 0; i < 4; ++i) {
      u128 s = u128(v[i]) + b.v[i] + c;
      r.v[i] = uint64_t(s);
      c = uint64_t(s >> 64);
    }
    // Both < p < 2^254: no carry out of the top limb.
    r.v = reduce_once(r.v);
    return r;
  }
  [[gnu::always_inline]] Fp256 operator-(const Fp256& b) const {
    Fp256 r;
    uint64_t borrow = 0;
    for (int i = 0; i < 4; ++i) {
      u128 d = u128(v[i]) - b.v[i] - borrow;
      r.v[i] = uint64_t(d);
      borrow = uint64_t(d >> 64) & 1;
    }
    const uint64_t mask = 0 - borrow;  // add p back when it borrowed, without a branch
    uint64_t c = 0;
    for (int i = 0; i < 4; ++i) {
      u128 s = u128(r.v[i]) + (kModulus[i] & mask) + c;
      r.v[i] = uint64_t(s);
      c = uint64_t(s >> 64);
    }
    return r;
  }
  Fp256 operator-() const { return is_zero() ? *this : zero() - *this; }
  Fp256 dbl() const { return *this + *this; }

  // Montgomery product a*b*R^-1 (no-carry CIOS: the modulus' top bit is clear).
  [[gnu::always_inline]] Fp256 operator*(const Fp256& b) const {
    uint64_t t[4] = {0, 0, 0, 0};
#if defined(__x86_64__)
    if (detail::g_mulx) {
      for (int i = 0; i < 4; ++i) detail::mulx_round(t, v.data(), b.v[i], kModulus.data(), kInv);
      Fp256 r;
      r.v = reduce_once(Limbs{t[0], t[1], t[2], t[3]});
      return r;
    }
#endif
    return mul_portable(b);
  }

  // The portable product, out of line so the mulx path stays small where it is inlined.
  [[gnu::noinline]] Fp256 mul_portable(const Fp256& b) const {
    uint64_t t[4] = {0, 0, 0, 0};
    for (int i = 0; i < 4; ++i) {
      u128 p = u128(v[0]) * b.v[i] + t[0];
      uint64_t a_carry = uint64_t(p >> 64);
      uint64_t t0 = uint64_t(p);
      uint64_t m = t0 * kInv;
      u128 q = u128(m) * kModulus[0] + t0;
      uint64_t c = uint64_t(q >> 64);
      for (int j = 1; j < 4; ++j) {
        p = u128(v[j]) * b.v[i] + t[j] + a_carry;
        a_carry = uint64_t(p >> 64);
        q = u128(m) * kModulus[j] + uint64_t(p) + c;
        c = uint64_t(q >> 64);
        t[j - 1] = uint64_t(q);
      }
      t[3] = c + a_carry;
    }
    Fp256 r;
    r.v = reduce_once(Limbs{t[0], t[1], t[2], t[3]});
    return r;
  }

  // x - p if x >= p, else x; branch-free (the comparison is data-dependent and mispredicts).
  [[gnu::always_inline]] static Limbs reduce_once(const Limbs& x) {
    Limbs d;
    uint64_t borrow = 0;
    for (int i = 0; i < 4; ++i) {
      u128 t = u128(x[i]) - kModulus[i] - borrow;
      d[i] = uint64_t(t);
      borrow = uint64_t(t >> 64) & 1;
    }
    const uint64_t keep = 0 - borrow;  // all ones when x < p
    Limbs r;
    for (int i = 0; i < 4; ++i) r[i] = (x[i] & keep) | (d[i] & ~keep);
    return r;
  }
  Fp256& operator+=(const Fp256& b) { return *this = *this + b; }
  Fp256& operator-=(const Fp256& b) { return *this = *this - b; }
  Fp256& operator*=(const Fp256& b) { return *this = *this * b; }
  Fp256 square() const { return *this * *this; }

  // this^e for a little-endian exponent.
  Fp256 pow(const Limbs& e) const {
    Fp256 r = one();
    for (int i = 255; i >= 0; --i) {
      r = r.square();
      if ((e[i / 64] >> (i % 64)) & 1) r *= *this;
    }
    return r;
  }
  // 0 for 0 (callers that must not invert zero check first). The Montgomery value aR inverts
  // to (aR)^-1; one product with R^3 gives a^-1 R.
  Fp256 inverse() const {
    if (is_zero()) return zero();
    return from_mont(detail::invert_mod(v, kModulus)) * from_mont(kR3);
  }
  // The same by Fermat (this^(p-2)), the reference for inverse() in tests.
  Fp256 inverse_by_pow() const { return pow(detail::sub_nb(kModulus, Limbs{2, 0, 0, 0})); }
};

using Fq = Fp256<FqTag>;
using Fr = Fp256<FrTag>;

// Fr: two-adicity 28, multiplicative generator 5 (the ffjavascript / arkworks choice).
constexpr uint32_t kFrTwoAdicity = 28;
// A primitive 2^k-th root of unity, k <= 28: 5^((r-1)/2^28) squared 28-k times.
Fr fr_root_of_unity(uint32_t k);

// Decimal I/O through GMP. Parsing rejects empty strings, signs, non-digits and values >= p
// with an INVALID_ARGUMENT naming `what`.
Result<Limbs> parse_decimal_u256(std::string_view s, const std::string& what);
std::string to_decimal(const Limbs& x);
Result<Fq> fq_from_decimal(std::string_view s, const std::string& what);
Result<Fr> fr_from_decimal(std::string_view s, const std::string& what);
inline std::string to_decimal(const Fq& x) { return to_decimal(x.to_canonical()); }
inline std::string to_decimal(const Fr& x) { return to_decimal(x.to_canonical()); }

// Little-endian bytes <-> limbs (32 bytes).
Limbs limbs_from_le_bytes(const uint8_t* p);
void limbs_to_le_bytes(const Limbs& x, uint8_t* out);

// In-place batch inversion (Montgomery's trick); zeros stay zero.
// scratch holds n elements.
template <typename F>
void batch_inverse(F* xs, size_t n, F* scratch) {
  F acc = F::one();
  for (size_t i = 0; i < n; ++i) {
    scratch[i] = acc;
    if (!xs[i].is_zero()) acc *= xs[i];
  }
  F inv = acc.inverse();
  for (size_t i = n; i-- > 0;) {
    if (xs[i].is_zero()) continue;
    F t = inv * scratch[i];
    inv *= xs[i];
    xs[i] = t;
  }
}

}  // namespace efaas::bn254
