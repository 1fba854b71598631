#include "prover/ec/fr_ntt.hpp"

#include <algorithm>
#include <bit>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "kernels/avx512/bn254_ifma.hpp"
#include "prover/common/thread_pool.hpp"

namespace efaas::bn254 {

namespace {

Result<uint32_t> check_size(size_t n) {
  if (n == 0 || !std::has_single_bit(n)) {
    return invalid_argument("Fr NTT: length " + std::to_string(n) + " is not a power of two");
  }
  uint32_t log_n = uint32_t(std::countr_zero(n));
  if (log_n > kFrTwoAdicity) {
    return out_of_range("Fr NTT: 2^" + std::to_string(log_n) + " exceeds the two-adicity 28");
  }
  return log_n;
}

size_t reverse_bits(size_t i, uint32_t bits) {
  size_t r = 0;
  for (uint32_t b = 0; b < bits; ++b) r |= ((i >> b) & 1) << (bits - 1 - b);
  return r;
}

void bit_reverse(Fr* x, uint32_t log_n) {
  const size_t n = size_t(1) << log_n;
  for (size_t i = 0; i < n; ++i) {
    size_t j = reverse_bits(i, log_n);
    if (i < j) std::swap(x[i], x[j]);
  }
}

// Radix-2 DIT on bit-reversed input, the layout of prover/ntt: per-layer twiddle tables
// (layer with half-size h holds root_{2h}^j, j < h, contiguous), the small layers run block by
// block while a block stays in cache (blocks spread over the pool), then the large layers sweep
// the whole array with each layer's butterflies split across the pool.
// tw[h + j] = root_{2h}^j for h = 1, 2, 4, ..., n/2 (index h.. 2h-1 is layer h's table).
std::vector<Fr> twiddles(size_t n, const Fr& root) {
  std::vector<Fr> tw(n);
  const size_t h = n / 2;
  tw[h] = Fr::one();
  for (size_t j = 1; j < h; ++j) tw[h + j] = tw[h + j - 1] * root;
  for (size_t hh = h / 2; hh >= 1; hh /= 2) {
    for (size_t j = 0; j < hh; ++j) tw[hh + j] = tw[2 * hh + 2 * j];
  }
  return tw;
}

// The twiddles in IFMA planes, made once per (size, root) up to 2^kMaxCachedLog elements (40
// bytes each, at most 40 MiB per table): a prover transforms the same sizes over and over.
// Larger transforms make theirs per call rather than pin hundreds of MiB.
constexpr uint32_t kMaxCachedLog = 20;

std::shared_ptr<const std::vector<uint64_t>> make_twiddle_planes(uint32_t log_n, const Fr& root) {
  const size_t n = size_t(1) << log_n;
  std::vector<Fr> tw = twiddles(n, root);
  auto planes = std::make_shared<std::vector<uint64_t>>(5 * n);
  ifma::fr_to_planes(tw.data(), n, planes->data(), n);
  return planes;
}

std::shared_ptr<const std::vector<uint64_t>> twiddle_planes(uint32_t log_n, const Fr& root) {
  if (log_n > kMaxCachedLog) return make_twiddle_planes(log_n, root);
  static std::mutex mu;
  static std::map<std::pair<uint32_t, Limbs>, std::shared_ptr<const std::vector<uint64_t>>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = cache[{log_n, root.v}];
  if (!slot) slot = make_twiddle_planes(log_n, root);
  return slot;
}

// The same DIT with the layers of half-size >= 8 on AVX-512 IFMA: the array goes to planes of
// 52-bit limbs once, every such layer runs 8 butterflies per vector operation, and it comes
// back once. Layers 1, 2 and 4 (whose twiddles are mostly 1) stay scalar, before the switch.
void dit_ifma(Fr* x, uint32_t log_n, const Fr& root, ThreadPool& pool) {
  const size_t n = size_t(1) << log_n;
  std::shared_ptr<const std::vector<uint64_t>> twp = twiddle_planes(log_n, root);
  const Fr w4 = root.pow(Limbs{n / 8, 0, 0, 0});  // root_8: the twiddles of layers 1, 2, 4
  const Fr t8[4] = {Fr::one(), w4, w4 * w4, w4 * w4 * w4};
  bit_reverse(x, log_n);
  std::vector<uint64_t> planes(5 * n);
  pool.parallel_for(n / 8, 256, [&](size_t b, size_t e) {
    for (size_t blk = b; blk < e; ++blk) {
      Fr* v = x + blk * 8;
      for (size_t h = 1; h < 8; h *= 2) {
        for (size_t s = 0; s < 8; s += 2 * h) {
          for (size_t j = 0; j < h; ++j) {
            Fr t = j == 0 ? v[s + j + h] : v[s + j + h] * t8[j * (4 / h)];
            Fr u = v[s + j];
            v[s + j] = u + t;
            v[s + j + h] = u - t;
          }
        }
      }
    }
    ifma::fr_to_planes(x + b * 8, (e - b) * 8, planes.data() + b * 8, n);
  });
  for (size_t h = 8; h < n; h *= 2) {
    const size_t per = std::min<size_t>(h, 1024);
    pool.parallel_for(n / 2 / per, 1, [&](size_t b, size_t e) {
      for (size_t c = b; c < e; ++c) {
        const size_t k = c * per;
        ifma::fr_butterflies(planes.data(), n, (k / h) * 2 * h, h, k % h, per, twp->data(), n);
      }
    });
  }
  pool.parallel_for(n / 8, 256, [&](size_t b, size_t e) {
    ifma::fr_from_planes(planes.data() + b * 8, n, (e - b) * 8, x + b * 8);
  });
}

void dit(Fr* x, uint32_t log_n, const Fr& root, ThreadPool& pool, bool ifma) {
  const size_t n = size_t(1) << log_n;
  if (n == 1) return;
  if (ifma && n >= 16 && ifma::bn254_usable()) {
    dit_ifma(x, log_n, root, pool);
    return;
  }
  std::vector<Fr> tw = twiddles(n, root);
  bit_reverse(x, log_n);
  auto layer = [&](Fr* blk, size_t h) {
    const Fr* t = tw.data() + h;
    for (size_t j = 0; j < h; ++j) {
      Fr v = blk[j + h] * t[j];
      Fr u = blk[j];
      blk[j] = u + v;
      blk[j + h] = u - v;
    }
  };
  constexpr uint32_t kBlockLog = 11;  // 2^11 elements = 64 KiB
  const uint32_t inner = std::min(log_n, kBlockLog);
  const size_t block = size_t(1) << inner;
  pool.parallel_for(n / block, 1, [&](size_t b, size_t e) {
    for (size_t blk = b; blk < e; ++blk) {
      Fr* base = x + blk * block;
      for (size_t h = 1; h < block; h *= 2) {
        for (size_t s = 0; s < block; s += 2 * h) layer(base + s, h);
      }
    }
  });
  for (size_t h = block; h < n; h *= 2) {
    // n/2 butterflies per layer: chunks of consecutive j inside one 2h-block.
    const size_t per = std::min<size_t>(h, 1024);
    pool.parallel_for(n / 2 / per, 1, [&](size_t b, size_t e) {
      for (size_t c = b; c < e; ++c) {
        size_t k = c * per;  // butterfly index
        size_t s = (k / h) * 2 * h, j0 = k % h;
        const Fr* t = tw.data() + h;
        Fr* blk = x + s;
        for (size_t j = j0; j < j0 + per; ++j) {
          Fr v = blk[j + h] * t[j];
          Fr u = blk[j];
          blk[j] = u + v;
          blk[j + h] = u - v;
        }
      }
    });
  }
}

// x_i *= first * step^i. Eight independent chains of powers (step^8 apart): one chain would
// wait on the latency of every product.
void scale_by_powers(Fr* x, size_t n, Fr first, Fr step, ThreadPool& pool) {
  constexpr size_t kChains = 8;
  const Fr step8 = step.pow(Limbs{kChains, 0, 0, 0});
  pool.parallel_for(n, 4096, [&](size_t b, size_t e) {
    Fr p[kChains];
    p[0] = first * step.pow(Limbs{b, 0, 0, 0});
    for (size_t c = 1; c < kChains; ++c) p[c] = p[c - 1] * step;
    size_t i = b;
    for (; i + kChains <= e; i += kChains) {
      for (size_t c = 0; c < kChains; ++c) {
        x[i + c] *= p[c];
        p[c] *= step8;
      }
    }
    for (size_t c = 0; i < e; ++i, ++c) x[i] *= p[c];
  });
}

Status transform(std::span<Fr> data, bool inverse, const Fr* shift, const FrNttConfig& cfg) {
  Result<uint32_t> log_n = check_size(data.size());
  if (!log_n) return log_n.status();
  ThreadPool& pool = ThreadPool::with_threads(cfg.threads);
  Fr w = fr_root_of_unity(*log_n);
  if (!inverse) {
    if (shift) scale_by_powers(data.data(), data.size(), Fr::one(), *shift, pool);
    dit(data.data(), *log_n, w, pool, cfg.ifma);
    return Status::ok();
  }
  dit(data.data(), *log_n, w.inverse(), pool, cfg.ifma);
  Fr n_inv = Fr::from_u64(data.size()).inverse();
  scale_by_powers(data.data(), data.size(), n_inv, shift ? shift->inverse() : Fr::one(), pool);
  return Status::ok();
}

}  // namespace

Status fr_ntt(std::span<Fr> data, const FrNttConfig& cfg) {
  return transform(data, false, nullptr, cfg);
}
Status fr_intt(std::span<Fr> data, const FrNttConfig& cfg) {
  return transform(data, true, nullptr, cfg);
}
Status fr_coset_ntt(std::span<Fr> data, Fr shift, const FrNttConfig& cfg) {
  if (shift.is_zero()) return invalid_argument("Fr coset NTT: the shift is zero");
  return transform(data, false, &shift, cfg);
}
Status fr_coset_intt(std::span<Fr> data, Fr shift, const FrNttConfig& cfg) {
  if (shift.is_zero()) return invalid_argument("Fr coset NTT: the shift is zero");
  return transform(data, true, &shift, cfg);
}

void fr_naive_dft(std::span<const Fr> coeffs, std::span<Fr> out, Fr shift) {
  const size_t n = coeffs.size();
  Fr w = fr_root_of_unity(uint32_t(std::countr_zero(n)));
  Fr xk = shift;
  for (size_t k = 0; k < n; ++k) {
    Fr acc = Fr::zero(), p = Fr::one();
    for (size_t i = 0; i < n; ++i) {
      acc += coeffs[i] * p;
      p *= xk;
    }
    out[k] = acc;
    xk *= w;
  }
}

}  // namespace efaas::bn254
