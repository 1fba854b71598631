// zkWASM and start functions (docs/zkwasm.md, "Start functions"): Program::load runs the start
// function itself (prover and verifier alike) and proofs start from the state it leaves. A call
// on the instantiated module proves; a trace made without the start function, or by a module
// whose start function differs, is rejected; modules whose start function imports, traps or
// runs too long are refused with the reason.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "prover/fri/fri_params.hpp"
#include "prover/wasm/instance.hpp"
#include "prover/zkwasm/test_support.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::zkwasm {
namespace {

using test_support::wat;

// The start function sets a mutable global, grows the memory and writes words below and above
// the initial page; `f` reads them back.
std::string module(int32_t g) {
  return R"((module
  (global $g (mut i32) (i32.const 7))
  (global $k i64 (i64.const 5))
  (memory 1 4)
  (data (i32.const 8) "\01\02\03\04")
  (func $init
    (global.set $g (i32.const )" + std::to_string(g) + R"())
    (drop (memory.grow (i32.const 1)))
    (i32.store (i32.const 8) (i32.const 0x11223344))
    (i64.store (i32.const 60000) (i64.const 0x0102030405060708)))
  (start $init)
  (func (export "f") (param $x i32) (result i64)
    (i64.add
      (i64.add (i64.extend_i32_u (i32.add (global.get $g) (local.get $x)))
               (i64.load (i32.const 60000)))
      (i64.add (i64.extend_i32_u (i32.add (memory.size) (i32.load (i32.const 8))))
               (global.get $k)))))
)";
}

ProveOptions opts(bool checked = true) {
  ProveOptions o;
  o.params = fri_test_preset();
  o.check_trace = checked;
  o.stark.check_witness = checked;
  return o;
}

TEST(ZkStartFunction, CallAfterTheStartFunctionProves) {
  const auto bytes = wat(module(42));
  auto p = Program::load(bytes);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  const auto t = test_support::run_traced(bytes, "f", {3});
  ASSERT_EQ(t.end.status, 0u);
  const uint64_t want = (42 + 3) + 0x0102030405060708ull + (2 + 0x11223344ull) + 5;
  ASSERT_EQ(t.end.results, std::vector<uint64_t>{want});
  ProveOptions o = opts();
  o.args = {3};
  auto b = prove(**p, t, o);
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  auto pv = verify(**p, *b);
  ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
  EXPECT_EQ(pv->results, std::vector<uint64_t>{want});
  // Split into segments too (the initial image reaches the first one on the boundary bus).
  o.segment_log = 4;
  auto s = prove(**p, t, o);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_GT(s->segments.size(), 1u);
  EXPECT_TRUE(verify(**p, *s).is_ok());
  // The proof is of this module's start function: another one (another module hash, another
  // initial state) does not accept it, even with the hash claimed for it.
  auto other = Program::load(wat(module(43)));
  ASSERT_TRUE(other.is_ok());
  EXPECT_FALSE(verify(**other, *b).is_ok());
  Bundle c = *b;
  c.publics.module_hash = (*other)->module_hash();
  EXPECT_FALSE(verify(**other, c).is_ok());
  c = *b;
  c.publics.results = {want + 1};
  EXPECT_FALSE(verify(**p, c).is_ok());
}

// A trace of a run whose start function was skipped (or was another one): its reads see other
// values than the folded initial state holds.
TEST(ZkStartFunction, RunsWithoutOrWithAnotherStartAreRejected) {
  const auto bytes = wat(module(42));
  auto p = Program::load(bytes);
  ASSERT_TRUE(p.is_ok());
  auto m = wasm::load_module(bytes);
  ASSERT_TRUE(m.is_ok());
  // Skipped: instantiated without running the start function.
  wasm::Trace skipped;
  {
    wasm::Linker linker;
    auto inst = wasm::Instance::instantiate(*m, linker, {}, false);
    ASSERT_TRUE(inst.is_ok());
    wasm::MemorySink sink;
    wasm::TraceWriter tw(sink, 1024);
    wasm::TraceHeader h;
    h.gas_limit = 1u << 30;
    h.entry_function = (*m)->find_export("f")->index;
    ASSERT_TRUE(tw.begin(h).is_ok());
    wasm::ExecOptions o;
    o.gas_limit = h.gas_limit;
    o.trace = &tw;
    const uint64_t args[] = {3};
    auto r = (*inst)->invoke(h.entry_function, args, o);
    ASSERT_TRUE(r.is_ok());
    ASSERT_EQ(r->trap, wasm::TrapCode::kNone);
    ASSERT_TRUE(tw.finish(wasm::trace_end(*r, tw.records())).is_ok());
    auto t = wasm::read_trace(sink.data);
    ASSERT_TRUE(t.is_ok());
    skipped = *t;
  }
  // Altered: the trace of a module whose start function stores another global value.
  const wasm::Trace altered = test_support::run_traced(wat(module(1000)), "f", {3});
  const std::pair<const char*, const wasm::Trace*> forged[] = {{"start skipped", &skipped},
                                                              {"start altered", &altered}};
  for (const auto& [what, t] : forged) {
    SCOPED_TRACE(what);
    ProveOptions o = opts();
    o.args = {3};
    EXPECT_FALSE(prove(**p, *t, o).is_ok()) << "the prover's own check missed it";
    ProveOptions off = opts(false);
    off.args = {3};
    auto b = prove(**p, *t, off);
    if (!b.is_ok()) {
      std::printf("  forged %-20s -> not provable: %s\n", what, b.status().message().c_str());
      continue;
    }
    auto v = verify(**p, *b);
    EXPECT_FALSE(v.is_ok()) << "forged proof verified";
    std::printf("  forged %-20s -> %s\n", what, v.status().message().c_str());
  }
}

TEST(ZkStartFunction, UnfoldableStartFunctionsAreRefused) {
  const struct {
    const char* what;
    const char* text;
    StatusCode code;
    const char* message;
  } cases[] = {
      {"imports", R"((module (import "m" "f" (func $f)) (func $s (call $f)) (start $s)
                      (func (export "g") (result i32) (i32.const 1))))",
       StatusCode::kUnimplemented, "a start function in a module with imports"},
      {"traps", R"((module (func $s unreachable) (start $s)
                    (func (export "g") (result i32) (i32.const 1))))",
       StatusCode::kInvalidArgument, "start function traps"},
      {"runs too long", R"((module (func $s (loop $l (br $l))) (start $s)
                           (func (export "g") (result i32) (i32.const 1))))",
       StatusCode::kUnimplemented, "the most the verifier runs it for"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto p = Program::load(wat(c.text));
    ASSERT_FALSE(p.is_ok());
    EXPECT_EQ(p.status().code(), c.code) << p.status().to_string();
    EXPECT_NE(p.status().message().find(c.message), std::string::npos) << p.status().to_string();
  }
}

}  // namespace
}  // namespace efaas::zkwasm
