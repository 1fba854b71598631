#pragma once
// Continuation tests: forged segment witnesses shared by segments_test, segments_mem_test and
// stack_traps_test.
#include <cstdint>
#include <utility>
#include <vector>

#include "prover/stark/stark.hpp"
#include "prover/zkwasm/layout.hpp"
#include "prover/zkwasm/segments_internal.hpp"

namespace efaas::zkwasm {

// The spec of segment `s` of a run cut at `cuts` (segment_cuts) whose trace ends with `end`,
// entered at `entry` with memory `image` (which must outlive the spec).
inline SegmentSpec segment_spec(const std::vector<std::pair<size_t, size_t>>& cuts, uint32_t s,
                                const SegmentState& entry, const BoundaryImage& image,
                                const wasm::TraceEnd& end) {
  SegmentSpec spec;
  spec.index = s;
  spec.last = s + 1 == cuts.size();
  spec.first = cuts[s].first;
  spec.end = cuts[s].second;
  spec.entry = entry;
  spec.image = &image;
  spec.gas_used = end.gas_used;
  spec.output_len = end.output.size();
  return spec;
}

// Hides the segment's last touched key from the verifier: its memory-table row is zeroed and it
// is dropped from the bundle's key list and exit values, and the range table's multiplicities
// are fixed up so that every lookup still balances. Only the boundary argument can catch it.
inline void hide_last_memory_key(MachineWitness& w, SegmentOutput& out) {
  namespace L = layout;
  using M = L::Mem;
  std::vector<Fp>& mem = w.main[L::kMemory];
  const size_t rows = mem.size() / M::kWidth, row = out.keys.size() - 1;
  std::vector<Fp>& range = w.main[L::kRange];
  const size_t rr = size_t(1) << L::Range::kLogRows;
  for (uint32_t col : {M::kKeyLo, M::kKeyHi, M::kDlo, M::kDhi}) {
    const uint64_t v = mem[col * rows + row].to_canonical();
    const uint64_t scaled = col == M::kKeyHi ? v * 4 : col == M::kDhi ? v * 8 : v;
    range[L::Range::kRangeMult * rr + v] -= Fp::one();
    if (col == M::kKeyHi || col == M::kDhi) range[L::Range::kRangeMult * rr + scaled] -= Fp::one();
  }
  range[L::Range::kRangeMult * rr + 0] += Fp::from_u32(6);
  for (uint32_t c = 0; c < M::kWidth; ++c) mem[c * rows + row] = Fp::zero();
  out.keys.pop_back();
  out.exit_values.pop_back();
}

}  // namespace efaas::zkwasm
