// zkWASM out-of-bounds host I/O (docs/zkwasm.md, "Traps": hoob, hwo): the runtime
// (prover/wasm/extension.cpp) computes input_read's count (output_write's len, after the output
// limit check), charges the byte gas (one unit per 8 bytes) and then traps with code 2 when the
// whole range does not fit the linear memory, before copying anything. Completeness from real
// runtime traces (input_read full and short, output_write past the memory by 1 byte and by a
// lot, 0 bytes beyond it, after memory.grow; one segment and the last segment of a split run;
// the copies that fit exactly go on and prove), and forgeries made with the prover's checks off
// that the verifier must reject: the trap claimed where the copy fits exactly or copies
// nothing, a stale page count, the byte gas omitted or doubled, another trap code, and honest
// proofs checked against tampered public gas, status and trap code.
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
using E = L::Exec;
using wasm::Op;
using test_support::claim_trap_at;
using test_support::expect_forgery_rejected;
using test_support::extension_opts;
using test_support::move_range_count;
using test_support::wat;
using test_support::expect_extension_proves;

constexpr uint32_t kOob = uint32_t(wasm::TrapCode::kMemoryOutOfBounds);
static_assert(kOob == L::kTrapMemOob);

wasm::ExtensionInput input_of(size_t data_len) {
  wasm::ExtensionInput in;
  for (size_t i = 0; i < data_len; ++i) in.data.push_back(uint8_t(5 * i + 2));
  for (size_t i = 0; i < in.block_hash.size(); ++i) in.block_hash[i] = uint8_t(0x40 + i);
  return in;
}

// An Extension (one page, up to 8) that writes 5 bytes of output, grows its memory by `grow`
// pages, loops `spins` times, then calls input_read(kind, offset, addr, len) (`read`) or
// output_write(addr, len), writes 4 more bytes and returns 7 if the call did not trap.
struct Call {
  bool read;
  uint32_t addr, len, offset = 0, grow = 0, kind = 0;
};
std::string oob_ext(const Call& c, uint32_t spins = 0) {
  const std::string call =
      c.read ? "(drop (call $ird (i32.const " + std::to_string(c.kind) + ") (i32.const " +
                   std::to_string(int32_t(c.offset)) + ") (i32.const " +
                   std::to_string(int32_t(c.addr)) + ") (i32.const " +
                   std::to_string(int32_t(c.len)) + ")))"
             : "(call $out (i32.const " + std::to_string(int32_t(c.addr)) + ") (i32.const " +
                   std::to_string(int32_t(c.len)) + "))";
  return R"((module
  (import "efaas" "input_read" (func $ird (param i32 i32 i32 i32) (result i32)))
  (import "efaas" "output_write" (func $out (param i32 i32)))
  (memory (export "memory") 1 8)
  (data (i32.const 0) "hello")
  (func (export "efaas_main") (result i32) (local $i i32)
    (call $out (i32.const 0) (i32.const 5))
    (drop (memory.grow (i32.const )" +
         std::to_string(c.grow) + R"()))
    )" + test_support::spin_wat(spins) + call + R"(
    (call $out (i32.const 1) (i32.const 4))
    (i32.const 7)))
)";
}

std::string describe(const Call& c) {
  return std::string(c.read ? "input_read" : "output_write") + " addr " + std::to_string(c.addr) +
         " len " + std::to_string(c.len) + " offset " + std::to_string(c.offset) + " grow " +
         std::to_string(c.grow);
}

constexpr size_t kDataLen = 40;

// The byte gas the runtime charged at the trap: its gas used minus the program's costs.
uint64_t byte_gas_of(const test_support::ExtensionRun& e) {
  return e.trace.end.gas_used - test_support::step_gas(*e.program, e.trace.steps);
}

// The trap's constraints keep the execution table at its degree (air.cpp, kExecDegree).
TEST(ZkHostOob, ExecTableStaysAtDegree3) {
  EXPECT_LE(machine_air().tables[L::kExec].max_degree(), 3u);
}

TEST(ZkHostOob, TrapsInsideHostIoProve) {
  const wasm::ExtensionInput in = input_of(kDataLen);
  // Each traps with code 2: {call, count or len moved (the byte gas is ceil(it / 8))}.
  struct Case {
    Call call;
    uint32_t moved;
  };
  const Case cases[] = {
      {{true, 65536 - 4, 8}, 8},                // full copy past the end by 4 bytes
      {{true, 65536 - 1, 17, 0}, 17},           // 3 units of byte gas
      {{true, 65536 - 4, 100, 30}, 10},         // short copy (10 of 100) past the end
      {{true, 3 * 65536 - 1, 16, 0, 2}, 16},    // after memory.grow: 3 pages
      {{true, 0xFFFFFFF0u, 8}, 8},              // dst far beyond any memory
      {{true, 0x80000000u, 40, 0, 0, 3}, 32},   // short copy of kind 3 (32 bytes), dst >= 2^31
      {{false, 65536 - 4, 5}, 5},               // past the end by 1 byte
      {{false, 65536 + 10, 0}, 0},              // 0 bytes beyond the end
      {{false, 3000000, 100}, 100},             // by a lot (src_hi 45, near)
      {{false, 0xFFFFFF00u, 16}, 16},           // far
      {{false, 3 * 65536 - 8, 9, 0, 2}, 9},     // after memory.grow: 3 pages
      {{false, 65536 - 1, 4096}, 4096},         // 512 units of byte gas
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(describe(c.call));
    const auto e = test_support::run_extension(wat(oob_ext(c.call)), in);
    ASSERT_EQ(e.result.trap, wasm::TrapCode::kMemoryOutOfBounds) << e.result.trap_message;
    ASSERT_EQ(e.result.output.size(), 5u);
    EXPECT_EQ(byte_gas_of(e), (uint64_t(c.moved) + 7) / 8);
    const Bundle b = expect_extension_proves(e);
    if (b.segments.empty()) continue;
    // Honest proofs against tampered public values.
    Bundle g = b;
    g.publics.gas_used += 1;
    EXPECT_FALSE(verify(*e.program, g).is_ok()) << "verified with one gas more";
    if (c.moved != 0) {
      g.publics.gas_used -= 1 + (uint64_t(c.moved) + 7) / 8;
      EXPECT_FALSE(verify(*e.program, g).is_ok()) << "verified without the byte gas";
    }
    for (uint32_t code : {1u, 3u, 12u}) {
      Bundle t = b;
      t.publics.trap_code = code;
      EXPECT_FALSE(verify(*e.program, t).is_ok()) << "verified with trap code " << code;
    }
    Bundle s = b;  // a return instead of the trap
    s.publics.status = 0;
    s.publics.trap_code = 0;
    s.publics.results = {7};
    EXPECT_FALSE(verify(*e.program, s).is_ok()) << "verified as a return";
  }
}

TEST(ZkHostOob, CopiesThatFitGoOn) {
  const wasm::ExtensionInput in = input_of(kDataLen);
  const Call cases[] = {
      {true, 65536 - 8, 8},               // ends exactly at the end of memory
      {true, 65536 - 10, 100, 30},        // short copy of 10 ending there
      {true, 0xFFFFFF00u, 5, kDataLen},   // nothing copied (offset = size): dst is not checked
      {false, 65536 - 4, 4},              // ends exactly at the end
      {false, 65536, 0},                  // 0 bytes at the end
      {false, 2 * 65536, 8, 0, 2},        // beyond the first page, after memory.grow
  };
  for (const Call& c : cases) {
    SCOPED_TRACE(describe(c));
    const auto e = test_support::run_extension(wat(oob_ext(c)), in);
    ASSERT_EQ(e.result.trap, wasm::TrapCode::kNone) << e.result.trap_message;
    ASSERT_EQ(e.result.exit_code, 7);
    expect_extension_proves(e);
  }
}

TEST(ZkHostOob, TrapInTheLastSegmentOfASplitRun) {
  const wasm::ExtensionInput in = input_of(kDataLen);
  for (const Call& c : {Call{true, 65536 - 4, 100, 30}, Call{false, 65536 - 4, 5},
                        Call{true, 2 * 65536 + 65530, 8, 0, 2}}) {
    SCOPED_TRACE(describe(c));
    const auto e = test_support::run_extension(wat(oob_ext(c, 200)), in);
    ASSERT_EQ(e.result.trap, wasm::TrapCode::kMemoryOutOfBounds);
    ASSERT_GT(e.trace.steps.size(), 1000u);
    const Bundle b = expect_extension_proves(e, 8);
    EXPECT_GT(b.segments.size(), 2u);
  }
}

// The index of the call under test: the second call_host step (after output_write "hello").
size_t call_step(const wasm::Trace& t) {
  size_t seen = 0;
  for (size_t i = 0; i < t.steps.size(); ++i)
    if (t.steps[i].op == uint16_t(Op::kCallHost) && ++seen == 2) return i;
  ADD_FAILURE() << "no second host call";
  return 0;
}

// The trace of a run whose call under test goes on, cut after that call and claiming it
// trapped with `code`, its byte gas (ceil(moved / 8)) charged as the runtime would.
wasm::Trace claim_oob(const test_support::ExtensionRun& e, uint32_t code = kOob) {
  const size_t at = call_step(e.trace);
  size_t io = 0;
  while (at + 1 + io < e.trace.steps.size() &&
         (e.trace.steps[at + 1 + io].op == uint16_t(Op::kHostRead) ||
          e.trace.steps[at + 1 + io].op == uint16_t(Op::kHostWrite))) {
    ++io;
  }
  wasm::Trace u = claim_trap_at(*e.program, e.trace, at, code);
  u.end.gas_used += io;  // one unit per 8 bytes: as many as the cut I/O rows
  return u;
}

// A forged trace laid out with the checks off: the prover's own checks refuse it, the witness
// generator lays it out, and the verifier rejects the proof.
void expect_verifier_rejects(const std::string& what, const test_support::ExtensionRun& e,
                             const wasm::Trace& t) {
  SCOPED_TRACE(what);
  EXPECT_FALSE(prove(*e.program, t, extension_opts(e.input)).is_ok())
      << "the prover's own check missed it";
  auto b = prove(*e.program, t, extension_opts(e.input, false));
  ASSERT_TRUE(b.is_ok()) << "not laid out: " << b.status().to_string();
  auto v = verify(*e.program, *b);
  EXPECT_FALSE(v.is_ok()) << "forged proof verified";
  std::printf("  forged %-56s -> %s\n", what.c_str(), v.status().message().c_str());
}

TEST(ZkHostOob, TrapClaimedWhereTheCopyGoesOnIsRejected) {
  const wasm::ExtensionInput in = input_of(kDataLen);
  struct Case {
    Call call;
    const char* what;
  };
  const Case cases[] = {
      {{true, 65536 - 8, 8}, "input_read ending exactly at the end of memory"},
      {{true, 65536 - 10, 100, 30}, "short input_read ending exactly there"},
      {{true, 0xFFFFFF00u, 5, kDataLen}, "input_read copying nothing (dst far out)"},
      {{true, 2 * 65536, 8, 0, 2}, "input_read fitting only after memory.grow"},
      {{false, 65536 - 4, 4}, "output_write ending exactly at the end of memory"},
      {{false, 65536, 0}, "output_write of 0 bytes at the end of memory"},
      {{false, 2 * 65536, 8, 0, 2}, "output_write fitting only after memory.grow"},
  };
  for (const Case& c : cases) {
    const auto e = test_support::run_extension(wat(oob_ext(c.call)), in);
    ASSERT_EQ(e.result.trap, wasm::TrapCode::kNone) << e.result.trap_message;
    expect_verifier_rejects(c.what, e, claim_oob(e));
  }
}

// output_write beyond the output limit fails with a host error (code 12) before the memory is
// checked: the same call claimed as an out-of-bounds trap (its byte gas charged) must fail the
// output-limit decomposition.
TEST(ZkHostOob, HostErrorClaimedAsOutOfBoundsIsRejected) {
  const wasm::ExtensionInput in = input_of(kDataLen);
  const Call c{false, 65536 - 4, 1u << 20};
  const auto e = test_support::run_extension(wat(oob_ext(c)), in);
  ASSERT_EQ(e.result.trap, wasm::TrapCode::kHostError) << e.result.trap_message;
  wasm::Trace t = e.trace;
  t.end.trap_code = kOob;
  t.end.gas_used += (uint64_t(c.len) + 7) / 8;
  expect_verifier_rejects("output beyond the limit claimed as out of bounds", e, t);
}

// A witness built with the checks off, its exec table and the trap row (output_write's trap
// row, or input_read's tail row).
struct TrapWitness {
  MachineWitness w;
  PublicValues pv;
  size_t rows = 0, row = SIZE_MAX;
  Fp& at(uint32_t col) { return w.main[L::kExec][size_t(col) * rows + row]; }
  uint64_t get(uint32_t col) { return at(col).to_canonical(); }
};
TrapWitness trap_witness(const test_support::ExtensionRun& e, const wasm::Trace& t) {
  TrapWitness tw;
  auto w = test_support::extension_witness(*e.program, t, e.input, tw.pv);
  EXPECT_TRUE(w.is_ok()) << w.status().to_string();
  if (!w.is_ok()) return tw;
  tw.w = std::move(*w);
  const std::vector<Fp>& ex = tw.w.main[L::kExec];
  tw.rows = ex.size() / E::kWidth;
  const uint32_t host = E::kFlags + uint32_t(L::flag_index(Op::kCallHost));
  for (size_t r = 0; r < tw.rows; ++r) {
    auto c = [&](uint32_t col) { return ex[size_t(col) * tw.rows + r] == Fp::one(); };
    if ((c(E::kIo) && c(E::kRdOobTail)) ||
        (c(host) && (c(E::kWrOobNear) || c(E::kWrOobFar)))) {
      tw.row = r;
    }
  }
  EXPECT_NE(tw.row, SIZE_MAX) << "no trap row";
  return tw;
}

// Below the trace: a stale page count (the memory's size before memory.grow) read by the trap
// row, with every helper recomputed for it so that only the memory argument can object; the
// byte gas omitted or doubled (public gas and helpers made to agree); another trap code.
TEST(ZkHostOob, ForgedTrapRowsAreRejected) {
  const wasm::ExtensionInput in = input_of(kDataLen);
  auto pk_of = [](const Program& p) {
    auto pk = p.proving_key(fri_test_preset());
    EXPECT_TRUE(pk.is_ok());
    return *pk;
  };
  for (bool read : {true, false}) {
    SCOPED_TRACE(read ? "input_read" : "output_write");
    // Fits only after memory.grow (3 pages): the trap claimed with the initial page count.
    const Call fits{read, 2 * 65536, 8, 0, 2};
    const auto e = test_support::run_extension(wat(oob_ext(fits)), in);
    ASSERT_EQ(e.result.trap, wasm::TrapCode::kNone);
    TrapWitness f = trap_witness(e, claim_oob(e));
    ASSERT_NE(f.row, SIZE_MAX);
    const auto pk = pk_of(*e.program);
    if (read) {
      EXPECT_EQ(f.get(E::kX), 3u);
      f.at(E::kX) = Fp::one();
      // dst1 + r1 - pages = d1 + bh' with pages 1: 2 + 0 - 1.
      const uint64_t old_d1 = f.get(E::kD + 1), old_bh = f.get(E::kBh);
      EXPECT_EQ(f.get(E::kR + 1), 0u);
      f.at(E::kD + 1) = Fp::one();
      f.at(E::kBh) = Fp::zero();
      f.at(E::kSb) = Fp::zero();
      move_range_count(f.w, old_d1 & 0xFFFF, 1);
      move_range_count(f.w, (2 * (old_bh & 0x7FFF)) & 0xFFFF, 0);
    } else {
      EXPECT_EQ(f.get(E::kA), 3u);
      f.at(E::kA) = Fp::one();
      f.at(E::kR) = Fp::one();
      move_range_count(f.w, 3, 1);  // r0
      // src + len - 1 - 2^16 = d1 + 2^14 bh': 65543.
      const uint64_t u = 2 * 65536 + 8 - 1 - 65536;
      const uint64_t old_d1 = f.get(E::kD + 1), old_bh = f.get(E::kBh);
      f.at(E::kD + 1) = Fp::from_u64(u & 0xFFFF);
      f.at(E::kBh) = Fp::from_u64((u >> 16) * 4);
      f.at(E::kSb) = Fp::zero();
      move_range_count(f.w, old_d1 & 0xFFFF, u & 0xFFFF);
      move_range_count(f.w, (2 * (old_bh & 0x7FFF)) & 0xFFFF, 2 * ((u >> 16) * 4));
    }
    const Status st = test_support::prove_and_verify(*e.program, *pk, f.w, f.pv, false);
    EXPECT_FALSE(st.is_ok()) << "a stale page count verified";
    std::printf("  forged stale page count (%s) -> %s\n", read ? "input_read" : "output_write",
                st.message().c_str());
  }
  for (bool read : {true, false}) {
    SCOPED_TRACE(read ? "input_read" : "output_write");
    const Call traps = read ? Call{true, 65536 - 4, 100, 30} : Call{false, 65536 - 4, 21};
    const auto e = test_support::run_extension(wat(oob_ext(traps)), in);
    ASSERT_EQ(e.result.trap, wasm::TrapCode::kMemoryOutOfBounds);
    const auto pk = pk_of(*e.program);
    TrapWitness h = trap_witness(e, e.trace);
    ASSERT_NE(h.row, SIZE_MAX);
    ASSERT_TRUE(test_support::prove_and_verify(*e.program, *pk, h.w, h.pv, true).is_ok());
    const uint64_t byte_gas = read ? 2 : 3;  // ceil(10 / 8) bytes read, ceil(21 / 8) written
    EXPECT_EQ(byte_gas_of(e), byte_gas);
    EXPECT_EQ(h.get(E::kD + 2), byte_gas);
    if (read) {
      EXPECT_EQ(h.get(E::kGasCost), byte_gas);
    }
    for (int64_t delta : {-int64_t(byte_gas), int64_t(byte_gas)}) {
      // The byte gas omitted (delta -g) or doubled (+g): d2 and the public gas agree, the gas
      // cost too (input_read's tail); 8 d2 - len0 then leaves [0, 8).
      TrapWitness f = h;
      const uint64_t d2 = uint64_t(int64_t(byte_gas) + delta);
      f.at(E::kD + 2) = Fp::from_u64(d2);
      move_range_count(f.w, byte_gas, d2);
      if (read) f.at(E::kGasCost) = Fp::from_u64(d2);
      f.pv.gas_used = uint64_t(int64_t(f.pv.gas_used) + delta);
      f.w.publics[L::kPubGasUsed] = Fp::from_u64(f.pv.gas_used);
      const Status st = test_support::prove_and_verify(*e.program, *pk, f.w, f.pv, false);
      EXPECT_FALSE(st.is_ok()) << "byte gas " << d2 << " verified";
      std::printf("  forged byte gas %llu instead of %llu (%s) -> %s\n",
                  (unsigned long long)d2, (unsigned long long)byte_gas,
                  read ? "input_read" : "output_write", st.message().c_str());
    }
    for (uint32_t code : {1u, 3u, 12u}) {
      TrapWitness f = h;
      f.pv.trap_code = code;
      f.w.publics[L::kPubTrapCode] = Fp::from_u32(code);
      const Status st = test_support::prove_and_verify(*e.program, *pk, f.w, f.pv, false);
      EXPECT_FALSE(st.is_ok()) << "trap code " << code << " verified";
      std::printf("  forged trap code %u (%s) -> %s\n", code, read ? "input_read" : "output_write",
                  st.message().c_str());
    }
  }
}

}  // namespace
}  // namespace efaas::zkwasm
