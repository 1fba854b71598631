#pragma once
// Continuations, internal: witness generation for one segment of a split run and the terms
// the verifier supplies at its boundaries (segments.cpp, docs/zkwasm.md "Continuations").
#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "prover/wasm/trace_source.hpp"
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
  // Nonzero: the segment ends inside a call's zero-local rows, after exactly this many rows
  // (a full table). With entry.zl active, the rest of the entry's call's zero-local rows come
  // before records [first, end), which may then be empty.
  size_t zero_cut = 0;
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

// The records a witness is built from, by their index in the run: all of a trace, or a window
// [offset, offset + size) of a run of `total` records (a segment's records and the one after
// them, read from a wasm::TraceSource), so a split run need not hold its whole trace.
class StepWindow {
 public:
  StepWindow() = default;
  StepWindow(std::span<const wasm::StepRecord> recs, size_t offset, size_t total)
      : recs_(recs), offset_(offset), total_(total) {}
  // i in [offset, offset + window size): build_segment_witness checks it covers the segment.
  const wasm::StepRecord& operator[](size_t i) const { return recs_[i - offset_]; }
  size_t size() const { return total_; }  // of the whole run
  bool empty() const { return total_ == 0; }
  bool has(size_t i) const { return i >= offset_ && i - offset_ < recs_.size(); }
  bool covers(size_t first, size_t end) const {
    return first >= offset_ && end <= offset_ + recs_.size();
  }

 private:
  std::span<const wasm::StepRecord> recs_;
  size_t offset_ = 0, total_ = 0;
};
struct TraceView {
  const wasm::TraceHeader& header;
  const wasm::TraceEnd& end;
  StepWindow steps;
  uint64_t instructions = 0;  // of the whole run (records that are not host I/O rows)
};
TraceView whole_trace(const wasm::Trace& trace);
// build_segment_witness from a window: seg's records [first, end) and the record after them
// (its pc and sp are the segment's exit state) must be in it.
Result<MachineWitness> build_segment_witness(const Program& program, const TraceView& trace,
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

// What splitting a run needs to know before its first witness, found in one pass over its
// records in order (SegmentPlanner): the cuts and the run's totals.
struct RunPlan {
  std::vector<std::pair<size_t, size_t>> cuts;  // [first, end) records per segment
  size_t records = 0;
  size_t rows = 0;             // run_rows: execution-table rows as one segment
  uint64_t instructions = 0;   // records that are not host I/O rows
  uint64_t gas_used = 0;       // as build_witness charges it
  // A streamed run of a module with host slots: the positions of the host tail records
  // (expand_host_calls) among the records above, ascending; each follows its call_indirect,
  // which the source holds at its position minus the tails before it.
  std::vector<uint64_t> host_tails;
  // Per segment (as cuts): its rows when it ends inside a call's zero-local rows, else 0.
  std::vector<size_t> zero_cuts;
};
class SegmentPlanner {
 public:
  SegmentPlanner(const wasm::Module& m, uint32_t segment_log) : m_(m), segment_log_(segment_log) {}
  // The next record of the run (a host call's I/O rows or a call's zero-local rows longer
  // than a segment are cut inside: place_split, place_zero_split).
  Status add(const wasm::StepRecord& s);
  // After the last record, with the trace's end (a trapping last step calls nothing; out of
  // gas adds the trap row of the instruction that is not run).
  Result<RunPlan> finish(const wasm::TraceEnd& end);

 private:
  Status place(size_t rows);  // the pending group, head_ with its I/O rows
  // The same when its I/O rows exceed a segment, or a call's zero-local rows do; `first`: the
  // height of the table the call starts in (0: a segment's).
  Status place_split(size_t rows, size_t first = 0);
  Status place_zero_split(size_t rows, size_t first = 0);
  // The last group of `rows` rows, then `trailing` rows (the padding row, and an out-of-gas
  // trap row), placed so that the trailing rows fit its segment.
  Status place_last(size_t rows, size_t trailing);
  const wasm::Module& m_;
  uint32_t segment_log_;
  RunPlan plan_;
  bool pending_ = false;
  size_t head_ = 0, head_rows_ = 0, io_ = 0;  // pending group: head step, its rows, I/O rows
  size_t tails_ = 0;                          // of io_: host tail records (not I/O rows)
  size_t start_ = 0, used_ = 0, group_ = 0;   // current segment's first record, rows, last group
  // The starts of the last few groups placed whole since the last cut inside a call's rows
  // (record, run rows before it), where place_last may cut instead; movable_: the current
  // segment starts at such a cut (between two groups), which place_last may move earlier.
  struct GroupStart {
    size_t record = 0, rows_before = 0;
  };
  static constexpr size_t kRecentGroups = 4;
  std::vector<GroupStart> recent_;
  bool movable_ = false;
  wasm::StepRecord last_{};                   // the last record added
  Status error_;
};
// Splits the run into segments of at most 2^opts.segment_log rows, builds their witnesses in
// order (each from the memory the previous one left) and proves them on opts' workers.
Result<Bundle> prove_segments(const Program& program, const wasm::Trace& trace,
                              const ProveOptions& opts, StarkTimings* timings);
// The same bundle with the records read per segment from `source` (after its scan, which gave
// `plan`): records alive are about one segment's per worker building, not the run's.
Result<Bundle> prove_segments(const Program& program, wasm::TraceSource& source,
                              const RunPlan& plan, const ProveOptions& opts,
                              StarkTimings* timings);
// Segment witnesses alive at once in prove_segments (from the start of their build until
// freed after their proof) and their main columns' bytes, with the peaks since the last reset:
// how tests check that a split run holds about one witness per worker, not one per segment.
struct WitnessCensus {
  size_t live = 0, peak = 0;
  size_t live_bytes = 0, peak_bytes = 0;
  // Trace records read for segment witnesses (prove_segments from a TraceSource) and alive.
  size_t live_records = 0, peak_records = 0;
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
