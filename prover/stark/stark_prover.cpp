#include <algorithm>
#include <bit>
#include <cstring>
#include <map>
#include <mutex>

#include "prover/air/column_kernels.hpp"
#include "prover/air/eval.hpp"
#include "prover/common/thread_pool.hpp"
#include "prover/common/timer.hpp"
#include "prover/device/backend.hpp"
#include "prover/field/field_ops.hpp"
#include "prover/fri/fri_opencl.hpp"
#include "prover/ntt/ntt.hpp"
#include "prover/stark/lde_blocks.hpp"
#include "prover/stark/stark.hpp"
#include "prover/stark/stark_common.hpp"
#include "prover/stark/stark_opencl.hpp"

namespace efaas {

using namespace stark_internal;

namespace {

// LDE of column-major columns on the FRI coset, bit-reversed order.
Result<std::vector<Fp>> lde_columns(const std::vector<Fp>& cols, size_t width,
                                    uint32_t log_blowup, const StarkConfig& cfg) {
  std::vector<Fp> out((cols.size()) << log_blowup);
  if (width == 0) return out;
  NttConfig ncfg;
  ncfg.backend = cfg.backend;
  ncfg.threads = cfg.threads;
  ncfg.opencl_device = cfg.opencl_device;
  ncfg.output_order = Order::kBitReversed;
  LdeParams p;
  p.log_blowup = log_blowup;
  p.output_shift = fri_domain_shift();
  EFAAS_RETURN_IF_ERROR(lde(cols, out, width, p, ncfg));
  return out;
}

// Barycentric weights on H = <g>, |H| = 2^log_n, natural order, for evaluation at x outside H:
// f(x) = scale * sum_i f_i w_i with w_i = g^i / (x - g^i), scale = (x^n - 1) / n. The weights
// at g x are the same shifted by one row (w_i(g x) = w_{i-1}(x), and (g x)^n = x^n), so one
// array serves both points: four coordinate arrays of n + 1 entries, entry 0 holding w_{n-1};
// row i's weight at x is entry i + 1, at g x entry i.
struct Barycentric {
  std::vector<Fp> w[4];
  Fp4 scale;
  air::ExtCols at_x(size_t row) const {
    return {{w[0].data() + row + 1, w[1].data() + row + 1, w[2].data() + row + 1,
             w[3].data() + row + 1}};
  }
  air::ExtCols at_gx(size_t row) const {
    return {{w[0].data() + row, w[1].data() + row, w[2].data() + row, w[3].data() + row}};
  }
};

Barycentric barycentric(const Fp4& x, uint32_t log_n, ThreadPool& pool) {
  const size_t n = size_t(1) << log_n;
  const Fp g = Fp::two_adic_generator(log_n);
  Barycentric b;
  for (auto& v : b.w) v.resize(n + 1);
  pool.parallel_for(n, 4096, [&](size_t begin, size_t end) {
    std::vector<Fp4> d(end - begin);
    std::vector<Fp> pw(end - begin);
    Fp p = g.pow(begin);
    for (size_t i = begin; i < end; ++i, p *= g) {
      pw[i - begin] = p;
      d[i - begin] = x - Fp4(p);
    }
    (void)batch_inverse(d, d);  // x is outside H: no zero
    for (size_t i = begin; i < end; ++i) {
      const Fp4 wi = d[i - begin] * pw[i - begin];
      for (int c = 0; c < 4; ++c) b.w[c][i + 1] = wi[c];
    }
  });
  for (int c = 0; c < 4; ++c) b.w[c][0] = b.w[c][n];
  Fp4 xn = x;
  for (uint32_t i = 0; i < log_n; ++i) xn = xn.square();
  b.scale = (xn - Fp4::one()) * Fp::from_u64(n).inverse();
  return b;
}

Status check_cancel(const StarkConfig& cfg) {
  if (cfg.cancel != nullptr && cfg.cancel->load()) {
    return Status(StatusCode::kCancelled, "proof cancelled");
  }
  return Status::ok();
}

void report(const StarkConfig& cfg, std::string_view stage, double f) {
  if (cfg.progress) cfg.progress(stage, f);
}

// Next-row map and selector values of a domain's rows.
struct DomainRows {
  std::vector<uint32_t> next;
  std::vector<Fp> first, last, trans;
};

// A table's rows over a domain for the constraint evaluators: its matrices (column-major,
// `stride` rows each; empty vectors for the parts the table lacks) and the domain's rows.
air::DomainSource domain_source(const std::vector<Fp>& main, const std::vector<Fp>& pre,
                                std::span<const Fp> aux, size_t stride,
                                const DomainRows& rows, std::span<const Fp4> challenges,
                                std::span<const Fp> publics, std::span<const Fp4> aux_publics,
                                bool simd) {
  air::DomainSource src;
  src.main = main.data();
  src.pre = pre.empty() ? nullptr : pre.data();
  src.aux = aux.empty() ? nullptr : aux.data();
  src.stride = stride;
  src.next = rows.next.data();
  src.is_first = rows.first.data();
  src.is_last = rows.last.data();
  src.is_transition = rows.trans.data();
  src.challenges = challenges;
  src.publics = publics;
  src.aux_publics = aux_publics;
  src.simd = simd;
  return src;
}

// The LogUp auxiliary trace of a table (4 base columns per extension column: the group
// columns but the last group's, then the running sum) and its final sum. Rows are processed in
// parallel chunks: every interaction's multiplicity and values in one evaluation, the
// fingerprints with the column kernels, one batch inversion per chunk; the running sum is a
// prefix over row sums.
Result<std::pair<FpBuffer, Fp4>> logup_aux_trace(const air::TableAir& table,
                                                        const air::DomainSource& src, size_t n,
                                                        std::span<const Fp4> challenges,
                                                        const air::ColumnKernels& kern,
                                                        ThreadPool& pool) {
  const auto& its = table.interactions();
  const auto& groups = table.aux_groups();
  const size_t aw = table.aux_width();
  std::vector<air::Expr> exprs;
  std::vector<size_t> first_expr;  // interaction k: its multiplicity, then its values
  for (const air::Interaction& it : its) {
    first_expr.push_back(exprs.size());
    exprs.push_back(it.multiplicity);
    for (const air::Expr& v : it.values) exprs.push_back(v);
  }
  const Fp4 alpha = challenges[air::kChallengeAlpha];
  const Fp4 beta = challenges[air::kChallengeBeta];
  FpBuffer aux(4 * aw * n);  // each row chunk zeroes its own rows (parallel first touch)
  auto col = [&](size_t c, int k) { return aux.data() + (4 * c + k) * n; };
  std::mutex mu;
  Status status;
  // Column kernels throughout (structure of arrays): the fingerprints d, their inverses
  // through the base-field norm as in batch_inverse (d = A + x B over Fp2 = Fp[u], u = x^2:
  // d (A - x B) = c0 + c1 u, N(d) = c0^2 - W c1^2), one base batch inversion per block of
  // rows, and each 1/d times its multiplicity added into its group's column.
  const Fp kw = Fp::from_canonical(Fp4::kW);
  const size_t I = its.size();
  pool.parallel_for(n, 2048, [&](size_t b0, size_t e0) {
    constexpr size_t kRows = 1024;
    std::vector<Fp> vals(exprs.size() * kRows), fp(4 * I * kRows), c0(I * kRows),
        c1(I * kRows), nrm(I * kRows), t0(kRows), t1(kRows), w(kRows, kw), w2(kRows, kw + kw);
    for (size_t c = 0; c < 4 * aw; ++c) std::fill(aux.data() + c * n + b0, aux.data() + c * n + e0, Fp::zero());
    for (size_t b = b0; b < e0; b += kRows) {
      const size_t len = std::min(kRows, e0 - b);
      air::eval_base_exprs(table, src, b, b + len, exprs, vals.data());
      auto d = [&](size_t k, int c) { return fp.data() + (4 * k + c) * len; };
      for (size_t k = 0; k < I; ++k) {
        // Fingerprint beta + bus + sum_j alpha^(j+1) v_j.
        const Fp4 c0k = beta + Fp4(Fp::from_u32(its[k].bus));
        const air::ExtColsOut acc{{d(k, 0), d(k, 1), d(k, 2), d(k, 3)}};
        for (int c = 0; c < 4; ++c) std::fill_n(acc.c[c], len, c0k[c]);
        Fp4 power = alpha;
        for (size_t j = 1; j <= its[k].values.size(); ++j) {
          kern.mul_acc(vals.data() + (first_expr[k] + j) * len, power, acc, len);
          power *= alpha;
        }
        Fp* a = c0.data() + k * len;
        Fp* q = c1.data() + k * len;
        Fp* nk = nrm.data() + k * len;
        kern.mul(d(k, 0), d(k, 0), a, len);  // c0 = d0^2 + W d2^2 - 2W d1 d3
        kern.mul(d(k, 2), d(k, 2), t0.data(), len);
        kern.mul(t0.data(), w.data(), t0.data(), len);
        kern.add(a, t0.data(), a, len);
        kern.mul(d(k, 1), d(k, 3), t0.data(), len);
        kern.mul(t0.data(), w2.data(), t0.data(), len);
        kern.sub(a, t0.data(), a, len);
        kern.mul(d(k, 0), d(k, 2), q, len);  // c1 = 2 d0 d2 - d1^2 - W d3^2
        kern.add(q, q, q, len);
        kern.mul(d(k, 1), d(k, 1), t0.data(), len);
        kern.sub(q, t0.data(), q, len);
        kern.mul(d(k, 3), d(k, 3), t0.data(), len);
        kern.mul(t0.data(), w.data(), t0.data(), len);
        kern.sub(q, t0.data(), q, len);
        kern.mul(a, a, nk, len);  // N = c0^2 - W c1^2
        kern.mul(q, q, t0.data(), len);
        kern.mul(t0.data(), w.data(), t0.data(), len);
        kern.sub(nk, t0.data(), nk, len);
      }
      if (Status inv = batch_inverse(std::span<const Fp>(nrm.data(), I * len),
                                     std::span<Fp>(nrm.data(), I * len));
          !inv) {
        std::lock_guard lock(mu);
        status = invalid_argument("prove: table " + table.name() +
                                  ": a LogUp denominator is zero (resample by changing the input)");
        return;
      }
      for (size_t g = 0; g < groups.size(); ++g) {
        // The last group adds straight into the running sum's column (it has none of its own).
        const bool last = g + 1 == groups.size();
        const size_t gc = last ? aw - 1 : g;
        Fp* h[4] = {col(gc, 0) + b, col(gc, 1) + b, col(gc, 2) + b, col(gc, 3) + b};
        for (uint32_t k : groups[g]) {
          // m / d = m (A - x B)(c0 - c1 u) / N: with a = m c0 / N, q = m c1 / N, wq = W q,
          // coordinates (d0 a - d2 wq, d3 wq - d1 a, d2 a - d0 q, d1 q - d3 a).
          const Fp* m = vals.data() + first_expr[k] * len;
          Fp* a = c0.data() + k * len;
          Fp* q = c1.data() + k * len;
          const Fp* nk = nrm.data() + k * len;
          kern.mul(nk, m, t1.data(), len);
          kern.mul(a, t1.data(), a, len);
          kern.mul(q, t1.data(), q, len);
          kern.mul(q, w.data(), t1.data(), len);  // wq
          const struct {
            int plus, minus;
            const Fp* pf;
            const Fp* mf;
          } terms[4] = {{0, 2, a, t1.data()}, {3, 1, t1.data(), a}, {2, 0, a, q}, {1, 3, q, a}};
          for (int c = 0; c < 4; ++c) {
            kern.mul(d(k, terms[c].plus), terms[c].pf, t0.data(), len);
            kern.add(h[c], t0.data(), h[c], len);
            kern.mul(d(k, terms[c].minus), terms[c].mf, t0.data(), len);
            kern.sub(h[c], t0.data(), h[c], len);
          }
        }
        if (!last) {
          for (int c = 0; c < 4; ++c) kern.add(col(aw - 1, c) + b, h[c], col(aw - 1, c) + b, len);
        }
      }
    }
  });
  EFAAS_RETURN_IF_ERROR(status);
  // The running sum as a parallel prefix: each row chunk's total, the chunks' offsets, then each
  // chunk's prefix from its offset (additions are exact, so the order does not matter). Row r
  // holds the sum over rows i < r of (row i's fractions - T/n), T the total (TableAir::finalize).
  const size_t chunk = std::max<size_t>(4096, n / 64), chunks = (n + chunk - 1) / chunk;
  std::vector<Fp4> offset(chunks + 1, Fp4::zero());
  auto row = [&](size_t i) {
    return Fp4(col(aw - 1, 0)[i], col(aw - 1, 1)[i], col(aw - 1, 2)[i], col(aw - 1, 3)[i]);
  };
  pool.parallel_for(chunks, 1, [&](size_t b, size_t e) {
    for (size_t ch = b; ch < e; ++ch) {
      Fp4 sum = Fp4::zero();
      for (size_t i = ch * chunk; i < std::min(n, (ch + 1) * chunk); ++i) sum += row(i);
      offset[ch + 1] = sum;
    }
  });
  for (size_t ch = 0; ch < chunks; ++ch) offset[ch + 1] += offset[ch];
  const Fp4 per_row = air::logup_aux_publics(offset[chunks], n)[air::kAuxPublicSumPerRow];
  pool.parallel_for(chunks, 1, [&](size_t b, size_t e) {
    for (size_t ch = b; ch < e; ++ch) {
      Fp4 running = offset[ch] - per_row * Fp::from_u32(uint32_t(ch * chunk));
      for (size_t i = ch * chunk; i < std::min(n, (ch + 1) * chunk); ++i) {
        const Fp4 fractions = row(i);
        for (int c = 0; c < 4; ++c) col(aw - 1, c)[i] = running[c];
        running += fractions - per_row;
      }
    }
  });
  return std::make_pair(std::move(aux), offset[chunks]);
}

// StarkConfig::forge_logup_balance_for_testing: a table claims the LogUp sum that balances
// the buses (`others`: the public terms and the sums before it) and shifts its running sum to
// follow the claim, s'(r) = s(r) - r (forged - T) / n: every row's constraint still holds but the
// wrap-around from the last row to the first, which alone can catch the lie.
void forge_logup_balance(size_t aw, size_t n, const Fp4& others, Fp4& sum, std::span<Fp> aux) {
  const Fp4 forged = -others;
  const Fp4 step = air::logup_aux_publics(forged - sum, n)[air::kAuxPublicSumPerRow];
  Fp* col[4];
  for (int c = 0; c < 4; ++c) col[c] = aux.data() + (4 * (aw - 1) + c) * n;
  for (size_t r = 0; r < n; ++r) {
    const Fp4 v =
        Fp4(col[0][r], col[1][r], col[2][r], col[3][r]) - step * Fp::from_u32(uint32_t(r));
    for (int c = 0; c < 4; ++c) col[c][r] = v[c];
  }
  sum = forged;
}

// Per-table state while proving.
struct TableState {
  uint32_t log_n = 0, log_d = 0;
  size_t n = 0, lde_n = 0;
  FpBuffer aux_trace;                          // 4 base columns per aux column
  std::vector<std::vector<Fp4>> chunk_coeffs;  // per chunk: n coefficients (Fp4)
  // Host backends: the LDEs as coset blocks, some maybe recomputed on demand (lde_blocks.hpp),
  // and the buffers recomputed blocks land in.
  LdeBlocks main_blocks, aux_blocks, quotient_blocks;
  std::vector<Fp> quotient_coeffs;  // 4 * D base columns of n coefficients: quotient_blocks' source
  FpBuffer main_scratch, aux_scratch, quotient_scratch;
  std::vector<Fp> pre_scratch;
  // OpenCL pipeline: the LDEs live on the device (the host vectors above stay empty); their
  // host mirrors, which the Merkle trees view, are filled only where the query phase opens them.
  DeviceMatrix main_dev, pre_dev, aux_dev, quotient_dev;
  HostMirror<Fp> main_mirror, aux_mirror, quotient_mirror;
};

// Block k (n rows) of a column-major LDE of `width` columns of B n rows, copied to `out`.
const Fp* copy_block(const std::vector<Fp>& lde, size_t width, size_t n, size_t k,
                     std::vector<Fp>& out) {
  out.resize(width * n);
  const size_t lde_n = lde.size() / width;
  for (size_t c = 0; c < width; ++c) {
    std::memcpy(out.data() + c * n, lde.data() + c * lde_n + k * n, n * sizeof(Fp));
  }
  return out.data();
}

// A device LDE and the host matrix its Merkle tree views.
struct DeviceCommitted {
  const DeviceMatrix* dev;
  std::span<Fp> host;
};

// Before opening `tree` at leaf indices `idx`: reads back the row blocks the openings touch.
Status fetch_opened_rows(const MerkleTree& tree, std::span<const DeviceCommitted> mats,
                         std::span<const size_t> idx) {
  for (const DeviceCommitted& m : mats) {
    const uint32_t log_rows = uint32_t(std::countr_zero(m.dev->rows));
    std::vector<size_t> rows(idx.size());
    for (size_t q = 0; q < idx.size(); ++q) rows[q] = idx[q] >> (tree.log_height() - log_rows);
    EFAAS_RETURN_IF_ERROR(fetch_rows(*m.dev, rows, tree.first_stored_level(), m.host));
  }
  return Status::ok();
}

}  // namespace

Result<VerifyingKey> stark_verifying_key(const air::MachineAir& machine,
                                         std::vector<std::vector<Fp>> pre_traces,
                                         const FriParams& params) {
  StarkConfig cfg;
  auto pk = stark_setup(machine, std::move(pre_traces), params, cfg);
  if (!pk) return pk.status();
  return pk->vk;
}

Result<ProvingKey> stark_setup(const air::MachineAir& machine,
                               std::vector<std::vector<Fp>> pre_traces, const FriParams& params,
                               const StarkConfig& cfg) {
  EFAAS_RETURN_IF_ERROR(validate(params));
  if (pre_traces.size() != machine.tables.size()) {
    return invalid_argument("setup: " + std::to_string(pre_traces.size()) +
                            " preprocessed traces for " + std::to_string(machine.tables.size()) +
                            " tables");
  }
  ProvingKey pk;
  pk.vk.machine = machine.name;
  pk.vk.params = params;
  pk.pre_ldes.resize(machine.tables.size());
  std::vector<MatrixView> views;
  for (size_t t = 0; t < machine.tables.size(); ++t) {
    const air::TableAir& table = machine.tables[t];
    const size_t width = table.pre_width();
    if (width == 0) {
      if (!pre_traces[t].empty()) {
        return invalid_argument("setup: table " + table.name() + " has no fixed columns");
      }
      pk.vk.pre_log_heights.push_back(-1);
      continue;
    }
    const size_t n = pre_traces[t].size() / width;
    if (n == 0 || n * width != pre_traces[t].size() || (n & (n - 1)) != 0) {
      return invalid_argument("setup: table " + table.name() +
                              ": fixed columns must be " + std::to_string(width) +
                              " columns of a power-of-two height");
    }
    const uint32_t log_n = uint32_t(std::countr_zero(n));
    if (log_n < params.log_final_poly_len || log_n + params.log_blowup > kMaxLogNtt) {
      return invalid_argument("setup: table " + table.name() + " height 2^" +
                              std::to_string(log_n) + " outside the supported range");
    }
    pk.vk.pre_log_heights.push_back(int32_t(log_n));
    auto l = lde_columns(pre_traces[t], width, params.log_blowup, cfg);
    if (!l) return l.status();
    pk.pre_ldes[t] = std::move(*l);
    const size_t lde_n = n << params.log_blowup;
    views.push_back({pk.pre_ldes[t].data(), lde_n, width, Layout::kColMajor});
    pk.vk.pre_dims.push_back({lde_n, width});
  }
  if (!views.empty()) {
    auto tree = MerkleTree::build(
        views, HashConfig{cfg.backend, cfg.threads, cfg.opencl_device, params.merkle_hash});
    if (!tree) return tree.status();
    pk.vk.pre_root = tree->root();
    pk.pre_tree = std::move(*tree);
  }
  pk.pre_traces = std::move(pre_traces);
  return pk;
}

Result<StarkProof> stark_prove(const air::MachineAir& machine, const ProvingKey& pk,
                               const MachineWitness& witness, const StarkConfig& cfg,
                               StarkTimings* timings) {
  const FriParams& params = pk.vk.params;
  EFAAS_RETURN_IF_ERROR(validate(params));
  const size_t T = machine.tables.size();
  if (witness.main.size() != T) {
    return invalid_argument("prove: witness has " + std::to_string(witness.main.size()) +
                            " tables, machine " + std::to_string(T));
  }
  if (witness.publics.size() != machine.num_publics) {
    return invalid_argument("prove: " + std::to_string(witness.publics.size()) +
                            " public inputs, machine expects " +
                            std::to_string(machine.num_publics));
  }
  StarkTimings tm;
  Stopwatch total;
  ThreadPool& pool = ThreadPool::with_threads(cfg.threads);
  const Fp shift = fri_domain_shift();
  const uint32_t log_b = params.log_blowup;
  std::vector<TableState> st(T);
  StarkProof proof;
  proof.params = params;
  proof.publics = witness.publics;
  bool any_logup = false;
  for (size_t t = 0; t < T; ++t) {
    const air::TableAir& table = machine.tables[t];
    if (!table.finalized()) return invalid_argument("prove: table " + table.name() + " not finalized");
    if (table.main_width() == 0) return invalid_argument("prove: table " + table.name() + " has no columns");
    const size_t width = table.main_width();
    const size_t n = witness.main[t].size() / width;
    if (n == 0 || n * width != witness.main[t].size() || (n & (n - 1)) != 0) {
      return invalid_argument("prove: table " + table.name() + ": main trace of " +
                              std::to_string(witness.main[t].size()) + " elements is not " +
                              std::to_string(width) + " columns of a power-of-two height");
    }
    st[t].log_n = uint32_t(std::countr_zero(n));
    st[t].n = n;
    st[t].lde_n = n << log_b;
    if (st[t].log_n < params.log_final_poly_len || st[t].log_n + log_b > kMaxLogNtt) {
      return invalid_argument("prove: table " + table.name() + " height 2^" +
                              std::to_string(st[t].log_n) + " outside 2^" +
                              std::to_string(params.log_final_poly_len) + "..2^" +
                              std::to_string(kMaxLogNtt - log_b));
    }
    if (pk.vk.pre_log_heights[t] >= 0 && uint32_t(pk.vk.pre_log_heights[t]) != st[t].log_n) {
      return invalid_argument("prove: table " + table.name() + " must have 2^" +
                              std::to_string(pk.vk.pre_log_heights[t]) + " rows (fixed columns)");
    }
    st[t].log_d = log_quotient_chunks(table);
    if (st[t].log_d > log_b) {
      return invalid_argument("prove: table " + table.name() + " has constraint degree " +
                              std::to_string(table.max_degree()) + ", too high for blowup 2^" +
                              std::to_string(log_b));
    }
    any_logup |= table.uses_logup();
    proof.log_heights.push_back(st[t].log_n);
  }
  Transcript tr;
  observe_header(tr, machine, params, proof.log_heights, proof.publics);
  observe_public_interactions(tr, witness.public_interactions);
  if (pk.vk.pre_root) tr.observe(*pk.vk.pre_root);
  const HashConfig hcfg{cfg.backend, cfg.threads, cfg.opencl_device, params.merkle_hash};
  // OpenCL keeps the LDEs on the device between stages (stark_opencl.hpp).
  Result<Backend> backend = resolve_backend(cfg.backend);
  if (!backend) return backend.status();
  // AVX2 column kernels for the constraint evaluation and DEEP sums (identical results).
  const bool simd = *backend == Backend::kAvx2;
  const air::ColumnKernels& kern = air::column_kernels(simd);
  OpenClDevice* dev = nullptr;
  if (*backend == Backend::kOpenCl) {
    Result<OpenClDevice*> d = OpenClDevice::get(hcfg.opencl_device);
    if (!d) return d.status();
    dev = *d;
  }
  std::vector<DeviceCommitted> main_dev, aux_dev, quotient_dev;
  // Commits host views, hashing the device copies when the LDEs live there.
  auto commit = [&](std::vector<MatrixView> views, const std::vector<DeviceCommitted>& on_dev) {
    if (dev == nullptr) return MerkleTree::build(std::move(views), hcfg);
    std::vector<OpenClMatrix> copies;
    for (const DeviceCommitted& m : on_dev) copies.push_back(m.dev->view());
    return MerkleTree::build_with_device_copies(std::move(views), std::move(copies), hcfg);
  };

  // Host backends: which LDEs stay resident under the memory budget (3 per table: main, aux,
  // quotient), planned up front from the shapes.
  const size_t B = size_t(1) << log_b;
  NttConfig ncfg;
  ncfg.backend = *backend;
  ncfg.threads = cfg.threads;
  ncfg.opencl_device = cfg.opencl_device;
  std::vector<LdeResidency> plan(3 * T);
  if (dev == nullptr) {
    std::vector<LdeShape> shapes(3 * T);
    for (size_t t = 0; t < T; ++t) {
      const air::TableAir& table = machine.tables[t];
      const size_t D = size_t(1) << st[t].log_d;
      shapes[3 * t] = {st[t].n * table.main_width() * sizeof(Fp), true, D};
      if (table.uses_logup()) {
        shapes[3 * t + 1] = {st[t].n * 4 * table.aux_width() * sizeof(Fp), true, D};
      }
      shapes[3 * t + 2] = {st[t].n * 4 * D * sizeof(Fp), false, 0};
    }
    plan = plan_residency(shapes, B, cfg.max_lde_bytes);
  }
  // Recomputed blocks land in per-table scratch buffers, released after each pass so that a
  // pass holds only the blocks it reads.
  // `keep_scratch`: the main and auxiliary scratch stay, holding the block the commitment ended
  // on (block 0, which the quotient pass reads first); they are within the plan's budget.
  auto release_scratch = [&](bool keep_scratch = false) {
    for (TableState& s : st) {
      if (!keep_scratch) {
        s.main_scratch = FpBuffer();
        s.aux_scratch = FpBuffer();
        s.main_blocks.scratch_released();
        s.aux_blocks.scratch_released();
      }
      s.quotient_scratch = FpBuffer();
      s.quotient_blocks.scratch_released();
      std::vector<Fp>().swap(s.pre_scratch);
    }
  };
  // A tree over a streamed LDE stores fewer digest levels (2^-4 of its leaves instead of about
  // half for wide matrices: 120 MB less for a 2^22-leaf tree): an opening rehashes 16 rows of a
  // block it recomputes anyway. Resident trees keep the automatic choice.
  auto unstored = [&](int kind) {
    for (const TableState& s : st) {
      const LdeBlocks& l = kind == 0 ? s.main_blocks : kind == 1 ? s.aux_blocks : s.quotient_blocks;
      if (l.width() > 0 && l.streamed()) return 4;
    }
    return -1;
  };
  // While a windowed tree opens: its leaf indices and shape. The sources below then compute a
  // streamed block at the rows the opening reads only: the 2^first_stored_level leaf groups of
  // the indices (the levels below the stored ones are rehashed from them), in each matrix's rows.
  struct Opening {
    const std::vector<size_t>* leaves = nullptr;
    uint32_t log_height = 0, first_stored = 0;
  } opening;
  std::vector<size_t> opened_rows;
  auto block_of = [&](const LdeBlocks& l, size_t w, FpBuffer& scratch) -> Result<const Fp*> {
    if (opening.leaves == nullptr) return l.block(w, scratch);
    const uint32_t log_rows = uint32_t(std::countr_zero(l.rows() * l.blocks()));
    const uint32_t down = opening.log_height - log_rows;
    const size_t group = size_t(1) << opening.first_stored;
    opened_rows.clear();
    for (size_t leaf : *opening.leaves) {
      const size_t lo = leaf & ~(group - 1);
      for (size_t r = lo >> down; r <= (lo + group - 1) >> down; ++r) {
        if (r / l.rows() == w) opened_rows.push_back(r - w * l.rows());
      }
    }
    std::sort(opened_rows.begin(), opened_rows.end());
    opened_rows.erase(std::unique(opened_rows.begin(), opened_rows.end()), opened_rows.end());
    return l.block_rows(w, scratch, opened_rows);
  };
  auto lde_blocks = [&](std::span<const Fp> source, bool is_coeffs, size_t width, size_t t,
                        int kind) {
    return LdeBlocks::create(source, is_coeffs, width, st[t].log_n, log_b, plan[3 * t + kind],
                             ncfg);
  };

  // 1. Main traces: LDE and commitment.
  report(cfg, "trace_lde", 0.0);
  Stopwatch sw;
  std::vector<MatrixView> main_views;  // OpenCL: the host mirrors
  std::vector<MatrixDims> main_dims;
  for (size_t t = 0; t < T; ++t) {
    const size_t width = machine.tables[t].main_width();
    if (dev != nullptr) {
      auto m = opencl_trace_lde(*dev, witness.main[t], width, st[t].log_n, log_b);
      if (!m) return m.status();
      st[t].main_dev = std::move(*m);
      auto mirror = HostMirror<Fp>::allocate(st[t].lde_n * width);
      if (!mirror) return mirror.status();
      st[t].main_mirror = std::move(*mirror);
      main_dev.push_back({&st[t].main_dev, st[t].main_mirror.span()});
      if (machine.tables[t].pre_width() > 0) {
        auto p = opencl_trace_lde(*dev, pk.pre_traces[t], machine.tables[t].pre_width(),
                                  st[t].log_n, log_b);
        if (!p) return p.status();
        st[t].pre_dev = std::move(*p);
      }
      main_views.push_back({st[t].main_mirror.data(), st[t].lde_n, width, Layout::kColMajor});
    } else {
      auto l = lde_blocks(witness.main[t], false, width, t, 0);
      if (!l) return l.status();
      st[t].main_blocks = std::move(*l);
    }
    main_dims.push_back({st[t].lde_n, width});
  }
  if (dev != nullptr) EFAAS_RETURN_IF_ERROR(dev->finish());  // time the LDEs, not their enqueueing
  tm.trace_lde = sw.seconds();
  EFAAS_RETURN_IF_ERROR(check_cancel(cfg));
  report(cfg, "trace_commit", 0.15);
  sw.reset();
  // Host: one Merkle window per coset block, so a streamed LDE is computed a block at a time.
  auto main_source = [&](size_t w, std::vector<MatrixView>& v) -> Status {
    for (size_t t = 0; t < T; ++t) {
      auto b = block_of(st[t].main_blocks, w, st[t].main_scratch);
      if (!b) return b.status();
      v.push_back({*b, st[t].n, machine.tables[t].main_width(), Layout::kColMajor});
    }
    return Status::ok();
  };
  auto main_tree = dev != nullptr ? commit(main_views, main_dev)
                                  : MerkleTree::build_windowed(main_dims, B, main_source, hcfg,
                                                               unstored(0));
  if (!main_tree) return main_tree.status();
  proof.main_root = main_tree->root();
  tr.observe(proof.main_root);
  release_scratch(/*keep_scratch=*/true);
  tm.trace_commit = sw.seconds();
  EFAAS_RETURN_IF_ERROR(check_cancel(cfg));

  // 2. LogUp auxiliary traces.
  report(cfg, "logup", 0.3);
  sw.reset();
  std::vector<Fp4> challenges(air::kNumChallenges, Fp4::zero());
  proof.aux_sums.assign(T, Fp4::zero());
  std::optional<MerkleTree> aux_tree;
  // Exact selectors and next-row indices on the trace domain (natural order), for the aux
  // trace's expressions and the witness check.
  auto trace_domain = [&](size_t t) {
    const size_t n = st[t].n;
    DomainRows d;
    d.next.resize(n);
    d.first.assign(n, Fp::zero());
    d.last.assign(n, Fp::zero());
    d.trans.assign(n, Fp::one());
    for (size_t i = 0; i < n; ++i) d.next[i] = uint32_t((i + 1) & (n - 1));
    d.first[0] = Fp::one();
    d.last[n - 1] = Fp::one();
    d.trans[n - 1] = Fp::zero();
    return d;
  };
  if (!any_logup && !witness.public_interactions.empty()) {
    return invalid_argument("prove: public interactions, but no table has a LogUp bus");
  }
  Fp4 public_sum = Fp4::zero();
  auto aux_source = [&](size_t w, std::vector<MatrixView>& v) -> Status {
    for (size_t t = 0; t < T; ++t) {
      if (!machine.tables[t].uses_logup()) continue;
      auto b = block_of(st[t].aux_blocks, w, st[t].aux_scratch);
      if (!b) return b.status();
      v.push_back({*b, st[t].n, 4 * machine.tables[t].aux_width(), Layout::kColMajor});
    }
    return Status::ok();
  };
  if (any_logup) {
    challenges[air::kChallengeAlpha] = tr.sample_ext();
    challenges[air::kChallengeBeta] = tr.sample_ext();
    auto ps = public_logup_sum(witness.public_interactions, challenges[air::kChallengeAlpha],
                               challenges[air::kChallengeBeta]);
    if (!ps) return invalid_argument("prove: " + ps.status().message());
    public_sum = *ps;
    std::vector<MatrixView> aux_views;
    std::vector<MatrixDims> aux_dims;
    size_t last_logup = 0;
    for (size_t t = 0; t < T; ++t) {
      if (machine.tables[t].uses_logup()) last_logup = t;
    }
    for (size_t t = 0; t < T; ++t) {
      const air::TableAir& table = machine.tables[t];
      if (!table.uses_logup()) continue;
      const size_t n = st[t].n;
      const DomainRows rows = trace_domain(t);
      const air::DomainSource src = domain_source(witness.main[t], pk.pre_traces[t], {}, n, rows,
                                                  challenges, witness.publics, {}, simd);
      const size_t aw = table.aux_width();
      auto aux_or = logup_aux_trace(table, src, n, challenges, kern, pool);
      if (!aux_or) return aux_or.status();
      FpBuffer aux = std::move(aux_or->first);
      proof.aux_sums[t] = aux_or->second;
      if (cfg.forge_logup_balance_for_testing && t == last_logup) {
        Fp4 others = public_sum;
        for (size_t u = 0; u < t; ++u) others += proof.aux_sums[u];
        forge_logup_balance(aw, n, others, proof.aux_sums[t], aux.span());
      }
      if (dev != nullptr) {
        auto m = opencl_trace_lde(*dev, aux.span(), 4 * aw, st[t].log_n, log_b);
        if (!m) return m.status();
        st[t].aux_dev = std::move(*m);
        auto mirror = HostMirror<Fp>::allocate(st[t].lde_n * 4 * aw);
        if (!mirror) return mirror.status();
        st[t].aux_mirror = std::move(*mirror);
        aux_dev.push_back({&st[t].aux_dev, st[t].aux_mirror.span()});
        aux_views.push_back({st[t].aux_mirror.data(), st[t].lde_n, 4 * aw, Layout::kColMajor});
      }
      st[t].aux_trace = std::move(aux);
      if (dev == nullptr) {
        // The aux trace stays (out-of-domain openings): a streamed LDE recomputes from it.
        auto l = lde_blocks(st[t].aux_trace.span(), false, 4 * aw, t, 1);
        if (!l) return l.status();
        st[t].aux_blocks = std::move(*l);
      }
      aux_dims.push_back({st[t].lde_n, 4 * aw});
    }
    auto tree = dev != nullptr ? commit(aux_views, aux_dev)
                               : MerkleTree::build_windowed(aux_dims, B, aux_source, hcfg,
                                                            unstored(1));
    if (!tree) return tree.status();
    proof.aux_root = tree->root();
    aux_tree = std::move(*tree);
    tr.observe(*proof.aux_root);
    release_scratch(/*keep_scratch=*/true);
    for (const Fp4& s : proof.aux_sums) tr.observe(s);
  }
  tm.aux = sw.seconds();

  // The prover's own checks: every constraint on every row, and the LogUp balance.
  if (cfg.check_witness) {
    Fp4 total_sum = public_sum;
    for (size_t t = 0; t < T; ++t) {
      const air::TableAir& table = machine.tables[t];
      const DomainRows rows = trace_domain(t);
      const auto aux_publics = air::logup_aux_publics(proof.aux_sums[t], st[t].n);
      const air::DomainSource src =
          domain_source(witness.main[t], pk.pre_traces[t], st[t].aux_trace.span(), st[t].n, rows,
                        challenges, witness.publics, aux_publics, simd);
      // Chunks in parallel; the first violation is the one at the lowest row.
      std::optional<air::Violation> v;
      std::mutex mu;
      pool.parallel_for(st[t].n, 4096, [&](size_t b, size_t e) {
        auto found = air::first_violation(table, src, b, e);
        if (!found) return;
        std::lock_guard lock(mu);
        if (!v || found->row < v->row) v = found;
      });
      if (v) {
        return invalid_argument("prove: the witness violates constraint " +
                                std::to_string(v->constraint) + " of table " + table.name() +
                                " at row " + std::to_string(v->row));
      }
      total_sum += proof.aux_sums[t];
    }
    if (!total_sum.is_zero()) {
      return invalid_argument("prove: the LogUp buses do not balance (a lookup of a value "
                              "outside its table, or unmatched sends and receives)");
    }
  }
  EFAAS_RETURN_IF_ERROR(check_cancel(cfg));

  // 3. Quotients.
  report(cfg, "quotient", 0.4);
  sw.reset();
  const Fp4 alpha = tr.sample_ext();
  std::vector<MatrixView> q_views;
  std::vector<MatrixDims> q_dims;
  for (size_t t = 0; t < T; ++t) {
    const air::TableAir& table = machine.tables[t];
    TableState& s = st[t];
    const uint32_t log_qn = s.log_n + s.log_d;
    const size_t qn = size_t(1) << log_qn, D = size_t(1) << s.log_d;
    const Fp g_inv = Fp::two_adic_generator(s.log_n).inverse();
    const Fp wq = Fp::two_adic_generator(log_qn);
    // Points x_i = shift * wq^bitrev(i) of the quotient domain (a prefix of the LDE order).
    std::vector<Fp> x(qn);
    {
      std::vector<Fp> pw(qn);
      pool.parallel_for(qn, 4096, [&](size_t b, size_t e) {
        Fp p = shift * wq.pow(b);
        for (size_t j = b; j < e; ++j, p *= wq) pw[j] = p;
      });
      pool.parallel_for(qn, 4096, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) x[i] = pw[bitrev(i, log_qn)];
      });
    }
    const auto aux_publics = air::logup_aux_publics(proof.aux_sums[t], s.n);
    // Next rows within a coset block (the same map in every block); the device kernel computes
    // its own over the whole domain.
    std::vector<uint32_t> next;
    if (dev == nullptr) {
      next.resize(s.n);
      for (size_t j = 0; j < s.n; ++j) {
        next[j] = uint32_t(bitrev((bitrev(j, s.log_n) + 1) & (s.n - 1), s.log_n));
      }
    }
    // Z_H(x_i) = shift^n wD^(bitrev(i) mod D) - 1 takes D values.
    const Fp shift_n = shift.pow(s.n);
    const Fp wD = Fp::two_adic_generator(s.log_d);
    std::vector<Fp> zh_of(D), zh_inv_of(D);
    for (size_t j = 0; j < D; ++j) zh_of[j] = shift_n * wD.pow(j) - Fp::one();
    EFAAS_RETURN_IF_ERROR(batch_inverse(zh_of, zh_inv_of));
    std::vector<Fp> first(qn), last(qn), trans(qn);
    const Fp n_inv = Fp::from_u64(s.n).inverse();
    auto zh_index = [&](size_t i) { return bitrev(i, log_qn) & (D - 1); };
    {
      // Row chunks in parallel, one batch inversion of x - 1 and x - g^-1 per chunk (the
      // quotient domain is a coset of a larger group: neither vanishes on it).
      std::mutex mu;
      Status inv_status;
      pool.parallel_for(qn, 4096, [&](size_t b, size_t e) {
        std::vector<Fp> inv(2 * (e - b));
        for (size_t i = b; i < e; ++i) {
          inv[i - b] = x[i] - Fp::one();
          inv[e - b + i - b] = x[i] - g_inv;
        }
        if (Status st_inv = batch_inverse(inv, inv); !st_inv) {
          std::lock_guard lock(mu);
          inv_status = st_inv;
          return;
        }
        for (size_t i = b; i < e; ++i) {
          const Fp zh = zh_of[zh_index(i)];
          first[i] = zh * inv[i - b] * n_inv;
          last[i] = zh * inv[e - b + i - b] * (n_inv * g_inv);
          trans[i] = x[i] - g_inv;
        }
      });
      EFAAS_RETURN_IF_ERROR(inv_status);
    }
    // Freed before the big buffers below: the quotient stage's peak is what streaming bounds.
    std::vector<Fp>().swap(x);
    if (dev != nullptr) {
      QuotientEvalArgs args;
      args.main = &s.main_dev;
      args.pre = table.pre_width() > 0 ? &s.pre_dev : nullptr;
      args.aux = table.uses_logup() ? &s.aux_dev : nullptr;
      args.log_qn = log_qn;
      args.log_d = s.log_d;
      args.is_first = first;
      args.is_last = last;
      args.is_transition = trans;
      args.zh_inv = zh_inv_of;
      args.challenges = challenges;
      args.publics = witness.publics;
      args.aux_publics = aux_publics;
      args.alpha = alpha;
      auto values = opencl_quotient_values(*dev, table, args);
      if (!values) return values.status();
      EFAAS_RETURN_IF_ERROR(opencl_quotient_chunks(*dev, *values, s.log_n, s.log_d, log_b,
                                                   s.chunk_coeffs, s.quotient_dev));
      auto mirror = HostMirror<Fp>::allocate(s.lde_n * 4 * D);
      if (!mirror) return mirror.status();
      s.quotient_mirror = std::move(*mirror);
      quotient_dev.push_back({&s.quotient_dev, s.quotient_mirror.span()});
      q_views.push_back({s.quotient_mirror.data(), s.lde_n, 4 * D, Layout::kColMajor});
      q_dims.push_back({s.lde_n, 4 * D});
      continue;
    }
    // The quotient domain is the LDE's first D coset blocks: evaluated a block at a time.
    std::vector<Fp4> q(qn);
    for (size_t k = 0; k < D; ++k) {
      auto main_b = s.main_blocks.block(k, s.main_scratch);
      if (!main_b) return main_b.status();
      const Fp* aux_b = nullptr;
      if (table.uses_logup()) {
        auto a = s.aux_blocks.block(k, s.aux_scratch);
        if (!a) return a.status();
        aux_b = *a;
      }
      const Fp* pre_b = table.pre_width() > 0
                            ? copy_block(pk.pre_ldes[t], table.pre_width(), s.n, k, s.pre_scratch)
                            : nullptr;
      air::DomainSource src;
      src.main = *main_b;
      src.pre = pre_b;
      src.aux = aux_b;
      src.stride = s.n;
      src.next = next.data();
      src.is_first = first.data() + k * s.n;
      src.is_last = last.data() + k * s.n;
      src.is_transition = trans.data() + k * s.n;
      src.challenges = challenges;
      src.publics = witness.publics;
      src.aux_publics = aux_publics;
      src.simd = simd;
      Fp4* qk = q.data() + k * s.n;
      pool.parallel_for(s.n, 2048, [&](size_t b, size_t e) {
        air::eval_folded(table, src, b, e, alpha, qk + b);
        for (size_t i = b; i < e; ++i) qk[i] = qk[i] * zh_inv_of[zh_index(k * s.n + i)];
      });
    }
    // This table's scratch; the others still hold the block their commitment ended on.
    s.main_scratch = FpBuffer();
    s.aux_scratch = FpBuffer();
    s.main_blocks.scratch_released();
    s.aux_blocks.scratch_released();
    std::vector<Fp>().swap(s.pre_scratch);
    // Coefficients of Q, split into D chunks of degree < n, each extended to the LDE domain.
    std::vector<Fp>().swap(first);
    std::vector<Fp>().swap(last);
    std::vector<Fp>().swap(trans);
    std::vector<Fp> coords(4 * qn);
    pool.parallel_for(qn, 4096, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        for (int c = 0; c < 4; ++c) coords[c * qn + i] = q[i][c];
      }
    });
    std::vector<Fp4>().swap(q);
    NttConfig ncfg;
    ncfg.backend = cfg.backend;
    ncfg.threads = cfg.threads;
    ncfg.opencl_device = cfg.opencl_device;
    ncfg.input_order = Order::kBitReversed;
    ncfg.output_order = Order::kNatural;
    EFAAS_RETURN_IF_ERROR(coset_intt(coords, 4, shift, ncfg));
    s.chunk_coeffs.assign(D, std::vector<Fp4>(s.n));
    s.quotient_coeffs.resize(4 * D * s.n);
    for (size_t j = 0; j < D; ++j) {
      pool.parallel_for(s.n, 4096, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) {
          Fp4 c(coords[j * s.n + i], coords[qn + j * s.n + i], coords[2 * qn + j * s.n + i],
                coords[3 * qn + j * s.n + i]);
          s.chunk_coeffs[j][i] = c;
          for (int k = 0; k < 4; ++k) s.quotient_coeffs[(4 * j + k) * s.n + i] = c[k];
        }
      });
    }
    std::vector<Fp>().swap(coords);
    auto l = lde_blocks(s.quotient_coeffs, true, 4 * D, t, 2);
    if (!l) return l.status();
    s.quotient_blocks = std::move(*l);
    if (!s.quotient_blocks.streamed()) {
      s.quotient_coeffs.clear();
      s.quotient_coeffs.shrink_to_fit();
    }
    q_dims.push_back({s.lde_n, 4 * D});
  }
  auto q_source = [&](size_t w, std::vector<MatrixView>& v) -> Status {
    for (size_t t = 0; t < T; ++t) {
      auto b = block_of(st[t].quotient_blocks, w, st[t].quotient_scratch);
      if (!b) return b.status();
      v.push_back({*b, st[t].n, st[t].quotient_blocks.width(), Layout::kColMajor});
    }
    return Status::ok();
  };
  auto q_tree = dev != nullptr ? commit(q_views, quotient_dev)
                               : MerkleTree::build_windowed(q_dims, B, q_source, hcfg,
                                                            unstored(2));
  if (!q_tree) return q_tree.status();
  proof.quotient_root = q_tree->root();
  tr.observe(proof.quotient_root);
  release_scratch();
  tm.quotient = sw.seconds();
  EFAAS_RETURN_IF_ERROR(check_cancel(cfg));

  // 4. Out-of-domain openings.
  report(cfg, "ood", 0.6);
  sw.reset();
  const Fp4 z = tr.sample_ext();
  proof.openings.resize(T);
  std::vector<NextColumns> next_cols(T);
  for (size_t t = 0; t < T; ++t) next_cols[t] = next_columns(machine.tables[t]);
  for (size_t t = 0; t < T; ++t) {
    const air::TableAir& table = machine.tables[t];
    TableState& s = st[t];
    TableOpenings& o = proof.openings[t];
    // Every trace column at z and g z against one weight array: row chunks in parallel (their
    // weights stay in cache across the columns), each column a base x Fp4 dot product.
    const Barycentric bz = barycentric(z, s.log_n, pool);
    std::vector<const Fp*> cols;
    auto add_cols = [&](std::span<const Fp> m, size_t width) {
      for (size_t c = 0; c < width; ++c) cols.push_back(m.data() + c * s.n);
    };
    add_cols(witness.main[t], table.main_width());
    if (table.pre_width() > 0) add_cols(pk.pre_traces[t], table.pre_width());
    if (table.uses_logup()) add_cols(s.aux_trace.span(), 4 * table.aux_width());
    constexpr size_t kOodRows = 4096;
    const size_t chunks = (s.n + kOodRows - 1) / kOodRows, K = cols.size();
    std::vector<Fp4> part(chunks * 2 * K);
    pool.parallel_for(chunks, 1, [&](size_t b, size_t e) {
      for (size_t ch = b; ch < e; ++ch) {
        const size_t r0 = ch * kOodRows, len = std::min(kOodRows, s.n - r0);
        for (size_t k = 0; k < K; ++k) {
          part[(ch * K + k) * 2] = kern.dot(cols[k] + r0, bz.at_x(r0), len);
          part[(ch * K + k) * 2 + 1] = kern.dot(cols[k] + r0, bz.at_gx(r0), len);
        }
      }
    });
    std::vector<Fp4> at_z(K, Fp4::zero()), at_zg(K, Fp4::zero());
    for (size_t ch = 0; ch < chunks; ++ch) {
      for (size_t k = 0; k < K; ++k) {
        at_z[k] += part[(ch * K + k) * 2];
        at_zg[k] += part[(ch * K + k) * 2 + 1];
      }
    }
    size_t next_col = 0;
    // At g z only the columns the constraints read there (next_columns).
    const NextColumns& nx = next_cols[t];
    auto take = [&](size_t width, std::vector<Fp4>& vz, std::vector<Fp4>& vzg,
                    const std::vector<uint32_t>& at_next) {
      vz.resize(width);
      for (size_t c = 0; c < width; ++c) vz[c] = at_z[next_col + c] * bz.scale;
      vzg.clear();
      for (uint32_t c : at_next) vzg.push_back(at_zg[next_col + c] * bz.scale);
      next_col += width;
    };
    take(table.main_width(), o.main, o.main_next, nx.main);
    if (table.pre_width() > 0) take(table.pre_width(), o.pre, o.pre_next, nx.pre);
    if (table.uses_logup()) take(4 * table.aux_width(), o.aux, o.aux_next, nx.aux);
    // Quotient chunks from their coefficients: sum_i c_i z^i, each coordinate a dot product
    // with the powers of z, in row chunks like the columns above.
    const size_t QK = 4 * s.chunk_coeffs.size();
    std::vector<Fp4> qpart(chunks * QK);
    pool.parallel_for(chunks, 1, [&](size_t b, size_t e) {
      std::vector<Fp> zp[4], coef(kOodRows);
      for (auto& v : zp) v.resize(kOodRows);
      for (size_t ch = b; ch < e; ++ch) {
        const size_t r0 = ch * kOodRows, len = std::min(kOodRows, s.n - r0);
        Fp4 p = z.pow(r0);
        for (size_t i = 0; i < len; ++i, p *= z) {
          for (int c = 0; c < 4; ++c) zp[c][i] = p[c];
        }
        const air::ExtCols zc{{zp[0].data(), zp[1].data(), zp[2].data(), zp[3].data()}};
        for (size_t k = 0; k < QK; ++k) {
          const Fp4* chunk = s.chunk_coeffs[k / 4].data() + r0;
          for (size_t i = 0; i < len; ++i) coef[i] = chunk[i][k % 4];
          qpart[ch * QK + k] = kern.dot(coef.data(), zc, len);
        }
      }
    });
    for (size_t k = 0; k < QK; ++k) {
      Fp4 acc = Fp4::zero();
      for (size_t ch = 0; ch < chunks; ++ch) acc += qpart[ch * QK + k];
      o.quotient.push_back(acc);
    }
    for (auto* v : {&o.main, &o.main_next, &o.pre, &o.pre_next, &o.aux, &o.aux_next, &o.quotient}) {
      for (const Fp4& x : *v) tr.observe(x);
    }
  }
  tm.ood = sw.seconds();
  EFAAS_RETURN_IF_ERROR(check_cancel(cfg));

  // 5. DEEP quotients, one FRI input per LDE height.
  report(cfg, "deep", 0.7);
  sw.reset();
  const Fp4 gamma = tr.sample_ext();
  std::map<uint32_t, std::vector<size_t>, std::greater<>> by_height;  // log LDE height -> tables
  for (size_t t = 0; t < T; ++t) by_height[st[t].log_n + log_b].push_back(t);
  std::vector<FriInput> inputs;
  std::vector<FriDeviceInput> dev_inputs;  // OpenCL: the DEEP quotients stay on the device
  Fp4 gamma_pow = Fp4::one();
  // Gamma powers are assigned in table order, so compute the coefficient lists first.
  enum Mat { kPre, kMain, kAux, kQuot };  // a table's committed matrices
  struct ColTerm {
    Mat mat;
    size_t col;
    Fp4 coeff;     // gamma power
    Fp4 value;     // claimed value
    bool next;     // at g z
  };
  std::vector<std::vector<ColTerm>> terms(T);
  std::vector<std::vector<DeepMatrixTerms>> dev_terms(T);  // the same coefficients, per matrix
  for (size_t t = 0; t < T; ++t) {
    const air::TableAir& table = machine.tables[t];
    const TableOpenings& o = proof.openings[t];
    // `at_zg[k]` is column `next[k]`'s value at g z; the other columns have no g z term.
    auto add_cols = [&](Mat mat, const DeviceMatrix* on_dev, size_t width,
                        const std::vector<Fp4>& at_z, const std::vector<Fp4>* at_zg,
                        const std::vector<uint32_t>* next) {
      DeepMatrixTerms dt{on_dev, std::vector<Fp4>(width, Fp4::zero()),
                         std::vector<Fp4>(width, Fp4::zero())};
      size_t k = 0;
      for (size_t c = 0; c < width; ++c) {
        gamma_pow *= gamma;
        terms[t].push_back({mat, c, gamma_pow, at_z[c], false});
        dt.coeff_z[c] = gamma_pow;
        if (at_zg && k < next->size() && (*next)[k] == c) {
          gamma_pow *= gamma;
          terms[t].push_back({mat, c, gamma_pow, (*at_zg)[k++], true});
          dt.coeff_zg[c] = gamma_pow;
        }
      }
      if (dev != nullptr) dev_terms[t].push_back(std::move(dt));
    };
    const NextColumns& nx = next_cols[t];
    if (table.pre_width() > 0) {
      add_cols(kPre, &st[t].pre_dev, table.pre_width(), o.pre, &o.pre_next, &nx.pre);
    }
    add_cols(kMain, &st[t].main_dev, table.main_width(), o.main, &o.main_next, &nx.main);
    if (table.uses_logup()) {
      add_cols(kAux, &st[t].aux_dev, 4 * table.aux_width(), o.aux, &o.aux_next, &nx.aux);
    }
    add_cols(kQuot, &st[t].quotient_dev, o.quotient.size(), o.quotient, nullptr, nullptr);
  }
  for (const auto& entry : by_height) {
    const uint32_t log_h = entry.first;
    const std::vector<size_t>& tables = entry.second;
    const size_t h = size_t(1) << log_h;
    const uint32_t log_n = log_h - log_b;
    const Fp g = Fp::two_adic_generator(log_n);
    if (dev != nullptr) {
      Fp4 const_z = Fp4::zero(), const_zg = Fp4::zero();
      std::vector<DeepMatrixTerms> mats;
      for (size_t t : tables) {
        for (const ColTerm& term : terms[t]) {
          (term.next ? const_zg : const_z) += term.coeff * term.value;
        }
        for (const DeepMatrixTerms& dt : dev_terms[t]) mats.push_back(dt);
      }
      auto evals = opencl_deep_quotient(*dev, mats, log_h, z, z * g, const_z, const_zg);
      if (!evals) return evals.status();
      dev_inputs.push_back({log_h, std::move(*evals)});
      continue;
    }
    // 1/(x_i - z) for the LDE points x_i = shift w^bitrev(i); then 1/(x_i - g z) =
    // g^-1 / (x_i / g - z), and x_i / g = shift w^(bitrev(i) - B) is another LDE point.
    std::vector<Fp4> inv_z(h);
    {
      const Fp w = Fp::two_adic_generator(log_h);
      std::vector<Fp> pw(h);
      pool.parallel_for(h, 4096, [&](size_t b, size_t e) {
        Fp p = shift * w.pow(b);
        for (size_t j = b; j < e; ++j, p *= w) pw[j] = p;
      });
      Status inv_status;
      std::mutex mu;
      pool.parallel_for(h, 4096, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) inv_z[i] = Fp4(pw[bitrev(i, log_h)]) - z;
        Status s = batch_inverse(std::span<const Fp4>(inv_z.data() + b, e - b),
                                 std::span<Fp4>(inv_z.data() + b, e - b));
        if (!s) {
          std::lock_guard lock(mu);
          inv_status = s;
        }
      });
      EFAAS_RETURN_IF_ERROR(inv_status);
    }
    const size_t blowup = size_t(1) << log_b;
    const Fp g_inv = g.inverse();
    FriInput in;
    in.log_height = log_h;
    in.evals.assign(h, Fp4::zero());
    Fp4 const_z = Fp4::zero(), const_zg = Fp4::zero();
    // A column opened at z and g z has coefficients gamma^k and gamma^(k+1): its g z sum is
    // gamma times its z sum, so each column is read and scaled once (base x Fp4), and the
    // columns are combined before the divisions.
    struct Scaled {
      size_t table;
      Mat mat;
      size_t col;
      Fp4 coeff;
    };
    std::vector<Scaled> with_next_terms, plain_terms;
    for (size_t t : tables) {
      const std::vector<ColTerm>& ts = terms[t];
      for (size_t k = 0; k < ts.size(); ++k) {
        (ts[k].next ? const_zg : const_z) += ts[k].coeff * ts[k].value;
        if (ts[k].next) continue;
        const bool paired = k + 1 < ts.size() && ts[k + 1].next && ts[k + 1].mat == ts[k].mat &&
                            ts[k + 1].col == ts[k].col && ts[k + 1].coeff == ts[k].coeff * gamma;
        if (!paired && k + 1 < ts.size() && ts[k + 1].next) {
          return internal_error("prove: DEEP coefficients out of order");
        }
        (paired ? with_next_terms : plain_terms).push_back({t, ts[k].mat, ts[k].col, ts[k].coeff});
      }
    }
    // The sums are linear in the columns, so they are formed where the columns are small: on
    // the trace domain H for the trace columns (n rows instead of B n) and on the coefficients
    // for the quotient chunks, then extended like any column (4 base columns each). The values
    // are exactly those of summing the LDE columns (field arithmetic is exact), and no LDE
    // block is read: streamed LDEs are not recomputed for DEEP.
    const size_t bn = h >> log_b;
    auto trace_col = [&](const Scaled& c) -> const Fp* {
      switch (c.mat) {
        case kPre: return pk.pre_traces[c.table].data() + c.col * bn;
        case kMain: return witness.main[c.table].data() + c.col * bn;
        case kAux: return st[c.table].aux_trace.data() + c.col * bn;
        default: return nullptr;
      }
    };
    // Columns 0-3: A's coordinates; 4-7: B - A from the trace columns opened only at z.
    FpBuffer sums(8 * h);  // zeroed in parallel (first touch of 32 h bytes)
    pool.parallel_for(8 * h, size_t(1) << 16, [&](size_t b, size_t e) {
      std::fill(sums.data() + b, sums.data() + e, Fp::zero());
    });
    {
      std::vector<const Scaled*> next_cols, plain_cols;  // the trace columns of each sum
      for (const Scaled& c : with_next_terms) next_cols.push_back(&c);
      for (const Scaled& c : plain_terms) {
        if (c.mat != kQuot) plain_cols.push_back(&c);
      }
      constexpr size_t kRows = 256;
      pool.parallel_for(bn, 2048, [&](size_t b, size_t e) {
        for (size_t r0 = b; r0 < e; r0 += kRows) {
          const size_t len = std::min(kRows, e - r0);
          const air::ExtColsOut A{{sums.data() + r0, sums.data() + h + r0,
                                   sums.data() + 2 * h + r0, sums.data() + 3 * h + r0}};
          const air::ExtColsOut P{{sums.data() + 4 * h + r0, sums.data() + 5 * h + r0,
                                   sums.data() + 6 * h + r0, sums.data() + 7 * h + r0}};
          // Two columns per kernel call (one reduction and accumulator pass for both).
          auto add_cols = [&](const std::vector<const Scaled*>& cs, air::ExtColsOut acc) {
            size_t k = 0;
            for (; k + 2 <= cs.size(); k += 2) {
              kern.mul_acc2(trace_col(*cs[k]) + r0, cs[k]->coeff, trace_col(*cs[k + 1]) + r0,
                            cs[k + 1]->coeff, acc, len);
            }
            if (k < cs.size()) kern.mul_acc(trace_col(*cs[k]) + r0, cs[k]->coeff, acc, len);
          };
          add_cols(next_cols, A);
          add_cols(plain_cols, P);
        }
      });
    }
    // To coefficients (the first bn entries of each column), then B = A + P + the quotient
    // chunks' combination, and both extended to the LDE coset in bit-reversed order.
    {
      std::vector<Fp> head(8 * bn);
      for (size_t c = 0; c < 8; ++c) {
        parallel_copy(head.data() + c * bn, sums.data() + c * h, bn, cfg.threads);
      }
      NttConfig icfg = ncfg;
      icfg.output_order = Order::kNatural;
      EFAAS_RETURN_IF_ERROR(intt(head, 8, icfg));
      std::vector<Fp4> qsum(bn, Fp4::zero());
      for (const Scaled& c : plain_terms) {
        if (c.mat != kQuot) continue;
        const std::vector<Fp4>& chunk = st[c.table].chunk_coeffs[c.col / 4];
        const int coord = int(c.col % 4);
        pool.parallel_for(bn, 4096, [&](size_t b, size_t e) {
          for (size_t i = b; i < e; ++i) qsum[i] += c.coeff * chunk[i][coord];
        });
      }
      // Rows bn.. of every column are still zero; the first bn are all overwritten here.
      pool.parallel_for(bn, 4096, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) {
          for (int c = 0; c < 4; ++c) {
            sums[c * h + i] = head[c * bn + i];
            sums[(4 + c) * h + i] = head[c * bn + i] + head[(4 + c) * bn + i] + qsum[i][c];
          }
        }
      });
      NttConfig ecfg = ncfg;
      ecfg.output_order = Order::kBitReversed;
      EFAAS_RETURN_IF_ERROR(coset_ntt(sums.span(), 8, shift, ecfg));
    }
    // evals = (B - const_z) / (x - z) + (A gamma - const_zg) g^-1 / (x / g - z), with the
    // column kernels on blocks of rows (the inverses transposed to coordinate arrays; g^-1
    // folded into the constants).
    const Fp4 gamma_g = gamma * g_inv, const_zg_g = const_zg * g_inv;
    pool.parallel_for(h, 4096, [&](size_t b, size_t e) {
      constexpr size_t kRows = 256;
      std::vector<Fp> buf(16 * kRows);
      auto cols = [&](size_t j) {
        Fp* p = buf.data() + 4 * j * kRows;
        return air::ExtColsOut{{p, p + kRows, p + 2 * kRows, p + 3 * kRows}};
      };
      auto in_cols = [](const air::ExtColsOut& o) {
        return air::ExtCols{{o.c[0], o.c[1], o.c[2], o.c[3]}};
      };
      const air::ExtColsOut iz = cols(0), izg = cols(1), u = cols(2), v = cols(3);
      for (size_t r0 = b; r0 < e; r0 += kRows) {
        const size_t len = std::min(kRows, e - r0);
        for (size_t r = 0; r < len; ++r) {
          const size_t i = r0 + r;
          const Fp4 x = inv_z[i];
          const Fp4 y = inv_z[bitrev((bitrev(i, log_h) + h - blowup) & (h - 1), log_h)];
          for (int c = 0; c < 4; ++c) {
            iz.c[c][r] = x[c];
            izg.c[c][r] = y[c];
            u.c[c][r] = -const_zg_g[c];
            v.c[c][r] = sums[(4 + c) * h + i] - const_z[c];
          }
        }
        const air::ExtCols a{{sums.data() + r0, sums.data() + h + r0, sums.data() + 2 * h + r0,
                              sums.data() + 3 * h + r0}};
        kern.ext_mul_acc(a, gamma_g, u, len);             // u = A gamma g^-1 - const_zg g^-1
        kern.ext_mul(in_cols(u), in_cols(izg), u, len);   // times 1 / (x / g - z)
        kern.ext_mul(in_cols(v), in_cols(iz), v, len);    // (B - const_z) / (x - z)
        for (size_t r = 0; r < len; ++r) {
          in.evals[r0 + r] = Fp4(v.c[0][r] + u.c[0][r], v.c[1][r] + u.c[1][r],
                                 v.c[2][r] + u.c[2][r], v.c[3][r] + u.c[3][r]);
        }
      }
    });
    inputs.push_back(std::move(in));
  }
  tm.deep = sw.seconds();
  EFAAS_RETURN_IF_ERROR(check_cancel(cfg));

  // 6. FRI, with the trace openings at its query indices.
  report(cfg, "fri", 0.8);
  sw.reset();
  const uint32_t log_max =
      dev != nullptr ? dev_inputs.front().log_height : inputs.front().log_height;
  Status open_status;
  auto open = [&](std::span<const size_t> indices) {
    // Windowed (host) trees recompute the blocks of streamed LDEs that hold opened rows.
    auto open_tree = [&](const MerkleTree& tree, MerkleBatchOpening& out,
                         const WindowSource& source = {}) {
      if (!open_status) return;
      std::vector<size_t> idx(indices.size());
      for (size_t q = 0; q < idx.size(); ++q) idx[q] = indices[q] >> (log_max - tree.log_height());
      opening = {&idx, tree.log_height(), tree.first_stored_level()};
      auto o = tree.windowed() ? tree.open_batch(idx, source) : tree.open_batch(idx);
      opening = {};
      if (!o) {
        open_status = o.status();
        return;
      }
      out = std::move(*o);
    };
    if (pk.pre_tree) {
      proof.pre_queries.emplace();
      open_tree(*pk.pre_tree, *proof.pre_queries);
    }
    // OpenCL: the LDE rows these openings read come back from the device now, and only those.
    auto fetch = [&](const MerkleTree& tree, const std::vector<DeviceCommitted>& mats) {
      if (dev == nullptr || !open_status) return;
      std::vector<size_t> idx(indices.size());
      for (size_t q = 0; q < idx.size(); ++q) {
        idx[q] = indices[q] >> (log_max - tree.log_height());
      }
      open_status = fetch_opened_rows(tree, mats, idx);
    };
    fetch(*main_tree, main_dev);
    open_tree(*main_tree, proof.main_queries, main_source);
    release_scratch();
    if (aux_tree) {
      fetch(*aux_tree, aux_dev);
      proof.aux_queries.emplace();
      open_tree(*aux_tree, *proof.aux_queries, aux_source);
      release_scratch();
    }
    fetch(*q_tree, quotient_dev);
    open_tree(*q_tree, proof.quotient_queries, q_source);
  };
  const FriProverConfig fcfg{cfg.backend, cfg.threads, cfg.opencl_device};
  const bool checks = cfg.check_witness;
  auto fri = dev != nullptr ? fri_prove_opencl(params, std::move(dev_inputs), tr, fcfg, open, checks)
                            : fri_prove(params, std::move(inputs), tr, fcfg, open, checks);
  if (!fri) return fri.status();
  EFAAS_RETURN_IF_ERROR(open_status);
  proof.fri = std::move(*fri);
  tm.fri = sw.seconds();
  tm.total = total.seconds();
  for (const TableState& s : st) {
    for (const LdeBlocks* l : {&s.main_blocks, &s.aux_blocks, &s.quotient_blocks}) {
      if (l->width() == 0) continue;
      tm.streamed_ldes += l->streamed() ? 1 : 0;
      tm.recomputed_blocks += l->blocks_computed() - std::min(l->blocks_computed(), l->blocks());
      tm.partly_recomputed_blocks += l->blocks_partly_computed();
    }
  }
  if (timings) *timings = tm;
  report(cfg, "done", 1.0);
  return proof;
}

}  // namespace efaas
