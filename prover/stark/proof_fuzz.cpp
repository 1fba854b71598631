// libFuzzer target for the STARK proof parser: any byte string must parse or fail cleanly, and
// anything that parses must verify or be rejected, never crash. A parsed proof is checked
// against three example machines (examples.hpp), so that the verifier's paths for fixed
// columns and LogUp buses are reached too, not only Fibonacci's.
#include <cstddef>
#include <cstdint>
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

}  // namespace

// With EFAAS_FUZZ_SEED=<file> in the environment, writes a valid proof of each machine first
// (<file>, <file>.range, <file>.perm): seeds for the corpus that get past the header and reach
// every opening kind.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* path = std::getenv("EFAAS_FUZZ_SEED")) {
    const std::vector<Machine> ms = machines();
    const std::vector<MachineWitness> ws = witnesses();
    const char* suffix[] = {"", ".range", ".perm"};
    for (size_t i = 0; i < ms.size(); ++i) {
      auto pk = stark_setup(ms[i].air, ms[i].fixed, fri_test_preset());
      auto proof = stark_prove(ms[i].air, *pk, ws[i]);
      if (!proof) std::abort();  // a seed that does not prove is a broken setup, not a finding
      const auto bytes = serialize_proof(*proof);
      std::ofstream(std::string(path) + suffix[i], std::ios::binary)
          .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    }
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<Machine> ms = machines();
  static const std::vector<VerifyingKey> vks = [] {
    std::vector<VerifyingKey> v;
    for (const Machine& m : ms) v.push_back(*stark_verifying_key(m.air, m.fixed, fri_test_preset()));
    return v;
  }();
  auto proof = deserialize_proof(std::span<const uint8_t>(data, size));
  if (!proof) return 0;
  for (size_t i = 0; i < ms.size(); ++i) (void)stark_verify(ms[i].air, vks[i], *proof);
  return 0;
}
