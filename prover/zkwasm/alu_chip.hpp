#pragma once
// The ALU chip (docs/zkwasm.md "ALU chip"): bit counts, i32/i64.mul, extend8_s, division and
// remainder, and the division traps, proved in a table of their own; the narrow bitwise table
// for i32/i64 and/or/xor; and the shift table (shift_table.hpp) for shifts and rotates. An
// execution row of such an operation keeps only a flag and the opcode; it sends (op, unary,
// trap, a, b, r) on the ALU bus and one row of the chip, the bitwise or the shift table
// receives it, with the bytes, selectors and carries the operation needs.
// Internal to prover/zkwasm (air.cpp, witness.cpp).
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "prover/air/air.hpp"
#include "prover/wasm/opcodes.hpp"
#include "prover/zkwasm/shift_table.hpp"

namespace efaas::zkwasm::alu {

// Operations on the ALU bus. i32.mul, and/or/xor and extend8_s use byte columns (X, Y, Z) that
// the execution table would otherwise carry on every row.
inline constexpr std::array<wasm::Op, 34> kOps = {
    wasm::Op::kI32Shl,    wasm::Op::kI32ShrS,   wasm::Op::kI32ShrU,   wasm::Op::kI32Rotl,
    wasm::Op::kI32Rotr,   wasm::Op::kI64Shl,    wasm::Op::kI64ShrS,   wasm::Op::kI64ShrU,
    wasm::Op::kI64Rotl,   wasm::Op::kI64Rotr,   wasm::Op::kI32Clz,    wasm::Op::kI32Ctz,
    wasm::Op::kI32Popcnt, wasm::Op::kI64Clz,    wasm::Op::kI64Ctz,    wasm::Op::kI64Popcnt,
    wasm::Op::kI64Mul,    wasm::Op::kI32DivS,   wasm::Op::kI32DivU,   wasm::Op::kI32RemS,
    wasm::Op::kI32RemU,   wasm::Op::kI64DivS,   wasm::Op::kI64DivU,   wasm::Op::kI64RemS,
    wasm::Op::kI64RemU,   wasm::Op::kI32Mul,    wasm::Op::kI32And,    wasm::Op::kI32Or,
    wasm::Op::kI32Xor,    wasm::Op::kI64And,    wasm::Op::kI64Or,     wasm::Op::kI64Xor,
    wasm::Op::kI32Extend8S, wasm::Op::kI64Extend8S};
inline constexpr bool is_bitwise(wasm::Op op) {  // and, or, xor: the bitwise table's
  return op == wasm::Op::kI32And || op == wasm::Op::kI32Or || op == wasm::Op::kI32Xor ||
         op == wasm::Op::kI64And || op == wasm::Op::kI64Or || op == wasm::Op::kI64Xor;
}
// Operations the chip proves (one flag column each, in kOps order): kOps but and/or/xor, which
// the bitwise table proves in 28 columns, and the shifts and rotates, which the shift table
// proves in 56, instead of a whole chip row.
inline constexpr bool in_chip(wasm::Op op) { return !is_bitwise(op) && !shift::is_shift(op); }
inline constexpr std::array<wasm::Op, 18> kChipOps = [] {
  std::array<wasm::Op, 18> ops{};
  size_t n = 0;
  for (wasm::Op op : kOps)
    if (in_chip(op)) ops[n++] = op;
  return ops;
}();
static_assert([] {
  size_t n = 0;
  for (wasm::Op op : kOps) n += in_chip(op);
  return n;
}() == kChipOps.size());
// Trap rows: division by zero (one flag per div/rem opcode), then signed overflow (div_s).
inline constexpr std::array<wasm::Op, 8> kDivOps = {
    wasm::Op::kI32DivS, wasm::Op::kI32DivU, wasm::Op::kI32RemS, wasm::Op::kI32RemU,
    wasm::Op::kI64DivS, wasm::Op::kI64DivU, wasm::Op::kI64RemS, wasm::Op::kI64RemU};
inline constexpr uint32_t kNumFlags = uint32_t(kChipOps.size() + kDivOps.size() + 2);
// TrapCode values (prover/wasm/instance.hpp) the AIR proves.
inline constexpr uint32_t kTrapUnreachable = 1, kTrapDivZero = 3, kTrapOverflow = 4;

bool is_alu(wasm::Op op);
bool is_unary(wasm::Op op);  // one operand: clz, ctz, popcnt, extend8_s
bool is_count(wasm::Op op);  // clz, ctz, popcnt (the bit-count table)
bool is_div(wasm::Op op);
// The result of a non-trapping operation (b != 0 and no overflow for div/rem).
uint64_t eval(wasm::Op op, uint64_t a, uint64_t b);
// The trap an operation on (a, b) raises: 0, kTrapDivZero or kTrapOverflow.
uint32_t trap_of(wasm::Op op, uint64_t a, uint64_t b);

// Chip columns.
struct Chip {
  static constexpr uint32_t kF = 0;                      // kNumFlags one-hot flags
  static constexpr uint32_t kA = kF + kNumFlags;         // a, b, r: 4 limbs each
  static constexpr uint32_t kB = kA + 4, kR = kB + 4;
  static constexpr uint32_t kX = kR + 4, kY = kX + 8, kZ = kY + 8;  // 8 bytes each
  static constexpr uint32_t kG = kZ + 8;                // clz/ctz: zero-prefix products (8)
  static constexpr uint32_t kM = kG + 8;                // product carries (4)
  static constexpr uint32_t kZl = kM + 4, kW = kZl + 4, kD = kW + 4, kCc = kD + 4;  // 4 each
  static constexpr uint32_t kAh = kCc + 4, kSa = kAh + 1, kBh = kSa + 1, kSb = kBh + 1;
  static constexpr uint32_t kSq = kSb + 1, kXt = kSq + 1, kXs = kXt + 1;
  static constexpr uint32_t kNw = kXs + 1, kNy = kNw + 4, kNr = kNy + 4;  // negation carries
  static constexpr uint32_t kWidth = kNr + 4;
};

// The bit-count table (fixed): rows (kind, v, f(v), v == 0) for kind 1 clz8, 2 ctz8,
// 3 popcount8 over bytes v (clz8(0) = ctz8(0) = 8); padding rows are all zero.
struct BitCount {
  static constexpr uint32_t kLogRows = 10;
  static constexpr uint32_t kKind = 0, kV = 1, kF = 2, kIz = 3, kPreWidth = 4;
  static constexpr uint32_t kMult = 0, kWidth = 1;
};

// The bitwise table: one row per i32/i64 and/or/xor. Flags and, or, xor (one-hot), the width
// bit (the i64 opcodes are the i32 ones + 0x12), bytes X of a, Y of b, Z = X AND Y (looked up in
// the range table's AND column, which also proves all three are bytes). a, b and the result
// are recomposed in the received ALU tuple: and = Z, or = a + b - Z, xor = a + b - 2 Z per limb.
struct Bitwise {
  static constexpr uint32_t kAnd = 0, kOr = 1, kXor = 2, kWide = 3;
  static constexpr uint32_t kX = 4, kY = kX + 8, kZ = kY + 8, kWidth = kZ + 8;
};

air::TableAir chip_table();
air::TableAir bitwise_table();
air::TableAir bitcount_table();
std::vector<Fp> bitcount_fixed();

// Chip rows from the execution rows that send them, and their lookups' multiplicities.
class ChipWitness {
 public:
  // One ALU row (a bitwise row for and/or/xor, a shift row for shifts and rotates): r is the
  // result, or the trap code on a trap row.
  void add(wasm::Op op, uint64_t a, uint64_t b, uint64_t r, bool trap);
  // Main columns of the chip (2^log_rows rows) and of the bit-count table; adds the chip's
  // range (v) and byte-pair (x * 256 + y) lookups to the range table's multiplicities.
  std::vector<Fp> chip_columns(uint32_t log_rows, std::vector<uint64_t>& range_mult,
                               std::vector<uint64_t>& byte_mult) const;
  std::vector<Fp> bitcount_columns() const;
  // Main columns of the bitwise table; adds its AND lookups (x * 256 + y) to and_mult.
  std::vector<Fp> bitwise_columns(uint32_t log_rows, std::vector<uint64_t>& and_mult) const;
  size_t rows() const { return rows_.size(); }
  size_t bitwise_rows() const { return bw_rows_.size(); }
  const shift::ShiftWitness& shifts() const { return shifts_; }
  shift::ShiftWitness& shifts() { return shifts_; }
  // A row's columns (tests forge rows to show that the constraints reject them).
  std::array<uint32_t, Chip::kWidth>& row(size_t i) { return rows_[i]; }
  std::array<uint32_t, Bitwise::kWidth>& bitwise_row(size_t i) { return bw_rows_[i]; }

 private:
  std::vector<std::array<uint32_t, Chip::kWidth>> rows_;
  std::vector<std::array<uint32_t, Bitwise::kWidth>> bw_rows_;
  shift::ShiftWitness shifts_;
  std::vector<uint64_t> bitcount_mult_ = std::vector<uint64_t>(size_t(1) << BitCount::kLogRows);
};

}  // namespace efaas::zkwasm::alu
