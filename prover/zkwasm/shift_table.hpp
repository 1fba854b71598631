#pragma once
// The shift table (docs/zkwasm.md "Shift table"): i32/i64 shl, shr_s, shr_u, rotl, rotr, one
// narrow row each instead of an ALU chip row. Like the bitwise table it receives the execution
// row's (op, unary = 0, trap = 0, a, b, r) on the ALU bus; its bytes come from a fixed table of
// byte shifts, which also proves them bytes and the bit amount below 8.
// Internal to prover/zkwasm (alu_chip.cpp, air.cpp, witness.cpp).
#include <array>
#include <cstdint>
#include <vector>

#include "prover/air/air.hpp"
#include "prover/wasm/opcodes.hpp"

namespace efaas::zkwasm::shift {

// One flag column each, in this order.
inline constexpr std::array<wasm::Op, 10> kOps = {
    wasm::Op::kI32Shl,  wasm::Op::kI32ShrS, wasm::Op::kI32ShrU, wasm::Op::kI32Rotl,
    wasm::Op::kI32Rotr, wasm::Op::kI64Shl,  wasm::Op::kI64ShrS, wasm::Op::kI64ShrU,
    wasm::Op::kI64Rotl, wasm::Op::kI64Rotr};
constexpr bool is_shift(wasm::Op op) {
  for (wasm::Op o : kOps)
    if (o == op) return true;
  return false;
}

// Shift table columns. The amount k = b mod N (N = 32 or 64) is s + 8 q with s < 8 (from the
// byte-shift lookups) and one-hot Q; b0 = k + N H. Byte i of a is X_i; X_i 2^s (left) or
// X_i 2^(8 - s) (right) = Y_i + 256 Z_i, looked up as (dir, s, X_i, Y_i, Z_i, M) with
// M = 256 >> s. a is recomposed from X in the received tuple. shr_s: sa is bit 7 of xt, the
// top byte, and fill = sa (256 - M) the sign bits that enter the top byte.
struct Shift {
  static constexpr uint32_t kF = 0;                          // kOps.size() one-hot flags
  static constexpr uint32_t kB = kF + uint32_t(kOps.size());  // b, r: 4 limbs each
  static constexpr uint32_t kR = kB + 4;
  static constexpr uint32_t kX = kR + 4, kY = kX + 8, kZ = kY + 8;  // 8 bytes each
  static constexpr uint32_t kS = kZ + 8, kQ = kS + 1;              // bit amount, one-hot bytes
  static constexpr uint32_t kH = kQ + 8, kM = kH + 1, kFill = kM + 1, kSa = kFill + 1;
  static constexpr uint32_t kXt = kSa + 1, kWidth = kXt + 1;
};

// The fixed byte-shift table: row dir * 2048 + s * 256 + x holds (dir, s, x, lo, hi, 256 >> s)
// with lo + 256 hi = x 2^s (dir 0, left) or x 2^(8 - s) (dir 1, right); every row is used, so
// there is no padding row. Main column: the multiplicity.
struct ShiftBytes {
  static constexpr uint32_t kLogRows = 12;
  static constexpr uint32_t kDir = 0, kS = 1, kX = 2, kLo = 3, kHi = 4, kM = 5, kPreWidth = 6;
  static constexpr uint32_t kMult = 0, kWidth = 1;
};

air::TableAir shift_table();
air::TableAir shift_bytes_table();
std::vector<Fp> shift_bytes_fixed();

// Shift rows from the execution rows that send them, and their lookups' multiplicities.
class ShiftWitness {
 public:
  // r is the execution row's result (forged results stay in r and break the row's equations).
  void add(wasm::Op op, uint64_t a, uint64_t b, uint64_t r);
  // Main columns (2^log_rows rows); adds the range lookups to range_mult.
  std::vector<Fp> columns(uint32_t log_rows, std::vector<uint64_t>& range_mult) const;
  // The byte-shift table's multiplicities (eight lookups per row).
  std::vector<Fp> bytes_columns() const;
  size_t rows() const { return rows_.size(); }
  // A row's columns (tests forge rows; bytes_columns follows the edited rows).
  std::array<uint32_t, Shift::kWidth>& row(size_t i) { return rows_[i]; }

 private:
  std::vector<std::array<uint32_t, Shift::kWidth>> rows_;
};

}  // namespace efaas::zkwasm::shift
