// libFuzzer target: the zkWASM job parameters, the canonical Extension input and the streaming
// input check must turn any bytes into a value or an error, and the streaming check must agree
// with the whole-buffer decoder.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "prover/farm/zkwasm_engine.hpp"
#include "prover/wasm/extension.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace efaas::farm;
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)parse_zkwasm_params(text, JobKind::kZkwasmModule);
  (void)parse_zkwasm_params(text, JobKind::kZkwasmTrace);
  std::span<const uint8_t> bytes(data, size);
  const bool decoded = efaas::wasm::decode_extension_input(bytes).is_ok();
  auto check = make_extension_input_check();
  bool streamed = true;
  for (size_t at = 0; at < size && streamed; at += 3) {
    streamed = check->feed(bytes.subspan(at, std::min<size_t>(3, size - at))).is_ok();
  }
  streamed = streamed && check->finish().is_ok();
  if (decoded != streamed) std::abort();
  return 0;
}
