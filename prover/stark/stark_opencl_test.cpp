// The STARK prover's OpenCL pipeline, stage by stage against the host code it replaces: the
// generated quotient kernel against air::eval_folded (example AIRs and random DAGs mixing base
// and extension nodes), trace LDEs, quotient splitting, DEEP quotients, the query-phase row
// fetch, the program cache, and a device failure surfacing as a Status. Whole proofs are
// compared across backends in stark_test.cpp.
#include <gtest/gtest.h>

#include <bit>

#include "prover/air/eval.hpp"
#include "prover/air/opencl_codegen.hpp"
#include "prover/common/bits.hpp"
#include "prover/common/rng.hpp"
#include "prover/device/backend.hpp"
#include "prover/fri/fri.hpp"
#include "prover/fri/fri_internal.hpp"
#include "prover/fri/fri_opencl.hpp"
#include "prover/ntt/ntt.hpp"
#include "prover/stark/examples.hpp"
#include "prover/stark/stark.hpp"
#include "prover/stark/stark_common.hpp"
#include "prover/stark/stark_opencl.hpp"

namespace efaas {
namespace {

using namespace stark_internal;

// The first OpenCL device, or null (the test is skipped, saying why).
OpenClDevice* device_or_skip() {
  if (!resolve_backend(Backend::kOpenCl)) return nullptr;
  Result<OpenClDevice*> d = OpenClDevice::get(0);
  return d ? *d : nullptr;
}
#define REQUIRE_DEVICE(dev)             \
  OpenClDevice* dev = device_or_skip(); \
  if (dev == nullptr) GTEST_SKIP() << "no OpenCL device here"

Fp rand_fp(Rng& rng) {
  return Fp::from_u32(rng.next_u32());
}
Fp4 rand_fp4(Rng& rng) {
  return Fp4(rand_fp(rng), rand_fp(rng), rand_fp(rng), rand_fp(rng));
}
std::vector<Fp> rand_vec(Rng& rng, size_t n) {
  std::vector<Fp> v(n);
  for (Fp& x : v) x = rand_fp(rng);
  return v;
}

DeviceMatrix to_device(OpenClDevice& dev, const std::vector<Fp>& data, size_t rows, size_t cols) {
  Result<OpenClBuffer> b = dev.upload(std::span<const Fp>(data));
  EXPECT_TRUE(b.is_ok()) << b.status().to_string();
  DeviceMatrix m;
  m.buffer = std::move(*b);
  m.rows = rows;
  m.cols = cols;
  return m;
}

// Runs the generated kernel on random rows and compares every row with eval_folded times the
// same Z_H^-1 value, using the kernel's next-row map.
void check_quotient_kernel(OpenClDevice& dev, const air::TableAir& table, uint32_t aux_cols,
                           uint32_t log_qn, uint32_t log_d, Rng& rng,
                           size_t max_nodes_per_kernel = air::kQuotientNodesPerKernel) {
  const size_t qn = size_t(1) << log_qn, D = size_t(1) << log_d;
  const size_t stride = 2 * qn;  // the kernel reads a prefix of taller LDE matrices
  const size_t mw = table.main_width(), pw = table.pre_width(), aw = 4 * size_t(aux_cols);
  std::vector<Fp> main = rand_vec(rng, mw * stride), pre = rand_vec(rng, pw * stride),
                  aux = rand_vec(rng, aw * stride);
  std::vector<Fp> first = rand_vec(rng, qn), last = rand_vec(rng, qn), trans = rand_vec(rng, qn),
                  zh_inv = rand_vec(rng, D), publics = rand_vec(rng, 4);
  std::vector<Fp4> challenges = {rand_fp4(rng), rand_fp4(rng)},
                   aux_publics = {rand_fp4(rng), rand_fp4(rng)};  // LogUp: T, T / n
  const Fp4 alpha = rand_fp4(rng);
  DeviceMatrix dm = to_device(dev, main, stride, mw);
  DeviceMatrix dp, da;
  if (pw > 0) dp = to_device(dev, pre, stride, pw);
  if (aw > 0) da = to_device(dev, aux, stride, aw);
  QuotientEvalArgs args;
  args.main = &dm;
  args.pre = pw > 0 ? &dp : nullptr;
  args.aux = aw > 0 ? &da : nullptr;
  args.log_qn = log_qn;
  args.log_d = log_d;
  args.is_first = first;
  args.is_last = last;
  args.is_transition = trans;
  args.zh_inv = zh_inv;
  args.challenges = challenges;
  args.publics = publics;
  args.aux_publics = aux_publics;
  args.alpha = alpha;
  args.max_nodes_per_kernel = max_nodes_per_kernel;
  Result<OpenClBuffer> out = opencl_quotient_values(dev, table, args);
  ASSERT_TRUE(out.is_ok()) << table.name() << ": " << out.status().to_string();
  std::vector<Fp> got(4 * qn);
  ASSERT_TRUE(out->read(std::span<Fp>(got)).is_ok());

  std::vector<uint32_t> next(qn);
  for (size_t i = 0; i < qn; ++i) {
    next[i] = uint32_t(reverse_bits((reverse_bits(i, log_qn) + D) & (qn - 1), log_qn));
  }
  air::DomainSource src;
  src.main = main.data();
  src.pre = pw > 0 ? pre.data() : nullptr;
  src.aux = aw > 0 ? aux.data() : nullptr;
  src.stride = stride;
  src.next = next.data();
  src.is_first = first.data();
  src.is_last = last.data();
  src.is_transition = trans.data();
  src.challenges = challenges;
  src.publics = publics;
  src.aux_publics = aux_publics;
  std::vector<Fp4> want(qn);
  air::eval_folded(table, src, 0, qn, alpha, want.data());
  size_t nonzero = 0;
  for (size_t i = 0; i < qn; ++i) {
    const Fp4 w = want[i] * zh_inv[reverse_bits(i, log_qn) & (D - 1)];
    const Fp4 g(got[i], got[qn + i], got[2 * qn + i], got[3 * qn + i]);
    ASSERT_EQ(g, w) << table.name() << ": row " << i;
    nonzero += !w.is_zero();
  }
  EXPECT_GT(nonzero, qn / 2) << "random rows should violate the constraints";
}

TEST(StarkOpenCl, GeneratedQuotientKernelMatchesEvalFoldedOnExampleAirs) {
  REQUIRE_DEVICE(dev);
  Rng rng(test_seed("StarkOpenCl.QuotientExamples"));
  std::vector<air::MachineAir> machines;
  machines.push_back(examples::fibonacci_air());
  machines.push_back(examples::range_check_air());
  machines.push_back(examples::permutation_air());
  for (const air::MachineAir& m : machines) {
    for (const air::TableAir& t : m.tables) {
      const uint32_t log_d = log_quotient_chunks(t);
      check_quotient_kernel(*dev, t, t.aux_width(), 7, log_d, rng);
      if (HasFatalFailure()) return;
    }
  }
}

// A random DAG over every leaf kind, mixing base and extension nodes, with several constraints.
air::TableAir random_table(Rng& rng, uint32_t index) {
  air::TableAir t("random-" + std::to_string(index), 5, 2);
  air::ExprGraph& g = t.graph();
  std::vector<air::Expr> pool;
  for (uint32_t c = 0; c < 5; ++c) pool.push_back(t.main(c)), pool.push_back(t.main_next(c));
  for (uint32_t c = 0; c < 2; ++c) pool.push_back(t.pre(c)), pool.push_back(t.pre_next(c));
  for (uint32_t c = 0; c < 2; ++c) pool.push_back(g.aux(c)), pool.push_back(g.aux(c, true));
  pool.push_back(g.challenge(0));
  pool.push_back(g.challenge(1));
  pool.push_back(g.pub(3));
  pool.push_back(g.aux_public(0));
  pool.push_back(g.is_first_row());
  pool.push_back(g.is_last_row());
  pool.push_back(g.is_transition());
  pool.push_back(g.constant(rand_fp(rng)));
  pool.push_back(g.constant(Fp::zero()));
  for (int k = 0; k < 80; ++k) {
    air::Expr a = pool[rng.uniform(pool.size())], b = pool[rng.uniform(pool.size())];
    switch (rng.uniform(5)) {
      case 0:
        pool.push_back(a + b);
        break;
      case 1:
        pool.push_back(a - b);
        break;
      case 2:
        pool.push_back(a * b);
        break;
      case 3:
        pool.push_back(-a);
        break;
      default:
        pool.push_back(a * rand_fp(rng));
        break;
    }
  }
  bool base = false, ext = false;
  for (int k = 0; k < 200 && (k < 6 || !base || !ext); ++k) {
    air::Expr e = pool[pool.size() - 1 - rng.uniform(60)];
    (g.node(e.id()).ext ? ext : base) = true;
    t.assert_zero(e);
  }
  return t;
}

TEST(StarkOpenCl, GeneratedQuotientKernelMatchesEvalFoldedOnRandomDags) {
  REQUIRE_DEVICE(dev);
  Rng rng(test_seed("StarkOpenCl.QuotientRandom"));
  for (uint32_t k = 0; k < 6; ++k) {
    air::TableAir t = random_table(rng, k);
    check_quotient_kernel(*dev, t, 2, 6, uint32_t(rng.uniform(3)), rng);
    if (HasFatalFailure()) return;
  }
}

// Split into kernels of a few nodes, the fold still equals eval_folded: the parts continue the
// Horner accumulator in order and only the last multiplies by Z_H^-1.
TEST(StarkOpenCl, QuotientKernelSplitIntoPartsMatchesEvalFolded) {
  REQUIRE_DEVICE(dev);
  const uint64_t seed = test_seed("StarkOpenCl.QuotientParts");
  Rng rng(seed);
  for (uint32_t k = 0; k < 4; ++k) {
    air::TableAir t = random_table(rng, 2000 + k);
    // A random budget, lowered until the split has a middle part (a table whose constraints
    // share most nodes can fit in two parts of a larger one; budget 1 gives one per constraint).
    size_t budget = 2 + rng.uniform(8);
    while (budget > 1 && air::split_constraints(t, budget).size() <= 2) --budget;
    const size_t parts = air::split_constraints(t, budget).size();
    EXPECT_GT(parts, 2u) << "seed " << seed << ": too few parts to test the split";
    check_quotient_kernel(*dev, t, 2, 6, uint32_t(rng.uniform(3)), rng, budget);
    if (HasFatalFailure()) return;
  }
}

// Device-free: the parts cover every constraint once, in order, within the node budget (a
// constraint larger than the budget alone in its part).
TEST(StarkOpenCl, SplitConstraintsKeepsOrderAndBudget) {
  const uint64_t seed = test_seed("StarkOpenCl.SplitConstraints");
  Rng rng(seed);
  for (uint32_t k = 0; k < 8; ++k) {
    air::TableAir t = random_table(rng, 3000 + k);
    const auto& nodes = t.graph().nodes();
    for (size_t budget : {size_t(1), size_t(10), size_t(50), size_t(1) << 30}) {
      const auto parts = air::split_constraints(t, budget);
      uint32_t next = 0;
      for (const auto& part : parts) {
        ASSERT_FALSE(part.empty()) << "seed " << seed;
        std::vector<uint8_t> need(nodes.size(), 0);
        for (uint32_t c : part) {
          ASSERT_EQ(c, next++) << "seed " << seed;
          need[t.constraints()[c].id()] = 1;
        }
        size_t count = 0;
        for (size_t id = nodes.size(); id-- > 0;) {
          if (!need[id]) continue;
          ++count;
          const air::Node& n = nodes[id];
          if (n.op == air::Op::kAdd || n.op == air::Op::kSub || n.op == air::Op::kMul) {
            need[n.index] = need[n.rhs] = 1;
          } else if (n.op == air::Op::kNeg) {
            need[n.index] = 1;
          }
        }
        if (part.size() > 1) {
          EXPECT_LE(count, budget) << "seed " << seed;
        }
      }
      EXPECT_EQ(next, t.constraints().size()) << "seed " << seed;
      if (budget == size_t(1) << 30) {
        EXPECT_EQ(parts.size(), 1u);
      }
    }
  }
}

TEST(StarkOpenCl, QuotientProgramIsBuiltOncePerTableShape) {
  REQUIRE_DEVICE(dev);
  air::MachineAir a = examples::fibonacci_air(), b = examples::fibonacci_air();
  ASSERT_TRUE(quotient_program(*dev, a.tables[0]).is_ok());
  const uint64_t builds = dev->build_count();
  // Another machine object with the same constraints: the same source, no new build.
  ASSERT_TRUE(quotient_program(*dev, b.tables[0]).is_ok());
  EXPECT_EQ(dev->build_count(), builds);
  // A table no earlier test built (random constants): exactly one build.
  Rng rng(test_seed("StarkOpenCl.ProgramCache"));
  air::TableAir fresh = random_table(rng, 1000);
  ASSERT_TRUE(quotient_program(*dev, fresh).is_ok());
  EXPECT_EQ(dev->build_count(), builds + 1);
  ASSERT_TRUE(quotient_program(*dev, fresh).is_ok());
  EXPECT_EQ(dev->build_count(), builds + 1);
}

TEST(StarkOpenCl, TraceLdeMatchesTheHostLde) {
  REQUIRE_DEVICE(dev);
  Rng rng(test_seed("StarkOpenCl.TraceLde"));
  for (uint32_t log_n : {1u, 3u, 9u}) {
    const size_t n = size_t(1) << log_n, cols = 3;
    std::vector<Fp> trace = rand_vec(rng, cols * n);
    auto m = opencl_trace_lde(*dev, trace, cols, log_n, 2);
    ASSERT_TRUE(m.is_ok()) << m.status().to_string();
    ASSERT_EQ(m->rows, n << 2);
    std::vector<Fp> got(cols * (n << 2)), want(got.size());
    ASSERT_TRUE(m->buffer.read(std::span<Fp>(got)).is_ok());
    NttConfig cfg;
    cfg.backend = Backend::kScalar;
    cfg.output_order = Order::kBitReversed;
    LdeParams p;
    p.log_blowup = 2;
    p.output_shift = fri_domain_shift();
    ASSERT_TRUE(lde(trace, want, cols, p, cfg).is_ok());
    EXPECT_EQ(got, want) << "log_n=" << log_n;
  }
  auto bad = opencl_trace_lde(*dev, std::vector<Fp>(7), 2, 2, 1);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(StarkOpenCl, QuotientChunksMatchTheHostInterpolationAndExtension) {
  REQUIRE_DEVICE(dev);
  Rng rng(test_seed("StarkOpenCl.QuotientChunks"));
  const uint32_t log_n = 5, log_d = 1, log_b = 2;
  const size_t n = size_t(1) << log_n, qn = n << log_d, D = size_t(1) << log_d, lde_n = n << log_b;
  std::vector<Fp> values = rand_vec(rng, 4 * qn);
  auto buf = dev->upload(std::span<const Fp>(values));
  ASSERT_TRUE(buf.is_ok());
  std::vector<std::vector<Fp4>> chunks;
  DeviceMatrix lde_dev;
  Status s = opencl_quotient_chunks(*dev, *buf, log_n, log_d, log_b, chunks, lde_dev);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  // Host: interpolate from the coset (bit-reversed), split, extend each chunk.
  std::vector<Fp> coeffs = values;
  NttConfig icfg;
  icfg.backend = Backend::kScalar;
  icfg.input_order = Order::kBitReversed;
  ASSERT_TRUE(coset_intt(coeffs, 4, fri_domain_shift(), icfg).is_ok());
  std::vector<Fp> want(4 * D * lde_n, Fp::zero());
  for (size_t j = 0; j < D; ++j) {
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(chunks[j][i], Fp4(coeffs[j * n + i], coeffs[qn + j * n + i],
                                  coeffs[2 * qn + j * n + i], coeffs[3 * qn + j * n + i]));
      for (size_t k = 0; k < 4; ++k) want[(4 * j + k) * lde_n + i] = coeffs[k * qn + j * n + i];
    }
  }
  NttConfig ecfg;
  ecfg.backend = Backend::kScalar;
  ecfg.output_order = Order::kBitReversed;
  ASSERT_TRUE(coset_ntt(want, 4 * D, fri_domain_shift(), ecfg).is_ok());
  std::vector<Fp> got(want.size());
  ASSERT_EQ(lde_dev.cols, 4 * D);
  ASSERT_TRUE(lde_dev.buffer.read(std::span<Fp>(got)).is_ok());
  EXPECT_EQ(got, want);
}

TEST(StarkOpenCl, DeepQuotientMatchesTheNaiveFormula) {
  REQUIRE_DEVICE(dev);
  Rng rng(test_seed("StarkOpenCl.Deep"));
  const uint32_t log_h = 6;
  const size_t h = size_t(1) << log_h;
  std::vector<std::vector<Fp>> data = {rand_vec(rng, 3 * h), rand_vec(rng, 2 * h)};
  std::vector<DeviceMatrix> mats;
  mats.push_back(to_device(*dev, data[0], h, 3));
  mats.push_back(to_device(*dev, data[1], h, 2));
  std::vector<DeepMatrixTerms> terms;
  for (size_t m = 0; m < 2; ++m) {
    DeepMatrixTerms t{&mats[m], {}, {}};
    for (size_t c = 0; c < mats[m].cols; ++c) {
      t.coeff_z.push_back(rand_fp4(rng));
      t.coeff_zg.push_back(m == 1 ? Fp4::zero() : rand_fp4(rng));  // like quotient columns
    }
    terms.push_back(std::move(t));
  }
  const Fp4 z = rand_fp4(rng), gz = z * Fp::two_adic_generator(log_h - 2);
  const Fp4 cz = rand_fp4(rng), czg = rand_fp4(rng);
  auto got_buf = opencl_deep_quotient(*dev, terms, log_h, z, gz, cz, czg);
  ASSERT_TRUE(got_buf.is_ok()) << got_buf.status().to_string();
  std::vector<Fp4> got(h);
  ASSERT_TRUE(got_buf->read(std::span<Fp4>(got)).is_ok());
  const Fp w = Fp::two_adic_generator(log_h);
  for (size_t i = 0; i < h; ++i) {
    const Fp x = fri_domain_shift() * w.pow(reverse_bits(i, log_h));
    Fp4 az = Fp4::zero(), azg = Fp4::zero();
    for (size_t m = 0; m < 2; ++m) {
      for (size_t c = 0; c < mats[m].cols; ++c) {
        az += terms[m].coeff_z[c] * data[m][c * h + i];
        azg += terms[m].coeff_zg[c] * data[m][c * h + i];
      }
    }
    const Fp4 want = (az - cz) * (Fp4(x) - z).inverse() + (azg - czg) * (Fp4(x) - gz).inverse();
    ASSERT_EQ(got[i], want) << "row " << i;
  }
  // A matrix of the wrong height is refused, naming the expected height.
  auto bad = opencl_deep_quotient(*dev, terms, log_h + 1, z, gz, cz, czg);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().to_string().find("2^7"), std::string::npos) << bad.status().to_string();
}

TEST(StarkOpenCl, DeviceFriGivesTheHostFriProof) {
  REQUIRE_DEVICE(dev);
  Rng rng(test_seed("StarkOpenCl.Fri"));
  FriParams params = fri_test_preset();
  params.log_final_poly_len = 1;
  // Every folding arity, with inputs joining within and at the end of a fold by 2^k.
  std::vector<std::pair<uint32_t, std::vector<uint32_t>>> cases;
  for (uint32_t k = 1; k <= kMaxFriLogArity; ++k) {
    for (std::vector<uint32_t> h : {std::vector<uint32_t>{9, 7, 6}, {12, 7}, {4}, {3}}) {
      cases.push_back({k, h});
    }
  }
  for (auto& [k, heights] : cases) {
    params.log_arity = k;
    heights[0] = std::max(heights[0], params.log_final_poly_len + params.log_blowup);
    std::vector<FriInput> host;
    std::vector<FriDeviceInput> device;
    for (uint32_t log_h : heights) {
      FriInput in{log_h, std::vector<Fp4>(size_t(1) << log_h)};
      for (Fp4& v : in.evals) v = rand_fp4(rng);  // not low-degree: check_degree is off
      auto buf = dev->upload(std::span<const Fp4>(in.evals));
      ASSERT_TRUE(buf.is_ok());
      device.push_back({log_h, std::move(*buf)});
      host.push_back(std::move(in));
    }
    Transcript th("fri-test"), td("fri-test");
    std::vector<size_t> opened_h, opened_d;
    auto ph = fri_prove(
        params, std::move(host), th, {Backend::kScalar, 1},
        [&](std::span<const size_t> q) { opened_h.assign(q.begin(), q.end()); }, false);
    auto pd = fri_prove_opencl(
        params, std::move(device), td, {Backend::kOpenCl, 1},
        [&](std::span<const size_t> q) { opened_d.assign(q.begin(), q.end()); }, false);
    ASSERT_TRUE(ph.is_ok()) << ph.status().to_string();
    ASSERT_TRUE(pd.is_ok()) << pd.status().to_string();
    EXPECT_EQ(pd->layer_openings.size(), fri_internal::fold_schedule(params, heights).size());
    EXPECT_EQ(opened_d, opened_h);
    EXPECT_EQ(pd->commitments, ph->commitments);
    EXPECT_EQ(pd->final_poly, ph->final_poly);
    EXPECT_EQ(pd->pow_witness, ph->pow_witness);
    ASSERT_EQ(pd->layer_openings.size(), ph->layer_openings.size());
    for (size_t r = 0; r < ph->layer_openings.size(); ++r) {
      EXPECT_EQ(pd->layer_openings[r].rows, ph->layer_openings[r].rows) << "layer " << r;
      EXPECT_EQ(pd->layer_openings[r].siblings, ph->layer_openings[r].siblings) << "layer " << r;
    }
    EXPECT_EQ(th.sample_ext(), td.sample_ext());
  }
  // Inputs on the host backend are refused.
  std::vector<FriDeviceInput> one;
  auto buf = dev->upload(std::span<const Fp4>(std::vector<Fp4>(16)));
  ASSERT_TRUE(buf.is_ok());
  one.push_back({4, std::move(*buf)});
  Transcript t;
  auto bad = fri_prove_opencl(
      params, std::move(one), t, {Backend::kScalar, 1}, [](std::span<const size_t>) {}, false);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(StarkOpenCl, FetchRowsCopiesExactlyTheOpenedBlocks) {
  REQUIRE_DEVICE(dev);
  Rng rng(test_seed("StarkOpenCl.FetchRows"));
  const size_t rows = 256, cols = 3;
  std::vector<Fp> data = rand_vec(rng, rows * cols);
  for (Fp& x : data) {
    if (x.is_zero()) x = Fp::one();
  }
  DeviceMatrix m = to_device(*dev, data, rows, cols);
  std::vector<Fp> host(rows * cols, Fp::zero());
  const std::vector<size_t> opened = {5, 6, 200, 255};
  ASSERT_TRUE(fetch_rows(m, opened, 2, host).is_ok());
  for (size_t c = 0; c < cols; ++c) {
    for (size_t r = 0; r < rows; ++r) {
      const bool in_block = r / 4 == 1 || r / 4 == 50 || r / 4 == 63;
      ASSERT_EQ(host[c * rows + r], in_block ? data[c * rows + r] : Fp::zero())
          << "col " << c << " row " << r;
    }
  }
  const std::vector<size_t> past_end = {rows};
  EXPECT_EQ(fetch_rows(m, past_end, 2, host).code(), StatusCode::kOutOfRange);
}

// The whole device pipeline under the soundness probes: with the prover's own checks off, a
// changed trace cell or a lookup outside its table gives a proof the verifier rejects, while the
// honest proofs verify.
TEST(StarkOpenCl, DeviceProofsOfBadWitnessesAreRejected) {
  REQUIRE_DEVICE(dev);
  Rng rng(test_seed("StarkOpenCl.Soundness"));
  StarkConfig cfg;
  cfg.backend = Backend::kOpenCl;
  cfg.threads = 2;
  const FriParams params = fri_test_preset();
  {
    const air::MachineAir m = examples::fibonacci_air();
    auto pk = stark_setup(m, std::vector<std::vector<Fp>>(1), params, cfg);
    ASSERT_TRUE(pk.is_ok()) << pk.status().to_string();
    MachineWitness w = examples::fibonacci_witness(7);
    auto good = stark_prove(m, *pk, w, cfg);
    ASSERT_TRUE(good.is_ok()) << good.status().to_string();
    EXPECT_TRUE(stark_verify(m, pk->vk, *good).is_ok());
    cfg.check_witness = false;
    for (int trial = 0; trial < 3; ++trial) {
      MachineWitness bad = w;
      const size_t cell = rng.uniform(bad.main[0].size());
      bad.main[0][cell] += Fp::from_u64(1 + rng.uniform(1000));
      auto p = stark_prove(m, *pk, bad, cfg);
      ASSERT_TRUE(p.is_ok()) << p.status().to_string();
      EXPECT_FALSE(stark_verify(m, pk->vk, *p).is_ok()) << "changed cell " << cell;
    }
  }
  {
    const air::MachineAir m = examples::range_check_air();
    auto pk = stark_setup(m, examples::range_check_fixed(8), params, cfg);
    ASSERT_TRUE(pk.is_ok()) << pk.status().to_string();
    MachineWitness w = examples::range_check_witness(6, 8, rng.next_u64());
    // Row 3 looks up 256, outside 0..255; its old value's multiplicity drops by one.
    const uint32_t old = w.main[0][3].to_canonical();
    w.main[1][old] -= Fp::one();
    w.main[0][3] = Fp::from_u32(256);
    auto p = stark_prove(m, *pk, w, cfg);
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    EXPECT_FALSE(stark_verify(m, pk->vk, *p).is_ok());
  }
}

TEST(StarkOpenCl, DeviceAllocationFailureIsAStatus) {
  REQUIRE_DEVICE(dev);
  // A 64-column LDE of 2^27 rows (32 GiB) is more than the device gives in one buffer: the
  // pipeline returns the device's refusal, naming the limit, instead of crashing.
  std::vector<Fp> trace(64 * 1024, Fp::one());
  auto m = opencl_trace_lde(*dev, trace, 64, 10, 17);
  ASSERT_FALSE(m.is_ok());
  EXPECT_EQ(m.status().code(), StatusCode::kOutOfRange);
  EXPECT_NE(m.status().to_string().find("CL_DEVICE_MAX_MEM_ALLOC_SIZE"), std::string::npos)
      << m.status().to_string();
}

}  // namespace
}  // namespace efaas
