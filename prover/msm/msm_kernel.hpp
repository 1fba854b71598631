#pragma once
// The Pippenger kernel behind msm.hpp: bucket representations, signed digits, windows.
// Instantiated for G1 and G2 in msm_kernel.cpp; only msm.cpp calls it, after validation.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
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

// The lowest 64 bits of a coordinate: a cheap first test for equality.
inline uint64_t low_word(const Fq& x) { return x.v[0]; }
inline uint64_t low_word(const Fq2& x) { return x.c0.v[0]; }

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
  // ifma: the additions go through the AVX-512 IFMA kernel (caller checked bn254_usable()).
  BatchAffineWindow(size_t buckets, size_t batch, bool ifma = false)
      : x_(buckets), y_(buckets), full_(buckets, 0), stamp_(buckets, 0),
        overflow_(buckets, Xyzz<F>::identity()), idx_(batch), px_(batch), py_(batch),
        den_(batch), prefix_(batch), batch_(batch), retry_cap_(batch / 2) {
    retry_.reserve(retry_cap_);
    retry_work_.reserve(retry_cap_);
    if (ifma) ifma_ = std::make_unique<ifma::BatchAffine<F>>(batch);
  }

  Xyzz<F> run(const Affine<F>* points, const int16_t* digits, size_t n) {
    // A window with few distinct digits (the top window holds only the scalars' last bits)
    // would put every point on a handful of buckets, where batches conflict and fall back to
    // XYZZ. Such a window spreads over `segs` copies of its buckets instead (point i to copy
    // i mod segs, so that consecutive points, which share a batch, spread over all copies),
    // merged in the reduction.
    size_t m = 0;  // largest |digit|: buckets [0, m) are in use
    for (size_t i = 0; i < n; ++i) m = std::max<size_t>(m, size_t(std::abs(int(digits[i]))));
    if (m == 0) return Xyzz<F>::identity();
    const size_t segs = std::max<size_t>(1, x_.size() / m);
    auto bucket_of = [&](size_t i, int d) {
      return (segs == 1 ? 0 : (i % segs) * m) + size_t(d < 0 ? -d : d) - 1;
    };
    std::fill(full_.begin(), full_.end(), 0);
    std::fill(overflow_.begin(), overflow_.end(), Xyzz<F>::identity());
    epoch_ = 1;
    std::fill(stamp_.begin(), stamp_.end(), 0);
    pending_ = 0;
    constexpr size_t kAhead = 8;  // prefetch distance: large windows' buckets live in L3
    for (size_t i = 0; i < n; ++i) {
      if (i + kAhead < n) {
        int da = digits[i + kAhead];
        if (da != 0) {
          const size_t ba = bucket_of(i + kAhead, da);
          __builtin_prefetch(&x_[ba]);
          __builtin_prefetch(&y_[ba]);
          __builtin_prefetch(&stamp_[ba]);
        }
      }
      int d = digits[i];
      if (d == 0 || points[i].infinity) continue;
      if (d > 0) {
        add(bucket_of(i, d), points[i].x, points[i].y);
      } else {
        add(bucket_of(i, d), points[i].x, -points[i].y);
      }
    }
    flush();
    drain_retries();
    flush();
    for (const Retry& r : retry_) overflow_[r.bucket].add_affine(r.x, r.y);
    retry_.clear();
    return reduce(m, segs);
  }

 private:
  // sum_k (k + 1) B_k over the window's buckets (copies and overflow folded in first). The
  // running-sum reduction is sequential per chain, so the buckets are cut into up to
  // kMaxChains contiguous ranges reduced side by side: every step is one batch of affine
  // additions (running += bucket, then total += running) sharing one inversion, about 2 x 6
  // products per bucket against 10 + 14 for XYZZ. Range s starting at bucket a_s then adds
  // a_s * running_s, which is L * sum_s s * running_s, a short XYZZ running sum.
  Xyzz<F> reduce(size_t m, size_t segs) {
    const size_t used = segs * m;
    fold_overflow(used);
    for (size_t s = 1; s < segs; ++s) {
      add_many(x_.data(), y_.data(), full_.data(), x_.data() + s * m, y_.data() + s * m,
               full_.data() + s * m, 1, m);
    }
    const size_t chains0 = std::min<size_t>({kMaxChains, m, batch_});
    const size_t len = (m + chains0 - 1) / chains0;
    const size_t chains = (m + len - 1) / len;
    rx_.resize(chains);
    ry_.resize(chains);
    tx_.resize(chains);
    ty_.resize(chains);
    rfull_.assign(chains, 0);
    tfull_.assign(chains, 0);
    for (size_t j = len; j-- > 0;) {
      const size_t live = (m - j + len - 1) / len;  // ranges s with s * len + j < m
      add_many(rx_.data(), ry_.data(), rfull_.data(), x_.data() + j, y_.data() + j,
               full_.data() + j, len, live);
      add_many(tx_.data(), ty_.data(), tfull_.data(), rx_.data(), ry_.data(), rfull_.data(), 1,
               chains);
    }
    Xyzz<F> total = Xyzz<F>::identity(), run = Xyzz<F>::identity(), weighted = Xyzz<F>::identity();
    for (size_t s = chains; s-- > 0;) {
      if (tfull_[s]) total.add_affine(tx_[s], ty_[s]);
      if (s == 0) break;
      if (rfull_[s]) run.add_affine(rx_[s], ry_[s]);
      weighted.add(run);
    }
    // weighted * len by double-and-add (len < 2^16).
    Xyzz<F> scaled = Xyzz<F>::identity();
    for (int bit = 63 - __builtin_clzll(uint64_t(len)); bit >= 0; --bit) {
      scaled = scaled.dbl();
      if ((len >> bit) & 1) scaled.add(weighted);
    }
    total.add(scaled);
    return total;
  }

  // Overflow accumulators into their (affine) buckets, with one inversion for all of them.
  void fold_overflow(size_t used) {
    jac_.clear();
    fold_idx_.clear();
    for (size_t b = 0; b < used; ++b) {
      if (overflow_[b].is_identity()) continue;
      Jacobian<F> j = overflow_[b].to_jacobian();
      if (full_[b]) j = j.add_affine(Affine<F>{x_[b], y_[b], false});
      jac_.push_back(j);
      fold_idx_.push_back(uint32_t(b));
    }
    if (jac_.empty()) return;
    aff_.resize(jac_.size());
    batch_to_affine(jac_.data(), aff_.data(), jac_.size());
    for (size_t i = 0; i < aff_.size(); ++i) {
      const size_t b = fold_idx_[i];
      full_[b] = !aff_[i].infinity;
      x_[b] = aff_[i].x;
      y_[b] = aff_[i].y;
    }
  }

  // D[j] += S[j * stride] for j < cnt: affine points as (x, y, non-infinity flag), distinct
  // destinations. Generic pairs are batched (one inversion per batch_); infinity is a copy or
  // a skip; equal x (doubling, cancellation) takes the Jacobian formulas and its own inversion,
  // which only adversarial inputs make frequent.
  void add_many(F* dx, F* dy, uint8_t* dfull, const F* sx, const F* sy, const uint8_t* sfull,
                size_t stride, size_t cnt) {
    for (size_t j = 0; j < cnt; ++j) {
      const size_t s = j * stride;
      if (!sfull[s]) continue;
      if (!dfull[j]) {
        dx[j] = sx[s];
        dy[j] = sy[s];
        dfull[j] = 1;
        continue;
      }
      if (dx[j] == sx[s]) {
        Affine<F> r = Jacobian<F>::from_affine(Affine<F>{dx[j], dy[j], false})
                          .add_affine(Affine<F>{sx[s], sy[s], false})
                          .to_affine();
        dfull[j] = !r.infinity;
        dx[j] = r.x;
        dy[j] = r.y;
        continue;
      }
      idx_[pending_] = uint32_t(j);
      px_[pending_] = sx[s];
      py_[pending_] = sy[s];
      den_[pending_] = sx[s] - dx[j];
      if (++pending_ == batch_) apply(dx, dy);
    }
    apply(dx, dy);
  }

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
      } else if (pending_ >= batch_ / 8) {
        // Full retry queue but a fair batch: flush it early (an XYZZ addition costs as much
        // as a dozen batched ones). The drain cannot fill the queue again, so this recursion
        // ends; each level flushes at least batch_ / 8 additions.
        flush();
        drain_retries();
        add(b, px, py);
      } else {
        overflow_[b].add_affine(px, py);  // skewed digits: few distinct buckets in play
      }
      return;
    }
    // P = +-bucket: doubling or cancellation, on the XYZZ side. The low limb decides almost
    // always, without a call to memcmp.
    if (low_word(x_[b]) == low_word(px) && x_[b] == px) {
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
    apply(x_.data(), y_.data());
    ++epoch_;
  }

  // The pending additions B[idx_[k]] += (px_[k], py_[k]) on the buckets (bx, by).
  void apply(F* bx, F* by) {
    if (pending_ == 0) return;
    if (ifma_) {
      // Eight lanes of prefix products on the vector unit; their eight inverses here.
      F lanes[8], scratch[8];
      ifma_->forward(den_.data(), pending_, lanes);
      batch_inverse(lanes, 8, scratch);
      ifma_->backward(bx, by, idx_.data(), px_.data(), py_.data(), pending_, lanes);
      pending_ = 0;
      return;
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
      F lambda = (py_[k] - by[b]) * dinv;
      F x3 = lambda.square() - bx[b] - px_[k];
      by[b] = lambda * (bx[b] - x3) - by[b];
      bx[b] = x3;
    }
    pending_ = 0;
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
  // Reduction state: running and total sums per bucket range; the overflow fold.
  static constexpr size_t kMaxChains = 128;
  std::vector<F> rx_, ry_, tx_, ty_;
  std::vector<uint8_t> rfull_, tfull_;
  std::vector<Jacobian<F>> jac_;
  std::vector<Affine<F>> aff_;
  std::vector<uint32_t> fold_idx_;
  std::unique_ptr<ifma::BatchAffine<F>> ifma_;
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
  // One task per thread, each taking the next window until none is left: the pool would cut
  // 19 windows into chunks of 3 for two threads (12 against 7 windows at worst); this way the
  // threads finish at most one window apart, whatever the other load on their cores.
  std::atomic<size_t> next_window{0};
  pool.parallel_for(pool.size(), 1, [&](size_t, size_t) {
    if (c >= kMinBatchAffineBits) {
      // Half as many pending additions as buckets keeps conflicts (which fall back to XYZZ)
      // rare while the shared inversion is spread over enough additions.
      BatchAffineWindow<F> ba(nb, std::min<size_t>(nb / 2, 1024), ifma);
      for (size_t w; (w = next_window.fetch_add(1)) < windows;) {
        sums[w] = ba.run(points, digits.data() + w * n, n);
      }
      return;
    }
    std::vector<Xyzz<F>> buckets;
    for (size_t w; (w = next_window.fetch_add(1)) < windows;) {
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
                           uint32_t c, ThreadPool& pool, bool ifma);

}  // namespace efaas::msm::kernel
