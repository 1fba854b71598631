#pragma once
// The Pippenger kernel behind msm.hpp: bucket representations, signed digits, windows.
// Instantiated for G1 and G2 in msm_kernel.cpp; only msm.cpp calls it, after validation.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "kernels/avx512/bn254_ifma.hpp"
#include "prover/common/thread_pool.hpp"
#include "prover/ec/curve.hpp"

namespace efaas::msm::kernel {

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

// Batch-affine bucket accumulation: buckets stay affine and each batch of additions shares one
// field inversion (Montgomery's trick), about 6 products per addition against 10 for an XYZZ
// mixed addition. A point whose bucket already has an addition pending waits in a retry queue
// for the next batch; when that queue is full (skewed digits, many equal scalars), and for
// doublings and cancellations, the point goes to the bucket's XYZZ overflow accumulator, so
// every input stays correct and no slower than plain XYZZ.
template <typename F>
class BatchAffineWindow {
 public:
  // ifma: the G1 additions go through the AVX-512 IFMA kernel (caller checked bn254_usable()).
  BatchAffineWindow(size_t buckets, size_t batch, bool ifma = false)
      : x_(buckets), y_(buckets), full_(buckets, 0), stamp_(buckets, 0),
        overflow_(buckets, Xyzz<F>::identity()), idx_(batch), px_(batch), py_(batch),
        den_(batch), prefix_(batch), batch_(batch), retry_cap_(batch / 2) {
    retry_.reserve(retry_cap_);
    retry_work_.reserve(retry_cap_);
    if constexpr (std::is_same_v<F, Fq>) {
      if (ifma) ifma_ = std::make_unique<ifma::BatchAffineFq>(batch);
    }
  }

  Xyzz<F> run(const Affine<F>* points, const int16_t* digits, size_t n) {
    std::fill(full_.begin(), full_.end(), 0);
    std::fill(overflow_.begin(), overflow_.end(), Xyzz<F>::identity());
    epoch_ = 1;
    std::fill(stamp_.begin(), stamp_.end(), 0);
    pending_ = 0;
    constexpr size_t kAhead = 8;  // prefetch distance: large windows' buckets live in L3
    for (size_t i = 0; i < n; ++i) {
      if (i + kAhead < n) {
        int da = digits[i + kAhead];
        size_t ba = size_t(da < 0 ? -da : da);
        if (ba != 0) {
          __builtin_prefetch(&x_[ba - 1]);
          __builtin_prefetch(&y_[ba - 1]);
          __builtin_prefetch(&stamp_[ba - 1]);
        }
      }
      int d = digits[i];
      if (d == 0 || points[i].infinity) continue;
      if (d > 0) {
        add(size_t(d - 1), points[i].x, points[i].y);
      } else {
        add(size_t(-d - 1), points[i].x, -points[i].y);
      }
    }
    flush();
    drain_retries();
    flush();
    for (const Retry& r : retry_) overflow_[r.bucket].add_affine(r.x, r.y);
    retry_.clear();
    Xyzz<F> running = Xyzz<F>::identity(), total = Xyzz<F>::identity();
    for (size_t k = x_.size(); k-- > 0;) {
      if (full_[k]) running.add_affine(x_[k], y_[k]);
      running.add(overflow_[k]);
      total.add(running);
    }
    return total;
  }

 private:
  void add(size_t b, const F& px, const F& py) {
    if (!full_[b]) {
      x_[b] = px;
      y_[b] = py;
      full_[b] = 1;
      return;
    }
    if (stamp_[b] == epoch_) {  // an addition to this bucket is pending: next batch
      if (retry_.size() < retry_cap_) {
        retry_.push_back({uint32_t(b), px, py});
      } else {
        overflow_[b].add_affine(px, py);
      }
      return;
    }
    if (x_[b] == px) {  // P = +-bucket: doubling or cancellation, on the XYZZ side
      overflow_[b].add_affine(px, py);
      return;
    }
    stamp_[b] = epoch_;
    idx_[pending_] = uint32_t(b);
    px_[pending_] = px;
    py_[pending_] = py;
    den_[pending_] = px - x_[b];
    if (++pending_ == batch_) {
      flush();
      drain_retries();
    }
  }

  // Re-adds the queued points after a flush. The queue holds fewer than a batch, so this
  // cannot fill the batch again; points that conflict again wait for the next flush.
  void drain_retries() {
    retry_work_.swap(retry_);
    retry_.clear();
    for (const Retry& r : retry_work_) add(r.bucket, r.x, r.y);
    retry_work_.clear();
  }

  // The batch inversion runs as four interleaved product chains: one chain would wait on the
  // latency of every product, four keep the multiplier busy.
  void flush() {
    if (pending_ == 0) return;
    if constexpr (std::is_same_v<F, Fq>) {
      if (ifma_) {
        // Eight lanes of prefix products on the vector unit; their eight inverses here.
        Fq lanes[8], scratch[8];
        ifma_->forward(den_.data(), pending_, lanes);
        batch_inverse(lanes, 8, scratch);
        ifma_->backward(x_.data(), y_.data(), idx_.data(), px_.data(), py_.data(), pending_,
                        lanes);
        pending_ = 0;
        ++epoch_;
        return;
      }
    }
    F acc[4] = {F::one(), F::one(), F::one(), F::one()};
    for (size_t k = 0; k < pending_; ++k) {
      prefix_[k] = acc[k & 3];
      acc[k & 3] *= den_[k];
    }
    const F p01 = acc[0] * acc[1], p23 = acc[2] * acc[3];
    const F all_inv = (p01 * p23).inverse();
    const F i01 = all_inv * p23, i23 = all_inv * p01;
    F inv[4] = {i01 * acc[1], i01 * acc[0], i23 * acc[3], i23 * acc[2]};
    for (size_t k = pending_; k-- > 0;) {
      F dinv = inv[k & 3] * prefix_[k];
      inv[k & 3] *= den_[k];
      const size_t b = idx_[k];
      F lambda = (py_[k] - y_[b]) * dinv;
      F x3 = lambda.square() - x_[b] - px_[k];
      y_[b] = lambda * (x_[b] - x3) - y_[b];
      x_[b] = x3;
    }
    pending_ = 0;
    ++epoch_;
  }

  std::vector<F> x_, y_;
  std::vector<uint8_t> full_;
  std::vector<uint32_t> stamp_;
  std::vector<Xyzz<F>> overflow_;
  std::vector<uint32_t> idx_;
  std::vector<F> px_, py_, den_, prefix_;
  struct Retry {
    uint32_t bucket;
    F x, y;
  };
  std::vector<Retry> retry_, retry_work_;
  size_t batch_, retry_cap_, pending_ = 0;
  uint32_t epoch_ = 1;
  std::unique_ptr<ifma::BatchAffineFq> ifma_;
};

// Batch-affine pays off once buckets outnumber a useful batch.
inline constexpr uint32_t kMinBatchAffineBits = 10;

template <typename F>
Jacobian<F> pippenger(const Affine<F>* points, const Limbs* scalars, size_t n, uint32_t c,
                      ThreadPool& pool, bool ifma = false) {
  const uint32_t windows = (256 + c - 1) / c;  // top window keeps <= c-2 bits: no carry out
  std::vector<int16_t> digits(size_t(windows) * n);
  compute_digits(scalars, n, c, windows, digits.data(), pool);
  std::vector<Xyzz<F>> sums(windows, Xyzz<F>::identity());
  const size_t nb = size_t(1) << (c - 1);
  pool.parallel_for(windows, 1, [&](size_t b, size_t e) {
    if (c >= kMinBatchAffineBits) {
      // Half as many pending additions as buckets keeps conflicts (which fall back to XYZZ)
      // rare while the shared inversion is spread over enough additions.
      BatchAffineWindow<F> ba(nb, std::min<size_t>(nb / 2, 1024), ifma);
      for (size_t w = b; w < e; ++w) sums[w] = ba.run(points, digits.data() + w * n, n);
      return;
    }
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

// ifma: bucket additions on AVX-512 IFMA (only after ifma::bn254_usable()).
Jacobian<Fq> pippenger_g1(const Affine<Fq>* points, const Limbs* scalars, size_t n, uint32_t c,
                          ThreadPool& pool, bool ifma);
Jacobian<Fq2> pippenger_g2(const Affine<Fq2>* points, const Limbs* scalars, size_t n,
                           uint32_t c, ThreadPool& pool);

}  // namespace efaas::msm::kernel
