// zkWASM shift table tests: every shift and rotate on edge values (counts 0, below and above
// the width, their multiples) against a naive bit-by-bit reference and the runtime, in one
// segment and split; the fixed byte-shift table against its definition; forgeries that the
// verifier must reject, from wrong results in the trace to rows edited below it so that only
// the constraint or lookup under test can object.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "prover/common/rng.hpp"
#include "prover/fri/fri_params.hpp"
#include "prover/zkwasm/air_internal.hpp"
#include "prover/zkwasm/alu_chip.hpp"
#include "prover/zkwasm/layout.hpp"
#include "prover/zkwasm/shift_table.hpp"
#include "prover/zkwasm/test_support.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::zkwasm {
namespace {

using shift::Shift;
using shift::ShiftBytes;
using test_support::for_each_forged_result;
using test_support::one_function_per_op;
using test_support::ops_of;
using test_support::run_traced;
using test_support::wat;
using wasm::Op;
namespace L = layout;

bool is_i64(Op op) { return std::string(wasm::op_info(op).name).rfind("i64", 0) == 0; }

// The reference: one bit at a time, the count reduced mod the width as the spec says.
uint64_t naive(Op op, uint64_t a, uint64_t b) {
  const uint32_t n = is_i64(op) ? 64 : 32;
  const uint64_t mask = n == 64 ? ~0ull : 0xFFFFFFFFull;
  a &= mask;
  const uint32_t k = uint32_t(b % n);
  const uint64_t sign = (a >> (n - 1)) & 1;
  uint64_t r = 0;
  for (uint32_t i = 0; i < n; ++i) {  // result bit i
    int64_t src = 0;
    bool fill = false;
    switch (op) {
      case Op::kI32Shl: case Op::kI64Shl: src = int64_t(i) - k; break;
      case Op::kI32ShrU: case Op::kI64ShrU: src = int64_t(i) + k; break;
      case Op::kI32ShrS: case Op::kI64ShrS: src = int64_t(i) + k, fill = true; break;
      case Op::kI32Rotl: case Op::kI64Rotl: src = (int64_t(i) - k + n) % n; break;
      default: src = (int64_t(i) + k) % n; break;  // rotr
    }
    uint64_t bit = 0;
    if (src >= 0 && src < int64_t(n)) bit = (a >> src) & 1;
    else if (fill) bit = sign;
    r |= bit << i;
  }
  return r;
}

std::string hex64(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%016llx", (unsigned long long)v);
  return buf;
}

struct ShiftCase {
  Op op;
  uint64_t a, b;
};

// "main" folds every case's result: acc = rotl(acc, 1) xor result (i32 results zero-extended).
std::string fold_module(const std::vector<ShiftCase>& cases) {
  std::string s = "(module (func (export \"main\") (result i64) (local $acc i64)\n";
  for (const ShiftCase& c : cases) {
    const std::string name(wasm::op_info(c.op).name), ty = name.substr(0, 3);
    std::string v = "(" + name + " (" + ty + ".const " + hex64(c.a) + ") (" + ty + ".const " +
                    hex64(c.b) + "))";
    if (ty == "i32") v = "(i64.extend_i32_u " + v + ")";
    s += "  (local.set $acc (i64.xor (i64.rotl (local.get $acc) (i64.const 1)) " + v + "))\n";
  }
  return s + "  (local.get $acc)))\n";
}

uint64_t fold_expected(const std::vector<ShiftCase>& cases) {
  uint64_t acc = 0;
  for (const ShiftCase& c : cases) acc = ((acc << 1) | (acc >> 63)) ^ naive(c.op, c.a, c.b);
  return acc;
}

std::vector<ShiftCase> edge_cases() {
  const std::vector<uint64_t> as = {0,          1,          0x80,       0x7FFFFFFF, 0x80000000,
                                    0xFFFFFFFF, 1ull << 63, ~0ull >> 1, ~0ull,
                                    0x0123456789ABCDEFull, 0xFEDCBA9876543210ull};
  // Counts: 0, inside a byte, whole bytes, the width and beyond, its multiples, and counts
  // whose upper bits (above bit 5, above the low limb) must be ignored.
  const std::vector<uint64_t> bs = {0,  1,  7,  8,   9,   15,  16,         24,        31,
                                    32, 33, 40, 63,  64,  65,  96,         127,       128,
                                    0xFFFF, 0x10000, 0xFFFFFFFF, 0x100000021ull, ~0ull};
  std::vector<ShiftCase> cases;
  for (Op op : shift::kOps)
    for (uint64_t a : as)
      for (uint64_t b : bs) {
        cases.push_back({op, is_i64(op) ? a : uint32_t(a), is_i64(op) ? b : uint32_t(b)});
      }
  return cases;
}

ProveOptions opts() {
  ProveOptions o;
  o.params = fri_test_preset();
  return o;
}

// Proves `main` of fold_module(cases) (split into segments of 2^segment_log rows when given)
// and checks the proof's result against the reference.
void prove_fold(const std::vector<ShiftCase>& cases, uint32_t segment_log = 0) {
  const auto bytes = wat(fold_module(cases));
  auto p = Program::load(bytes);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  const wasm::Trace t = run_traced(bytes, "main", {});
  ASSERT_EQ(t.end.status, 0u);
  const uint64_t expected = fold_expected(cases);
  ASSERT_EQ(t.end.results, std::vector<uint64_t>{expected}) << "runtime and reference disagree";
  ProveOptions o = opts();
  if (segment_log) o.segment_log = segment_log;
  auto b = prove(**p, t, o);
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  if (segment_log) {
    EXPECT_GT(b->segments.size(), 1u);
  }
  auto pv = verify(**p, *b);
  ASSERT_TRUE(pv.is_ok()) << pv.status().to_string();
  EXPECT_EQ(pv->results, std::vector<uint64_t>{expected});
  std::printf("  %zu shifts, %zu steps, %zu segment(s) proved, result %s\n", cases.size(),
              t.steps.size(), b->segments.size(), hex64(expected).c_str());
}

TEST(ZkWasmShift, TablesAreInTheMachine) {
  const air::MachineAir& m = machine_air();
  ASSERT_EQ(m.tables.size(), size_t(L::kNumTables));
  EXPECT_EQ(m.tables[L::kShift].name(), "shift");
  EXPECT_EQ(m.tables[L::kShift].main_width(), Shift::kWidth);
  EXPECT_LE(m.tables[L::kShift].max_degree(), 3u);
  EXPECT_EQ(m.tables[L::kShiftBytes].name(), "shift_bytes");
  // Shifts left the chip: no chip flag for them, and the chip's rows got no shift.
  for (Op op : shift::kOps) {
    EXPECT_TRUE(alu::is_alu(op));
    for (Op c : alu::kChipOps) EXPECT_NE(c, op);
  }
  alu::ChipWitness w;
  w.add(Op::kI64Rotl, 1, 3, 8, false);
  EXPECT_EQ(w.rows(), 0u);
  EXPECT_EQ(w.shifts().rows(), 1u);
  std::printf("  shift %u main columns, alu chip %u\n", m.tables[L::kShift].main_width(),
              m.tables[L::kAlu].main_width());
}

// The fixed table against its definition, computed independently: every (dir, s, x) once.
TEST(ZkWasmShift, ByteShiftTableRows) {
  const std::vector<Fp> col = shift::shift_bytes_fixed();
  const size_t rows = size_t(1) << ShiftBytes::kLogRows;
  ASSERT_EQ(col.size(), ShiftBytes::kPreWidth * rows);
  std::vector<int> seen(2 * 8 * 256, 0);
  for (size_t i = 0; i < rows; ++i) {
    auto v = [&](uint32_t c) { return col[c * rows + i].to_canonical(); };
    const uint32_t dir = v(ShiftBytes::kDir), s = v(ShiftBytes::kS), x = v(ShiftBytes::kX);
    ASSERT_LT(dir, 2u);
    ASSERT_LT(s, 8u);
    ASSERT_LT(x, 256u);
    ++seen[(dir * 8 + s) * 256 + x];
    // Left: the bits shifted out of the byte are hi; right: the bits kept are hi.
    const uint32_t hi = dir ? x >> s : (x >> (8 - s)) & 255;
    const uint32_t lo = dir ? (x << (8 - s)) & 255 : (x << s) & 255;
    EXPECT_EQ(v(ShiftBytes::kLo), lo) << i;
    EXPECT_EQ(v(ShiftBytes::kHi), hi) << i;
    EXPECT_EQ(v(ShiftBytes::kM), 256u >> s) << i;
  }
  for (int n : seen) ASSERT_EQ(n, 1);
}

TEST(ZkWasmShift, EveryShiftOnEdgeValues) {
  const std::vector<ShiftCase> cases = edge_cases();
  // The reference agrees with the chip's eval on every case (two independent formulations).
  for (const ShiftCase& c : cases) ASSERT_EQ(naive(c.op, c.a, c.b), alu::eval(c.op, c.a, c.b));
  prove_fold(cases);
}

TEST(ZkWasmShift, RandomShiftsSplitIntoSegments) {
  Rng rng(test_seed("ZkWasmShiftRandom"));
  std::vector<ShiftCase> cases;
  for (int i = 0; i < 300; ++i) {
    const Op op = shift::kOps[rng.uniform(shift::kOps.size())];
    uint64_t a = rng.next_u64(), b = rng.uniform(4) == 0 ? rng.next_u64() : rng.uniform(200);
    if (!is_i64(op)) a = uint32_t(a), b = uint32_t(b);
    cases.push_back({op, a, b});
  }
  prove_fold(cases, 10);
}

// Wrong results in the trace, claimed as the run's result (prover checks off): the count not
// reduced mod the width, the sign fill missing or spurious, bits lost or rotated the wrong way.
TEST(ZkWasmShift, ForgedResultsAreRejected) {
  struct Case {
    const char* what;
    Op op;
    uint64_t a, b, forged;
  };
  const std::vector<Case> cases = {
      {"i32.shl count 33 not reduced", Op::kI32Shl, 1, 33, 0},
      {"i32.shl count 32 not reduced", Op::kI32Shl, 0x1234, 32, 0},
      {"i64.shl count 64 not reduced", Op::kI64Shl, 5, 64, 0},
      {"i32.shr_u count 2^32-1 saturated", Op::kI32ShrU, 0x80000000, 0xFFFFFFFF, 0},
      {"i64.shr_u count 65 as 64", Op::kI64ShrU, ~0ull, 65, 0},
      {"i32.shr_s count 32 as 31", Op::kI32ShrS, 0x80000000, 32, 0xFFFFFFFF},
      {"i64.shr_s without the sign fill", Op::kI64ShrS, 1ull << 63, 4, 1ull << 59},
      {"i32.shr_s with a spurious sign fill", Op::kI32ShrS, 0x40000000, 4, 0xF4000000},
      {"i32.shr_s fill one bit short", Op::kI32ShrS, 0x80000000, 4, 0x78000000},
      {"i32.rotl as shl", Op::kI32Rotl, 0x80000001, 1, 2},
      {"i64.rotr as rotl", Op::kI64Rotr, 1, 1, 2},
      {"i64.rotl count 0 moved", Op::kI64Rotl, 0x8000000000000001ull, 64, 3},
      {"i32.rotr a byte short", Op::kI32Rotr, 0x12345678, 16, 0x78123456},
      {"i64.shr_u a bit short", Op::kI64ShrU, 0xFF00, 9, 0xFF00 >> 8},
  };
  const auto bytes = wat(one_function_per_op(ops_of(cases)));
  auto p = Program::load(bytes);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  for (size_t k = 0; k < cases.size(); ++k) {
    const Case& c = cases[k];
    SCOPED_TRACE(c.what);
    wasm::Trace t = run_traced(bytes, "f" + std::to_string(k), {c.a, c.b});
    ASSERT_EQ(t.end.status, 0u);
    size_t at = SIZE_MAX;
    for (size_t i = 0; i < t.steps.size(); ++i)
      if (t.steps[i].op == uint16_t(c.op)) at = i;
    ASSERT_NE(at, SIZE_MAX);
    ASSERT_EQ(t.steps[at].r, naive(c.op, c.a, c.b));
    ASSERT_NE(t.steps[at].r, c.forged);
    t.steps[at].r = c.forged;
    t.end.results = {c.forged};
    ProveOptions o = opts();
    o.args = {c.a, c.b};
    EXPECT_FALSE(prove(**p, t, o).is_ok()) << "the prover's own check missed it";
    o.check_trace = false;
    o.stark.check_witness = false;
    auto b = prove(**p, t, o);
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    auto v = verify(**p, *b);
    EXPECT_FALSE(v.is_ok()) << "forged result verified";
    std::printf("  forged %-36s -> %s\n", c.what, v.status().message().c_str());
  }
}

// Shift rows forged below the trace: the execution row claims `forged`, and the shift row is
// edited so that every equation and lookup holds but the one under test. The range and
// byte-shift multiplicities follow the edited row, so the other lookups balance.
TEST(ZkWasmShift, ForgedRowsAreRejected) {
  using Row = std::array<uint32_t, Shift::kWidth>;
  struct Case {
    const char* what;
    Op op;
    std::vector<uint64_t> args;  // a, b
    uint64_t forged;
    bool by_constraint;  // a constraint of the shift table objects (else a lookup)
    std::function<void(Row&)> edit;
  };
  const uint32_t kInv64 = 1981808641u;  // 64 kInv64 = 1 mod p
  ASSERT_EQ(Fp::from_u32(64) * Fp::from_u32(kInv64), Fp::one());
  auto set_q = [](Row& row, uint32_t q) {
    for (uint32_t i = 0; i < 8; ++i) row[Shift::kQ + i] = i == q;
  };
  const std::vector<Case> cases = {
      // 32 = 0 + 8 * 4 + 32 * 0: a byte move of 4 in an i32 (all bytes out), where the
      // count reduces to 0. Only the i32 bound on Q objects.
      {"i32.shl count 32 as 4 byte moves", Op::kI32Shl, {1, 32}, 0, true,
       [&](Row& row) {
         set_q(row, 4);
         row[Shift::kH] = 0;
       }},
      // 64 = 8 + 8 * 7 + 64 * 0: a bit amount of 8 (no row of the byte-shift table).
      {"i64.shl count 64 as 8 + 56", Op::kI64Shl, {1, 64}, 0, false,
       [&](Row& row) {
         set_q(row, 7);
         row[Shift::kH] = 0;
         row[Shift::kS] = 8;
         row[Shift::kM] = 1;
         for (uint32_t i = 0; i < 8; ++i) {  // x 2^8: lo 0, hi x
           row[Shift::kZ + i] = row[Shift::kX + i];
           row[Shift::kY + i] = 0;
         }
       }},
      // 1 = 0 + 8 * 0 + 64 H mod p with H = 1/64 (not below 2^16): count 0 for 1. Only the
      // range lookup of H objects.
      {"i64.shl count 1 as 0 (H = 1/64 mod p)", Op::kI64Shl, {5, 1}, 5, false,
       [&](Row& row) {
         row[Shift::kH] = kInv64;
         row[Shift::kS] = 0;
         row[Shift::kM] = 256;
         for (uint32_t i = 0; i < 8; ++i) {  // x 2^0: lo x, hi 0
           row[Shift::kY + i] = row[Shift::kX + i];
           row[Shift::kZ + i] = 0;
         }
       }},
      // shr_s of a negative i32 claiming no sign (sa = 0): 512 xt = 2^16 is out of range.
      {"i32.shr_s with the sign bit claimed 0", Op::kI32ShrS, {0x80000000, 4}, 0x08000000, false,
       [&](Row& row) {
         row[Shift::kSa] = 0;
         row[Shift::kFill] = 0;
       }},
      // shr_s of a non-negative i64 claiming a sign: (xt - 128) 512 is out of range.
      {"i64.shr_s with a spurious sign bit", Op::kI64ShrS, {1ull << 62, 8},
       0xFF40000000000000ull, false,
       [&](Row& row) {
         row[Shift::kSa] = 1;
         row[Shift::kFill] = 256 - row[Shift::kM];
       }},
      // The fill one bit short of s sign bits: only fill = sa (256 - M) objects.
      {"i32.shr_s fill 0x70 for 0xF0", Op::kI32ShrS, {0x80000000, 4}, 0x78000000, true,
       [&](Row& row) { row[Shift::kFill] = 0x70; }},
      // The sign taken from byte 0 (0x80) instead of the top byte (0): only xt = X_7 objects.
      {"i64.shr_s sign from the low byte", Op::kI64ShrS, {0x80, 4}, 0xF000000000000008ull, true,
       [&](Row& row) {
         row[Shift::kXt] = 0x80;
         row[Shift::kSa] = 1;
         row[Shift::kFill] = 256 - row[Shift::kM];
       }},
      // A byte split that is not x 2^s: (0, 1, 0x81, 3, 1, 128) is no row of the table.
      {"i32.shl byte 0x81 << 1 as 0x103", Op::kI32Shl, {0x81, 1}, 0x103, false,
       [&](Row& row) { row[Shift::kY] = 3; }},
      // A rotl row for a shl step: the row is a right rotl, the opcode on the ALU bus is not
      // the step's.
      {"i32.shl proved as rotl", Op::kI32Shl, {0x80000001, 1}, 3, false,
       [&](Row& row) {
         row[Shift::kF + 0] = 0;  // i32.shl
         row[Shift::kF + 3] = 1;  // i32.rotl
       }},
  };
  for_each_forged_result(cases, [](const Case& c, const Program& p, const ProvingKey& pk,
                                    test_support::ForgedWitness& fw) {
    MachineWitness* w = &fw.witness;
    // The row as the witness built it (honest bytes, forged r), and the edited one.
    alu::ChipWitness built, forged;
    built.add(c.op, c.args[0], c.args[1], c.forged, false);
    forged.add(c.op, c.args[0], c.args[1], c.forged, false);
    ASSERT_EQ(forged.shifts().rows(), 1u);
    c.edit(forged.shifts().row(0));
    const size_t rrows = size_t(1) << L::Range::kLogRows;
    std::vector<uint64_t> r0(rrows), r1(rrows);
    const uint32_t log_rows = table_log_rows(1);
    ASSERT_EQ(w->main[L::kShift], built.shifts().columns(log_rows, r0));
    w->main[L::kShift] = forged.shifts().columns(log_rows, r1);
    w->main[L::kShiftBytes] = forged.shifts().bytes_columns();
    std::vector<Fp>& range = w->main[L::kRange];
    for (size_t v = 0; v < rrows; ++v) {
      range[L::Range::kRangeMult * rrows + v] += Fp::from_u64(r1[v]) - Fp::from_u64(r0[v]);
    }
    const Status checked = test_support::prove_and_verify(p, pk, *w, fw.publics, true);
    ASSERT_FALSE(checked.is_ok());
    if (c.by_constraint) {
      // The prover's own witness check names the shift table: every other table holds.
      EXPECT_NE(checked.message().find("of table shift"), std::string::npos) << checked.message();
    } else {
      // It checks every constraint before the buses: all hold, only a lookup objects.
      EXPECT_NE(checked.message().find("LogUp buses do not balance"), std::string::npos)
          << checked.message();
    }
    const Status v = test_support::prove_and_verify(p, pk, *w, fw.publics, false);
    EXPECT_FALSE(v.is_ok()) << "forged shift row verified";
    std::printf("  forged %-36s -> %s\n", c.what, v.message().c_str());
  });
}

}  // namespace
}  // namespace efaas::zkwasm
