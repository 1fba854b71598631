#include "prover/stark/lde_blocks.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <numeric>

#include "prover/common/bits.hpp"
#include "prover/common/thread_pool.hpp"
#include "prover/fri/fri.hpp"

namespace efaas::stark_internal {

void parallel_copy(Fp* dst, const Fp* src, size_t count, size_t threads) {
  constexpr size_t kGrain = size_t(1) << 16;  // 256 KB
  ThreadPool::with_threads(threads).parallel_for(count, kGrain, [&](size_t b, size_t e) {
    std::memcpy(dst + b, src + b, (e - b) * sizeof(Fp));
  });
}

Fp lde_block_shift(Fp shift, uint32_t log_n, uint32_t log_b, size_t k) {
  // Row k n + j holds shift * w_{Bn}^(bitrev_n(j) B + bitrev_B(k)) = s_k * w_n^bitrev_n(j).
  return shift * Fp::two_adic_generator(log_n + log_b).pow(reverse_bits(k, log_b));
}

Result<LdeBlocks> LdeBlocks::create(std::span<const Fp> source, bool is_coeffs, size_t width,
                                    uint32_t log_n, uint32_t log_blowup, LdeResidency residency,
                                    const NttConfig& cfg) {
  const size_t n = size_t(1) << log_n;
  if (width == 0 || source.size() != n * width) {
    return invalid_argument("lde blocks: source of " + std::to_string(source.size()) +
                            " elements is not " + std::to_string(width) + " columns of " +
                            std::to_string(n));
  }
  if (log_n + log_blowup > kMaxLogNtt) {
    return out_of_range("lde blocks: 2^" + std::to_string(log_n + log_blowup) +
                        " points exceed the two-adicity");
  }
  LdeBlocks l;
  l.width_ = width;
  l.n_ = n;
  l.log_n_ = log_n;
  l.log_b_ = log_blowup;
  l.cfg_ = cfg;
  l.cfg_.input_order = Order::kNatural;
  const size_t B = l.blocks();
  const size_t r = std::min(residency.resident_blocks, B);
  l.source_ = source;
  l.is_coeffs_ = is_coeffs;
  // Coefficients while the resident blocks are computed (a copy of the source, interpolated
  // when it holds evaluations), and afterwards when cached.
  const bool keep_coeffs = r < B && residency.cache_coeffs && !is_coeffs;
  if (r > 0 || keep_coeffs) {
    l.coeffs_ = FpBuffer(source.size());
    parallel_copy(l.coeffs_.data(), source.data(), source.size(), cfg.threads);
    if (!is_coeffs) {
      NttConfig icfg = l.cfg_;
      icfg.output_order = Order::kNatural;
      EFAAS_RETURN_IF_ERROR(intt(l.coeffs_.span(), width, icfg));
    }
  }
  l.resident_.resize(r);
  for (size_t k = 0; k < r; ++k) {
    if (k + 1 == B) {
      // All resident: the last block is transformed in the coefficients' own buffer.
      l.resident_[k] = std::move(l.coeffs_);
      l.coeffs_ = FpBuffer();
      NttConfig ecfg = l.cfg_;
      ecfg.output_order = Order::kBitReversed;
      EFAAS_RETURN_IF_ERROR(
          coset_ntt(l.resident_[k].span(), width,
                    lde_block_shift(fri_domain_shift(), log_n, log_blowup, k), ecfg));
      ++l.computed_;
    } else {
      l.resident_[k] = FpBuffer(n * width);
      EFAAS_RETURN_IF_ERROR(l.compute(k, l.resident_[k].data()));
    }
  }
  if (r == B) l.source_ = {};
  if (!keep_coeffs) l.coeffs_ = FpBuffer();
  return l;
}

Status LdeBlocks::compute(size_t k, Fp* out_ptr, const std::span<const size_t>* rows) const {
  const std::span<Fp> out(out_ptr, n_ * width_);
  NttConfig icfg = cfg_;
  icfg.output_order = Order::kNatural;
  NttConfig ecfg = cfg_;
  ecfg.output_order = Order::kBitReversed;
  const Fp shift = lde_block_shift(fri_domain_shift(), log_n_, log_b_, k);
  if (rows != nullptr) {
    // Column by column through a buffer of n per task (in cache), only the requested rows
    // written to `out`: the rest of an untouched scratch is never faulted in (an opening of a
    // 2^20-row block touches ~10 pages per column instead of 1024).
    const Fp* src = coeffs_.empty() ? source_.data() : coeffs_.data();
    const bool interpolate = coeffs_.empty() && !is_coeffs_;
    std::mutex mu;
    Status status;
    ThreadPool::with_threads(cfg_.threads).parallel_for(width_, 1, [&](size_t b, size_t e) {
      FpBuffer buf(n_);
      for (size_t c = b; c < e; ++c) {
        std::memcpy(buf.data(), src + c * n_, n_ * sizeof(Fp));
        Status s = interpolate ? intt(buf.span(), 1, icfg) : Status::ok();
        if (s) s = coset_ntt_rows(buf.span(), 1, shift, *rows, ecfg);
        if (!s) {
          std::lock_guard lock(mu);
          status = s;
          return;
        }
        for (size_t r : *rows) out[c * n_ + r] = buf[r];
      }
    });
    EFAAS_RETURN_IF_ERROR(status);
    ++partly_computed_;
    return Status::ok();
  }
  if (!coeffs_.empty() || is_coeffs_) {
    // The copy of the coefficients folded into the transform (coset_ntt_from).
    const Fp* src = coeffs_.empty() ? source_.data() : coeffs_.data();
    EFAAS_RETURN_IF_ERROR(coset_ntt_from({src, out.size()}, out, width_, shift, ecfg));
    ++computed_;
    return Status::ok();
  }
  parallel_copy(out.data(), source_.data(), out.size(), cfg_.threads);
  EFAAS_RETURN_IF_ERROR(intt(out, width_, icfg));
  EFAAS_RETURN_IF_ERROR(coset_ntt(out, width_, shift, ecfg));
  ++computed_;
  return Status::ok();
}

Result<const Fp*> LdeBlocks::ready_block(size_t k, FpBuffer& scratch) const {
  if (k >= blocks()) {
    return out_of_range("lde blocks: block " + std::to_string(k) + " of " +
                        std::to_string(blocks()));
  }
  if (k < resident_.size()) return static_cast<const Fp*>(resident_[k].data());
  if (held_ != nullptr && held_ == scratch.data() && held_block_ == k) {
    return static_cast<const Fp*>(scratch.data());
  }
  held_ = nullptr;
  if (scratch.size() != n_ * width_) scratch = FpBuffer(n_ * width_);
  return static_cast<const Fp*>(nullptr);
}

Result<const Fp*> LdeBlocks::block(size_t k, FpBuffer& scratch) const {
  auto ready = ready_block(k, scratch);
  if (!ready.is_ok() || *ready != nullptr) return ready;
  EFAAS_RETURN_IF_ERROR(compute(k, scratch.data()));
  held_ = scratch.data();
  held_block_ = k;
  return static_cast<const Fp*>(scratch.data());
}

Result<const Fp*> LdeBlocks::block_rows(size_t k, FpBuffer& scratch,
                                        std::span<const size_t> rows) const {
  auto ready = ready_block(k, scratch);
  if (!ready.is_ok() || *ready != nullptr) return ready;
  EFAAS_RETURN_IF_ERROR(compute(k, scratch.data(), &rows));
  return static_cast<const Fp*>(scratch.data());  // not held: only `rows` are computed
}

size_t LdeBlocks::resident_bytes() const {
  size_t b = coeffs_.size();
  for (const auto& r : resident_) b += r.size();
  return b * sizeof(Fp);
}

namespace {

// Bytes held by an LDE under a residency, and the NTT work (block NTTs, in bytes of a block) its
// streaming adds: the quotient pass and the openings recompute each non-resident block they read
// (the openings of 42 queries touch every block), and a recomputation from evaluations without
// cached coefficients is two transforms. (The openings now compute only the opened rows, about
// half a transform, and the quotient pass finds its first block in the commitment's scratch;
// weighting those in made the planner stream more and smaller LDEs, which measured slower at
// sha256 2^20 with a higher peak, so the weights stay those the plans were tuned with.)
size_t held_bytes(const LdeShape& l, const LdeResidency& r, size_t blocks) {
  if (r.resident_blocks >= blocks) return blocks * l.block_bytes;
  return (r.resident_blocks + (r.cache_coeffs ? 1 : 0) + 1) * l.block_bytes;
}

double extra_work(const LdeShape& l, const LdeResidency& r, size_t blocks) {
  if (r.resident_blocks >= blocks) return 0;
  const size_t res = r.resident_blocks;
  const double per_block = (l.from_evals && !r.cache_coeffs) ? 2.0 : 1.0;
  const size_t quotient = l.quotient_reads > res ? l.quotient_reads - res : 0;
  const size_t openings = blocks - res;
  // The commitment computes every block once in either mode; uncached, each costs one more.
  const double commit = per_block > 1 ? double(blocks - res) : 0.0;
  return (double(quotient + openings) * per_block + commit) * double(l.block_bytes);
}

// The options worth considering for one LDE: resident, or streamed holding less than that.
std::vector<LdeResidency> options(const LdeShape& l, size_t blocks) {
  std::vector<LdeResidency> out{{SIZE_MAX, false}};
  for (int cache = l.from_evals ? 1 : 0; cache >= 0; --cache) {
    for (size_t r = 0; r < blocks; ++r) {
      const LdeResidency o{r, cache == 1};
      if (held_bytes(l, o, blocks) < blocks * l.block_bytes) out.push_back(o);
    }
  }
  return out;
}

}  // namespace

std::vector<LdeResidency> plan_residency(std::span<const LdeShape> ldes, size_t blocks,
                                         size_t budget) {
  const size_t count = ldes.size();
  std::vector<LdeResidency> plan(count);
  size_t total = 0;
  for (const LdeShape& l : ldes) total += l.block_bytes * blocks;
  if (total <= budget) return plan;
  std::vector<size_t> order(count);
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return ldes[a].block_bytes > ldes[b].block_bytes;
  });
  // Exhaustive over the largest few (at most 2B+1 options each), the others resident.
  constexpr size_t kSearched = 4;
  const size_t k = std::min(kSearched, count);
  std::vector<std::vector<LdeResidency>> opts(k);
  size_t rest = total;
  for (size_t i = 0; i < k; ++i) {
    opts[i] = options(ldes[order[i]], blocks);
    rest -= ldes[order[i]].block_bytes * blocks;
  }
  std::vector<size_t> pick(k, 0), best;
  double best_work = 0;
  while (true) {
    size_t held = rest;
    double work = 0;
    for (size_t i = 0; i < k; ++i) {
      held += held_bytes(ldes[order[i]], opts[i][pick[i]], blocks);
      work += extra_work(ldes[order[i]], opts[i][pick[i]], blocks);
    }
    if (held <= budget && (best.empty() || work < best_work)) {
      best = pick;
      best_work = work;
    }
    size_t i = 0;
    while (i < k && ++pick[i] == opts[i].size()) pick[i++] = 0;
    if (i == k) break;
  }
  if (!best.empty()) {
    for (size_t i = 0; i < k; ++i) plan[order[i]] = opts[i][best[i]];
    return plan;
  }
  // Over budget even so: stream everything, largest first, as far as needed.
  size_t excess = total - budget;
  for (size_t i : order) {
    if (excess == 0) break;
    const size_t blk = ldes[i].block_bytes;
    if (blocks <= 1 || blk == 0) continue;
    plan[i] = {0, false};
    const size_t saving = (blocks - 1) * blk;
    excess = saving >= excess ? 0 : excess - saving;
  }
  return plan;
}

}  // namespace efaas::stark_internal
