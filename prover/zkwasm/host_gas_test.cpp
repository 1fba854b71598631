// zkWASM: out of gas inside input_read / output_write (the byte gas does not fit, trap code 10
// with the gas limit public) and out-of-bounds host I/O (trap code 2), both also reached
// through call_indirect of the host function (docs/zkwasm.md, "Traps": hoob / hwo rows with
// trap code 10). The runtime (prover/wasm/extension.cpp) charges one gas unit per 8 bytes of
// input_read's count (min(len, size - offset)) or output_write's len after the call's base cost
// and before moving anything, and charges none of it when it does not fit.
// Completeness from real runtime traces (direct and through the table, full and short reads,
// the private input, one segment and the last segment of a split run); forgeries with the
// prover's checks off that the verifier must reject: the trap claimed where the byte gas fits
// exactly, as trap code 2 or 12, the byte gas changed on the trap row, and honest proofs
// (out of gas, out of bounds, a return) checked against another limit, gas used or trap code.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "prover/field/babybear.hpp"
#include "prover/fri/fri_params.hpp"
#include "prover/wasm/extension.hpp"
#include "prover/wasm/instance.hpp"
#include "prover/zkwasm/layout.hpp"
#include "prover/zkwasm/test_support.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::zkwasm {
namespace {

namespace L = layout;
using E = L::Exec;
using wasm::Op;
using test_support::expect_forgery_rejected;
using test_support::extension_opts;
using test_support::move_range_count;
using test_support::run_extension;
using test_support::wat;

constexpr uint32_t kOutOfGas = uint32_t(wasm::TrapCode::kOutOfGas);
constexpr uint32_t kOob = uint32_t(wasm::TrapCode::kMemoryOutOfBounds);
static_assert(kOutOfGas == L::kTrapOutOfGas && kOob == L::kTrapMemOob);

constexpr size_t kDataLen = 40, kPrivateLen = 21;

wasm::ExtensionInput input_of() {
  wasm::ExtensionInput in;
  for (size_t i = 0; i < kDataLen; ++i) in.data.push_back(uint8_t(5 * i + 2));
  for (size_t i = 0; i < in.block_hash.size(); ++i) in.block_hash[i] = uint8_t(0x40 + i);
  for (size_t i = 0; i < kPrivateLen; ++i) in.private_input.push_back(uint8_t(3 * i + 1));
  return in;
}

// An Extension (one page) that writes "hello", loops `spins` times, then calls
// input_read(kind, offset, addr, len) or output_write(addr, len), directly or through its
// table, writes 4 more bytes and returns 7.
struct Call {
  bool read, indirect;
  uint32_t addr, len, offset = 0, kind = 0;
};
std::string ext(const Call& c, uint32_t spins = 0) {
  auto i32 = [](uint32_t v) { return "(i32.const " + std::to_string(int32_t(v)) + ")"; };
  const std::string args = c.read ? i32(c.kind) + " " + i32(c.offset) + " " + i32(c.addr) + " " +
                                        i32(c.len)
                                  : i32(c.addr) + " " + i32(c.len);
  std::string call;
  if (c.indirect) {
    call = c.read ? "(drop (call_indirect (type $t4) " + args + " (i32.const 0)))"
                  : "(call_indirect (type $t2) " + args + " (i32.const 1))";
  } else {
    call = c.read ? "(drop (call $ird " + args + "))" : "(call $out " + args + ")";
  }
  const std::string table = c.indirect ? R"(
  (type $t4 (func (param i32 i32 i32 i32) (result i32)))
  (type $t2 (func (param i32 i32)))
  (table 2 funcref)
  (elem (i32.const 0) $ird $out))"
                                       : "";
  return R"((module
  (import "efaas" "input_read" (func $ird (param i32 i32 i32 i32) (result i32)))
  (import "efaas" "output_write" (func $out (param i32 i32))))" +
         table + R"(
  (memory (export "memory") 1)
  (data (i32.const 0) "hello")
  (func (export "efaas_main") (result i32) (local $i i32)
    (call $out (i32.const 0) (i32.const 5))
    )" + test_support::spin_wat(spins) + call + R"(
    (call $out (i32.const 1) (i32.const 4))
    (i32.const 7)))
)";
}

std::string describe(const Call& c) {
  return std::string(c.read ? "input_read" : "output_write") +
         (c.indirect ? " via call_indirect" : "") + " addr " + std::to_string(c.addr) + " len " +
         std::to_string(c.len) + " offset " + std::to_string(c.offset) + " kind " +
         std::to_string(c.kind);
}

// The call under test in a runtime trace: the first call_host or call_indirect after the
// first call_host (output_write "hello").
size_t call_step(const wasm::Trace& t) {
  bool seen = false;
  for (size_t i = 0; i < t.steps.size(); ++i) {
    const uint16_t op = t.steps[i].op;
    if (seen && (op == uint16_t(Op::kCallHost) || op == uint16_t(Op::kCallIndirect))) return i;
    seen = seen || op == uint16_t(Op::kCallHost);
  }
  ADD_FAILURE() << "no call under test";
  return 0;
}

// The gas limits around the call under test: gas used before it plus its base cost (the gas
// used at the trap), and its byte gas ceil(bytes / 8).
struct Budget {
  uint64_t at_call = 0, byte_gas = 0;
  uint64_t inside() const { return at_call + byte_gas - 1; }  // the byte gas does not fit
};
Budget budget_of(const test_support::ExtensionRun& e, uint64_t bytes) {
  const size_t at = call_step(e.trace);
  Budget b;
  b.at_call = test_support::step_gas(*e.program, std::span(e.trace.steps).first(at + 1));
  b.byte_gas = (bytes + 7) / 8;
  return b;
}

// Proves, round-trips and verifies `e`'s run; the verified claim is the runtime's, and the same
// proof checked against another limit, gas used or trap code (or as a return) is rejected.
Bundle expect_proves(const test_support::ExtensionRun& e,
                     uint32_t segment_log = kDefaultSegmentLog) {
  const Bundle back = test_support::expect_extension_proves(e, segment_log);
  if (back.segments.empty()) return back;  // failed, reported
  auto tampered = [&](const std::string& what, auto edit) {
    Bundle o = back;
    edit(o.publics);
    auto v = verify(*e.program, o);
    EXPECT_FALSE(v.is_ok()) << what << " verified";
  };
  if (e.result.trap == wasm::TrapCode::kOutOfGas) {
    const uint64_t limit = e.trace.header.gas_limit;
    auto pv = verify(*e.program, back);
    EXPECT_TRUE(pv.is_ok() && pv->gas_limit == limit) << "the verified limit is the trace's";
    tampered("limit + 1", [&](PublicValues& v) { v.gas_limit = limit + 1; });
    tampered("limit - 1", [&](PublicValues& v) { v.gas_limit = limit - 1; });
    // The same field element as the limit: below 2^31 but not below kMaxGasLimit = 2^30 (with
    // the old bound 2^31 this claim verified with the honest proof, a limit under which the run
    // does not run out of gas).
    static_assert(uint64_t(Fp::kP) < (uint64_t(1) << 31) && uint64_t(Fp::kP) >= L::kMaxGasLimit);
    tampered("limit + p", [&](PublicValues& v) { v.gas_limit = limit + Fp::kP; });
    tampered("gas used + 1", [&](PublicValues& v) { v.gas_used += 1; });
    tampered("trap code 2", [&](PublicValues& v) { v.trap_code = kOob, v.gas_limit = 0; });
    tampered("trap code 2, byte gas charged", [&](PublicValues& v) {
      v.trap_code = kOob, v.gas_limit = 0, v.gas_used = limit + 1;
    });
    tampered("trap code 12", [&](PublicValues& v) { v.trap_code = 12, v.gas_limit = 0; });
    tampered("a return", [&](PublicValues& v) {
      v.status = 0, v.trap_code = 0, v.gas_limit = 0, v.results = {7};
    });
  }
  return back;
}

const Call kCases[] = {
    {false, false, 0, 64},                  // output_write, 8 units of byte gas
    {false, false, 8, 5},                   // 1 unit
    {true, false, 64, 16},                  // input_read, full copy: 2 units
    {true, false, 64, 100, 30},             // short copy (10 of 100): 2 units
    {true, false, 64, kPrivateLen, 0, 4},   // the private input (21 bytes): 3 units
    {false, true, 0, 17},                   // through the table: 3 units
    {true, true, 64, 100, 30},              // short copy through the table
    {true, true, 64, 9, 3, 4},              // private input through the table: 2 units
};

uint64_t bytes_of(const Call& c) {
  if (!c.read) return c.len;
  const uint64_t size = c.kind == 4 ? kPrivateLen : kDataLen;
  return c.offset >= size ? 0 : std::min<uint64_t>(c.len, size - c.offset);
}

// Runs module `bytes` out of gas inside its call `c`: first with gas to spare (it returns 7) for
// its budget, then one unit short of its byte gas.
struct OutOfGasRun {
  test_support::ExtensionRun run;
  Budget budget;
};
OutOfGasRun run_out_of_gas_inside(const std::vector<uint8_t>& bytes, const Call& c,
                                  const wasm::ExtensionInput& in) {
  OutOfGasRun o;
  const auto full = run_extension(bytes, in, 1u << 20);
  EXPECT_EQ(full.result.exit_code, 7) << full.result.trap_message;
  o.budget = budget_of(full, bytes_of(c));
  o.run = run_extension(bytes, in, o.budget.inside());
  return o;
}

TEST(ZkHostGas, ExecTableStaysAtDegree3) {
  EXPECT_LE(machine_air().tables[L::kExec].max_degree(), 3u);
}

TEST(ZkHostGas, OutOfGasInsideHostIoProves) {
  const wasm::ExtensionInput in = input_of();
  for (const Call& c : kCases) {
    SCOPED_TRACE(describe(c));
    const auto bytes = wat(ext(c));
    // One unit short: the call fails inside, charging none of its byte gas, moving nothing.
    const auto [e, g] = run_out_of_gas_inside(bytes, c, in);
    ASSERT_GT(g.byte_gas, 0u);
    ASSERT_EQ(e.result.trap, wasm::TrapCode::kOutOfGas) << e.result.trap_message;
    ASSERT_EQ(e.result.gas_used, g.at_call);
    ASSERT_EQ(e.result.output, std::vector<uint8_t>({'h', 'e', 'l', 'l', 'o'}));
    ASSERT_EQ(call_step(e.trace) + 1, e.trace.steps.size());
    expect_proves(e);
    // The byte gas fits exactly: the call goes on and the next instruction runs out of gas.
    const auto fits = run_extension(bytes, in, g.inside() + 1);
    ASSERT_EQ(fits.result.trap, wasm::TrapCode::kOutOfGas);
    ASSERT_GT(fits.trace.steps.size(), e.trace.steps.size());
    expect_proves(fits);
  }
}

// Out-of-bounds host I/O through call_indirect (trap code 2 inside the host function reached
// through the table: the host tail row is the trap row).
TEST(ZkHostGas, OutOfBoundsThroughCallIndirectProves) {
  const wasm::ExtensionInput in = input_of();
  const Call cases[] = {
      {true, true, 65536 - 4, 8},          // full copy past the end by 4 bytes
      {true, true, 65536 - 4, 100, 30},    // short copy (10) past the end
      {true, true, 65536 - 4, 9, 3, 4},    // private input past the end
      {false, true, 65536 - 4, 5},         // output_write past the end by 1 byte
      {false, true, 0xFFFFFF00u, 16},      // far beyond every memory
  };
  for (const Call& c : cases) {
    SCOPED_TRACE(describe(c));
    const auto e = run_extension(wat(ext(c)), in, 1u << 20);
    ASSERT_EQ(e.result.trap, wasm::TrapCode::kMemoryOutOfBounds) << e.result.trap_message;
    const Bundle b = expect_proves(e);
    // Claimed as out of gas (code 10) under any limit the gas used allows: the byte gas the
    // runtime charged is then missing from the public gas.
    for (uint64_t limit : {e.result.gas_used, e.result.gas_used + 1}) {
      Bundle o = b;
      o.publics.trap_code = kOutOfGas;
      o.publics.gas_limit = limit;
      EXPECT_FALSE(verify(*e.program, o).is_ok()) << "out of bounds verified as out of gas";
    }
  }
  // A copy that fits exactly goes on through the table.
  const auto ok = run_extension(wat(ext({true, true, 65536 - 8, 8})), in, 1u << 20);
  ASSERT_EQ(ok.result.exit_code, 7);
  expect_proves(ok);
}

TEST(ZkHostGas, LastSegmentOfASplitRun) {
  const wasm::ExtensionInput in = input_of();
  for (const Call& c : {kCases[0], kCases[3], kCases[5], kCases[6]}) {
    SCOPED_TRACE(describe(c));
    const auto e = run_out_of_gas_inside(wat(ext(c, 200)), c, in).run;
    ASSERT_EQ(e.result.trap, wasm::TrapCode::kOutOfGas);
    ASSERT_GT(e.trace.steps.size(), 1000u);
    const Bundle b = expect_proves(e, 8);
    EXPECT_GT(b.segments.size(), 2u);
  }
  // Out of bounds through the table in the last segment.
  const auto oob = run_extension(wat(ext({true, true, 65536 - 4, 100, 30}, 200)), in, 1u << 20);
  ASSERT_EQ(oob.result.trap, wasm::TrapCode::kMemoryOutOfBounds);
  EXPECT_GT(expect_proves(oob, 8).segments.size(), 2u);
}

// Forged traces proved with the prover's checks off.
TEST(ZkHostGas, ForgedTracesAreRejected) {
  const wasm::ExtensionInput in = input_of();
  for (const Call& c : {kCases[0], kCases[3], kCases[5], kCases[6]}) {
    SCOPED_TRACE(describe(c));
    const auto [e, g] = run_out_of_gas_inside(wat(ext(c)), c, in);
    ASSERT_EQ(e.result.trap, wasm::TrapCode::kOutOfGas);
    const std::string name = describe(c);
    // The limit where the byte gas fits exactly (or with room to spare).
    for (uint64_t more : {1u, 1000u}) {
      wasm::Trace t = e.trace;
      t.header.gas_limit += more;
      expect_forgery_rejected(name + ": limit + " + std::to_string(more), *e.program, t, in);
    }
    // Another trap code: out of bounds (the byte gas charged, as the runtime would), a host
    // error.
    {
      wasm::Trace t = e.trace;
      t.end.trap_code = kOob;
      t.end.gas_used += g.byte_gas;
      expect_forgery_rejected(name + ": as out of bounds (2)", *e.program, t, in);
    }
    {
      wasm::Trace t = e.trace;
      t.end.trap_code = L::kTrapHostError;
      expect_forgery_rejected(name + ": as a host error (12)", *e.program, t, in);
    }
  }
  // A returned run claimed out of gas at its end, and its proof relabelled.
  const auto ret = run_extension(wat(ext(kCases[0])), in, 1u << 20);
  ASSERT_EQ(ret.result.exit_code, 7);
  auto b = prove(*ret.program, ret.trace, extension_opts(ret.input));
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  Bundle o = *b;
  o.publics.status = 1, o.publics.trap_code = kOutOfGas, o.publics.results.clear();
  o.publics.gas_limit = o.publics.gas_used;
  EXPECT_FALSE(verify(*ret.program, o).is_ok()) << "a return verified as out of gas";
}

// Below the trace: the trap row's byte gas omitted or changed (d2 and, on input_read's tail, the
// gas cost; when larger, with the gas check's difference recomputed, so only the byte gas
// decomposition can reject it); the gas check's difference shifted; the honest witness
// relabelled as out of bounds (2), unreachable (1) or a host error (12).
TEST(ZkHostGas, ForgedTrapRowsAreRejected) {
  const wasm::ExtensionInput in = input_of();
  for (const Call& c : {kCases[0], kCases[3], kCases[6]}) {
    SCOPED_TRACE(describe(c));
    const auto [e, g] = run_out_of_gas_inside(wat(ext(c)), c, in);
    ASSERT_EQ(e.result.trap, wasm::TrapCode::kOutOfGas);
    auto pk = e.program->proving_key(fri_test_preset());
    ASSERT_TRUE(pk.is_ok());
    PublicValues pv;
    auto w = test_support::extension_witness(*e.program, e.trace, in, pv);
    ASSERT_TRUE(w.is_ok()) << w.status().to_string();
    const size_t rows = w->main[L::kExec].size() / E::kWidth;
    const uint32_t host = E::kFlags + uint32_t(L::flag_index(Op::kCallHost));
    size_t row = SIZE_MAX;
    for (size_t r = 0; r < rows; ++r) {
      auto on = [&](uint32_t col) { return w->main[L::kExec][size_t(col) * rows + r] == Fp::one(); };
      if ((on(E::kIo) && on(E::kRdOobTail)) || (on(host) && on(E::kWrOobNear))) row = r;
    }
    ASSERT_NE(row, SIZE_MAX) << "no trap row";
    auto at = [&](MachineWitness& m, uint32_t col) -> Fp& {
      return m.main[L::kExec][size_t(col) * rows + row];
    };
    ASSERT_EQ(at(*w, E::kD + 2).to_canonical(), g.byte_gas);
    ASSERT_TRUE(test_support::prove_and_verify(*e.program, **pk, *w, pv, true).is_ok());
    // The gas check's difference: gas + cost + byte gas - limit - 1 = 0 here (one unit short).
    ASSERT_EQ(at(*w, E::kD + 1).to_canonical(), 0u);
    // Omitted (0), one unit less or more, doubled.
    for (uint64_t d2 : {uint64_t(0), g.byte_gas - 1, g.byte_gas + 1, 2 * g.byte_gas}) {
      MachineWitness f = *w;
      at(f, E::kD + 2) = Fp::from_u64(d2);
      move_range_count(f, g.byte_gas, d2);
      if (c.read) at(f, E::kGasCost) = Fp::from_u64(d2);
      // The gas check's difference moves with the byte gas (d2 - g, in range when d2 > g).
      if (d2 > g.byte_gas) {
        at(f, E::kD + 1) = Fp::from_u64(d2 - g.byte_gas);
        move_range_count(f, 0, d2 - g.byte_gas);
      }
      const Status st = test_support::prove_and_verify(*e.program, **pk, f, pv, false);
      EXPECT_FALSE(st.is_ok()) << "byte gas " << d2 << " verified";
      std::printf("  forged byte gas %llu instead of %llu (%s) -> %s\n", (unsigned long long)d2,
                  (unsigned long long)g.byte_gas, describe(c).c_str(), st.message().c_str());
    }
    {  // The difference shifted by one (as if the limit were one less).
      MachineWitness f = *w;
      at(f, E::kD + 1) = Fp::one();
      move_range_count(f, 0, 1);
      const Status st = test_support::prove_and_verify(*e.program, **pk, f, pv, false);
      EXPECT_FALSE(st.is_ok()) << "a shifted gas difference verified";
    }
    for (uint32_t code : {kOob, 1u, 12u}) {
      MachineWitness f = *w;
      PublicValues fpv = pv;
      fpv.trap_code = code;
      fpv.gas_limit = 0;
      f.publics[L::kPubTrapCode] = Fp::from_u32(code);
      f.publics[L::kPubGasLimit] = Fp::zero();
      const Status st = test_support::prove_and_verify(*e.program, **pk, f, fpv, false);
      EXPECT_FALSE(st.is_ok()) << "trap code " << code << " verified";
      std::printf("  forged trap code %u (%s) -> %s\n", code, describe(c).c_str(),
                  st.message().c_str());
    }
  }
}

}  // namespace
}  // namespace efaas::zkwasm
