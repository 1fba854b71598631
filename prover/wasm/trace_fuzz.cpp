// libFuzzer target: arbitrary bytes through the streaming trace reader, fed in two pieces.
#include <cstddef>
#include <cstdint>

#include "prover/wasm/trace.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace efaas::wasm;
  TraceReader r;
  const size_t half = size / 2;
  TraceChunk c;
  for (std::span<const uint8_t> piece :
       {std::span<const uint8_t>(data, half), std::span<const uint8_t>(data + half, size - half)}) {
    if (!r.feed(piece)) return 0;
    for (;;) {
      auto got = r.next(c);
      if (!got || !*got) break;
    }
  }
  (void)r.finish();
  return 0;
}
