// zkWASM and linked modules (docs/zkwasm.md, "Linked modules"): a program of several modules
// that import from one another is merged by wasm::link_modules into one combined module, proved
// like any other, with a public module hash that binds every module of the set (link_hash). The
// combined module's results are checked against the runtime's own dynamic linking (separate
// instances, an independent path); a proof for one set is rejected for another set; what the
// static linker cannot merge is refused with its reason.
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
    auto b = prove(**p, t, opts(x));
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    auto pv = verify(**p, *b);
    ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
    EXPECT_EQ(pv->results, want);
    Bundle forged = *b;
    forged.publics.results[0] ^= 1;
    EXPECT_FALSE(verify(**p, forged).is_ok()) << "a forged result verified";
  }
  // Split into segments of 2^4 rows (continuations need nothing of their own here).
  {
    const wasm::Trace t = run_combined(**p, "run", 7);
    ProveOptions o = opts(7);
    o.segment_log = kMinSegmentLog;
    auto b = prove(**p, t, o);
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    EXPECT_GT(b->segments.size(), 1u);
    auto pv = verify(**p, *b);
    ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
    EXPECT_EQ(pv->results, t.end.results);
  }
  // A trap through the shared table (slot 3 is empty) proves with the spec's trap code.
  wasm::TrapCode trap{};
  run_dynamic(lib, app, "bad", 1, &trap);
  ASSERT_EQ(trap, wasm::TrapCode::kUninitializedElement);
  const wasm::Trace t = run_combined(**p, "bad", 1);
  ASSERT_EQ(t.end.trap_code, uint32_t(trap));
  auto b = prove(**p, t, opts(1));
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  auto pv = verify(**p, *b);
  ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
  EXPECT_EQ(pv->trap_code, uint32_t(trap));
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
  auto b = prove(**p, t, opts(4));
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  ASSERT_TRUE(verify(**p, *b).is_ok());
  // The other set's verifier: rejected by the public module hash ...
  EXPECT_FALSE(verify(**q, *b).is_ok());
  // ... and, claiming the other set's hash, by its program commitment.
  Bundle renamed = *b;
  renamed.publics.module_hash = (*q)->module_hash();
  auto v = verify(**q, renamed);
  EXPECT_FALSE(v.is_ok()) << "a proof for one module set verified for another";
  std::printf("  proof under lib(k=5): %s\n", v.status().message().c_str());
  // p's run proved as if it were the other set's (the prover's checks off): the other set's
  // program commitment (lib's other constant) rejects it.
  ProveOptions unchecked = opts(4);
  unchecked.check_trace = false;
  unchecked.stark.check_witness = false;
  auto f = prove(**q, t, unchecked);
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  auto fv = verify(**q, *f);
  EXPECT_FALSE(fv.is_ok()) << "p's run verified as a run of the other set";
  std::printf("  p's run proved under lib(k=5): %s\n", fv.status().message().c_str());
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
  wasm::TraceEnd end;
  end.gas_used = r->gas_used;
  end.instructions = r->instructions;
  end.records = tw.records();
  end.results = r->results;
  ASSERT_TRUE(tw.finish(end).is_ok());
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
  auto b = prove(**p, t, opts(1));
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  auto pv = verify(**p, *b);
  ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
  EXPECT_EQ(pv->results, want);
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
  auto b = prove(**p, *t, test_support::extension_opts(in));
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  auto pv = verify(**p, *b);
  ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
  EXPECT_EQ(pv->output, want);
  Bundle forged = *b;
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
  expect(R"((module (import "lib" "scale" (func (param i32) (result i32))) (memory 1)))",
         StatusCode::kUnimplemented, "linear memory of its own");
  expect(R"((module (table 1 funcref)))", StatusCode::kUnimplemented, "table of its own");
  expect(R"((module (import "lib" "nope" (func))))", StatusCode::kInvalidArgument,
         "unknown import");
  expect(R"((module (import "lib" "scale" (func (param i64) (result i32)))))",
         StatusCode::kInvalidArgument, "incompatible import type");
  expect(R"((module (import "lib" "acc" (global i32))))", StatusCode::kInvalidArgument,
         "incompatible import type");
  // A start function in a module before the last.
  LinkSpec s = spec_of(wat(R"((module (func $s) (start $s)))"), lib);
  auto p = Program::load_linked(s);
  ASSERT_FALSE(p.is_ok());
  EXPECT_EQ(p.status().code(), StatusCode::kUnimplemented) << p.status().to_string();
  EXPECT_FALSE(Program::load_linked(LinkSpec{}).is_ok());
}

}  // namespace
}  // namespace efaas::zkwasm
