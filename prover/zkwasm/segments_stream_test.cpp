// Continuations in bounded memory: a split run builds each segment's witness just before its
// proof and frees it right after (at most one witness per worker alive, counted by the
// witness census), and the bundle is byte for byte the one of the plain algorithm: every
// segment's witness built in order up front and proved one by one (the oracle below).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <span>

#include <unistd.h>  // truncate

#include "prover/common/rng.hpp"
#include "prover/fri/fri_params.hpp"
#include "prover/wasm/extension.hpp"
#include "prover/wasm/trace_source.hpp"
#include "prover/zkwasm/segments_internal.hpp"
#include "prover/zkwasm/test_support.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::zkwasm {
namespace {

using test_support::wat;

// Calls with declared locals, a global and recursion: frames cross the boundaries.
const char* kCalls = R"((module
  (global $g (mut i32) (i32.const 7))
  (func $fib (param $n i32) (result i32) (local $t i32)
    (global.set $g (i32.add (global.get $g) (local.get $n)))
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "main") (param $n i32) (result i32)
    (i32.add (call $fib (local.get $n)) (global.get $g))))
)";

// An Extension over linear memory and host I/O: the Data is read, XORed into a grown page and
// written out 3 bytes at a time (the output spreads over the segments).
const char* kMemIo = R"((module
  (import "efaas" "input_size" (func $size (param i32) (result i32)))
  (import "efaas" "input_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "efaas" "output_write" (func $write (param i32 i32)))
  (memory (export "memory") 1 4)
  (data (i32.const 16) "\de\ad\be\ef\01\02\03")
  (func (export "efaas_main") (result i32) (local $n i32) (local $i i32)
    (local.set $n (call $size (i32.const 0)))
    (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1024) (local.get $n)))
    (drop (memory.grow (i32.const 1)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store8 (i32.add (i32.const 65536) (local.get $i))
        (i32.xor (i32.load8_u (i32.add (i32.const 1024) (local.get $i)))
                 (i32.load8_u (i32.add (i32.const 16) (i32.rem_u (local.get $i) (i32.const 7))))))
      (if (i32.eqz (i32.rem_u (i32.add (local.get $i) (i32.const 1)) (i32.const 3)))
        (then (call $write (i32.add (i32.const 65534) (local.get $i)) (i32.const 3))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i32.const 0)))
)";

struct SplitRun {
  std::shared_ptr<Program> program;
  wasm::Trace trace;
  std::vector<uint64_t> args;
  std::vector<uint8_t> public_input;
};

SplitRun calls_run() {
  test_support::FunctionRun f = test_support::run_function(kCalls, "main", {5});
  return SplitRun{f.program, std::move(f.trace), f.args, {}};
}

SplitRun mem_io_run() {
  Rng rng(test_seed("ZkWasmSegmentsStream.MemIo"));
  wasm::ExtensionInput in;
  in.data.resize(18);
  for (auto& b : in.data) b = uint8_t(rng.next_u64());
  test_support::ExtensionRun e = test_support::run_extension(wat(kMemIo), in);
  EXPECT_EQ(e.result.status, wasm::ExtensionResult::Status::kOk) << e.result.trap_message;
  return SplitRun{e.program, std::move(e.trace), {}, wasm::encode_public_inputs(in)};
}

ProveOptions opts_for(const SplitRun& r, uint32_t segment_log, uint32_t workers) {
  ProveOptions o;
  o.params = fri_test_preset();
  o.args = r.args;
  o.public_input = r.public_input;
  o.segment_log = segment_log;
  o.segment_workers = workers;
  return o;
}

// The oracle: the segments' witnesses all built first, in order, each from the image the ones
// before it left, then proved one after the other on this thread.
Bundle prove_one_by_one(const SplitRun& r, const ProveOptions& o) {
  const Program& program = *r.program;
  const wasm::Module& m = program.module();
  auto cuts = segment_cuts(m, r.trace, o.segment_log);
  EXPECT_TRUE(cuts.is_ok()) << cuts.status().to_string();
  if (!cuts.is_ok()) return {};
  auto entry = program.entry(r.trace.header.entry_function);
  EXPECT_TRUE(entry.is_ok());
  if (!entry.is_ok()) return {};
  WitnessOptions wo;
  wo.args = o.args;
  wo.public_input = o.public_input;
  wo.threads = 1;
  BoundaryImage image = initial_image(program, o.args);
  SegmentState state{entry->first, entry->second, 0, 0, 0, 0};
  const uint32_t count = uint32_t(cuts->size());
  Bundle b;
  b.segments.resize(count);
  std::vector<MachineWitness> witnesses;
  for (uint32_t s = 0; s < count; ++s) {
    SegmentSpec spec;
    spec.index = s;
    spec.last = s + 1 == count;
    spec.first = (*cuts)[s].first;
    spec.end = (*cuts)[s].second;
    spec.entry = state;
    spec.image = &image;
    spec.gas_used = r.trace.end.gas_used;
    spec.output_len = r.trace.end.output.size();
    SegmentOutput out;
    PublicValues pv;
    auto w = build_segment_witness(program, r.trace, wo, &spec, pv, &out);
    EXPECT_TRUE(w.is_ok()) << w.status().to_string();
    if (!w.is_ok()) return {};
    witnesses.push_back(std::move(*w));
    if (s == 0) b.publics = pv;
    if (spec.last) b.publics.abort_code = pv.abort_code;
    if (s != 0) b.publics.output.insert(b.publics.output.end(), pv.output.begin(), pv.output.end());
    Segment& seg = b.segments[s];
    if (!spec.last) seg.exit = out.exit;
    seg.keys = out.keys;
    seg.exit_values = out.exit_values;
    for (size_t k = 0; k < out.keys.size(); ++k) image[out.keys[k]] = out.exit_values[k];
    state = out.exit;
  }
  auto pk = program.proving_key(o.params);
  EXPECT_TRUE(pk.is_ok());
  if (!pk.is_ok()) return {};
  for (uint32_t s = 0; s < count; ++s) {
    auto proof = stark_prove(program.air(), **pk, witnesses[s], o.stark);
    EXPECT_TRUE(proof.is_ok()) << proof.status().to_string();
    if (!proof.is_ok()) return {};
    b.segments[s].proof = std::move(*proof);
  }
  return b;
}

// The witness bytes of the largest segment (what one worker holds at most).
size_t largest_witness_bytes(const SplitRun& r, uint32_t segment_log) {
  reset_witness_census();
  auto b = prove(*r.program, r.trace, opts_for(r, segment_log, 1));
  EXPECT_TRUE(b.is_ok()) << b.status().to_string();
  return witness_census().peak_bytes;
}

TEST(ZkWasmSegmentsStream, SplitBundlesAreTheOneByOneBundles) {
  for (const bool io : {false, true}) {
    SCOPED_TRACE(io ? "memory and host I/O" : "calls");
    const SplitRun r = io ? mem_io_run() : calls_run();
    const uint32_t log = io ? 7 : 6;
    const Bundle want = prove_one_by_one(r, opts_for(r, log, 1));
    ASSERT_GE(want.segments.size(), 4u);
    ASSERT_TRUE(verify(*r.program, want).is_ok());
    bool inside_call = false, output_split = false;
    for (size_t s = 0; s + 1 < want.segments.size(); ++s) {
      const SegmentState& e = want.segments[s].exit;
      inside_call |= e.depth > 1;
      output_split |= e.output > 0 && e.output < want.publics.output.size();
    }
    EXPECT_TRUE(io || inside_call) << "no boundary inside a call";
    EXPECT_TRUE(!io || output_split) << "no boundary between output writes";
    const std::vector<uint8_t> bytes = serialize_bundle(want);
    for (const uint32_t workers : {1u, 3u}) {
      SCOPED_TRACE("workers " + std::to_string(workers));
      auto b = prove(*r.program, r.trace, opts_for(r, log, workers));
      ASSERT_TRUE(b.is_ok()) << b.status().to_string();
      EXPECT_EQ(serialize_bundle(*b), bytes);
    }
  }
}

TEST(ZkWasmSegmentsStream, AtMostOneWitnessPerWorkerIsAlive) {
  const SplitRun r = mem_io_run();
  const uint32_t log = 7;
  const size_t largest = largest_witness_bytes(r, log);
  ASSERT_GT(largest, 0u);
  for (const uint32_t workers : {1u, 2u}) {
    SCOPED_TRACE("workers " + std::to_string(workers));
    reset_witness_census();
    ASSERT_EQ(witness_census().live, 0u);
    std::atomic<size_t> most_at_callback{0};
    std::atomic<uint32_t> callbacks{0};
    ProveOptions o = opts_for(r, log, workers);
    o.on_segment = [&](uint32_t, uint32_t, double) {
      // The calling worker freed its witness before reporting.
      const size_t live = witness_census().live;
      size_t seen = most_at_callback.load();
      while (live > seen && !most_at_callback.compare_exchange_weak(seen, live)) {
      }
      ++callbacks;
    };
    auto b = prove(*r.program, r.trace, o);
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    ASSERT_GE(b->segments.size(), 4u);
    EXPECT_EQ(callbacks.load(), b->segments.size());
    const WitnessCensus c = witness_census();
    std::printf("  %u worker(s), %zu segments: at most %zu witnesses (%zu bytes) alive, largest "
                "witness %zu bytes\n",
                workers, b->segments.size(), c.peak, c.peak_bytes, largest);
    EXPECT_EQ(c.live, 0u);
    EXPECT_EQ(c.live_bytes, 0u);
    EXPECT_GE(c.peak, 1u);
    EXPECT_LE(c.peak, workers);
    EXPECT_LE(c.peak_bytes, workers * largest);
    if (workers == 1) {
      EXPECT_EQ(most_at_callback.load(), 0u);
    }
    EXPECT_LT(most_at_callback.load(), size_t(workers));
  }
}

// Resuming: segments handed back are reused in their place (no witness is proved for them),
// the others proved, and the bundle is the same.
TEST(ZkWasmSegmentsStream, ResumedRunsReuseTheirSegments) {
  const SplitRun r = calls_run();
  ProveOptions o = opts_for(r, 6, 1);
  auto full = prove(*r.program, r.trace, o);
  ASSERT_TRUE(full.is_ok()) << full.status().to_string();
  const size_t count = full->segments.size();
  ASSERT_GE(count, 4u);
  o.proved_segments.resize(count);
  for (size_t s = 1; s < count; s += 2) o.proved_segments[s] = full->segments[s];
  std::vector<int> reused(count, -1);
  o.on_segment_proof = [&](uint32_t index, uint32_t n, const Segment& seg, bool was_reused) {
    ASSERT_EQ(n, count);
    ASSERT_LT(index, n);
    EXPECT_EQ(reused[index], -1) << "segment " << index << " handed out twice";
    reused[index] = was_reused ? 1 : 0;
    EXPECT_EQ(seg.exit, full->segments[index].exit);
    EXPECT_EQ(serialize_proof(seg.proof), serialize_proof(full->segments[index].proof));
  };
  uint32_t proved = 0;
  o.on_segment = [&](uint32_t, uint32_t, double) { ++proved; };
  for (const uint32_t workers : {1u, 2u}) {
    std::fill(reused.begin(), reused.end(), -1);
    proved = 0;
    o.segment_workers = workers;
    auto b = prove(*r.program, r.trace, o);
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    EXPECT_EQ(serialize_bundle(*b), serialize_bundle(*full));
    for (size_t s = 0; s < count; ++s) EXPECT_EQ(reused[s], s % 2 == 1 ? 1 : 0) << "segment " << s;
    EXPECT_EQ(proved, count - count / 2);
  }
}


// --- Streamed traces: records read per segment from a TraceSource (zkstream2) -------------

using test_support::encode_trace;

Result<Bundle> prove_bytes(const SplitRun& r, std::span<const uint8_t> bytes, const ProveOptions& o) {
  auto src = wasm::TraceSource::over_bytes(bytes);
  if (!src) return src.status();
  return prove(*r.program, **src, o);
}

// The largest segment's records plus the one after it (what one worker reads at most).
size_t largest_window(const SplitRun& r, uint32_t log) {
  auto cuts = segment_cuts(r.program->module(), r.trace, log);
  EXPECT_TRUE(cuts.is_ok());
  size_t most = 0;
  for (const auto& [first, end] : *cuts) most = std::max(most, end - first + 1);
  return most;
}

TEST(ZkWasmSegmentsStream, StreamedTracesGiveTheInMemoryBundles) {
  for (const bool io : {false, true}) {
    SCOPED_TRACE(io ? "memory and host I/O" : "calls");
    const SplitRun r = io ? mem_io_run() : calls_run();
    const uint32_t log = io ? 7 : 6;
    auto want = prove(*r.program, r.trace, opts_for(r, log, 1));
    ASSERT_TRUE(want.is_ok()) << want.status().to_string();
    ASSERT_GE(want->segments.size(), 4u);
    const std::vector<uint8_t> bytes = serialize_bundle(*want);
    const size_t window = largest_window(r, log);
    for (const uint32_t chunk : {7u, 1u << 16}) {
      const std::vector<uint8_t> enc = encode_trace(r.trace, chunk);
      auto back = wasm::read_trace(enc);
      ASSERT_TRUE(back.is_ok());
      ASSERT_EQ(back->steps, r.trace.steps);
      for (const uint32_t workers : {1u, 3u}) {
        if (chunk != 7 && workers != 1) continue;  // (kept short)
        SCOPED_TRACE("chunk " + std::to_string(chunk) + ", workers " + std::to_string(workers));
        reset_witness_census();
        auto b = prove_bytes(r, enc, opts_for(r, log, workers));
        ASSERT_TRUE(b.is_ok()) << b.status().to_string();
        EXPECT_EQ(serialize_bundle(*b), bytes);
        // Records alive: at most one segment window per worker building (builds take turns,
        // so one), never the whole run.
        const WitnessCensus c = witness_census();
        EXPECT_EQ(c.live_records, 0u);
        EXPECT_GE(c.peak_records, 2u);
        EXPECT_LE(c.peak_records, window);
        EXPECT_LT(c.peak_records, r.trace.steps.size() / 2);
      }
    }
    // A run of one segment through the source: the one-segment bundle.
    auto one = prove(*r.program, r.trace, opts_for(r, 12, 1));
    ASSERT_TRUE(one.is_ok()) << one.status().to_string();
    ASSERT_EQ(one->segments.size(), 1u);
    auto b = prove_bytes(r, encode_trace(r.trace, 64), opts_for(r, 12, 1));
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    EXPECT_EQ(serialize_bundle(*b), serialize_bundle(*one));
  }
}

TEST(ZkWasmSegmentsStream, StreamedTraceFromAFile) {
  const SplitRun r = mem_io_run();
  auto want = prove(*r.program, r.trace, opts_for(r, 7, 2));
  ASSERT_TRUE(want.is_ok()) << want.status().to_string();
  const std::vector<uint8_t> enc = encode_trace(r.trace, 50);
  const std::string path = ::testing::TempDir() + "zkstream2_source_test.trace";
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(enc.data(), 1, enc.size(), f), enc.size());
    std::fclose(f);
  }
  auto src = wasm::TraceSource::open_file(path);
  ASSERT_TRUE(src.is_ok()) << src.status().to_string();
  EXPECT_EQ((*src)->header().entry_function, r.trace.header.entry_function);
  EXPECT_EQ((*src)->header().chunk_records, 50u);
  auto b = prove(*r.program, **src, opts_for(r, 7, 2));
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  EXPECT_EQ(serialize_bundle(*b), serialize_bundle(*want));
  EXPECT_EQ((*src)->end(), r.trace.end);
  // Truncated on disk: fails in the first pass, naming what is missing.
  ASSERT_EQ(::truncate(path.c_str(), off_t(enc.size() - 30)), 0);
  auto cut = wasm::TraceSource::open_file(path);
  ASSERT_TRUE(cut.is_ok());
  auto bad = prove(*r.program, **cut, opts_for(r, 7, 2));
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(bad.status().message().find("truncated"), std::string::npos) << bad.status().to_string();
  std::remove(path.c_str());
  EXPECT_FALSE(wasm::TraceSource::open_file(path).is_ok());
}

// The original greedy cut (before the one-pass planner), the oracle for the planner.
std::vector<std::pair<size_t, size_t>> naive_cuts(const wasm::Module& m, const wasm::Trace& t,
                                                  uint32_t log) {
  const auto& steps = t.steps;
  const size_t cap = size_t(1) << log;
  auto is_io = [](const wasm::StepRecord& s) {
    return s.op == uint16_t(wasm::Op::kHostRead) || s.op == uint16_t(wasm::Op::kHostWrite);
  };
  auto rows = [&](size_t i) {
    return t.end.status != 0 && i + 1 == steps.size() ? size_t(1) : record_rows(m, steps[i]);
  };
  std::vector<std::pair<size_t, size_t>> cuts;
  size_t start = 0, used = 0, group = 0;
  for (size_t i = 0; i < steps.size();) {
    size_t next = i + 1, r = rows(i);
    while (next < steps.size() && is_io(steps[next])) ++next, ++r;
    if (r > cap) return {};
    if (used + r > cap) cuts.emplace_back(start, i), start = i, used = 0;
    used += r;
    group = i;
    i = next;
  }
  if (used + 1 > cap) {
    if (group == start) return {};
    cuts.emplace_back(start, group), start = group;
  }
  cuts.emplace_back(start, steps.size());
  return cuts;
}

TEST(ZkWasmSegmentsStream, OnePassPlannerCutsAsTheWholeTraceDid) {
  size_t compared = 0;
  for (const bool io : {false, true}) {
    const SplitRun r = io ? mem_io_run() : calls_run();
    const wasm::Module& m = r.program->module();
    std::vector<wasm::Trace> traces{r.trace};
    // Runs that trap at a call (a trapping last step has no zero-local rows) or at an I/O row.
    for (size_t i = 0; i < r.trace.steps.size(); ++i) {
      const uint16_t op = r.trace.steps[i].op;
      if (op == uint16_t(wasm::Op::kCall) || op == uint16_t(wasm::Op::kHostWrite)) {
        traces.push_back(test_support::claim_trap_at(*r.program, r.trace, i, 1));
        if (traces.size() > 12) break;
      }
    }
    for (const wasm::Trace& t : traces) {
      for (uint32_t log = 4; log <= 9; ++log) {
        SCOPED_TRACE("steps " + std::to_string(t.steps.size()) + ", log " + std::to_string(log));
        const auto want = naive_cuts(m, t, log);
        auto got = segment_cuts(m, t, log);
        if (want.empty()) {
          EXPECT_FALSE(got.is_ok());
          continue;
        }
        ASSERT_TRUE(got.is_ok()) << got.status().to_string();
        EXPECT_EQ(*got, want);
        ++compared;
        SegmentPlanner p(m, log);
        for (const auto& st : t.steps) ASSERT_TRUE(p.add(st).is_ok());
        auto plan = p.finish(t.end);
        ASSERT_TRUE(plan.is_ok());
        EXPECT_EQ(plan->rows, run_rows(m, t));
        EXPECT_EQ(plan->records, t.steps.size());
      }
    }
  }
  EXPECT_GT(compared, 40u);
}

TEST(ZkWasmSegmentsStream, TruncatedOrCorruptStreamsFailClearly) {
  const SplitRun r = mem_io_run();
  const std::vector<uint8_t> enc = encode_trace(r.trace, 16);
  const ProveOptions o = opts_for(r, 7, 1);
  EXPECT_FALSE(wasm::TraceSource::over_bytes(std::span(enc).first(20)).is_ok());
  for (const size_t keep : {size_t(60), enc.size() / 2, enc.size() - 5}) {
    SCOPED_TRACE("kept " + std::to_string(keep) + " of " + std::to_string(enc.size()) + " bytes");
    auto b = prove_bytes(r, std::span(enc).first(keep), o);
    ASSERT_FALSE(b.is_ok());
    EXPECT_EQ(b.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(b.status().message().find("truncated"), std::string::npos) << b.status().to_string();
  }
  // A flipped payload byte in a late chunk: its checksum, before any segment is proved.
  std::vector<uint8_t> bad = enc;
  bad[bad.size() * 3 / 4] ^= 0x20;
  uint32_t proved = 0;
  ProveOptions counted = o;
  counted.on_segment = [&](uint32_t, uint32_t, double) { ++proved; };
  auto b = prove_bytes(r, bad, counted);
  ASSERT_FALSE(b.is_ok());
  EXPECT_EQ(b.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(b.status().message().find("checksum mismatch"), std::string::npos) << b.status().to_string();
  EXPECT_EQ(proved, 0u);
}

TEST(ZkWasmSegmentsStream, MismatchInALateSegmentNamesItsStep) {
  const SplitRun r = calls_run();
  const uint32_t log = 6;
  auto cuts = segment_cuts(r.program->module(), r.trace, log);
  ASSERT_TRUE(cuts.is_ok());
  ASSERT_GE(cuts->size(), 4u);
  // A wrong i32.add result in the last segment.
  wasm::Trace t = r.trace;
  size_t at = 0;
  for (size_t i = cuts->back().first; i < cuts->back().second && at == 0; ++i) {
    if (t.steps[i].op == uint16_t(wasm::Op::kI32Add)) at = i;
  }
  ASSERT_NE(at, 0u);
  t.steps[at].r += 1;
  auto mem = prove(*r.program, t, opts_for(r, log, 1));
  ASSERT_FALSE(mem.is_ok());
  const std::string step = "at step " + std::to_string(at) + " (";
  EXPECT_NE(mem.status().message().find(step), std::string::npos) << mem.status().to_string();
  for (const uint32_t workers : {2u}) {
    uint32_t proved = 0;
    ProveOptions o = opts_for(r, log, workers);
    o.on_segment = [&](uint32_t, uint32_t, double) { ++proved; };
    auto b = prove_bytes(r, encode_trace(t, 5), o);
    ASSERT_FALSE(b.is_ok());
    EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(b.status().message(), mem.status().message());
    EXPECT_LT(proved, cuts->size());
  }
}

TEST(ZkWasmSegmentsStream, StreamedResumeReusesSegments) {
  const SplitRun r = mem_io_run();
  ProveOptions o = opts_for(r, 7, 1);
  auto full = prove(*r.program, r.trace, o);
  ASSERT_TRUE(full.is_ok()) << full.status().to_string();
  const size_t count = full->segments.size();
  ASSERT_GE(count, 4u);
  const std::vector<uint8_t> enc = encode_trace(r.trace, 9);
  o.proved_segments.resize(count);
  for (size_t s = 0; s < count; s += 2) o.proved_segments[s] = full->segments[s];
  std::vector<int> reused(count, -1);
  o.on_segment_proof = [&](uint32_t index, uint32_t n, const Segment& seg, bool was_reused) {
    ASSERT_EQ(n, count);
    EXPECT_EQ(reused[index], -1);
    reused[index] = was_reused ? 1 : 0;
    EXPECT_EQ(seg.keys, full->segments[index].keys);
  };
  o.segment_workers = 2;
  auto b = prove_bytes(r, enc, o);
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  EXPECT_EQ(serialize_bundle(*b), serialize_bundle(*full));
  for (size_t s = 0; s < count; ++s) EXPECT_EQ(reused[s], s % 2 == 0 ? 1 : 0) << "segment " << s;
}

// --- Modules with host slots (call_indirect of efaas imports) stream too -----------------

// Reads and writes through the table (host tail records after each call_indirect of an
// import); with an odd Data length it ends calling input_read's slot with output_write's type,
// a trapping call_indirect of a host slot as the run's last record (no host tail after it).
const char* kHostSlots = R"((module
  (import "efaas" "input_size" (func $size (param i32) (result i32)))
  (import "efaas" "input_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "efaas" "output_write" (func $write (param i32 i32)))
  (type $wt (func (param i32 i32)))
  (type $rt (func (param i32 i32 i32 i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $write $read)
  (memory 1)
  (func (export "efaas_main") (result i32) (local $i i32) (local $n i32)
    (local.set $n (call $size (i32.const 0)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (i32.add (local.get $i) (i32.const 3)) (local.get $n)))
      (drop (call_indirect (type $rt) (i32.const 0) (local.get $i) (i32.const 64) (i32.const 3)
                                      (i32.const 1)))
      (call_indirect (type $wt) (i32.const 64) (i32.const 3) (i32.const 0))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $next)))
    (if (i32.and (local.get $n) (i32.const 1))
      (then (call_indirect (type $wt) (i32.const 0) (i32.const 0) (i32.const 1))))
    (i32.const 0)))
)";

TEST(ZkWasmSegmentsStream, ModulesWithHostSlotsStream) {
  for (const size_t n : {size_t(40), size_t(41)}) {
    SCOPED_TRACE("Data of " + std::to_string(n) + " bytes");
    Rng rng(test_seed("ZkWasmSegmentsStream.HostSlots"));
    wasm::ExtensionInput in;
    in.data.resize(n);
    for (auto& b : in.data) b = uint8_t(rng.next_u64());
    test_support::ExtensionRun e = test_support::run_extension(wat(kHostSlots), in);
    ASSERT_EQ(e.result.status, n % 2 == 0 ? wasm::ExtensionResult::Status::kOk
                                          : wasm::ExtensionResult::Status::kTrap);
    const SplitRun r{e.program, std::move(e.trace), {}, wasm::encode_public_inputs(in)};
    const uint32_t log = 7;
    auto want = prove(*r.program, r.trace, opts_for(r, log, 1));
    ASSERT_TRUE(want.is_ok()) << want.status().to_string();
    ASSERT_GE(want->segments.size(), 3u);
    ASSERT_TRUE(verify(*r.program, *want).is_ok());
    const std::vector<uint8_t> enc = encode_trace(r.trace, 13);
    reset_witness_census();
    auto b = prove_bytes(r, enc, opts_for(r, log, 1));
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    EXPECT_EQ(serialize_bundle(*b), serialize_bundle(*want));
    // Streamed: one segment's records alive at a time, not the run's.
    const WitnessCensus c = witness_census();
    EXPECT_EQ(c.live_records, 0u);
    EXPECT_GT(c.peak_records, 0u);
    EXPECT_LE(c.peak_records, (size_t(1) << log) + 1);
    EXPECT_LT(c.peak_records, r.trace.steps.size() / 2);
  }
}

}  // namespace
}  // namespace efaas::zkwasm
