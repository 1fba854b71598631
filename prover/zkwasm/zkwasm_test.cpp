// zkWASM tests. Soundness is the point: completeness on programs using every constrained
// opcode, then forgeries (one wrong value or control transfer in a trace, the prover's own
// checks off) that the verifier must reject, and proofs checked against another module, input
// or output.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

#include "prover/common/cpu_features.hpp"
#include "prover/common/rng.hpp"
#include "prover/device/backend.hpp"
#include "prover/fri/fri_params.hpp"
#include "prover/wasm/instance.hpp"
#include "prover/zkwasm/air_internal.hpp"
#include "prover/zkwasm/layout.hpp"
#include "prover/zkwasm/test_support.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::zkwasm {
namespace {

using wasm::Op;

using test_support::run_traced;
using test_support::wat;

// Every constrained opcode: i32 arithmetic and comparisons (signed and unsigned), locals,
// globals, select, drop, constants, br / br_if / if-else (br_unless), block results.
const char* kKitchenSink = R"((module
  (global $g (mut i32) (i32.const 7))
  (global $h (mut i64) (i64.const 0x123456789abcdef0))
  (func (export "run") (param $n i32) (param $m i32) (result i32)
    (local $i i32) (local $acc i32) (local $t i32) (local $w i64)
    (local.set $w (global.get $h))
    (global.set $h (i64.const -2))
    (drop (i64.const 5))
    (block $done
      (loop $top
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        ;; acc += i * 3 via adds; acc -= m when i is odd-ish (select)
        (local.set $t (i32.add (local.get $i) (i32.add (local.get $i) (local.get $i))))
        (local.set $acc (i32.add (local.get $acc) (local.get $t)))
        (local.set $acc
          (select (i32.sub (local.get $acc) (local.get $m)) (local.get $acc)
                  (i32.lt_u (local.get $i) (i32.const 3))))
        (if (i32.eqz (i32.ne (local.get $i) (i32.const 4)))
          (then (global.set $g (i32.add (global.get $g) (i32.const 100))))
          (else (global.set $g (i32.sub (global.get $g) (i32.const 1)))))
        (local.set $acc (i32.add (local.get $acc)
          (i32.add (i32.add (i32.gt_s (local.get $m) (i32.const -5)) (i32.gt_u (local.get $m) (i32.const 5)))
                   (i32.add (i32.le_s (local.get $i) (i32.const 2)) (i32.le_u (local.get $m) (local.get $i))))))
        (local.set $acc (i32.add (local.get $acc)
          (i32.add (i32.lt_s (local.get $m) (i32.const 0)) (i32.add (i32.ge_u (local.get $i) (i32.const 5))
             (i32.eq (local.get $i) (i32.const 6))))))
        (local.set $i (local.tee $t (i32.add (local.get $i) (i32.const 1))))
        (br $top)))
    (i32.add (local.get $acc)
      (block $b (result i32)
        (br_if $b (global.get $g) (i32.const 1))
        (drop)
        (i32.const 9))))))";

// i64 arithmetic and comparisons, bitwise ops of both widths, wrap and extensions.
const char* kWide = R"((module
  (func (export "wide") (param $p i64) (param $q i64) (param $v i32) (result i64)
    (local $acc i64)
    (local.set $acc (i64.add (local.get $p) (local.get $q)))
    (local.set $acc (i64.sub (local.get $acc) (i64.xor (local.get $p) (i64.const 0x0f0f0f0f0f0f0f0f))))
    (local.set $acc (i64.add (local.get $acc) (i64.and (local.get $q) (i64.or (local.get $p) (i64.const 0x100)))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u
      (i32.add (i32.add (i32.add (i64.lt_s (local.get $p) (local.get $q)) (i64.lt_u (local.get $p) (local.get $q)))
                        (i32.add (i64.gt_s (local.get $p) (local.get $q)) (i64.gt_u (local.get $p) (local.get $q))))
               (i32.add (i32.add (i64.le_s (local.get $p) (local.get $q)) (i64.le_u (local.get $p) (local.get $q)))
                        (i32.add (i64.ge_s (local.get $p) (local.get $q)) (i64.ge_u (local.get $p) (local.get $q))))))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_s
      (i32.xor (i32.or (i32.and (local.get $v) (i32.const 0xff00ff)) (i32.const 0x80000000))
               (i32.wrap_i64 (local.get $p))))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend16_s (local.get $q))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (i32.extend16_s (local.get $v)))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend32_s (local.get $p))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend8_s (local.get $q))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (i32.extend8_s (local.get $v)))))
    (local.set $acc (i64.add (local.get $acc)
      (i64.extend_i32_u (i32.mul (local.get $v) (i32.wrap_i64 (local.get $q))))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u
      (i32.add (i32.add (i64.eqz (local.get $p)) (i64.eq (local.get $p) (local.get $q)))
               (i64.ne (local.get $p) (local.get $q))))))
    (local.get $acc)))
)";

// br_table: a switch without values, and one whose labels carry a value (test_support's $sw).
const std::string kSwitch = std::string("(module") + test_support::kSwitchFuncWat +
                            R"(  (export "sw" (func $sw))))";

// Calls: recursion, declared locals (zeroed), functions without params or results, returns
// from inside a block.
const std::string kCalls = std::string("(module") + test_support::kQuadFibFuncsWat + R"(
  (func $noop (local i64 i32))
  (func (export "main") (param $n i32) (result i32) (local $k i32)
    (call $noop)
    (local.set $k (call $quad (local.get $n)))
    (i32.add (local.get $k) (call $fib (local.get $n)))))
)";

// A declared local read before it is written is 0, even where an earlier frame left a value.
const char* kStale = R"((module
  (func $leave (result i32) (i32.add (i32.const 7) (i32.const 0)))
  (func $fresh (result i32) (local $u i32) (local.get $u))
  (func (export "main") (result i32)
    (drop (call $leave))
    (call $fresh)))
)";

// call_indirect through a table of three functions (one with a declared local).
const char* kIndirect = R"((module
  (type $bin (func (param i32 i32) (result i32)))
  (table 4 funcref)
  (elem (i32.const 0) $add $sub $pick)
  (func $add (type $bin) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $bin) (i32.sub (local.get 0) (local.get 1)))
  (func $pick (param i32 i32) (result i32) (local $t i32) (local.set $t (local.get 1)) (local.get $t))
  (func (export "f") (param $op i32) (param $x i32) (result i32)
    (call_indirect (type $bin) (local.get $x) (i32.const 5) (local.get $op))))
)";

// A loop summing 1..n: small and quick.
const char* kSum = R"((module
  (func (export "sum") (param $n i32) (result i32) (local $s i32)
    (block $d (loop $l
      (br_if $d (i32.eqz (local.get $n)))
      (local.set $s (i32.add (local.get $s) (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $s)))
)";

using Fixture = test_support::FunctionRun;
using test_support::run_function;

ProveOptions opts_for(const Fixture& f, Backend be = Backend::kAuto) {
  ProveOptions o;
  o.params = fri_test_preset();
  o.args = f.args;
  o.stark.backend = be;
  return o;
}

// Proves a trace with every prover-side check off.
Result<Bundle> prove_unchecked(const Fixture& f, const wasm::Trace& t) {
  ProveOptions o = opts_for(f);
  o.check_trace = false;
  o.stark.check_witness = false;
  return prove(*f.program, t, o);
}

TEST(ZkWasm, SumProvesAndVerifiesOnEveryCpuBackend) {
  Fixture f = run_function(kSum, "sum", {10});
  ASSERT_EQ(f.trace.end.results, std::vector<uint64_t>{55});
  std::vector<Backend> backends = {Backend::kScalar};
  if (avx2_usable()) backends.push_back(Backend::kAvx2);
  for (Backend be : backends) {
    auto b = prove(*f.program, f.trace, opts_for(f, be));
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    auto pv = verify(*f.program, *b);
    ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
    EXPECT_EQ(pv->results, std::vector<uint64_t>{55});
    EXPECT_EQ(pv->args, std::vector<uint64_t>{10});
    EXPECT_EQ(pv->instructions, f.trace.steps.size());
    EXPECT_EQ(pv->gas_used, f.trace.end.gas_used);
    // Round trip through the bundle format.
    const auto bytes = serialize_bundle(*b);
    auto back = deserialize_bundle(bytes);
    ASSERT_TRUE(back.is_ok()) << back.status().to_string();
    EXPECT_TRUE(verify(*f.program, *back).is_ok());
  }
}

TEST(ZkWasm, EveryConstrainedOpcodeProves) {
  std::set<uint16_t> seen;
  auto check = [&](Fixture f) {
    ASSERT_EQ(f.trace.end.status, 0u);
    for (const auto& s : f.trace.steps) seen.insert(s.op);
    auto b = prove(*f.program, f.trace, opts_for(f));
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    auto pv = verify(*f.program, *b);
    ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
    EXPECT_EQ(pv->results, f.trace.end.results);
  };
  for (uint64_t m : {uint64_t(3), uint64_t(0xFFFFFFF0)}) check(run_function(kKitchenSink, "run", {8, m}));
  // Operands around sign and carry boundaries.
  const std::vector<std::vector<uint64_t>> wide_args = {
      {1, 2, 3},
      {0x8000000000000000ull, 0x7FFFFFFFFFFFFFFFull, 0x8000},
      {0xFFFFFFFFFFFFFFFFull, 0xFFFFFFFFFFFFFFFFull, 0xFFFFFFFF},
      {0, 0x123456789ull, 0x7FFF}};
  for (const auto& args : wide_args) check(run_function(kWide, "wide", args));
  for (uint64_t n : {uint64_t(0), uint64_t(1), uint64_t(7)}) {
    Fixture f = run_function(kCalls, "main", {n});
    const uint64_t fib[] = {0, 1, 1, 2, 3, 5, 8, 13};
    EXPECT_EQ(f.trace.end.results[0], 4 * n + fib[n]) << n;
    check(std::move(f));
  }
  check(run_function(kStale, "main", {}));
  for (uint64_t op : {0, 1, 2}) {
    Fixture f = run_function(kIndirect, "f", {op, 9});
    const uint64_t want[] = {14, 4, 5};
    EXPECT_EQ(f.trace.end.results[0], want[op]);
    check(std::move(f));
  }
  const std::vector<std::pair<uint64_t, uint64_t>> switch_cases = {
      {0, 10}, {2, 12}, {3, 1095}, {4, 95}, {0xFFFFFFFF, 1095}};
  for (const auto& [arg, want] : switch_cases) {
    Fixture f = run_function(kSwitch, "sw", {arg});
    EXPECT_EQ(f.trace.end.results[0], want) << arg;
    check(std::move(f));
  }
  for (Op op : layout::kFlagOps) {  // chip operations and traps: alu_test.cpp
    if (op == Op::kCallHost) continue;  // host I/O: zkmem_test
    EXPECT_TRUE(seen.count(uint16_t(op))) << "not exercised: " << wasm::op_info(op).name;
  }
  // Proved by the ALU chip since the exec table was narrowed; still exercised here.
  for (Op op : {Op::kI32Mul, Op::kI32And, Op::kI32Or, Op::kI32Xor, Op::kI64And, Op::kI64Or,
                Op::kI64Xor, Op::kI32Extend8S, Op::kI64Extend8S}) {
    EXPECT_TRUE(seen.count(uint16_t(op))) << "not exercised: " << wasm::op_info(op).name;
  }
  // i64 twins sharing the i32 flag (layout::kWideOps).
  for (Op op : layout::kWideOps) {
    EXPECT_TRUE(seen.count(uint16_t(op))) << "not exercised: " << wasm::op_info(op).name;
  }
}

TEST(ZkWasm, ProductionPreset) {
  Fixture f = run_function(kSum, "sum", {20});
  ProveOptions o = opts_for(f);
  o.params = fri_production_preset();
  auto b = prove(*f.program, f.trace, o);
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  VerifyOptions vo;
  vo.min_security_bits = 100;
  EXPECT_TRUE(verify(*f.program, *b, vo).is_ok());
  // A test-preset proof does not pass a verifier that demands 100 bits.
  auto weak = prove(*f.program, f.trace, opts_for(f));
  ASSERT_TRUE(weak.is_ok());
  EXPECT_FALSE(verify(*f.program, *weak, vo).is_ok());
  // Production commits with BLAKE3; production-poseidon2 has the same numbers with Poseidon2.
  EXPECT_EQ(b->segments[0].proof.params.merkle_hash, MerkleHash::kBlake3);
  o.params = *fri_preset("production-poseidon2");
  EXPECT_EQ(o.params.merkle_hash, MerkleHash::kPoseidon2);
  EXPECT_EQ(conjectured_security_bits(o.params), conjectured_security_bits(fri_production_preset()));
  auto p2 = prove(*f.program, f.trace, o);
  ASSERT_TRUE(p2.is_ok()) << p2.status().to_string();
  EXPECT_TRUE(verify(*f.program, *p2, vo).is_ok());
  // A verifier that accepts one hash only rejects the other, naming both.
  vo.merkle_hash = MerkleHash::kPoseidon2;
  EXPECT_TRUE(verify(*f.program, *p2, vo).is_ok());
  auto r = verify(*f.program, *b, vo);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("Merkle hash is blake3, the verifier accepts only poseidon2"),
            std::string::npos)
      << r.status().message();
  vo.merkle_hash = MerkleHash::kBlake3;
  EXPECT_TRUE(verify(*f.program, *b, vo).is_ok());
  EXPECT_FALSE(verify(*f.program, *p2, vo).is_ok());
}

// Bundles under either Merkle hash, one segment or split: prove, round trip and verify, with one
// verifier Program for both (its fixed-column commitment is cached per blowup and hash: a cache
// keyed by the blowup alone would check the second hash's proofs against the first's root). A
// bundle relabelled as the other hash, whole or one segment, is rejected.
TEST(ZkWasm, BundlesUnderEitherMerkleHash) {
  Fixture f = run_function(kSum, "sum", {12});
  auto verifier = Program::load(wat(kSum));
  ASSERT_TRUE(verifier.is_ok());
  const Program& v = **verifier;
  for (uint32_t segment_log : {kDefaultSegmentLog, 5u}) {
    for (MerkleHash h : {MerkleHash::kPoseidon2, MerkleHash::kBlake3}) {
      SCOPED_TRACE(std::string(merkle_hash_name(h)) + ", segment_log " +
                   std::to_string(segment_log));
      ProveOptions o = opts_for(f);
      o.params.merkle_hash = h;
      o.segment_log = segment_log;
      auto b = prove(*f.program, f.trace, o);
      ASSERT_TRUE(b.is_ok()) << b.status().to_string();
      EXPECT_EQ(b->segments.size() > 1, segment_log == 5u);
      auto back = deserialize_bundle(serialize_bundle(*b));
      ASSERT_TRUE(back.is_ok()) << back.status().to_string();
      for (const Segment& seg : back->segments) EXPECT_EQ(seg.proof.params.merkle_hash, h);
      auto pv = verify(v, *back);
      ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
      EXPECT_EQ(pv->results, std::vector<uint64_t>{78});
      const MerkleHash other =
          h == MerkleHash::kBlake3 ? MerkleHash::kPoseidon2 : MerkleHash::kBlake3;
      Bundle relabelled = *back;
      for (Segment& seg : relabelled.segments) seg.proof.params.merkle_hash = other;
      EXPECT_FALSE(verify(v, relabelled).is_ok());
      relabelled = *back;
      relabelled.segments.back().proof.params.merkle_hash = other;
      EXPECT_FALSE(verify(v, relabelled).is_ok());
    }
  }
  // Two commitments of the fixed columns: one per hash at the test preset's blowup.
  EXPECT_EQ(v.key_commitments(), 2u);
}

TEST(ZkWasm, UnsupportedExecutionsAreRefused) {
  // Call stack exhaustion below the AIR's depth limit (a trace recorded under a smaller
  // RuntimeLimits::max_call_depth) is not a run under the limits a proof fixes: refused as a
  // bad trace (at depth 16384 it proves, at call and call_indirect: stack_traps_test; division
  // traps and unreachable prove: alu_test; out-of-bounds and call_indirect traps: traps_test).
  const char* rec = R"((module (type $t (func)) (table 1 funcref) (elem (i32.const 0) $r)
    (func $r (export "r") (call_indirect (type $t) (i32.const 0)))))";
  Fixture g = run_function(rec, "r", {});
  wasm::RuntimeLimits small;
  small.max_call_depth = 100;
  g.trace = test_support::run_traced(test_support::wat(rec), "r", {}, small);
  ASSERT_EQ(g.trace.end.status, 1u);
  ASSERT_EQ(g.trace.end.trap_code, uint32_t(wasm::TrapCode::kCallStackExhausted));
  auto b = prove(*g.program, g.trace, opts_for(g));
  ASSERT_FALSE(b.is_ok());
  EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument) << b.status().to_string();
  EXPECT_NE(b.status().message().find("max_call_depth"), std::string::npos);
  // (Runs longer than one segment are split: segments_test.cpp.)
}

TEST(ZkWasm, ProverNamesTheFirstBadStep) {
  Fixture f = run_function(kSum, "sum", {4});
  wasm::Trace t = f.trace;
  for (size_t i = 0; i < t.steps.size(); ++i) {
    if (t.steps[i].op == uint16_t(Op::kI32Add)) {
      t.steps[i].r += 1;
      auto b = prove(*f.program, t, opts_for(f));
      ASSERT_FALSE(b.is_ok());
      EXPECT_NE(b.status().message().find("step " + std::to_string(i) + " "), std::string::npos)
          << b.status().message();
      EXPECT_NE(b.status().message().find("i32.add"), std::string::npos);
      return;
    }
  }
  FAIL() << "no i32.add in the trace";
}

// --- forgeries: one wrong value or control transfer, prover checks off ---------------------

struct Forgery {
  const char* what;
  Op op;                                          // first record with this opcode
  std::function<void(wasm::Trace&, size_t)> edit;  // applied at that record
};

TEST(ZkWasm, ForgedTracesAreRejected) {
  auto bump_r = [](wasm::Trace& t, size_t i) { t.steps[i].r ^= 1; };
  auto next_pc = [](wasm::Trace& t, size_t i) { t.steps[i + 1].pc += 1; };
  auto bump_a = [](wasm::Trace& t, size_t i) { t.steps[i].a += 1; };
  // Inconsistent forgeries (the wrong value is not carried on): the memory argument, the
  // program lookup or the control constraints must catch them.
  const std::vector<Forgery> forgeries = {
      {"i32.const value", Op::kI32Const, bump_r},
      {"local.set value", Op::kLocalSet, bump_a},
      {"local.tee value", Op::kLocalTee, bump_a},
      {"global.get value", Op::kGlobalGet, bump_r},
      {"i32.add operand (a)", Op::kI32Add, bump_a},
      {"drop skipped (sp)", Op::kDrop, [](wasm::Trace& t, size_t i) { t.steps[i + 1].sp += 1; }},
      {"br target", Op::kBr, next_pc},
      {"const next pc", Op::kI32Const, next_pc},
  };
  Fixture f = run_function(kKitchenSink, "run", {8, 3});
  for (const Forgery& fg : forgeries) {
    SCOPED_TRACE(fg.what);
    size_t at = SIZE_MAX;
    for (size_t i = 0; i + 1 < f.trace.steps.size(); ++i) {
      if (f.trace.steps[i].op == uint16_t(fg.op)) {
        at = i;
        break;
      }
    }
    ASSERT_NE(at, SIZE_MAX);
    wasm::Trace t = f.trace;
    fg.edit(t, at);
    // Later records that read a forged value: keep the trace self-consistent where the forgery
    // is a stored value, so the memory argument is what must catch it (it is: the reader reads
    // the honest value from the trace).
    ASSERT_FALSE(prove(*f.program, t, opts_for(f)).is_ok()) << "the prover's own check missed it";
    auto b = prove_unchecked(f, t);
    // With its checks off the prover must still produce a proof, so that the verifier is what
    // rejects it.
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    auto v = verify(*f.program, *b);
    EXPECT_FALSE(v.is_ok()) << "forged proof verified";
    std::printf("  forged %-32s -> %s\n", fg.what, v.status().message().c_str());
  }
}

// Forgeries that unbalance a bus (the program lookup, the memory argument), proved by a prover
// that also claims the LogUp sum balancing the buses, its running sum shifted to follow the claim
// (StarkConfig::forge_logup_balance_for_testing): the running sum's wrap-around row must catch it.
TEST(ZkWasm, ForgedTracesWithABalancingLogUpClaimAreRejected) {
  auto bump_r = [](wasm::Trace& t, size_t i) { t.steps[i].r ^= 1; };
  auto bump_a = [](wasm::Trace& t, size_t i) { t.steps[i].a += 1; };
  const std::vector<Forgery> forgeries = {
      {"i32.const value", Op::kI32Const, bump_r},
      {"local.set value", Op::kLocalSet, bump_a},
      {"global.get value", Op::kGlobalGet, bump_r},
  };
  Fixture f = run_function(kKitchenSink, "run", {8, 3});
  ProveOptions o = opts_for(f);
  o.stark.forge_logup_balance_for_testing = true;
  {  // an honest trace: the claim is the true sum, and the proof verifies
    auto b = prove(*f.program, f.trace, o);
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    ASSERT_TRUE(verify(*f.program, *b).is_ok());
  }
  o.check_trace = false;
  o.stark.check_witness = false;
  for (const Forgery& fg : forgeries) {
    SCOPED_TRACE(fg.what);
    size_t at = SIZE_MAX;
    for (size_t i = 0; i + 1 < f.trace.steps.size() && at == SIZE_MAX; ++i) {
      if (f.trace.steps[i].op == uint16_t(fg.op)) at = i;
    }
    ASSERT_NE(at, SIZE_MAX);
    wasm::Trace t = f.trace;
    fg.edit(t, at);
    auto b = prove(*f.program, t, o);
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    auto v = verify(*f.program, *b);
    EXPECT_FALSE(v.is_ok()) << "forged proof verified";
    EXPECT_EQ(v.status().message().find("do not balance"), std::string::npos)
        << v.status().message();
  }
}

// Consistent forgeries: the wrong value flows on (the result is returned and claimed), so the
// memory argument is satisfied and only the opcode's own constraints can catch it.
struct Targeted {
  const char* what;
  std::string body;                 // the function body over params 0..2
  std::vector<uint64_t> args;
  Op op;
  std::function<uint64_t(uint64_t)> forge;  // new value of the op's result
};

TEST(ZkWasm, ConsistentForgeriesAreRejectedByTheOpcodeConstraints) {
  auto flip = [](uint64_t r) { return r ^ 1; };
  auto plus1 = [](uint64_t r) { return uint64_t(uint32_t(r + 1)); };
  auto carry = [](uint64_t r) { return uint64_t(uint32_t(r + 0x10000)); };
  auto wrap = [](uint64_t r) { return r + (1ull << 32); };  // i32 result with upper limbs
  const std::string ab = "(local.get 0) (local.get 1)";
  const std::vector<Targeted> cases = {
      {"i32.const", "(i32.const 41)", {0, 0, 0}, Op::kI32Const, plus1},
      {"i32.add", "(i32.add " + ab + ")", {0xFFFF, 1, 0}, Op::kI32Add, plus1},
      {"i32.add carry", "(i32.add " + ab + ")", {0xFFFF, 1, 0}, Op::kI32Add, carry},
      {"i32.add upper limbs", "(i32.add " + ab + ")", {5, 6, 0}, Op::kI32Add, wrap},
      {"i32.sub", "(i32.sub " + ab + ")", {3, 5, 0}, Op::kI32Sub, plus1},
      {"i32.mul", "(i32.mul " + ab + ")", {0x12345, 0xFFFF, 0}, Op::kI32Mul, plus1},
      {"i32.mul carry", "(i32.mul " + ab + ")", {0xFFFFFFFF, 0xFFFFFFFF, 0}, Op::kI32Mul, carry},
      {"i32.mul upper limbs", "(i32.mul " + ab + ")", {0x10000, 0x10000, 0}, Op::kI32Mul, wrap},
      {"i32.sub borrow", "(i32.sub " + ab + ")", {0x10000, 1, 0}, Op::kI32Sub, carry},
      {"i32.eqz", "(i32.eqz (local.get 0))", {0, 0, 0}, Op::kI32Eqz, flip},
      {"i32.eqz nonzero", "(i32.eqz (local.get 0))", {0x10000, 0, 0}, Op::kI32Eqz, flip},
      {"i32.eq", "(i32.eq " + ab + ")", {7, 7, 0}, Op::kI32Eq, flip},
      {"i32.eq high limb", "(i32.eq " + ab + ")", {0x10007, 7, 0}, Op::kI32Eq, flip},
      {"i32.ne", "(i32.ne " + ab + ")", {7, 8, 0}, Op::kI32Ne, flip},
      {"i32.lt_s", "(i32.lt_s " + ab + ")", {0xFFFFFFFF, 1, 0}, Op::kI32LtS, flip},
      {"i32.lt_u", "(i32.lt_u " + ab + ")", {0xFFFFFFFF, 1, 0}, Op::kI32LtU, flip},
      {"i32.gt_s", "(i32.gt_s " + ab + ")", {1, 0x80000000, 0}, Op::kI32GtS, flip},
      {"i32.gt_u", "(i32.gt_u " + ab + ")", {1, 0x80000000, 0}, Op::kI32GtU, flip},
      {"i32.le_s", "(i32.le_s " + ab + ")", {5, 5, 0}, Op::kI32LeS, flip},
      {"i32.le_u", "(i32.le_u " + ab + ")", {6, 5, 0}, Op::kI32LeU, flip},
      {"i32.ge_s", "(i32.ge_s " + ab + ")", {0x80000000, 0x7FFFFFFF, 0}, Op::kI32GeS, flip},
      {"i32.ge_u", "(i32.ge_u " + ab + ")", {0x80000000, 0x7FFFFFFF, 0}, Op::kI32GeU, flip},
      {"select (nonzero: first)", "(select " + ab + " (local.get 2))", {1, 2, 3}, Op::kSelect,
       [](uint64_t) { return uint64_t(2); }},
      {"select (zero: second)", "(select " + ab + " (local.get 2))", {1, 2, 0}, Op::kSelect,
       [](uint64_t) { return uint64_t(1); }},
      {"select (high-limb condition)", "(select " + ab + " (local.get 2))", {1, 2, 0x10000},
       Op::kSelect, [](uint64_t) { return uint64_t(2); }},
      {"i32.and", "(i32.and " + ab + ")", {0xF0F0, 0xFF00, 0}, Op::kI32And, plus1},
      {"i32.or", "(i32.or " + ab + ")", {0xF0F0, 0xFF00, 0}, Op::kI32Or, plus1},
      {"i32.xor", "(i32.xor " + ab + ")", {0xF0F0F0F0, 0xFF00FF00, 0}, Op::kI32Xor, carry},
      {"i32.wrap_i64 (via i64 add)", "(i32.wrap_i64 (i64.extend_i32_u (local.get 0)))", {5, 0, 0},
       Op::kI32WrapI64, plus1},
      {"i32.extend16_s", "(i32.extend16_s (local.get 0))", {0x8001, 0, 0}, Op::kI32Extend16S,
       [](uint64_t r) { return r & 0xFFFF; }},
      {"i64.add", "(i64.add " + ab + ")", {0xFFFFFFFF, 1, 0}, Op::kI64Add,
       [](uint64_t r) { return r + (1ull << 32); }},
      {"i64.add top carry", "(i64.add " + ab + ")", {~0ull, 2, 0}, Op::kI64Add,
       [](uint64_t r) { return r ^ (1ull << 48); }},
      {"i64.sub", "(i64.sub " + ab + ")", {1, 2, 0}, Op::kI64Sub, [](uint64_t r) { return r - 1; }},
      {"i64.eqz", "(i64.eqz (local.get 0))", {1ull << 48, 0, 0}, Op::kI64Eqz, flip},
      {"i64.eq", "(i64.eq " + ab + ")", {1ull << 40, 0, 0}, Op::kI64Eq, flip},
      {"i64.ne", "(i64.ne " + ab + ")", {5, 5, 0}, Op::kI64Ne, flip},
      {"i64.lt_s", "(i64.lt_s " + ab + ")", {~0ull, 1, 0}, Op::kI64LtS, flip},
      {"i64.lt_u", "(i64.lt_u " + ab + ")", {~0ull, 1, 0}, Op::kI64LtU, flip},
      {"i64.gt_s", "(i64.gt_s " + ab + ")", {1ull << 32, 1, 0}, Op::kI64GtS, flip},
      {"i64.gt_u", "(i64.gt_u " + ab + ")", {1, 1ull << 63, 0}, Op::kI64GtU, flip},
      {"i64.le_s", "(i64.le_s " + ab + ")", {1ull << 63, 0, 0}, Op::kI64LeS, flip},
      {"i64.le_u", "(i64.le_u " + ab + ")", {1ull << 63, 0, 0}, Op::kI64LeU, flip},
      {"i64.ge_s", "(i64.ge_s " + ab + ")", {3, 3, 0}, Op::kI64GeS, flip},
      {"i64.ge_u", "(i64.ge_u " + ab + ")", {2, 3, 0}, Op::kI64GeU, flip},
      {"i64.and", "(i64.and " + ab + ")", {~0ull, 1ull << 60, 0}, Op::kI64And,
       [](uint64_t r) { return r ^ (1ull << 59); }},
      {"i64.or", "(i64.or " + ab + ")", {1, 2, 0}, Op::kI64Or, [](uint64_t r) { return r + 1; }},
      {"i64.xor", "(i64.xor " + ab + ")", {3, 3, 0}, Op::kI64Xor,
       [](uint64_t r) { return r + (1ull << 56); }},
      {"i64.extend_i32_s", "(i64.extend_i32_s (i32.wrap_i64 (local.get 0)))", {0x80000000, 0, 0},
       Op::kI64ExtendI32S, [](uint64_t r) { return r & 0xFFFFFFFF; }},
      {"i64.extend_i32_u", "(i64.extend_i32_u (i32.wrap_i64 (local.get 0)))", {0x80000000, 0, 0},
       Op::kI64ExtendI32U, [](uint64_t r) { return r | (0xFFFFFFFFull << 32); }},
      {"i64.extend16_s", "(i64.extend16_s (local.get 0))", {0x1234FFFF, 0, 0}, Op::kI64Extend16S,
       [](uint64_t r) { return r & 0xFFFFFFFF; }},
      {"i64.extend32_s", "(i64.extend32_s (local.get 0))", {0x80000000, 0, 0}, Op::kI64Extend32S,
       [](uint64_t r) { return r & 0xFFFFFFFF; }},
      {"i32.extend8_s", "(i32.extend8_s (local.get 0))", {0x80, 0, 0}, Op::kI32Extend8S,
       [](uint64_t r) { return r & 0xFF; }},
      {"i32.extend8_s (high bits)", "(i32.extend8_s (local.get 0))", {0x1234, 0, 0},
       Op::kI32Extend8S, [](uint64_t r) { return uint64_t(0x1234); }},
      {"i64.extend8_s", "(i64.extend8_s (local.get 0))", {0x7F, 0, 0}, Op::kI64Extend8S,
       [](uint64_t r) { return r + 0x100; }},
  };
  // All cases are functions of one module, so its key is computed once.
  auto is_wide = [](Op op) { return std::string(wasm::op_info(op).name).rfind("i64", 0) == 0; };
  auto wide_result = [&](Op op) { return is_wide(op) && !(op >= Op::kI64Eqz && op <= Op::kI64GeU); };
  std::string text = "(module";
  for (size_t k = 0; k < cases.size(); ++k) {
    const Targeted& c = cases[k];
    text += std::string("\n(func (export \"f") + std::to_string(k) + "\") (param " +
            (is_wide(c.op) ? "i64 i64 i64" : "i32 i32 i32") + ") (result " +
            (wide_result(c.op) ? "i64" : "i32") + ") " + c.body + ")";
  }
  text += ")";
  const auto bytes = wat(text);
  auto program = Program::load(bytes);
  ASSERT_TRUE(program.is_ok()) << program.status().to_string();
  for (size_t k = 0; k < cases.size(); ++k) {
    const Targeted& c = cases[k];
    SCOPED_TRACE(c.what);
    Fixture f;
    f.program = *program;
    f.trace = run_traced(bytes, "f" + std::to_string(k), c.args);
    f.args = c.args;
    const bool wide = wide_result(c.op);
    wasm::Trace t = f.trace;
    size_t at = SIZE_MAX;
    for (size_t i = 0; i < t.steps.size(); ++i)
      if (t.steps[i].op == uint16_t(c.op)) at = i;
    ASSERT_NE(at, SIZE_MAX);
    const uint64_t forged = c.forge(t.steps[at].r);
    ASSERT_NE(forged, t.steps[at].r);
    t.steps[at].r = forged;
    // The return moves the forged value on; the claim is the forged output (for the upper-limb
    // forgery the claim keeps the i32 value, which the return's read then contradicts).
    if (wide || uint32_t(forged) == forged) t.end.results[0] = forged;
    auto b = prove_unchecked(f, t);
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    auto v = verify(*f.program, *b);
    EXPECT_FALSE(v.is_ok()) << "forged proof verified";
    std::printf("  forged %-30s -> %s\n", c.what, v.status().message().c_str());
  }
}

// A wrong control transfer with a consistent trace: the path of one input claimed for another.
TEST(ZkWasm, ForgedBranchDirectionIsRejected) {
  const char* text = R"((module (func (export "f") (param i32) (result i32)
      (block $b (result i32)
        (br_if $b (i32.const 10) (local.get 0))
        (drop)
        (i32.const 20)))))";
  {
    // br_table: the path of index 1 claimed for index 2 (and for the default).
    for (uint64_t claim : {uint64_t(2), uint64_t(7)}) {
      Fixture f = run_function(kSwitch, "sw", {1});
      wasm::Trace t = f.trace;
      for (auto& s : t.steps) {
        if (s.op == uint16_t(Op::kLocalGet)) s.r = claim;
        if (s.op == uint16_t(Op::kBrTable)) s.a = claim;
      }
      f.args = {claim};
      auto b = prove_unchecked(f, t);
      ASSERT_TRUE(b.is_ok()) << b.status().to_string();
      auto v = verify(*f.program, *b);
      EXPECT_FALSE(v.is_ok()) << "forged br_table verified";
      std::printf("  forged br_table index %llu -> %s\n", (unsigned long long)claim,
                  v.status().message().c_str());
    }
  }
  for (Op op : {Op::kBrIf, Op::kBrUnless}) {
    const std::string src =
        op == Op::kBrIf ? std::string(text)
                        : std::string(R"((module (func (export "f") (param i32) (result i32)
      (if (result i32) (local.get 0) (then (i32.const 10)) (else (i32.const 20))))))");
    Fixture f = run_function(src.c_str(), "f", {1});
    ASSERT_EQ(f.trace.end.results[0], 10u);
    wasm::Trace t = f.trace;
    // Claim input 0 while keeping the path taken for 1: the condition reads 0.
    for (auto& s : t.steps) {
      if (s.op == uint16_t(Op::kLocalGet)) s.r = 0;
      if (s.op == uint16_t(op)) s.a = 0;
    }
    f.args = {0};
    auto b = prove_unchecked(f, t);
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    auto v = verify(*f.program, *b);
    EXPECT_FALSE(v.is_ok()) << "forged branch verified";
    std::printf("  forged %s direction -> %s\n", wasm::op_info(op).name.data(), v.status().message().c_str());
    // The honest claim for input 0 proves.
    Fixture g = run_function(src.c_str(), "f", {0});
    EXPECT_EQ(g.trace.end.results[0], 20u);
    auto ok = prove(*g.program, g.trace, opts_for(g));
    ASSERT_TRUE(ok.is_ok()) << ok.status().to_string();
    EXPECT_TRUE(verify(*g.program, *ok).is_ok());
  }
}

TEST(ZkWasm, StaleLocalsAreZeroedAtCalls) {
  Fixture f = run_function(kStale, "main", {});
  ASSERT_EQ(f.trace.end.results[0], 0u);
  // Claim the fresh local read the 7 that $leave left in the same slot.
  wasm::Trace t = f.trace;
  bool forged = false;
  for (auto& st : t.steps) {
    if (st.op == uint16_t(Op::kLocalGet)) st.r = 7, forged = true;
  }
  ASSERT_TRUE(forged);
  t.end.results[0] = 7;
  ASSERT_FALSE(prove(*f.program, t, opts_for(f)).is_ok());
  auto b = prove_unchecked(f, t);
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  auto v = verify(*f.program, *b);
  EXPECT_FALSE(v.is_ok()) << "a stale local verified";
  std::printf("  forged stale local -> %s\n", v.status().message().c_str());
  // call_indirect: the path through slot 0 ($add) claimed for slot 1 ($sub).
  {
    Fixture h = run_function(kIndirect, "f", {0, 9});
    wasm::Trace w = h.trace;
    for (auto& st : w.steps) {
      if (st.op == uint16_t(Op::kLocalGet) && st.r == 0 && st.depth == 0) st.r = 1;
      if (st.op == uint16_t(Op::kCallIndirect)) st.a = 1;
    }
    h.args = {1, 9};
    ASSERT_FALSE(prove(*h.program, w, opts_for(h)).is_ok());
    auto d = prove_unchecked(h, w);
    ASSERT_TRUE(d.is_ok()) << d.status().to_string();
    auto vd = verify(*h.program, *d);
    EXPECT_FALSE(vd.is_ok()) << "a call through the wrong table slot verified";
    std::printf("  forged call_indirect slot -> %s\n", vd.status().message().c_str());
  }
  // A return to the wrong place: the caller's next record moved by one.
  Fixture g = run_function(kCalls, "main", {3});
  wasm::Trace u = g.trace;
  for (size_t i = 0; i + 1 < u.steps.size(); ++i) {
    if (u.steps[i].op == uint16_t(Op::kReturn) && u.steps[i].depth > 0) {
      u.steps[i + 1].pc += 1;
      break;
    }
  }
  auto c = prove_unchecked(g, u);
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_FALSE(verify(*g.program, *c).is_ok());
}

// A memory table that lists a key twice (walking up through four junk rows whose keys wrap
// around p) would give an address two initial values; the key bound (< 2^30) rejects it.
TEST(ZkWasm, MemoryTableKeysCannotWrapAround) {
  namespace L = layout;
  using M = L::Mem;
  Fixture f = run_function(kSum, "sum", {2});
  auto u = test_support::witness_under_test(f);
  ASSERT_TRUE(u);
  ASSERT_TRUE(u->prove_and_verify(u->witness).is_ok());  // the harness itself is sound
  MachineWitness* w = &u->witness;

  std::vector<Fp>& mem = w->main[L::kMemory];
  size_t rows = mem.size() / M::kWidth, real = 0;
  while (real < rows && mem[M::kReal * rows + real] == Fp::one()) ++real;
  std::vector<Fp>& range = w->main[L::kRange];
  const size_t rrows = size_t(1) << L::Range::kLogRows;
  auto add_range = [&](uint64_t v, int64_t delta) {
    if (v < rrows) range[L::Range::kRangeMult * rrows + v] += delta > 0 ? Fp::one() : -Fp::one();
  };
  if (real + 4 > rows) {  // grow the table (new padding rows range-check zeros)
    std::vector<Fp> grown(size_t(M::kWidth) * 2 * rows, Fp::zero());
    for (uint32_t c = 0; c < M::kWidth; ++c)
      for (size_t r = 0; r < rows; ++r) grown[c * 2 * rows + r] = mem[c * rows + r];
    for (size_t r = 0; r < rows * 6; ++r) add_range(0, 1);
    mem = std::move(grown);
    rows *= 2;
  }
  const uint64_t p = Fp::kP;
  const uint64_t k0 = mem[M::kKey * rows].to_canonical();
  const uint64_t km = mem[M::kKey * rows + real - 1].to_canonical();
  const uint64_t total = p + k0 - km;  // four steps from km back to k0 (mod p)
  uint64_t key = km;
  for (int i = 0; i < 4; ++i) {
    const uint64_t step = i < 3 ? total / 4 : total - 3 * (total / 4);
    key = (key + step) % p;
    const uint64_t gap = step - 1, row = real + size_t(i);
    ASSERT_LT(gap, uint64_t(1) << 29);
    for (int z = 0; z < 6; ++z) add_range(0, -1);
    mem[M::kReal * rows + row] = Fp::one();
    mem[M::kKey * rows + row] = Fp::from_u64(key);
    mem[M::kDlo * rows + row] = Fp::from_u64(gap & 0xFFFF);
    mem[M::kDhi * rows + row] = Fp::from_u64(gap >> 16);
    mem[M::kKeyLo * rows + row] = Fp::from_u64(key & 0xFFFF);
    mem[M::kKeyHi * rows + row] = Fp::from_u64(key >> 16);
    add_range(gap & 0xFFFF, 1);
    add_range(gap >> 16, 1);
    add_range((gap >> 16) * 8, 1);
    add_range(key & 0xFFFF, 1);
    add_range(key >> 16, 1);
    add_range((key >> 16) * 4, 1);
  }
  ASSERT_EQ(key, k0);  // the last junk row repeats the first key
  const Status v = u->prove_and_verify(*w);
  EXPECT_FALSE(v.is_ok()) << "a repeated memory key verified";
  std::printf("  repeated key -> %s\n", v.message().c_str());
}

// Access order: three reads of local 0 (timestamps T1 < T2 < T3, the argument written at 1).
// The forged witness lets the first read take its value from the second (prev_ts = T2 > T1)
// and the third from the argument's write (prev_ts = 1): every memory tuple is still sent and
// received once, so only the gap check (T1 - prev_ts - 1 = dlo + 2^16 dhi, dhi a byte) can
// refute it. The same re-encoding with honest timestamps verifies (the harness is sound).
TEST(ZkWasm, AccessGapsRejectReadsFromTheFuture) {
  namespace L = layout;
  using E = L::Exec;
  using R = L::Range;
  const char* text = R"((module (func (export "f") (param i32) (result i32)
      (i32.add (i32.add (local.get 0) (local.get 0)) (local.get 0)))))";
  Fixture f = run_function(text, "f", {5});
  ASSERT_EQ(f.trace.end.results, std::vector<uint64_t>{15});
  auto u = test_support::witness_under_test(f);
  ASSERT_TRUE(u);
  const MachineWitness* built = &u->witness;
  // Reads of key 0 (local 0) in slot 0, in row order (enabled: a previous timestamp >= 1).
  auto rows_of = [](const MachineWitness& w) { return w.main[L::kExec].size() / E::kWidth; };
  std::vector<size_t> reads;
  {
    const std::vector<Fp>& ex = built->main[L::kExec];
    const size_t n = rows_of(*built);
    for (size_t r = 0; r < n; ++r)
      if (ex[E::kPts * n + r] != Fp::zero() && ex[E::kKey * n + r] == Fp::zero() &&
          ex[E::kReal * n + r] == Fp::one())
        reads.push_back(r);
  }
  ASSERT_EQ(reads.size(), 3u);
  // Sets prev_ts of slot 0 at `row`, re-encoding its gap and the range and byte-pair lookups.
  auto set_pts = [&](MachineWitness& w, size_t row, uint64_t pts) {
    std::vector<Fp>& ex = w.main[L::kExec];
    std::vector<Fp>& range = w.main[L::kRange];
    const size_t n = rows_of(w), rr = size_t(1) << R::kLogRows;
    auto bump = [&](uint32_t col, uint64_t v, bool add) {
      if (v >= rr) return false;
      range[col * rr + v] += add ? Fp::one() : -Fp::one();
      return true;
    };
    auto pair = [&] {
      return ex[(E::kDhi + 0) * n + row].to_canonical() * 256 + ex[(E::kDhi + 1) * n + row].to_canonical();
    };
    const uint64_t h1 = ex[(E::kDhi + 1) * n + row].to_canonical();
    ASSERT_LT(h1, 256u);
    bump(R::kRangeMult, ex[E::kDlo * n + row].to_canonical(), false);
    bump(R::kByteMult, pair(), false);
    const Fp gap = Fp::from_u64(4 * (row + 1)) - Fp::from_u64(pts) - Fp::one();
    const uint64_t g = gap.to_canonical();
    ex[E::kPts * n + row] = Fp::from_u64(pts);
    ex[E::kDlo * n + row] = Fp::from_u64(g & 0xFFFF);
    ex[E::kDhi * n + row] = Fp::from_u64(g >> 16);
    bump(R::kRangeMult, g & 0xFFFF, true);
    if ((g >> 16) < 256) bump(R::kByteMult, pair(), true);  // else: no such row to receive it
  };
  const uint64_t t1 = 4 * (reads[0] + 1), t2 = 4 * (reads[1] + 1);
  {
    MachineWitness w = *built;  // honest timestamps through the same re-encoding
    set_pts(w, reads[0], L::kInitTs);
    set_pts(w, reads[2], t2);
    ASSERT_TRUE(u->prove_and_verify(w, /*check_witness=*/true).is_ok());
  }
  MachineWitness w = *built;
  set_pts(w, reads[0], t2);          // T1 reads what T2 sent
  set_pts(w, reads[2], L::kInitTs);  // T3 reads the argument's write
  ASSERT_GT(t2, t1);
  const Status v = u->prove_and_verify(w);
  EXPECT_FALSE(v.is_ok()) << "a read from the future verified";
  std::printf("  read from the future -> %s\n", v.message().c_str());
}

// br_table and call_indirect share one lookup (layout.hpp, kBusSlots); a br_table row's pc enters
// it through the callee column, which `callee = pc` binds. Forged run: the first br_table jumps
// where the second one's index 0 goes (skipping the second). As built, its (pc, 0) lookup finds
// no br_targets row; with the callee column set to the second br_table's pc (and that row's
// multiplicity moved), every bus balances and only the callee = pc constraint refutes it.
TEST(ZkWasm, BrTableLookupIsBoundToItsPc) {
  namespace L = layout;
  using E = L::Exec;
  const char* text = R"((module (func (export "f") (param i32) (result i32)
      (block $a (block $b (br_table $a $b (local.get 0))) (return (i32.const 10)))
      (block $c (block $d (br_table $d $c (local.get 0))) (return (i32.const 20)))
      (i32.const 30))))";
  Fixture f = run_function(text, "f", {0});
  ASSERT_EQ(f.trace.end.results, std::vector<uint64_t>{20});
  std::vector<size_t> brt;
  for (size_t i = 0; i < f.trace.steps.size(); ++i)
    if (f.trace.steps[i].op == uint16_t(Op::kBrTable)) brt.push_back(i);
  ASSERT_EQ(brt.size(), 2u);
  ASSERT_EQ(brt[1], brt[0] + 2);  // local.get, br_table
  const uint32_t pc2 = f.trace.steps[brt[1]].pc;
  wasm::Trace t = f.trace;
  t.steps.erase(t.steps.begin() + long(brt[0] + 1), t.steps.begin() + long(brt[1] + 1));
  t.end.instructions -= 2;
  t.end.records = t.steps.size();
  PublicValues pv;
  WitnessOptions wo;
  wo.check_trace = false;
  wo.args = f.args;
  auto w = build_witness(*f.program, t, wo, pv);
  ASSERT_TRUE(w.is_ok()) << w.status().to_string();
  auto pk = f.program->proving_key(fri_test_preset());
  ASSERT_TRUE(pk.is_ok());
  auto run = [&](const MachineWitness& mw, bool check) {
    return test_support::prove_and_verify(*f.program, **pk, mw, pv, check);
  };
  const Status built_check = run(*w, true);
  EXPECT_NE(built_check.message().find("do not balance"), std::string::npos) << built_check.message();
  EXPECT_FALSE(run(*w, false).is_ok()) << "a br_table with another one's target verified";
  // The callee column says the second br_table's pc; its br_targets row (program order: the
  // first br_table's two rows, then the second's) receives the lookup instead.
  std::vector<Fp>& ex = w->main[L::kExec];
  const size_t n = ex.size() / E::kWidth, row = brt[0];
  ASSERT_EQ(ex[E::kCallee * n + row], Fp::from_u32(f.trace.steps[brt[0]].pc));
  ex[E::kCallee * n + row] = Fp::from_u32(pc2);
  std::vector<Fp>& bm = w->main[L::kBrTargets];
  ASSERT_EQ(bm[L::BrTargets::kMult * (bm.size() / L::BrTargets::kWidth) + 0], Fp::one());
  bm[0] = bm[0] - Fp::one();
  bm[2] = bm[2] + Fp::one();
  const Status checked = run(*w, true);
  EXPECT_NE(checked.message().find("violates constraint"), std::string::npos) << checked.message();
  EXPECT_NE(checked.message().find("exec at row " + std::to_string(row)), std::string::npos)
      << checked.message();
  std::printf("  prover's check: %s\n", checked.message().c_str());
  const Status v = run(*w, false);
  EXPECT_FALSE(v.is_ok()) << "a br_table looking up another br_table's targets verified";
  std::printf("  verifier: %s\n", v.message().c_str());
}

// The i64 comparisons share the i32 flags (layout::kWideOps) and differ by the `wide` bit. A
// witness that proves an i64.lt_u row as the i32 comparison of its low halves (wide cleared,
// every exec constraint holding) must fail: the bit is part of the opcode the program pins.
TEST(ZkWasm, WideBitIsBoundToTheOpcode) {
  namespace L = layout;
  using E = L::Exec;
  const char* text = R"((module (func (export "f") (param i64 i64) (result i32)
      (i64.lt_u (local.get 0) (local.get 1)))))";
  Fixture f = run_function(text, "f", {1ull << 32, 1});
  ASSERT_EQ(f.trace.end.results, std::vector<uint64_t>{0});
  // i32.lt_u(0, 1) of the low halves.
  test_support::ForgedWitness fw = test_support::forge_result(*f.program, f.trace, Op::kI64LtU, 1, f.args);
  ASSERT_NE(fw.step, SIZE_MAX);
  MachineWitness* w = &fw.witness;
  const size_t at = fw.step;
  auto pk = f.program->proving_key(fri_test_preset());
  ASSERT_TRUE(pk.is_ok());
  auto prove_and_verify = [&](const MachineWitness& mw, bool check) {
    return test_support::prove_and_verify(*f.program, **pk, mw, fw.publics, check);
  };
  // As built (wide set) the i64 chain refutes the forged result.
  EXPECT_FALSE(prove_and_verify(*w, false).is_ok());
  std::vector<Fp>& ex = w->main[L::kExec];
  const size_t rows = ex.size() / E::kWidth;
  ASSERT_EQ(ex[E::kWide * rows + at], Fp::one());
  ex[E::kWide * rows + at] = Fp::zero();
  const Status checked = prove_and_verify(*w, true);
  EXPECT_FALSE(checked.is_ok()) << "the prover's witness check accepted it";
  std::printf("  prover's check: %s\n", checked.message().c_str());
  const Status v = prove_and_verify(*w, false);
  EXPECT_FALSE(v.is_ok()) << "an i64 comparison proved as an i32 one verified";
  std::printf("  verifier: %s\n", v.message().c_str());
}

// The eight comparisons share one flag, and so do the ops of each kOpGroups entry; bits or
// selectors say which op it is (layout.hpp). Witnesses edited below the trace, every other
// constraint holding: le_u(6, 5) claimed 1 through a forged equality bit; lt_u(5, 3) claimed 1
// by proving it as gt_u (bits and opcode offset of gt_u, which the program does not hold at
// that pc); i32.add(5, 3) claimed 2 by proving it as i32.sub (selector and offset).
TEST(ZkWasm, SharedFlagBitsAreBound) {
  namespace L = layout;
  using E = L::Exec;
  struct Case {
    const char* what;
    const char* op;
    Op code;
    std::vector<uint64_t> args;
    std::vector<std::pair<uint32_t, uint32_t>> edits;  // (column, value) on the row
    uint64_t forged = 1;
  };
  const std::vector<Case> cases = {
      {"le_u(6, 5) = 1 by the equality bit", "i32.le_u", Op::kI32LeU, {6, 5},
       {{E::kCmpEq, 1}, {E::kCmpH, 1}, {E::kCmpInv, 0}}},
      {"lt_u(5, 3) = 1 proved as gt_u", "i64.lt_u", Op::kI64LtU, {5, 3},
       {{E::kCmpP, 1}, {E::kCmpQ, 1}, {E::kOpX, 3}}},
      {"i32.add(5, 3) = 2 proved as i32.sub", "i32.add", Op::kI32Add, {5, 3},
       {{E::kGroupSel, 0}, {E::kGroupSel + 1, 1}, {E::kOpX, uint32_t(Op::kI32Sub) - uint32_t(Op::kI32Add)}},
       2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string ty = std::string(c.op).substr(0, 3);
    const std::string text = "(module (func (export \"f\") (param " + ty + " " + ty +
                             ") (result i32) (" + c.op + " (local.get 0) (local.get 1))))";
    Fixture f = run_function(text.c_str(), "f", c.args);
    ASSERT_NE(f.trace.end.results, std::vector<uint64_t>{c.forged});
    test_support::ForgedWitness fw =
        test_support::forge_result(*f.program, f.trace, c.code, c.forged, f.args);
    ASSERT_NE(fw.step, SIZE_MAX);
    std::vector<Fp>& ex = fw.witness.main[L::kExec];
    const size_t rows = ex.size() / E::kWidth;
    for (const auto& [col, v] : c.edits) ex[col * rows + fw.step] = Fp::from_u32(v);
    auto pk = f.program->proving_key(fri_test_preset());
    ASSERT_TRUE(pk.is_ok());
    EXPECT_FALSE(test_support::prove_and_verify(*f.program, **pk, fw.witness, fw.publics, true).is_ok())
        << "the prover's witness check accepted it";
    const Status v = test_support::prove_and_verify(*f.program, **pk, fw.witness, fw.publics, false);
    EXPECT_FALSE(v.is_ok()) << "a forged comparison verified";
    std::printf("  %s -> %s\n", c.what, v.message().c_str());
  }
}

TEST(ZkWasm, ForgedResultAndGasAreRejected) {
  Fixture f = run_function(kSum, "sum", {6});
  // Claimed output differs: the prover puts it in the public inputs.
  wasm::Trace t = f.trace;
  t.end.results[0] = 22;
  auto b = prove_unchecked(f, t);
  if (b.is_ok()) {
    EXPECT_FALSE(verify(*f.program, *b).is_ok());
  }
  // An honest proof with an edited claim.
  auto good = prove(*f.program, f.trace, opts_for(f));
  ASSERT_TRUE(good.is_ok()) << good.status().to_string();
  ASSERT_TRUE(verify(*f.program, *good).is_ok());
  {
    Bundle x = *good;
    x.publics.results[0] += 1;
    EXPECT_FALSE(verify(*f.program, x).is_ok());
  }
  {
    Bundle x = *good;
    x.publics.args[0] = 7;  // a different input
    EXPECT_FALSE(verify(*f.program, x).is_ok());
  }
  {
    Bundle x = *good;
    x.publics.gas_used -= 1;
    EXPECT_FALSE(verify(*f.program, x).is_ok());
  }
  {
    Bundle x = *good;
    x.publics.instructions -= 1;
    EXPECT_FALSE(verify(*f.program, x).is_ok());
  }
  // The same proof against another module (same code, different constant).
  auto other = Program::load(wat(R"((module
  (func (export "sum") (param $n i32) (result i32) (local $s i32)
    (block $d (loop $l
      (br_if $d (i32.eqz (local.get $n)))
      (local.set $s (i32.add (local.get $s) (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 2)))
      (br $l)))
    (local.get $s))))"));
  ASSERT_TRUE(other.is_ok());
  EXPECT_FALSE(verify(**other, *good).is_ok());
  {
    // Even when the claim names the other module's hash, its program commitment differs.
    Bundle x = *good;
    x.publics.module_hash = (*other)->module_hash();
    auto r = verify(**other, x);
    EXPECT_FALSE(r.is_ok());
  }
}

TEST(ZkWasm, BundleParserRejectsMalformedInput) {
  Fixture f = run_function(kSum, "sum", {3});
  auto b = prove(*f.program, f.trace, opts_for(f));
  ASSERT_TRUE(b.is_ok());
  const auto bytes = serialize_bundle(*b);
  EXPECT_TRUE(deserialize_bundle(bytes).is_ok());
  auto cut = std::vector<uint8_t>(bytes.begin(), bytes.end() - 1);
  EXPECT_FALSE(deserialize_bundle(cut).is_ok());
  auto extra = bytes;
  extra.push_back(0);
  auto r = deserialize_bundle(extra);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("trailing bytes: 1 after"), std::string::npos)
      << r.status().message();
  auto v7 = bytes;  // the previous format (no exit cursors): refused by its version
  v7[8] = 7;
  r = deserialize_bundle(v7);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("bundle version 7 is not supported"), std::string::npos)
      << r.status().message();
  auto magic = bytes;
  magic[0] ^= 1;
  r = deserialize_bundle(magic);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("magic"), std::string::npos) << r.status().message();
  auto segs = bytes;
  segs[12] = 0;
  r = deserialize_bundle(segs);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("segment count"), std::string::npos) << r.status().message();
  // Random single-byte corruption never crashes and never verifies as the original claim
  // with a changed proof.
  Rng rng(test_seed("ZkWasmBundleCorruption"));
  for (int k = 0; k < 20; ++k) {
    auto c = bytes;
    c[rng.uniform(c.size())] ^= uint8_t(1 + rng.uniform(255));
    auto p = deserialize_bundle(c);
    if (p.is_ok()) {
      EXPECT_FALSE(verify(*f.program, *p).is_ok());
    }
  }
}

// Bundle fuzzing (zkwasm_bundle_fuzz) found that a proof claiming other FRI parameters made the
// verifier commit the fixed columns again (an LDE and Merkle tree per parameter set, each set
// cached for good). The commitment depends on the blowup and the Merkle hash alone: varying the
// queries, PoW, arity or final degree costs nothing more, and each (blowup, hash) is committed
// once.
TEST(ZkWasm, VerifierCommitsTheFixedColumnsOncePerBlowup) {
  Fixture f = run_function(kSum, "sum", {3});
  auto b = prove(*f.program, f.trace, opts_for(f));
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  auto verifier = Program::load(wat(kSum));  // no proving keys to take the commitment from
  ASSERT_TRUE(verifier.is_ok());
  const Program& v = **verifier;
  ASSERT_TRUE(verify(v, *b).is_ok());
  EXPECT_EQ(v.key_commitments(), 1u);
  for (uint32_t k = 0; k < 12; ++k) {
    Bundle t = *b;
    FriParams& p = t.segments[0].proof.params;
    p.num_queries += 1 + k;
    p.pow_bits = k % 5;
    p.log_arity = 1 + k % 3;
    p.log_final_poly_len = k % 2;
    EXPECT_FALSE(verify(v, t).is_ok());
  }
  EXPECT_EQ(v.key_commitments(), 1u);
  for (uint32_t k = 0; k < 3; ++k) {  // another blowup: one more commitment
    Bundle t = *b;
    t.segments[0].proof.params.log_blowup = 1;
    t.segments[0].proof.params.num_queries += k;
    EXPECT_FALSE(verify(v, t).is_ok());
  }
  EXPECT_EQ(v.key_commitments(), 2u);
  for (uint32_t k = 0; k < 3; ++k) {  // another Merkle hash: one more commitment
    Bundle t = *b;
    FriParams& p = t.segments[0].proof.params;
    p.merkle_hash = p.merkle_hash == MerkleHash::kBlake3 ? MerkleHash::kPoseidon2
                                                         : MerkleHash::kBlake3;
    p.num_queries += k;
    EXPECT_FALSE(verify(v, t).is_ok());
  }
  EXPECT_EQ(v.key_commitments(), 3u);
  // A key built on a reused commitment names the parameters asked for and equals a fresh one.
  FriParams other = b->segments[0].proof.params;
  other.num_queries += 5;
  auto reused = v.verifying_key(other);
  ASSERT_TRUE(reused.is_ok());
  EXPECT_EQ((*reused)->params, other);
  auto fresh = (*Program::load(wat(kSum)))->verifying_key(other);
  ASSERT_TRUE(fresh.is_ok());
  EXPECT_EQ((*reused)->pre_root, (*fresh)->pre_root);
  EXPECT_EQ((*reused)->pre_log_heights, (*fresh)->pre_log_heights);
}

// The OpenCL pipeline (device LDEs, the quotient kernel generated from the universal AIR's
// constraint DAG, device DEEP and FRI) gives the scalar bundle byte for byte, under either
// Merkle hash.
TEST(ZkWasm, OpenClBundleIsIdenticalToScalar) {
  if (!resolve_backend(Backend::kOpenCl)) GTEST_SKIP() << "no OpenCL device here";
  Fixture f = run_function(kSum, "sum", {10});
  for (MerkleHash h : {MerkleHash::kPoseidon2, MerkleHash::kBlake3}) {
    ProveOptions so = opts_for(f, Backend::kScalar), co = opts_for(f, Backend::kOpenCl);
    so.params.merkle_hash = co.params.merkle_hash = h;
    auto scalar = prove(*f.program, f.trace, so);
    ASSERT_TRUE(scalar.is_ok()) << scalar.status().to_string();
    auto device = prove(*f.program, f.trace, co);
    ASSERT_TRUE(device.is_ok()) << merkle_hash_name(h) << ": " << device.status().to_string();
    EXPECT_EQ(serialize_bundle(*device), serialize_bundle(*scalar)) << merkle_hash_name(h);
    EXPECT_TRUE(verify(*f.program, *device).is_ok());
  }
}

}  // namespace
}  // namespace efaas::zkwasm
