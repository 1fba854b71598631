// Continuations: a run longer than one segment is split at record boundaries into segments of
// at most 2^segment_log execution-table rows, each proved on its own and chained by its
// boundary state (docs/zkwasm.md "Continuations"):
//   - control state (pc, sp, fp, depth, gas, instructions) as public inputs: the entry state of
//     segment i is the exit state of segment i - 1 (the first starts at the module's entry);
//   - memory: the verifier keeps the key -> value image (initially globals' initializers and
//     the arguments, zero elsewhere) and sends, for every key a segment's bundle entry lists,
//     (key, value at entry, value at exit) on the boundary bus; the memory table receives one
//     such tuple per key it holds, starts the key's chain at its entry value and ends it at its
//     exit value. The verifier then updates the image with the exit values.
// Segment index and last flag are public inputs, so proofs cannot be reordered, dropped or
// reused in another position.
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>

#if defined(__GLIBC__)
#include <malloc.h>  // malloc_trim
#endif

#include "prover/common/timer.hpp"
#include "prover/zkwasm/io.hpp"
#include "prover/zkwasm/layout.hpp"
#include "prover/zkwasm/segments_internal.hpp"

namespace efaas::zkwasm {

namespace L = layout;
using wasm::Op;

namespace {

uint32_t limb(uint64_t v, uint32_t j) { return uint32_t(v >> (16 * j)) & 0xFFFF; }

// The gas build_witness charges for a record (the module's cost where the record matches it).
uint64_t record_gas(const wasm::Module& m, const wasm::StepRecord& s) {
  if (s.op >= wasm::kOpCount) return 0;
  if (is_host_tail(s)) return 0;  // a call_indirect of an import's host tail (air_internal.hpp)
  if (s.pc < m.code.size() && m.code[s.pc].op == Op(s.op)) return m.code[s.pc].gas;
  return wasm::op_info(Op(s.op)).gas;
}

void add_timings(StarkTimings& into, const StarkTimings& t) {
  into.trace_lde += t.trace_lde;
  into.trace_commit += t.trace_commit;
  into.aux += t.aux;
  into.quotient += t.quotient;
  into.ood += t.ood;
  into.deep += t.deep;
  into.fri += t.fri;
  into.total += t.total;
}

std::mutex census_mu;
WitnessCensus census;

// One worker's segment witness, counted in the census from the start of its build until it is
// freed.
class LiveWitness {
 public:
  LiveWitness() = default;
  LiveWitness(const LiveWitness&) = delete;
  LiveWitness& operator=(const LiveWitness&) = delete;
  ~LiveWitness() { reset(); }

  void building() {
    reset();
    std::lock_guard<std::mutex> lock(census_mu);
    counted_ = true;
    census.peak = std::max(census.peak, ++census.live);
  }
  void hold(MachineWitness w) {
    w_ = std::move(w);
    bytes_ = 0;
    for (const auto& col : w_.main) bytes_ += col.capacity() * sizeof(Fp);
    std::lock_guard<std::mutex> lock(census_mu);
    census.live_bytes += bytes_;
    census.peak_bytes = std::max(census.peak_bytes, census.live_bytes);
  }
  const MachineWitness& witness() const { return w_; }
  void reset() {
    w_ = MachineWitness{};
    std::lock_guard<std::mutex> lock(census_mu);
    if (counted_) --census.live;
    census.live_bytes -= bytes_;
    counted_ = false;
    bytes_ = 0;
  }

 private:
  MachineWitness w_;
  bool counted_ = false;
  size_t bytes_ = 0;
};

// Trace records read for one segment's witness, counted in the census while alive.
class LiveRecords {
 public:
  explicit LiveRecords(size_t n) : n_(n) {
    std::lock_guard<std::mutex> lock(census_mu);
    census.live_records += n_;
    census.peak_records = std::max(census.peak_records, census.live_records);
  }
  LiveRecords(const LiveRecords&) = delete;
  LiveRecords& operator=(const LiveRecords&) = delete;
  ~LiveRecords() {
    std::lock_guard<std::mutex> lock(census_mu);
    census.live_records -= n_;
  }

 private:
  size_t n_;
};

}  // namespace

WitnessCensus witness_census() {
  std::lock_guard<std::mutex> lock(census_mu);
  return census;
}

void reset_witness_census() {
  std::lock_guard<std::mutex> lock(census_mu);
  census.peak = census.live;
  census.peak_bytes = census.live_bytes;
  census.peak_records = census.live_records;
}

size_t record_rows(const wasm::Module& m, const wasm::StepRecord& st) {
  const bool direct = st.op == uint16_t(Op::kCall) && st.pc < m.code.size() &&
                      m.code[st.pc].op == Op::kCall;
  if (!direct && st.op != uint16_t(Op::kCallIndirect)) return 1;
  const uint32_t callee = direct ? m.code[st.pc].a : st.aux;
  if (callee < m.num_imported_funcs || callee - m.num_imported_funcs >= m.funcs.size()) return 1;
  const wasm::Function& f = m.funcs[callee - m.num_imported_funcs];
  return 1 + f.num_locals - m.func_type(callee).params.size();
}

namespace {

// Rows of step i in its run: a trapping last step (a call_indirect that traps) calls nothing,
// so it has no zero-local rows.
size_t step_rows(const wasm::Module& m, const wasm::Trace& trace, size_t i) {
  if (trace.end.status != 0 && trace.end.trap_code != L::kTrapOutOfGas &&
      i + 1 == trace.steps.size()) {
    return 1 + size_t(ends_with_host_io_oob(m, trace) == 2);  // an input_read's trap tail row
  }
  return record_rows(m, trace.steps[i]);
}

// Out of gas: the trap row of the instruction that is not run follows the last record.
size_t gas_trap_rows(const wasm::Trace& trace) {
  return trace.end.status != 0 && trace.end.trap_code == L::kTrapOutOfGas ? 1 : 0;
}

}  // namespace

size_t run_rows(const wasm::Module& m, const wasm::Trace& trace) {
  size_t rows = 1 + gas_trap_rows(trace);
  for (size_t i = 0; i < trace.steps.size(); ++i) rows += step_rows(m, trace, i);
  return rows;
}

BoundaryImage initial_image(const Program& program, std::span<const uint64_t> args) {
  using I = L::Init;
  BoundaryImage image;
  const std::vector<Fp>& col = program.fixed_columns()[L::kInit];
  const size_t rows = col.size() / I::kPreWidth;
  for (size_t r = 0; r < rows; ++r) {
    if (col[I::kIsInit * rows + r] != Fp::one()) continue;
    uint64_t v = 0;
    for (uint32_t j = 0; j < 4; ++j) {
      v |= uint64_t(col[(I::kValue + j) * rows + r].to_canonical()) << (16 * j);
    }
    image[col[I::kKey * rows + r].to_canonical()] = v;
  }
  for (size_t i = 0; i < args.size(); ++i) image[uint32_t(i)] = args[i];
  return image;
}

void set_segment_publics(std::vector<Fp>& pub, uint32_t index, bool last, const SegmentState& entry,
                         const SegmentState& exit) {
  pub[L::kPubSegMode] = Fp::one();
  pub[L::kPubSegIndex] = Fp::from_u32(index);
  pub[L::kPubSegLast] = last ? Fp::one() : Fp::zero();
  pub[L::kPubEntryPc] = Fp::from_u32(entry.pc);
  pub[L::kPubSp0] = Fp::from_u32(entry.sp);
  pub[L::kPubEntryFp] = Fp::from_u32(entry.fp);
  pub[L::kPubEntryDepth] = Fp::from_u32(entry.depth);
  pub[L::kPubEntryGas] = Fp::from_u64(entry.gas);
  // Inside a host call's I/O rows the next row is an I/O row, which shares the call's count.
  // Inside a call's zero-local rows likewise.
  pub[L::kPubEntryInst] = Fp::from_u64(entry.instructions + 1 - entry.io.active - entry.zl.active);
  const uint64_t out[6] = {exit.pc, exit.sp, exit.fp, exit.depth, exit.gas,
                           exit.instructions + 1 - exit.io.active - exit.zl.active};
  for (uint32_t j = 0; j < 6; ++j) pub[L::kPubExit + j] = last ? Fp::zero() : Fp::from_u64(out[j]);
  // The I/O cursor at a cut inside a host call's I/O rows (all zero elsewhere).
  auto cursor = [](const SegmentState::IoCursor& c) {
    return std::array<uint64_t, 6>{c.active, c.out, c.addr, c.idx, c.rem, c.kind};
  };
  const auto ec = cursor(entry.io), xc = cursor(last ? SegmentState::IoCursor{} : exit.io);
  for (uint32_t j = 0; j < 6; ++j) {
    pub[L::kPubEntryIo + j] = Fp::from_u64(ec[j]);
    pub[L::kPubExitIo + j] = Fp::from_u64(xc[j]);
  }
  const SegmentState::ZeroCursor xz = last ? SegmentState::ZeroCursor{} : exit.zl;
  pub[L::kPubEntryZl] = Fp::from_u32(entry.zl.active);
  pub[L::kPubEntryZl + 1] = Fp::from_u32(entry.zl.next);
  pub[L::kPubExitZl] = Fp::from_u32(xz.active);
  pub[L::kPubExitZl + 1] = Fp::from_u32(xz.next);
  pub[L::kPubEntryOut] = Fp::from_u64(entry.output);
  pub[L::kPubExitOut] = last ? Fp::zero() : Fp::from_u64(exit.output);
  if (!last) pub[L::kPubAbortCode] = pub[L::kPubAbortCode + 1] = Fp::zero();  // the trap row's
}

std::vector<air::PublicInteraction> boundary_interactions(std::span<const uint32_t> keys,
                                                          const BoundaryImage& image,
                                                          std::span<const uint64_t> exit_values) {
  std::vector<air::PublicInteraction> out(keys.size());
  for (size_t k = 0; k < keys.size(); ++k) {
    const auto it = image.find(keys[k]);
    const uint64_t entry = it == image.end() ? 0 : it->second;
    const uint64_t exit = k < exit_values.size() ? exit_values[k] : 0;
    air::PublicInteraction& pi = out[k];
    pi.bus = L::kBusBoundary;
    pi.multiplicity = Fp::one();
    pi.values.reserve(9);
    pi.values.push_back(Fp::from_u32(keys[k]));
    for (uint32_t j = 0; j < 4; ++j) pi.values.push_back(Fp::from_u32(limb(entry, j)));
    for (uint32_t j = 0; j < 4; ++j) pi.values.push_back(Fp::from_u32(limb(exit, j)));
  }
  return out;
}

TraceView whole_trace(const wasm::Trace& trace) {
  uint64_t instructions = 0;
  for (const auto& st : trace.steps) {
    instructions += st.op != uint16_t(Op::kHostRead) && st.op != uint16_t(Op::kHostWrite) &&
                    !is_host_tail(st);
  }
  return TraceView{trace.header, trace.end,
                   StepWindow(trace.steps, 0, trace.steps.size()), instructions};
}

// Greedy, at record boundaries: a call stays with its zero-local rows and a host call with its
// I/O rows (the AIR ends a segment only between instructions); the last segment also needs the
// padding row after the entry function's return (or trap). Online: a group (a step and the I/O
// rows after it) is placed when the next group starts, since a trapping last step has no
// zero-local rows.
Status SegmentPlanner::add(const wasm::StepRecord& st) {
  if (!error_.is_ok()) return error_;
  const bool io = st.op == uint16_t(Op::kHostRead) || st.op == uint16_t(Op::kHostWrite);
  // A call_indirect of an import's host tail (air_internal.hpp): no instruction, no gas, kept
  // with its call_indirect like an I/O row.
  const bool tail = is_host_tail(st);
  const size_t i = plan_.records++;
  last_ = st;
  plan_.instructions += !io && !tail;
  plan_.gas_used += io ? 1  // an I/O row: one gas unit per 8 bytes moved
                       : record_gas(m_, st);
  if (pending_ && (io || tail)) {
    ++io_;
    tails_ += tail;
    return Status::ok();
  }
  if (pending_) {
    if (Status s = place(head_rows_ + io_); !s) return error_ = s;
  }
  pending_ = true;
  head_ = i;
  head_rows_ = record_rows(m_, st);
  io_ = 0;
  tails_ = 0;
  return Status::ok();
}

Status SegmentPlanner::place(size_t r) {
  const size_t cap = size_t(1) << segment_log_;
  if (r > cap && io_ > tails_) return place_split(r);
  if (r > cap && io_ == 0 && head_rows_ > 1) return place_zero_split(r);
  if (r > cap) {
    return unimplemented("zkwasm: step " + std::to_string(head_) + " needs " + std::to_string(r) +
                         " rows, more than a segment of 2^" + std::to_string(segment_log_));
  }
  if (used_ + r > cap) {
    plan_.cuts.emplace_back(start_, head_), start_ = head_, used_ = 0;
    movable_ = true;
  }
  if (recent_.size() == kRecentGroups) recent_.erase(recent_.begin());
  recent_.push_back({head_, plan_.rows});
  used_ += r;
  group_ = head_;
  plan_.rows += r;
  return Status::ok();
}

// A host call whose I/O rows exceed a segment: cut inside them (docs/zkwasm.md
// "Continuations"). Each cut lies between two of its I/O rows, never before the first (the
// call row then carries no cursor), and the segment it ends is full: its `end` row, an I/O row
// with bytes left, must be its table's last row, since the AIR's I/O chain wants another I/O
// row after it. The group is one row per record here (a host call has no zero-local rows).
// `first`: the height of the table the call starts in (a power of two up to a segment's;
// place_last picks a smaller one where no other cut leaves room for the run's end).
Status SegmentPlanner::place_split(size_t r, size_t first) {
  const size_t cap = size_t(1) << segment_log_;
  const size_t pre = head_rows_ + tails_;  // the call (and host tail) rows before its I/O rows
  if (first == 0) first = cap;
  if (head_rows_ != 1 || pre + 1 > first) {
    return internal_error("zkwasm: step " + std::to_string(head_) + " cannot be cut inside");
  }
  if (used_ + pre + 1 > first) plan_.cuts.emplace_back(start_, head_), start_ = head_, used_ = 0;
  // q: the group's rows in the segments ended so far, so record head_ + q starts the next.
  size_t q = first - used_;
  for (;;) {
    plan_.cuts.emplace_back(start_, head_ + q);
    start_ = head_ + q;
    if (r - q <= cap) break;
    q += cap;
  }
  used_ = r - q;
  group_ = start_;  // the padding row cannot move before a cut inside I/O rows
  plan_.rows += r;
  recent_.clear(), movable_ = false;
  return Status::ok();
}

// A call whose zero-local rows exceed a segment: cut inside them, after at least the first
// (the call row carries no cursor); each segment ending there is full, as inside I/O rows.
// The pieces after the first start from the zero-local cursor with no record of their own
// before head_ + 1: [head_ + 1, head_ + 1) for those that hold nothing else. `first` as in
// place_split.
Status SegmentPlanner::place_zero_split(size_t r, size_t first) {
  const size_t cap = size_t(1) << segment_log_;
  if (first == 0) first = cap;
  if (used_ + 2 > first) plan_.cuts.emplace_back(start_, head_), start_ = head_, used_ = 0;
  size_t q = first - used_;  // the call's rows in the segments ended so far
  for (size_t table = first;; table = cap) {
    plan_.cuts.emplace_back(start_, head_ + 1);
    plan_.zero_cuts.resize(plan_.cuts.size(), 0);
    plan_.zero_cuts.back() = table;
    start_ = head_ + 1;
    if (r - q <= cap) break;
    q += cap;
  }
  used_ = r - q;
  group_ = start_;  // the padding row cannot move before a cut inside zero-local rows
  plan_.rows += r;
  recent_.clear(), movable_ = false;
  return Status::ok();
}

// The last group and its trailing rows. A segment ending inside a call's rows is full, so
// where the call's last piece leaves no room for the trailing rows (an out-of-gas trap right
// after a long transfer or a call's zero-local rows; a last piece of exactly a segment), the
// pieces must start elsewhere: the group is placed after u rows of its segment, u taken from
// the current placement (the call cut inside even where it is shorter than a segment), a fresh
// segment, or a cut at one of the last groups' starts (in this segment or, moving its start
// back, the one before). Each u shifts the last piece by u rows modulo the segment, so of
// t + 1 distinct u one fits. A call with no instruction before it (the run's first) has no
// other u: its first piece then ends a smaller table, of h = 2^j rows (j < segment_log), which
// shifts the last piece by h rows instead (still a full table: its `end` row is the last).
Status SegmentPlanner::place_last(size_t r, size_t t) {
  const size_t cap = size_t(1) << segment_log_;
  const bool io_split = io_ > tails_ && head_rows_ == 1;
  const bool zero_split = io_ == 0 && head_rows_ > 1 && r == head_rows_;
  const size_t pre = io_split ? head_rows_ + tails_ : 1;  // rows before the first cut
  // Whether the group after u rows of a segment (a table of h rows) leaves room for the
  // trailing rows: whole, or cut inside (the first cut after at least one of its I/O or zero
  // rows) with a last piece that does. `split_long_only`: as place() does, cut inside only a
  // group longer than a segment.
  auto fits = [&](size_t u, bool split_long_only, size_t h = 0) {
    if (h == 0) h = cap;
    if (h == cap && u + r + t <= cap) return true;
    if (!(io_split || zero_split) || u + r <= h || u + pre + 1 > h) return false;
    if (split_long_only && r <= cap) return false;
    return (u + r - h - 1) % cap + 1 + t <= cap;
  };
  // Places the group after the segment's first `u` rows (a cut made before, if any), cut
  // inside after the table's h rows (0: a segment's).
  auto put = [&](size_t u, size_t h = 0) -> Status {
    used_ = u;
    if (h == 0 && u + r + t <= cap) {
      used_ += r, group_ = head_, plan_.rows += r;
      return Status::ok();
    }
    return io_split ? place_split(r, h) : place_zero_split(r, h);
  };
  const size_t before = plan_.rows;  // the run's rows before the group
  if (fits(used_, true)) return put(used_);
  // A fresh segment, as place() would cut (at head_ == start_ too when the segment starts
  // with the rest of the call before's zero-local rows: it then holds only those).
  if (used_ > 0 && fits(0, false)) {
    plan_.cuts.emplace_back(start_, head_), start_ = head_;
    return put(0);
  }
  if (fits(used_, false)) return put(used_);  // cut inside a call shorter than a segment
  for (auto g = recent_.rbegin(); g != recent_.rend(); ++g) {
    const size_t u = before - g->rows_before;
    if (g->record > start_ && fits(u, false)) {  // a cut inside this segment
      plan_.cuts.emplace_back(start_, g->record), start_ = g->record;
      return put(u);
    }
    // The segment's start moved back into the one before (which stays nonempty).
    if (g->record < start_ && movable_ && g->record > plan_.cuts.back().first && fits(u, false)) {
      plan_.cuts.back().second = g->record, start_ = g->record;
      return put(u);
    }
  }
  for (size_t h = cap / 2; h >= (size_t(1) << kMinLogRows); h /= 2) {
    if (fits(used_, false, h)) return put(used_, h);
    if (used_ > 0 && fits(0, false, h)) {
      plan_.cuts.emplace_back(start_, head_), start_ = head_;
      return put(0, h);
    }
  }
  return unimplemented("zkwasm: step " + std::to_string(head_) + "'s " + std::to_string(r) +
                       " rows and the " + std::to_string(t) +
                       " row(s) after the run's end fit no cut in segments of 2^" +
                       std::to_string(segment_log_) +
                       " (too few instructions before it to move the cuts); use another "
                       "segment_log");
}

Result<RunPlan> SegmentPlanner::finish(const wasm::TraceEnd& end) {
  if (!error_.is_ok()) return error_;
  if (!pending_) return invalid_argument("zkwasm: the trace has no steps");
  // Out of gas: the last record ran; the trap row of the instruction that is not run follows.
  const size_t gas_trap = end.status != 0 && end.trap_code == L::kTrapOutOfGas ? 1 : 0;
  const bool trapped = end.status != 0 && !gas_trap;
  // A trapping last step (no I/O rows after it) calls nothing: one row, and an input_read that
  // traps out of bounds its tail row. A host I/O call that traps out of bounds charged its byte
  // gas without I/O rows: the run's gas is the trace's (the last witness checks it).
  const uint32_t oob = host_io_oob_at_end(m_, last_, end);
  if (oob != 0) plan_.gas_used = end.gas_used;
  const size_t r = (trapped && io_ == 0 ? 1 + size_t(oob == 2) : head_rows_) + io_;
  if (r > size_t(1) << segment_log_ && io_ <= tails_ && !(io_ == 0 && head_rows_ > 1)) {
    return place(r);  // no row to cut at: place() names the step
  }
  EFAAS_RETURN_IF_ERROR(place_last(r, 1 + gas_trap));
  pending_ = false;
  plan_.rows += 1 + gas_trap;  // the padding row after the return or trap
  plan_.cuts.emplace_back(start_, plan_.records);
  if (!plan_.zero_cuts.empty()) plan_.zero_cuts.resize(plan_.cuts.size(), 0);
  if (plan_.cuts.size() > kMaxSegments) {
    return unimplemented("zkwasm: " + std::to_string(plan_.cuts.size()) + " segments exceed " +
                         std::to_string(kMaxSegments) + "; use a larger segment_log");
  }
  return std::move(plan_);
}

namespace {

Result<RunPlan> plan_run(const wasm::Module& m, const wasm::Trace& trace, uint32_t segment_log) {
  SegmentPlanner planner(m, segment_log);
  for (const auto& st : trace.steps) EFAAS_RETURN_IF_ERROR(planner.add(st));
  return planner.finish(trace.end);
}

}  // namespace

Result<std::vector<std::pair<size_t, size_t>>> segment_cuts(const wasm::Module& m,
                                                           const wasm::Trace& trace,
                                                           uint32_t segment_log) {
  auto plan = plan_run(m, trace, segment_log);
  if (!plan) return plan.status();
  return std::move(plan->cuts);
}

namespace {

// The host tail record of a call_indirect of an import, as expand_host_calls (air.cpp) adds it.
wasm::StepRecord host_tail_record(const wasm::StepRecord& call) {
  wasm::StepRecord tail{};
  tail.pc = L::kHostPcBase + call.aux;
  tail.op = uint16_t(Op::kCallHost);
  tail.depth = call.depth;
  tail.sp = call.sp - 1;
  tail.aux = call.aux;
  tail.r = call.r;
  return tail;
}

// Records [first, first + count) of the run as planned (with the host tails of plan.host_tails
// put back after their calls), read from `source`.
Result<std::vector<wasm::StepRecord>> read_planned(wasm::TraceSource& source, const RunPlan& plan,
                                                   uint64_t first, uint64_t count) {
  const std::vector<uint64_t>& tails = plan.host_tails;
  if (tails.empty()) return source.read(first, count);
  if (count == 0) return std::vector<wasm::StepRecord>{};
  // Source record of planned position e: e minus the tails at or before it (a tail maps to
  // its call).
  auto source_of = [&](uint64_t e) {
    return e - uint64_t(std::upper_bound(tails.begin(), tails.end(), e) - tails.begin());
  };
  size_t t = size_t(std::lower_bound(tails.begin(), tails.end(), first) - tails.begin());
  if (t < tails.size() && tails[t] == first) {
    return internal_error("zkwasm: a segment starts at a host tail record");
  }
  const uint64_t from = source_of(first), to = source_of(first + count - 1) + 1;
  auto raw = source.read(from, to - from);
  if (!raw) return raw.status();
  std::vector<wasm::StepRecord> out;
  out.reserve(count);
  uint64_t pos = first;
  for (size_t j = 0; j < raw->size() && out.size() < count; ++j) {
    out.push_back((*raw)[j]);
    ++pos;
    if (t < tails.size() && tails[t] == pos && out.size() < count) {
      out.push_back(host_tail_record((*raw)[j]));
      ++pos, ++t;
    }
  }
  return out;
}

// prove_segments with each segment's records from the whole trace (`trace`) or read from
// `source` while its witness is built.
Result<Bundle> prove_planned(const Program& program, const wasm::TraceHeader& header,
                             const wasm::TraceEnd& trace_end, const RunPlan& plan,
                             const wasm::Trace* trace, wasm::TraceSource* source,
                             const ProveOptions& opts, StarkTimings* timings) {
  const wasm::Module& m = program.module();
  if (plan.records == 0) return invalid_argument("zkwasm: the trace has no steps");
  const std::vector<std::pair<size_t, size_t>>& cuts = plan.cuts;
  const uint32_t count = uint32_t(cuts.size());
  const uint64_t gas_used = plan.gas_used;

  auto pk = program.proving_key(opts.params);
  if (!pk) return pk.status();
  if (header.entry_function >= m.num_imported_funcs + m.funcs.size()) {
    return invalid_argument("zkwasm: the trace's entry function " +
                            std::to_string(header.entry_function) + " is not in the module");
  }
  const wasm::FuncType& type = m.func_type(header.entry_function);
  std::vector<uint64_t> args = opts.args;
  for (size_t i = 0; i < args.size() && i < type.params.size(); ++i) {
    if (type.params[i] == wasm::ValType::kI32) args[i] = uint32_t(args[i]);
  }
  auto entry = program.entry(header.entry_function);
  if (!entry) return entry.status();

  // Bounded memory: each worker builds the witness of the next segment itself, just before it
  // proves it, and frees it right after, so at most one witness per worker is alive (never a
  // queue of built ones). Witnesses are built in order, one at a time (the build turn): each
  // starts from the memory image and state the previous one left, which the builder carries
  // from segment to segment (keys and exit values only, not witnesses).
  const size_t hw = std::max<size_t>(1, std::thread::hardware_concurrency());
  size_t workers = opts.segment_workers != 0 ? opts.segment_workers
                   : opts.devices.size() > 1 ? opts.devices.size()
                                             : hw;
  workers = std::max<size_t>(1, std::min<size_t>(workers, count));
  const size_t threads = std::max<size_t>(1, (opts.stark.threads != 0 ? opts.stark.threads : hw) / workers);

  std::mutex mu;        // error, proofs, timings, callbacks
  std::mutex build_mu;  // the build turn: next, image, state, bundle's boundaries and publics
  Status error;
  std::vector<std::optional<StarkProof>> proofs(count);
  StarkTimings total;
  Bundle bundle;
  bundle.segments.resize(count);
  const bool resume = opts.proved_segments.size() == count;
  WitnessOptions wo;
  wo.check_trace = opts.check_trace;
  wo.args = opts.args;
  wo.public_input = opts.public_input;  // every segment has the whole input table
  wo.private_input = opts.private_input;  // and the private tables where it reads kind 4
  // The builder's worker waits for its witness: it builds with that worker's share of threads
  // (the bytes do not depend on the thread count).
  wo.threads = threads;
  BoundaryImage image = initial_image(program, args);
  SegmentState state{entry->first, entry->second, 0, 0, 0, 0};
  uint32_t next = 0;
  auto failed = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return !error.is_ok();
  };
  auto fail = [&](const Status& st) {
    std::lock_guard<std::mutex> lock(mu);
    if (error.is_ok()) error = st;
  };
  // Builds the next segment's witness (under the build turn); false when none is left to prove
  // or the run failed. Reused segments (resume) are handed out here and skipped.
  auto build_next = [&](uint32_t& index, Segment& done, LiveWitness& live) -> bool {
    std::lock_guard<std::mutex> turn(build_mu);
    while (next < count) {
      if (failed()) return false;
      const uint32_t s = next++;
      SegmentSpec spec;
      spec.index = s;
      spec.last = s + 1 == count;
      spec.first = cuts[s].first;
      spec.end = cuts[s].second;
      spec.zero_cut = s < plan.zero_cuts.size() ? plan.zero_cuts[s] : 0;
      spec.entry = state;
      spec.image = &image;
      spec.gas_used = gas_used;
      spec.output_len = trace_end.output.size();
      SegmentOutput out;
      PublicValues pv;
      live.building();
      Result<MachineWitness> w = internal_error("zkwasm: no records");
      if (source != nullptr) {
        // The segment's records and the next one (its pc and sp are the exit state), freed
        // once the witness is built.
        const size_t stop = std::min(spec.end + 1, plan.records);
        auto recs = read_planned(*source, plan, spec.first, stop - spec.first);
        if (!recs) {
          fail(Status(recs.status().code(), "segment " + std::to_string(s) + ": " +
                                                recs.status().message()));
          return false;
        }
        LiveRecords held(recs->size());
        const TraceView view{header, trace_end, StepWindow(*recs, spec.first, plan.records),
                             plan.instructions};
        w = build_segment_witness(program, view, wo, &spec, pv, &out);
      } else {
        const TraceView view{header, trace_end, StepWindow(trace->steps, 0, trace->steps.size()),
                             plan.instructions};
        w = build_segment_witness(program, view, wo, &spec, pv, &out);
      }
      if (!w) {
        fail(w.status());
        return false;
      }
      live.hold(std::move(*w));
      if (s == 0) bundle.publics = pv;
      if (pv.private_digest) bundle.publics.private_digest = pv.private_digest;
      if (spec.last) bundle.publics.abort_code = pv.abort_code;  // found at the trap row
      if (s != 0) {  // each segment's witness holds its own output bytes
        bundle.publics.output.insert(bundle.publics.output.end(), pv.output.begin(), pv.output.end());
      }
      Segment& seg = bundle.segments[s];
      if (!spec.last) seg.exit = out.exit;
      seg.keys = std::move(out.keys);
      seg.exit_values = std::move(out.exit_values);
      for (size_t k = 0; k < seg.keys.size(); ++k) image[seg.keys[k]] = seg.exit_values[k];
      state = out.exit;
      if (resume && opts.proved_segments[s]) {
        // Proved before: reused when it ends where this witness does (the verifier checks it).
        const Segment& old = *opts.proved_segments[s];
        if (old.exit == seg.exit && old.keys == seg.keys && old.exit_values == seg.exit_values) {
          live.reset();
          {
            std::lock_guard<std::mutex> lock(mu);
            proofs[s] = old.proof;
          }
          if (opts.on_segment_proof) opts.on_segment_proof(s, count, old, true);
          continue;
        }
      }
      index = s;
      done.exit = seg.exit;
      done.keys = seg.keys;
      done.exit_values = seg.exit_values;
      return true;
    }
    return false;
  };
  auto worker = [&](size_t wi) {
    StarkConfig cfg = opts.stark;
    cfg.threads = threads;
    if (!opts.devices.empty()) {
      const size_t d = wi % opts.devices.size();
      cfg.backend = opts.devices[d];
      if (d < opts.opencl_devices.size()) cfg.opencl_device = opts.opencl_devices[d];
    }
    LiveWitness live;
    uint32_t index = 0;
    for (Segment done; build_next(index, done, live);) {  // done: the segment's boundary
      if (failed()) return;
      Stopwatch clock;
      StarkTimings t;
      auto proof = prove_witness(program, opts.params, live.witness(), cfg, &t);
      live.reset();  // freed before the next build
#if defined(__GLIBC__)
      // Hand the segment's freed buffers back to the system: glibc keeps freed chunks below
      // its (adaptive, up to 32 MiB) mmap threshold in the arenas, and without this the RSS
      // grew by 170-430 MiB per 2^20-row segment (bench/RESULTS.md "zkstream").
      malloc_trim(0);
#endif
      const double secs = clock.seconds();
      if (std::getenv("EFAAS_WITNESS_TIMINGS") != nullptr && proof) {
        // Per segment: the tables' heights and the LDE residency the prover chose for them.
        std::string logs;
        for (const uint32_t h : proof->log_heights) logs += " " + std::to_string(h);
        std::fprintf(stderr,
                     "segment %u: %.3f s, log heights%s; LDEs streamed %zu, blocks recomputed "
                     "%zu, at opened rows %zu\n",
                     index, secs, logs.c_str(), t.streamed_ldes, t.recomputed_blocks,
                     t.partly_recomputed_blocks);
      }
      std::unique_lock<std::mutex> lock(mu);
      if (!proof) {
        if (error.is_ok()) {
          error = Status(proof.status().code(),
                         "segment " + std::to_string(index) + ": " + proof.status().message());
        }
        return;
      }
      proofs[index] = std::move(*proof);
      add_timings(total, t);
      if (opts.on_segment_proof) {  // handed out (persisted) before its progress is reported
        done.proof = *proofs[index];
        lock.unlock();
        opts.on_segment_proof(index, count, done, false);
        lock.lock();
      }
      if (opts.on_segment) opts.on_segment(index, count, secs);
    }
  };
  std::vector<std::thread> pool;
  for (size_t w = 0; w < workers; ++w) pool.emplace_back(worker, w);
  for (auto& t : pool) t.join();
  if (!error.is_ok()) return error;
  for (uint32_t s = 0; s < count; ++s) bundle.segments[s].proof = std::move(*proofs[s]);
  if (timings) *timings = total;
  return bundle;
}

}  // namespace

Result<Bundle> prove_segments(const Program& program, const wasm::Trace& trace,
                              const ProveOptions& opts, StarkTimings* timings) {
  if (trace.steps.empty()) return invalid_argument("zkwasm: the trace has no steps");
  auto plan = plan_run(program.module(), trace, opts.segment_log);
  if (!plan) return plan.status();
  return prove_planned(program, trace.header, trace.end, *plan, &trace, nullptr, opts, timings);
}

Result<Bundle> prove_segments(const Program& program, wasm::TraceSource& source,
                              const RunPlan& plan, const ProveOptions& opts,
                              StarkTimings* timings) {
  return prove_planned(program, source.header(), source.end(), plan, nullptr, &source, opts,
                       timings);
}

Result<Bundle> prove(const Program& program, wasm::TraceSource& source, const ProveOptions& opts,
                     StarkTimings* timings) {
  if (opts.segment_log < kMinSegmentLog || opts.segment_log > kMaxSegmentLog) {
    return invalid_argument("zkwasm: segment_log " + std::to_string(opts.segment_log) +
                            " is outside [" + std::to_string(kMinSegmentLog) + ", " +
                            std::to_string(kMaxSegmentLog) + "]");
  }
  // The first pass: every chunk checked (a truncated or corrupt trace fails here, before any
  // proving), the cuts and totals planned; planning errors wait for the trace's own.
  const wasm::Module& m = program.module();
  SegmentPlanner planner(m, opts.segment_log);
  Status planning;
  uint64_t planned = 0;
  auto plan_record = [&](const wasm::StepRecord& st) {
    if (planning.is_ok()) planning = planner.add(st);
    ++planned;
  };
  // Modules whose tables hold imports: each call_indirect of an import gets its host tail
  // record after it (expand_host_calls, as the in-memory path does), once the next record
  // shows the call was not the run's last (a last one may have trapped itself).
  const bool host_slots = !host_slot_imports(m).empty();
  std::vector<uint64_t> tails;
  std::optional<wasm::StepRecord> pending_tail;
  EFAAS_RETURN_IF_ERROR(source.scan([&](const wasm::TraceChunk& c) {
    for (const wasm::StepRecord& st : c.steps) {
      if (pending_tail && !is_host_tail(st)) {  // (a trace with tails already has them)
        tails.push_back(planned);
        plan_record(*pending_tail);
      }
      pending_tail.reset();
      plan_record(st);
      if (host_slots && st.op == uint16_t(Op::kCallIndirect) && st.aux < m.num_imported_funcs) {
        pending_tail = host_tail_record(st);
      }
    }
    return Status::ok();
  }));
  if (source.records() == 0) return invalid_argument("zkwasm: the trace has no steps");
  if (pending_tail) {
    const wasm::TraceEnd& e = source.end();
    const bool trapped_itself = e.status != 0 && (e.trap_code == L::kTrapIndirectType ||
                                                  e.trap_code == L::kTrapUndefinedElem ||
                                                  e.trap_code == L::kTrapUninitElem);
    if (!trapped_itself) {
      tails.push_back(planned);
      plan_record(*pending_tail);
    }
  }
  Result<RunPlan> plan = planning.is_ok() ? planner.finish(source.end())
                                          : Result<RunPlan>(planning);
  if (!plan) return plan.status();  // only a run longer than a segment can fail planning
  plan->host_tails = std::move(tails);
  if (plan->rows > (size_t(1) << opts.segment_log)) {
    return prove_segments(program, source, *plan, opts, timings);
  }
  // One segment: prove() on the whole trace (one segment's records).
  wasm::Trace trace;
  trace.header = source.header();
  trace.end = source.end();
  auto steps = source.read(0, source.records());
  if (!steps) return steps.status();
  trace.steps = std::move(*steps);
  return prove(program, trace, opts, timings);
}

Result<PublicValues> verify_segments(const Program& program, const Bundle& bundle,
                                     const VerifyOptions& opts) {
  auto reject = [](const std::string& why) { return invalid_argument("rejected: " + why); };
  const PublicValues& pv = bundle.publics;
  if (bundle.segments.size() > kMaxSegments) return reject("too many segments");
  auto base = public_inputs(program, pv);
  if (!base) return reject(base.status().message());
  // Host I/O: every segment gets the whole public input table and the output bytes between
  // its entry and exit output cursors (the last: up to the claimed output's end, which its
  // AIR binds to the output length), so the segments' bytes tile the claimed output.
  auto input = parse_public_input(pv.public_input);
  if (!input) return reject(input.status().message());
  auto entry = program.entry(pv.entry_function);
  if (!entry) return reject(entry.status().message());
  BoundaryImage image = initial_image(program, pv.args);
  SegmentState state{entry->first, entry->second, 0, 0, 0, 0};
  const uint32_t count = uint32_t(bundle.segments.size());
  bool any_private = false;  // a segment's proof binds the claimed private digest
  for (uint32_t s = 0; s < count; ++s) {
    const Segment& seg = bundle.segments[s];
    const bool last = s + 1 == count;
    const std::string name = "segment " + std::to_string(s) + ": ";
    if (seg.keys.size() != seg.exit_values.size()) {
      return reject(name + std::to_string(seg.keys.size()) + " keys but " +
                    std::to_string(seg.exit_values.size()) + " exit values");
    }
    for (size_t k = 0; k < seg.keys.size(); ++k) {
      if (seg.keys[k] >= (1u << 30)) return reject(name + "key " + std::to_string(k) + " is not below 2^30");
      if (k > 0 && seg.keys[k] <= seg.keys[k - 1]) {
        return reject(name + "key " + std::to_string(k) + " (" + std::to_string(seg.keys[k]) +
                      ") does not increase");
      }
    }
    const SegmentState& exit = seg.exit;
    if (last) {
      if (exit != SegmentState{}) return reject(name + "the last segment carries an exit state");
    } else {
      // Field elements in the public inputs: keep every value far below p. Each segment runs
      // at least one instruction (the AIR: inst grows by one per real row).
      const uint64_t bound = uint64_t(1) << 30;
      if (exit.pc >= bound || exit.sp >= bound || exit.fp >= bound || exit.depth >= bound ||
          exit.gas >= bound || exit.instructions >= bound) {
        return reject(name + "exit state out of range");
      }
      // A cut inside a host call's I/O rows (the exit cursor): the call's count, which the
      // segment's first row may share (a segment of I/O rows only).
      const SegmentState::IoCursor& c = exit.io;
      if (c.active) {
        if (c.rem == 0 || c.rem >= (1u << 28) || c.addr >= bound || c.idx >= bound ||
            c.kind >= L::kInputKinds || (c.out && (c.kind != 0 || c.idx != exit.output))) {
          return reject(name + "exit I/O cursor out of range (address " + std::to_string(c.addr) +
                        ", index " + std::to_string(c.idx) + ", bytes left " +
                        std::to_string(c.rem) + ", kind " + std::to_string(c.kind) + ")");
        }
      } else if (c != SegmentState::IoCursor{}) {
        return reject(name + "an inactive exit I/O cursor with nonzero fields");
      }
      // A cut inside a call's zero-local rows: the next local lies below the callee's sp.
      const SegmentState::ZeroCursor& z = exit.zl;
      if (z.active ? c.active || z.next >= exit.sp : z.next != 0) {
        return reject(name + "exit zero-local cursor (key " + std::to_string(z.next) +
                      ") is not below the exit sp " + std::to_string(exit.sp) +
                      " or comes with an I/O cursor");
      }
      // Strictly increasing unless a call's rows continue across the segment's entry or exit
      // (they share the call's count): a segment may hold only the rest of a call's rows, and
      // a run may end right after a cut call without another instruction (out of gas).
      const bool entry_inside = state.io.active || state.zl.active;
      const bool exit_inside = c.active || z.active;
      if (exit.instructions < state.instructions + !(entry_inside || exit_inside) ||
          exit.instructions + !exit_inside > pv.instructions) {
        return reject(name + "exit instruction count " + std::to_string(exit.instructions) +
                      " is not between " + std::to_string(state.instructions) + " and " +
                      std::to_string(pv.instructions));
      }
      if (exit.output < state.output || exit.output > pv.output.size()) {
        return reject(name + "exit output cursor " + std::to_string(exit.output) +
                      " is not between " + std::to_string(state.output) + " and the output length " +
                      std::to_string(pv.output.size()));
      }
    }
    const uint64_t out_end = last ? pv.output.size() : exit.output;
    std::vector<Fp> pub = *base;
    set_segment_publics(pub, s, last, state, exit);
    auto its = io_public_interactions(
        *input, std::span<const uint8_t>(pv.output).subspan(state.output, out_end - state.output),
        state.output);
    const auto bound = boundary_interactions(seg.keys, image, seg.exit_values);
    its.insert(its.end(), bound.begin(), bound.end());
    bool used_private = false;
    if (Status st = verify_segment_proof(program, seg.proof, pub, its, opts, pv.private_digest,
                                         &used_private);
        !st) {
      std::string why = st.message();
      if (why.rfind("rejected: ", 0) == 0) why = why.substr(10);
      return Status(st.code(), "rejected: " + name + why);
    }
    any_private |= used_private;
    for (size_t k = 0; k < seg.keys.size(); ++k) image[seg.keys[k]] = seg.exit_values[k];
    state = exit;
  }
  if (pv.private_digest && !any_private) {
    return reject("the claim has a private-input digest that no segment's proof binds");
  }
  return pv;
}

}  // namespace efaas::zkwasm
