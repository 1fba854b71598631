// Continuations: runs split into segments prove and verify with the one-segment result, and
// every way of recombining, editing or forging segments is rejected (soundness is the point).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>

#include "prover/common/rng.hpp"
#include "prover/fri/fri_params.hpp"
#include "prover/wasm/instance.hpp"
#include "prover/zkwasm/layout.hpp"
#include "prover/zkwasm/segment_forgery_testing.hpp"
#include "prover/zkwasm/segments_internal.hpp"
#include "prover/zkwasm/test_support.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::zkwasm {
namespace {

using wasm::Op;

// Loops, globals, select, if/else.
const char* kLoop = R"((module
  (global $g (mut i32) (i32.const 7))
  (global $h (mut i64) (i64.const 0x123456789abcdef0))
  (func (export "run") (param $n i32) (param $m i32) (result i32)
    (local $i i32) (local $acc i32) (local $w i64)
    (local.set $w (global.get $h))
    (global.set $h (i64.const -2))
    (block $done
      (loop $top
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (i32.add (local.get $i) (local.get $m))))
        (local.set $acc
          (select (i32.sub (local.get $acc) (local.get $m)) (local.get $acc)
                  (i32.lt_u (local.get $i) (i32.const 3))))
        (if (i32.eqz (i32.ne (local.get $i) (i32.const 4)))
          (then (global.set $g (i32.add (global.get $g) (i32.const 100))))
          (else (global.set $g (i32.sub (global.get $g) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (i32.add (i32.add (local.get $acc) (global.get $g)) (i32.wrap_i64 (local.get $w)))))
)";

// Calls: recursion, declared locals (zeroed), a call_indirect (test_support's $quad and $fib).
const std::string kCalls = std::string(R"((module
  (type $un (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $quad $fib))") + test_support::kQuadFibFuncsWat + R"(
  (func (export "main") (param $n i32) (result i32) (local $k i32)
    (local.set $k (call_indirect (type $un) (local.get $n) (i32.const 0)))
    (i32.add (local.get $k) (call $fib (local.get $n)))))
)";

// br_table in a loop: the sum of $sw(n), $sw(n - 1), ..., $sw(1).
const std::string kSwitch = std::string("(module") + test_support::kSwitchFuncWat + R"(
  (func (export "loop") (param $n i32) (result i32) (local $s i32)
    (block $d (loop $l
      (br_if $d (i32.eqz (local.get $n)))
      (local.set $s (i32.add (local.get $s) (call $sw (local.get $n))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $s)))
)";

using Fixture = test_support::FunctionRun;
using test_support::run_function;

ProveOptions opts_for(const Fixture& f, uint32_t segment_log) {
  ProveOptions o;
  o.params = fri_test_preset();
  o.args = f.args;
  o.segment_log = segment_log;
  return o;
}

// Forgery tests: segments of 2^6 rows (the run below makes about six).
constexpr uint32_t kForgeLog = 6;

bool is_branch(uint16_t op) {
  return op == uint16_t(Op::kBr) || op == uint16_t(Op::kBrIf) || op == uint16_t(Op::kBrUnless) ||
         op == uint16_t(Op::kBrTable);
}

TEST(ZkWasmSegments, SplitRunsVerifyWithTheOneSegmentResult) {
  struct Case {
    std::string text;
    const char* fn;
    std::vector<uint64_t> args;
  };
  const std::vector<Case> cases = {
      {kLoop, "run", {6, 5}}, {kCalls, "main", {5}}, {kSwitch, "loop", {4}}};
  bool inside_call = false, at_branch = false, at_call = false;
  for (const Case& c : cases) {
    Fixture f = run_function(c.text, c.fn, c.args);
    SCOPED_TRACE(c.fn);
    auto one = prove(*f.program, f.trace, opts_for(f, 10));
    ASSERT_TRUE(one.is_ok()) << one.status().to_string();
    ASSERT_EQ(one->segments.size(), 1u);
    auto want = verify(*f.program, *one);
    ASSERT_TRUE(want.is_ok()) << want.status().to_string();
    EXPECT_EQ(want->results, f.trace.end.results);
    // Sizes 2^5 and 2^6, and a size whose cut falls right after a call (if 2^4..2^7 has one).
    std::vector<uint32_t> logs = {5, 6};
    for (uint32_t log = 4; log <= 7; ++log) {
      auto cuts = segment_cuts(f.program->module(), f.trace, log);
      ASSERT_TRUE(cuts.is_ok());
      bool after_call = false;
      for (size_t s = 1; s < cuts->size(); ++s) {
        const uint16_t op = f.trace.steps[(*cuts)[s].first - 1].op;
        after_call |= op == uint16_t(Op::kCall) || op == uint16_t(Op::kCallIndirect);
      }
      if (after_call) {
        if (std::find(logs.begin(), logs.end(), log) == logs.end()) logs.push_back(log);
        break;
      }
    }
    for (uint32_t log : logs) {
      SCOPED_TRACE("segment_log " + std::to_string(log));
      uint32_t callbacks = 0;
      ProveOptions o = opts_for(f, log);
      o.on_segment = [&](uint32_t index, uint32_t count, double seconds) {
        EXPECT_LT(index, count);
        EXPECT_GE(seconds, 0.0);
        ++callbacks;
      };
      auto b = prove(*f.program, f.trace, o);
      ASSERT_TRUE(b.is_ok()) << b.status().to_string();
      ASSERT_GE(b->segments.size(), 2u);
      EXPECT_EQ(callbacks, b->segments.size());
      auto pv = verify(*f.program, *b);
      ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
      EXPECT_EQ(*pv, *want);
      auto back = deserialize_bundle(serialize_bundle(*b));
      ASSERT_TRUE(back.is_ok()) << back.status().to_string();
      EXPECT_TRUE(verify(*f.program, *back).is_ok());
      // Where the boundaries fell.
      for (size_t s = 0; s + 1 < b->segments.size(); ++s) {
        const SegmentState& e = b->segments[s].exit;
        if (e.depth > 0) inside_call = true;
        const auto& prev = f.trace.steps[e.instructions - 1];
        if (is_branch(prev.op)) at_branch = true;
        if (prev.op == uint16_t(Op::kCall) || prev.op == uint16_t(Op::kCallIndirect)) at_call = true;
      }
    }
  }
  EXPECT_TRUE(inside_call) << "no boundary inside a call";
  EXPECT_TRUE(at_branch) << "no boundary right after a branch";
  EXPECT_TRUE(at_call) << "no boundary right after a call";
}

TEST(ZkWasmSegments, ParallelWorkersGiveTheSameBundle) {
  Fixture f = run_function(kLoop, "run", {6, 3});
  ProveOptions o = opts_for(f, kForgeLog);
  o.segment_workers = 1;
  auto serial = prove(*f.program, f.trace, o);
  ASSERT_TRUE(serial.is_ok()) << serial.status().to_string();
  o.segment_workers = 3;
  o.devices = {Backend::kScalar, Backend::kAuto};
  auto parallel = prove(*f.program, f.trace, o);
  ASSERT_TRUE(parallel.is_ok()) << parallel.status().to_string();
  EXPECT_EQ(serialize_bundle(*parallel), serialize_bundle(*serial));
}

// --- forgeries -----------------------------------------------------------------------------

class ZkWasmSegmentForgeries : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    f_ = new Fixture(run_function(kLoop, "run", {9, 5}));
    auto b = prove(*f_->program, f_->trace, opts_for(*f_, kForgeLog));
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    good_ = new Bundle(std::move(*b));
    ASSERT_GE(good_->segments.size(), 4u);
    ASSERT_TRUE(verify(*f_->program, *good_).is_ok());
  }
  static void TearDownTestSuite() {
    delete f_;
    delete good_;
  }
  static void expect_rejected(const Bundle& b, const std::string& what) {
    test_support::expect_bundle_rejected(*f_->program, b, what);
  }
  static Fixture* f_;
  static Bundle* good_;
};
Fixture* ZkWasmSegmentForgeries::f_ = nullptr;
Bundle* ZkWasmSegmentForgeries::good_ = nullptr;

TEST_F(ZkWasmSegmentForgeries, ReorderedDroppedOrRepeatedSegmentsAreRejected) {
  test_support::expect_reordered_segments_rejected(*f_->program, *good_);
  {
    Bundle b = *good_;
    std::swap(b.segments[0].proof, b.segments[1].proof);
    expect_rejected(b, "proofs 0 and 1 swapped");
  }
  {
    Bundle b = *good_;
    b.segments.erase(b.segments.begin());
    expect_rejected(b, "first segment dropped");
  }
  {
    Bundle b = *good_;
    b.segments.insert(b.segments.begin() + 1, b.segments[1]);
    expect_rejected(b, "segment 1 duplicated");
  }
  {
    Bundle b = *good_;
    b.segments[2].proof = b.segments[1].proof;
    expect_rejected(b, "proof 1 reused as segment 2");
  }
}

TEST_F(ZkWasmSegmentForgeries, SegmentsOfAnotherRunAreRejected) {
  // The same module with another argument: same cut points, other values.
  Fixture g = run_function(kLoop, "run", {9, 6});
  g.program = f_->program;
  auto other = prove(*g.program, g.trace, opts_for(g, kForgeLog));
  ASSERT_TRUE(other.is_ok()) << other.status().to_string();
  ASSERT_EQ(other->segments.size(), good_->segments.size());
  ASSERT_TRUE(verify(*g.program, *other).is_ok());
  for (size_t s : {size_t(0), size_t(2), good_->segments.size() - 1}) {
    Bundle b = *good_;
    b.segments[s] = other->segments[s];
    expect_rejected(b, ("segment " + std::to_string(s) + " of another run").c_str());
  }
  // Only its proof, with this run's boundary data.
  Bundle b = *good_;
  b.segments[1].proof = other->segments[1].proof;
  expect_rejected(b, "proof 1 of another run");
}

TEST_F(ZkWasmSegmentForgeries, EditedBoundariesAreRejected) {
  for (size_t s = 0; s + 1 < good_->segments.size(); ++s) {
    const Segment& seg = good_->segments[s];
    ASSERT_FALSE(seg.keys.empty());
    const size_t k = seg.keys.size() / 2;
    {
      Bundle b = *good_;
      b.segments[s].exit_values[k] += 1;
      expect_rejected(b, ("segment " + std::to_string(s) + " exit value changed").c_str());
    }
    {
      Bundle b = *good_;
      b.segments[s].keys.erase(b.segments[s].keys.begin() + k);
      b.segments[s].exit_values.erase(b.segments[s].exit_values.begin() + k);
      expect_rejected(b, ("segment " + std::to_string(s) + " key omitted").c_str());
    }
    {
      Bundle b = *good_;
      auto& keys = b.segments[s].keys;
      keys.insert(keys.begin() + k, keys[k]);
      auto& vals = b.segments[s].exit_values;
      vals.insert(vals.begin() + k, vals[k]);
      expect_rejected(b, ("segment " + std::to_string(s) + " key duplicated").c_str());
    }
    {
      Bundle b = *good_;
      b.segments[s].keys.push_back(b.segments[s].keys.back() + 1);
      b.segments[s].exit_values.push_back(0);
      expect_rejected(b, ("segment " + std::to_string(s) + " untouched key added").c_str());
    }
    for (int field = 0; field < 6; ++field) {
      Bundle b = *good_;
      SegmentState& e = b.segments[s].exit;
      uint32_t* small[4] = {&e.pc, &e.sp, &e.fp, &e.depth};
      if (field < 4) *small[field] += 1;
      if (field == 4) e.gas += 1;
      if (field == 5) e.instructions += 1;
      expect_rejected(b, ("segment " + std::to_string(s) + " exit state field " +
                          std::to_string(field) + " changed").c_str());
    }
  }
}

TEST_F(ZkWasmSegmentForgeries, TheLastSegmentCannotClaimAnotherResult) {
  {
    Bundle b = *good_;
    b.publics.results[0] += 1;
    expect_rejected(b, "claimed result changed");
  }
  {
    Bundle b = *good_;
    b.publics.gas_used += 1;
    expect_rejected(b, "claimed gas changed");
  }
  {
    Bundle b = *good_;
    b.publics.instructions += 1;
    expect_rejected(b, "claimed instruction count changed");
  }
  {
    Bundle b = *good_;
    b.publics.args[1] += 1;
    expect_rejected(b, "claimed argument changed");
  }
  // A prover with its checks off: the trace's last return claims another value.
  wasm::Trace t = f_->trace;
  t.end.results[0] += 1;
  ProveOptions o = opts_for(*f_, kForgeLog);
  o.check_trace = false;
  o.stark.check_witness = false;
  auto b = prove(*f_->program, t, o);
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  expect_rejected(*b, "forged result in the last segment");
}

// Forged witnesses: the prover (checks off) builds segment witnesses itself and edits one, so
// the memory table, the public terms and the bundle all agree on the lie.
using PreEdit = std::function<void(uint32_t, BoundaryImage&, const SegmentState&)>;
using PostEdit = std::function<void(uint32_t, MachineWitness&, SegmentOutput&)>;
Result<Bundle> prove_forged(const Fixture& f, uint32_t log, const PreEdit& pre,
                            const PostEdit& post, bool check_witness = false) {
  const wasm::Module& m = f.program->module();
  auto cuts = segment_cuts(m, f.trace, log);
  if (!cuts) return cuts.status();
  auto pk = f.program->proving_key(fri_test_preset());
  if (!pk) return pk.status();
  auto entry = f.program->entry(f.trace.header.entry_function);
  if (!entry) return entry.status();
  BoundaryImage image = initial_image(*f.program, f.args);
  SegmentState state{entry->first, entry->second, 0, 0, 0, 0};
  WitnessOptions wo;
  wo.check_trace = false;
  wo.args = f.args;
  StarkConfig cfg;
  cfg.check_witness = check_witness;
  Bundle b;
  for (uint32_t s = 0; s < cuts->size(); ++s) {
    if (pre) pre(s, image, state);
    const SegmentSpec spec = segment_spec(*cuts, s, state, image, f.trace.end);
    SegmentOutput out;
    PublicValues pv;
    auto w = build_segment_witness(*f.program, f.trace, wo, &spec, pv, &out);
    if (!w) return w.status();
    if (post) post(s, *w, out);
    // These runs have no host I/O: the boundary terms are all the public interactions.
    w->public_interactions = boundary_interactions(out.keys, image, out.exit_values);
    if (s == 0) b.publics = pv;
    auto proof = stark_prove(machine_air(), **pk, *w, cfg);
    if (!proof) return proof.status();
    Segment seg;
    if (!spec.last) seg.exit = out.exit;
    seg.keys = out.keys;
    seg.exit_values = out.exit_values;
    seg.proof = std::move(*proof);
    b.segments.push_back(std::move(seg));
    for (size_t k = 0; k < out.keys.size(); ++k) image[out.keys[k]] = out.exit_values[k];
    state = out.exit;
  }
  return b;
}

TEST_F(ZkWasmSegmentForgeries, HarnessIsSound) {
  auto b = prove_forged(*f_, kForgeLog, nullptr, nullptr, /*check_witness=*/true);
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  EXPECT_TRUE(verify(*f_->program, *b).is_ok());
}

TEST_F(ZkWasmSegmentForgeries, AKeyHiddenFromTheVerifierIsRejected) {
  // Segment 1 drops its last memory-table row (and the bundle the key), so the verifier keeps
  // that key's old value for later segments. Range multiplicities are fixed up so that only
  // the missing boundary record is wrong.
  auto b = prove_forged(*f_, kForgeLog, nullptr, [](uint32_t s, MachineWitness& w, SegmentOutput& out) {
    if (s != 1) return;
    hide_last_memory_key(w, out);
  });
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  expect_rejected(*b, "a touched key hidden from the bundle");
}

TEST_F(ZkWasmSegmentForgeries, AnEntryValueOtherThanTheVerifiersIsRejected) {
  // Segment 2 runs from a memory image in which the stack slot at its entry sp (first touched
  // by a push, so the witness stays consistent) holds another value than segment 1 left. The
  // prover's own check passes: only the verifier, which supplies the true entry value, can
  // tell.
  auto b = prove_forged(
      *f_, kForgeLog,
      [](uint32_t s, BoundaryImage& image, const SegmentState& entry) {
        if (s == 2) image[entry.sp] += 12345;
      },
      nullptr, /*check_witness=*/true);
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  expect_rejected(*b, "entry value not what the last segment left");
}

TEST_F(ZkWasmSegmentForgeries, AOneSegmentProofCannotPassAsASegment) {
  // A one-segment proof of the whole run (mode 0: zero initial records, init and args tables
  // on) presented as a bundle of one segment with boundary data, or inside a split bundle.
  auto one = prove(*f_->program, f_->trace, opts_for(*f_, 12));
  ASSERT_TRUE(one.is_ok());
  ASSERT_EQ(one->segments.size(), 1u);
  Bundle b = *good_;
  b.segments.back().proof = one->segments[0].proof;
  expect_rejected(b, "one-segment proof as the last segment");
  Bundle c = *one;
  c.segments[0].keys = good_->segments.back().keys;
  c.segments[0].exit_values = good_->segments.back().exit_values;
  expect_rejected(c, "one-segment bundle with boundary keys");
}

// --- bundle format -------------------------------------------------------------------------

TEST_F(ZkWasmSegmentForgeries, BundleParserNamesTheBadField) {
  const auto bytes = serialize_bundle(*good_);
  auto back = deserialize_bundle(bytes);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(serialize_bundle(*back), bytes);
  // The segment count: 0 and above the bound.
  for (uint32_t bad : {0u, kMaxSegments + 1}) {
    auto c = bytes;
    for (int i = 0; i < 4; ++i) c[12 + i] = uint8_t(bad >> (8 * i));
    auto r = deserialize_bundle(c);
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("segment count"), std::string::npos) << r.status().message();
  }
  // Every truncation fails with a message (never a crash).
  Rng rng(test_seed("ZkWasmSegmentsBundle"));
  for (int k = 0; k < 40; ++k) {
    const size_t cut = rng.uniform(bytes.size());
    auto r = deserialize_bundle(std::span<const uint8_t>(bytes.data(), cut));
    EXPECT_FALSE(r.is_ok()) << cut;
  }
  // A hostile key count right after segment 0's exit state.
  Bundle one = *good_;
  size_t at = 0;
  {
    // Offset of segment 0's key count: serialize a bundle with known field sizes.
    const auto& pv = one.publics;
    at = 8 + 4 + 4 + 32 + 4 + 4 + 8 * pv.args.size() + 4 + 4 + 4 + 8 * pv.results.size() + 8 + 8 +
         4 + pv.public_input.size() + 4 + pv.output.size() + 8 /* gas limit */ +
         1 /* no private digest */ + 4 * 4 + 8 +
         8 + 8 + 1 /* exit cursor flag 0 */;
  }
  auto c = bytes;
  c[at] = c[at + 1] = c[at + 2] = 0xFF;
  c[at + 3] = 0x3F;
  auto r = deserialize_bundle(c);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("segment 0 key count"), std::string::npos)
      << r.status().message();
  {
    // A key gap of 2^64 - 3 after key 5: the 64-bit sum wraps around to key 2, below 2^30 but
    // not above the key before it. Keys 5, 6 (one-byte gaps at at + 4, at + 5) with the second
    // gap rewritten as that 10-byte varint.
    Bundle k = *good_;
    k.segments[0].keys = {5, 6};
    k.segments[0].exit_values = {0, 0};
    auto w = serialize_bundle(k);
    ASSERT_EQ(w[at + 4], 5);
    ASSERT_EQ(w[at + 5], 1);
    const uint8_t wrap[] = {0xFD, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
    w.erase(w.begin() + ptrdiff_t(at + 5));
    w.insert(w.begin() + ptrdiff_t(at + 5), std::begin(wrap), std::end(wrap));
    auto wr = deserialize_bundle(w);
    ASSERT_FALSE(wr.is_ok()) << "keys parsed as " << wr->segments[0].keys[0] << ", "
                             << wr->segments[0].keys[1];
    EXPECT_NE(wr.status().message().find("segment 0 key 1 at byte"), std::string::npos)
        << wr.status().message();
  }
  // Bytes after the last proof, and a bundle of the previous version (7, without the exit
  // cursors), are refused by name.
  auto extra = bytes;
  extra.push_back(0);
  r = deserialize_bundle(extra);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("trailing bytes: 1 after"), std::string::npos)
      << r.status().message();
  auto v7 = bytes;
  v7[8] = 7;
  r = deserialize_bundle(v7);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("bundle version 7 is not supported"), std::string::npos)
      << r.status().message();
  // Random corruption never crashes and never verifies.
  for (int k = 0; k < 30; ++k) {
    auto d = bytes;
    d[rng.uniform(d.size())] ^= uint8_t(1 + rng.uniform(255));
    auto p = deserialize_bundle(d);
    if (p.is_ok()) {
      EXPECT_FALSE(verify(*f_->program, *p).is_ok());
    }
  }
}

}  // namespace
}  // namespace efaas::zkwasm
