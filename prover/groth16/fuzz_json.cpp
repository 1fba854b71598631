// libFuzzer target: the snarkjs JSON readers (proof, public signals, verification key).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "prover/groth16/groth16.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto p = efaas::groth16::proof_from_json(text, "fuzz");
  auto pub = efaas::groth16::public_from_json(text, "fuzz");
  auto vk = efaas::groth16::verifying_key_from_json(text, "fuzz");
  if (p.is_ok() && pub.is_ok() && vk.is_ok()) {
    auto v = efaas::groth16::verify(*vk, *pub, *p);
    (void)v;
  }
  return 0;
}
