// zkWASM out-of-gas traps (docs/zkwasm.md, "Traps"): runtime traces stopped by their gas limit
// (in a loop, at a call, at the callee's first instruction after its zero-local rows, at a load
// and a store, before the first instruction, after a host call's I/O rows, where the limit is
// reached exactly, in the last segment of a split run) prove and verify with the limit public;
// out of gas inside a host function (byte gas) proves too (host_gas_test.cpp). Forgeries made
// with the prover's checks off must be rejected: out of gas claimed one instruction early,
// under another limit, with another gas used or cost, as another trap code, and a returned run
// claimed out of gas; an honest proof checked against a tampered limit, gas used, trap code or
// status.
#include <gtest/gtest.h>

#include <cstdio>

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
using test_support::wat;
using test_support::function_opts;
using test_support::load_program;
using test_support::move_range_count;

constexpr uint32_t kOutOfGas = uint32_t(wasm::TrapCode::kOutOfGas);
static_assert(kOutOfGas == L::kTrapOutOfGas);

// A loop that stores, loads and calls a function with a declared local on every turn.
constexpr const char* kSpin = R"((module
  (memory 1)
  (func $inc (param i32) (result i32) (local i32)
    (local.set 1 (i32.const 1))
    (i32.add (local.get 0) (local.get 1)))
  (func (export "spin") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store (i32.const 16) (local.get $i))
        (local.set $acc (i32.add (local.get $acc) (i32.load (i32.const 16))))
        (local.set $i (call $inc (local.get $i)))
        (br $top)))
    (local.get $acc)))
)";

// Runs export `name` on `args` under `gas_limit` with a trace (the header records the limit).
wasm::Trace run_gas(const std::vector<uint8_t>& bytes, const std::string& name,
                    const std::vector<uint64_t>& args, uint64_t gas_limit) {
  auto m = wasm::load_module(bytes);
  EXPECT_TRUE(m.is_ok()) << m.status().to_string();
  const wasm::Export* ex = (*m)->find_export(name);
  EXPECT_NE(ex, nullptr);
  return test_support::run_traced(bytes, ex->index, args, {}, gas_limit);
}

// Gas of the records before step `at` (I/O rows cost 1).
uint64_t gas_before(const Program& p, const wasm::Trace& t, size_t at) {
  uint64_t gas = 0;
  for (size_t i = 0; i < at; ++i) {
    const auto& s = t.steps[i];
    const bool io = s.op == uint16_t(Op::kHostRead) || s.op == uint16_t(Op::kHostWrite);
    gas += io ? 1 : p.module().code[s.pc].gas;
  }
  return gas;
}

size_t first_step_of(const wasm::Trace& t, Op op) {
  for (size_t i = 0; i < t.steps.size(); ++i)
    if (t.steps[i].op == uint16_t(op)) return i;
  return SIZE_MAX;
}

// Proves and verifies an out-of-gas run (after a bundle round trip); the verified claim has the
// trace's limit, gas used and instruction count. The same proof checked against another limit,
// gas used, instruction count, trap code, status or a return is rejected.
Bundle expect_proves(const Program& p, const wasm::Trace& t, const std::vector<uint64_t>& args,
                     uint32_t segment_log = kDefaultSegmentLog) {
  EXPECT_EQ(t.end.status, 1u);
  EXPECT_EQ(t.end.trap_code, kOutOfGas);
  const auto run = test_support::prove_round_trip(p, t, args, segment_log);
  if (!run) return {};
  const Bundle& back = run->bundle;
  const PublicValues& pv = run->publics;
  EXPECT_EQ(pv.status, 1u);
  EXPECT_EQ(pv.trap_code, kOutOfGas);
  EXPECT_EQ(pv.gas_limit, t.header.gas_limit);
  EXPECT_EQ(pv.gas_used, t.end.gas_used);
  EXPECT_EQ(pv.instructions, t.end.instructions);
  EXPECT_TRUE(pv.results.empty());
  auto tampered = [&](const std::string& what, auto edit) {
    Bundle o = back;
    edit(o.publics);
    auto v = verify(p, o);
    EXPECT_FALSE(v.is_ok()) << what << " verified";
  };
  const uint64_t limit = t.header.gas_limit;
  tampered("limit + 1", [&](PublicValues& v) { v.gas_limit = limit + 1; });
  if (limit > t.end.gas_used) {
    tampered("limit - 1", [&](PublicValues& v) { v.gas_limit = limit - 1; });
  }
  if (limit != 0) tampered("limit 0", [&](PublicValues& v) { v.gas_limit = 0; });
  tampered("gas used + 1", [&](PublicValues& v) { v.gas_used += 1; });
  if (t.end.gas_used > 0) tampered("gas used - 1", [&](PublicValues& v) { v.gas_used -= 1; });
  tampered("instructions + 1", [&](PublicValues& v) { v.instructions += 1; });
  tampered("trap code 1", [&](PublicValues& v) { v.trap_code = 1, v.gas_limit = 0; });
  tampered("trap code 1 with the limit", [&](PublicValues& v) { v.trap_code = 1; });
  tampered("trap code 8", [&](PublicValues& v) { v.trap_code = 8, v.gas_limit = 0; });
  tampered("a return", [&](PublicValues& v) {
    v.status = 0, v.trap_code = 0, v.gas_limit = 0;
    v.results.assign(p.module().func_type(t.header.entry_function).results.size(), 0);
  });
  return back;
}

// A forged trace proved with the checks off: the prover's own check must refuse it, and the
// verifier must reject the proof (or the witness builder refuse to lay it out).
void expect_forgery_rejected(const std::string& what, const Program& p, const wasm::Trace& t,
                             const std::vector<uint64_t>& args) {
  SCOPED_TRACE(what);
  EXPECT_FALSE(prove(p, t, function_opts(args)).is_ok()) << "the prover's own check missed it";
  auto b = prove(p, t, function_opts(args, false));
  if (!b.is_ok()) {
    std::printf("  forged %-50s -> not provable: %s\n", what.c_str(), b.status().message().c_str());
    return;
  }
  auto v = verify(p, *b);
  EXPECT_FALSE(v.is_ok()) << "forged proof verified";
  std::printf("  forged %-50s -> %s\n", what.c_str(), v.status().message().c_str());
}

// The trace `t` cut before step `at`, claiming out of gas there under `limit`.
wasm::Trace claim_out_of_gas_at(const Program& p, const wasm::Trace& t, size_t at, uint64_t limit) {
  wasm::Trace u = t;
  u.steps.resize(at);
  u.header.gas_limit = limit;
  u.end.status = 1;
  u.end.trap_code = kOutOfGas;
  u.end.results.clear();
  u.end.gas_used = gas_before(p, u, at);
  uint64_t inst = 0;
  for (const auto& s : u.steps)
    inst += !(s.op == uint16_t(Op::kHostRead) || s.op == uint16_t(Op::kHostWrite));
  u.end.instructions = inst;
  u.end.records = at;
  return u;
}

TEST(ZkGasTraps, LoopRunsOutOfGasAndProves) {
  const auto bytes = wat(kSpin);
  const auto p = load_program(bytes);
  const wasm::Trace t = run_gas(bytes, "spin", {1000000}, 500);
  ASSERT_EQ(t.end.trap_code, kOutOfGas);
  EXPECT_LE(t.end.gas_used, 500u);
  expect_proves(*p, t, {1000000});
  std::printf("  loop out of gas: %llu of 500 gas used, %llu instructions\n",
              (unsigned long long)t.end.gas_used, (unsigned long long)t.end.instructions);
}

// The instruction that reaches the limit exactly runs; the next one traps (with gas used equal
// to the limit). A run whose last instruction reaches it exactly returns.
TEST(ZkGasTraps, ExactLimitRunsTheInstructionThatReachesIt) {
  const auto bytes = wat(kSpin);
  const auto p = load_program(bytes);
  const wasm::Trace full = run_gas(bytes, "spin", {3}, 1u << 30);
  ASSERT_EQ(full.end.status, 0u);
  const size_t k = full.steps.size() / 2;
  const uint64_t limit = gas_before(*p, full, k + 1);  // step k ends exactly at the limit
  const wasm::Trace t = run_gas(bytes, "spin", {3}, limit);
  ASSERT_EQ(t.end.trap_code, kOutOfGas);
  EXPECT_EQ(t.steps.size(), k + 1);
  EXPECT_EQ(t.end.gas_used, limit);
  const Bundle b = expect_proves(*p, t, {3});
  EXPECT_EQ(b.publics.gas_used, b.publics.gas_limit);
  // The whole run under exactly its gas: returns (its last instruction reaches the limit).
  const wasm::Trace exact = run_gas(bytes, "spin", {3}, full.end.gas_used);
  EXPECT_EQ(exact.end.status, 0u);
  EXPECT_EQ(exact.end.gas_used, full.end.gas_used);
  // One unit less: the entry function's return is the instruction not run.
  const wasm::Trace less = run_gas(bytes, "spin", {3}, full.end.gas_used - 1);
  ASSERT_EQ(less.end.trap_code, kOutOfGas);
  EXPECT_EQ(less.steps.size(), full.steps.size() - 1);
  expect_proves(*p, less, {3});
}

// Out of gas at a call, at the callee's first instruction (after the call's zero-local row), at
// a store and at a load.
TEST(ZkGasTraps, AtCallsLoadsAndStores) {
  const auto bytes = wat(kSpin);
  const auto p = load_program(bytes);
  const wasm::Trace full = run_gas(bytes, "spin", {3}, 1u << 30);
  ASSERT_EQ(full.end.status, 0u);
  struct Case {
    const char* what;
    size_t at;  // the step that is not run
  };
  const size_t call = first_step_of(full, Op::kCall);
  ASSERT_NE(call, SIZE_MAX);
  const Case cases[] = {{"call", call},
                        {"callee entry", call + 1},
                        {"i32.store", first_step_of(full, Op::kI32Store)},
                        {"i32.load", first_step_of(full, Op::kI32Load)}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    ASSERT_LT(c.at, full.steps.size());
    const uint64_t cost = p->module().code[full.steps[c.at].pc].gas;
    const uint64_t limit = gas_before(*p, full, c.at) + cost - 1;
    const wasm::Trace t = run_gas(bytes, "spin", {3}, limit);
    ASSERT_EQ(t.end.trap_code, kOutOfGas);
    ASSERT_EQ(t.steps.size(), c.at);
    expect_proves(*p, t, {3});
    std::printf("  out of gas at %-14s (pc %u, cost %llu, limit %llu) proved\n", c.what,
                full.steps[c.at].pc, (unsigned long long)cost, (unsigned long long)limit);
  }
}

// A limit below the first instruction's cost: no instruction runs, the trap row is the only
// real row.
TEST(ZkGasTraps, BeforeTheFirstInstruction) {
  const auto bytes = wat(kSpin);
  const auto p = load_program(bytes);
  const wasm::Trace t = run_gas(bytes, "spin", {3}, 0);
  ASSERT_EQ(t.end.trap_code, kOutOfGas);
  ASSERT_TRUE(t.steps.empty());
  const Bundle b = expect_proves(*p, t, {3});
  EXPECT_EQ(b.publics.instructions, 0u);
  EXPECT_EQ(b.publics.gas_used, 0u);
}

// A split run: the trap row is in the last segment; the limit is public in every segment.
TEST(ZkGasTraps, LastSegmentOfASplitRun) {
  const auto bytes = wat(kSpin);
  const auto p = load_program(bytes);
  const wasm::Trace t = run_gas(bytes, "spin", {1000000}, 1000);
  ASSERT_EQ(t.end.trap_code, kOutOfGas);
  const Bundle b = expect_proves(*p, t, {1000000}, 8);
  EXPECT_GE(b.segments.size(), 3u);
  std::printf("  split run out of gas: %zu segments of 2^8 rows, %llu instructions\n",
              b.segments.size(), (unsigned long long)t.end.instructions);
  // A trap row in a segment that is not the last cannot be claimed: the trace cut so that
  // out of gas falls at the end of the first segment's records is another run (its segments
  // differ), and the honest bundle's last segment moved first is rejected.
  Bundle swapped = b;
  std::swap(swapped.segments.front().proof, swapped.segments.back().proof);
  EXPECT_FALSE(verify(*p, swapped).is_ok());
}

// An Extension: out of gas at the instruction after a host call's I/O rows proves; out of gas
// inside the host function (output_write's byte gas, charged before anything moves) proves with
// the byte gas not charged.
TEST(ZkGasTraps, HostByteGas) {
  const auto bytes = wat(R"((module
    (import "efaas" "output_write" (func $w (param i32 i32)))
    (memory 1)
    (data (i32.const 0) "zkwasm out of gas: 64 bytes of output, 8 units of byte gas......")
    (func (export "efaas_main") (result i32)
      (call $w (i32.const 0) (i32.const 64))
      (i32.const 7))))");
  const auto p = load_program(bytes);
  const wasm::ExtensionInput in;
  auto run = [&](uint64_t limit) {
    wasm::MemorySink sink;
    wasm::TraceWriter tw(sink, 1024);
    wasm::ExtensionConfig cfg;
    cfg.trace = &tw;
    cfg.gas_limit = limit;
    auto r = wasm::run_extension(p->module_ptr(), in, cfg);
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    auto t = wasm::read_trace(sink.data);
    EXPECT_TRUE(t.is_ok()) << t.status().to_string();
    return *t;
  };
  // 1 + 1 + 20 for the call, 8 for 64 bytes: the byte gas fits at 30, i32.const does not.
  const wasm::Trace after = run(30);
  ASSERT_EQ(after.end.trap_code, kOutOfGas);
  ASSERT_EQ(after.end.output.size(), 64u);
  auto b = prove(*p, after, test_support::extension_opts(in));
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  auto pv = verify(*p, *b);
  ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
  EXPECT_EQ(pv->gas_limit, 30u);
  EXPECT_EQ(pv->gas_used, 30u);
  EXPECT_EQ(pv->output, after.end.output);
  // At 29 the byte gas does not fit: the runtime fails inside output_write, charging none of
  // it (proved by output_write's trap row with code 10; host_gas_test.cpp covers it further).
  const wasm::Trace inside = run(29);
  ASSERT_EQ(inside.end.trap_code, kOutOfGas);
  EXPECT_TRUE(inside.end.output.empty());
  auto r = prove(*p, inside, test_support::extension_opts(in));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  auto rv = verify(*p, *r);
  ASSERT_TRUE(rv.is_ok()) << rv.status().to_string();
  EXPECT_EQ(rv->gas_limit, 29u);
  EXPECT_EQ(rv->gas_used, 22u);
  EXPECT_TRUE(rv->output.empty());
}

TEST(ZkGasTraps, ForgedTracesAreRejected) {
  const auto bytes = wat(kSpin);
  const auto p = load_program(bytes);
  const wasm::Trace full = run_gas(bytes, "spin", {3}, 1u << 30);
  ASSERT_EQ(full.end.status, 0u);
  const size_t at = first_step_of(full, Op::kI32Store);
  const uint64_t cost = p->module().code[full.steps[at].pc].gas;
  ASSERT_GE(cost, 2u);
  const uint64_t limit = gas_before(*p, full, at) + cost - 1;
  const wasm::Trace honest = run_gas(bytes, "spin", {3}, limit);
  ASSERT_EQ(honest.steps.size(), at);
  {  // the helper matches the runtime
    const wasm::Trace claimed = claim_out_of_gas_at(*p, full, at, limit);
    EXPECT_EQ(claimed.steps, honest.steps);
    EXPECT_EQ(claimed.end, honest.end);
    EXPECT_EQ(claimed.header.gas_limit, honest.header.gas_limit);
  }
  // One instruction early: the step before still fits under the limit.
  expect_forgery_rejected("one instruction early", *p, claim_out_of_gas_at(*p, full, at - 1, limit),
                          {3});
  // Another limit: one under which the store fits, and one below the gas used.
  expect_forgery_rejected("limit + cost (the store fits)", *p,
                          claim_out_of_gas_at(*p, full, at, limit + cost), {3});
  expect_forgery_rejected("limit below the gas used", *p,
                          claim_out_of_gas_at(*p, full, at, gas_before(*p, full, at) - 1), {3});
  // A run that returns claimed out of gas at its last instruction (the return fits).
  expect_forgery_rejected("return claimed out of gas", *p,
                          claim_out_of_gas_at(*p, full, full.steps.size() - 1, full.end.gas_used),
                          {3});
  // Another trap code at the same place.
  wasm::Trace code = honest;
  code.end.trap_code = 1;
  expect_forgery_rejected("unreachable claimed where gas runs out", *p, code, {3});
  // The honest returned proof checked as out of gas.
  auto rb = prove(*p, full, function_opts({3}));
  ASSERT_TRUE(rb.is_ok()) << rb.status().to_string();
  Bundle oog = *rb;
  oog.publics.status = 1;
  oog.publics.trap_code = kOutOfGas;
  oog.publics.results.clear();
  oog.publics.gas_limit = full.end.gas_used;
  EXPECT_FALSE(verify(*p, oog).is_ok()) << "a returned run verified as out of gas";
}

// Forgeries below the trace: the trap row's columns edited with the range bus kept balanced,
// so only the out-of-gas constraints can reject them.
TEST(ZkGasTraps, ForgedTrapRowsAreRejected) {
  const auto bytes = wat(kSpin);
  const auto p = load_program(bytes);
  const wasm::Trace full = run_gas(bytes, "spin", {3}, 1u << 30);
  const size_t at = first_step_of(full, Op::kI32Store);
  const uint64_t cost = p->module().code[full.steps[at].pc].gas;
  const uint64_t used = gas_before(*p, full, at);
  const uint64_t limit = used;  // the store (cost 2) does not fit; d0 = cost - 1
  ASSERT_GE(cost, 2u);
  const wasm::Trace honest = run_gas(bytes, "spin", {3}, limit);
  WitnessOptions wo;
  wo.args = {3};
  PublicValues pv;
  auto built = build_witness(*p, honest, wo, pv);
  ASSERT_TRUE(built.is_ok()) << built.status().to_string();
  const MachineWitness& w = *built;
  using E = L::Exec;
  const size_t rows = w.main[L::kExec].size() / E::kWidth;
  auto col = [&](MachineWitness& m, uint32_t c, size_t row) -> Fp& {
    return m.main[L::kExec][size_t(c) * rows + row];
  };
  size_t trap = 0;  // the last real row
  while (trap + 1 < rows && w.main[L::kExec][size_t(E::kReal) * rows + trap + 1] == Fp::one()) ++trap;
  MachineWitness probe = w;
  ASSERT_EQ(col(probe, E::kGasTrap, trap), Fp::one());
  ASSERT_EQ(col(probe, E::kGas, trap), Fp::from_u64(used));
  ASSERT_EQ(col(probe, E::kD, trap), Fp::from_u64(used + cost - limit - 1));
  auto pk = p->proving_key(fri_test_preset());
  ASSERT_TRUE(pk.is_ok());
  const Status ok = test_support::prove_and_verify(*p, **pk, w, pv, true);
  ASSERT_TRUE(ok.is_ok()) << ok.to_string();
  auto expect_rejected = [&](const std::string& what, const MachineWitness& f,
                             const PublicValues& fpv) {
    const Status st = test_support::prove_and_verify(*p, **pk, f, fpv, false);
    EXPECT_FALSE(st.is_ok()) << what << " verified";
    std::printf("  forged %-50s -> %s\n", what.c_str(), st.message().c_str());
  };
  // Gas used one less at the trap row (and in the claim), the difference kept in range.
  {
    MachineWitness f = w;
    PublicValues fpv = pv;
    col(f, E::kGas, trap) -= Fp::one();
    col(f, E::kD, trap) -= Fp::one();
    move_range_count(f, used + cost - limit - 1, used + cost - limit - 2);
    fpv.gas_used -= 1;
    auto pub = public_inputs(*p, fpv);
    ASSERT_TRUE(pub.is_ok());
    f.publics = *pub;
    expect_rejected("gas used - 1 at the trap row", f, fpv);
  }
  // A larger limit claimed with the cost of a pricier instruction: the program row's cost binds.
  {
    MachineWitness f = w;
    PublicValues fpv = pv;
    fpv.gas_limit = limit + 3;
    col(f, E::kGasCost, trap) += Fp::from_u32(3);
    auto pub = public_inputs(*p, fpv);
    ASSERT_TRUE(pub.is_ok());
    f.publics = *pub;
    expect_rejected("limit + 3 with the cost + 3", f, fpv);
  }
  // A limit under which the store fits: the difference is -1, which no range check passes.
  {
    MachineWitness f = w;
    PublicValues fpv = pv;
    fpv.gas_limit = used + cost;
    col(f, E::kD, trap) = Fp::from_u64(used + cost) - Fp::from_u64(used + cost) - Fp::one();
    auto pub = public_inputs(*p, fpv);
    ASSERT_TRUE(pub.is_ok());
    f.publics = *pub;
    expect_rejected("limit = gas + cost (the store fits), d0 = -1", f, fpv);
  }
  // The trap row as unreachable (code 1): its opcode offset then fails unreachable's check.
  {
    MachineWitness f = w;
    PublicValues fpv = pv;
    col(f, E::kGasTrap, trap) = Fp::zero();
    col(f, E::kGasOpX, trap) = Fp::zero();
    fpv.trap_code = 1;
    fpv.gas_limit = 0;
    fpv.gas_used += cost;  // as an instruction that runs: only its opcode can reject it
    fpv.instructions += 1;
    auto pub = public_inputs(*p, fpv);
    ASSERT_TRUE(pub.is_ok());
    f.publics = *pub;
    expect_rejected("the trap row as unreachable (code 1)", f, fpv);
  }
  // The trap row claiming code 12 or the opcode of another instruction.
  {
    MachineWitness f = w;
    PublicValues fpv = pv;
    fpv.trap_code = 12;
    fpv.gas_limit = 0;
    auto pub = public_inputs(*p, fpv);
    ASSERT_TRUE(pub.is_ok());
    f.publics = *pub;
    expect_rejected("out of gas claimed as a host error (12)", f, fpv);
  }
  {
    MachineWitness f = w;
    const Fp other = Fp::from_u32(uint32_t(Op::kI32Load)) - Fp::from_u32(uint32_t(Op::kUnreachable));
    col(f, E::kOpX, trap) = other;
    col(f, E::kGasOpX, trap) = other;
    expect_rejected("the trap row naming i32.load at the store's pc", f, pv);
  }
  // An unreachable-class bit beside the gas bit (a call-stack trap's g).
  {
    MachineWitness f = w;
    col(f, E::kCiStack, trap) = Fp::one();
    expect_rejected("the gas bit with the call_indirect stack bit", f, pv);
  }
}

// The bundle's gas limit field: present after the output, refused when truncated, nonzero
// without out of gas, below the gas used or from kMaxGasLimit (2^30).
TEST(ZkGasTraps, BundleGasLimitField) {
  const auto bytes = wat(kSpin);
  const auto p = load_program(bytes);
  const wasm::Trace t = run_gas(bytes, "spin", {1000000}, 300);
  auto b = prove(*p, t, function_opts({1000000}));
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  const std::vector<uint8_t> enc = serialize_bundle(*b);
  // The field sits right before the proof length: find it by re-encoding with another limit.
  Bundle other = *b;
  other.publics.gas_limit = 0x0102030405060708ull;
  const std::vector<uint8_t> enc2 = serialize_bundle(other);
  ASSERT_EQ(enc.size(), enc2.size());
  size_t at = 0;
  while (at < enc.size() && enc[at] == enc2[at]) ++at;
  ASSERT_LT(at + 8, enc.size());
  EXPECT_EQ(enc2[at], 0x08);
  uint64_t got = 0;
  for (int i = 7; i >= 0; --i) got = (got << 8) | enc[at + size_t(i)];
  EXPECT_EQ(got, 300u);
  auto expect_refused = [&](const std::string& what, const std::vector<uint8_t>& bad) {
    auto r = deserialize_bundle(bad);
    ASSERT_FALSE(r.is_ok()) << what;
    EXPECT_NE(r.status().message().find("gas limit"), std::string::npos)
        << what << ": " << r.status().message();
    std::printf("  bundle %-36s -> %s\n", what.c_str(), r.status().message().c_str());
  };
  expect_refused("cut inside the gas limit", std::vector<uint8_t>(enc.begin(), enc.begin() + long(at) + 4));
  expect_refused("limit 2^30 (kMaxGasLimit)", serialize_bundle([&] {
                   Bundle x = *b;
                   x.publics.gas_limit = L::kMaxGasLimit;
                   return x;
                 }()));
  expect_refused("limit below the gas used", serialize_bundle([&] {
                   Bundle x = *b;
                   x.publics.gas_limit = x.publics.gas_used - 1;
                   return x;
                 }()));
  expect_refused("a limit with another trap code", serialize_bundle([&] {
                   Bundle x = *b;
                   x.publics.trap_code = 1;
                   return x;
                 }()));
  // A returned run carries limit 0; a nonzero one is refused.
  const wasm::Trace ret = run_gas(bytes, "spin", {2}, 1u << 30);
  auto rb = prove(*p, ret, function_opts({2}));
  ASSERT_TRUE(rb.is_ok());
  EXPECT_EQ(rb->publics.gas_limit, 0u);
  auto back = deserialize_bundle(serialize_bundle(*rb));
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->publics.gas_limit, 0u);
  expect_refused("a limit on a returned run", serialize_bundle([&] {
                   Bundle x = *rb;
                   x.publics.gas_limit = 1u << 30;
                   return x;
                 }()));
  // verify() refuses the same claims without the parser.
  Bundle x = *b;
  x.publics.gas_limit = L::kMaxGasLimit;
  EXPECT_FALSE(verify(*p, x).is_ok());
}

}  // namespace
}  // namespace efaas::zkwasm
