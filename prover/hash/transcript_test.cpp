// Transcript tests: duplex behaviour against its definition, determinism, prover/verifier
// agreement, grinding against a brute-force search, and rejection of wrong witnesses.
#include <gtest/gtest.h>

#include <vector>

#include "prover/common/cpu_features.hpp"
#include "prover/common/rng.hpp"
#include "prover/hash/transcript.hpp"

namespace efaas {
namespace {

Fp random_fp(Rng& rng) {
  return Fp::from_canonical(uint32_t(rng.uniform(Fp::kP)));
}

TEST(Transcript, DuplexMatchesDefinition) {
  Rng rng(test_seed("Transcript.DuplexMatchesDefinition"));
  Fp a = random_fp(rng), b = random_fp(rng), c = random_fp(rng);
  Transcript t;
  t.observe(a);
  t.observe(b);
  t.observe(c);
  Poseidon2State s{};
  s[0] = a;
  s[1] = b;
  s[2] = c;
  poseidon2_permute(s);
  // Samples come from the rate part, last lane first.
  for (int i = 7; i >= 0; --i) EXPECT_EQ(t.sample(), s[size_t(i)]) << "lane " << i;
  // The buffer is empty: the next sample duplexes again with no input.
  poseidon2_permute(s);
  EXPECT_EQ(t.sample(), s[7]);
  // An observation discards the unread outputs and overwrites lane 0.
  Fp d = random_fp(rng);
  t.observe(d);
  s[0] = d;
  poseidon2_permute(s);
  EXPECT_EQ(t.sample(), s[7]);
}

TEST(Transcript, EightObservationsDuplexOnce) {
  Rng rng(test_seed("Transcript.EightObservationsDuplexOnce"));
  Digest dg;
  for (auto& x : dg) x = random_fp(rng);
  Transcript t;
  t.observe(dg);
  Poseidon2State s{};
  std::copy(dg.begin(), dg.end(), s.begin());
  poseidon2_permute(s);
  EXPECT_EQ(t.sample(), s[7]);
}

TEST(Transcript, DeterministicAndSensitive) {
  Rng rng(test_seed("Transcript.DeterministicAndSensitive"));
  std::vector<Fp> xs(13);
  for (auto& x : xs) x = random_fp(rng);
  Fp4 e(random_fp(rng), random_fp(rng), random_fp(rng), random_fp(rng));
  auto run = [&](const std::vector<Fp>& in, std::string_view label) {
    Transcript t(label);
    t.observe(std::span<const Fp>(in));
    t.observe(e);
    std::vector<uint32_t> out;
    out.push_back(t.sample().to_canonical());
    Fp4 s = t.sample_ext();
    for (Fp c : s.coeffs()) out.push_back(c.to_canonical());
    for (size_t i : t.sample_indices(5, 20)) out.push_back(uint32_t(i));
    return out;
  };
  EXPECT_EQ(run(xs, "fri"), run(xs, "fri"));
  EXPECT_NE(run(xs, "fri"), run(xs, "frj"));
  EXPECT_NE(run(xs, "fri"), run(xs, std::string_view("fri\0", 4)));
  auto ys = xs;
  ys[12] += Fp::one();
  EXPECT_NE(run(xs, "fri"), run(ys, "fri"));
}

TEST(Transcript, ExtensionSpanObservesCoefficientsInOrder) {
  Rng rng(test_seed("Transcript.ExtensionSpanObservesCoefficientsInOrder"));
  std::vector<Fp4> es(3);
  std::vector<Fp> flat;
  for (auto& e : es) {
    e = Fp4(random_fp(rng), random_fp(rng), random_fp(rng), random_fp(rng));
    for (Fp c : e.coeffs()) flat.push_back(c);
  }
  Transcript a, b;
  a.observe(std::span<const Fp4>(es));
  b.observe(std::span<const Fp>(flat));
  EXPECT_EQ(a.sample_ext(), b.sample_ext());
}

TEST(Transcript, SampleBitsInRange) {
  Transcript t("bits");
  for (uint32_t bits : {0u, 1u, 5u, 17u, 27u}) {
    for (int i = 0; i < 200; ++i) {
      uint32_t v = t.sample_bits(bits);
      ASSERT_LT(uint64_t(v), uint64_t(1) << bits);
    }
  }
  // 27 bits take the canonical value's low bits (not always zero, not the full value).
  Transcript u("bits");
  bool high_seen = false;
  for (int i = 0; i < 200; ++i) high_seen = high_seen || u.sample_bits(27) >= (1u << 26);
  EXPECT_TRUE(high_seen);
}

TEST(Transcript, ProverAndVerifierAgree) {
  Rng rng(test_seed("Transcript.ProverAndVerifierAgree"));
  Digest commit;
  for (auto& x : commit) x = random_fp(rng);
  Fp4 ood(random_fp(rng), random_fp(rng), random_fp(rng), random_fp(rng));

  Transcript prover("stark");
  prover.observe_u64(1u << 20);
  prover.observe(commit);
  Fp4 alpha_p = prover.sample_ext();
  prover.observe(ood);
  auto pow = prover.grind(6);
  ASSERT_TRUE(pow.is_ok()) << pow.status().to_string();
  auto q_p = prover.sample_indices(30, 21);

  Transcript verifier("stark");
  verifier.observe_u64(1u << 20);
  verifier.observe(commit);
  EXPECT_EQ(verifier.sample_ext(), alpha_p);
  verifier.observe(ood);
  EXPECT_TRUE(verifier.check_pow(6, *pow));
  EXPECT_EQ(verifier.sample_indices(30, 21), q_p);
}

TEST(Transcript, GrindFindsSmallestWitnessOnEveryBackendAndThreadCount) {
  Rng rng(test_seed("Transcript.GrindFindsSmallestWitness"));
  for (uint32_t bits : {0u, 1u, 8u, 11u}) {
    Transcript base("pow");
    base.observe(random_fp(rng));  // one pending input: the witness lands in lane 1
    // Oracle: brute force with check_pow on copies.
    uint32_t want = 0;
    for (;; ++want) {
      Transcript c = base;
      if (c.check_pow(bits, Fp::from_canonical(want))) break;
    }
    std::vector<Backend> backends{Backend::kScalar};
    if (avx2_usable()) backends.push_back(Backend::kAvx2);
    if (resolve_backend(Backend::kOpenCl).is_ok()) backends.push_back(Backend::kOpenCl);
    for (Backend b : backends) {
      for (size_t threads : {1, 2}) {
        Transcript t = base;
        GrindConfig cfg;
        cfg.backend = b;
        cfg.threads = threads;
        auto w = t.grind(bits, cfg);
        ASSERT_TRUE(w.is_ok()) << w.status().to_string();
        EXPECT_EQ(w->to_canonical(), want) << "bits " << bits << " " << backend_name(b);
        // Grinding leaves the transcript exactly as the verifier's check does.
        Transcript v = base;
        EXPECT_TRUE(v.check_pow(bits, *w));
        EXPECT_EQ(t.sample(), v.sample());
      }
    }
  }
}

TEST(Transcript, WrongWitnessRejected) {
  Transcript base("pow-reject");
  base.observe(Fp::from_canonical(42));
  Transcript p = base;
  auto w = p.grind(12);
  ASSERT_TRUE(w.is_ok());
  // Every smaller candidate fails (the witness is the smallest), and so do most others.
  for (uint32_t x = 0; x < w->to_canonical(); ++x) {
    Transcript v = base;
    EXPECT_FALSE(v.check_pow(12, Fp::from_canonical(x))) << x;
  }
  int accepted = 0;
  for (uint32_t x = 1; x <= 64; ++x) {
    Transcript v = base;
    accepted += v.check_pow(12, *w + Fp::from_canonical(x));
  }
  EXPECT_LT(accepted, 3);
  // The witness for a different transcript state is rejected.
  Transcript other("pow-reject");
  other.observe(Fp::from_canonical(43));
  Transcript o2 = other;
  auto w2 = o2.grind(12);
  ASSERT_TRUE(w2.is_ok());
  if (*w2 != *w) {
    Transcript v = base;
    EXPECT_FALSE(v.check_pow(12, *w2));
  }
  // Too many bits: an error, and the check refuses.
  Transcript t = base;
  EXPECT_EQ(t.grind(kMaxPowBits + 1).status().code(), StatusCode::kOutOfRange);
  EXPECT_FALSE(t.check_pow(kMaxPowBits + 1, *w));
}

}  // namespace
}  // namespace efaas
