// Memory-bounded proving: LDE coset blocks against ntt's lde(), the residency planner, and proofs
// with streamed LDEs (StarkConfig::max_lde_bytes) bit-identical to resident ones, accepted by the
// verifier, with tampering still rejected.
#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>

#include "prover/common/cpu_features.hpp"
#include "prover/common/rng.hpp"
#include "prover/fri/fri.hpp"
#include "prover/ntt/ntt.hpp"
#include "prover/stark/examples.hpp"
#include "prover/stark/lde_blocks.hpp"
#include "prover/stark/stark.hpp"
#include "prover/stark/stark_common.hpp"

namespace efaas {
namespace {

using stark_internal::LdeBlocks;
using stark_internal::LdeResidency;
using stark_internal::plan_residency;

std::vector<Backend> host_backends() {
  std::vector<Backend> out{Backend::kScalar};
  if (avx2_usable()) out.push_back(Backend::kAvx2);
  return out;
}

std::vector<Fp> random_cols(Rng& rng, size_t len) {
  std::vector<Fp> v(len);
  for (Fp& x : v) x = Fp::from_canonical(uint32_t(rng.uniform(Fp::kP)));
  return v;
}

TEST(LdeBlocks, BlocksAreTheLdeInBitReversedOrder) {
  Rng rng(test_seed("LdeBlocks.Blocks"));
  for (Backend b : host_backends()) {
    for (uint32_t log_n : {0u, 1u, 5u, 9u}) {
      for (uint32_t log_b : {1u, 2u, 3u}) {
        const size_t n = size_t(1) << log_n, B = size_t(1) << log_b, width = 3;
        const std::vector<Fp> trace = random_cols(rng, n * width);
        NttConfig cfg;
        cfg.backend = b;
        cfg.output_order = Order::kBitReversed;
        std::vector<Fp> want(n * B * width);
        LdeParams p;
        p.log_blowup = log_b;
        p.output_shift = fri_domain_shift();
        ASSERT_TRUE(lde(trace, want, width, p, cfg).is_ok());
        // The coefficients, for the coefficient-source form.
        std::vector<Fp> coeffs = trace;
        NttConfig icfg;
        icfg.backend = b;
        ASSERT_TRUE(intt(coeffs, width, icfg).is_ok());
        const std::vector<LdeResidency> plans = {
            {SIZE_MAX, false}, {0, false}, {0, true}, {1, true}, {B - 1, false}};
        for (const LdeResidency& res : plans) {
          for (bool from_coeffs : {false, true}) {
            auto l = LdeBlocks::create(from_coeffs ? coeffs : trace, from_coeffs, width, log_n,
                                       log_b, res, cfg);
            ASSERT_TRUE(l.is_ok()) << l.status().to_string();
            EXPECT_EQ(l->streamed(), res.resident_blocks < B);
            stark_internal::FpBuffer scratch;
            for (size_t k = 0; k < B; ++k) {
              auto blk = l->block(k, scratch);
              ASSERT_TRUE(blk.is_ok());
              for (size_t c = 0; c < width; ++c) {
                for (size_t j = 0; j < n; ++j) {
                  ASSERT_EQ((*blk)[c * n + j], want[c * n * B + k * n + j])
                      << backend_name(b) << " log_n " << log_n << " log_b " << log_b
                      << " block " << k << " resident " << res.resident_blocks;
                }
              }
            }
            // The scratch still holds the last block: read again, it is not recomputed, and
            // after scratch_released() it is.
            const size_t computed = l->blocks_computed();
            ASSERT_TRUE(l->block(B - 1, scratch).is_ok());
            EXPECT_EQ(l->blocks_computed(), computed);
            l->scratch_released();
            ASSERT_TRUE(l->block(B - 1, scratch).is_ok());
            EXPECT_EQ(l->blocks_computed(), computed + (res.resident_blocks < B ? 1 : 0));
            EXPECT_EQ(l->block(B, scratch).status().code(), StatusCode::kOutOfRange);
            // At some rows only (the openings): those rows are the LDE's.
            std::vector<size_t> rows;
            for (size_t j = 0; j < n; j += 1 + rng.uniform(4)) rows.push_back(j);
            for (size_t k = 0; k < B; ++k) {
              stark_internal::FpBuffer partial;
              auto blk = l->block_rows(k, partial, rows);
              ASSERT_TRUE(blk.is_ok());
              for (size_t c = 0; c < width; ++c) {
                for (size_t j : rows) {
                  ASSERT_EQ((*blk)[c * n + j], want[c * n * B + k * n + j])
                      << backend_name(b) << " log_n " << log_n << " log_b " << log_b
                      << " block " << k << " row " << j << " resident " << res.resident_blocks;
                }
              }
            }
            EXPECT_EQ(l->blocks_partly_computed(), B - std::min(B, res.resident_blocks));
          }
        }
      }
    }
  }
  std::vector<Fp> bad(10);
  EXPECT_FALSE(LdeBlocks::create(bad, false, 3, 2, 1, {}, {}).is_ok());
}

TEST(LdeBlocks, ResidencyPlanKeepsWithinTheBudget) {
  // Three LDEs of 4 blocks: 100 and 40 bytes per block from evaluations (main, aux: the
  // quotient reads all 4 blocks), 10 from coefficients (a quotient LDE).
  const std::vector<stark_internal::LdeShape> ldes{{100, true, 4}, {40, true, 4}, {10, false, 0}};
  auto held = [&](const std::vector<LdeResidency>& plan) {
    size_t h = 0;
    for (size_t i = 0; i < plan.size(); ++i) {
      if (plan[i].resident_blocks >= 4) {
        h += 4 * ldes[i].block_bytes;
      } else {
        h += (plan[i].resident_blocks + (plan[i].cache_coeffs ? 1 : 0) + 1) * ldes[i].block_bytes;
      }
    }
    return h;
  };
  // All fit: all resident.
  for (const LdeResidency& r : plan_residency(ldes, 4, 600)) EXPECT_GE(r.resident_blocks, 4u);
  // 50 bytes too many: the cheapest fit streams the smaller LDEs (the 40-byte one keeping a
  // block and its coefficients, 6 block NTTs of 40 bytes; the 10-byte one keeping 2 blocks)
  // rather than the 100-byte one (at least 6 block NTTs of 100 bytes).
  auto plan = plan_residency(ldes, 4, 550);
  EXPECT_GE(plan[0].resident_blocks, 4u);
  EXPECT_EQ(plan[1].resident_blocks, 1u);
  EXPECT_TRUE(plan[1].cache_coeffs);
  EXPECT_EQ(plan[2].resident_blocks, 2u);
  EXPECT_LE(held(plan), 550u);
  // Every budget down to the floor (one scratch block each) is kept.
  for (size_t budget = 0; budget <= 600; budget += 10) {
    plan = plan_residency(ldes, 4, budget);
    EXPECT_LE(held(plan), std::max<size_t>(budget, 150)) << "budget " << budget;
  }
  plan = plan_residency(ldes, 4, 0);
  for (const LdeResidency& r : plan) {
    EXPECT_EQ(r.resident_blocks, 0u);
    EXPECT_FALSE(r.cache_coeffs);
  }
}

struct Case {
  air::MachineAir m;
  std::vector<std::vector<Fp>> fixed;
  MachineWitness w;
};

std::vector<Case> cases(uint32_t log_n, uint64_t seed) {
  std::vector<Case> out;
  out.push_back({examples::range_check_air(), examples::range_check_fixed(8),
                 examples::range_check_witness(log_n, 8, seed)});
  out.push_back({examples::permutation_air(), {},
                 examples::permutation_witness(log_n, std::max(3u, log_n - 2), seed)});
  out.back().fixed.resize(out.back().m.tables.size());
  out.push_back({examples::fibonacci_air(), {}, examples::fibonacci_witness(log_n)});
  out.back().fixed.resize(out.back().m.tables.size());
  return out;
}

TEST(StarkStreaming, StreamedProofsEqualResidentOnesAndVerify) {
  Rng rng(test_seed("StarkStreaming.Equal"));
  for (const FriParams& params : {fri_test_preset(), fri_production_preset()}) {
    for (uint32_t log_n : {3u, 9u}) {
      for (Case& c : cases(log_n, rng.next_u64())) {
        for (Backend b : host_backends()) {
          StarkConfig cfg;
          cfg.backend = b;
          cfg.max_lde_bytes = SIZE_MAX;
          auto pk = stark_setup(c.m, c.fixed, params, cfg);
          ASSERT_TRUE(pk.is_ok()) << pk.status().to_string();
          StarkTimings tm;
          auto resident = stark_prove(c.m, *pk, c.w, cfg, &tm);
          ASSERT_TRUE(resident.is_ok()) << resident.status().to_string();
          EXPECT_EQ(tm.streamed_ldes, 0u);
          EXPECT_EQ(tm.recomputed_blocks, 0u);
          const std::vector<uint8_t> want = serialize_proof(*resident);
          // Budgets: nothing resident, and about half of it (some blocks kept).
          size_t lde_bytes = 0;
          for (size_t t = 0; t < c.m.tables.size(); ++t) {
            const air::TableAir& table = c.m.tables[t];
            const size_t n = c.w.main[t].size() / table.main_width();
            const size_t cols = table.main_width() + 4 * table.aux_width() +
                                (size_t(4) << stark_internal::log_quotient_chunks(table));
            lde_bytes += (n << params.log_blowup) * cols * sizeof(Fp);
          }
          for (size_t budget : {size_t(0), lde_bytes / 2}) {
            cfg.max_lde_bytes = budget;
            StarkTimings stm;
            auto streamed = stark_prove(c.m, *pk, c.w, cfg, &stm);
            ASSERT_TRUE(streamed.is_ok()) << streamed.status().to_string();
            EXPECT_GT(stm.streamed_ldes, 0u) << c.m.name << " budget " << budget;
            // The openings compute streamed blocks at the opened rows only.
            EXPECT_GT(stm.partly_recomputed_blocks, 0u);
            EXPECT_GT(stm.recomputed_blocks + stm.partly_recomputed_blocks, 0u) << stm.recomputed_blocks;
            ASSERT_EQ(serialize_proof(*streamed), want)
                << c.m.name << " 2^" << log_n << " " << backend_name(b) << " budget " << budget
                << ": the streamed proof differs";
            ASSERT_TRUE(stark_verify(c.m, pk->vk, *streamed).is_ok());
          }
          // A streamed proof with an opened row changed is rejected.
          StarkProof bad = *resident;
          bad.main_queries.rows[0][0][0] += Fp::one();
          EXPECT_FALSE(stark_verify(c.m, pk->vk, bad).is_ok());
          bad = *resident;
          bad.quotient_queries.rows.back().back().back() += Fp::one();
          EXPECT_FALSE(stark_verify(c.m, pk->vk, bad).is_ok());
          if (bad.aux_queries) {
            bad = *resident;
            bad.aux_queries->rows[1][0][2] += Fp::one();
            EXPECT_FALSE(stark_verify(c.m, pk->vk, bad).is_ok());
          }
        }
      }
    }
  }
}

// A bad witness is still refused with a streamed LDE, and a bad witness proved without the
// prover's checks is still rejected by the verifier.
TEST(StarkStreaming, BadWitnessIsRejectedWhenStreaming) {
  const air::MachineAir m = examples::fibonacci_air();
  MachineWitness w = examples::fibonacci_witness(6);
  w.main[0][17] += Fp::one();
  StarkConfig cfg;
  cfg.max_lde_bytes = 0;
  auto pk = stark_setup(m, std::vector<std::vector<Fp>>(1), fri_test_preset(), cfg);
  ASSERT_TRUE(pk.is_ok());
  auto refused = stark_prove(m, *pk, w, cfg);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().message().find("violates"), std::string::npos);
  cfg.check_witness = false;
  auto proof = stark_prove(m, *pk, w, cfg);
  if (proof.is_ok()) {
    EXPECT_FALSE(stark_verify(m, pk->vk, *proof).is_ok());
  }
}

}  // namespace
}  // namespace efaas
