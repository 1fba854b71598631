// The CPU driver shared by the scalar and AVX2 backends: order conversion, coset and 1/n
// scaling, and splitting work across threads (whole columns when there are enough of them,
// otherwise the top layers of one column).
#include <algorithm>
#include <bit>
#include <cstring>
#include <vector>

#include "prover/common/bits.hpp"
#include "prover/common/thread_pool.hpp"
#include "prover/ntt/ntt_backend.hpp"

namespace efaas {

namespace {

// One column, single-threaded, natural or bit-reversed in and out.
void transform_column(const CpuNttKernels& k, Fp* x, const TransformSpec& s) {
  const size_t n = size_t(1) << s.log_n;
  const bool shifted = s.shift != Fp::one();
  Order in = s.input_order;
  if (!s.inverse) {
    if (shifted) {
      // Coefficient i is scaled by shift^i: needs natural coefficient order.
      if (in == Order::kBitReversed) bit_reverse_permute(x, s.log_n);
      if (k.coset_dif != nullptr) {
        k.coset_dif(x, s.log_n, false, Fp::one(), s.shift);
        if (s.output_order == Order::kNatural) bit_reverse_permute(x, s.log_n);
        return;
      }
      k.scale_by_powers(x, n, Fp::one(), s.shift);
      in = Order::kNatural;
    }
    if (in == Order::kNatural) {
      k.dif(x, s.log_n, false);
      if (s.output_order == Order::kNatural) bit_reverse_permute(x, s.log_n);
    } else {
      k.dit(x, s.log_n, false);
      if (s.output_order == Order::kBitReversed) bit_reverse_permute(x, s.log_n);
    }
    return;
  }
  const Fp n_inv = Fp::from_u64(n).inverse();
  Order out;
  if (in == Order::kNatural) {
    k.dif(x, s.log_n, true);
    out = Order::kBitReversed;
  } else {
    k.dit(x, s.log_n, true);
    out = Order::kNatural;
  }
  if (shifted) {
    // c_i = d_i * shift^-i / n on natural coefficient order.
    if (out == Order::kBitReversed) bit_reverse_permute(x, s.log_n);
    k.scale_by_powers(x, n, n_inv, s.shift.inverse());
    out = Order::kNatural;
  } else {
    k.scale_by_powers(x, n, n_inv, Fp::one());
  }
  if (out != s.output_order) bit_reverse_permute(x, s.log_n);
}

// One large column across the pool: the layers that couple the halves are swept in parallel,
// then the independent blocks are transformed one per task.
void transform_column_parallel(const CpuNttKernels& k, Fp* x, const TransformSpec& s,
                               ThreadPool& pool) {
  const size_t threads = pool.size();
  uint32_t split = 0;  // 2^split independent blocks
  while ((size_t(1) << split) < threads * 2 && split + 10 < s.log_n) ++split;
  if (split == 0) {
    transform_column(k, x, s);
    return;
  }
  const uint32_t log_block = s.log_n - split;
  const size_t n = size_t(1) << s.log_n, half = n / 2, blocks = size_t(1) << split;
  const size_t block = size_t(1) << log_block;
  const bool shifted = s.shift != Fp::one();
  Order in = s.input_order;
  auto parallel_scale = [&](Fp scale, Fp base) {
    pool.parallel_for(blocks, 1, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        k.scale_by_powers(x + i * block, block, scale * base.pow(i * block), base);
      }
    });
  };
  auto sweep = [&](bool dif, uint32_t layer, bool inverse) {
    pool.parallel_for(half, 4096, [&](size_t b, size_t e) {
      (dif ? k.dif_layer : k.dit_layer)(x, s.log_n, layer, inverse, b, e);
    });
  };
  auto blocks_do = [&](bool dif, bool inverse) {
    pool.parallel_for(blocks, 1, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) (dif ? k.dif : k.dit)(x + i * block, log_block, inverse);
    });
  };
  auto dif_all = [&](bool inverse) {
    for (uint32_t layer = s.log_n; layer-- > log_block;) sweep(true, layer, inverse);
    blocks_do(true, inverse);
  };
  auto dit_all = [&](bool inverse) {
    blocks_do(false, inverse);
    for (uint32_t layer = log_block; layer < s.log_n; ++layer) sweep(false, layer, inverse);
  };
  if (!s.inverse) {
    if (shifted) {
      if (in == Order::kBitReversed) bit_reverse_permute(x, s.log_n);
      parallel_scale(Fp::one(), s.shift);
      in = Order::kNatural;
    }
    if (in == Order::kNatural) {
      dif_all(false);
      if (s.output_order == Order::kNatural) bit_reverse_permute(x, s.log_n);
    } else {
      dit_all(false);
      if (s.output_order == Order::kBitReversed) bit_reverse_permute(x, s.log_n);
    }
    return;
  }
  const Fp n_inv = Fp::from_u64(n).inverse();
  Order out;
  if (in == Order::kNatural) {
    dif_all(true);
    out = Order::kBitReversed;
  } else {
    dit_all(true);
    out = Order::kNatural;
  }
  if (shifted) {
    if (out == Order::kBitReversed) bit_reverse_permute(x, s.log_n);
    parallel_scale(n_inv, s.shift.inverse());
    out = Order::kNatural;
  } else {
    parallel_scale(n_inv, Fp::one());
  }
  if (out != s.output_order) bit_reverse_permute(x, s.log_n);
}

}  // namespace

Status cpu_transform(const CpuNttKernels& k, std::span<Fp> data, size_t cols,
                     const TransformSpec& spec, size_t threads) {
  const size_t n = size_t(1) << spec.log_n;
  ThreadPool& pool = ThreadPool::with_threads(threads);
  if (pool.size() == 1 || (cols == 1 && spec.log_n < 14)) {
    for (size_t c = 0; c < cols; ++c) transform_column(k, data.data() + c * n, spec);
  } else if (cols >= pool.size()) {
    pool.parallel_for(cols, 1, [&](size_t b, size_t e) {
      for (size_t c = b; c < e; ++c) transform_column(k, data.data() + c * n, spec);
    });
  } else {
    for (size_t c = 0; c < cols; ++c) {
      transform_column_parallel(k, data.data() + c * n, spec, pool);
    }
  }
  return Status::ok();
}

Status cpu_coset_ntt_from(const CpuNttKernels& k, std::span<const Fp> src, std::span<Fp> dst,
                          size_t cols, uint32_t log_n, Fp shift, size_t threads) {
  const size_t n = size_t(1) << log_n;
  ThreadPool& pool = ThreadPool::with_threads(threads);
  const TransformSpec spec{log_n, false, Order::kNatural, Order::kBitReversed, shift};
  if (pool.size() == 1 || cols >= pool.size()) {
    pool.parallel_for(cols, 1, [&](size_t b, size_t e) {
      for (size_t c = b; c < e; ++c) {
        if (k.coset_dif_from != nullptr) {
          k.coset_dif_from(src.data() + c * n, dst.data() + c * n, log_n, Fp::one(), shift);
        } else {
          std::memcpy(dst.data() + c * n, src.data() + c * n, n * sizeof(Fp));
          transform_column(k, dst.data() + c * n, spec);
        }
      }
    });
    return Status::ok();
  }
  // Fewer columns than threads: each column split across the pool, after a copy.
  pool.parallel_for(cols * n, size_t(1) << 16, [&](size_t b, size_t e) {
    std::memcpy(dst.data() + b, src.data() + b, (e - b) * sizeof(Fp));
  });
  return cpu_transform(k, dst, cols, spec, threads);
}

Status cpu_coset_ntt_rows(const CpuNttKernels& k, std::span<Fp> data, size_t cols,
                          uint32_t log_n, Fp shift, std::span<const size_t> rows,
                          size_t threads) {
  if (rows.empty()) return Status::ok();
  const size_t n = size_t(1) << log_n;
  // DIF, natural in, bit-reversed out: after the layers of depth < s the column splits into 2^s
  // independent blocks of n / 2^s, and output position p lies in block p >> (log_n - s). Only
  // the blocks holding a requested position are transformed further; small ones whole.
  constexpr uint32_t kWholeLog = 6;
  std::vector<std::vector<size_t>> blocks(log_n + 1);
  for (uint32_t s = 0; s <= log_n; ++s) {
    for (size_t p : rows) {
      const size_t b = p >> (log_n - s);
      if (blocks[s].empty() || blocks[s].back() != b) blocks[s].push_back(b);
    }
  }
  // (Strips closed under the top layers, transformed in cache, were tried: the 2^top segments
  // of a strip lie n / 2^top apart and alias in L1 and L2, and it ran slower.)
  auto column = [&](Fp* x) {
    if (shift != Fp::one()) k.scale_by_powers(x, n, Fp::one(), shift);
    for (uint32_t s = 0; s < log_n; ++s) {
      const uint32_t log_block = log_n - s, half = log_block - 1;
      if (log_block <= kWholeLog) {
        for (size_t b : blocks[s]) k.dif(x + (b << log_block), log_block, false);
        return;
      }
      if (blocks[s].size() == size_t(1) << s) {
        k.dif_layer(x, log_n, half, false, 0, n / 2);
      } else {
        for (size_t b : blocks[s]) k.dif_layer(x, log_n, half, false, b << half, (b + 1) << half);
      }
    }
  };
  ThreadPool& pool = ThreadPool::with_threads(threads);
  pool.parallel_for(cols, 1, [&](size_t b, size_t e) {
    for (size_t c = b; c < e; ++c) column(data.data() + c * n);
  });
  return Status::ok();
}

Status cpu_lde(const CpuNttKernels& k, std::span<const Fp> in, std::span<Fp> out, size_t cols,
               const LdeSpec& spec, size_t threads) {
  const size_t n = size_t(1) << spec.log_n;
  const uint32_t log_m = spec.log_n + spec.log_blowup;
  const size_t m = size_t(1) << log_m;
  // Interpolate into the head of each output column, rescale the coefficients from the input
  // coset to the output coset (with 1/n folded in), zero the tail, evaluate.
  ThreadPool& pool = ThreadPool::with_threads(threads);
  pool.parallel_for(cols, 1, [&](size_t b, size_t e) {
    for (size_t c = b; c < e; ++c) {
      std::memcpy(out.data() + c * m, in.data() + c * n, n * sizeof(Fp));
      std::fill(out.data() + c * m + n, out.data() + (c + 1) * m, Fp::zero());
    }
  });
  TransformSpec interp{spec.log_n, true, spec.input_order, Order::kNatural, spec.input_shift};
  TransformSpec eval{log_m, false, Order::kNatural, spec.output_order, spec.output_shift};
  if (pool.size() == 1 || cols >= pool.size()) {
    pool.parallel_for(cols, 1, [&](size_t b, size_t e) {
      for (size_t c = b; c < e; ++c) {
        transform_column(k, out.data() + c * m, interp);
        transform_column(k, out.data() + c * m, eval);
      }
    });
  } else {
    for (size_t c = 0; c < cols; ++c) {
      transform_column_parallel(k, out.data() + c * m, interp, pool);
      transform_column_parallel(k, out.data() + c * m, eval, pool);
    }
  }
  return Status::ok();
}

void bit_reverse_permute(Fp* x, uint32_t log_n) {
  if (log_n < 2) return;
  const size_t n = size_t(1) << log_n;
  // Tiles of 16 x 16 (a 64-byte line per tile row): index (hi, mid, lo) with 4-bit hi and lo
  // goes to (rev lo, rev mid, rev hi), so tile `mid` and tile `rev mid` swap, each transposed
  // with its rows and columns reversed. Every line is read and written whole, where the
  // element-wise swap touches a new line per element on large columns.
  constexpr uint32_t kTileBits = 4;
  constexpr size_t kT = size_t(1) << kTileBits;
  if (log_n < 2 * kTileBits + 1) {
    for (size_t i = 0; i < n; ++i) {
      const size_t r = reverse_bits(i, log_n);
      if (i < r) std::swap(x[i], x[r]);
    }
    return;
  }
  constexpr uint8_t kRev[kT] = {0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15};
  const uint32_t mid_bits = log_n - 2 * kTileBits;
  const uint32_t hi_shift = mid_bits + kTileBits;
  auto at = [&](size_t hi, size_t mid, size_t lo) {
    return x + ((hi << hi_shift) | (mid << kTileBits) | lo);
  };
  Fp a[kT * kT], b[kT * kT];
  auto load = [&](size_t mid, Fp* t) {
    for (size_t hi = 0; hi < kT; ++hi) std::memcpy(t + hi * kT, at(hi, mid, 0), kT * sizeof(Fp));
  };
  // Element (hi, lo) of tile t lands at row rev(lo), column rev(hi) of tile `mid`.
  auto store = [&](size_t mid, const Fp* t) {
    for (size_t r = 0; r < kT; ++r) {
      Fp* row = at(r, mid, 0);
      for (size_t c = 0; c < kT; ++c) row[c] = t[kRev[c] * kT + kRev[r]];
    }
  };
  for (size_t mid = 0; mid < (size_t(1) << mid_bits); ++mid) {
    const size_t rmid = reverse_bits(mid, mid_bits);
    if (rmid < mid) continue;
    load(mid, a);
    if (rmid != mid) {
      load(rmid, b);
      store(mid, b);
    }
    store(rmid, a);
  }
}

void naive_dft(std::span<const Fp> coeffs, std::span<Fp> out, Fp shift) {
  const size_t n = coeffs.size();
  const Fp w = Fp::two_adic_generator(uint32_t(std::countr_zero(n)));
  Fp point = shift;
  for (size_t k = 0; k < n; ++k) {
    Fp acc = Fp::zero();  // Horner at `point`
    for (size_t i = n; i-- > 0;) acc = acc * point + coeffs[i];
    out[k] = acc;
    point *= w;
  }
}

}  // namespace efaas
