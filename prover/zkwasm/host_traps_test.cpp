// zkWASM host traps (docs/zkwasm.md, "Traps", "Host I/O"): efaas.abort proves with its code
// public, in one segment and as the last segment of a split run; forgeries made with the
// prover's checks off that the verifier must reject: an abort claimed at another host call or at
// another module's import, another trap code, another abort code in the public values, and an
// honest proof checked against tampered public values.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "prover/fri/fri_params.hpp"
#include "prover/wasm/extension.hpp"
#include "prover/wasm/instance.hpp"
#include "prover/zkwasm/layout.hpp"
#include "prover/zkwasm/test_support.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::zkwasm {
namespace {

namespace L = layout;
using wasm::Op;
using test_support::claim_trap_at;
using test_support::expect_forgery_rejected;
using test_support::extension_opts;
using test_support::wat;

constexpr uint32_t kAbort = uint32_t(wasm::TrapCode::kHostAbort);
static_assert(kAbort == L::kTrapHostAbort);

// An Extension that writes 12 bytes, then loops `spins` times, then aborts with `code` when its
// Data is empty (and returns 0 otherwise). `spins` makes the run long enough to split.
std::string abort_ext(int32_t code, uint32_t spins = 0) {
  return R"((module
  (import "efaas" "input_size" (func $isz (param i32) (result i32)))
  (import "efaas" "output_write" (func $out (param i32 i32)))
  (import "efaas" "abort" (func $abort (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello, abort")
  (func (export "efaas_main") (result i32) (local $i i32)
    (call $out (i32.const 16) (i32.const 12))
    )" + test_support::spin_wat(spins) + R"(
    (if (i32.eqz (call $isz (i32.const 0)))
      (then (call $abort (i32.const )" +
         std::to_string(code) + R"())))
    (i32.const 0)))
)";
}

// Proves and verifies an honest aborting run; checks the public values and that the proof fails
// against tampered ones (another abort code, trap code, or a return).
void expect_abort_proves(const test_support::ExtensionRun& e, int32_t code,
                         uint32_t segment_log = kDefaultSegmentLog, bool split = false) {
  ASSERT_EQ(e.result.trap, wasm::TrapCode::kHostAbort);
  ASSERT_EQ(e.trace.end.trap_code, kAbort);
  // The claim's status 1, trap code, gas, instructions and output are the runtime's.
  const Bundle back = test_support::expect_extension_proves(e, segment_log);
  ASSERT_FALSE(back.segments.empty()) << "not proved";
  if (split) {
    EXPECT_GT(back.segments.size(), 2u);
  } else {
    EXPECT_EQ(back.segments.size(), 1u);
  }
  auto pv = verify(*e.program, back);
  ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
  EXPECT_EQ(pv->abort_code, uint32_t(code));
  EXPECT_TRUE(pv->results.empty());
  for (uint32_t other : {uint32_t(code) + 1, uint32_t(code) ^ 0x10000u, 0u, 1u}) {
    if (other == uint32_t(code)) continue;
    Bundle t = back;
    t.publics.abort_code = other;
    EXPECT_FALSE(verify(*e.program, t).is_ok()) << "verified with abort code " << other;
  }
  for (uint32_t other : {1u, 2u, 3u, 7u}) {
    Bundle t = back;
    t.publics.trap_code = other;
    t.publics.abort_code = 0;
    EXPECT_FALSE(verify(*e.program, t).is_ok()) << "verified with trap code " << other;
  }
  Bundle ret = back;
  ret.publics.status = 0;
  ret.publics.trap_code = 0;
  ret.publics.abort_code = 0;
  ret.publics.results = {0};
  EXPECT_FALSE(verify(*e.program, ret).is_ok()) << "an abort verified as a return";
}

TEST(ZkHostTraps, AbortProvesWithItsCodePublic) {
  for (int32_t code : {7, -1, 0x12345678, 0}) {
    SCOPED_TRACE(code);
    const auto e = test_support::run_extension(wat(abort_ext(code)), wasm::ExtensionInput{});
    expect_abort_proves(e, code);
  }
}

TEST(ZkHostTraps, AbortProvesAsTheLastSegmentOfASplitRun) {
  const auto e = test_support::run_extension(wat(abort_ext(-42, 200)), wasm::ExtensionInput{});
  ASSERT_GT(e.trace.steps.size(), 1000u);
  expect_abort_proves(e, -42, 8, true);
}

TEST(ZkHostTraps, ExtensionThatDoesNotAbortStillReturns) {
  wasm::ExtensionInput in;
  in.data = {1, 2, 3};
  const auto e = test_support::run_extension(wat(abort_ext(9)), in);
  ASSERT_EQ(e.result.trap, wasm::TrapCode::kNone);
  auto b = prove(*e.program, e.trace, extension_opts(in));
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  auto pv = verify(*e.program, *b);
  ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
  EXPECT_EQ(pv->status, 0u);
  EXPECT_EQ(pv->abort_code, 0u);
  Bundle t = *b;  // an abort claimed for a run that returned
  t.publics.status = 1, t.publics.trap_code = kAbort, t.publics.abort_code = 9;
  t.publics.results.clear();
  EXPECT_FALSE(verify(*e.program, t).is_ok());
}

TEST(ZkHostTraps, AbortClaimedAtAnotherHostCallIsRejected) {
  wasm::ExtensionInput in;
  in.data = {1};  // no abort: input_size and output_write are the host calls
  const auto e = test_support::run_extension(wat(abort_ext(5)), in);
  ASSERT_EQ(e.result.trap, wasm::TrapCode::kNone);
  for (size_t i = 0; i < e.trace.steps.size(); ++i) {
    if (e.trace.steps[i].op != uint16_t(Op::kCallHost)) continue;
    expect_forgery_rejected("abort at host call step " + std::to_string(i), *e.program,
                            claim_trap_at(*e.program, e.trace, i, kAbort), in);
  }
}

TEST(ZkHostTraps, AbortOfAnotherModuleIsNotProvable) {
  // "env"."abort" is not the Extension host's abort: the program row says "other import".
  const auto bytes = wat(R"((module
  (import "env" "abort" (func $abort (param i32)))
  (func (export "f") (result i32)
    (call $abort (i32.const 3))
    (i32.const 0)))
)");
  auto p = Program::load(bytes);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  auto m = wasm::load_module(bytes);
  ASSERT_TRUE(m.is_ok());
  wasm::Linker linker;
  linker.define("env", "abort",
                wasm::ExternFunc{wasm::FuncType{{wasm::ValType::kI32}, {}},
                                 [](wasm::Instance&, const uint64_t*, uint64_t*) {
                                   return wasm::TrapCode::kHostAbort;
                                 },
                                 {}});
  auto inst = wasm::Instance::instantiate(*m, linker);
  ASSERT_TRUE(inst.is_ok()) << inst.status().to_string();
  wasm::MemorySink sink;
  wasm::TraceWriter tw(sink, 1024);
  wasm::TraceHeader h;
  h.gas_limit = 1u << 20;
  h.entry_function = (*m)->find_export("f")->index;
  ASSERT_TRUE(tw.begin(h).is_ok());
  wasm::ExecOptions o;
  o.gas_limit = h.gas_limit;
  o.trace = &tw;
  auto r = (*inst)->invoke(h.entry_function, {}, o);
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(r->trap, wasm::TrapCode::kHostAbort);
  ASSERT_TRUE(tw.finish(wasm::trace_end(*r, tw.records())).is_ok());
  auto t = wasm::read_trace(sink.data);
  ASSERT_TRUE(t.is_ok());
  const wasm::ExtensionInput none;
  ProveOptions checked = extension_opts(none);
  checked.public_input.clear();
  auto refused = prove(**p, *t, checked);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnimplemented) << refused.status().to_string();
  ProveOptions unchecked = extension_opts(none, false);
  unchecked.public_input.clear();
  auto b = prove(**p, *t, unchecked);
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  auto v = verify(**p, *b);
  EXPECT_FALSE(v.is_ok()) << "an abort of env.abort verified";
  std::printf("  forged env.abort as efaas.abort -> %s\n", v.status().message().c_str());
}

TEST(ZkHostTraps, WrongTrapCodeAtAnAbortIsRejected) {
  const auto e = test_support::run_extension(wat(abort_ext(5)), wasm::ExtensionInput{});
  for (uint32_t code : {1u, 2u, 3u, 5u, 12u}) {
    wasm::Trace t = e.trace;
    t.end.trap_code = code;
    expect_forgery_rejected("abort with trap code " + std::to_string(code), *e.program, t, e.input);
  }
}

TEST(ZkHostTraps, WrongAbortCodeInThePublicValuesIsRejected) {
  // Below the trace: the honest witness with another abort code in its public inputs, proved
  // with the STARK's witness check off; the AIR binds the code read at sp - 1.
  const auto e = test_support::run_extension(wat(abort_ext(5)), wasm::ExtensionInput{});
  PublicValues pv;
  auto w = test_support::extension_witness(*e.program, e.trace, e.input, pv);
  ASSERT_TRUE(w.is_ok()) << w.status().to_string();
  ASSERT_EQ(pv.abort_code, 5u);
  auto pk = e.program->proving_key(fri_test_preset());
  ASSERT_TRUE(pk.is_ok());
  EXPECT_TRUE(test_support::prove_and_verify(*e.program, **pk, *w, pv, true).is_ok());
  for (uint32_t other : {6u, 5u + (1u << 16), 0u}) {
    MachineWitness forged = *w;
    PublicValues fpv = pv;
    fpv.abort_code = other;
    forged.publics[L::kPubAbortCode] = Fp::from_u32(other & 0xFFFF);
    forged.publics[L::kPubAbortCode + 1] = Fp::from_u32(other >> 16);
    const Status st = test_support::prove_and_verify(*e.program, **pk, forged, fpv, false);
    EXPECT_FALSE(st.is_ok()) << "abort code " << other << " verified";
    std::printf("  forged abort code %u -> %s\n", other, st.message().c_str());
  }
}

TEST(ZkHostTraps, BundleParserReadsTheAbortCodeOnlyForAnAbort) {
  const auto e = test_support::run_extension(wat(abort_ext(-3)), wasm::ExtensionInput{});
  auto b = prove(*e.program, e.trace, extension_opts(e.input));
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  std::vector<uint8_t> bytes = serialize_bundle(*b);
  auto back = deserialize_bundle(bytes);
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(back->publics, b->publics);
  // Truncated inside the abort code: named.
  // magic 8, version 4, count 4, hash 32, entry 4, argc 4, status 4, trap code 4.
  const size_t at = 8 + 4 + 4 + 32 + 4 + 4 + 4 + 4;
  auto cut = deserialize_bundle(std::span<const uint8_t>(bytes.data(), at + 2));
  ASSERT_FALSE(cut.is_ok());
  EXPECT_NE(cut.status().message().find("abort code"), std::string::npos) << cut.status().message();
  // An abort code with another trap code is refused by the verifier.
  Bundle t = *back;
  t.publics.trap_code = 1;
  EXPECT_FALSE(verify(*e.program, t).is_ok());
}

// --- output_write of 0 bytes ----------------------------------------------------------------

// Writes `len` bytes at base + input_size(0) (so the source address comes from the input),
// after a 0-byte write at `fixed`; returns 0.
std::string zero_write_ext(uint32_t fixed, uint32_t len, bool memory = true,
                           uint32_t base = 65535) {
  return std::string(R"((module
  (import "efaas" "input_size" (func $isz (param i32) (result i32)))
  (import "efaas" "output_write" (func $out (param i32 i32))))") +
         (memory ? "\n  (memory (export \"memory\") 1)" : "") + R"(
  (func (export "efaas_main") (result i32)
    (call $out (i32.const )" + std::to_string(fixed) + R"() (i32.const 0))
    (call $out (i32.add (i32.const )" + std::to_string(base) +
         R"() (call $isz (i32.const 0))) (i32.const )" +
         std::to_string(len) + R"())
    (i32.const 0)))
)";
}

TEST(ZkHostTraps, ZeroByteOutputWriteProves) {
  for (uint32_t fixed : {0u, 100u, 65535u, 65536u}) {
    SCOPED_TRACE(fixed);
    wasm::ExtensionInput in;
    in.data = {9};  // the second write at 65536: the memory's end, allowed for 0 bytes
    const auto e = test_support::run_extension(wat(zero_write_ext(fixed, 0)), in);
    ASSERT_EQ(e.result.trap, wasm::TrapCode::kNone) << e.result.trap_message;
    auto b = prove(*e.program, e.trace, extension_opts(in));
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    auto pv = verify(*e.program, *b);
    ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
    EXPECT_EQ(pv->status, 0u);
    EXPECT_TRUE(pv->output.empty());
    EXPECT_EQ(pv->gas_used, e.result.gas_used);
  }
}

TEST(ZkHostTraps, ZeroByteOutputWriteBeyondTheMemoryTrapsAndProves) {
  // The runtime traps (out of bounds) at src = 65537 and, without a memory, at src = 0: a trap
  // inside the host function, proved with code 2 (host_oob_test.cpp has the other cases).
  wasm::ExtensionInput in;
  in.data = {1, 2};
  for (bool memory : {true, false}) {
    SCOPED_TRACE(memory);
    const auto e = test_support::run_extension(wat(zero_write_ext(0, 0, memory)), in);
    ASSERT_EQ(e.result.trap, wasm::TrapCode::kMemoryOutOfBounds);
    auto b = prove(*e.program, e.trace, extension_opts(in));
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    auto pv = verify(*e.program, *b);
    ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
    EXPECT_EQ(pv->status, 1u);
    EXPECT_EQ(pv->trap_code, uint32_t(wasm::TrapCode::kMemoryOutOfBounds));
    EXPECT_EQ(pv->gas_used, e.result.gas_used);
    Bundle t = *b;  // claimed as a host error instead
    t.publics.trap_code = uint32_t(wasm::TrapCode::kHostError);
    EXPECT_FALSE(verify(*e.program, t).is_ok());
  }
}

// The honest trace with input_size(0) = 1 rewritten as if Data had `size` bytes: the source of
// the second write becomes 65535 + size (records of input_size and i32.add).
wasm::Trace with_input_size(const wasm::Trace& t, uint32_t size) {
  wasm::Trace u = t;
  for (auto& s : u.steps) {
    if (s.op == uint16_t(Op::kCallHost) && s.r == 1) s.r = size;
    if (s.op == uint16_t(Op::kI32Add)) s.b = size, s.r = 65535 + size;
  }
  return u;
}

TEST(ZkHostTraps, ZeroByteOutputWriteBeyondTheMemoryClaimedToGoOnIsRejected) {
  wasm::ExtensionInput in;
  in.data = {1};
  const auto e = test_support::run_extension(wat(zero_write_ext(0, 0)), in);
  ASSERT_EQ(e.result.trap, wasm::TrapCode::kNone) << e.result.trap_message;
  // The control: the rewrite itself is sound for a size that stays in bounds.
  {
    wasm::ExtensionInput same = in;
    auto b = prove(*e.program, with_input_size(e.trace, 1), extension_opts(same));
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    ASSERT_TRUE(verify(*e.program, *b).is_ok());
  }
  for (uint32_t size : {2u, 3u, 65537u, 131073u}) {
    wasm::ExtensionInput big;
    big.data.assign(size, 7);
    expect_forgery_rejected("0-byte output_write at " + std::to_string(65535 + size),
                            *e.program, with_input_size(e.trace, size), big);
  }
  // A module without a memory: src 0 claimed to go on.
  const auto nomem = test_support::run_extension(wat(zero_write_ext(0, 0, false)), in);
  ASSERT_EQ(nomem.result.trap, wasm::TrapCode::kMemoryOutOfBounds);
  wasm::Trace goes_on = nomem.trace;
  goes_on.end = e.trace.end;
  goes_on.end.output.clear();
  // Replay the memory module's steps on the memoryless program (same code, no memory).
  goes_on.steps = e.trace.steps;
  expect_forgery_rejected("0-byte output_write without a memory", *nomem.program, goes_on, in);
}

TEST(ZkHostTraps, ZeroLengthClaimedForANonEmptyWriteIsRejected) {
  // Below the trace: the honest witness of a 12-byte write with the zero-length bit set.
  wasm::ExtensionInput in;
  in.data = {1};
  const auto e = test_support::run_extension(wat(zero_write_ext(0, 12, true, 100)), in);
  ASSERT_EQ(e.result.trap, wasm::TrapCode::kNone) << e.result.trap_message;
  PublicValues pv;
  auto w = test_support::extension_witness(*e.program, e.trace, in, pv);
  ASSERT_TRUE(w.is_ok()) << w.status().to_string();
  auto pk = e.program->proving_key(fri_test_preset());
  ASSERT_TRUE(pk.is_ok());
  using E = L::Exec;
  std::vector<Fp>& ex = w->main[L::kExec];
  const size_t rows = ex.size() / E::kWidth;
  size_t hit = 0;
  for (size_t row = 0; row < rows; ++row) {
    if (ex[size_t(E::kHwr) * rows + row] != Fp::one()) continue;
    if (ex[size_t(E::kIoRem) * rows + row] == Fp::zero()) continue;
    MachineWitness forged = *w;
    forged.main[L::kExec][size_t(E::kWz) * rows + row] = Fp::one();
    const Status st = test_support::prove_and_verify(*e.program, **pk, forged, pv, false);
    EXPECT_FALSE(st.is_ok()) << "row " << row;
    std::printf("  forged zero length at row %zu -> %s\n", row, st.message().c_str());
    ++hit;
  }
  EXPECT_EQ(hit, 1u);
}

}  // namespace
}  // namespace efaas::zkwasm
