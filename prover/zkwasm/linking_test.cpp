// zkWASM and linked modules (docs/zkwasm.md, "Linked modules"): a program of several modules
// that import from one another is merged by wasm::link_modules into one combined module, proved
// like any other, with a public module hash that binds every module of the set (link_hash). The
// combined module's results are checked against the runtime's own dynamic linking (separate
// instances, an independent path); a proof for one set is rejected for another set; what the
// static linker cannot merge is refused with its reason. The state the verifier folds into the
// initial image (start functions of every module in order, a failed last instantiation after
// the entry module, calls before the proved one) is checked the same way, and a run from
// another state is rejected.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "prover/fri/fri_params.hpp"
#include "prover/wasm/extension.hpp"
#include "prover/wasm/instance.hpp"
#include "prover/wasm/static_link.hpp"
#include "prover/zkwasm/test_support.hpp"
#include "prover/zkwasm/zkwasm.hpp"

// prover/wasm/testdata/multi_lib.wat, embedded at build time (efaas_embed_text).
extern const char* const multi_lib_source;

namespace efaas::zkwasm {
namespace {

using test_support::wat;

// "lib": owns the memory, the table and a mutable global; `scale` reads all three.
std::string lib_text(int k) {
  return R"((module
  (memory (export "mem") 1 4)
  (table (export "tab") 4 funcref)
  (global $acc (export "acc") (mut i32) (i32.const 7))
  (global (export "base") i32 (i32.const 1000))
  (func $scale (export "scale") (param $x i32) (result i32)
    (global.set $acc (i32.add (global.get $acc) (local.get $x)))
    (i32.add (i32.mul (local.get $x) (i32.const )" +
         std::to_string(k) + R"())
             (i32.add (global.get $acc) (i32.load (i32.const 16)))))
  (func $twice (param i32) (result i32) (i32.shl (local.get 0) (i32.const 1)))
  (elem (i32.const 0) $twice)
  (data (i32.const 16) "\03\00\00\00"))
)";
}

// "app": imports lib's memory, table, globals and function; puts its own function in the
// shared table, writes lib's memory by a data segment placed by lib's global, calls lib
// directly and through the table (slot 0 holds lib's function, slot 1 its own).
const char* kApp = R"((module
  (import "lib" "mem" (memory 1))
  (import "lib" "tab" (table 2 funcref))
  (import "lib" "scale" (func $scale (param i32) (result i32)))
  (import "lib" "acc" (global $acc (mut i32)))
  (import "lib" "base" (global $base i32))
  (type $t (func (param i32) (result i32)))
  (global $mine i32 (global.get $base))
  (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (elem (i32.const 1) $inc $scale)
  (data (i32.const 20) "\0b\00\00\00")
  (func (export "run") (param $x i32) (result i32)
    (i32.add
      (i32.add (call $scale (local.get $x))
               (call_indirect (type $t) (local.get $x) (i32.const 0)))
      (i32.add (call_indirect (type $t) (local.get $x) (i32.const 1))
               (i32.add (call_indirect (type $t) (i32.const 5) (i32.const 2))
                        (i32.add (global.get $acc)
                                 (i32.add (global.get $mine) (i32.load (i32.const 20))))))))
  (func (export "bad") (param $x i32) (result i32)
    (call_indirect (type $t) (local.get $x) (i32.const 3))))
)";

// The runtime's own linking: lib and app as two instances, app calling into lib.
std::vector<uint64_t> run_dynamic(const std::vector<uint8_t>& lib, const std::vector<uint8_t>& app,
                                  const std::string& fn, uint64_t x, wasm::TrapCode* trap) {
  auto ml = wasm::load_module(lib);
  auto ma = wasm::load_module(app);
  EXPECT_TRUE(ml.is_ok() && ma.is_ok());
  wasm::Linker linker;
  auto il = wasm::Instance::instantiate(*ml, linker);
  EXPECT_TRUE(il.is_ok()) << il.status().to_string();
  linker.define_instance("lib", **il);
  auto ia = wasm::Instance::instantiate(*ma, linker);
  EXPECT_TRUE(ia.is_ok()) << ia.status().to_string();
  const uint64_t args[] = {x};
  auto r = (*ia)->invoke_export(fn, args);
  EXPECT_TRUE(r.is_ok());
  *trap = r->trap;
  return r->results;
}

// Runs export `fn` of a (combined) module with a trace.
wasm::Trace run_combined(const Program& p, const std::string& fn, uint64_t x) {
  wasm::Linker none;
  auto inst = wasm::Instance::instantiate(p.module_ptr(), none);
  EXPECT_TRUE(inst.is_ok()) << inst.status().to_string();
  const wasm::Export* ex = p.module().find_export(fn);
  EXPECT_NE(ex, nullptr);
  const uint64_t args[] = {x};
  return test_support::trace_invoke(**inst, ex->index, args);
}

ProveOptions opts(uint64_t x) {
  ProveOptions o;
  o.params = fri_test_preset();
  o.args = {x};
  return o;
}

// A bundle claiming another result is rejected.
void expect_result_bound(const Program& p, const Bundle& b, const std::string& what = "") {
  Bundle forged = b;
  forged.publics.results[0] ^= 1;
  EXPECT_FALSE(verify(p, forged).is_ok()) << what << "a forged result verified";
}

// A proof for another program verified as q's: rejected by the public module hash and, with
// q's hash claimed, by q's program commitment (`label`: the printed reason's).
void expect_rejected_as(const Program& q, const Bundle& b, const std::string& why,
                        const std::string& label) {
  EXPECT_FALSE(verify(q, b).is_ok()) << why;
  Bundle renamed = b;
  renamed.publics.module_hash = q.module_hash();
  auto v = verify(q, renamed);
  EXPECT_FALSE(v.is_ok()) << why;
  std::printf("  %s: %s\n", label.c_str(), v.status().message().c_str());
}

// Trace `t` proved as a run of p under `o` with the prover's checks off: the verifier rejects
// it (`label`: the printed reason's).
void expect_unchecked_rejected(const Program& p, const wasm::Trace& t, ProveOptions o,
                               const std::string& why, const std::string& label) {
  o.check_trace = false;
  o.stark.check_witness = false;
  auto f = prove(p, t, o);
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  auto fv = verify(p, *f);
  EXPECT_FALSE(fv.is_ok()) << why;
  std::printf("  %s -> %s\n", label.c_str(), fv.status().message().c_str());
}

LinkSpec spec_of(const std::vector<uint8_t>& lib, const std::vector<uint8_t>& app) {
  LinkSpec s;
  s.modules.push_back({"lib", lib});
  s.modules.push_back({"app", app});
  return s;
}

TEST(ZkLinking, SharedTableAndCrossModuleCallsProve) {
  const auto lib = wat(lib_text(3));
  const auto app = wat(kApp);
  auto p = Program::load_linked(spec_of(lib, app));
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  EXPECT_EQ((*p)->module_hash(), link_hash(spec_of(lib, app)));
  EXPECT_NE((*p)->module_hash(), keccak256(app));
  for (const uint64_t x : {uint64_t(4), uint64_t(100)}) {
    wasm::TrapCode trap{};
    const auto want = run_dynamic(lib, app, "run", x, &trap);
    ASSERT_EQ(trap, wasm::TrapCode::kNone);
    const wasm::Trace t = run_combined(**p, "run", x);
    ASSERT_EQ(t.end.status, 0u);
    ASSERT_EQ(t.end.results, want) << "the combined module differs from the runtime's linking";
    const auto run = test_support::prove_linked(**p, t, opts(x));
    ASSERT_TRUE(run);
    EXPECT_EQ(run->publics.results, want);
    expect_result_bound(**p, run->bundle);
  }
  // Split into segments of 2^4 rows (continuations need nothing of their own here).
  {
    const wasm::Trace t = run_combined(**p, "run", 7);
    ProveOptions o = opts(7);
    o.segment_log = kMinSegmentLog;
    const auto run = test_support::prove_linked(**p, t, o);
    ASSERT_TRUE(run);
    EXPECT_GT(run->bundle.segments.size(), 1u);
    EXPECT_EQ(run->publics.results, t.end.results);
  }
  // A trap through the shared table (slot 3 is empty) proves with the spec's trap code.
  wasm::TrapCode trap{};
  run_dynamic(lib, app, "bad", 1, &trap);
  ASSERT_EQ(trap, wasm::TrapCode::kUninitializedElement);
  const wasm::Trace t = run_combined(**p, "bad", 1);
  ASSERT_EQ(t.end.trap_code, uint32_t(trap));
  const auto run = test_support::prove_linked(**p, t, opts(1));
  ASSERT_TRUE(run);
  EXPECT_EQ(run->publics.trap_code, uint32_t(trap));
}

TEST(ZkLinking, ProofIsRejectedWithAnotherLinkedModule) {
  const auto lib = wat(lib_text(3));
  const auto lib2 = wat(lib_text(5));  // another constant in `scale`
  const auto app = wat(kApp);
  auto p = Program::load_linked(spec_of(lib, app));
  auto q = Program::load_linked(spec_of(lib2, app));
  ASSERT_TRUE(p.is_ok() && q.is_ok());
  EXPECT_NE((*p)->module_hash(), (*q)->module_hash());
  const wasm::Trace t = run_combined(**p, "run", 4);
  const auto run = test_support::prove_linked(**p, t, opts(4));
  ASSERT_TRUE(run);
  // The other set's verifier: rejected by the public module hash and, claiming the other
  // set's hash, by its program commitment.
  expect_rejected_as(**q, run->bundle, "a proof for one module set verified for another",
                     "proof under lib(k=5)");
  // p's run proved as if it were the other set's (the prover's checks off): the other set's
  // program commitment (lib's other constant) rejects it.
  expect_unchecked_rejected(**q, t, opts(4), "p's run verified as a run of the other set",
                            "p's run proved under lib(k=5)");
  // The entry module alone, or the set under other names or in another order, is another
  // identity.
  LinkSpec renamed_set = spec_of(lib, app);
  renamed_set.modules[1].name = "other";
  EXPECT_NE(link_hash(renamed_set), (*p)->module_hash());
  LinkSpec swapped = spec_of(lib, app);
  std::swap(swapped.modules[0].bytes, swapped.modules[1].bytes);
  EXPECT_NE(link_hash(swapped), (*p)->module_hash());
}

TEST(ZkLinking, DynamicRuntimeTraceIsNotAProofOfTheSet) {
  // The runtime's own trace of app linked to a lib instance holds app's pcs only (the call into
  // lib runs untraced): proved against the combined module it is refused by the prover's check
  // and, with the checks off, rejected by the verifier.
  const auto lib = wat(lib_text(3));
  const auto app = wat(kApp);
  auto p = Program::load_linked(spec_of(lib, app));
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  auto ml = wasm::load_module(lib);
  auto ma = wasm::load_module(app);
  ASSERT_TRUE(ml.is_ok() && ma.is_ok());
  wasm::Linker linker;
  auto il = wasm::Instance::instantiate(*ml, linker);
  ASSERT_TRUE(il.is_ok());
  linker.define_instance("lib", **il);
  auto ia = wasm::Instance::instantiate(*ma, linker);
  ASSERT_TRUE(ia.is_ok());
  const uint32_t func = (*p)->module().find_export("run")->index;
  wasm::MemorySink sink;
  wasm::TraceWriter tw(sink, 1024);
  wasm::TraceHeader h;
  h.gas_limit = 1u << 30;
  h.entry_function = func;
  ASSERT_TRUE(tw.begin(h).is_ok());
  wasm::ExecOptions o;
  o.gas_limit = h.gas_limit;
  o.trace = &tw;
  const uint64_t args[] = {4};
  auto r = (*ia)->invoke((*ma)->find_export("run")->index, args, o);
  ASSERT_TRUE(r.is_ok());
  ASSERT_TRUE(tw.finish(wasm::trace_end(*r, tw.records())).is_ok());
  auto t = wasm::read_trace(sink.data);
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  auto checked = prove(**p, *t, opts(4));
  EXPECT_FALSE(checked.is_ok()) << "the prover accepted the dynamic runtime's trace";
  ProveOptions unchecked = opts(4);
  unchecked.check_trace = false;
  unchecked.stark.check_witness = false;
  auto f = prove(**p, *t, unchecked);
  if (f.is_ok()) {
    auto v = verify(**p, *f);
    EXPECT_FALSE(v.is_ok()) << "the dynamic runtime's trace verified as a run of the set";
    std::printf("  dynamic trace, checks off -> %s\n", v.status().message().c_str());
  } else {
    std::printf("  dynamic trace, checks off -> prover: %s\n", f.status().message().c_str());
  }
}

TEST(ZkLinking, StartFunctionWithImportsFromTheSet) {
  // A start function that calls into another module of the set and stores into the shared
  // memory: folded like a start function without imports (the verifier runs it).
  const auto lib = wat(lib_text(3));
  const auto app = wat(R"((module
  (import "lib" "mem" (memory 1))
  (import "lib" "scale" (func $scale (param i32) (result i32)))
  (func $init (i32.store (i32.const 40) (call $scale (i32.const 2))))
  (start $init)
  (func (export "run") (param $x i32) (result i32)
    (i32.add (local.get $x) (i32.load (i32.const 40)))))
)");
  auto p = Program::load_linked(spec_of(lib, app));
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  wasm::TrapCode trap{};
  const auto want = run_dynamic(lib, app, "run", 1, &trap);
  const wasm::Trace t = run_combined(**p, "run", 1);
  ASSERT_EQ(t.end.results, want);
  const auto run = test_support::prove_linked(**p, t, opts(1));
  ASSERT_TRUE(run);
  EXPECT_EQ(run->publics.results, want);
}

TEST(ZkLinking, HostFunctionsOfSeveralModulesStayHostCalls) {
  // Both modules import efaas.output_write (one host import in the combined module, after
  // input_size that only the application imports): the library writes through the shared
  // memory, the application too; the output is public.
  const auto lib = wat(R"((module
  (import "efaas" "output_write" (func $out (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "emit") (param $x i32)
    (i32.store (i32.const 8) (local.get $x))
    (call $out (i32.const 8) (i32.const 4))))
)");
  const auto app = wat(R"((module
  (import "efaas" "input_size" (func $isz (param i32) (result i32)))
  (import "lib" "emit" (func $emit (param i32)))
  (import "efaas" "output_write" (func $out (param i32 i32)))
  (import "lib" "memory" (memory 1))
  (data (i32.const 16) "ok")
  (func (export "efaas_main") (result i32)
    (call $emit (i32.add (call $isz (i32.const 0)) (i32.const 0x41414100)))
    (call $out (i32.const 16) (i32.const 2))
    (i32.const 0)))
)");
  auto p = Program::load_linked(spec_of(lib, app));
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  EXPECT_EQ((*p)->module().num_imported_funcs, 2u);
  wasm::ExtensionInput in;
  in.data = {1, 2, 3};
  wasm::MemorySink sink;
  wasm::TraceWriter tw(sink, 1024);
  wasm::ExtensionConfig cfg;
  cfg.trace = &tw;
  auto r = wasm::run_extension((*p)->module_ptr(), in, cfg);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  const std::vector<uint8_t> want = {3, 0x41, 0x41, 0x41, 'o', 'k'};
  ASSERT_EQ(r->output, want);
  auto t = wasm::read_trace(sink.data);
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  const auto run = test_support::prove_linked(**p, *t, test_support::extension_opts(in));
  ASSERT_TRUE(run);
  EXPECT_EQ(run->publics.output, want);
  Bundle forged = run->bundle;
  forged.publics.output[0] ^= 1;
  EXPECT_FALSE(verify(**p, forged).is_ok()) << "a forged output verified";
}

TEST(ZkLinking, WhatCannotBeMergedIsRefused) {
  const auto lib = wat(lib_text(3));
  auto expect = [&](const std::string& app_text, StatusCode code, const std::string& words) {
    auto p = Program::load_linked(spec_of(lib, wat(app_text)));
    ASSERT_FALSE(p.is_ok()) << app_text;
    EXPECT_EQ(p.status().code(), code) << p.status().to_string();
    EXPECT_NE(p.status().message().find(words), std::string::npos) << p.status().to_string();
  };
  // A memory of its own besides lib's (memory 1) in a module calling host functions, which
  // read and write memory 0 (TwoMemoriesAndTwoTablesProve: sets without host calls prove).
  expect(R"((module (import "efaas" "output_write" (func (param i32 i32))) (memory 1)))",
         StatusCode::kUnimplemented, "host functions access memory 0");
  expect(R"((module (import "lib" "nope" (func))))", StatusCode::kInvalidArgument,
         "unknown import");
  expect(R"((module (import "lib" "scale" (func (param i64) (result i32)))))",
         StatusCode::kInvalidArgument, "incompatible import type");
  expect(R"((module (import "lib" "acc" (global i32))))", StatusCode::kInvalidArgument,
         "incompatible import type");
  // A start function in a module before the last: the runtime's combined module cannot say
  // where it runs (Program::load_linked folds it, StartFunctionsRunInInstantiationOrder).
  auto ms = wasm::load_module(wat(R"((module (func $s) (start $s)))"));
  auto ml = wasm::load_module(lib);
  ASSERT_TRUE(ms.is_ok() && ml.is_ok());
  const wasm::LinkInput in[] = {{"s", *ms}, {"lib", *ml}};
  auto linked = wasm::link_modules(in);
  ASSERT_FALSE(linked.is_ok());
  EXPECT_EQ(linked.status().code(), StatusCode::kUnimplemented) << linked.status().to_string();
  EXPECT_FALSE(Program::load_linked(LinkSpec{}).is_ok());
  // An entry module outside the set.
  LinkSpec s = spec_of(lib, wat("(module)"));
  s.entry = 2;
  auto p = Program::load_linked(s);
  ASSERT_FALSE(p.is_ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument) << p.status().to_string();
}

// Start functions in every module: "first" stores and sets its global at instantiation, "second"
// overwrites one of those words by a data segment (segments come after the earlier module's
// start) and its own start reads what the first left. The verifier runs them in that order.
std::string first_text(int stored) {
  return R"((module
  (memory (export "mem") 1 4)
  (global $g (export "g") (mut i32) (i32.const 1))
  (func $init
    (i32.store (i32.const 40) (i32.const )" +
         std::to_string(stored) + R"())
    (i32.store (i32.const 44) (i32.const 0x500))
    (drop (memory.grow (i32.const 1)))
    (global.set $g (i32.add (global.get $g) (i32.load (i32.const 40)))))
  (start $init))
)";
}
const char* kSecond = R"((module
  (import "first" "mem" (memory 1))
  (import "first" "g" (global $g (mut i32)))
  (data (i32.const 44) "\07\00\00\00")
  (func $init
    (i32.store (i32.const 0x10000) (i32.add (global.get $g) (i32.load (i32.const 44))))
    (global.set $g (i32.mul (global.get $g) (i32.const 3))))
  (start $init)
  (func (export "run") (param $x i32) (result i32) (local $i i32)
    (local.set $i (i32.const 8))  ;; a few rows, so that segments of 2^4 rows split it
    (loop $l (br_if $l (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))
    (i32.add (i32.add (local.get $x) (memory.size))
             (i32.add (global.get $g)
                      (i32.add (i32.load (i32.const 40))
                               (i32.add (i32.load (i32.const 44))
                                        (i32.load (i32.const 0x10000))))))))
)";

LinkSpec first_second(int stored) {
  LinkSpec s;
  s.modules.push_back({"first", wat(first_text(stored))});
  s.modules.push_back({"second", wat(kSecond)});
  return s;
}

// The runtime's instances, each instantiated (start included) in order.
uint64_t run_first_second(int stored, uint64_t x) {
  auto m1 = wasm::load_module(wat(first_text(stored)));
  auto m2 = wasm::load_module(wat(kSecond));
  EXPECT_TRUE(m1.is_ok() && m2.is_ok());
  wasm::Linker linker;
  auto i1 = wasm::Instance::instantiate(*m1, linker);
  EXPECT_TRUE(i1.is_ok()) << i1.status().to_string();
  linker.define_instance("first", **i1);
  auto i2 = wasm::Instance::instantiate(*m2, linker);
  EXPECT_TRUE(i2.is_ok()) << i2.status().to_string();
  const uint64_t args[] = {x};
  auto r = (*i2)->invoke_export("run", args);
  EXPECT_TRUE(r.is_ok() && r->trap == wasm::TrapCode::kNone);
  return r->results.at(0);
}

TEST(ZkLinking, StartFunctionsRunInInstantiationOrder) {
  auto p = Program::load_linked(first_second(9));
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  EXPECT_FALSE((*p)->module().start.has_value());
  // first: [40] = 9, [44] = 0x500, 2 pages, g = 10; second's segment: [44] = 7; second's start:
  // [0x10000] = 10 + 7, g = 30. run(x) = x + 2 + 30 + 9 + 7 + 17.
  const uint64_t want = run_first_second(9, 5);
  ASSERT_EQ(want, 5u + 2 + 30 + 9 + 7 + 17);
  const wasm::Trace t = run_combined(**p, "run", 5);
  ASSERT_EQ(t.end.results, std::vector<uint64_t>{want});
  const auto run = test_support::prove_linked(**p, t, opts(5));
  ASSERT_TRUE(run);
  EXPECT_EQ(run->publics.results, std::vector<uint64_t>{want});
  expect_result_bound(**p, run->bundle);
  {  // Split: the folded state is the first segment's initial image.
    ProveOptions o = opts(5);
    o.segment_log = kMinSegmentLog;
    const auto split = test_support::prove_linked(**p, t, o);
    ASSERT_TRUE(split);
    EXPECT_GT(split->bundle.segments.size(), 1u);
    EXPECT_EQ(split->publics.results, std::vector<uint64_t>{want});
  }
  // A first module whose start stores another value: another set (by its hash, also when the
  // bundle claims that hash: the proof's public inputs hold the one it was made for).
  auto q = Program::load_linked(first_second(8));
  ASSERT_TRUE(q.is_ok()) << q.status().to_string();
  expect_rejected_as(**q, run->bundle, "a proof verified under another first module's start",
                     "proof under first(8)");
  // The run from the state with the first start function skipped (its function kept, so that
  // indices match): refused by the prover's check and, with the checks off, rejected by the
  // verifier.
  LinkSpec skipped = first_second(9);
  skipped.modules[0].bytes = wat(R"((module
  (memory (export "mem") 2 4)
  (global $g (export "g") (mut i32) (i32.const 1))
  (func $init)))");
  auto r = Program::load_linked(skipped);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  const wasm::Trace other = run_combined(**r, "run", 5);
  ASSERT_NE(other.end.results, t.end.results);
  EXPECT_FALSE(prove(**p, other, opts(5)).is_ok()) << "the prover accepted a run from another state";
  expect_unchecked_rejected(**p, other, opts(5),
                            "a run from the state without the first start function verified",
                            "run without first's start, checks off");
}

// linking.wast's "$Ms": an instantiation that imports Ms's memory and table, writes both by its
// segments and then traps in its start function. The store keeps the writes (the spec's MVP
// semantics, the runtime's too); Ms's exports are proved on that state with the failed module as
// the last of the set and Ms the entry.
const char* kMs = R"((module
  (type $t (func (result i32)))
  (memory (export "memory") 1)
  (table (export "table") 1 funcref)
  (func (export "get memory[0]") (type $t) (i32.load8_u (i32.const 0)))
  (func (export "get table[0]") (type $t) (call_indirect (type $t) (i32.const 0))))
)";
const char* kFailing = R"((module
  (import "Ms" "memory" (memory 1))
  (import "Ms" "table" (table 1 funcref))
  (data (i32.const 0) "hello")
  (elem (i32.const 0) $f)
  (func $f (result i32) (i32.const 0xdead))
  (func $main (unreachable))
  (start $main))
)";

LinkSpec after_failure() {
  LinkSpec s;
  s.modules.push_back({"Ms", wat(kMs)});
  s.modules.push_back({"", wat(kFailing)});
  s.entry = 0;
  return s;
}

TEST(ZkLinking, FailedInstantiationLeavesItsSegments) {
  // The runtime: Ms, then the failing module (its start traps, its segments stay).
  auto mm = wasm::load_module(wat(kMs));
  auto mf = wasm::load_module(wat(kFailing));
  ASSERT_TRUE(mm.is_ok() && mf.is_ok());
  wasm::Linker linker;
  auto ims = wasm::Instance::instantiate(*mm, linker);
  ASSERT_TRUE(ims.is_ok());
  linker.define_instance("Ms", **ims);
  auto ifail = wasm::Instance::instantiate(*mf, linker, {}, false);
  ASSERT_TRUE(ifail.is_ok()) << ifail.status().to_string();
  ASSERT_FALSE((*ifail)->run_start().is_ok());

  const LinkSpec spec = after_failure();
  auto p = Program::load_linked(spec);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  EXPECT_EQ((*p)->module_hash(), link_hash(spec));
  LinkSpec last = spec;
  last.entry.reset();
  EXPECT_NE(link_hash(last), link_hash(spec)) << "the entry module is not bound";
  auto alone = Program::load(wat(kMs));
  ASSERT_TRUE(alone.is_ok());
  for (const char* fn : {"get memory[0]", "get table[0]"}) {
    auto want = (*ims)->invoke_export(fn, {});
    ASSERT_TRUE(want.is_ok() && want->trap == wasm::TrapCode::kNone);
    ASSERT_EQ(want->results, std::vector<uint64_t>{std::string(fn) == "get memory[0]" ? 104u
                                                                                     : 0xdeadu});
    const wasm::Export* ex = (*p)->module().find_export(fn);
    ASSERT_NE(ex, nullptr);
    wasm::Linker none;
    auto inst = wasm::Instance::instantiate((*p)->module_ptr(), none);
    ASSERT_TRUE(inst.is_ok()) << inst.status().to_string();
    const wasm::Trace t = test_support::trace_invoke(**inst, ex->index, {});
    ASSERT_EQ(t.end.results, want->results) << fn;
    ProveOptions o;
    o.params = fri_test_preset();
    const auto run = test_support::prove_linked(**p, t, o);
    ASSERT_TRUE(run);
    EXPECT_EQ(run->publics.results, want->results);
    expect_result_bound(**p, run->bundle, std::string(fn) + ": ");
    // Not a proof about Ms alone (its memory and table as instantiated): by the hash, and with
    // Ms's hash claimed, by the program commitment.
    expect_rejected_as(**alone, run->bundle, std::string(fn) + ": verified as Ms alone",
                       std::string(fn) + " under Ms alone");
  }
  // Ms alone's run (memory[0] = 0) proved as the set's, the prover's checks off: rejected.
  const wasm::Export* ex = (*alone)->module().find_export("get memory[0]");
  wasm::Linker none;
  auto fresh = wasm::Instance::instantiate((*alone)->module_ptr(), none);
  ASSERT_TRUE(fresh.is_ok());
  const wasm::Trace t0 = test_support::trace_invoke(**fresh, ex->index, {});
  ASSERT_EQ(t0.end.results, std::vector<uint64_t>{0});
  ProveOptions unchecked;
  unchecked.params = fri_test_preset();
  expect_unchecked_rejected(**p, t0, unchecked,
                            "a run from Ms's own initial state verified as after the failure",
                            "Ms's fresh run as the set's, checks off");

  // A trapping start is an instantiation failure anywhere else: in the entry module, or before
  // the last.
  LinkSpec entry_last = spec;
  entry_last.entry.reset();
  auto e1 = Program::load_linked(entry_last);
  ASSERT_FALSE(e1.is_ok());
  EXPECT_EQ(e1.status().code(), StatusCode::kInvalidArgument) << e1.status().to_string();
  EXPECT_NE(e1.status().message().find("traps"), std::string::npos) << e1.status().to_string();
  LinkSpec middle = spec;
  middle.modules.push_back({"", wat("(module)")});
  auto e2 = Program::load_linked(middle);
  ASSERT_FALSE(e2.is_ok());
  EXPECT_EQ(e2.status().code(), StatusCode::kInvalidArgument) << e2.status().to_string();
}

// Calls the verifier runs before the proved one (LinkSpec::calls): `bump` adds to a global and
// a memory word and grows the memory, `get` reads them; the second bump traps after its store.
const char* kCounter = R"((module
  (memory 1 4)
  (global $n (mut i32) (i32.const 0))
  (func (export "bump") (param $x i32)
    (global.set $n (i32.add (global.get $n) (local.get $x)))
    (i32.store (i32.const 8) (i32.add (i32.load (i32.const 8)) (i32.mul (local.get $x) (i32.const 10))))
    (drop (memory.grow (i32.const 1)))
    (if (i32.eq (local.get $x) (i32.const 7)) (then unreachable)))
  (func (export "get") (result i32)
    (i32.add (i32.add (global.get $n) (i32.load (i32.const 8))) (memory.size))))
)";

LinkSpec counter_after(std::vector<uint64_t> bumps) {
  LinkSpec s;
  s.modules.push_back({"", wat(kCounter)});
  for (uint64_t x : bumps) s.calls.push_back({"bump", {x}});
  return s;
}

TEST(ZkLinking, CallsBeforeTheProvedOneAreReplayedByTheVerifier) {
  auto mc = wasm::load_module(wat(kCounter));
  ASSERT_TRUE(mc.is_ok());
  wasm::Linker nothing;
  auto made = wasm::Instance::instantiate(*mc, nothing);
  ASSERT_TRUE(made.is_ok());
  wasm::Instance* inst = made->get();
  for (const uint64_t x : {uint64_t(5), uint64_t(7)}) {
    const uint64_t args[] = {x};
    auto r = inst->invoke_export("bump", args);
    ASSERT_TRUE(r.is_ok());
    EXPECT_EQ(r->trap == wasm::TrapCode::kNone, x == 5);
  }
  auto want = inst->invoke_export("get", {});
  ASSERT_TRUE(want.is_ok());
  ASSERT_EQ(want->results, std::vector<uint64_t>{12 + 120 + 3});

  auto p = Program::load_linked(counter_after({5, 7}));
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  EXPECT_NE((*p)->module_hash(), keccak256(wat(kCounter)));
  EXPECT_NE((*p)->module_hash(), link_hash(counter_after({7, 5})));
  wasm::Linker none;
  auto fresh = wasm::Instance::instantiate((*p)->module_ptr(), none);
  ASSERT_TRUE(fresh.is_ok());
  const uint32_t get = (*p)->module().find_export("get")->index;
  const wasm::Trace t = test_support::trace_invoke(**fresh, get, {});
  ASSERT_EQ(t.end.results, want->results);
  ProveOptions o;
  o.params = fri_test_preset();
  const auto run = test_support::prove_linked(**p, t, o);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->publics.results, want->results);
  expect_result_bound(**p, run->bundle);
  // Other calls before it: another statement (by the hash, also when the bundle claims it).
  auto q = Program::load_linked(counter_after({5}));
  ASSERT_TRUE(q.is_ok()) << q.status().to_string();
  expect_rejected_as(**q, run->bundle,
                     "a proof after bump(5), bump(7) verified after bump(5) alone",
                     "proof under calls {bump(5)}");
  // The run after bump(5) alone proved as the run after both, the prover's checks off.
  wasm::Linker none2;
  auto other = wasm::Instance::instantiate((*q)->module_ptr(), none2);
  ASSERT_TRUE(other.is_ok());
  const wasm::Trace t1 = test_support::trace_invoke(**other, get, {});
  ASSERT_NE(t1.end.results, t.end.results);
  EXPECT_FALSE(prove(**p, t1, o).is_ok()) << "the prover accepted a run from another state";
  expect_unchecked_rejected(**p, t1, o, "a run from the state after bump(5) verified after both",
                            "run after bump(5) only, checks off");
  // Calls the verifier cannot run are refused with their reason.
  LinkSpec unknown = counter_after({});
  unknown.calls.push_back({"nope", {}});
  auto e1 = Program::load_linked(unknown);
  ASSERT_FALSE(e1.is_ok());
  EXPECT_EQ(e1.status().code(), StatusCode::kInvalidArgument) << e1.status().to_string();
  LinkSpec arity = counter_after({});
  arity.calls.push_back({"bump", {}});
  auto e2 = Program::load_linked(arity);
  ASSERT_FALSE(e2.is_ok());
  EXPECT_EQ(e2.status().code(), StatusCode::kInvalidArgument) << e2.status().to_string();
  const auto looping = wat(R"((module (func (export "spin") (loop (br 0)))))");
  LinkSpec spin;
  spin.modules.push_back({"", looping});
  spin.calls.push_back({"spin", {}});
  auto e3 = Program::load_linked(spin);
  ASSERT_FALSE(e3.is_ok());
  EXPECT_EQ(e3.status().code(), StatusCode::kUnimplemented) << e3.status().to_string();
}

// --- Several memories and tables (docs/zkwasm.md, "Linked modules") ------------------------
// linking.wast's $Mm / $Nm and $Mt / $Nt, extended: "Nm" has a memory and a table of its own
// besides "Mm"'s (memory / table 1 of the combined module), calls into Mm, re-exports its load.
// Mm is prover/wasm/testdata/multi_lib.wat, the runtime tests' library too (its "grow" export
// goes unused here).
const char* const kMultiLib = multi_lib_source;
const char* kMultiApp = R"((module
  (type $r (func (result i32)))
  (func $loadM (import "Mm" "load") (param i32) (result i32))
  (func $storeM (import "Mm" "store") (param i32 i32))
  (func $sizeM (import "Mm" "size") (result i32))
  (func $f (import "Mm" "call") (param i32) (result i32))
  (func $h (import "Mm" "h") (result i32))
  (memory 2 3)
  (data (i32.const 10) "\f0\f1\f2\f3\f4\f5")
  (table funcref (elem $g $g $g $h $f))
  (func $g (result i32) (i32.const 5))
  (export "Mm.load" (func $loadM))
  (export "Mt.call" (func $f))
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "call") (param i32) (result i32) (call_indirect (type $r) (local.get 0)))
  ;; Both memories: a store to each, then both reads at 12 (and an unaligned i64 of its own).
  (func (export "both") (param i32) (result i32)
    (call $storeM (i32.const 12) (local.get 0))
    (i32.store8 (i32.const 12) (i32.add (local.get 0) (i32.const 1)))
    (i32.add (i32.add (i32.mul (call $loadM (i32.const 12)) (i32.const 1000))
                      (i32.load8_u (i32.const 12)))
             (i32.wrap_i64 (i64.shr_u (i64.load (i32.const 9)) (i64.const 40)))))
  ;; Growing its memory leaves Mm's size: 100 * own + Mm's, after growing by the argument.
  (func (export "grow") (param i32) (result i32)
    (drop (memory.grow (local.get 0)))
    (i32.add (i32.mul (memory.size) (i32.const 100)) (call $sizeM)))
  ;; Both tables in one run: its own slot 0 (5) plus Mm's slot 2 through Mm's call (4).
  (func (export "calls") (param i32) (result i32)
    (i32.add (call_indirect (type $r) (local.get 0)) (call $f (i32.const 2)))))
)";

LinkSpec multi_spec() {
  LinkSpec s;
  s.modules.push_back({"Mm", wat(kMultiLib)});
  s.modules.push_back({"Nm", wat(kMultiApp)});
  return s;
}

// The runtime's dynamic linking of the same two modules (export `fn` of Nm).
wasm::ExecResult run_multi_dynamic(const std::string& fn, const std::vector<uint64_t>& args) {
  auto ml = wasm::load_module(wat(kMultiLib));
  auto ma = wasm::load_module(wat(kMultiApp));
  EXPECT_TRUE(ml.is_ok() && ma.is_ok());
  wasm::Linker linker;
  auto il = wasm::Instance::instantiate(*ml, linker);
  EXPECT_TRUE(il.is_ok()) << il.status().to_string();
  linker.define_instance("Mm", **il);
  auto ia = wasm::Instance::instantiate(*ma, linker);
  EXPECT_TRUE(ia.is_ok()) << ia.status().to_string();
  auto r = (*ia)->invoke_export(fn, args);
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return *r;
}

wasm::Trace run_traced_args(const Program& p, const std::string& fn,
                            const std::vector<uint64_t>& args) {
  wasm::Linker none;
  auto inst = wasm::Instance::instantiate(p.module_ptr(), none);
  EXPECT_TRUE(inst.is_ok()) << inst.status().to_string();
  const wasm::Export* ex = p.module().find_export(fn);
  EXPECT_NE(ex, nullptr) << fn;
  return test_support::trace_invoke(**inst, ex->index, args);
}

TEST(ZkLinking, TwoMemoriesAndTwoTablesProve) {
  auto p = Program::load_linked(multi_spec());
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  ASSERT_EQ((*p)->module().memories.size(), 2u);
  ASSERT_EQ((*p)->module().tables.size(), 2u);
  struct Case {
    const char* fn;
    std::vector<uint64_t> args;
    uint64_t want;  // the spec's value or ours, checked against the runtime's linking too
  };
  const Case cases[] = {{"Mm.load", {12}, 2},       {"load", {12}, 0xf2},
                        {"both", {7}, 7008 + 0xf5f4}, {"grow", {1}, 301},
                        {"call", {3}, 0xFFFFFFFC},  {"Mt.call", {2}, 4},
                        {"calls", {1}, 9}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.fn);
    const wasm::ExecResult want = run_multi_dynamic(c.fn, c.args);
    ASSERT_EQ(want.trap, wasm::TrapCode::kNone) << want.trap_message;
    ASSERT_EQ(want.results, std::vector<uint64_t>{c.want});
    const wasm::Trace t = run_traced_args(**p, c.fn, c.args);
    ASSERT_EQ(t.end.status, 0u);
    ASSERT_EQ(t.end.results, want.results) << "the combined module differs from the runtime";
    ProveOptions o = opts(0);
    o.args = c.args;
    auto b = prove(**p, t, o);
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    auto pv = verify(**p, *b);
    ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
    EXPECT_EQ(pv->results, want.results);
    Bundle forged = *b;
    forged.publics.results[0] ^= 1;
    EXPECT_FALSE(verify(**p, forged).is_ok()) << "a forged result verified";
  }
  // Traps through the other table: Mt's empty slot 1, beyond Nm's 5 slots, another type.
  const std::pair<const char*, uint64_t> traps[] = {{"Mt.call", 1}, {"call", 7}, {"call", 4}};
  for (const auto& [fn, x] : traps) {
    SCOPED_TRACE(fn);
    const wasm::ExecResult want = run_multi_dynamic(fn, {x});
    ASSERT_NE(want.trap, wasm::TrapCode::kNone);
    const wasm::Trace t = run_traced_args(**p, fn, {x});
    ASSERT_EQ(t.end.trap_code, uint32_t(want.trap));
    auto b = prove(**p, t, opts(x));
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    auto pv = verify(**p, *b);
    ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
    EXPECT_EQ(pv->trap_code, uint32_t(want.trap));
  }
  // Split into segments of 2^4 rows: memory 1's words and size cell cross the boundaries.
  {
    const wasm::Trace t = run_traced_args(**p, "both", {9});
    ProveOptions o = opts(9);
    o.segment_log = 4;
    auto b = prove(**p, t, o);
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    EXPECT_GT(b->segments.size(), 1u);
    auto pv = verify(**p, *b);
    ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
    EXPECT_EQ(pv->results, t.end.results);
  }
}

// Start functions in both modules of a two-memory set: each writes and grows its own memory
// (the second after reading the first's through a call), and the verifier folds both memories'
// words and page counts into the initial image.
TEST(ZkLinking, StartFunctionsWithTwoMemories) {
  const char* first = R"((module
    (memory (export "mem") 1 4)
    (func $init (i32.store8 (i32.const 5) (i32.const 42)) (drop (memory.grow (i32.const 1))))
    (start $init)
    (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
    (func (export "size") (result i32) (memory.size))))";
  const char* second = R"((module
    (import "first" "load" (func $loadM (param i32) (result i32)))
    (import "first" "size" (func $sizeM (result i32)))
    (memory 1 3)
    (func $init
      (i32.store8 (i32.const 5) (i32.add (call $loadM (i32.const 5)) (i32.const 1)))
      (drop (memory.grow (i32.const 2))))
    (start $init)
    (func (export "run") (param i32) (result i32)
      (i32.add (i32.add (i32.load8_u (local.get 0))
                        (i32.mul (call $loadM (local.get 0)) (i32.const 1000)))
               (i32.add (i32.mul (memory.size) (i32.const 100000))
                        (i32.mul (call $sizeM) (i32.const 1000000)))))))";
  LinkSpec spec;
  spec.modules.push_back({"first", wat(first)});
  spec.modules.push_back({"second", wat(second)});
  // The runtime's instances, each started at instantiation.
  auto m1 = wasm::load_module(spec.modules[0].bytes);
  auto m2 = wasm::load_module(spec.modules[1].bytes);
  ASSERT_TRUE(m1.is_ok() && m2.is_ok());
  wasm::Linker linker;
  auto i1 = wasm::Instance::instantiate(*m1, linker);
  ASSERT_TRUE(i1.is_ok()) << i1.status().to_string();
  linker.define_instance("first", **i1);
  auto i2 = wasm::Instance::instantiate(*m2, linker);
  ASSERT_TRUE(i2.is_ok()) << i2.status().to_string();
  auto want = (*i2)->invoke_export("run", std::vector<uint64_t>{5});
  ASSERT_TRUE(want.is_ok() && want->trap == wasm::TrapCode::kNone);
  ASSERT_EQ(want->results, std::vector<uint64_t>{43 + 42000 + 300000 + 2000000});
  auto p = Program::load_linked(spec);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  const wasm::Trace t = run_traced_args(**p, "run", {5});
  ASSERT_EQ(t.end.results, want->results) << "the folded start functions differ from the runtime";
  auto b = prove(**p, t, opts(5));
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  auto pv = verify(**p, *b);
  ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
  EXPECT_EQ(pv->results, want->results);
  Bundle forged = *b;
  forged.publics.results[0] ^= 1;
  EXPECT_FALSE(verify(**p, forged).is_ok()) << "a forged result verified";
}

// Forgeries of the memory or table an instruction names. `honest` and `forged` are link sets
// whose combined modules have the same code, memories, tables and data, except that the
// instructions of module "N" name memory (table) 1 in `honest` and 0 in `forged` (N imports X's
// memory or M's). The forged set's run (an honest run of that module) is laid out as a witness,
// its instruction rows given the honest program's immediates and the honest module hash, and
// proved with the honest program's key: only the constraints binding the memory id (the
// mem_access tuple's imm_b2 entry) or the table id (slot + 2^28 imm_a) to the program can
// reject it. Returns the verifier's answer.
Status prove_as_honest(const Program& honest, const Program& forged, const std::string& fn,
                       const std::vector<uint64_t>& args, uint64_t* forged_result) {
  namespace L = layout;
  using E = L::Exec;
  using P = L::Prog;
  const wasm::Trace t = run_traced_args(forged, fn, args);
  EXPECT_EQ(t.end.status, 0u);
  *forged_result = t.end.results.empty() ? 0 : t.end.results[0];
  PublicValues pv;
  WitnessOptions wo;
  wo.args = args;
  auto w = build_witness(forged, t, wo, pv);
  if (!w.is_ok()) return w.status();
  std::vector<Fp>& ex = w->main[L::kExec];
  const size_t rows = ex.size() / E::kWidth;
  const std::vector<Fp>& prog = honest.fixed_columns()[L::kProgram];
  const size_t prows = prog.size() / P::kPreWidth;
  size_t changed = 0;
  for (size_t r = 0; r < rows; ++r) {
    if (ex[E::kReal * rows + r] != Fp::one() || ex[E::kIo * rows + r] != Fp::zero() ||
        ex[E::kZflag * rows + r] != Fp::zero()) {
      continue;
    }
    const uint64_t pc = ex[E::kPc * rows + r].to_canonical();
    if (pc >= honest.module().code.size()) continue;
    for (uint32_t j = 0; j < 5; ++j) {  // imm_a, imm_b limbs
      Fp& cell = ex[(j == 0 ? E::kImmA : E::kImmB + j - 1) * rows + r];
      const Fp want = prog[(j == 0 ? P::kImmA : P::kImmB + j - 1) * prows + pc];
      changed += cell != want;
      cell = want;
    }
  }
  EXPECT_GT(changed, 0u) << "the forged run names the same memories and tables";
  pv.module_hash = honest.module_hash();
  for (uint32_t j = 0; j < 16; ++j) {
    w->publics[L::kPubHash + j] =
        Fp::from_u32(uint32_t(pv.module_hash[2 * j]) | (uint32_t(pv.module_hash[2 * j + 1]) << 8));
  }
  auto pk = honest.proving_key(fri_test_preset());
  if (!pk.is_ok()) return pk.status();
  return test_support::prove_and_verify(honest, **pk, *w, pv, false);
}

// M and X own memories (0 and 1) and tables (0 and 1) with different contents and sizes; N
// uses X's (honest) or M's (forged).
const char* kOwnerM = R"((module
  (type $r (func (result i32)))
  (memory (export "mem") 2 5)
  (data (i32.const 8) "\11\12\13\14")
  (table (export "tab") 4 funcref)
  (elem (i32.const 0) $a $b)
  (func $a (result i32) (i32.const 10))
  (func $b (result i32) (i32.const 11)))
)";
const char* kOwnerX = R"((module
  (type $r (func (result i32)))
  (memory (export "mem") 1 5)
  (data (i32.const 8) "\aa\ab\ac\ad")
  (table (export "tab") 4 funcref)
  (elem (i32.const 0) $c $d)
  (func $c (result i32) (i32.const 20))
  (func $d (result i32) (i32.const 21))
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0))))
)";
std::string user_text(const char* owner) {
  return std::string(R"((module
  (type $r (func (result i32)))
  (import "X" "load" (func $xload (param i32) (result i32)))
  (import ")") + owner + R"(" "mem" (memory 1))
  (import ")" + owner + R"(" "tab" (table 2 funcref))
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
  ;; The store is the only row that differs: X's own load reads memory 1 in both sets.
  (func (export "store") (param i32) (result i32)
    (i32.store8 (i32.const 8) (local.get 0))
    (call $xload (i32.const 8)))
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "call") (param i32) (result i32) (call_indirect (type $r) (local.get 0))))
)";
}
LinkSpec owner_spec(const char* owner) {
  LinkSpec s;
  s.modules.push_back({"M", wat(kOwnerM)});
  s.modules.push_back({"X", wat(kOwnerX)});
  s.modules.push_back({"N", wat(user_text(owner))});
  return s;
}

TEST(ZkLinking, AnotherMemoryOrTableThanTheProgramsIsRejected) {
  auto honest = Program::load_linked(owner_spec("X"));
  auto forged = Program::load_linked(owner_spec("M"));
  ASSERT_TRUE(honest.is_ok()) << honest.status().to_string();
  ASSERT_TRUE(forged.is_ok()) << forged.status().to_string();
  ASSERT_EQ((*honest)->module().code.size(), (*forged)->module().code.size());
  struct Case {
    const char* what;
    const char* fn;
    std::vector<uint64_t> args;
    uint64_t honest_result, forged_result;
  };
  const Case cases[] = {
      {"load of memory 0's cell", "load", {9}, 0xab, 0x12},
      {"store to memory 0", "store", {0x77}, 0x77, 0xaa},
      {"memory.size of memory 0", "size", {}, 1, 2},
      {"memory.grow of memory 0", "grow", {1}, 1, 2},
      {"call_indirect through table 0", "call", {1}, 21, 11},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    // The honest set proves its run (through the same helper: nothing changed).
    {
      const wasm::Trace t = run_traced_args(**honest, c.fn, c.args);
      ASSERT_EQ(t.end.results, std::vector<uint64_t>{c.honest_result});
      ProveOptions o = opts(0);
      o.args = c.args;
      auto b = prove(**honest, t, o);
      ASSERT_TRUE(b.is_ok()) << b.status().to_string();
      ASSERT_TRUE(verify(**honest, *b).is_ok());
    }
    uint64_t got = 0;
    const Status s = prove_as_honest(**honest, **forged, c.fn, c.args, &got);
    EXPECT_EQ(got, c.forged_result);
    EXPECT_FALSE(s.is_ok()) << "a run naming another memory or table verified";
    std::printf("  forged %-32s -> %s\n", c.what, s.message().c_str());
  }
}

}  // namespace
}  // namespace efaas::zkwasm
