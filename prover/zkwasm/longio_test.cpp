// Host I/O longer than a segment (docs/zkwasm.md "Continuations"): one input_read and one
// output_write of many times a small segment prove split, with segments that start and end
// inside their I/O rows (the I/O cursor crosses the boundary as public inputs); the output and
// input bytes stay public as before, and the streamed path gives the in-memory bundle. Forged
// cursors, segments swapped or dropped at such a cut and changed bytes are rejected.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <string>

#include "prover/common/rng.hpp"
#include "prover/fri/fri_params.hpp"
#include "prover/wasm/extension.hpp"
#include "prover/wasm/trace_source.hpp"
#include "prover/zkwasm/layout.hpp"
#include "prover/zkwasm/segments_internal.hpp"
#include "prover/zkwasm/test_support.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::zkwasm {
namespace {

using test_support::wat;

// Reads all of Data (kind 0) in one input_read, flips one byte, writes it all back in one
// output_write, then 4 bytes of a data segment. `indirect`: the output_write goes through the
// table (a host slot: call_indirect of the import and its host tail row).
std::string long_io_module(bool indirect) {
  std::string m = R"((module
  (import "efaas" "input_size" (func $size (param i32) (result i32)))
  (import "efaas" "input_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "efaas" "output_write" (func $write (param i32 i32)))
  (type $wt (func (param i32 i32)))
  (table 1 funcref)
  (elem (i32.const 0) $write)
  (memory (export "memory") 3)
  (data (i32.const 16) "\de\ad\be\ef")
  (func (export "efaas_main") (result i32) (local $n i32)
    (local.set $n (call $size (i32.const 0)))
    (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1024) (local.get $n)))
    (i32.store8 (i32.const 1030) (i32.xor (i32.load8_u (i32.const 1030)) (i32.const 255)))
)";
  m += indirect ? "    (call_indirect (type $wt) (i32.const 1024) (local.get $n) (i32.const 0))\n"
                : "    (call $write (i32.const 1024) (local.get $n))\n";
  m += R"(    (call $write (i32.const 16) (i32.const 4))
    (i32.const 0)))
)";
  return m;
}

struct LongRun {
  std::shared_ptr<Program> program;
  wasm::Trace trace;
  std::vector<uint8_t> public_input, output;
};

LongRun long_run(bool indirect, size_t bytes, const char* seed_name) {
  Rng rng(test_seed(seed_name));
  wasm::ExtensionInput in;
  in.data.resize(bytes);
  for (auto& b : in.data) b = uint8_t(rng.next_u64());
  test_support::ExtensionRun e = test_support::run_extension(wat(long_io_module(indirect)), in);
  EXPECT_EQ(e.result.status, wasm::ExtensionResult::Status::kOk) << e.result.trap_message;
  LongRun r{e.program, std::move(e.trace), wasm::encode_public_inputs(in), in.data};
  r.output[6] ^= 0xFF;
  for (uint8_t b : {0xde, 0xad, 0xbe, 0xef}) r.output.push_back(b);
  return r;
}

ProveOptions opts_for(const LongRun& r, uint32_t segment_log) {
  ProveOptions o;
  o.params = fri_test_preset();
  o.public_input = r.public_input;
  o.segment_log = segment_log;
  o.segment_workers = 1;
  return o;
}

using test_support::encode_trace;

Result<Bundle> prove_streamed(const LongRun& r, uint32_t chunk, const ProveOptions& o) {
  const std::vector<uint8_t> enc = encode_trace(r.trace, chunk);
  auto src = wasm::TraceSource::over_bytes(enc);
  if (!src) return src.status();
  return prove(*r.program, **src, o);
}

constexpr uint32_t kLog = 10;
constexpr size_t kBytes = 16 * 1024;  // 2048 I/O rows per transfer: two segments of 2^10 each

class ZkWasmLongIo : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    r_ = new LongRun(long_run(false, kBytes, "ZkWasmLongIo"));
    auto b = prove(*r_->program, r_->trace, opts_for(*r_, kLog));
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    good_ = new Bundle(std::move(*b));
  }
  static void TearDownTestSuite() {
    delete r_;
    delete good_;
  }
  static void expect_rejected(const Bundle& b, const std::string& what) {
    test_support::expect_bundle_rejected(*r_->program, b, what);
  }
  // The first segment ending inside the output_write's (out) or input_read's I/O rows.
  static size_t cut_inside(bool out) {
    for (size_t s = 0; s + 1 < good_->segments.size(); ++s) {
      const SegmentState::IoCursor& c = good_->segments[s].exit.io;
      if (c.active && c.out == out) return s;
    }
    return SIZE_MAX;
  }
  // Segment s of the good run rebuilt honestly, its public inputs then edited, proved with the
  // prover's checks off and checked against the same public inputs: the verifier's comparison
  // with the claim cannot see the edit, only the AIR can.
  static Status forged_publics(size_t s, const std::function<void(std::vector<Fp>&)>& edit) {
    const Program& p = *r_->program;
    auto cuts = segment_cuts(p.module(), r_->trace, kLog);
    if (!cuts) return cuts.status();
    BoundaryImage image = initial_image(p, {});
    for (size_t t = 0; t < s; ++t) {
      const Segment& seg = good_->segments[t];
      for (size_t k = 0; k < seg.keys.size(); ++k) image[seg.keys[k]] = seg.exit_values[k];
    }
    auto entry = p.entry(r_->trace.header.entry_function);
    if (!entry) return entry.status();
    SegmentSpec spec;
    spec.index = uint32_t(s);
    spec.last = s + 1 == cuts->size();
    spec.first = (*cuts)[s].first;
    spec.end = (*cuts)[s].second;
    if (s == 0) {
      spec.entry.pc = entry->first;
      spec.entry.sp = entry->second;
    } else {
      spec.entry = good_->segments[s - 1].exit;
    }
    spec.image = &image;
    spec.gas_used = good_->publics.gas_used;
    spec.output_len = good_->publics.output.size();
    WitnessOptions wo;
    wo.public_input = r_->public_input;
    wo.threads = 1;
    PublicValues pv;
    SegmentOutput out;
    auto w = build_segment_witness(p, r_->trace, wo, &spec, pv, &out);
    if (!w) return w.status();
    edit(w->publics);
    StarkConfig cfg;
    cfg.check_witness = false;
    auto proof = prove_witness(p, fri_test_preset(), *w, cfg, nullptr);
    if (!proof) return proof.status();
    return verify_segment_proof(p, *proof, w->publics, w->public_interactions, VerifyOptions{});
  }
  static LongRun* r_;
  static Bundle* good_;
};
LongRun* ZkWasmLongIo::r_ = nullptr;
Bundle* ZkWasmLongIo::good_ = nullptr;

TEST_F(ZkWasmLongIo, ATransferLongerThanASegmentProvesSplit) {
  const Bundle& b = *good_;
  auto v = verify(*r_->program, b);
  ASSERT_TRUE(v.is_ok()) << v.status().to_string();
  EXPECT_EQ(v->output, r_->output);
  EXPECT_EQ(v->public_input, r_->public_input);
  EXPECT_EQ(v->status, 0u);
  // 2 * 2048 I/O rows in segments of 2^10: at least four cuts inside them, both directions, and
  // a segment holding nothing but I/O rows (it starts and ends inside one transfer).
  size_t inside = 0;
  bool only_io = false;
  for (size_t s = 0; s + 1 < b.segments.size(); ++s) {
    const SegmentState::IoCursor& c = b.segments[s].exit.io;
    inside += c.active;
    if (c.active) {
      EXPECT_EQ(c.rem % 8, 0u);  // a cut between two full I/O rows
      if (c.out) {
        EXPECT_EQ(c.idx, b.segments[s].exit.output);
      }
    }
    only_io |= c.active && s > 0 && b.segments[s - 1].exit.io.active;
  }
  std::printf("  %zu segments, %zu cuts inside I/O rows\n", b.segments.size(), inside);
  EXPECT_GE(inside, 3u);
  EXPECT_NE(cut_inside(true), SIZE_MAX);
  EXPECT_NE(cut_inside(false), SIZE_MAX);
  EXPECT_TRUE(only_io);
  // The cursor survives the bundle's bytes; a malformed flag is named.
  const std::vector<uint8_t> bytes = serialize_bundle(b);
  auto back = deserialize_bundle(bytes);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  for (size_t s = 0; s < b.segments.size(); ++s) EXPECT_EQ(back->segments[s].exit, b.segments[s].exit);
  EXPECT_EQ(serialize_bundle(*back), bytes);
}

TEST_F(ZkWasmLongIo, TheStreamedPathGivesTheInMemoryBundle) {
  const std::vector<uint8_t> want = serialize_bundle(*good_);
  for (const uint32_t chunk : {100u, 1u << 16}) {
    SCOPED_TRACE("chunk " + std::to_string(chunk));
    reset_witness_census();
    auto b = prove_streamed(*r_, chunk, opts_for(*r_, kLog));
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    EXPECT_EQ(serialize_bundle(*b), want);
    // One segment's window at a time, even where the host call's next instruction lies
    // segments away (its window stops inside the I/O rows).
    EXPECT_GT(witness_census().peak_records, 0u);
    EXPECT_LE(witness_census().peak_records, (size_t(1) << kLog) + 1);
  }
}

TEST_F(ZkWasmLongIo, AMovedIoCursorIsRejected) {
  for (const bool out : {false, true}) {
    const size_t s = cut_inside(out);
    ASSERT_NE(s, SIZE_MAX);
    const std::string at = std::string(out ? "output" : "input") + " cut after segment " +
                           std::to_string(s) + ": ";
    auto edit = [&](const char* what, auto&& f) {
      Bundle b = *good_;
      f(b.segments[s].exit);
      expect_rejected(b, at + what);
    };
    edit("address + 8", [](SegmentState& e) { e.io.addr += 8; });
    edit("address - 8", [](SegmentState& e) { e.io.addr -= 8; });
    edit("bytes left - 8", [](SegmentState& e) { e.io.rem -= 8; });
    edit("bytes left + 8", [](SegmentState& e) { e.io.rem += 8; });
    edit("bytes left - 1", [](SegmentState& e) { e.io.rem -= 1; });
    edit("index + 8", [](SegmentState& e) { e.io.idx += 8; });
    edit("direction flipped", [](SegmentState& e) { e.io.out = !e.io.out; });
    edit("cursor dropped", [](SegmentState& e) { e.io = {}; });
    edit("instruction count + 1", [](SegmentState& e) { e.instructions += 1; });
    edit("gas - 1", [](SegmentState& e) { e.gas -= 1; });
    if (!out) edit("kind 0 -> 1", [](SegmentState& e) { e.io.kind = 1; });
    if (out) {
      edit("output index and cursor + 8", [](SegmentState& e) {
        e.io.idx += 8;
        e.output += 8;
      });
    }
  }
  // A cut between instructions claimed inside a transfer.
  for (size_t s = 0; s + 1 < good_->segments.size(); ++s) {
    if (good_->segments[s].exit.io.active) continue;
    Bundle b = *good_;
    b.segments[s].exit.io = SegmentState::IoCursor{true, false, 1024, 0, 8, 0};
    expect_rejected(b, "segment " + std::to_string(s) + " claims a cut inside I/O rows");
    break;
  }
}

// Below the verifier's own checks: a segment proved with a moved cursor in its public inputs
// (so the claim and the proof agree) fails the AIR's binding at its end row (exit) or first
// row (entry).
TEST_F(ZkWasmLongIo, TheAirBindsTheCursorOnBothSides) {
  for (const bool out : {false, true}) {
    const size_t s = cut_inside(out);
    ASSERT_NE(s, SIZE_MAX);
    if (!out) {  // the harness: unedited, both sides verify
      ASSERT_TRUE(forged_publics(s, [](std::vector<Fp>&) {}).is_ok());
      ASSERT_TRUE(forged_publics(s + 1, [](std::vector<Fp>&) {}).is_ok());
    }
    const std::string dir = out ? "output" : "input";
    for (const bool exit : {true, false}) {
      const size_t seg = exit ? s : s + 1;
      const uint32_t base = exit ? layout::kPubExitIo : layout::kPubEntryIo;
      const uint32_t inst = exit ? layout::kPubExit + 5 : layout::kPubEntryInst;
      struct Edit {
        const char* what;
        uint32_t at;
        int64_t delta;
      };
      const Edit edits[] = {{"flag cleared", 0, -1},  {"direction flipped", 1, out ? -1 : 1},
                            {"address + 8", 2, 8},     {"index + 8", 3, 8},
                            {"bytes left - 8", 4, -8}, {"kind + 1", 5, 1}};
      // (Each a proof of its own: the input cut gets every edit at its exit, the rest a few.)
      const uint32_t picked = !out && exit ? 0x3F : !out ? 0x25 : exit ? 0x1C : 0x12;
      for (const Edit& e : edits) {
        if (!(picked >> e.at & 1)) continue;
        const Status st = forged_publics(seg, [&](std::vector<Fp>& pub) {
          pub[base + e.at] += e.delta >= 0 ? Fp::from_u64(uint64_t(e.delta))
                                           : -Fp::from_u64(uint64_t(-e.delta));
          if (e.at == 0) pub[inst] += Fp::one();  // the count of a cut between instructions
        });
        EXPECT_FALSE(st.is_ok()) << dir << (exit ? " exit " : " entry ") << e.what;
        std::printf("  %s cursor, segment %zu's %s: %-18s -> %s\n", dir.c_str(), seg,
                    exit ? "exit" : "entry", e.what, st.message().c_str());
      }
    }
  }
}

TEST_F(ZkWasmLongIo, SegmentsSwappedOrDroppedAtACutInsideIoAreRejected) {
  for (const bool out : {false, true}) {
    const size_t s = cut_inside(out);
    ASSERT_NE(s, SIZE_MAX);
    const std::string at = std::string(out ? "output" : "input") + " cut after segment " +
                           std::to_string(s) + ": ";
    {
      Bundle b = *good_;
      std::swap(b.segments[s], b.segments[s + 1]);
      expect_rejected(b, at + "swapped with the next");
    }
    if (s + 2 < good_->segments.size()) {
      Bundle b = *good_;
      b.segments.erase(b.segments.begin() + long(s + 1));
      expect_rejected(b, at + "the next dropped");
    }
    {
      Bundle b = *good_;
      b.segments.erase(b.segments.begin() + long(s));
      expect_rejected(b, at + "this one dropped");
    }
    {
      Bundle b = *good_;
      b.segments.insert(b.segments.begin() + long(s + 1), b.segments[s + 1]);
      expect_rejected(b, at + "the next duplicated");
    }
  }
}

TEST_F(ZkWasmLongIo, ChangedBytesAreRejected) {
  // An output byte inside a segment that starts and ends inside the output_write, the bytes on
  // both sides of such a cut, and a Data byte the input_read moves in a middle segment.
  const size_t s = cut_inside(true);
  ASSERT_NE(s, SIZE_MAX);
  const uint64_t c = good_->segments[s].exit.output;
  ASSERT_GT(c, 0u);
  for (const uint64_t at : {c - 1, c, c + 100}) {
    Bundle b = *good_;
    b.publics.output[at] ^= 0x10;
    expect_rejected(b, "output byte " + std::to_string(at) + " changed");
  }
  {
    Bundle b = *good_;
    std::swap(b.publics.output[c - 1], b.publics.output[c + 7]);
    if (b.publics.output != good_->publics.output) expect_rejected(b, "output bytes swapped across a cut");
  }
  for (const size_t at : {size_t(0), kBytes / 2, kBytes - 1}) {
    Bundle b = *good_;
    b.publics.public_input[4 + at] ^= 0x01;
    expect_rejected(b, "Data byte " + std::to_string(at) + " changed");
  }
}

// Task: the output_write of the long transfer through the table (a host slot): the expanded
// host tail row precedes its I/O rows, the cut still falls inside them, and the streamed path
// (which expands host calls as it reads) gives the in-memory bundle.
TEST(ZkWasmLongIoHostSlot, ATransferThroughTheTableProvesSplitAndStreams) {
  const LongRun r = long_run(true, 12 * 1024, "ZkWasmLongIoHostSlot");
  auto b = prove(*r.program, r.trace, opts_for(r, kLog));
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  auto v = verify(*r.program, *b);
  ASSERT_TRUE(v.is_ok()) << v.status().to_string();
  EXPECT_EQ(v->output, r.output);
  bool out_cut = false;
  for (const Segment& seg : b->segments) out_cut |= seg.exit.io.active && seg.exit.io.out;
  EXPECT_TRUE(out_cut);
  auto streamed = prove_streamed(r, 333, opts_for(r, kLog));
  ASSERT_TRUE(streamed.is_ok()) << streamed.status().to_string();
  EXPECT_EQ(serialize_bundle(*streamed), serialize_bundle(*b));
}

// --- zero-local rows longer than a segment ---------------------------------------------------

// $big declares 2600 locals (2600 zero-local rows per call: more than two segments of 2^10),
// adds its argument to local 2500 and returns it; called twice, so the second call's frame
// lies over slots the first one left nonzero and must really be zeroed.
std::string big_locals_module() {
  std::string locals;
  for (int i = 0; i < 2600; ++i) locals += " i32";
  return R"((module
  (func $big (param $x i32) (result i32) (local)" + locals + R"()
    (local.set 2501 (i32.add (local.get 2501) (local.get $x)))
    (local.get 2501))
  (func (export "main") (param $a i32) (param $b i32) (result i32)
    (i32.add (call $big (local.get $a)) (call $big (local.get $b)))))
)";
}

// Segment s of a split run rebuilt honestly (its plan from SegmentPlanner), its public inputs
// edited, proved with the prover's checks off and checked against those same public inputs.
Status forged_segment_publics(const Program& p, const wasm::Trace& trace,
                              const std::vector<uint64_t>& args, const Bundle& good,
                              uint32_t log, size_t s,
                              const std::function<void(std::vector<Fp>&)>& edit) {
  SegmentPlanner planner(p.module(), log);
  for (const auto& st : trace.steps) EFAAS_RETURN_IF_ERROR(planner.add(st));
  auto plan = planner.finish(trace.end);
  if (!plan) return plan.status();
  BoundaryImage image = initial_image(p, args);
  for (size_t t = 0; t < s; ++t) {
    const Segment& seg = good.segments[t];
    for (size_t k = 0; k < seg.keys.size(); ++k) image[seg.keys[k]] = seg.exit_values[k];
  }
  auto entry = p.entry(trace.header.entry_function);
  if (!entry) return entry.status();
  SegmentSpec spec;
  spec.index = uint32_t(s);
  spec.last = s + 1 == plan->cuts.size();
  spec.first = plan->cuts[s].first;
  spec.end = plan->cuts[s].second;
  spec.zero_cut = s < plan->zero_cuts.size() ? plan->zero_cuts[s] : 0;
  if (s == 0) {
    spec.entry.pc = entry->first;
    spec.entry.sp = entry->second;
  } else {
    spec.entry = good.segments[s - 1].exit;
  }
  spec.image = &image;
  spec.gas_used = good.publics.gas_used;
  spec.output_len = good.publics.output.size();
  WitnessOptions wo;
  wo.args = args;
  wo.public_input = good.publics.public_input;
  wo.threads = 1;
  PublicValues pv;
  SegmentOutput out;
  auto w = build_segment_witness(p, trace, wo, &spec, pv, &out);
  if (!w) return w.status();
  edit(w->publics);
  StarkConfig cfg;
  cfg.check_witness = false;
  auto proof = prove_witness(p, fri_test_preset(), *w, cfg, nullptr);
  if (!proof) return proof.status();
  return verify_segment_proof(p, *proof, w->publics, w->public_interactions, VerifyOptions{});
}

TEST(ZkWasmLongZeroLocals, ACallWhoseZeroLocalRowsExceedASegmentProvesSplit) {
  test_support::FunctionRun f = test_support::run_function(big_locals_module().c_str(), "main", {5, 7});
  ASSERT_EQ(f.trace.end.results, std::vector<uint64_t>{12});
  ProveOptions o;
  o.params = fri_test_preset();
  o.args = f.args;
  o.segment_log = kLog;
  o.segment_workers = 1;
  auto b = prove(*f.program, f.trace, o);
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  auto v = verify(*f.program, *b);
  ASSERT_TRUE(v.is_ok()) << v.status().to_string();
  EXPECT_EQ(v->results, std::vector<uint64_t>{12});
  // Cuts inside both calls' zero-local rows, one segment of nothing but them.
  size_t inside = 0, only = SIZE_MAX;
  for (size_t s = 0; s + 1 < b->segments.size(); ++s) {
    const SegmentState& e = b->segments[s].exit;
    inside += e.zl.active;
    EXPECT_TRUE(!e.zl.active || e.zl.next < e.sp);
    if (e.zl.active && s > 0 && b->segments[s - 1].exit.zl.active) only = s;
  }
  std::printf("  %zu segments, %zu cuts inside zero-local rows\n", b->segments.size(), inside);
  EXPECT_GE(inside, 4u);
  ASSERT_NE(only, SIZE_MAX);
  auto back = deserialize_bundle(serialize_bundle(*b));
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(serialize_bundle(*back), serialize_bundle(*b));
  // The streamed path cuts and proves the same.
  auto src_bytes = encode_trace(f.trace, 50);
  auto src = wasm::TraceSource::over_bytes(src_bytes);
  ASSERT_TRUE(src.is_ok());
  auto streamed = prove(*f.program, **src, o);
  ASSERT_TRUE(streamed.is_ok()) << streamed.status().to_string();
  EXPECT_EQ(serialize_bundle(*streamed), serialize_bundle(*b));

  // Forgeries: the cursor moved or dropped in the bundle (both sides), and below the
  // verifier's checks (the proof's public inputs edited alike) at the exit and entry rows.
  auto rejected = [&](const Bundle& x, const std::string& what) {
    auto r = verify(*f.program, x);
    EXPECT_FALSE(r.is_ok()) << what;
    std::printf("  %-44s -> %s\n", what.c_str(), r.status().message().c_str());
  };
  for (const int64_t d : {-1, 1}) {
    Bundle x = *b;
    x.segments[only].exit.zl.next = uint32_t(int64_t(x.segments[only].exit.zl.next) + d);
    rejected(x, "next local " + std::to_string(d));
  }
  {
    Bundle x = *b;
    x.segments[only].exit.zl = {};
    rejected(x, "cursor dropped");
  }
  {
    Bundle x = *b;
    x.segments.erase(x.segments.begin() + long(only));
    rejected(x, "a zero-local-only segment dropped");
  }
  ASSERT_TRUE(forged_segment_publics(*f.program, f.trace, f.args, *b, kLog, only,
                                     [](std::vector<Fp>&) {})
                  .is_ok())
      << "the harness";
  for (const bool exit : {true, false}) {
    const uint32_t base = exit ? layout::kPubExitZl : layout::kPubEntryZl;
    for (const uint32_t at : {0u, 1u}) {
      const Status st = forged_segment_publics(
          *f.program, f.trace, f.args, *b, kLog, only, [&](std::vector<Fp>& pub) {
            pub[base + at] += at == 0 ? -Fp::one() : Fp::one();
            if (at == 0) pub[exit ? layout::kPubExit + 5 : layout::kPubEntryInst] += Fp::one();
          });
      EXPECT_FALSE(st.is_ok()) << (exit ? "exit " : "entry ") << at;
      std::printf("  forged %s %-32s -> %s\n", exit ? "exit" : "entry",
                  at == 0 ? "flag cleared" : "next local + 1", st.message().c_str());
    }
  }
}

}  // namespace
}  // namespace efaas::zkwasm
