#pragma once
// BabyBear, p = 2^31 - 2^27 + 1 = 15 * 2^27 + 1, in Montgomery form (R = 2^32).
// Two-adicity 27: multiplicative subgroups of every size 2^k, k <= 27.
#include <cstdint>
#include <string>

namespace efaas {

class Fp {
 public:
  static constexpr uint32_t kP = 0x78000001u;
  static constexpr uint32_t kTwoAdicity = 27;
  // p^-1 mod 2^32 (for reduction t = (x - (x_lo * kMu mod 2^32) * p) / 2^32).
  static constexpr uint32_t kMu = 0x88000001u;
  // R^2 mod p, to enter Montgomery form.
  static constexpr uint32_t kR2 = 0x45dddde3u;
  // A generator of the multiplicative group (as Plonky3 and RISC Zero use).
  static constexpr uint32_t kGenerator = 31;

  constexpr Fp() = default;
  // Reduces any 32-bit integer mod p.
  static constexpr Fp from_u32(uint32_t x) { return from_montgomery(mont_mul_raw(x % kP, kR2)); }
  static constexpr Fp from_u64(uint64_t x) { return from_u32(uint32_t(x % kP)); }
  // `x` must already be < p (checked by deserialization; see field_io.hpp).
  static constexpr Fp from_canonical(uint32_t x) { return from_montgomery(mont_mul_raw(x, kR2)); }
  static constexpr Fp from_montgomery(uint32_t m) {
    Fp f;
    f.v_ = m;
    return f;
  }
  static constexpr Fp zero() { return Fp(); }
  static constexpr Fp one() { return from_canonical(1); }

  constexpr uint32_t to_canonical() const { return mont_reduce(v_); }
  constexpr uint32_t montgomery() const { return v_; }
  constexpr bool is_zero() const { return v_ == 0; }

  constexpr Fp operator+(Fp o) const {
    uint32_t s = v_ + o.v_;  // < 2p < 2^32
    return from_montgomery(s >= kP ? s - kP : s);
  }
  constexpr Fp operator-(Fp o) const {
    uint32_t d = v_ - o.v_;
    return from_montgomery(v_ < o.v_ ? d + kP : d);
  }
  constexpr Fp operator-() const { return from_montgomery(v_ == 0 ? 0 : kP - v_); }
  constexpr Fp operator*(Fp o) const { return from_montgomery(mont_mul_raw(v_, o.v_)); }
  constexpr Fp& operator+=(Fp o) { return *this = *this + o; }
  constexpr Fp& operator-=(Fp o) { return *this = *this - o; }
  constexpr Fp& operator*=(Fp o) { return *this = *this * o; }
  constexpr bool operator==(const Fp&) const = default;

  constexpr Fp square() const { return *this * *this; }
  constexpr Fp pow(uint64_t e) const {
    Fp base = *this, acc = one();
    while (e) {
      if (e & 1) acc *= base;
      base = base.square();
      e >>= 1;
    }
    return acc;
  }
  // Zero has no inverse; inverse() of zero returns zero (callers that care check first).
  constexpr Fp inverse() const { return pow(kP - 2); }

  // A primitive 2^log_n-th root of unity, log_n <= 27.
  static Fp two_adic_generator(uint32_t log_n);

  // Raw Montgomery product: a * b * 2^-32 mod p for a, b < p.
  static constexpr uint32_t mont_mul_raw(uint32_t a, uint32_t b) {
    return mont_reduce(uint64_t(a) * b);
  }
  // Montgomery reduction of any 64-bit x (sums of up to four products of values < p): the
  // high-half difference lies in (-p, 2^32), so at most two more subtractions of p.
  static constexpr uint32_t mont_reduce_wide(uint64_t x) {
    uint32_t q = uint32_t(x) * kMu;
    uint64_t qp = uint64_t(q) * kP;
    int64_t r = int64_t(x >> 32) - int64_t(qp >> 32);
    if (r < 0) r += kP;
    if (r >= int64_t(kP)) r -= kP;
    if (r >= int64_t(kP)) r -= kP;
    return uint32_t(r);
  }
  static constexpr uint32_t mont_reduce(uint64_t x) {
    uint32_t q = uint32_t(x) * kMu;
    uint64_t qp = uint64_t(q) * kP;
    // x - qp is divisible by 2^32; the high halves differ by less than p.
    uint32_t hi = uint32_t(x >> 32), qp_hi = uint32_t(qp >> 32);
    uint32_t r = hi - qp_hi;
    return hi < qp_hi ? r + kP : r;
  }

 private:
  uint32_t v_ = 0;
};

static_assert(uint32_t(Fp::kP * Fp::kMu) == 1u, "kMu must be p^-1 mod 2^32");
static_assert(Fp::from_canonical(1).to_canonical() == 1);
static_assert((Fp::from_canonical(Fp::kP - 1) * Fp::from_canonical(Fp::kP - 1)).to_canonical() == 1);

std::string to_string(Fp x);

}  // namespace efaas
