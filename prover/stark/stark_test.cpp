// STARK engine tests: completeness of the example AIRs on every backend, identical proofs
// across backends, and soundness probes that the verifier must reject.
#include <gtest/gtest.h>

#include <functional>

#include "prover/common/rng.hpp"
#include "prover/device/backend.hpp"
#include "prover/fri/fri_internal.hpp"
#include "prover/ntt/ntt.hpp"
#include "prover/stark/examples.hpp"
#include "prover/stark/stark.hpp"
#include "prover/stark/stark_common.hpp"

namespace efaas {
namespace {

using examples::fibonacci_air;
using examples::fibonacci_witness;

// The backends that prove with Merkle hash `hash` here (the CPU ones always; OpenCL where the
// device runs that hash's kernels).
[[maybe_unused]] std::vector<Backend> backends(MerkleHash hash = MerkleHash::kPoseidon2) {
  std::vector<Backend> out = {Backend::kScalar};
  for (Backend b : {Backend::kAvx2, Backend::kOpenCl}) {
    if (!resolve_backend(b)) continue;
    // A backend whose kernels are not there yet answers UNIMPLEMENTED: reported, not tested.
    std::vector<Fp> probe(8, Fp::one()), out8(16);
    NttConfig cfg;
    cfg.backend = b;
    Status s = lde(probe, out8, 1, {}, cfg);
    if (s) {
      std::vector<Digest> digests(16);
      MatrixView view{out8.data(), 16, 1, Layout::kRowMajor};
      s = hash_matrix_rows(std::span<const MatrixView>(&view, 1), digests,
                           HashConfig{b, 0, 0, hash});
    }
    if (!s) {
      std::fprintf(stderr, "backend %s skipped: %s\n", backend_name(b), s.to_string().c_str());
      continue;
    }
    out.push_back(b);
  }
  return out;
}

struct Proved {
  ProvingKey pk;
  StarkProof proof;
};

// Sets up and proves; a failure is a fatal test failure (the caller checks HasFatalFailure).
Proved prove(const air::MachineAir& m, std::vector<std::vector<Fp>> fixed,
             const MachineWitness& w, const FriParams& params, StarkConfig cfg = {}) {
  auto pk = stark_setup(m, std::move(fixed), params, cfg);
  if (!pk) {
    ADD_FAILURE() << pk.status().to_string();
    std::abort();
  }
  auto proof = stark_prove(m, *pk, w, cfg);
  if (!proof) {
    ADD_FAILURE() << proof.status().to_string();
    std::abort();
  }
  return {std::move(*pk), std::move(*proof)};
}

std::vector<std::vector<Fp>> no_fixed(const air::MachineAir& m) {
  return std::vector<std::vector<Fp>>(m.tables.size());
}

TEST(Stark, FibonacciProvesAndVerifiesAcrossSizes) {
  const air::MachineAir m = fibonacci_air();
  for (uint32_t log_n = 3; log_n <= 14; ++log_n) {
    MachineWitness w = fibonacci_witness(log_n);
    Proved p = prove(m, no_fixed(m), w, fri_test_preset());
    Status s = stark_verify(m, p.pk.vk, p.proof);
    ASSERT_TRUE(s.is_ok()) << "log_n=" << log_n << ": " << s.to_string();
    // Through the binary format too.
    auto bytes = serialize_proof(p.proof);
    auto back = deserialize_proof(bytes);
    ASSERT_TRUE(back.is_ok()) << back.status().to_string();
    EXPECT_EQ(serialize_proof(*back), bytes);
    ASSERT_TRUE(stark_verify(m, p.pk.vk, *back).is_ok());
  }
}

TEST(Stark, LookupAndPermutationMachinesProveOnEveryBackendWithIdenticalProofs) {
  const FriParams params = fri_test_preset();
  Rng rng(test_seed("Stark.Machines"));
  for (uint32_t log_n : {3u, 6u, 10u, 13u}) {
    const uint64_t seed = rng.next_u64();
    struct Case {
      air::MachineAir m;
      std::vector<std::vector<Fp>> fixed;
      MachineWitness w;
    };
    std::vector<Case> cases;
    cases.push_back({examples::range_check_air(), examples::range_check_fixed(8),
                     examples::range_check_witness(log_n, 8, seed)});
    cases.push_back({examples::permutation_air(), {},
                     examples::permutation_witness(log_n, std::max(3u, log_n - 2), seed)});
    cases.back().fixed = no_fixed(cases.back().m);
    cases.push_back({fibonacci_air(), {}, fibonacci_witness(log_n)});
    cases.back().fixed = no_fixed(cases.back().m);
    for (Case& c : cases) {
      std::vector<uint8_t> reference;
      for (Backend b : backends()) {
        StarkConfig cfg;
        cfg.backend = b;
        cfg.threads = b == Backend::kScalar ? 1 : 2;
        Proved p = prove(c.m, c.fixed, c.w, params, cfg);
        Status s = stark_verify(c.m, p.pk.vk, p.proof);
        ASSERT_TRUE(s.is_ok()) << c.m.name << " log_n=" << log_n << " " << backend_name(b)
                               << ": " << s.to_string();
        auto bytes = serialize_proof(p.proof);
        if (reference.empty()) {
          reference = bytes;
        } else {
          ASSERT_EQ(bytes, reference) << c.m.name << ": " << backend_name(b)
                                      << " proof differs from scalar";
        }
      }
    }
  }
}

// The upper end of the size range (2^16 .. 2^18 rows) on every backend, proofs identical.
TEST(Stark, ExampleAirsAtLargeSizesOnEveryBackend) {
  const FriParams params = fri_test_preset();
  struct Case {
    air::MachineAir m;
    std::vector<std::vector<Fp>> fixed;
    MachineWitness w;
  };
  std::vector<Case> cases;
  cases.push_back({fibonacci_air(), {}, fibonacci_witness(18)});
  cases.back().fixed = no_fixed(cases.back().m);
  cases.push_back({examples::range_check_air(), examples::range_check_fixed(16),
                   examples::range_check_witness(17, 16, 11)});
  cases.push_back({examples::permutation_air(), {}, examples::permutation_witness(16, 14, 12)});
  cases.back().fixed = no_fixed(cases.back().m);
  for (Case& c : cases) {
    std::vector<uint8_t> reference;
    for (Backend b : backends()) {
      StarkConfig cfg;
      cfg.backend = b;
      Proved p = prove(c.m, c.fixed, c.w, params, cfg);
      Status s = stark_verify(c.m, p.pk.vk, p.proof);
      ASSERT_TRUE(s.is_ok()) << c.m.name << " " << backend_name(b) << ": " << s.to_string();
      auto bytes = serialize_proof(p.proof);
      if (reference.empty()) {
        reference = bytes;
      } else {
        ASSERT_EQ(bytes, reference) << c.m.name << ": " << backend_name(b) << " differs";
      }
    }
  }
}

TEST(Stark, LargeFibonacciAtTheProductionPreset) {
  const air::MachineAir m = fibonacci_air();
  const FriParams params = fri_production_preset();
  EXPECT_GE(conjectured_security_bits(params), 100.0);
  MachineWitness w = fibonacci_witness(16);
  StarkTimings tm;
  auto pk = stark_setup(m, no_fixed(m), params);
  ASSERT_TRUE(pk.is_ok());
  std::vector<std::string> stages;
  StarkConfig cfg;
  double last = -1;
  cfg.progress = [&](std::string_view stage, double f) {
    stages.emplace_back(stage);
    EXPECT_GE(f, last);  // progress only moves forward
    last = f;
  };
  auto proof = stark_prove(m, *pk, w, cfg, &tm);
  ASSERT_TRUE(proof.is_ok()) << proof.status().to_string();
  EXPECT_TRUE(stark_verify(m, pk->vk, *proof).is_ok());
  EXPECT_EQ(stages.front(), "trace_lde");
  EXPECT_EQ(stages.back(), "done");
  EXPECT_GT(tm.total, 0.0);
}

TEST(Stark, CancellationStopsBetweenStages) {
  const air::MachineAir m = fibonacci_air();
  auto pk = stark_setup(m, no_fixed(m), fri_test_preset());
  ASSERT_TRUE(pk.is_ok());
  std::atomic<bool> cancel{false};
  StarkConfig cfg;
  cfg.cancel = &cancel;
  cfg.progress = [&](std::string_view stage, double) {
    if (stage == "quotient") cancel = true;
  };
  auto proof = stark_prove(m, *pk, fibonacci_witness(8), cfg);
  ASSERT_FALSE(proof.is_ok());
  EXPECT_EQ(proof.status().code(), StatusCode::kCancelled);
}

// --- Soundness probes: each must be rejected by the verifier. ---

StarkConfig unchecked() {
  StarkConfig cfg;
  cfg.check_witness = false;
  return cfg;
}

TEST(StarkSoundness, ProverRefusesABadWitnessWhenChecking) {
  const air::MachineAir m = fibonacci_air();
  MachineWitness w = fibonacci_witness(6);
  w.main[0][10] += Fp::one();
  auto pk = stark_setup(m, no_fixed(m), fri_test_preset());
  auto proof = stark_prove(m, *pk, w);
  ASSERT_FALSE(proof.is_ok());
  EXPECT_NE(proof.status().message().find("violates constraint"), std::string::npos)
      << proof.status().message();
}

TEST(StarkSoundness, SingleChangedTraceCellIsRejected) {
  const air::MachineAir m = fibonacci_air();
  Rng rng(test_seed("StarkSoundness.SingleChangedTraceCell"));
  for (int trial = 0; trial < 6; ++trial) {
    MachineWitness w = fibonacci_witness(8);
    const size_t cell = rng.uniform(w.main[0].size());
    w.main[0][cell] += Fp::from_u64(1 + rng.uniform(1000));
    Proved p = prove(m, no_fixed(m), w, fri_test_preset(), unchecked());
    Status s = stark_verify(m, p.pk.vk, p.proof);
    EXPECT_FALSE(s.is_ok()) << "changed cell " << cell << " was accepted";
  }
}

TEST(StarkSoundness, ChangedPublicInputIsRejected) {
  const air::MachineAir m = fibonacci_air();
  Proved p = prove(m, no_fixed(m), fibonacci_witness(8), fri_test_preset());
  ASSERT_TRUE(stark_verify(m, p.pk.vk, p.proof).is_ok());
  for (size_t i = 0; i < p.proof.publics.size(); ++i) {
    StarkProof bad = p.proof;
    bad.publics[i] += Fp::one();
    EXPECT_FALSE(stark_verify(m, p.pk.vk, bad).is_ok()) << "public " << i;
  }
  // A consistent witness for other publics does not verify under the claimed ones either.
  MachineWitness other = fibonacci_witness(8, Fp::from_u32(2), Fp::from_u32(3));
  Proved q = prove(m, no_fixed(m), other, fri_test_preset());
  q.proof.publics = p.proof.publics;
  EXPECT_FALSE(stark_verify(m, p.pk.vk, q.proof).is_ok());
}

TEST(StarkSoundness, EveryByteRegionOfTheProofMatters) {
  const air::MachineAir m = examples::range_check_air();
  Proved p = prove(m, examples::range_check_fixed(6), examples::range_check_witness(7, 6, 5),
                   fri_test_preset());
  const std::vector<uint8_t> bytes = serialize_proof(p.proof);
  ASSERT_TRUE(stark_verify(m, p.pk.vk, p.proof).is_ok());
  // Flip a bit in each 4-byte word (every field element, count, flag and digest), skipping
  // none: each change must make parsing or verification fail.
  size_t accepted = 0, checked = 0;
  for (size_t off = 0; off < bytes.size(); off += 4) {
    std::vector<uint8_t> bad = bytes;
    bad[off] ^= 0x01;
    ++checked;
    auto parsed = deserialize_proof(bad);
    if (!parsed) continue;
    if (stark_verify(m, p.pk.vk, *parsed).is_ok()) {
      ++accepted;
      ADD_FAILURE() << "proof with byte " << off << " changed was accepted";
    }
  }
  EXPECT_EQ(accepted, 0u) << "of " << checked;
}

TEST(StarkSoundness, LookupOutsideTheTableIsRejected) {
  const air::MachineAir m = examples::range_check_air();
  MachineWitness w = examples::range_check_witness(6, 4, 9);
  w.main[0][5] = Fp::from_u32(16);  // 2^4 is out of range; counts stay as they were
  auto pk = stark_setup(m, examples::range_check_fixed(4), fri_test_preset());
  ASSERT_TRUE(pk.is_ok());
  auto checked = stark_prove(m, *pk, w);
  ASSERT_FALSE(checked.is_ok());
  EXPECT_NE(checked.status().message().find("LogUp"), std::string::npos)
      << checked.status().message();
  auto proof = stark_prove(m, *pk, w, unchecked());
  ASSERT_TRUE(proof.is_ok()) << proof.status().to_string();
  Status s = stark_verify(m, pk->vk, *proof);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("do not balance"), std::string::npos) << s.message();
}

TEST(StarkSoundness, UnbalancedBusIsRejectedEvenWithConsistentSums) {
  const air::MachineAir m = examples::permutation_air();
  MachineWitness w = examples::permutation_witness(6, 4, 3);
  // Receive one tuple once more than it was sent.
  const size_t nr = size_t(1) << 4;
  w.main[1][2 * nr + nr - 1] += Fp::one();
  auto pk = stark_setup(m, no_fixed(m), fri_test_preset());
  auto proof = stark_prove(m, *pk, w, unchecked());
  ASSERT_TRUE(proof.is_ok());
  EXPECT_FALSE(stark_verify(m, pk->vk, *proof).is_ok());
  // A prover that lies about its table's LogUp sum to force a balance is caught by the
  // running-sum constraints.
  StarkProof forged = *proof;
  forged.aux_sums[1] = -forged.aux_sums[0];
  EXPECT_FALSE(stark_verify(m, pk->vk, forged).is_ok());
}

// The running sum has no column of its own per group and no first/last-row constraints: the
// last group's constraint reads it on every row, the last row wrapping to the first, against
// T/n (air::TableAir::finalize). A prover claiming the sum that balances an unbalanced bus, with
// a running sum that follows the claim, breaks that constraint only at the wrap-around.
TEST(StarkSoundness, ForgedLogUpSumIsCaughtAtTheRunningSumsWrapAround) {
  const air::MachineAir m = examples::permutation_air();
  ASSERT_TRUE(m.tables[1].uses_logup());
  MachineWitness w = examples::permutation_witness(6, 4, 3);
  auto pk = stark_setup(m, no_fixed(m), fri_test_preset());
  ASSERT_TRUE(pk.is_ok());
  StarkConfig forge;
  forge.forge_logup_balance_for_testing = true;
  // Balanced buses: the claim is the true sum and the proof verifies (the hook changes nothing).
  auto honest = stark_prove(m, *pk, w, forge);
  ASSERT_TRUE(honest.is_ok()) << honest.status().to_string();
  EXPECT_TRUE(stark_verify(m, pk->vk, *honest).is_ok());
  // Receive one tuple once more than it was sent (table 1, the last with a bus).
  const size_t nr = size_t(1) << 4;
  w.main[1][2 * nr + nr - 1] += Fp::one();
  // The prover's own check finds the one violated row: the last, whose next row is the first.
  auto checked = stark_prove(m, *pk, w, forge);
  ASSERT_FALSE(checked.is_ok());
  EXPECT_NE(checked.status().message().find("of table " + m.tables[1].name() + " at row " +
                                            std::to_string(nr - 1)),
            std::string::npos)
      << checked.status().message();
  forge.check_witness = false;
  auto forged = stark_prove(m, *pk, w, forge);
  ASSERT_TRUE(forged.is_ok()) << forged.status().to_string();
  Status s = stark_verify(m, pk->vk, *forged);
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(s.message().find("do not balance"), std::string::npos) << s.message();
}

TEST(StarkSoundness, WrongParametersAndWeakProofOfWorkAreRejected) {
  const air::MachineAir m = fibonacci_air();
  FriParams params = fri_test_preset();
  params.pow_bits = 8;
  Proved p = prove(m, no_fixed(m), fibonacci_witness(7), params);
  ASSERT_TRUE(stark_verify(m, p.pk.vk, p.proof).is_ok());
  // A proof made with fewer queries does not verify under the key's parameters.
  FriParams weaker = params;
  weaker.num_queries = 2;
  Proved w = prove(m, no_fixed(m), fibonacci_witness(7), weaker);
  Status s = stark_verify(m, p.pk.vk, w.proof);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("parameters"), std::string::npos) << s.message();
  // Claiming the key's parameters on the weaker proof fails too.
  w.proof.params = params;
  EXPECT_FALSE(stark_verify(m, p.pk.vk, w.proof).is_ok());
  // Proof-of-work witnesses that do not meet the bits are rejected.
  size_t rejected = 0;
  for (uint32_t delta = 1; delta <= 16; ++delta) {
    StarkProof bad = p.proof;
    bad.fri.pow_witness += Fp::from_u32(delta);
    Status r = stark_verify(m, p.pk.vk, bad);
    if (!r.is_ok()) ++rejected;
    if (!r.is_ok() && r.message().find("proof of work") != std::string::npos) continue;
  }
  EXPECT_EQ(rejected, 16u);
}

TEST(StarkSoundness, ProofForOneMachineDoesNotVerifyForAnother) {
  const air::MachineAir fib = fibonacci_air();
  air::MachineAir other = fibonacci_air();
  other.name = "fibonacci-other";
  Proved p = prove(fib, no_fixed(fib), fibonacci_witness(6), fri_test_preset());
  auto vk = stark_verifying_key(other, no_fixed(other), fri_test_preset());
  ASSERT_TRUE(vk.is_ok());
  EXPECT_FALSE(stark_verify(other, *vk, p.proof).is_ok());
  // Different fixed columns give a different key; the proof does not verify under it.
  const air::MachineAir m = examples::range_check_air();
  Proved r = prove(m, examples::range_check_fixed(5), examples::range_check_witness(5, 5, 1),
                   fri_test_preset());
  auto fixed = examples::range_check_fixed(5);
  fixed[1][3] += Fp::one();
  auto vk2 = stark_verifying_key(m, fixed, fri_test_preset());
  ASSERT_TRUE(vk2.is_ok());
  EXPECT_FALSE(stark_verify(m, *vk2, r.proof).is_ok());
}

TEST(StarkProofFormat, MalformedInputIsAClearErrorNeverACrash) {
  const air::MachineAir m = fibonacci_air();
  Proved p = prove(m, no_fixed(m), fibonacci_witness(5), fri_test_preset());
  const auto bytes = serialize_proof(p.proof);
  // Every truncation.
  for (size_t len = 0; len < bytes.size(); len += 7) {
    auto r = deserialize_proof(std::span<const uint8_t>(bytes.data(), len));
    ASSERT_FALSE(r.is_ok()) << len;
  }
  auto extra = bytes;
  extra.push_back(0);
  auto r = deserialize_proof(extra);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("trailing"), std::string::npos);
  auto bad_magic = bytes;
  bad_magic[0] = 'X';
  EXPECT_NE(deserialize_proof(bad_magic).status().message().find("magic"), std::string::npos);
  auto bad_version = bytes;
  bad_version[8] = 99;
  EXPECT_NE(deserialize_proof(bad_version).status().message().find("version"), std::string::npos);
  // A hostile count does not allocate: the table count field set to 2^31.
  auto huge = bytes;
  huge[8 + 4 + 24 + 3] = 0x80;  // after the magic, version and six parameter words
  auto h = deserialize_proof(huge);
  ASSERT_FALSE(h.is_ok());
  EXPECT_NE(h.status().message().find("exceeds the limit"), std::string::npos)
      << h.status().message();
  // Random garbage.
  Rng rng(test_seed("StarkProofFormat.Garbage"));
  for (int i = 0; i < 200; ++i) {
    std::vector<uint8_t> g = bytes;
    for (int k = 0; k < 8; ++k) g[rng.uniform(g.size())] = uint8_t(rng.next_u32());
    auto parsed = deserialize_proof(g);
    if (parsed) (void)stark_verify(m, p.pk.vk, *parsed);  // must not crash
  }
}

// A table receives (row, value) tuples that the verifier supplies as public interactions: the
// proof verifies with exactly the prover's list and fails with any change to it.
TEST(Stark, PublicInteractionsBindValuesTheVerifierSupplies) {
  air::MachineAir m;
  m.name = "public-io";
  air::TableAir t("io", 3);  // index, value, multiplicity of the receive
  t.interact(7, -t.main(2), {t.main(0), t.main(1)});
  ASSERT_TRUE(t.finalize(3).is_ok());
  m.tables.push_back(std::move(t));
  Rng rng(test_seed("Stark.PublicInteractions"));
  const size_t n = 16, used = 11;  // the last rows are padding with multiplicity 0
  std::vector<Fp> col(3 * n, Fp::zero());
  MachineWitness w;
  for (size_t i = 0; i < used; ++i) {
    col[i] = Fp::from_u64(i);
    col[n + i] = Fp::from_u32(rng.next_u32() % 2000000000u);
    col[2 * n + i] = Fp::one();
    w.public_interactions.push_back({7, Fp::one(), {col[i], col[n + i]}});
  }
  w.main = {col};
  const Proved p = prove(m, no_fixed(m), w, fri_test_preset());
  const auto& pub = w.public_interactions;
  EXPECT_TRUE(stark_verify(m, p.pk.vk, p.proof, pub).is_ok());
  // Missing, changed, extra, reordered (the transcript binds the order), none at all.
  auto dropped = pub;
  dropped.pop_back();
  EXPECT_FALSE(stark_verify(m, p.pk.vk, p.proof, dropped).is_ok());
  auto changed = pub;
  changed[3].values[1] += Fp::one();
  EXPECT_FALSE(stark_verify(m, p.pk.vk, p.proof, changed).is_ok());
  auto extra = pub;
  extra.push_back({7, Fp::one(), {Fp::from_u64(99), Fp::one()}});
  EXPECT_FALSE(stark_verify(m, p.pk.vk, p.proof, extra).is_ok());
  auto swapped = pub;
  std::swap(swapped[0], swapped[1]);
  EXPECT_FALSE(stark_verify(m, p.pk.vk, p.proof, swapped).is_ok());
  EXPECT_FALSE(stark_verify(m, p.pk.vk, p.proof).is_ok());
  // The prover's own balance check refuses a list that does not match the table.
  MachineWitness bad = w;
  bad.public_interactions = changed;
  auto pk = stark_setup(m, no_fixed(m), fri_test_preset());
  ASSERT_TRUE(pk.is_ok());
  auto refused = stark_prove(m, *pk, bad);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().message().find("do not balance"), std::string::npos)
      << refused.status().message();
  // With the prover's checks off, the proof is made but does not verify for either list.
  StarkConfig unchecked;
  unchecked.check_witness = false;
  auto forged = stark_prove(m, *pk, bad, unchecked);
  ASSERT_TRUE(forged.is_ok()) << forged.status().to_string();
  EXPECT_FALSE(stark_verify(m, pk->vk, *forged, changed).is_ok());
  EXPECT_FALSE(stark_verify(m, pk->vk, *forged, pub).is_ok());
}

// --- FRI folding arity and the proof's size. ---

TEST(StarkFri, FoldScheduleStopsAtEveryInputHeightAndTheFinalDomain) {
  FriParams params = fri_test_preset();
  params.log_blowup = 2;
  params.log_final_poly_len = 3;  // final domain 2^5
  params.log_arity = 3;
  const uint32_t heights[] = {22, 18, 14, 12};
  const auto layers = fri_internal::fold_schedule(params, heights);
  const std::vector<std::pair<uint32_t, uint32_t>> want = {
      {22, 3}, {19, 1}, {18, 3}, {15, 1}, {14, 2}, {12, 3}, {9, 3}, {6, 1}};
  ASSERT_EQ(layers.size(), want.size());
  for (size_t r = 0; r < want.size(); ++r) {
    EXPECT_EQ(layers[r].log_height, want[r].first) << r;
    EXPECT_EQ(layers[r].log_arity, want[r].second) << r;
  }
  // Arity 2: one layer per halving, as before.
  params.log_arity = 1;
  EXPECT_EQ(fri_internal::fold_schedule(params, heights).size(), 22u - 5u);
  // Already at the final domain: no layer.
  const uint32_t small[] = {5};
  EXPECT_TRUE(fri_internal::fold_schedule(params, small).empty());
}

TEST(StarkFri, EveryArityProvesAndVerifiesAndHigherAritiesAreSmaller) {
  // Two tables of different heights and a fixed table: FRI inputs at three heights.
  const air::MachineAir m = examples::range_check_air();
  const auto fixed = examples::range_check_fixed(9);
  const MachineWitness w = examples::range_check_witness(13, 9, 5);
  FriParams params = fri_test_preset();
  params.num_queries = 24;
  std::vector<size_t> sizes;
  for (uint32_t k = 1; k <= kMaxFriLogArity; ++k) {
    params.log_arity = k;
    Proved p = prove(m, fixed, w, params);
    Status s = stark_verify(m, p.pk.vk, p.proof);
    ASSERT_TRUE(s.is_ok()) << "arity 2^" << k << ": " << s.to_string();
    auto bytes = serialize_proof(p.proof);
    auto back = deserialize_proof(bytes);
    ASSERT_TRUE(back.is_ok()) << back.status().to_string();
    ASSERT_TRUE(stark_verify(m, p.pk.vk, *back).is_ok());
    // The breakdown accounts for every byte.
    size_t sum = 0;
    for (const ProofSizePart& part : proof_size_breakdown(p.proof, &m)) sum += part.bytes;
    EXPECT_EQ(sum, bytes.size()) << "arity 2^" << k;
    sizes.push_back(bytes.size());
  }
  EXPECT_LT(sizes[2], sizes[0]) << "arity 8 is not smaller than arity 2";
  params.log_arity = kMaxFriLogArity + 1;
  auto pk = stark_setup(m, fixed, params);
  ASSERT_FALSE(pk.is_ok());
  EXPECT_NE(pk.status().message().find("log_arity"), std::string::npos);
}

TEST(StarkSoundness, TamperedFriLayersAreRejectedAtEveryArity) {
  const air::MachineAir m = examples::range_check_air();
  const auto fixed = examples::range_check_fixed(7);
  const MachineWitness w = examples::range_check_witness(11, 7, 3);
  Rng rng(test_seed("StarkSoundness.TamperedFriLayers"));
  for (uint32_t k : {1u, 2u, 3u}) {
    FriParams params = fri_test_preset();
    params.log_arity = k;
    Proved p = prove(m, fixed, w, params);
    ASSERT_TRUE(stark_verify(m, p.pk.vk, p.proof).is_ok());
    const FriProof& fri = p.proof.fri;
    ASSERT_FALSE(fri.layer_openings.empty());
    for (size_t r = 0; r < fri.layer_openings.size(); ++r) {
      const MerkleBatchOpening& op = fri.layer_openings[r];
      // An opened value of a random query.
      {
        StarkProof bad = p.proof;
        const size_t q = rng.uniform(op.rows.size());
        auto& row = bad.fri.layer_openings[r].rows[q][0];
        row[rng.uniform(row.size())] += Fp::one();
        EXPECT_FALSE(stark_verify(m, p.pk.vk, bad).is_ok()) << "arity 2^" << k << " layer " << r;
      }
      // A sibling digest.
      if (!op.siblings.empty()) {
        StarkProof bad = p.proof;
        auto& sib = bad.fri.layer_openings[r].siblings[rng.uniform(op.siblings.size())];
        sib[rng.uniform(sib.size())] += Fp::one();
        EXPECT_FALSE(stark_verify(m, p.pk.vk, bad).is_ok()) << "arity 2^" << k << " layer " << r;
      }
      // A value dropped or added (the row's shape).
      {
        StarkProof bad = p.proof;
        bad.fri.layer_openings[r].rows[0][0].pop_back();
        Status s = stark_verify(m, p.pk.vk, bad);
        ASSERT_FALSE(s.is_ok());
        EXPECT_NE(s.message().find("wrong shape"), std::string::npos) << s.message();
      }
      // The layer's commitment.
      {
        StarkProof bad = p.proof;
        bad.fri.commitments[r][0] += Fp::one();
        EXPECT_FALSE(stark_verify(m, p.pk.vk, bad).is_ok()) << "arity 2^" << k << " layer " << r;
      }
    }
    // A final polynomial coefficient.
    StarkProof bad = p.proof;
    bad.fri.final_poly[rng.uniform(bad.fri.final_poly.size())] += Fp4::one();
    EXPECT_FALSE(stark_verify(m, p.pk.vk, bad).is_ok()) << "arity 2^" << k;
    // A proof for one arity claimed under another is refused.
    FriParams other = params;
    other.log_arity = k == 1 ? 2 : 1;
    auto vk = stark_verifying_key(m, fixed, other);
    ASSERT_TRUE(vk.is_ok());
    StarkProof relabeled = p.proof;
    relabeled.params = other;
    EXPECT_FALSE(stark_verify(m, *vk, relabeled).is_ok()) << "arity 2^" << k;
  }
}

// --- The Merkle hash (FriParams::merkle_hash), a soundness parameter of the proof. ---

FriParams test_params(MerkleHash h) {
  FriParams p = fri_test_preset();
  p.merkle_hash = h;
  return p;
}

constexpr MerkleHash kBothHashes[] = {MerkleHash::kPoseidon2, MerkleHash::kBlake3};

struct ExampleCase {
  air::MachineAir m;
  std::vector<std::vector<Fp>> fixed;
  MachineWitness w;
};

// Fibonacci (main only), range check (fixed columns and LogUp), permutation (two LogUp tables).
std::vector<ExampleCase> small_examples() {
  std::vector<ExampleCase> cases;
  cases.push_back({fibonacci_air(), {}, fibonacci_witness(8)});
  cases.back().fixed = no_fixed(cases.back().m);
  cases.push_back({examples::range_check_air(), examples::range_check_fixed(6),
                   examples::range_check_witness(7, 6, 5)});
  cases.push_back({examples::permutation_air(), {}, examples::permutation_witness(6, 4, 3)});
  cases.back().fixed = no_fixed(cases.back().m);
  return cases;
}

TEST(StarkMerkleHash, ExamplesRoundTripUnderBothHashesOnEveryBackend) {
  for (ExampleCase& c : small_examples()) {
    std::vector<Digest> main_roots;
    for (MerkleHash h : kBothHashes) {
      std::vector<uint8_t> reference;
      for (Backend b : backends(h)) {
        StarkConfig cfg;
        cfg.backend = b;
        Proved p = prove(c.m, c.fixed, c.w, test_params(h), cfg);
        ASSERT_EQ(p.proof.params.merkle_hash, h);
        Status s = stark_verify(c.m, p.pk.vk, p.proof);
        ASSERT_TRUE(s.is_ok()) << c.m.name << " " << merkle_hash_name(h) << " "
                               << backend_name(b) << ": " << s.to_string();
        auto bytes = serialize_proof(p.proof);
        auto back = deserialize_proof(bytes);
        ASSERT_TRUE(back.is_ok()) << back.status().to_string();
        EXPECT_EQ(back->params.merkle_hash, h);
        EXPECT_EQ(serialize_proof(*back), bytes);
        ASSERT_TRUE(stark_verify(c.m, p.pk.vk, *back).is_ok());
        if (reference.empty()) {
          reference = bytes;
          main_roots.push_back(p.proof.main_root);
        } else {
          ASSERT_EQ(bytes, reference) << c.m.name << " " << merkle_hash_name(h) << ": "
                                      << backend_name(b) << " proof differs from scalar";
        }
      }
    }
    EXPECT_NE(main_roots[0], main_roots[1]) << c.m.name << ": the hash changes no commitment";
  }
}

// A proof made with one hash and relabelled as the other is rejected: by a verifying key of
// the original hash (the parameters differ), and by one of the claimed hash (its fixed root,
// the transcript and every Merkle opening differ), also when the machine has no fixed columns.
TEST(StarkMerkleHash, ProofRelabelledAsTheOtherHashIsRejected) {
  for (ExampleCase& c : small_examples()) {
    for (MerkleHash h : kBothHashes) {
      const MerkleHash other =
          h == MerkleHash::kBlake3 ? MerkleHash::kPoseidon2 : MerkleHash::kBlake3;
      Proved p = prove(c.m, c.fixed, c.w, test_params(h));
      ASSERT_TRUE(stark_verify(c.m, p.pk.vk, p.proof).is_ok());
      StarkProof relabelled = p.proof;
      relabelled.params.merkle_hash = other;
      Status s = stark_verify(c.m, p.pk.vk, relabelled);
      ASSERT_FALSE(s.is_ok()) << c.m.name;
      EXPECT_NE(s.message().find("Merkle " + std::string(merkle_hash_name(other))),
                std::string::npos)
          << s.message();
      auto vk = stark_verifying_key(c.m, c.fixed, test_params(other));
      ASSERT_TRUE(vk.is_ok());
      EXPECT_FALSE(stark_verify(c.m, *vk, relabelled).is_ok())
          << c.m.name << ": a " << merkle_hash_name(h) << " proof passed as "
          << merkle_hash_name(other);
      // The same through the binary format: the hash word, rewritten.
      std::vector<uint8_t> bytes = serialize_proof(p.proof);
      const size_t at = 8 + 4 + 5 * 4;  // magic, version, the five FRI numbers
      ASSERT_EQ(bytes[at], uint8_t(h));
      bytes[at] = uint8_t(other);
      auto parsed = deserialize_proof(bytes);
      ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
      EXPECT_FALSE(stark_verify(c.m, *vk, *parsed).is_ok());
      bytes[at] = 2;  // neither hash
      auto unknown = deserialize_proof(bytes);
      ASSERT_FALSE(unknown.is_ok());
      EXPECT_NE(unknown.status().message().find("Merkle hash 2"), std::string::npos)
          << unknown.status().message();
    }
  }
  FriParams bad = fri_test_preset();
  bad.merkle_hash = MerkleHash(5);
  EXPECT_EQ(validate(bad).code(), StatusCode::kInvalidArgument);
}

// Tampering with a BLAKE3 proof's opened rows, siblings and roots (every tree: fixed, main,
// aux, quotient, FRI layers) is rejected.
TEST(StarkMerkleHash, TamperedBlake3ProofIsRejected) {
  const air::MachineAir m = examples::range_check_air();
  Proved p = prove(m, examples::range_check_fixed(6), examples::range_check_witness(7, 6, 5),
                   test_params(MerkleHash::kBlake3));
  ASSERT_TRUE(stark_verify(m, p.pk.vk, p.proof).is_ok());
  ASSERT_TRUE(p.proof.pre_queries && p.proof.aux_queries && p.proof.aux_root);
  Rng rng(test_seed("StarkMerkleHash.TamperedBlake3"));
  auto tamper = [&](const char* what, const std::function<MerkleBatchOpening&(StarkProof&)>& get) {
    {
      StarkProof bad = p.proof;
      MerkleBatchOpening& o = get(bad);
      auto& q = o.rows[rng.uniform(o.rows.size())];
      auto& row = q[rng.uniform(q.size())];
      row[rng.uniform(row.size())] += Fp::one();
      EXPECT_FALSE(stark_verify(m, p.pk.vk, bad).is_ok()) << what << ": opened row";
    }
    StarkProof bad = p.proof;
    MerkleBatchOpening& o = get(bad);
    ASSERT_FALSE(o.siblings.empty()) << what;
    o.siblings[rng.uniform(o.siblings.size())][rng.uniform(kDigestSize)] += Fp::one();
    EXPECT_FALSE(stark_verify(m, p.pk.vk, bad).is_ok()) << what << ": sibling";
  };
  tamper("fixed", [](StarkProof& b) -> MerkleBatchOpening& { return *b.pre_queries; });
  tamper("main", [](StarkProof& b) -> MerkleBatchOpening& { return b.main_queries; });
  tamper("aux", [](StarkProof& b) -> MerkleBatchOpening& { return *b.aux_queries; });
  tamper("quotient", [](StarkProof& b) -> MerkleBatchOpening& { return b.quotient_queries; });
  ASSERT_FALSE(p.proof.fri.layer_openings.empty());
  for (size_t r = 0; r < p.proof.fri.layer_openings.size(); ++r) {
    tamper("FRI layer", [r](StarkProof& b) -> MerkleBatchOpening& {
      return b.fri.layer_openings[r];
    });
  }
  std::vector<std::function<Digest&(StarkProof&)>> roots = {
      [](StarkProof& b) -> Digest& { return b.main_root; },
      [](StarkProof& b) -> Digest& { return *b.aux_root; },
      [](StarkProof& b) -> Digest& { return b.quotient_root; },
  };
  for (size_t r = 0; r < p.proof.fri.commitments.size(); ++r) {
    roots.push_back([r](StarkProof& b) -> Digest& { return b.fri.commitments[r]; });
  }
  for (size_t i = 0; i < roots.size(); ++i) {
    StarkProof bad = p.proof;
    roots[i](bad)[rng.uniform(kDigestSize)] += Fp::one();
    EXPECT_FALSE(stark_verify(m, p.pk.vk, bad).is_ok()) << "root " << i;
  }
  // The fixed columns' root is the verifying key's: another one rejects the proof.
  VerifyingKey vk = p.pk.vk;
  (*vk.pre_root)[0] += Fp::one();
  EXPECT_FALSE(stark_verify(m, vk, p.proof).is_ok());
}

// Only the columns a constraint reads at the next row are opened at g z.
TEST(Stark, OnlyNextRowColumnsAreOpenedAtTheNextPoint) {
  air::MachineAir m;
  m.name = "next-columns";
  air::TableAir t("t", 3);  // col 0 counts up by col 2 (constant); col 1 is col 0 squared
  t.assert_transition(t.main_next(0) - t.main(0) - t.main(2));
  t.assert_zero(t.main(1) - t.main(0) * t.main(0));
  ASSERT_TRUE(t.finalize(3).is_ok());
  m.tables.push_back(std::move(t));
  const size_t n = 64;
  std::vector<Fp> col(3 * n);
  for (size_t i = 0; i < n; ++i) {
    col[i] = Fp::from_u64(3 * i);
    col[n + i] = col[i] * col[i];
    col[2 * n + i] = Fp::from_u64(3);
  }
  MachineWitness w;
  w.main = {col};
  const auto nx = stark_internal::next_columns(m.tables[0]);
  EXPECT_EQ(nx.main, std::vector<uint32_t>{0});
  Proved p = prove(m, no_fixed(m), w, fri_test_preset());
  ASSERT_EQ(p.proof.openings[0].main.size(), 3u);
  ASSERT_EQ(p.proof.openings[0].main_next.size(), 1u);
  ASSERT_TRUE(stark_verify(m, p.pk.vk, p.proof).is_ok());
  // The one g z value is bound (constraints and DEEP); sending the others is refused.
  StarkProof bad = p.proof;
  bad.openings[0].main_next[0] += Fp4::one();
  EXPECT_FALSE(stark_verify(m, p.pk.vk, bad).is_ok());
  StarkProof extra = p.proof;
  extra.openings[0].main_next.push_back(Fp4::one());
  Status s = stark_verify(m, p.pk.vk, extra);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("next-row main openings"), std::string::npos) << s.message();
  // A value at z of a column without a g z opening is bound too.
  StarkProof at_z = p.proof;
  at_z.openings[0].main[1] += Fp4::one();
  EXPECT_FALSE(stark_verify(m, p.pk.vk, at_z).is_ok());
  at_z = p.proof;
  at_z.openings[0].main[2] += Fp4::one();
  EXPECT_FALSE(stark_verify(m, p.pk.vk, at_z).is_ok());
}

}  // namespace
}  // namespace efaas
