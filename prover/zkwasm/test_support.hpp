#pragma once
// Test support shared by the zkWASM tests: WAT to WASM through wabt's wat2wasm, and a traced run
// of an export in the runtime (the trace a node would stream).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "prover/common/rng.hpp"
#include "prover/fri/fri_params.hpp"
#include "prover/wasm/extension.hpp"
#include "prover/wasm/instance.hpp"
#include "prover/wasm/trace.hpp"
#include "prover/stark/stark.hpp"
#include "prover/zkwasm/air_internal.hpp"
#include "prover/zkwasm/alu_chip.hpp"
#include "prover/zkwasm/layout.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::zkwasm::test_support {

namespace fs = std::filesystem;

inline std::vector<uint8_t> wat(const std::string& text) {
  char tmpl[] = "/tmp/efaas-zkwasm-test-XXXXXX";
  if (!mkdtemp(tmpl)) return {};
  const fs::path dir = tmpl;
  std::ofstream(dir / "m.wat") << text;
  const std::string cmd = "wat2wasm '" + (dir / "m.wat").string() + "' -o '" +
                          (dir / "m.wasm").string() + "' 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << text;
  std::ifstream in(dir / "m.wasm", std::ios::binary);
  std::vector<uint8_t> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::error_code ec;
  fs::remove_all(dir, ec);
  return b;
}

// WAT functions that more than one test module is built from (the modules differ around them).
// $sw: br_table as a switch without values (10, 11, 12 by case, 12 past the end), then one whose
// labels carry a value (90 + 5 or 90 + 1000 + 5).
inline constexpr const char* kSwitchFuncWat = R"(
  (func $sw (param $i i32) (result i32)
    (block $default
      (block $c2
        (block $c1
          (block $c0
            (br_table $c0 $c1 $c2 $default (local.get $i)))
          (return (i32.const 10)))
        (return (i32.const 11)))
      (return (i32.const 12)))
    (i32.add (i32.const 90)
      (block $x (result i32)
        (block $y (result i32)
          (br_table $y $x $y (i32.const 5) (i32.sub (local.get $i) (i32.const 3))))
        (i32.add (i32.const 1000)))))
)";
// $quad (4x, with declared locals that start at zero and an early return if they do not) and
// the recursive $fib, in that order (functions 0 and 1 when nothing is imported).
inline constexpr const char* kQuadFibFuncsWat = R"(
  (func $quad (param $x i32) (result i32) (local $t i32) (local $u i64)
    (local.set $t (i32.add (local.get $x) (local.get $x)))
    (block $b (br_if $b (i64.eqz (local.get $u))) (return (i32.const -1)))
    (i32.add (local.get $t) (local.get $t)))
  (func $fib (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (return (local.get $n)))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
)";

#ifdef EFAAS_WASM_DIR
// The bytes of `name`.wasm, a C program built to wasm32 into EFAAS_WASM_DIR (defined for the
// tests that depend on the C Extensions' build).
inline std::vector<uint8_t> read_wasm(const std::string& name) {
  std::ifstream in(std::string(EFAAS_WASM_DIR) + "/" + name + ".wasm", std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}
#endif

// Invokes function `func` of `inst` with a trace (traps included: the trace then ends with
// status 1) under `gas_limit` (the trace header records it).
inline wasm::Trace trace_invoke(wasm::Instance& inst, uint32_t func,
                                std::span<const uint64_t> args,
                                uint64_t gas_limit = uint64_t(1) << 30) {
  wasm::MemorySink sink;
  wasm::TraceWriter tw(sink, 1024);
  wasm::TraceHeader h;
  h.gas_limit = gas_limit;
  h.entry_function = func;
  EXPECT_TRUE(tw.begin(h).is_ok());
  wasm::ExecOptions o;
  o.gas_limit = h.gas_limit;
  o.trace = &tw;
  auto r = inst.invoke(func, args, o);
  EXPECT_TRUE(r.is_ok());
  EXPECT_TRUE(tw.finish(wasm::trace_end(*r, tw.records())).is_ok());
  auto t = wasm::read_trace(sink.data);
  EXPECT_TRUE(t.is_ok()) << t.status().to_string();
  return *t;
}

// Runs function `func` with a trace, under the runtime's default limits unless `limits` says
// otherwise and `gas_limit`.
inline wasm::Trace run_traced(const std::vector<uint8_t>& bytes, uint32_t func,
                              const std::vector<uint64_t>& args,
                              const wasm::RuntimeLimits& limits = {},
                              uint64_t gas_limit = uint64_t(1) << 30) {
  auto m = wasm::load_module(bytes);
  EXPECT_TRUE(m.is_ok()) << m.status().to_string();
  wasm::Linker linker;
  auto inst = wasm::Instance::instantiate(*m, linker, limits);
  EXPECT_TRUE(inst.is_ok()) << inst.status().to_string();
  return trace_invoke(**inst, func, args, gas_limit);
}

// Runs export `name` with a trace.
inline wasm::Trace run_traced(const std::vector<uint8_t>& bytes, const std::string& name,
                              const std::vector<uint64_t>& args,
                              const wasm::RuntimeLimits& limits = {}) {
  auto m = wasm::load_module(bytes);
  EXPECT_TRUE(m.is_ok()) << m.status().to_string();
  const wasm::Export* ex = (*m)->find_export(name);
  EXPECT_NE(ex, nullptr) << name;
  return run_traced(bytes, ex->index, args, limits);
}

// A module's exported function `fn` run on `args`, traced: its program, trace and arguments.
struct FunctionRun {
  std::shared_ptr<Program> program;
  wasm::Trace trace;
  std::vector<uint64_t> args;
};

inline FunctionRun run_function(const std::string& text, const std::string& fn,
                                std::vector<uint64_t> args) {
  FunctionRun r;
  const auto bytes = wat(text);
  auto p = Program::load(bytes);
  EXPECT_TRUE(p.is_ok()) << p.status().to_string();
  r.program = *p;
  r.trace = run_traced(bytes, fn, args);
  r.args = std::move(args);
  return r;
}

// WAT for an Extension's body: a countdown of `spins` rounds in local $i (the function declares
// it), which makes a run long enough to split before the host call under test.
inline std::string spin_wat(uint32_t spins) {
  return "(local.set $i (i32.const " + std::to_string(spins) + R"())
    (block $done (loop $spin
      (br_if $done (i32.eqz (local.get $i)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br $spin)))
    )";
}

// An Extension input of `n` pseudo-random Data bytes and pseudo-random To, sender and block
// hash, all drawn from `seed` (the same seed gives the same input).
inline wasm::ExtensionInput sample_input(size_t n, uint64_t seed) {
  Rng rng(seed);
  wasm::ExtensionInput in;
  for (size_t i = 0; i < n; ++i) in.data.push_back(uint8_t(rng.next_u32()));
  for (auto& b : in.to) b = uint8_t(rng.next_u32());
  for (auto& b : in.sender) b = uint8_t(rng.next_u32());
  for (auto& b : in.block_hash) b = uint8_t(rng.next_u32());
  return in;
}

// Program::load of `bytes`, reporting a refusal.
inline std::shared_ptr<Program> load_program(const std::vector<uint8_t>& bytes) {
  auto p = Program::load(bytes);
  EXPECT_TRUE(p.is_ok()) << p.status().to_string();
  return p.is_ok() ? *p : nullptr;
}

// An Extension run by the runtime's host interface on `in`, traced in chunks of 1024 records.
struct ExtensionRun {
  std::shared_ptr<Program> program;
  wasm::Trace trace;
  wasm::ExtensionInput input;
  wasm::ExtensionResult result;
};

inline ExtensionRun run_extension(std::shared_ptr<Program> program,
                                  const wasm::ExtensionInput& in,
                                  uint64_t gas_limit = wasm::ExtensionConfig{}.gas_limit) {
  ExtensionRun e;
  e.input = in;
  e.program = std::move(program);
  if (!e.program) return e;
  wasm::MemorySink sink;
  wasm::TraceWriter tw(sink, 1024);
  wasm::ExtensionConfig cfg;
  cfg.trace = &tw;
  cfg.gas_limit = gas_limit;
  auto r = wasm::run_extension(e.program->module_ptr(), in, cfg);
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  if (r.is_ok()) e.result = *r;
  auto t = wasm::read_trace(sink.data);
  EXPECT_TRUE(t.is_ok()) << t.status().to_string();
  if (t.is_ok()) e.trace = *t;
  return e;
}
inline ExtensionRun run_extension(const std::vector<uint8_t>& bytes, const wasm::ExtensionInput& in,
                                  uint64_t gas_limit = wasm::ExtensionConfig{}.gas_limit) {
  return run_extension(load_program(bytes), in, gas_limit);
}

// Forgeries below the trace: the witness of `t` with its last step of opcode `op` claiming
// `forged` as its result and the run returning it, built with the trace check off; the step's
// index (the exec row) in `step`. Tests then edit the witness's columns further.
struct ForgedWitness {
  MachineWitness witness;
  PublicValues publics;
  size_t step = SIZE_MAX;
};

inline ForgedWitness forge_result(const Program& program, wasm::Trace t, wasm::Op op,
                                  uint64_t forged, const std::vector<uint64_t>& args) {
  ForgedWitness f;
  for (size_t i = 0; i < t.steps.size(); ++i)
    if (t.steps[i].op == uint16_t(op)) f.step = i;
  EXPECT_NE(f.step, SIZE_MAX) << "the run has no step of the forged opcode";
  if (f.step == SIZE_MAX) return f;
  EXPECT_NE(t.steps[f.step].r, forged) << "the forged result is the honest one";
  t.steps[f.step].r = forged;
  t.end.results = {forged};
  WitnessOptions wo;
  wo.check_trace = false;
  wo.args = args;
  auto w = build_witness(program, t, wo, f.publics);
  EXPECT_TRUE(w.is_ok()) << w.status().to_string();
  if (w.is_ok()) f.witness = std::move(*w);
  return f;
}

// A module whose export "f<k>" applies ops[k] to its parameters (one for unary chip ops).
inline std::string one_function_per_op(const std::vector<wasm::Op>& ops) {
  std::string text = "(module";
  for (size_t k = 0; k < ops.size(); ++k) {
    const std::string name(wasm::op_info(ops[k]).name), ty = name.substr(0, 3);
    const bool un = alu::is_unary(ops[k]);
    text += "\n(func (export \"f" + std::to_string(k) + "\") (param " + ty +
            (un ? "" : " " + ty) + ") (result " + ty + ") (" + name + " (local.get 0)" +
            (un ? "" : " (local.get 1)") + "))";
  }
  return text + ")";
}

// The opcodes of test cases (anything with an `op`), in order.
template <typename Case>
std::vector<wasm::Op> ops_of(const std::vector<Case>& cases) {
  std::vector<wasm::Op> ops;
  for (const Case& c : cases) ops.push_back(c.op);
  return ops;
}

// For tests that edit a chip row below the trace: runs each case's op on its arguments (a module
// with one function per op) and hands `body` the case, the program, its key and the trace-level
// forgery of the case's result (forge_result). A case has `what`, `op`, `args` and `forged`.
template <typename Case, typename Body>
void for_each_forged_result(const std::vector<Case>& cases, Body&& body) {
  const auto bytes = wat(one_function_per_op(ops_of(cases)));
  auto program = Program::load(bytes);
  ASSERT_TRUE(program.is_ok()) << program.status().to_string();
  const Program& p = **program;
  auto pk = p.proving_key(fri_test_preset());
  ASSERT_TRUE(pk.is_ok());
  for (size_t k = 0; k < cases.size(); ++k) {
    const Case& c = cases[k];
    SCOPED_TRACE(c.what);
    const wasm::Trace t = run_traced(bytes, "f" + std::to_string(k), c.args);
    ASSERT_EQ(t.end.status, 0u);
    ForgedWitness fw = forge_result(p, t, c.op, c.forged, c.args);
    ASSERT_NE(fw.step, SIZE_MAX);
    body(c, p, **pk, fw);
  }
}

// Proves `w` as a one-segment bundle, with or without the prover's own witness check, and
// verifies it: the first failure (the prover's or the verifier's), or OK if it verified.
// Without the check the prover must succeed (a forgery has to reach the verifier).
inline Status prove_and_verify(const Program& program, const ProvingKey& pk,
                               const MachineWitness& w, const PublicValues& pv,
                               bool check_witness) {
  StarkConfig cfg;
  cfg.check_witness = check_witness;
  auto proof = stark_prove(program.air(), pk, w, cfg);
  EXPECT_TRUE(check_witness || proof.is_ok()) << proof.status().to_string();
  if (!proof.is_ok()) return proof.status();
  Bundle b;
  b.publics = pv;
  b.segments.emplace_back();
  b.segments[0].proof = std::move(*proof);
  return verify(program, b).status();
}

// Direct witness tampering on a function run: the witness as the prover builds it (the trace
// checked), its public values and the program's proving key (test preset).
struct WitnessUnderTest {
  const Program* program = nullptr;
  MachineWitness witness;
  PublicValues publics;
  std::shared_ptr<const ProvingKey> pk;
  // Proves `w` (the witness or an edit of it) and verifies it; see the free prove_and_verify.
  Status prove_and_verify(const MachineWitness& w, bool check_witness = false) const {
    return test_support::prove_and_verify(*program, *pk, w, publics, check_witness);
  }
};
// Nullopt after a failure, which is reported.
inline std::optional<WitnessUnderTest> witness_under_test(const FunctionRun& f) {
  WitnessUnderTest u;
  u.program = f.program.get();
  WitnessOptions wo;
  wo.args = f.args;
  auto w = build_witness(*f.program, f.trace, wo, u.publics);
  EXPECT_TRUE(w.is_ok()) << w.status().to_string();
  if (!w.is_ok()) return std::nullopt;
  u.witness = std::move(*w);
  auto pk = f.program->proving_key(fri_test_preset());
  EXPECT_TRUE(pk.is_ok()) << pk.status().to_string();
  if (!pk.is_ok()) return std::nullopt;
  u.pk = *pk;
  return u;
}

// Test-preset options for an Extension run with public input `in`; `checked` false turns the
// prover's own checks off (forgeries must reach the verifier).
inline ProveOptions extension_opts(const wasm::ExtensionInput& in, bool checked = true,
                                   uint32_t segment_log = kDefaultSegmentLog) {
  ProveOptions o;
  o.params = fri_test_preset();
  o.public_input = wasm::encode_public_inputs(in);
  o.private_input = in.private_input;
  o.check_trace = checked;
  o.stark.check_witness = checked;
  o.segment_log = segment_log;
  return o;
}

// Test-preset options for an exported function called with `args`; `checked` false turns the
// prover's own checks off (forgeries must reach the verifier).
inline ProveOptions function_opts(const std::vector<uint64_t>& args, bool checked = true,
                                  uint32_t segment_log = kDefaultSegmentLog) {
  ProveOptions o;
  o.params = fri_test_preset();
  o.args = args;
  o.check_trace = checked;
  o.stark.check_witness = checked;
  o.segment_log = segment_log;
  return o;
}

// A function run proved with the test preset (checks on), its bundle round-tripped through its
// bytes and verified: the bundle read back and the verified public values; nullopt after a
// failure, which is reported.
struct VerifiedRun {
  Bundle bundle;
  PublicValues publics;
};
inline std::optional<VerifiedRun> prove_round_trip(const Program& p, const wasm::Trace& t,
                                                   const std::vector<uint64_t>& args,
                                                   uint32_t segment_log = kDefaultSegmentLog) {
  auto b = prove(p, t, function_opts(args, true, segment_log));
  EXPECT_TRUE(b.is_ok()) << b.status().to_string();
  if (!b.is_ok()) return std::nullopt;
  auto back = deserialize_bundle(serialize_bundle(*b));
  EXPECT_TRUE(back.is_ok()) << back.status().to_string();
  if (!back.is_ok()) return std::nullopt;
  auto pv = verify(p, *back);
  EXPECT_TRUE(pv.is_ok()) << pv.status().to_string();
  if (!pv.is_ok()) return std::nullopt;
  return VerifiedRun{std::move(*back), std::move(*pv)};
}

// A run of a program (a linked set's, or any) proved under `o` and verified as it is: the
// bundle and the verified public values; nullopt after a failure, which is reported.
inline std::optional<VerifiedRun> prove_linked(const Program& p, const wasm::Trace& t,
                                               const ProveOptions& o) {
  auto b = prove(p, t, o);
  EXPECT_TRUE(b.is_ok()) << b.status().to_string();
  if (!b.is_ok()) return std::nullopt;
  auto pv = verify(p, *b);
  EXPECT_TRUE(pv.is_ok()) << pv.status().to_string();
  if (!pv.is_ok()) return std::nullopt;
  return VerifiedRun{std::move(*b), std::move(*pv)};
}

// Proves an Extension run, round-trips the bundle through its bytes and verifies it: the
// verified claim has the runtime's gas, instruction count, output, status and trap code.
// Returns the bundle read back (empty after a failure, which is reported).
inline Bundle expect_extension_proves(const ExtensionRun& e,
                                      uint32_t segment_log = kDefaultSegmentLog) {
  auto b = prove(*e.program, e.trace, extension_opts(e.input, true, segment_log));
  EXPECT_TRUE(b.is_ok()) << b.status().to_string();
  if (!b.is_ok()) return {};
  auto back = deserialize_bundle(serialize_bundle(*b));
  EXPECT_TRUE(back.is_ok()) << back.status().to_string();
  if (!back.is_ok()) return {};
  auto pv = verify(*e.program, *back);
  EXPECT_TRUE(pv.is_ok()) << pv.status().to_string();
  if (!pv.is_ok()) return {};
  EXPECT_EQ(pv->gas_used, e.result.gas_used);
  EXPECT_EQ(pv->instructions, e.result.instructions);
  EXPECT_EQ(pv->output, e.result.output);
  EXPECT_EQ(pv->status, e.result.status == wasm::ExtensionResult::Status::kTrap ? 1u : 0u);
  EXPECT_EQ(pv->trap_code, uint32_t(e.result.trap));
  return *back;
}

// A bundle edited by a forgery test: the verifier must reject it as bad input, and the reason
// is printed next to `what`.
inline void expect_bundle_rejected(const Program& p, const Bundle& b, const std::string& what) {
  auto v = verify(p, b);
  EXPECT_FALSE(v.is_ok()) << what << ": verified";
  if (!v.is_ok()) {
    EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
    std::printf("  %-52s -> %s\n", what.c_str(), v.status().message().c_str());
  }
}

// The reorderings every split-run test tries on a good bundle of at least three segments:
// segments 1 and 2 swapped, segment 1 dropped, the last segment dropped (its predecessor then
// claims to end the run). Each must be rejected.
inline void expect_reordered_segments_rejected(const Program& p, const Bundle& good) {
  ASSERT_GE(good.segments.size(), 3u);
  {
    Bundle b = good;
    std::swap(b.segments[1], b.segments[2]);
    expect_bundle_rejected(p, b, "segments 1 and 2 swapped");
  }
  {
    Bundle b = good;
    b.segments.erase(b.segments.begin() + 1);
    expect_bundle_rejected(p, b, "segment 1 dropped");
  }
  {
    Bundle b = good;
    b.segments.pop_back();
    b.segments.back().exit = SegmentState{};
    expect_bundle_rejected(p, b, "last segment dropped");
  }
}

// The witness of Extension trace `t` on public input `in` (an honest run's, or a forgery below
// or of the trace) built with the trace check off; its public values in `pv`.
inline Result<MachineWitness> extension_witness(const Program& p, const wasm::Trace& t,
                                                const wasm::ExtensionInput& in, PublicValues& pv) {
  WitnessOptions wo;
  wo.check_trace = false;
  wo.public_input = wasm::encode_public_inputs(in);
  return build_witness(p, t, wo, pv);
}

// A host I/O row of a trace (one byte moved), not an instruction.
inline bool is_io_row(const wasm::StepRecord& s) {
  return s.op == uint16_t(wasm::Op::kHostRead) || s.op == uint16_t(wasm::Op::kHostWrite);
}

// The trace's encoded bytes (what a node streams), in chunks of `chunk` records: small chunks
// make segments start and end inside chunks.
inline std::vector<uint8_t> encode_trace(const wasm::Trace& t, uint32_t chunk) {
  wasm::MemorySink sink;
  wasm::TraceWriter w(sink, chunk);
  EXPECT_TRUE(w.begin(t.header).is_ok());
  for (const auto& st : t.steps) *(is_io_row(st) ? w.slot_io() : w.slot()) = st;
  EXPECT_TRUE(w.finish(t.end).is_ok());
  return sink.data;
}

// The gas of `steps` without host byte gas: each instruction's cost, one per I/O row.
inline uint64_t step_gas(const Program& p, std::span<const wasm::StepRecord> steps) {
  uint64_t gas = 0;
  for (const auto& s : steps) gas += is_io_row(s) ? 1 : p.module().code[s.pc].gas;
  return gas;
}

// Moves one count of the range table (16-bit range checks) from value `from` to `to`, so that a
// forged helper column keeps the range bus balanced and only the constraint under test can
// reject it.
inline void move_range_count(MachineWitness& w, uint64_t from, uint64_t to) {
  std::vector<Fp>& rc = w.main[layout::kRange];
  const size_t rows = rc.size() / layout::Range::kWidth;
  ASSERT_LT(from, rows);
  ASSERT_LT(to, rows);
  rc[size_t(layout::Range::kRangeMult) * rows + from] -= Fp::one();
  rc[size_t(layout::Range::kRangeMult) * rows + to] += Fp::one();
}

// The Extension trace cut after step `at` (its I/O rows go too when it is a host call), claiming
// that step trapped with `code`; gas and instruction counts recomputed for the cut.
inline wasm::Trace claim_trap_at(const Program& p, const wasm::Trace& t, size_t at,
                                 uint32_t code) {
  wasm::Trace u = t;
  u.steps.resize(at + 1);
  u.end.status = 1;
  u.end.trap_code = code;
  u.end.results.clear();
  u.end.gas_used = step_gas(p, u.steps);
  u.end.instructions = 0;
  for (const auto& s : u.steps) u.end.instructions += !is_io_row(s);
  return u;
}

// A forged Extension trace proved with the checks off: the prover's own check refuses it; the
// witness generator may refuse to lay it out, otherwise the verifier must reject the proof.
inline void expect_forgery_rejected(const std::string& what, const Program& p,
                                    const wasm::Trace& t, const wasm::ExtensionInput& in) {
  SCOPED_TRACE(what);
  EXPECT_FALSE(prove(p, t, extension_opts(in)).is_ok()) << "the prover's own check missed it";
  auto b = prove(p, t, extension_opts(in, false));
  if (!b.is_ok()) {
    std::printf("  forged %-52s -> not provable: %s\n", what.c_str(),
                b.status().message().c_str());
    return;
  }
  auto v = verify(p, *b);
  EXPECT_FALSE(v.is_ok()) << "forged proof verified";
  std::printf("  forged %-52s -> %s\n", what.c_str(), v.status().message().c_str());
}

}  // namespace efaas::zkwasm::test_support
