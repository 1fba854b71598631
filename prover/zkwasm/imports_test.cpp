// zkWASM and imported globals and memory (docs/zkwasm.md, "Imported globals and memory"): their
// values are constants the verifier supplies (ImportValues), committed in the fixed init table.
// A run with the values the runtime linked proves; a verifier that supplies other values
// rejects the proof; a trace run against other values is rejected; a module importing them is
// refused without values, and wrong-shaped values are refused with the reason.
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

// Imports an i32 and a mutable i64 global and a memory of at least 1 page; a defined global and
// a data segment are placed by the imported i32.
const char* kModule = R"((module
  (import "env" "g" (global $g i32))
  (import "env" "h" (global $h (mut i64)))
  (import "env" "mem" (memory 1 3))
  (global $d i32 (global.get $g))
  (data (global.get $g) "\05\06")
  (func (export "f") (param $x i32) (result i64)
    (global.set $h (i64.add (global.get $h) (i64.extend_i32_u (local.get $x))))
    (i64.add (global.get $h)
      (i64.extend_i32_u (i32.add (i32.add (global.get $d) (i32.load16_u (global.get $g)))
                                 (memory.size))))))
)";

// Runs f(x) on an instance linked to globals (g, h) and a fresh memory of `pages`.
wasm::Trace run(const std::vector<uint8_t>& bytes, uint32_t g, uint64_t h, uint32_t pages,
                uint64_t x) {
  auto m = wasm::load_module(bytes);
  EXPECT_TRUE(m.is_ok());
  wasm::Linker linker;
  auto gi = std::make_shared<wasm::GlobalCell>();
  gi->value = g;
  gi->type = (*m)->global_types[0];
  auto hi = std::make_shared<wasm::GlobalCell>();
  hi->value = h;
  hi->type = (*m)->global_types[1];
  auto mem = std::make_shared<wasm::Memory>();
  mem->pages = pages;
  mem->max_pages = 3;
  mem->bytes.assign(size_t(pages) * 65536, 0);
  linker.define("env", "g", wasm::Extern{gi});
  linker.define("env", "h", wasm::Extern{hi});
  linker.define("env", "mem", wasm::Extern{mem});
  auto inst = wasm::Instance::instantiate(*m, linker);
  EXPECT_TRUE(inst.is_ok()) << inst.status().to_string();
  wasm::MemorySink sink;
  wasm::TraceWriter tw(sink, 1024);
  wasm::TraceHeader hd;
  hd.gas_limit = 1u << 30;
  hd.entry_function = (*m)->find_export("f")->index;
  EXPECT_TRUE(tw.begin(hd).is_ok());
  wasm::ExecOptions o;
  o.gas_limit = hd.gas_limit;
  o.trace = &tw;
  const uint64_t args[] = {x};
  auto r = (*inst)->invoke(hd.entry_function, args, o);
  EXPECT_TRUE(r.is_ok());
  EXPECT_TRUE(tw.finish(wasm::trace_end(*r, tw.records())).is_ok());
  auto t = wasm::read_trace(sink.data);
  EXPECT_TRUE(t.is_ok());
  return *t;
}

ProveOptions opts(bool checked = true) {
  ProveOptions o;
  o.params = fri_test_preset();
  o.check_trace = checked;
  o.stark.check_witness = checked;
  o.args = {9};
  return o;
}

TEST(ZkImportValues, SuppliedValuesProveAndOthersAreRejected) {
  const auto bytes = wat(kModule);
  ImportValues iv;
  iv.globals = {100, 1000};
  iv.memory_pages = 2;
  auto p = Program::load(bytes, iv);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  const wasm::Trace t = run(bytes, 100, 1000, 2, 9);
  ASSERT_EQ(t.end.status, 0u);
  const uint64_t want = 1009 + 100 + 0x0605 + 2;
  ASSERT_EQ(t.end.results, std::vector<uint64_t>{want});
  auto b = prove(**p, t, opts());
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  auto pv = verify(**p, *b);
  ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
  EXPECT_EQ(pv->results, std::vector<uint64_t>{want});
  // A verifier supplying other values (each one changed) rejects the proof.
  for (int k = 0; k < 3; ++k) {
    ImportValues other = iv;
    if (k == 0) other.globals[0] = 101;
    if (k == 1) other.globals[1] = 999;
    if (k == 2) other.memory_pages = 3;
    auto q = Program::load(bytes, other);
    ASSERT_TRUE(q.is_ok()) << q.status().to_string();
    EXPECT_FALSE(verify(**q, *b).is_ok()) << "verified under other import values, case " << k;
  }
  // A run against other values, proved as if under iv: the prover refuses it, and with its
  // checks off the verifier rejects it.
  const wasm::Trace t2 = run(bytes, 100, 5, 2, 9);
  EXPECT_FALSE(prove(**p, t2, opts()).is_ok());
  auto f = prove(**p, t2, opts(false));
  if (f.is_ok()) {
    auto v = verify(**p, *f);
    EXPECT_FALSE(v.is_ok()) << "a run with another imported value verified";
    std::printf("  forged run with h = 5 -> %s\n", v.status().message().c_str());
  }
}

TEST(ZkImportValues, MissingOrWrongValuesAreRefused) {
  const auto bytes = wat(kModule);
  auto none = Program::load(bytes);
  ASSERT_FALSE(none.is_ok());
  EXPECT_NE(none.status().message().find("importing globals"), std::string::npos)
      << none.status().to_string();
  ImportValues iv;
  iv.globals = {1, 2};
  auto no_mem = Program::load(bytes, iv);
  ASSERT_FALSE(no_mem.is_ok());
  EXPECT_NE(no_mem.status().message().find("importing their linear memory"), std::string::npos)
      << no_mem.status().to_string();
  iv.memory_pages = 4;  // beyond the import's maximum of 3
  EXPECT_FALSE(Program::load(bytes, iv).is_ok());
  iv.memory_pages = 1;
  iv.globals = {1};
  EXPECT_FALSE(Program::load(bytes, iv).is_ok());
  iv.globals = {uint64_t(1) << 32, 2};  // an i32 global's value beyond 32 bits
  EXPECT_FALSE(Program::load(bytes, iv).is_ok());
}

}  // namespace
}  // namespace efaas::zkwasm
