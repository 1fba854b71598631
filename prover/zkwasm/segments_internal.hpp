#pragma once
// Continuations, internal: witness generation for one segment of a split run and the terms
// the verifier supplies at its boundaries (segments.cpp, docs/zkwasm.md "Continuations").
#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "prover/zkwasm/air_internal.hpp"

namespace efaas::zkwasm {

// Memory key -> value; keys absent are 0.
using BoundaryImage = std::unordered_map<uint32_t, uint64_t>;

// Step records [first, end) of a trace (each call with its zero-local rows), proved from the
// machine state `entry` over the memory `image` (the values the earlier segments left).
struct SegmentSpec {
  uint32_t index = 0;
  bool last = false;
  size_t first = 0, end = 0;
  SegmentState entry;
  const BoundaryImage* image = nullptr;
  uint64_t gas_used = 0;    // of the whole run (a public value of every segment)
  uint64_t output_len = 0;  // the whole run's output length (likewise)
};

// What a segment leaves: its exit state (not for the last) and the keys it touched, sorted,
// with their values at its exit.
struct SegmentOutput {
  SegmentState exit;
  std::vector<uint32_t> keys;
  std::vector<uint64_t> exit_values;
};

// build_witness for one segment (seg == nullptr: the whole trace as one segment).
Result<MachineWitness> build_segment_witness(const Program& program, const wasm::Trace& trace,
                                             const WitnessOptions& opts, const SegmentSpec* seg,
                                             PublicValues& pv, SegmentOutput* out);

// The memory before the first instruction: globals' initializers (the fixed init table, so
// every initial value the one-segment AIR writes is here too) and the arguments.
BoundaryImage initial_image(const Program& program, std::span<const uint64_t> args);

// The segment fields of the public inputs (after public_inputs()).
void set_segment_publics(std::vector<Fp>& pub, uint32_t index, bool last, const SegmentState& entry,
                         const SegmentState& exit);

// One boundary-bus term per key: (key, value at entry from `image`, value at exit).
std::vector<air::PublicInteraction> boundary_interactions(std::span<const uint32_t> keys,
                                                          const BoundaryImage& image,
                                                          std::span<const uint64_t> exit_values);

// Execution-table rows of a record (1, plus the zero-local rows of a call) and of a whole run
// (with the padding row after the entry function's return).
size_t record_rows(const wasm::Module& m, const wasm::StepRecord& s);
size_t run_rows(const wasm::Module& m, const wasm::Trace& trace);

// Segment boundaries: [first, end) step ranges of at most 2^segment_log rows each.
Result<std::vector<std::pair<size_t, size_t>>> segment_cuts(const wasm::Module& m,
                                                           const wasm::Trace& trace,
                                                           uint32_t segment_log);
// Splits the run into segments of at most 2^opts.segment_log rows, builds their witnesses in
// order (each from the memory the previous one left) and proves them on opts' workers.
Result<Bundle> prove_segments(const Program& program, const wasm::Trace& trace,
                              const ProveOptions& opts, StarkTimings* timings);
// Segment witnesses alive at once in prove_segments (from the start of their build until
// freed after their proof) and their main columns' bytes, with the peaks since the last reset:
// how tests check that a split run holds about one witness per worker, not one per segment.
struct WitnessCensus {
  size_t live = 0, peak = 0;
  size_t live_bytes = 0, peak_bytes = 0;
};
WitnessCensus witness_census();
void reset_witness_census();  // peaks back to the live values
// Checks a bundle of several segments: each proof against the state chain and the memory
// image the earlier segments left.
Result<PublicValues> verify_segments(const Program& program, const Bundle& bundle,
                                     const VerifyOptions& opts);
// One segment's proof against its public inputs and boundary terms (zkwasm.cpp); INVALID_ARGUMENT
// "rejected: ..." naming the reason. A proof with the private input's tables (the segment reads
// kind 4) is checked against the claimed private digest too; used_private says which it was.
Status verify_segment_proof(const Program& program, const StarkProof& proof,
                            const std::vector<Fp>& pub,
                            std::span<const air::PublicInteraction> interactions,
                            const VerifyOptions& opts,
                            const std::optional<Digest>& private_digest = std::nullopt,
                            bool* used_private = nullptr);
// Proves a witness with the machine it was built for: the base one, or with the private
// input's tables when the witness has them (zkwasm.cpp).
Result<StarkProof> prove_witness(const Program& program, const FriParams& params,
                                 const MachineWitness& w, const StarkConfig& cfg,
                                 StarkTimings* timings);

}  // namespace efaas::zkwasm
