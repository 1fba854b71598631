// libFuzzer target: parse_zkey must return an error, never crash, on any bytes.
#include <cstddef>
#include <cstdint>

#include "prover/groth16/snarkjs_files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = efaas::groth16::parse_zkey(std::span<const uint8_t>(data, size), "fuzz");
  (void)r;
  return 0;
}
