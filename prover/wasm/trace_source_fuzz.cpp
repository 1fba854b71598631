// libFuzzer target: arbitrary bytes through TraceSource (the farm's way of reading a long trace
// file segment by segment): the checked first pass, then records read back by range. Any input
// must fail with a Status or read back what the scan counted, never crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "prover/wasm/trace_source.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace efaas::wasm;
  auto src = TraceSource::over_bytes(std::span<const uint8_t>(data, size));
  if (!src) return 0;
  uint64_t seen = 0;
  auto s = (*src)->scan([&](const TraceChunk& c) {
    seen += c.steps.size();
    return efaas::Status::ok();
  });
  if (!s) return 0;
  const uint64_t n = (*src)->records();
  if (n != seen) std::abort();  // the scan and the record count disagree
  // The whole run, a middle range, and one past the end.
  for (auto [first, count] : {std::pair<uint64_t, uint64_t>{0, n}, {n / 3, n / 2 + 1}, {n, 1}}) {
    auto r = (*src)->read(first, count);
    if (r && first + count <= n && r->size() != count) std::abort();
  }
  return 0;
}
