#pragma once
// The Pippenger kernel, a header so that it can be compiled twice: once for the baseline
// x86-64 target (msm_kernel_generic.cpp) and once with -mbmi2 -madx (msm_kernel_bmi2.cpp), each
// inside its own namespace (EFAAS_MSM_NS). Only msm.cpp calls it, after the CPU check.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "prover/common/thread_pool.hpp"
#include "prover/ec/curve.hpp"

namespace efaas::msm::EFAAS_MSM_NS {

using namespace efaas::bn254;

// Extended Jacobian "XYZZ" coordinates: x = X/ZZ, y = Y/ZZZ, ZZ^3 = ZZZ^2; ZZ = 0 is infinity.
// Mixed addition costs 8M+2S against 7M+4S in plain Jacobian.
template <typename F>
struct Xyzz {
  F x, y, zz, zzz;

  bool is_identity() const { return zz.is_zero(); }

  // mdbl-2008-s-1 of an affine point (x, y).
  static Xyzz dbl_affine(const F& x, const F& y) {
    F u = y.dbl(), v = u.square(), w = u * v, s = x * v;
    F x2 = x.square();
    F m = x2.dbl() + x2;
    Xyzz r;
    r.x = m.square() - s.dbl();
    r.y = m * (s - r.x) - w * y;
    r.zz = v;
    r.zzz = w;
    return r;
  }

  Xyzz dbl() const {
    if (is_identity()) return *this;
    // dbl-2008-s-1 (a = 0)
    F u = y.dbl(), v = u.square(), w = u * v, s = x * v;
    F x2 = x.square();
    F m = x2.dbl() + x2;
    Xyzz r;
    r.x = m.square() - s.dbl();
    r.y = m * (s - r.x) - w * y;
    r.zz = v * zz;
    r.zzz = w * zzz;
    return r;
  }

  // this += (qx, qy) (madd-2008-s); qy already negated for negative digits.
  void add_affine(const F& qx, const F& qy) {
    if (is_identity()) {
      x = qx;
      y = qy;
      zz = F::one();
      zzz = F::one();
      return;
    }
    F u2 = qx * zz, s2 = qy * zzz;
    F p = u2 - x, r = s2 - y;
    if (p.is_zero()) {
      if (r.is_zero()) {
        *this = dbl_affine(qx, qy);
      } else {
        zz = F::zero();
        zzz = F::zero();
      }
      return;
    }
    F pp = p.square(), ppp = p * pp, q = x * pp;
    F x3 = r.square() - ppp - q.dbl();
    y = r * (q - x3) - y * ppp;
    x = x3;
    zz = zz * pp;
    zzz = zzz * ppp;
  }

  // this += o (add-2008-s).
  void add(const Xyzz& o) {
    if (o.is_identity()) return;
    if (is_identity()) {
      *this = o;
      return;
    }
    F u1 = x * o.zz, u2 = o.x * zz, s1 = y * o.zzz, s2 = o.y * zzz;
    F p = u2 - u1, r = s2 - s1;
    if (p.is_zero()) {
      if (r.is_zero()) {
        *this = dbl();
      } else {
        zz = F::zero();
        zzz = F::zero();
      }
      return;
    }
    F pp = p.square(), ppp = p * pp, q = u1 * pp;
    F x3 = r.square() - ppp - q.dbl();
    y = r * (q - x3) - s1 * ppp;
    x = x3;
    zz = zz * o.zz * pp;
    zzz = zzz * o.zzz * ppp;
  }

  static Xyzz identity() { return {F::one(), F::one(), F::zero(), F::zero()}; }

  Jacobian<F> to_jacobian() const {
    if (is_identity()) return Jacobian<F>::identity();
    // Z = ZZ * ZZZ: X_j = X ZZ ZZZ^2, Y_j = Y ZZ^3 ZZZ^2.
    F zzz2 = zzz.square();
    return {x * zz * zzz2, y * zz.square() * zz * zzz2, zz * zzz};
  }
};

// Signed base-2^c digits of every scalar, window-major: digits[w * n + i].
inline void compute_digits(const Limbs* scalars, size_t n, uint32_t c, uint32_t windows,
                           int16_t* digits, ThreadPool& pool) {
  const uint64_t mask = (uint64_t(1) << c) - 1;
  const int64_t half = int64_t(1) << (c - 1);
  pool.parallel_for(n, 4096, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      const Limbs& k = scalars[i];
      int64_t carry = 0;
      for (uint32_t w = 0; w < windows; ++w) {
        uint32_t bit = w * c;
        uint64_t raw = 0;
        if (bit < 256) {
          uint32_t limb = bit / 64, off = bit % 64;
          raw = k[limb] >> off;
          if (off + c > 64 && limb + 1 < 4) raw |= k[limb + 1] << (64 - off);
          raw &= mask;
        }
        int64_t d = int64_t(raw) + carry;
        carry = d >= half ? 1 : 0;
        d -= carry << c;
        digits[size_t(w) * n + i] = int16_t(d);
      }
    }
  });
}

// Sum over one window: buckets, then the running-sum reduction sum_k k * B_k.
template <typename F>
Xyzz<F> window_sum(const Affine<F>* points, const int16_t* digits, size_t n, uint32_t c,
                   std::vector<Xyzz<F>>& buckets) {
  const size_t nb = size_t(1) << (c - 1);
  buckets.assign(nb, Xyzz<F>::identity());
  for (size_t i = 0; i < n; ++i) {
    int d = digits[i];
    if (d == 0 || points[i].infinity) continue;
    if (d > 0) {
      buckets[d - 1].add_affine(points[i].x, points[i].y);
    } else {
      buckets[-d - 1].add_affine(points[i].x, -points[i].y);
    }
  }
  Xyzz<F> running = Xyzz<F>::identity(), total = Xyzz<F>::identity();
  for (size_t k = nb; k-- > 0;) {
    running.add(buckets[k]);
    total.add(running);
  }
  return total;
}

template <typename F>
Jacobian<F> pippenger(const Affine<F>* points, const Limbs* scalars, size_t n, uint32_t c,
                      ThreadPool& pool) {
  const uint32_t windows = (256 + c - 1) / c;  // top window keeps <= c-2 bits: no carry out
  std::vector<int16_t> digits(size_t(windows) * n);
  compute_digits(scalars, n, c, windows, digits.data(), pool);
  std::vector<Xyzz<F>> sums(windows, Xyzz<F>::identity());
  pool.parallel_for(windows, 1, [&](size_t b, size_t e) {
    std::vector<Xyzz<F>> buckets;
    for (size_t w = b; w < e; ++w) {
      sums[w] = window_sum(points, digits.data() + w * n, n, c, buckets);
    }
  });
  Xyzz<F> acc = Xyzz<F>::identity();
  for (size_t w = windows; w-- > 0;) {
    for (uint32_t i = 0; i < c; ++i) acc = acc.dbl();
    acc.add(sums[w]);
  }
  return acc.to_jacobian();
}

Jacobian<Fq> pippenger_g1(const Affine<Fq>* points, const Limbs* scalars, size_t n, uint32_t c,
                          ThreadPool& pool);
Jacobian<Fq2> pippenger_g2(const Affine<Fq2>* points, const Limbs* scalars, size_t n,
                           uint32_t c, ThreadPool& pool);

}  // namespace efaas::msm::EFAAS_MSM_NS
