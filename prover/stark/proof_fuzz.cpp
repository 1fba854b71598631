// libFuzzer target for the STARK proof parser: any byte string must parse or fail cleanly, and
// anything that parses must verify or be rejected, never crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>

#include "prover/stark/examples.hpp"
#include "prover/stark/stark.hpp"

// With EFAAS_FUZZ_SEED=<file> in the environment, writes a valid proof there first: a seed for
// the corpus, so the fuzzer starts from inputs that get past the header.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  using namespace efaas;
  if (const char* path = std::getenv("EFAAS_FUZZ_SEED")) {
    const air::MachineAir m = examples::fibonacci_air();
    FriParams params = fri_test_preset();
    auto pk = stark_setup(m, std::vector<std::vector<Fp>>(1), params);
    auto proof = stark_prove(m, *pk, examples::fibonacci_witness(3));
    auto bytes = serialize_proof(*proof);
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                std::streamsize(bytes.size()));
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace efaas;
  static const air::MachineAir machine = examples::fibonacci_air();
  static const VerifyingKey vk =
      *stark_verifying_key(machine, std::vector<std::vector<Fp>>(1), fri_test_preset());
  auto proof = deserialize_proof(std::span<const uint8_t>(data, size));
  if (proof) (void)stark_verify(machine, vk, *proof);
  return 0;
}
