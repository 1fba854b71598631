// libFuzzer target for the STARK proof parser: any byte string must parse or fail cleanly, and
// anything that parses must verify or be rejected, never crash. What a machine's verifier
// accepts must make the honest proof's statement (public values and table heights): the
// fuzzer cannot compute a new proof, so anything else accepted would be a forgery. A parsed proof is checked
// against three example machines (examples.hpp), so that the verifier's paths for fixed
// columns and LogUp buses are reached too, not only Fibonacci's, at the test preset's numbers
// with the proof's Merkle hash (Poseidon2 or BLAKE3).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "prover/stark/examples.hpp"
#include "prover/stark/stark.hpp"

namespace {

using namespace efaas;

struct Machine {
  air::MachineAir air;
  std::vector<std::vector<Fp>> fixed;  // per table (empty where it has no fixed columns)
};

std::vector<Machine> machines() {
  std::vector<Machine> ms;
  ms.push_back({examples::fibonacci_air(), {}});
  ms.push_back({examples::range_check_air(), examples::range_check_fixed(8)});
  ms.push_back({examples::permutation_air(), {}});
  for (Machine& m : ms) m.fixed.resize(m.air.tables.size());
  return ms;
}

// The honest witnesses of machines(), in order: small, so that the seeds stay a few KB.
std::vector<MachineWitness> witnesses() {
  return {examples::fibonacci_witness(3), examples::range_check_witness(4, 8, 7),
          examples::permutation_witness(4, 3, 7)};
}

FriParams test_params(MerkleHash h) {
  FriParams p = fri_test_preset();
  p.merkle_hash = h;
  return p;
}

constexpr MerkleHash kHashes[] = {MerkleHash::kPoseidon2, MerkleHash::kBlake3};

}  // namespace

// With EFAAS_FUZZ_SEED=<file> in the environment, writes a valid proof of each machine first
// (<file>, <file>.range, <file>.perm; the same with BLAKE3 Merkle trees with ".blake3" appended):
// seeds for the corpus that get past the header and reach every opening kind under both hashes.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* path = std::getenv("EFAAS_FUZZ_SEED")) {
    const std::vector<Machine> ms = machines();
    const std::vector<MachineWitness> ws = witnesses();
    const char* suffix[] = {"", ".range", ".perm"};
    for (MerkleHash h : kHashes) {
      for (size_t i = 0; i < ms.size(); ++i) {
        auto pk = stark_setup(ms[i].air, ms[i].fixed, test_params(h));
        auto proof = stark_prove(ms[i].air, *pk, ws[i]);
        if (!proof) std::abort();  // a seed that does not prove is a broken setup, not a finding
        const auto bytes = serialize_proof(*proof);
        const std::string name = std::string(path) + suffix[i] +
                                 (h == MerkleHash::kBlake3 ? ".blake3" : "");
        std::ofstream(name, std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
      }
    }
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<Machine> ms = machines();
  static const std::vector<std::vector<VerifyingKey>> vks = [] {  // by MerkleHash, machine
    std::vector<std::vector<VerifyingKey>> v;
    for (MerkleHash h : kHashes) {
      v.emplace_back();
      for (const Machine& m : ms) v.back().push_back(*stark_verifying_key(m.air, m.fixed, test_params(h)));
    }
    return v;
  }();
  static const std::vector<StarkProof> honest = [] {  // per machine, Poseidon2
    std::vector<StarkProof> v;
    const std::vector<MachineWitness> ws = witnesses();
    for (size_t i = 0; i < ms.size(); ++i) {
      auto pk = stark_setup(ms[i].air, ms[i].fixed, test_params(MerkleHash::kPoseidon2));
      auto proof = stark_prove(ms[i].air, *pk, ws[i]);
      if (!proof) std::abort();
      v.push_back(std::move(*proof));
    }
    return v;
  }();
  auto proof = deserialize_proof(std::span<const uint8_t>(data, size));
  if (!proof) return 0;
  const auto& keys = vks[size_t(proof->params.merkle_hash)];  // parsing checked the value
  for (size_t i = 0; i < ms.size(); ++i) {
    if (stark_verify(ms[i].air, keys[i], *proof).is_ok() &&
        (proof->publics != honest[i].publics || proof->log_heights != honest[i].log_heights)) {
      std::fprintf(stderr, "machine %zu accepted a proof of another statement\n", i);
      std::abort();
    }
  }
  return 0;
}
