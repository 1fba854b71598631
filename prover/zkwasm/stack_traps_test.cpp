// zkWASM call stack exhaustion (docs/zkwasm.md, "Traps"): a direct call or a call_indirect at
// the runtime's call depth limit (RuntimeLimits::max_call_depth, a constant of the universal
// AIR) proves and verifies with trap code 8, in one segment and split; the spec tests'
// assert_exhaustion cases prove. Forgeries made with the prover's checks off that the verifier must reject: exhaustion
// claimed one frame early, a call that goes on beyond the limit (a trace recorded under larger
// limits), exhaustion at a smaller limit, another trap code, and tampered public values.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "prover/fri/fri_params.hpp"
#include "prover/wasm/instance.hpp"
#include "prover/zkwasm/io.hpp"
#include "prover/zkwasm/layout.hpp"
#include "prover/zkwasm/segment_forgery_testing.hpp"
#include "prover/zkwasm/segments_internal.hpp"
#include "prover/zkwasm/spec_testing.hpp"
#include "prover/zkwasm/test_support.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::zkwasm {
namespace {

namespace fs = std::filesystem;
namespace L = layout;
using wasm::Op;
using test_support::function_opts;
using test_support::load_program;
using test_support::move_range_count;
using test_support::run_traced;
using test_support::wat;

constexpr uint32_t kCode = uint32_t(wasm::TrapCode::kCallStackExhausted);
static_assert(kCode == L::kTrapCallStack);

// Recursion without end: call.wast's runaway and mutual-runaway (that module uses floats, outside
// the runtime's integer subset, so they are copied here), and `rec` with a parameter and a
// declared local (zero-local rows); `down` recurses n times and returns 0.
const char* kModule = R"((module
  (func $runaway (export "runaway") (call $runaway))
  (func $mutual-runaway1 (export "mutual-runaway") (call $mutual-runaway2))
  (func $mutual-runaway2 (call $mutual-runaway1))
  (func $rec (export "rec") (param $n i32) (result i32) (local $t i32)
    (call $rec (local.get $n)))
  (func $down (export "down") (param $n i32) (result i32)
    (if (result i32) (local.get $n)
      (then (call $down (i32.sub (local.get $n) (i32.const 1))))
      (else (i32.const 0))))
)
)";

PublicValues expect_exhaustion_proves(const Program& p, const wasm::Trace& t,
                                      const std::vector<uint64_t>& args,
                                      uint32_t segment_log = kDefaultSegmentLog) {
  EXPECT_EQ(t.end.status, 1u);
  EXPECT_EQ(t.end.trap_code, kCode);
  const auto run = test_support::prove_round_trip(p, t, args, segment_log);
  if (!run) return {};
  const Bundle& back = run->bundle;
  const PublicValues& pv = run->publics;
  EXPECT_EQ(pv.trap_code, kCode);
  EXPECT_EQ(pv.gas_used, t.end.gas_used);
  EXPECT_EQ(pv.instructions, t.end.instructions);
  for (uint32_t other : {1u, 7u, 9u}) {
    Bundle u = back;
    u.publics.trap_code = other;
    EXPECT_FALSE(verify(p, u).is_ok()) << "verified with trap code " << other;
  }
  Bundle g = back;
  g.publics.gas_used += 1;
  EXPECT_FALSE(verify(p, g).is_ok()) << "verified with other gas";
  Bundle ret = back;
  ret.publics.status = 0, ret.publics.trap_code = 0;
  ret.publics.results.assign(p.module().func_type(t.header.entry_function).results.size(), 0);
  EXPECT_FALSE(verify(p, ret).is_ok()) << "exhaustion verified as a return";
  return pv;
}

TEST(ZkStackTraps, RunawayRecursionProves) {
  const auto bytes = wat(kModule);
  const auto p = load_program(bytes);
  for (const char* fn : {"runaway", "mutual-runaway"}) {
    SCOPED_TRACE(fn);
    const wasm::Trace t = run_traced(bytes, fn, {});
    ASSERT_EQ(t.steps.size(), size_t(L::kMaxCallDepth) + 1);
    expect_exhaustion_proves(*p, t, {});
  }
}

TEST(ZkStackTraps, RecursionWithLocalsProvesOneSegmentAndSplit) {
  const auto bytes = wat(kModule);
  const auto p = load_program(bytes);
  const wasm::Trace t = run_traced(bytes, "rec", {5});
  expect_exhaustion_proves(*p, t, {5});
  const wasm::Trace r = run_traced(bytes, "runaway", {});
  expect_exhaustion_proves(*p, r, {}, 12);  // 5 segments, the trap row in the last
}

// Forgeries: the prover's own check refuses them; with it off the witness may refuse to lay one
// out, otherwise the verifier must reject the proof.
void expect_forgery_rejected(const std::string& what, const Program& p, const wasm::Trace& t,
                             const std::vector<uint64_t>& args,
                             uint32_t segment_log = kDefaultSegmentLog) {
  SCOPED_TRACE(what);
  auto checked = prove(p, t, function_opts(args, true, segment_log));
  EXPECT_FALSE(checked.is_ok()) << "the prover's own check missed it";
  std::printf("  %-52s prover: %s\n", what.c_str(), checked.status().message().c_str());
  auto b = prove(p, t, function_opts(args, false, segment_log));
  if (!b.is_ok()) {
    std::printf("  %-52s -> not provable: %s\n", what.c_str(), b.status().message().c_str());
    return;
  }
  auto v = verify(p, *b);
  EXPECT_FALSE(v.is_ok()) << "forged proof verified";
  std::printf("  %-52s -> %s\n", what.c_str(), v.status().message().c_str());
}

TEST(ZkStackTraps, ExhaustionClaimedOneFrameEarlyIsRejected) {
  const auto bytes = wat(kModule);
  const auto p = load_program(bytes);
  const wasm::Trace t = run_traced(bytes, "runaway", {});
  for (size_t at : {size_t(L::kMaxCallDepth) - 1, size_t(0)}) {
    wasm::Trace u = t;
    u.steps.resize(at + 1);
    u.end.instructions = at + 1;
    u.end.gas_used = 0;
    for (const auto& s : u.steps) u.end.gas_used += p->module().code[s.pc].gas;
    expect_forgery_rejected("exhaustion claimed at depth " + std::to_string(at), *p, u, {});
  }
}

TEST(ZkStackTraps, CallBeyondTheLimitIsRejected) {
  // Recorded under a larger limit: the recursion returns from depth 16385, which the runtime's
  // default limit would have stopped at its 16384th call.
  const auto bytes = wat(kModule);
  const auto p = load_program(bytes);
  wasm::RuntimeLimits big;
  big.max_call_depth = 20000;
  const wasm::Trace t = run_traced(bytes, "down", {16385}, big);
  ASSERT_EQ(t.end.status, 0u);
  expect_forgery_rejected("a call at depth 16384 that goes on", *p, t, {16385});
  // One level less is within the limit and proves (the control).
  const wasm::Trace ok = run_traced(bytes, "down", {16384});
  ASSERT_EQ(ok.end.status, 0u);
  auto b = prove(*p, ok, function_opts({16384}));
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  ASSERT_TRUE(verify(*p, *b).is_ok());
}

TEST(ZkStackTraps, ExhaustionUnderASmallerLimitIsRejected) {
  const auto bytes = wat(kModule);
  const auto p = load_program(bytes);
  wasm::RuntimeLimits small;
  small.max_call_depth = 100;
  const wasm::Trace t = run_traced(bytes, "runaway", {}, small);
  ASSERT_EQ(t.end.trap_code, kCode);
  auto refused = prove(*p, t, function_opts({}));
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("max_call_depth"), std::string::npos)
      << refused.status().message();
  expect_forgery_rejected("exhaustion at depth 100", *p, t, {});
}

TEST(ZkStackTraps, WrongTrapCodeAtExhaustionIsRejected) {
  const auto bytes = wat(kModule);
  const auto p = load_program(bytes);
  const wasm::Trace t = run_traced(bytes, "runaway", {});
  for (uint32_t code : {1u, 9u}) {
    wasm::Trace u = t;
    u.end.trap_code = code;
    expect_forgery_rejected("exhaustion with trap code " + std::to_string(code), *p, u, {});
  }
}

// Call stack exhaustion at a call_indirect: the runtime looks the slot up, checks the type, then
// traps on the depth (code 8). `ci-runaway` recurses through the table only; `ci-rec` through a
// function with a parameter and a declared local; `ci-mixed` alternates a direct call and a
// call_indirect, so the call at depth 16384 is a call_indirect; `ci-down` recurses n times.
const char* kIndirectModule = R"((module
  (type $v (func))
  (type $ii (func (param i32) (result i32)))
  (table 4 funcref)
  (elem (i32.const 0) $ci-runaway $ci-rec $ci-mixed-b $ci-down)
  (func $ci-runaway (export "ci-runaway") (call_indirect (type $v) (i32.const 0)))
  (func $ci-rec (export "ci-rec") (param $n i32) (result i32) (local $t i32)
    (call_indirect (type $ii) (local.get $n) (i32.const 1)))
  (func $ci-mixed-a (export "ci-mixed") (call $ci-mixed-b))
  (func $ci-mixed-b (call_indirect (type $v) (i32.const 2)))
  (func $ci-down (export "ci-down") (param $n i32) (result i32)
    (if (result i32) (local.get $n)
      (then (call_indirect (type $ii) (i32.sub (local.get $n) (i32.const 1)) (i32.const 3)))
      (else (i32.const 0))))
)
)";

TEST(ZkStackTraps, CallIndirectExhaustionProvesOneSegmentAndSplit) {
  const auto bytes = wat(kIndirectModule);
  const auto p = load_program(bytes);
  for (const char* fn : {"ci-runaway", "ci-mixed"}) {
    SCOPED_TRACE(fn);
    const wasm::Trace t = run_traced(bytes, fn, {});
    ASSERT_EQ(t.steps.back().op, uint16_t(Op::kCallIndirect));
    ASSERT_EQ(t.steps.back().depth, L::kMaxCallDepth);
    expect_exhaustion_proves(*p, t, {});
  }
  const wasm::Trace r = run_traced(bytes, "ci-rec", {5});
  ASSERT_EQ(r.steps.back().op, uint16_t(Op::kCallIndirect));
  expect_exhaustion_proves(*p, r, {5}, 14);  // split, the trap row in the last segment
}

TEST(ZkStackTraps, CallIndirectExhaustionClaimedOneFrameEarlyIsRejected) {
  const auto bytes = wat(kIndirectModule);
  const auto p = load_program(bytes);
  const wasm::Trace t = run_traced(bytes, "ci-runaway", {});
  // The call_indirect steps at depth 16383 (it goes on in the runtime) and at depth 0.
  for (uint32_t depth : {L::kMaxCallDepth - 1, 0u}) {
    size_t at = SIZE_MAX;
    for (size_t i = 0; i < t.steps.size() && at == SIZE_MAX; ++i)
      if (t.steps[i].op == uint16_t(Op::kCallIndirect) && t.steps[i].depth == depth) at = i;
    ASSERT_NE(at, SIZE_MAX);
    wasm::Trace u = t;
    u.steps.resize(at + 1);
    u.end.instructions = at + 1;
    u.end.gas_used = 0;
    for (const auto& s : u.steps) u.end.gas_used += p->module().code[s.pc].gas;
    expect_forgery_rejected("call_indirect exhaustion claimed at depth " + std::to_string(depth),
                            *p, u, {});
  }
}

TEST(ZkStackTraps, CallIndirectBeyondTheLimitIsRejected) {
  const auto bytes = wat(kIndirectModule);
  const auto p = load_program(bytes);
  wasm::RuntimeLimits big;
  big.max_call_depth = 20000;
  const wasm::Trace t = run_traced(bytes, "ci-down", {16385}, big);
  ASSERT_EQ(t.end.status, 0u);
  expect_forgery_rejected("a call_indirect at depth 16384 that goes on", *p, t, {16385});
  wasm::RuntimeLimits small;
  small.max_call_depth = 100;
  const wasm::Trace s = run_traced(bytes, "ci-runaway", {}, small);
  ASSERT_EQ(s.end.trap_code, kCode);
  auto refused = prove(*p, s, function_opts({}));
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("max_call_depth"), std::string::npos)
      << refused.status().message();
  expect_forgery_rejected("call_indirect exhaustion at depth 100", *p, s, {});
}

TEST(ZkStackTraps, WrongTrapCodeAtCallIndirectExhaustionIsRejected) {
  const auto bytes = wat(kIndirectModule);
  const auto p = load_program(bytes);
  const wasm::Trace t = run_traced(bytes, "ci-runaway", {});
  for (uint32_t code : {5u, 7u}) {
    wasm::Trace u = t;
    u.end.trap_code = code;
    expect_forgery_rejected("call_indirect exhaustion with trap code " + std::to_string(code), *p,
                            u, {});
  }
}

// The spec tests' assert_exhaustion cases: direct and call_indirect recursion prove; value
// stack overflows are refused with UNIMPLEMENTED (named); traces over 2^18 rows are
// skipped with their length printed, to keep the suite fast.
TEST(ZkStackTraps, SpecAssertExhaustionCasesProve) {
  using nlohmann::json;
  char tmpl[] = "/tmp/efaas-zkstack-spec-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const fs::path dir = tmpl;
  size_t proved = 0, refused = 0, skipped = 0;
  for (const std::string file : {"call", "fac", "call_indirect", "skip-stack-guard-page"}) {
    const json spec = spec_testing::wast_commands(dir, file);
    ASSERT_TRUE(spec.is_object()) << file;
    std::vector<uint8_t> bytes;
    std::shared_ptr<Program> program;
    for (const json& c : spec["commands"]) {
      const std::string type = c["type"];
      if (type == "module") {
        program = spec_testing::load_standalone_module(dir, c, bytes);
        continue;
      }
      if (type != "assert_exhaustion") continue;
      const json& action = c["action"];
      const std::string where = file + ".wast:" + std::to_string(c["line"].get<int>()) + " " +
                                action["field"].get<std::string>();
      if (!program) {
        std::printf("  %-44s module outside the runtime's subset\n", where.c_str());
        ++refused;
        continue;
      }
      SCOPED_TRACE(where);
      std::vector<uint64_t> args;
      for (const json& a : action["args"]) args.push_back(std::stoull(a["value"].get<std::string>()));
      const wasm::Trace t = run_traced(bytes, action["field"].get<std::string>(), args);
      ASSERT_EQ(t.end.status, 1u);
      ASSERT_EQ(t.end.trap_code, kCode);
      const size_t rows = run_rows(program->module(), t);
      if (rows > (size_t(1) << 18)) {
        std::printf("  %-44s skipped: %zu rows > 2^18\n", where.c_str(), rows);
        ++skipped;
        if (file == "skip-stack-guard-page") break;  // its other cases are as long
        continue;
      }
      auto b = prove(*program, t, function_opts(args));
      if (!b.is_ok()) {
        EXPECT_EQ(b.status().code(), StatusCode::kUnimplemented) << b.status().to_string();
        std::printf("  %-44s refused: %s\n", where.c_str(), b.status().message().c_str());
        ++refused;
        continue;
      }
      auto pv = verify(*program, *b);
      ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
      EXPECT_EQ(pv->trap_code, kCode);
      std::printf("  %-44s proved (%zu rows)\n", where.c_str(), rows);
      ++proved;
    }
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  std::printf("  %zu proved, %zu refused, %zu skipped\n", proved, refused, skipped);
  // fac.wast's fac-rec; call.wast's and call_indirect.wast's modules use floats (outside the
  // runtime's integer subset): RunawayRecursionProves proves call.wast's two functions.
  EXPECT_GE(proved, 1u);
}

// The honest witness of export `down` run on 3 (both value-stack tests' module shape), with
// its public values in `pv`.
MachineWitness down_witness(const std::vector<uint8_t>& bytes, const Program& p, PublicValues& pv) {
  const wasm::Trace t = run_traced(bytes, "down", {3});
  EXPECT_EQ(t.end.status, 0u);
  WitnessOptions wo;
  wo.args = {3};
  auto w = build_witness(p, t, wo, pv);
  EXPECT_TRUE(w.is_ok()) << w.status().to_string();
  return w.is_ok() ? std::move(*w) : MachineWitness{};
}

// The value stack limit at direct calls (RuntimeLimits::max_stack_slots = 2^20): a call row
// shows 2^20 - (sp - params) - frame height = d1 + 2^16 d2 with d3 = 2^11 d2, the frame height
// from the program row (imm_a). Reaching 2^20 slots takes millions of rows, so the forgery is
// below the trace: another decomposition of a smaller difference (as if the callee's frame were
// larger) must be rejected.
TEST(ZkStackTraps, ValueStackBoundAtCallsIsBound) {
  const auto bytes = wat(kModule);
  const auto p = load_program(bytes);
  PublicValues pv;
  const MachineWitness w = down_witness(bytes, *p, pv);
  ASSERT_FALSE(w.main.empty());
  using E = L::Exec;
  const std::vector<Fp>& ex = w.main[L::kExec];
  const size_t rows = ex.size() / E::kWidth;
  auto at = [&](uint32_t col, size_t row) { return ex[size_t(col) * rows + row]; };
  const uint32_t call_flag = E::kFlags + uint32_t(L::flag_index(Op::kCall));
  const wasm::Function& down = p->module().funcs.back();
  auto pk = p->proving_key(fri_test_preset());
  ASSERT_TRUE(pk.is_ok());
  size_t calls = 0;
  for (size_t row = 0; row < rows; ++row) {
    if (at(call_flag, row) != Fp::one()) continue;
    ++calls;
    // The honest decomposition: 2^20 - (sp - 1 param) - max_height.
    const uint64_t sp = at(E::kSp, row).to_canonical();
    const uint64_t v = (uint64_t(1) << 20) - (sp - 1) - down.max_height;
    EXPECT_EQ(at(E::kImmA, row), Fp::from_u32(down.max_height));
    EXPECT_EQ(at(E::kD + 1, row), Fp::from_u64(v & 0xFFFF));
    EXPECT_EQ(at(E::kD + 2, row), Fp::from_u64(v >> 16));
    EXPECT_EQ(at(E::kD + 3, row), Fp::from_u64((v >> 16) << 11));
    MachineWitness forged = w;
    const uint64_t u = v - 7;
    std::vector<Fp>& fx = forged.main[L::kExec];
    fx[size_t(E::kD + 1) * rows + row] = Fp::from_u64(u & 0xFFFF);
    fx[size_t(E::kD + 2) * rows + row] = Fp::from_u64(u >> 16);
    fx[size_t(E::kD + 3) * rows + row] = Fp::from_u64((u >> 16) << 11);
    move_range_count(forged, v & 0xFFFF, u & 0xFFFF);
    move_range_count(forged, v >> 16, u >> 16);
    move_range_count(forged, (v >> 16) << 11, (u >> 16) << 11);
    const Status st = test_support::prove_and_verify(*p, **pk, forged, pv, false);
    EXPECT_FALSE(st.is_ok()) << "row " << row;
    if (calls == 1) std::printf("  forged value stack slack at row %zu -> %s\n", row, st.message().c_str());
  }
  EXPECT_EQ(calls, 3u);
}

// The same limit at call_indirect: 2^20 - nfp - height = d1 + 2^16 d2, the height from the
// slot table's lookup (kCHeight) and d2 < 2^14 through the sign-bit lookup (ah = 2 d2, sa = 0).
// Forged below the trace: another decomposition, the height of another frame, and the wrapped
// decomposition of the same field value (d1 + 2^16 d2 = v + p, the form a negative difference
// would need) must each be rejected.
TEST(ZkStackTraps, ValueStackBoundAtCallIndirectIsBound) {
  const auto bytes = wat(R"((module
    (type $t (func (param i32) (result i32)))
    (table 1 funcref) (elem (i32.const 0) $down)
    (func $down (export "down") (param i32) (result i32) (local i64 i64)
      (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
        (else (call_indirect (type $t) (i32.sub (local.get 0) (i32.const 1)) (i32.const 0)))))))");
  const auto p = load_program(bytes);
  PublicValues pv;
  const MachineWitness w = down_witness(bytes, *p, pv);
  ASSERT_FALSE(w.main.empty());
  using E = L::Exec;
  const size_t rows = w.main[L::kExec].size() / E::kWidth;
  auto at = [&](const MachineWitness& mw, uint32_t col, size_t row) {
    return mw.main[L::kExec][size_t(col) * rows + row];
  };
  auto set = [&](MachineWitness& mw, uint32_t col, size_t row, uint64_t v) {
    mw.main[L::kExec][size_t(col) * rows + row] = Fp::from_u64(v);
  };
  const uint32_t ci_flag = E::kFlags + uint32_t(L::flag_index(Op::kCallIndirect));
  const wasm::Function& down = p->module().funcs.back();
  auto pk = p->proving_key(fri_test_preset());
  ASSERT_TRUE(pk.is_ok());
  const Status honest = test_support::prove_and_verify(*p, **pk, w, pv, true);
  ASSERT_TRUE(honest.is_ok()) << honest.to_string();
  size_t calls = 0;
  for (size_t row = 0; row < rows; ++row) {
    if (at(w, ci_flag, row) != Fp::one()) continue;
    ++calls;
    const uint64_t nfp = at(w, E::kNfp, row).to_canonical();
    const uint64_t v = (uint64_t(1) << 20) - nfp - down.max_height;
    EXPECT_EQ(at(w, E::kCHeight, row), Fp::from_u32(down.max_height));
    EXPECT_EQ(at(w, E::kD + 1, row), Fp::from_u64(v & 0xFFFF));
    EXPECT_EQ(at(w, E::kD + 2, row), Fp::from_u64(v >> 16));
    EXPECT_EQ(at(w, E::kAh, row), Fp::from_u64(2 * (v >> 16)));
    // The forged limbs keep the range bus balanced where a 16-bit value can (4 d2 of a wrapped
    // decomposition cannot: that is the bound under test).
    auto forge = [&](uint64_t height, uint64_t u) {
      MachineWitness f = w;
      set(f, E::kCHeight, row, height);
      set(f, E::kD + 1, row, u & 0xFFFF);
      set(f, E::kD + 2, row, u >> 16);
      set(f, E::kAh, row, 2 * (u >> 16));
      move_range_count(f, v & 0xFFFF, u & 0xFFFF);
      move_range_count(f, v >> 16, u >> 16);
      if (4 * (u >> 16) < (1u << 16)) move_range_count(f, 4 * (v >> 16), 4 * (u >> 16));
      return test_support::prove_and_verify(*p, **pk, f, pv, false);
    };
    const Status slack = forge(down.max_height, v - 7);
    EXPECT_FALSE(slack.is_ok()) << "row " << row;
    const Status height = forge(down.max_height + 9, v - 9);  // consistent, but not the slot's
    EXPECT_FALSE(height.is_ok()) << "row " << row;
    const Status wrapped = forge(down.max_height, v + Fp::kP);
    EXPECT_FALSE(wrapped.is_ok()) << "row " << row;
    if (calls == 1) {
      std::printf("  call_indirect at row %zu: slack -> %s; height -> %s; wrapped -> %s\n", row,
                  slack.message().c_str(), height.message().c_str(), wrapped.message().c_str());
    }
  }
  EXPECT_EQ(calls, 3u);
}

// "Value stack limit reached" at a direct call (code 8 below the depth limit): the callee's
// frame, nfp + max_height, would pass RuntimeLimits::max_stack_slots = 2^20. `big` recurses
// with `locals` declared i64 locals (a frame of locals + 3 slots), `pad` calls it with `pad`
// declared locals of its own, which shifts every frame. About 2^20 zero-local rows are needed
// to fill the value stack (one per declared local), proved as 2^18-row segments.
std::vector<uint8_t> big_frame_module(uint32_t locals, uint32_t pad, bool indirect = false) {
  auto decl = [](uint32_t n) {
    std::string d;
    if (n == 0) return d;
    d = " (local";
    for (uint32_t i = 0; i < n; ++i) d += " i64";
    return d + ")";
  };
  const std::string call = indirect ? " (call_indirect (type $t) (local.get 0) (i32.const 0))"
                                     : " (call $big (local.get 0))";
  return wat("(module (type $t (func (param i32) (result i32))) (table 1 funcref)"
             " (elem (i32.const 0) $big) (func $big (export \"big\") (param i32) (result i32)" +
             decl(locals) + call + ") (func (export \"pad\") (param i32) (result i32)" +
             decl(pad) + call + "))");
}

// nfp + the callee's frame height at the trace's last step (a direct call).
uint64_t frame_end(const Program& p, const wasm::Trace& t) {
  const wasm::StepRecord& s = t.steps.back();
  const wasm::Instr& in = p.module().code[s.pc];
  if (in.op == Op::kCallIndirect) {  // `big` through slot 0, its index popped first
    const wasm::Function& f = p.module().funcs[0];
    return uint64_t(s.sp) - 1 - 1 + f.max_height;
  }
  EXPECT_EQ(in.op, Op::kCall);
  const wasm::Function& f = p.module().funcs[in.a - p.module().num_imported_funcs];
  return uint64_t(s.sp) - p.module().func_type(in.a).params.size() + f.max_height;
}

constexpr uint32_t kBigLocals = 49000;
constexpr uint32_t kBigSegmentLog = 18;

TEST(ZkStackTraps, ValueStackLimitAtCallProves) {
  const auto bytes = big_frame_module(kBigLocals, 0);
  const auto p = load_program(bytes);
  const wasm::Trace t = run_traced(bytes, "pad", {0});
  ASSERT_EQ(t.end.trap_code, kCode);
  ASSERT_LT(t.steps.size(), 200u);  // depth ~21, far below kMaxCallDepth
  const uint64_t end = frame_end(*p, t);
  EXPECT_GT(end, uint64_t(L::kMaxStackSlots));
  EXPECT_LE(end, uint64_t(L::kMaxStackSlots) + kBigLocals + 3);
  expect_exhaustion_proves(*p, t, {0}, kBigSegmentLog);
}

// Proves only the last segment of `t` cut into 2^kLastSegmentLog-row segments (the earlier
// segments' witnesses are built for the memory image and entry state they leave), its
// witness checks and the prover's trace checks as `checked` says, and verifies that proof
// against the public inputs and boundary terms the bundle verifier would give it. Forgeries at
// the trap row cost one small proof instead of a whole 2^20-row run.
constexpr uint32_t kLastSegmentLog = 16;
Status prove_last_segment(const Program& p, const wasm::Trace& t, const std::vector<uint64_t>& args,
                          bool checked) {
  auto cuts = segment_cuts(p.module(), t, kLastSegmentLog);
  if (!cuts) return cuts.status();
  auto entry = p.entry(t.header.entry_function);
  if (!entry) return entry.status();
  WitnessOptions wo;
  wo.check_trace = checked;
  wo.args = args;
  BoundaryImage image = initial_image(p, args);
  SegmentState state{entry->first, entry->second, 0, 0, 0, 0};
  PublicValues pv0;
  for (uint32_t s = 0; s < cuts->size(); ++s) {
    const SegmentSpec spec = segment_spec(*cuts, s, state, image, t.end);
    SegmentOutput out;
    PublicValues pv;
    auto w = build_segment_witness(p, t, wo, &spec, pv, &out);
    if (!w) return w.status();
    if (s == 0) pv0 = pv;
    if (!spec.last) {
      for (size_t k = 0; k < out.keys.size(); ++k) image[out.keys[k]] = out.exit_values[k];
      state = out.exit;
      continue;
    }
    auto pk = p.proving_key(fri_test_preset());
    if (!pk) return pk.status();
    StarkConfig cfg;
    cfg.check_witness = checked;
    auto proof = stark_prove(p.air(), **pk, *w, cfg);
    if (!proof) return proof.status();
    auto pub = public_inputs(p, pv0);
    if (!pub) return pub.status();
    set_segment_publics(*pub, s, true, state, SegmentState{});
    auto input = parse_public_input(pv0.public_input);
    if (!input) return input.status();
    auto its = io_public_interactions(
        *input, std::span<const uint8_t>(t.end.output).subspan(state.output), state.output);
    const auto bound = boundary_interactions(out.keys, image, out.exit_values);
    its.insert(its.end(), bound.begin(), bound.end());
    return verify_segment_proof(p, *proof, *pub, its, VerifyOptions{});
  }
  return internal_error("no segments");
}

void expect_value_stack_forgeries_rejected(bool indirect) {
  const auto base = big_frame_module(kBigLocals, 0, indirect);
  const auto bp = load_program(base);
  const wasm::Trace bt = run_traced(base, "pad", {0});
  // The control: the honest trap's last segment proves and verifies.
  const Status honest = prove_last_segment(*bp, bt, {0}, true);
  ASSERT_TRUE(honest.is_ok()) << honest.to_string();
  // A frame that fits by one slot: `pad` chosen so that some call's frame ends at exactly 2^20,
  // traced under max_stack_slots = 2^20 - 1 (where the runtime traps on it).
  // Consecutive frames of `big` are `step` slots apart (the sp of its last two calls).
  std::vector<uint32_t> call_sps;
  for (const auto& st : bt.steps)
    if (bp->module().code[st.pc].op == Op::kCall || bp->module().code[st.pc].op == Op::kCallIndirect)
      call_sps.push_back(st.sp);
  ASSERT_GE(call_sps.size(), 2u);
  const uint64_t step = call_sps.back() - call_sps[call_sps.size() - 2];
  const uint64_t pad = uint64_t(L::kMaxStackSlots) - (frame_end(*bp, bt) - step);
  ASSERT_LE(pad, uint64_t(kBigLocals));
  const auto bytes = big_frame_module(kBigLocals, uint32_t(pad), indirect);
  const auto p = load_program(bytes);
  wasm::RuntimeLimits tight;
  tight.max_stack_slots = L::kMaxStackSlots - 1;
  const wasm::Trace t = run_traced(bytes, "pad", {0}, tight);
  ASSERT_EQ(t.end.trap_code, kCode);
  ASSERT_EQ(frame_end(*p, t), uint64_t(L::kMaxStackSlots));
  const Status refused = prove_last_segment(*p, t, {0}, true);
  ASSERT_FALSE(refused.is_ok());
  // Not a run under the limits a proof fixes: a bad trace.
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("max_stack_slots"), std::string::npos) << refused.message();
  const Status fits = prove_last_segment(*p, t, {0}, false);
  EXPECT_FALSE(fits.is_ok()) << "a trap where the frame fits by 1 slot verified";
  std::printf("  frame fits by 1 slot -> %s\n", fits.message().c_str());
  // The real overflow with another trap code.
  for (uint32_t code : {1u, 12u}) {
    wasm::Trace w = bt;
    w.end.trap_code = code;
    const Status st = prove_last_segment(*bp, w, {0}, false);
    EXPECT_FALSE(st.is_ok()) << "verified with trap code " << code;
    std::printf("  value stack trap with code %u -> %s\n", code, st.message().c_str());
  }
}

TEST(ZkStackTraps, ValueStackLimitForgeriesAreRejected) { expect_value_stack_forgeries_rejected(false); }

// The same at call_indirect: the honest trap's last segment proves (the control inside).
TEST(ZkStackTraps, ValueStackLimitAtCallIndirectProvesAndForgeriesAreRejected) {
  expect_value_stack_forgeries_rejected(true);
}

}  // namespace
}  // namespace efaas::zkwasm
