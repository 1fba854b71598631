// zkWASM ALU chip tests: shifts, rotates, bit counts, i64.mul, div/rem and traps. Completeness
// on edge and random operands against the runtime (the oracle: the proof's public result must
// be the runtime's), the spec tests' integer functions, and forgeries (one wrong result or a
// wrong trap claim, prover checks off) that the verifier must reject.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "prover/common/rng.hpp"
#include "prover/fri/fri_params.hpp"
#include "prover/wasm/instance.hpp"
#include "prover/zkwasm/air_internal.hpp"
#include "prover/zkwasm/alu_chip.hpp"
#include "prover/zkwasm/layout.hpp"
#include "prover/zkwasm/spec_testing.hpp"
#include "prover/zkwasm/test_support.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::zkwasm {
namespace {

namespace fs = std::filesystem;
using wasm::Op;

using test_support::run_traced;
using test_support::wat;

uint32_t export_index(const std::vector<uint8_t>& bytes, const std::string& name) {
  auto m = wasm::load_module(bytes);
  EXPECT_TRUE(m.is_ok());
  const wasm::Export* ex = (*m)->find_export(name);
  EXPECT_NE(ex, nullptr) << name;
  return ex ? ex->index : 0;
}

ProveOptions opts(const std::vector<uint64_t>& args) {
  ProveOptions o;
  o.params = fri_test_preset();
  o.args = args;
  return o;
}

Result<Bundle> prove_unchecked(const Program& p, const wasm::Trace& t,
                               const std::vector<uint64_t>& args) {
  ProveOptions o = opts(args);
  o.check_trace = false;
  o.stark.check_witness = false;
  return prove(p, t, o);
}

using test_support::for_each_forged_result;
using test_support::one_function_per_op;
using test_support::ops_of;

std::string hex64(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%016llx", (unsigned long long)v);
  return buf;
}

// Every chip operation on (a, b), i32 ones on the low halves; division guarded against its
// traps (tested separately), rem_s of MIN by -1 unguarded (it is 0, not a trap). The results
// are folded into one value with xor and rotl (themselves chip operations).
const char* kAllOps = R"(
  (func $div32 (param $a i32) (param $b i32) (result i64)
    (local $acc i64)
    (if (i32.eqz (local.get $b)) (then (return (i64.const 0))))
    (local.set $acc (i64.extend_i32_u (i32.div_u (local.get $a) (local.get $b))))
    (local.set $acc (i64.xor (i64.rotl (local.get $acc) (i64.const 7))
                             (i64.extend_i32_u (i32.rem_u (local.get $a) (local.get $b)))))
    (local.set $acc (i64.xor (i64.rotl (local.get $acc) (i64.const 7))
                             (i64.extend_i32_u (i32.rem_s (local.get $a) (local.get $b)))))
    (if (i32.and (i32.eq (local.get $a) (i32.const 0x80000000)) (i32.eq (local.get $b) (i32.const -1)))
      (then (return (local.get $acc))))
    (i64.xor (i64.rotl (local.get $acc) (i64.const 7))
             (i64.extend_i32_u (i32.div_s (local.get $a) (local.get $b)))))
  (func $div64 (param $a i64) (param $b i64) (result i64)
    (local $acc i64)
    (if (i64.eqz (local.get $b)) (then (return (i64.const 0))))
    (local.set $acc (i64.div_u (local.get $a) (local.get $b)))
    (local.set $acc (i64.xor (i64.rotl (local.get $acc) (i64.const 7)) (i64.rem_u (local.get $a) (local.get $b))))
    (local.set $acc (i64.xor (i64.rotl (local.get $acc) (i64.const 7)) (i64.rem_s (local.get $a) (local.get $b))))
    (if (i32.and (i64.eq (local.get $a) (i64.const 0x8000000000000000)) (i64.eq (local.get $b) (i64.const -1)))
      (then (return (local.get $acc))))
    (i64.xor (i64.rotl (local.get $acc) (i64.const 7)) (i64.div_s (local.get $a) (local.get $b))))
  (func $mix (param $acc i64) (param $v i64) (result i64)
    (i64.xor (i64.rotl (local.get $acc) (i64.const 5)) (local.get $v)))
  (func $all (export "all") (param $a i64) (param $b i64) (result i64)
    (local $x i32) (local $y i32) (local $acc i64)
    (local.set $x (i32.wrap_i64 (local.get $a)))
    (local.set $y (i32.wrap_i64 (local.get $b)))
    (local.set $acc (i64.extend_i32_u (i32.shl (local.get $x) (local.get $y))))
    (local.set $acc (call $mix (local.get $acc) (i64.extend_i32_u (i32.shr_s (local.get $x) (local.get $y)))))
    (local.set $acc (call $mix (local.get $acc) (i64.extend_i32_u (i32.shr_u (local.get $x) (local.get $y)))))
    (local.set $acc (call $mix (local.get $acc) (i64.extend_i32_u (i32.rotl (local.get $x) (local.get $y)))))
    (local.set $acc (call $mix (local.get $acc) (i64.extend_i32_u (i32.rotr (local.get $x) (local.get $y)))))
    (local.set $acc (call $mix (local.get $acc) (i64.extend_i32_u (i32.clz (local.get $x)))))
    (local.set $acc (call $mix (local.get $acc) (i64.extend_i32_u (i32.ctz (local.get $y)))))
    (local.set $acc (call $mix (local.get $acc) (i64.extend_i32_u (i32.popcnt (local.get $x)))))
    (local.set $acc (call $mix (local.get $acc) (i64.shl (local.get $a) (local.get $b))))
    (local.set $acc (call $mix (local.get $acc) (i64.shr_s (local.get $a) (local.get $b))))
    (local.set $acc (call $mix (local.get $acc) (i64.shr_u (local.get $a) (local.get $b))))
    (local.set $acc (call $mix (local.get $acc) (i64.rotl (local.get $a) (local.get $b))))
    (local.set $acc (call $mix (local.get $acc) (i64.rotr (local.get $a) (local.get $b))))
    (local.set $acc (call $mix (local.get $acc) (i64.clz (local.get $a))))
    (local.set $acc (call $mix (local.get $acc) (i64.ctz (local.get $b))))
    (local.set $acc (call $mix (local.get $acc) (i64.popcnt (local.get $a))))
    (local.set $acc (call $mix (local.get $acc) (i64.mul (local.get $a) (local.get $b))))
    (local.set $acc (call $mix (local.get $acc) (i64.extend_i32_u (i32.mul (local.get $x) (local.get $y)))))
    (local.set $acc (call $mix (local.get $acc) (i64.extend_i32_u (i32.and (local.get $x) (local.get $y)))))
    (local.set $acc (call $mix (local.get $acc) (i64.extend_i32_u (i32.or (local.get $x) (local.get $y)))))
    (local.set $acc (call $mix (local.get $acc) (i64.extend_i32_u (i32.xor (local.get $x) (local.get $y)))))
    (local.set $acc (call $mix (local.get $acc) (i64.and (local.get $a) (local.get $b))))
    (local.set $acc (call $mix (local.get $acc) (i64.or (local.get $a) (local.get $b))))
    (local.set $acc (call $mix (local.get $acc) (i64.extend_i32_u (i32.extend8_s (local.get $x)))))
    (local.set $acc (call $mix (local.get $acc) (i64.extend8_s (local.get $b))))
    (local.set $acc (call $mix (local.get $acc) (call $div32 (local.get $x) (local.get $y))))
    (local.set $acc (call $mix (local.get $acc) (call $div64 (local.get $a) (local.get $b))))
    (local.get $acc))
)";

// A module whose "main" folds $all over the given operand pairs.
std::string all_ops_module(const std::vector<std::pair<uint64_t, uint64_t>>& pairs) {
  std::string s = "(module\n";
  // $mix inlined: fewer steps per pair.
  std::string all = kAllOps;
  const std::string call = "(call $mix (local.get $acc) ";
  for (size_t at; (at = all.find(call)) != std::string::npos;)
    all.replace(at, call.size(), "(i64.xor (i64.rotl (local.get $acc) (i64.const 5)) ");
  s += all;
  s += "(func (export \"main\") (result i64) (local $acc i64)\n";
  for (const auto& [a, b] : pairs) {
    s += "  (local.set $acc (i64.xor (local.get $acc) (call $all (i64.const " + hex64(a) +
         ") (i64.const " + hex64(b) + "))))\n";
  }
  s += "  (local.get $acc)))\n";
  return s;
}

// Runs, proves and verifies `main`; the proof's result must be the runtime's.
void prove_main(const std::string& text, std::set<uint16_t>* seen = nullptr) {
  const auto bytes = wat(text);
  auto p = Program::load(bytes);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  const wasm::Trace t = run_traced(bytes, export_index(bytes, "main"), {});
  ASSERT_EQ(t.end.status, 0u);
  if (seen)
    for (const auto& s : t.steps) seen->insert(s.op);
  auto b = prove(**p, t, opts({}));
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  auto pv = verify(**p, *b);
  ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
  EXPECT_EQ(pv->results, t.end.results);
  EXPECT_EQ(pv->status, 0u);
  std::printf("  %zu steps proved, result %s\n", t.steps.size(), hex64(t.end.results[0]).c_str());
}

TEST(ZkWasmAlu, ChipTablesAreInTheMachine) {
  const air::MachineAir& m = machine_air();
  ASSERT_EQ(m.tables.size(), size_t(layout::kNumTables));
  EXPECT_EQ(m.tables[layout::kAlu].name(), "alu");
  EXPECT_EQ(m.tables[layout::kAlu].main_width(), alu::Chip::kWidth);
  EXPECT_EQ(m.tables[layout::kBitCount].name(), "bitcount");
  EXPECT_EQ(m.tables[layout::kBitwise].name(), "bitwise");
  EXPECT_EQ(m.tables[layout::kBitwise].main_width(), alu::Bitwise::kWidth);
  // The chip groups its lookups at degree 5 (blowup 4); every other table stays at degree 3.
  for (const auto& t : m.tables) EXPECT_LE(t.max_degree(), t.name() == "alu" ? 5u : 3u) << t.name();
  std::printf("  exec %u main columns, alu chip %u\n", m.tables[layout::kExec].main_width(),
              m.tables[layout::kAlu].main_width());
}

TEST(ZkWasmAlu, EveryOperationOnEdgeValues) {
  const uint64_t kMin32 = 0x80000000ull, kMin64 = 1ull << 63;
  // Shift amounts 0, 1, 31/63 (-1, INT_MAX), 32, 63, 65 and big ones; divisors 0, 1, -1.
  const std::vector<uint64_t> values = {0,      1,          ~0ull,      kMin32, kMin32 - 1, kMin64,
                                        kMin64 - 1, 32,     63,         65,     0x123456789ABCDEF0ull};
  std::vector<std::pair<uint64_t, uint64_t>> pairs;
  for (uint64_t a : values)
    for (uint64_t b : values) pairs.emplace_back(a, b);
  // i32 overflow and rem_s(MIN, -1) on the low halves; -1 as an i32 divisor.
  pairs.emplace_back(kMin32, 0xFFFFFFFF);
  pairs.emplace_back(kMin64, ~0ull);
  std::set<uint16_t> seen;
  prove_main(all_ops_module(pairs), &seen);
  for (Op op : alu::kOps) {
    EXPECT_TRUE(seen.count(uint16_t(op))) << "not exercised: " << wasm::op_info(op).name;
  }
}

TEST(ZkWasmAlu, RandomOperands) {
  Rng rng(test_seed("ZkWasmAluRandom"));
  std::vector<std::pair<uint64_t, uint64_t>> pairs;
  for (int i = 0; i < 40; ++i) {
    // Mixed magnitudes: full words, small words, and i32-sized divisors.
    auto pick = [&]() {
      const uint64_t v = rng.next_u64();
      switch (rng.uniform(4)) {
        case 0: return v;
        case 1: return v >> rng.uniform(64);
        case 2: return ~(v >> rng.uniform(64));
        default: return v & 0xFFFF;
      }
    };
    pairs.emplace_back(pick(), pick());
  }
  prove_main(all_ops_module(pairs));
}

// --- traps --------------------------------------------------------------------------------

const char* kTraps = R"((module
  (func $inner (param $a i32) (param $b i32) (result i32) (i32.div_u (local.get $a) (local.get $b)))
  (func (export "div_s32") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "div_u32") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
  (func (export "rem_s32") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
  (func (export "rem_u32") (param i32 i32) (result i32) (i32.rem_u (local.get 0) (local.get 1)))
  (func (export "div_s64") (param i64 i64) (result i64) (i64.div_s (local.get 0) (local.get 1)))
  (func (export "div_u64") (param i64 i64) (result i64) (i64.div_u (local.get 0) (local.get 1)))
  (func (export "rem_s64") (param i64 i64) (result i64) (i64.rem_s (local.get 0) (local.get 1)))
  (func (export "rem_u64") (param i64 i64) (result i64) (i64.rem_u (local.get 0) (local.get 1)))
  (func (export "nested") (param i32 i32) (result i32)
    (i32.add (i32.const 1) (call $inner (local.get 0) (local.get 1))))
  (func (export "unreachable") (param i32) (result i32)
    (if (local.get 0) (then (unreachable)))
    (i32.const 5)))
)";

struct TrapCase {
  const char* fn;
  std::vector<uint64_t> args;
  uint32_t status, code;
  std::vector<uint64_t> results;
};

const std::vector<TrapCase>& trap_cases() {
  static const std::vector<TrapCase> cases = {
      {"div_s32", {7, 0}, 1, 3, {}},
      {"div_s32", {0x80000000, 0xFFFFFFFF}, 1, 4, {}},
      {"div_u32", {7, 0}, 1, 3, {}},
      {"rem_s32", {0x80000000, 0}, 1, 3, {}},
      {"rem_s32", {0x80000000, 0xFFFFFFFF}, 0, 0, {0}},
      {"rem_u32", {0, 0}, 1, 3, {}},
      {"div_s64", {1ull << 63, ~0ull}, 1, 4, {}},
      {"div_s64", {5, 0}, 1, 3, {}},
      {"div_u64", {~0ull, 0}, 1, 3, {}},
      {"rem_s64", {1ull << 63, ~0ull}, 0, 0, {0}},
      {"rem_u64", {1, 0}, 1, 3, {}},
      {"nested", {9, 0}, 1, 3, {}},
      {"unreachable", {1}, 1, 1, {}},
      {"unreachable", {0}, 0, 0, {5}},
  };
  return cases;
}

TEST(ZkWasmAlu, TrapsAreProvableOutcomes) {
  const auto bytes = wat(kTraps);
  auto p = Program::load(bytes);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  for (const TrapCase& c : trap_cases()) {
    SCOPED_TRACE(std::string(c.fn) + " " + hex64(c.args[0]));
    const wasm::Trace t = run_traced(bytes, export_index(bytes, c.fn), c.args);
    ASSERT_EQ(t.end.status, c.status);
    ASSERT_EQ(t.end.trap_code, c.code);
    ASSERT_EQ(t.end.results, c.results);
    auto b = prove(**p, t, opts(c.args));
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    auto pv = verify(**p, *b);
    ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
    EXPECT_EQ(pv->status, c.status);
    EXPECT_EQ(pv->trap_code, c.code);
    EXPECT_EQ(pv->results, c.results);
    EXPECT_EQ(pv->gas_used, t.end.gas_used);
    EXPECT_EQ(pv->instructions, t.steps.size());
    // The claim edited afterwards: another status or trap code does not verify.
    if (c.status == 1) {
      Bundle x = *b;
      x.publics.trap_code = c.code == 3 ? 4 : 3;
      EXPECT_FALSE(verify(**p, x).is_ok()) << "another trap code verified";
      x = *b;
      x.publics.status = 0;
      x.publics.trap_code = 0;
      x.publics.results = {0};
      EXPECT_FALSE(verify(**p, x).is_ok()) << "a return verified for a trap";
    } else {
      Bundle x = *b;
      x.publics.status = 1;
      x.publics.trap_code = 3;
      x.publics.results = {};
      EXPECT_FALSE(verify(**p, x).is_ok()) << "a trap verified for a return";
    }
  }
}

// Forged trap claims, made with the prover's checks off: a trap that did not happen, a return
// (or result) where a trap happened, and the wrong trap code.
TEST(ZkWasmAlu, ForgedTrapsAreRejected) {
  const auto bytes = wat(kTraps);
  auto p = Program::load(bytes);
  ASSERT_TRUE(p.is_ok());
  auto reject = [&](const char* what, const wasm::Trace& t, const std::vector<uint64_t>& args) {
    SCOPED_TRACE(what);
    EXPECT_FALSE(prove(**p, t, opts(args)).is_ok()) << "the prover's own check missed it";
    auto b = prove_unchecked(**p, t, args);
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    auto v = verify(**p, *b);
    EXPECT_FALSE(v.is_ok()) << "forged proof verified";
    std::printf("  forged %-44s -> %s\n", what, v.status().message().c_str());
  };
  // A trap claimed at a division that returns: the trace cut after it.
  for (const auto& [fn, args, code] :
       std::vector<std::tuple<const char*, std::vector<uint64_t>, uint32_t>>{
           {"div_u32", {7, 2}, 3},
           {"div_s64", {1ull << 63, 1}, 4},
           {"div_s32", {0x80000000, 0xFFFFFFFE}, 4},
           {"rem_s32", {0x80000000, 0xFFFFFFFF}, 4},
           {"rem_u64", {9, 1ull << 40}, 3}}) {
    const wasm::Trace honest = run_traced(bytes, export_index(bytes, fn), args);
    ASSERT_EQ(honest.end.status, 0u);
    wasm::Trace t = honest;
    t.steps.pop_back();  // the return
    t.end.status = 1;
    t.end.trap_code = code;
    t.end.results = {};
    t.end.gas_used -= wasm::op_info(Op::kReturn).gas;
    t.end.instructions -= 1;
    reject((std::string("trap claimed at ") + fn + " code " + std::to_string(code)).c_str(), t, args);
  }
  // A return claimed where the division trapped: the trap row replaced by a result and a
  // return.
  for (const auto& [fn, args] : std::vector<std::pair<const char*, std::vector<uint64_t>>>{
           {"div_u32", {7, 0}}, {"rem_u64", {7, 0}}, {"div_s32", {0x80000000, 0xFFFFFFFF}},
           {"div_s64", {1ull << 63, ~0ull}}}) {
    const wasm::Trace honest = run_traced(bytes, export_index(bytes, fn), args);
    ASSERT_EQ(honest.end.status, 1u);
    wasm::Trace t = honest;
    wasm::StepRecord ret = t.steps.back();
    t.steps.back().r = 1ull << 31;  // MIN / -1 "wraps"; x / 0 "is" something
    ret.pc += 1;
    ret.op = uint16_t(Op::kReturn);
    ret.sp -= 1;
    ret.a = ret.b = ret.r = 0;
    ret.aux = 0xFFFFFFFF;
    t.steps.push_back(ret);
    t.end.status = 0;
    t.end.trap_code = 0;
    t.end.results = {1ull << 31};
    t.end.gas_used += wasm::op_info(Op::kReturn).gas;
    t.end.instructions += 1;
    reject((std::string("return claimed at trapping ") + fn).c_str(), t, args);
  }
  // The wrong trap code for a trap that happened; unreachable claimed as divide by zero.
  {
    const std::vector<uint64_t> args = {7, 0};
    wasm::Trace t = run_traced(bytes, export_index(bytes, "div_u32"), args);
    t.end.trap_code = 4;
    reject("overflow claimed for divide by zero", t, args);
    wasm::Trace u = run_traced(bytes, export_index(bytes, "div_s32"), {0x80000000, 0xFFFFFFFF});
    u.end.trap_code = 3;
    reject("divide by zero claimed for overflow", u, {0x80000000, 0xFFFFFFFF});
    wasm::Trace v = run_traced(bytes, export_index(bytes, "unreachable"), {1});
    v.end.trap_code = 3;
    reject("divide by zero claimed for unreachable", v, {1});
  }
}

// Consistent forgeries: the wrong result flows on and is claimed, so only the chip's
// constraints can catch it.
TEST(ZkWasmAlu, ForgedResultsAreRejectedByTheChip) {
  struct Case {
    Op op;
    std::vector<uint64_t> args;
    std::function<uint64_t(uint64_t)> forge;
  };
  auto plus1 = [](uint64_t r) { return r + 1; };
  auto xor_hi = [](uint64_t r) { return r ^ (1ull << 62); };
  auto xor_31 = [](uint64_t r) { return r ^ (1ull << 31); };
  const std::vector<Case> cases = {
      {Op::kI32Shl, {0x80000001, 33}, plus1},        {Op::kI32ShrS, {0x80000000, 31}, xor_31},
      {Op::kI32ShrU, {0x80000000, 63}, [](uint64_t r) { return r ^ 2; }},
      {Op::kI32Rotl, {0x80000001, 1}, plus1},        {Op::kI32Rotr, {3, 1}, xor_31},
      {Op::kI64Shl, {1, 64}, [](uint64_t r) { return r << 1; }},
      {Op::kI64ShrS, {1ull << 63, 63}, [](uint64_t) { return uint64_t(1); }},
      {Op::kI64ShrU, {~0ull, 65}, xor_hi},           {Op::kI64Rotl, {1ull << 63, 1}, plus1},
      {Op::kI64Rotr, {1, 0}, [](uint64_t r) { return r ^ (1ull << 63); }},
      {Op::kI32Clz, {0}, [](uint64_t) { return uint64_t(31); }},
      {Op::kI32Ctz, {0x80000000}, plus1},            {Op::kI32Popcnt, {0xFFFFFFFF}, plus1},
      {Op::kI64Clz, {1}, plus1},                     {Op::kI64Ctz, {0}, [](uint64_t) { return uint64_t(0); }},
      {Op::kI64Popcnt, {1ull << 63}, plus1},
      {Op::kI64Mul, {~0ull, ~0ull}, xor_hi},         {Op::kI64Mul, {0x100000000ull, 0x100000000ull}, plus1},
      {Op::kI32DivS, {0xFFFFFFF9, 2}, [](uint64_t) { return uint64_t(0xFFFFFFFC); }},  // -7/2 = -3, not -4
      {Op::kI32DivU, {7, 2}, plus1},
      {Op::kI32RemS, {0xFFFFFFF9, 2}, [](uint64_t) { return uint64_t(1); }},  // -7%2 = -1, not 1
      {Op::kI32RemU, {7, 3}, [](uint64_t) { return uint64_t(4); }},  // q 1, rem 4: rem < b fails
      {Op::kI64DivS, {1ull << 63, 1}, plus1},
      {Op::kI64DivU, {~0ull, 3}, [](uint64_t r) { return r - 1; }},
      {Op::kI64RemS, {1ull << 63, ~0ull}, plus1},
      {Op::kI64RemU, {100, 7}, [](uint64_t) { return uint64_t(2 + 7); }},
      // Moved from the execution table into the chip (its X, Y, Z bytes).
      {Op::kI32Mul, {0x12345, 0xFFFF}, plus1},
      {Op::kI32Mul, {0xFFFFFFFF, 0xFFFFFFFF}, [](uint64_t r) { return r + 0x10000; }},
      {Op::kI32Mul, {0x10000, 0x10000}, [](uint64_t) { return uint64_t(1); }},  // 2^32 -> 1
      {Op::kI32And, {0xF0F0, 0xFF00}, plus1},
      {Op::kI32Or, {0xF0F0, 0xFF00}, [](uint64_t r) { return r ^ 0x80000000; }},
      {Op::kI32Xor, {0xF0F0F0F0, 0xFF00FF00}, [](uint64_t r) { return r + 0x10000; }},
      {Op::kI64And, {~0ull, 1ull << 60}, [](uint64_t r) { return r ^ (1ull << 59); }},
      {Op::kI64Or, {1, 2}, plus1},
      {Op::kI64Xor, {3, 3}, [](uint64_t r) { return r + (1ull << 56); }},
      {Op::kI32Extend8S, {0x80}, [](uint64_t r) { return r & 0xFF; }},
      {Op::kI32Extend8S, {0x1234}, [](uint64_t) { return uint64_t(0x1234); }},
      {Op::kI64Extend8S, {0x7F}, [](uint64_t r) { return r + 0x100; }},
      {Op::kI64Extend8S, {0x180}, [](uint64_t) { return ~0ull; }},
  };
  // One module: function k applies case k's opcode to its parameters.
  const auto bytes = wat(one_function_per_op(ops_of(cases)));
  auto p = Program::load(bytes);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  for (size_t k = 0; k < cases.size(); ++k) {
    const Case& c = cases[k];
    SCOPED_TRACE(wasm::op_info(c.op).name);
    wasm::Trace t = run_traced(bytes, export_index(bytes, "f" + std::to_string(k)), c.args);
    ASSERT_EQ(t.end.status, 0u);
    // (The honest values prove: EveryOperationOnEdgeValues, SpecIntegerFunctionsProve.)
    size_t at = SIZE_MAX;
    for (size_t i = 0; i < t.steps.size(); ++i)
      if (t.steps[i].op == uint16_t(c.op)) at = i;
    ASSERT_NE(at, SIZE_MAX);
    uint64_t forged = c.forge(t.steps[at].r);
    if (std::string(wasm::op_info(c.op).name).rfind("i32", 0) == 0) forged = uint32_t(forged);
    ASSERT_NE(forged, t.steps[at].r);
    t.steps[at].r = forged;
    t.end.results[0] = forged;
    EXPECT_FALSE(prove(**p, t, opts(c.args)).is_ok()) << "the prover's own check missed it";
    auto b = prove_unchecked(**p, t, c.args);
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    auto v = verify(**p, *b);
    EXPECT_FALSE(v.is_ok()) << "forged " << wasm::op_info(c.op).name << " verified";
    std::printf("  forged %-12s %s -> %s\n", wasm::op_info(c.op).name.data(),
                hex64(forged).c_str(), v.status().message().c_str());
  }
}

// Chip rows forged where the trace-level forgeries cannot reach: helper columns chosen so that
// every equation holds except the one under test (the lookups' multiplicities follow the
// forged row, so the LogUp sums balance).
TEST(ZkWasmAlu, ForgedChipRowsAreRejected) {
  namespace L = layout;
  using C = alu::Chip;
  struct Case {
    const char* what;
    Op op;
    std::vector<uint64_t> args;
    uint64_t forged;  // the claimed result
    std::function<void(std::array<uint32_t, C::kWidth>&)> edit;
  };
  const std::vector<Case> cases = {
      // 7 = 1 * 3 + 4: the product equation holds, but rem 4 >= 3 needs a carry out of
      // rem + 1 + d = b.
      {"rem_u with rem >= b", Op::kI32RemU, {7, 3}, 4,
       [](auto& row) {
         row[C::kX] = 1;
         row[C::kZl] = 4;
         const uint64_t d = (3ull - 4 - 1) & 0xFFFFFFFFull;  // b - rem - 1 mod 2^32
         row[C::kD] = uint32_t(d & 0xFFFF);
         row[C::kD + 1] = uint32_t(d >> 16);
         row[C::kCc] = 1;
         row[C::kCc + 1] = 1;
       }},
      // 0 = 2^63 * 2 mod 2^64: the quotient wraps; the product's carry out of limb 3 is 1.
      {"div_u quotient wrapping 2^64", Op::kI64DivU, {0, 2}, 1ull << 63,
       [](auto& row) {
         for (uint32_t i = 0; i < 8; ++i) row[C::kX + i] = i == 7 ? 0x80 : 0;
         row[C::kM + 3] = 1;
       }},
      // 0 = 2^32 * 2^32 mod 2^64: every limb equation holds (no carry out of limb 3), but the
      // product byte at 2^64 is not zero.
      {"div_u with a product byte at 2^64", Op::kI64DivU, {0, 1ull << 32}, 1ull << 32,
       [](auto& row) { row[C::kX + 4] = 1; }},
  };
  for_each_forged_result(cases, [](const Case& c, const Program& p, const ProvingKey& pk,
                                    test_support::ForgedWitness& fw) {
    MachineWitness* w = &fw.witness;
    // The chip row as the witness built it, and the forged one; swap their lookups.
    alu::ChipWitness built, forged;
    built.add(c.op, c.args[0], c.args[1], c.forged, false);
    forged.add(c.op, c.args[0], c.args[1], c.forged, false);
    // Start from a row whose product and links to a, b, r hold for the claimed quotient or
    // remainder, then apply the edit.
    c.edit(forged.row(0));
    const size_t rrows = size_t(1) << L::Range::kLogRows;
    std::vector<uint64_t> r0(rrows), b0(rrows), r1(rrows), b1(rrows);
    const uint32_t log_rows = table_log_rows(1);
    (void)built.chip_columns(log_rows, r0, b0);
    w->main[L::kAlu] = forged.chip_columns(log_rows, r1, b1);
    std::vector<Fp>& range = w->main[L::kRange];
    for (size_t v = 0; v < rrows; ++v) {
      range[L::Range::kRangeMult * rrows + v] += Fp::from_u64(r1[v]) - Fp::from_u64(r0[v]);
      range[L::Range::kByteMult * rrows + v] += Fp::from_u64(b1[v]) - Fp::from_u64(b0[v]);
    }
    // The prover's own witness check names the chip: every other table's constraints hold.
    const Status checked = test_support::prove_and_verify(p, pk, *w, fw.publics, true);
    ASSERT_FALSE(checked.is_ok());
    EXPECT_NE(checked.message().find("of table alu"), std::string::npos) << checked.message();
    const Status v = test_support::prove_and_verify(p, pk, *w, fw.publics, false);
    EXPECT_FALSE(v.is_ok()) << "forged chip row verified";
    std::printf("  forged %-32s -> %s\n", c.what, v.message().c_str());
  });
}

// Bitwise rows forged below the trace (the trace-level forgeries of and/or/xor are in
// ForgedResultsAreRejected): a result byte that is not the AND of its operand bytes, and a row
// proving another operation than the step's. The execution row claims the forged result.
TEST(ZkWasmAlu, ForgedBitwiseRowsAreRejected) {
  namespace L = layout;
  using B = alu::Bitwise;
  struct Case {
    const char* what;
    Op op;
    std::vector<uint64_t> args;
    uint64_t forged;
    std::function<void(std::array<uint32_t, B::kWidth>&)> edit;
  };
  const std::vector<Case> cases = {
      // 0xF0 AND 0x3C = 0x30: (0xF0, 0x3C, 0x3C) is no row of the AND table.
      {"and byte claimed 0x3C", Op::kI32And, {0xF0, 0x3C}, 0x3C,
       [](auto& row) { row[B::kZ] = 0x3C; }},
      {"i64.and byte claimed 0xFF", Op::kI64And, {0xFFull << 56, 0x0Full << 56}, 0xFFull << 56,
       [](auto& row) { row[B::kZ + 7] = 0xFF; }},
      // or(0xFF, 0x0F) = 0xFF; the row proves xor = 0xF0 instead (another opcode on the bus).
      {"i64.or proved as xor", Op::kI64Or, {0xFF, 0x0F}, 0xF0,
       [](auto& row) {
         row[B::kOr] = 0;
         row[B::kXor] = 1;
       }},
  };
  for_each_forged_result(cases, [](const Case& c, const Program& p, const ProvingKey& pk,
                                    test_support::ForgedWitness& fw) {
    MachineWitness* w = &fw.witness;
    // The bitwise row as built (from a and b: honest bytes), then edited; the AND
    // multiplicities follow the row's (x, y) pairs, which the edits keep.
    alu::ChipWitness forged;
    forged.add(c.op, c.args[0], c.args[1], c.forged, false);
    ASSERT_EQ(forged.bitwise_rows(), 1u);
    c.edit(forged.bitwise_row(0));
    std::vector<uint64_t> and_mult(size_t(1) << L::Range::kLogRows);
    w->main[L::kBitwise] = forged.bitwise_columns(table_log_rows(1), and_mult);
    EXPECT_FALSE(test_support::prove_and_verify(p, pk, *w, fw.publics, true).is_ok())
        << "the prover's own check missed it";
    const Status v = test_support::prove_and_verify(p, pk, *w, fw.publics, false);
    EXPECT_FALSE(v.is_ok()) << "forged bitwise row verified";
    std::printf("  forged %-32s -> %s\n", c.what, v.message().c_str());
  });
}

// --- the spec tests' integer functions ----------------------------------------------------

// i32.wast and i64.wast: for every exported function that uses a chip operation, its first
// assert_return case and its first assert_trap prove and verify, with the spec's expected
// result (or trap) as the public output.
TEST(ZkWasmAlu, SpecIntegerFunctionsProve) {
  using nlohmann::json;
  char tmpl[] = "/tmp/efaas-zkalu-spec-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const fs::path dir = tmpl;
  size_t proved = 0;
  for (const std::string file : {"i32", "i64"}) {
    const json spec = spec_testing::wast_commands(dir, file);
    ASSERT_TRUE(spec.is_object()) << file;
    std::vector<uint8_t> bytes;
    std::shared_ptr<Program> program;
    std::shared_ptr<const wasm::Module> mod;
    std::map<std::string, int> returns, traps;
    for (const json& c : spec["commands"]) {
      const std::string type = c["type"];
      if (type == "module") {
        bytes = spec_testing::read_bytes(dir / c["filename"].get<std::string>());
        auto p = Program::load(bytes);
        ASSERT_TRUE(p.is_ok()) << p.status().to_string();
        program = *p;
        mod = program->module_ptr();
        continue;
      }
      if (type != "assert_return" && type != "assert_trap") continue;
      const json& action = c["action"];
      if (action["type"] != "invoke" || !program) continue;
      const std::string field = action["field"];
      const wasm::Export* ex = mod->find_export(field);
      ASSERT_NE(ex, nullptr);
      // Only functions that use a chip operation.
      const wasm::Function& f = mod->funcs[ex->index - mod->num_imported_funcs];
      bool uses_chip = false;
      for (uint32_t pc = f.entry_pc; pc < mod->code.size(); ++pc) {
        if (alu::is_alu(mod->code[pc].op)) uses_chip = true;
        if (mod->code[pc].op == Op::kReturn) break;
      }
      if (!uses_chip) continue;
      int& count = type == "assert_return" ? returns[field] : traps[field];
      if (count >= 1) continue;
      ++count;
      std::vector<uint64_t> args;
      for (const json& a : action["args"]) args.push_back(std::stoull(a["value"].get<std::string>()));
      const wasm::Trace t = run_traced(bytes, ex->index, args);
      SCOPED_TRACE(file + ".wast:" + std::to_string(c["line"].get<int>()) + " " + field);
      if (type == "assert_return") {
        ASSERT_EQ(t.end.status, 0u);
        ASSERT_EQ(t.end.results.size(), c["expected"].size());
        if (!t.end.results.empty()) {
          ASSERT_EQ(t.end.results[0], std::stoull(c["expected"][0]["value"].get<std::string>()));
        }
      } else {
        ASSERT_EQ(t.end.status, 1u);
        ASSERT_EQ(std::string(wasm::trap_reason(wasm::TrapCode(t.end.trap_code))),
                  c["text"].get<std::string>());
      }
      auto b = prove(*program, t, opts(args));
      ASSERT_TRUE(b.is_ok()) << b.status().to_string();
      auto pv = verify(*program, *b);
      ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
      EXPECT_EQ(pv->results, t.end.results);
      EXPECT_EQ(pv->status, t.end.status);
      EXPECT_EQ(pv->trap_code, t.end.trap_code);
      ++proved;
    }
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  std::printf("  %zu spec assertions proved and verified\n", proved);
  EXPECT_GT(proved, 30u);
}

}  // namespace
}  // namespace efaas::zkwasm
