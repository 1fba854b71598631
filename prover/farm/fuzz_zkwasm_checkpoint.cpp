// libFuzzer target: a stored segment checkpoint (segments/<job>/<index>, read back after a
// restart) must parse into a checkpoint or an error, never crash; what parses re-serializes to
// bytes that parse to the same segment boundary.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "prover/farm/zkwasm_engine.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace efaas::farm;
  std::span<const uint8_t> bytes(data, size);
  auto c = parse_zkwasm_checkpoint(bytes);
  if (c) {
    auto again = parse_zkwasm_checkpoint(serialize_zkwasm_checkpoint(*c));
    if (!again || again->run != c->run || again->index != c->index ||
        again->segment.exit != c->segment.exit || again->segment.keys != c->segment.keys ||
        again->segment.exit_values != c->segment.exit_values) {
      std::abort();
    }
  }
  return 0;
}
