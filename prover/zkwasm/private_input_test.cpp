// The private input (kind 4) in the zkWASM AIR: the Poseidon2 permutation table against
// prover/hash's reference permutation, tampered round values rejected.
#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

#include "prover/common/rng.hpp"
#include "prover/fri/fri_params.hpp"
#include "prover/stark/stark.hpp"
#include "prover/zkwasm/poseidon2_table.hpp"

namespace efaas::zkwasm {
namespace {

using p2::Perm;

Fp random_fp(Rng& rng) { return Fp::from_canonical(uint32_t(rng.uniform(Fp::kP))); }

// A machine of one permutation table and its witness: 2^log_rows random input states.
struct PermRun {
  air::MachineAir machine;
  MachineWitness witness;
  std::vector<Poseidon2State> inputs;
};

PermRun perm_run(Rng& rng, uint32_t log_rows) {
  PermRun r;
  r.machine.name = "poseidon2-test";
  r.machine.tables.push_back(p2::permutation_table());
  const size_t rows = size_t(1) << log_rows;
  std::vector<Fp> col(size_t(Perm::kWidth) * rows);
  std::vector<Fp> row(Perm::kWidth);
  for (size_t i = 0; i < rows; ++i) {
    Poseidon2State s;
    for (auto& x : s) x = random_fp(rng);
    r.inputs.push_back(s);
    p2::permutation_row(s, row);
    for (uint32_t c = 0; c < Perm::kWidth; ++c) col[size_t(c) * rows + i] = row[c];
  }
  r.witness.main.push_back(std::move(col));
  return r;
}

TEST(Poseidon2Table, RowsMatchTheReferencePermutation) {
  Rng rng(test_seed("Poseidon2Table.RowsMatchTheReferencePermutation"));
  std::vector<Fp> row(Perm::kWidth);
  for (int it = 0; it < 200; ++it) {
    Poseidon2State s;
    for (auto& x : s) x = random_fp(rng);
    if (it == 0) s.fill(Fp::zero());
    p2::permutation_row(s, row);
    Poseidon2State want = s;
    poseidon2_permute_reference(want);
    for (uint32_t i = 0; i < 16; ++i) {
      ASSERT_EQ(row[Perm::kOut + i], want[i]) << "lane " << i << " of input " << it;
      ASSERT_EQ(row[Perm::kIn + i], s[i]);
    }
  }
  EXPECT_EQ(p2::permutation_table().max_degree(), 3u);
}

TEST(Poseidon2Table, ProvesAndRejectsTamperedRounds) {
  Rng rng(test_seed("Poseidon2Table.ProvesAndRejectsTamperedRounds"));
  PermRun r = perm_run(rng, 4);
  const FriParams params = fri_test_preset();
  auto pk = stark_setup(r.machine, std::vector<std::vector<Fp>>(1), params);
  ASSERT_TRUE(pk.is_ok()) << pk.status().to_string();
  auto proof = stark_prove(r.machine, *pk, r.witness);
  ASSERT_TRUE(proof.is_ok()) << proof.status().to_string();
  EXPECT_TRUE(stark_verify(r.machine, pk->vk, *proof).is_ok());

  // One changed value in each kind of column: input, full-round cube and output, partial-round
  // cube and S-box output, the final output. The prover's check finds it; unchecked, the
  // verifier rejects the proof.
  const size_t rows = size_t(1) << 4;
  const uint32_t cols[] = {Perm::kIn + 3,       Perm::kFull0 + 5,      Perm::kFull0 + 32 + 16 + 2,
                           Perm::kPartial + 6,  Perm::kPartial + 13,   Perm::kFull1 + 64 + 9,
                           Perm::kOut + 0,      Perm::kOut + 15};
  for (uint32_t c : cols) {
    SCOPED_TRACE("column " + std::to_string(c));
    MachineWitness w = r.witness;
    const size_t row = rng.uniform(rows);
    w.main[0][size_t(c) * rows + row] += Fp::one();
    EXPECT_FALSE(stark_prove(r.machine, *pk, w).is_ok()) << "the prover's check missed it";
    StarkConfig cfg;
    cfg.check_witness = false;
    auto forged = stark_prove(r.machine, *pk, w, cfg);
    ASSERT_TRUE(forged.is_ok()) << forged.status().to_string();
    const Status v = stark_verify(r.machine, pk->vk, *forged);
    EXPECT_FALSE(v.is_ok()) << "tampered row " << row << " verified";
    std::printf("  column %3u row %2zu tampered -> %s\n", c, row, v.message().c_str());
  }
}

}  // namespace
}  // namespace efaas::zkwasm
