// The shift table: constraints, the fixed byte-shift table and the witness. docs/zkwasm.md
// "Shift table" derives the equations; they are the ALU chip's former shift equations with
// the byte-pair checks and the one-hot bit amount replaced by one lookup per byte.
#include "prover/zkwasm/shift_table.hpp"

#include <string_view>

#include "prover/zkwasm/layout.hpp"

namespace efaas::zkwasm::shift {

using air::Expr;
using air::TableAir;
using wasm::Op;
namespace L = layout;
using T = Shift;

namespace {

int op_index(Op op) {
  for (uint32_t i = 0; i < kOps.size(); ++i)
    if (kOps[i] == op) return int(i);
  return -1;
}
bool wide(Op op) { return std::string_view(wasm::op_info(op).name).substr(0, 3) == "i64"; }
bool is_left(Op op) {
  return op == Op::kI32Shl || op == Op::kI64Shl || op == Op::kI32Rotl || op == Op::kI64Rotl;
}
bool is_rot(Op op) {
  return op == Op::kI32Rotl || op == Op::kI64Rotl || op == Op::kI32Rotr || op == Op::kI64Rotr;
}
bool is_sgn(Op op) { return op == Op::kI32ShrS || op == Op::kI64ShrS; }
uint32_t limb(uint64_t v, uint32_t j) { return uint32_t(v >> (16 * j)) & 0xFFFF; }
// x 2^s (left) or x 2^(8 - s) (right): lo + 256 hi.
uint32_t shifted(bool right, uint32_t s, uint32_t x) { return right ? x << (8 - s) : x << s; }
size_t bytes_row(uint32_t dir, uint32_t s, uint32_t x) { return (size_t(dir) * 8 + s) * 256 + x; }

}  // namespace

TableAir shift_table() {
  TableAir t("shift", T::kWidth);
  auto c = [&](uint32_t col) { return t.main(col); };
  auto k = [&](uint64_t v) { return t.constant(v); };
  const Fp k8 = Fp::from_u32(256);
  auto flag = [&](Op op) { return c(T::kF + uint32_t(op_index(op))); };
  auto on = [&](const Expr& g, const Expr& e) { t.assert_zero(g * e); };

  Expr b[4], r[4], X[8], Y[8], Z[8], Q[8];
  for (uint32_t j = 0; j < 4; ++j) b[j] = c(T::kB + j), r[j] = c(T::kR + j);
  for (uint32_t i = 0; i < 8; ++i) {
    X[i] = c(T::kX + i), Y[i] = c(T::kY + i), Z[i] = c(T::kZ + i), Q[i] = c(T::kQ + i);
  }
  const Expr S = c(T::kS), M = c(T::kM), fill = c(T::kFill), sa = c(T::kSa), xt = c(T::kXt);

  // One-hot flags; a real row receives (op, 0, 0, a, b, r) with a recomposed from its bytes.
  Expr real = k(0), opcode = k(0), right = k(0), sh32 = k(0), sh64 = k(0), shrs = k(0);
  for (Op op : kOps) {
    const Expr f = flag(op);
    t.assert_bool(f);
    real = real + f;
    opcode = opcode + f * Fp::from_u32(uint32_t(op));
    if (!is_left(op)) right = right + f;
    if (wide(op)) sh64 = sh64 + f;
    else sh32 = sh32 + f;
    if (is_sgn(op)) shrs = shrs + f;
  }
  t.assert_bool(real);
  Expr a[4];
  for (uint32_t j = 0; j < 4; ++j) a[j] = X[2 * j] + X[2 * j + 1] * k8;
  t.interact(L::kBusAlu, -real,
             {opcode, k(0), k(0), a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3], r[0], r[1],
              r[2], r[3]});

  // Byte shifts from the fixed table: X, Y, Z are bytes, s < 8, M = 256 >> s, and
  // X_i 2^s = Y_i + 256 Z_i (left) or X_i 2^(8 - s) = Y_i + 256 Z_i (right). Padding rows
  // look nothing up.
  for (uint32_t i = 0; i < 8; ++i) {
    t.interact(L::kBusShiftBytes, real, {right, S, X[i], Y[i], Z[i], M});
  }
  // H < 2^16 makes b0 = s + 8 q + N H unique (every term is far below p).
  t.interact(L::kBusRange, k(1), {c(T::kH)});
  // sa = bit 7 of the byte xt: 512 (xt - 128 sa) < 2^16 only then.
  t.assert_bool(sa);
  t.interact(L::kBusRange, k(1), {(xt - sa * Fp::from_u32(128)) * Fp::from_u32(512)});

  // i32: the upper bytes of a and upper limbs of b are zero (the result's: below).
  for (uint32_t i = 4; i < 8; ++i) {
    on(sh32, X[i]);
    on(sh32, Q[i]);
  }
  for (uint32_t j = 2; j < 4; ++j) on(sh32, b[j]);

  // The amount: one-hot Q on real rows, b0 = s + 8 q + N H.
  Expr sum_q = k(0), q8 = k(0);
  for (uint32_t i = 0; i < 8; ++i) {
    t.assert_bool(Q[i]);
    sum_q = sum_q + Q[i];
    q8 = q8 + Q[i] * Fp::from_u32(8 * i);
  }
  t.assert_zero(sum_q - real);
  on(sh32, b[0] - S - q8 - c(T::kH) * Fp::from_u32(32));
  on(sh64, b[0] - S - q8 - c(T::kH) * Fp::from_u32(64));

  // shr_s: the sign fills the top s bits of the top byte and every byte moved in from above.
  on(shrs, fill - sa * (k(256) - M));
  on(flag(Op::kI32ShrS), xt - X[3]);
  on(flag(Op::kI64ShrS), xt - X[7]);

  for (Op op : kOps) {
    const uint32_t n = wide(op) ? 8 : 4;
    const bool rot = is_rot(op), sgn = is_sgn(op);
    // Bytes after the bit shift: each byte's kept part plus the bits its neighbour pushes in.
    std::vector<Expr> tb(n, k(0));
    for (uint32_t i = 0; i < n; ++i) {
      if (is_left(op)) {
        tb[i] = Y[i] + (i > 0 ? Z[i - 1] : rot ? Z[n - 1] : k(0));
      } else {
        tb[i] = Z[i] + (i + 1 < n ? Y[i + 1] : rot ? Y[0] : sgn ? fill : k(0));
      }
    }
    // Result byte j after moving by q whole bytes.
    auto moved = [&](uint32_t j) {
      Expr e = k(0);
      for (uint32_t q = 0; q < n; ++q) {
        Expr src = k(0);
        if (is_left(op)) {
          if (j >= q) src = tb[j - q];
          else if (rot) src = tb[j + n - q];
        } else {
          if (j + q < n) src = tb[j + q];
          else if (rot) src = tb[j + q - n];
          else if (sgn) src = sa * Fp::from_u32(255);
        }
        e = e + Q[q] * src;
      }
      return e;
    };
    const Expr f = flag(op);
    for (uint32_t j = 0; j < n / 2; ++j) on(f, r[j] - moved(2 * j) - moved(2 * j + 1) * k8);
    for (uint32_t j = n / 2; j < 4; ++j) on(f, r[j]);
  }
  (void)t.finalize(3);
  return t;
}

TableAir shift_bytes_table() {
  using B = ShiftBytes;
  TableAir t("shift_bytes", B::kWidth, B::kPreWidth);
  t.interact(L::kBusShiftBytes, -t.main(B::kMult),
             {t.pre(B::kDir), t.pre(B::kS), t.pre(B::kX), t.pre(B::kLo), t.pre(B::kHi),
              t.pre(B::kM)});
  (void)t.finalize(3);
  return t;
}

std::vector<Fp> shift_bytes_fixed() {
  using B = ShiftBytes;
  const size_t rows = size_t(1) << B::kLogRows;
  std::vector<Fp> col(B::kPreWidth * rows, Fp::zero());
  for (uint32_t dir = 0; dir < 2; ++dir) {
    for (uint32_t s = 0; s < 8; ++s) {
      for (uint32_t x = 0; x < 256; ++x) {
        const size_t row = bytes_row(dir, s, x);
        const uint32_t v = shifted(dir == 1, s, x);
        col[B::kDir * rows + row] = Fp::from_u32(dir);
        col[B::kS * rows + row] = Fp::from_u32(s);
        col[B::kX * rows + row] = Fp::from_u32(x);
        col[B::kLo * rows + row] = Fp::from_u32(v & 255);
        col[B::kHi * rows + row] = Fp::from_u32(v >> 8);
        col[B::kM * rows + row] = Fp::from_u32(256u >> s);
      }
    }
  }
  return col;
}

void ShiftWitness::add(Op op, uint64_t a, uint64_t b, uint64_t r) {
  std::array<uint32_t, T::kWidth> row{};
  const bool w = wide(op), right = !is_left(op);
  const uint64_t mask = w ? ~0ull : 0xFFFFFFFFull;
  row[T::kF + uint32_t(op_index(op))] = 1;
  for (uint32_t j = 0; j < 4; ++j) {
    row[T::kB + j] = limb(b, j);
    row[T::kR + j] = limb(r, j);
  }
  const uint32_t amount = uint32_t(b) & (w ? 63 : 31), s = amount & 7, q = amount >> 3;
  row[T::kS] = s;
  row[T::kQ + q] = 1;
  row[T::kH] = (uint32_t(b) & 0xFFFF) >> (w ? 6 : 5);
  row[T::kM] = 256u >> s;
  for (uint32_t i = 0; i < 8; ++i) {
    const uint32_t x = uint32_t((a & mask) >> (8 * i)) & 255, v = shifted(right, s, x);
    row[T::kX + i] = x;
    row[T::kY + i] = v & 255;
    row[T::kZ + i] = v >> 8;
  }
  if (is_sgn(op)) {
    row[T::kXt] = row[T::kX + (w ? 7 : 3)];
    row[T::kSa] = row[T::kXt] >> 7;
    row[T::kFill] = row[T::kSa] * (256 - row[T::kM]);
  }
  rows_.push_back(row);
}

std::vector<Fp> ShiftWitness::columns(uint32_t log_rows, std::vector<uint64_t>& range_mult) const {
  const size_t rows = size_t(1) << log_rows;
  std::vector<Fp> col(size_t(T::kWidth) * rows, Fp::zero());
  for (size_t i = 0; i < rows_.size(); ++i) {
    for (uint32_t cc = 0; cc < T::kWidth; ++cc) {
      col[size_t(cc) * rows + i] = Fp::from_u32(rows_[i][cc]);
    }
  }
  // Both range lookups on every row; padding rows look up 0 twice.
  range_mult[0] += 2 * (rows - rows_.size());
  for (const auto& row : rows_) {
    ++range_mult[row[T::kH] & 0xFFFF];
    ++range_mult[(512 * (row[T::kXt] - 128 * row[T::kSa])) & 0xFFFF];
  }
  return col;
}

std::vector<Fp> ShiftWitness::bytes_columns() const {
  std::vector<uint64_t> mult(size_t(1) << ShiftBytes::kLogRows, 0);
  for (const auto& row : rows_) {
    uint32_t right = 0;
    for (uint32_t i = 0; i < kOps.size(); ++i) right += row[T::kF + i] * !is_left(kOps[i]);
    for (uint32_t i = 0; i < 8; ++i) {
      ++mult[bytes_row(right & 1, row[T::kS] & 7, row[T::kX + i] & 255)];
    }
  }
  std::vector<Fp> col(mult.size());
  for (size_t i = 0; i < col.size(); ++i) col[i] = Fp::from_u64(mult[i]);
  return col;
}

}  // namespace efaas::zkwasm::shift
