// The ALU chip: constraints (chip_table), the fixed bit-count table, the bitwise table and their
// witness. docs/zkwasm.md "ALU chip" and "Bitwise table" derive every equation; the bounds
// noted here are what make them hold over the integers rather than only mod p.
#include "prover/zkwasm/alu_chip.hpp"

#include <algorithm>
#include <bit>

#include "prover/zkwasm/layout.hpp"

namespace efaas::zkwasm::alu {

using air::Expr;
using air::TableAir;
using wasm::Op;
namespace L = layout;
using C = Chip;

namespace {

// Flag column of a chip operation (kChipOps).
int op_index(Op op) {
  for (uint32_t i = 0; i < kChipOps.size(); ++i)
    if (kChipOps[i] == op) return int(i);
  return -1;
}
int div_index(Op op) {
  for (uint32_t i = 0; i < kDivOps.size(); ++i)
    if (kDivOps[i] == op) return int(i);
  return -1;
}
// Flag column of a trap row: division by zero of kDivOps[i], or overflow of i32/i64 div_s.
uint32_t zero_flag(Op op) { return uint32_t(kChipOps.size() + div_index(op)); }
uint32_t ovf_flag(bool wide) {
  return uint32_t(kChipOps.size() + kDivOps.size() + (wide ? 1 : 0));
}

bool wide(Op op) { return std::string_view(wasm::op_info(op).name).substr(0, 3) == "i64"; }
bool is_signed_div(Op op) {
  return op == Op::kI32DivS || op == Op::kI32RemS || op == Op::kI64DivS || op == Op::kI64RemS;
}
bool is_rem(Op op) {
  return op == Op::kI32RemS || op == Op::kI32RemU || op == Op::kI64RemS || op == Op::kI64RemU;
}
uint32_t kind_of(Op op) {
  switch (op) {
    case Op::kI32Clz: case Op::kI64Clz: return 1;
    case Op::kI32Ctz: case Op::kI64Ctz: return 2;
    default: return 3;
  }
}
uint32_t byte_fn(uint32_t kind, uint32_t v) {
  if (kind == 1) return v == 0 ? 8 : uint32_t(std::countl_zero(uint8_t(v)));
  if (kind == 2) return v == 0 ? 8 : uint32_t(std::countr_zero(uint8_t(v)));
  return uint32_t(std::popcount(uint8_t(v)));
}
uint32_t limb(uint64_t v, uint32_t j) { return uint32_t(v >> (16 * j)) & 0xFFFF; }

}  // namespace

bool is_alu(Op op) { return std::find(kOps.begin(), kOps.end(), op) != kOps.end(); }
bool is_count(Op op) {
  return op == Op::kI32Clz || op == Op::kI32Ctz || op == Op::kI32Popcnt || op == Op::kI64Clz ||
         op == Op::kI64Ctz || op == Op::kI64Popcnt;
}
bool is_unary(Op op) { return is_count(op) || op == Op::kI32Extend8S || op == Op::kI64Extend8S; }
bool is_div(Op op) { return div_index(op) >= 0; }

uint64_t eval(Op op, uint64_t a, uint64_t b) {
  const uint32_t a32 = uint32_t(a), b32 = uint32_t(b);
  switch (op) {
    case Op::kI32Shl: return uint32_t(a32 << (b32 & 31));
    case Op::kI32ShrS: return uint32_t(int32_t(a32) >> (b32 & 31));
    case Op::kI32ShrU: return a32 >> (b32 & 31);
    case Op::kI32Rotl: return std::rotl(a32, int(b32 & 31));
    case Op::kI32Rotr: return std::rotr(a32, int(b32 & 31));
    case Op::kI64Shl: return a << (b & 63);
    case Op::kI64ShrS: return uint64_t(int64_t(a) >> (b & 63));
    case Op::kI64ShrU: return a >> (b & 63);
    case Op::kI64Rotl: return std::rotl(a, int(b & 63));
    case Op::kI64Rotr: return std::rotr(a, int(b & 63));
    case Op::kI32Clz: return uint64_t(std::countl_zero(a32));
    case Op::kI32Ctz: return uint64_t(std::countr_zero(a32));
    case Op::kI32Popcnt: return uint64_t(std::popcount(a32));
    case Op::kI64Clz: return uint64_t(std::countl_zero(a));
    case Op::kI64Ctz: return uint64_t(std::countr_zero(a));
    case Op::kI64Popcnt: return uint64_t(std::popcount(a));
    case Op::kI64Mul: return a * b;
    case Op::kI32Mul: return uint32_t(a32 * b32);
    case Op::kI32And: return a32 & b32;
    case Op::kI32Or: return a32 | b32;
    case Op::kI32Xor: return a32 ^ b32;
    case Op::kI64And: return a & b;
    case Op::kI64Or: return a | b;
    case Op::kI64Xor: return a ^ b;
    case Op::kI32Extend8S: return uint32_t(int32_t(int8_t(a32)));
    case Op::kI64Extend8S: return uint64_t(int64_t(int8_t(a32)));
    default: break;
  }
  if (trap_of(op, a, b) != 0 || !is_div(op)) return 0;
  switch (op) {
    case Op::kI32DivS: return uint32_t(int32_t(a32) / int32_t(b32));
    case Op::kI32DivU: return a32 / b32;
    case Op::kI32RemS:
      return int32_t(b32) == -1 ? 0 : uint32_t(int32_t(a32) % int32_t(b32));
    case Op::kI32RemU: return a32 % b32;
    case Op::kI64DivS: return uint64_t(int64_t(a) / int64_t(b));
    case Op::kI64DivU: return a / b;
    case Op::kI64RemS: return int64_t(b) == -1 ? 0 : uint64_t(int64_t(a) % int64_t(b));
    case Op::kI64RemU: return a % b;
    default: return 0;
  }
}

uint32_t trap_of(Op op, uint64_t a, uint64_t b) {
  if (!is_div(op)) return 0;
  const bool w = wide(op);
  if ((w ? b : uint32_t(b)) == 0) return kTrapDivZero;
  if (op == Op::kI32DivS && uint32_t(a) == 0x80000000u && uint32_t(b) == 0xFFFFFFFFu) {
    return kTrapOverflow;
  }
  if (op == Op::kI64DivS && a == (1ull << 63) && b == ~0ull) return kTrapOverflow;
  return 0;
}

TableAir chip_table() {
  TableAir t("alu", C::kWidth);
  auto c = [&](uint32_t col) { return t.main(col); };
  auto k = [&](uint64_t v) { return t.constant(v); };
  const Fp k8 = Fp::from_u32(256), k16 = Fp::from_u32(1u << 16), one = Fp::one();
  auto flag = [&](Op op) { return c(C::kF + uint32_t(op_index(op))); };
  auto any = [&](std::initializer_list<Op> ops) {
    Expr s = k(0);
    for (Op op : ops) s = s + flag(op);
    return s;
  };
  auto on = [&](const Expr& g, const Expr& e) { t.assert_zero(g * e); };

  Expr a[4], b[4], r[4], X[8], Y[8], Z[8], G[8];
  for (uint32_t j = 0; j < 4; ++j) a[j] = c(C::kA + j), b[j] = c(C::kB + j), r[j] = c(C::kR + j);
  for (uint32_t i = 0; i < 8; ++i) {
    X[i] = c(C::kX + i), Y[i] = c(C::kY + i), Z[i] = c(C::kZ + i);
    G[i] = c(C::kG + i);
  }
  auto xl = [&](uint32_t j) { return X[2 * j] + X[2 * j + 1] * k8; };
  auto yl = [&](uint32_t j) { return Y[2 * j] + Y[2 * j + 1] * k8; };

  // One-hot flags; the row receives its (op, unary, trap, a, b, r) from the execution table.
  Expr real = k(0), opcode = k(0), trap = k(0), unary = k(0);
  for (uint32_t i = 0; i < kNumFlags; ++i) {
    const Expr f = c(C::kF + i);
    t.assert_bool(f);
    real = real + f;
    const Op op = i < kChipOps.size()                  ? kChipOps[i]
                  : i < kChipOps.size() + kDivOps.size() ? kDivOps[i - kChipOps.size()]
                  : i == ovf_flag(false)             ? Op::kI32DivS
                                                     : Op::kI64DivS;
    opcode = opcode + f * Fp::from_u32(uint32_t(op));
    if (i >= kChipOps.size()) trap = trap + f;
    if (i < kChipOps.size() && is_unary(op)) unary = unary + f;
  }
  t.assert_bool(real);
  t.interact(L::kBusAlu, -real,
             {opcode, unary, trap, a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3], r[0], r[1],
              r[2], r[3]});

  // Bytes are bytes (pairs looked up in the range table's (x, y) rows); 16-bit helpers are
  // range-checked; sign bits by the 2^15 split of the top limb.
  for (const uint32_t base : {C::kX, C::kY, C::kZ}) {
    for (uint32_t i = 0; i < 8; i += 2) t.interact(L::kBusBytes, k(1), {c(base + i), c(base + i + 1)});
  }
  auto range = [&](const Expr& v) { t.interact(L::kBusRange, k(1), {v}); };
  for (uint32_t j = 0; j < 4; ++j) {
    range(c(C::kM + j));
    range(c(C::kM + j) * Fp::from_u32(16));  // carries < 2^12
    range(c(C::kZl + j));
    range(c(C::kW + j));
    range(c(C::kD + j));
    t.assert_bool(c(C::kCc + j));
    t.assert_bool(c(C::kNw + j));
    t.assert_bool(c(C::kNy + j));
    t.assert_bool(c(C::kNr + j));
  }
  const Expr sa = c(C::kSa), sb = c(C::kSb), sq = c(C::kSq), xs = c(C::kXs);
  // ah, bh are pinned to limbs of the received a, b (values read from memory, below 2^16)
  // wherever sa, sb are used, so one lookup of 2 (h - 2^15 s) proves the split (as in exec).
  for (const auto& [h, s] : {std::pair{c(C::kAh), sa}, std::pair{c(C::kBh), sb}}) {
    t.assert_bool(s);
    range((h - s * Fp::from_u32(1u << 15)) * Fp::from_u32(2));
  }
  // xs = bit 7 of the byte xt: 512 (xt - 128 xs) < 2^16 only then (xt is a byte where used).
  t.assert_bool(xs);
  range((c(C::kXt) - xs * Fp::from_u32(128)) * Fp::from_u32(512));

  // --- widths: i32 operands and results have zero upper limbs ----------------------------
  const std::vector<Op> ops32 = {Op::kI32Clz,  Op::kI32Ctz,  Op::kI32Popcnt, Op::kI32DivS,
                                 Op::kI32DivU, Op::kI32RemS, Op::kI32RemU,   Op::kI32Mul,
                                 Op::kI32Extend8S};
  Expr s32 = k(0);
  for (Op op : ops32) s32 = s32 + flag(op);
  for (uint32_t j = 2; j < 4; ++j) {
    on(s32, a[j]);
    on(s32, b[j]);
    on(s32, r[j]);
  }
  for (uint32_t i = 4; i < 8; ++i) on(s32, X[i]);

  // X holds the bytes of a for bit counts, the multiplications and extend8_s.
  const Expr cnt = any({Op::kI32Clz, Op::kI32Ctz, Op::kI32Popcnt, Op::kI64Clz, Op::kI64Ctz,
                        Op::kI64Popcnt});
  const Expr ext8 = any({Op::kI32Extend8S, Op::kI64Extend8S});
  const Expr xa = cnt + flag(Op::kI64Mul) + flag(Op::kI32Mul) + ext8;
  for (uint32_t j = 0; j < 4; ++j) on(xa, a[j] - xl(j));

  // --- extend8_s: r = sign-extended X_0; xs = bit 7 of xt = X_0 (the range check below) ----
  on(ext8, c(C::kXt) - X[0]);
  on(ext8, r[0] - X[0] - xs * Fp::from_u32(0xFF00));
  on(flag(Op::kI32Extend8S), r[1] - xs * Fp::from_u32(0xFFFF));
  for (uint32_t j = 1; j < 4; ++j) on(flag(Op::kI64Extend8S), r[j] - xs * Fp::from_u32(0xFFFF));

  // --- clz, ctz, popcnt: per byte (Y = f(byte), Z = [byte == 0]) from the fixed table ----
  {
    const Expr kind = any({Op::kI32Clz, Op::kI64Clz}) +
                      any({Op::kI32Ctz, Op::kI64Ctz}) * Fp::from_u32(2) +
                      any({Op::kI32Popcnt, Op::kI64Popcnt}) * Fp::from_u32(3);
    for (uint32_t i = 0; i < 8; ++i) t.interact(L::kBusBitCount, cnt, {kind, X[i], Y[i], Z[i]});
    for (uint32_t j = 1; j < 4; ++j) on(cnt, r[j]);
    for (Op op : {Op::kI32Popcnt, Op::kI64Popcnt}) {
      Expr s = k(0);
      for (uint32_t i = 0; i < (wide(op) ? 8u : 4u); ++i) s = s + Y[i];
      on(flag(op), r[0] - s);
    }
    // clz: G_i = [all bytes above i are zero]; the count is sum G_i f(byte i) with f(0) = 8.
    // ctz: the same from the bottom.
    for (Op op : {Op::kI32Clz, Op::kI64Clz, Op::kI32Ctz, Op::kI64Ctz}) {
      const uint32_t n = wide(op) ? 8 : 4;
      const bool lead = op == Op::kI32Clz || op == Op::kI64Clz;
      const Expr f = flag(op);
      Expr s = k(0);
      for (uint32_t i = 0; i < n; ++i) s = s + G[i] * Y[i];
      on(f, r[0] - s);
      if (lead) {
        on(f, G[n - 1] - one);
        for (uint32_t i = 0; i + 1 < n; ++i) on(f, G[i] - G[i + 1] * Z[i + 1]);
      } else {
        on(f, G[0] - one);
        for (uint32_t i = 1; i < n; ++i) on(f, G[i] - G[i - 1] * Z[i - 1]);
      }
    }
  }

  // --- i64.mul and division: X * Y + z = w + 2^64 m3, by bytes -----------------------------
  // P_k = sum_{i+j=k} X_i Y_j < 2^19; limb j: P_2j + 256 P_2j+1 + z_j + m_(j-1) = w_j + 2^16 m_j
  // with m_j < 2^12, so both sides stay below 2^28 < p and the equations hold over integers.
  {
    auto P = [&](uint32_t kk) {
      Expr e = k(0);
      for (uint32_t i = 0; i < 8; ++i)
        if (kk >= i && kk - i < 8) e = e + X[i] * Y[kk - i];
      return e;
    };
    Expr zl[4], w[4], d[4], cc[4], m[4];
    for (uint32_t j = 0; j < 4; ++j) {
      zl[j] = c(C::kZl + j), w[j] = c(C::kW + j), d[j] = c(C::kD + j), cc[j] = c(C::kCc + j);
      m[j] = c(C::kM + j);
    }
    Expr divs = k(0);
    for (Op op : kDivOps) divs = divs + flag(op);
    const Expr mul = flag(Op::kI64Mul), mul32 = flag(Op::kI32Mul);
    const Expr core = divs + mul + mul32;
    for (uint32_t j = 0; j < 4; ++j) {
      on(core, P(2 * j) + P(2 * j + 1) * k8 + zl[j] + (j > 0 ? m[j - 1] : k(0)) - w[j] - m[j] * k16);
    }
    // i64.mul: X = a (above), Y = b, z = 0, w = r; the carry out of limb 3 is dropped.
    // i32.mul: the same with w the 64-bit product of the i32 operands (upper bytes of X and
    // Y are zero), r its low two limbs.
    for (uint32_t j = 0; j < 4; ++j) {
      on(mul + mul32, yl(j) - b[j]);
      on(mul + mul32, zl[j]);
      on(j < 2 ? mul + mul32 : mul, w[j] - r[j]);
    }
    // Division: a = q b + rem exactly (no product bytes at 2^64 and above, no carry out) and
    // rem < |b| (rem + 1 + d = Y, d range-checked, no carry out), so Y != 0.
    for (uint32_t kk = 8; kk < 15; ++kk) on(divs, P(kk));
    on(divs, m[3]);
    for (uint32_t j = 0; j < 4; ++j) {
      on(divs, zl[j] + d[j] + (j == 0 ? k(1) : cc[j - 1]) - yl(j) - cc[j] * k16);
    }
    on(divs, cc[3]);
    const Expr div32 = any({Op::kI32DivS, Op::kI32DivU, Op::kI32RemS, Op::kI32RemU});
    for (uint32_t i = 4; i < 8; ++i) on(div32, Y[i]);
    for (uint32_t j = 2; j < 4; ++j) on(div32, w[j]);
    // Unsigned: w = a, Y = b, result q (X) or rem.
    const Expr udiv = any({Op::kI32DivU, Op::kI32RemU, Op::kI64DivU, Op::kI64RemU});
    for (uint32_t j = 0; j < 4; ++j) {
      on(udiv, w[j] - a[j]);
      on(udiv, yl(j) - b[j]);
      on(any({Op::kI32DivU, Op::kI64DivU}), r[j] - xl(j));
      on(any({Op::kI32RemU, Op::kI64RemU}), r[j] - zl[j]);
    }
    // Signed: on absolute values. w = |a|, Y = |b|, q = +-X with sq = sa xor sb, rem = +-z
    // with the sign of a. u = neg(v, s): u = v if s = 0; v + u = 2^N e (limb carries) if s = 1.
    const Expr sdiv32 = any({Op::kI32DivS, Op::kI32RemS});
    const Expr sdiv64 = any({Op::kI64DivS, Op::kI64RemS});
    const Expr sdiv = sdiv32 + sdiv64;
    on(sdiv, sq - (sa + sb - sa * sb * Fp::from_u32(2)));
    on(sdiv32, c(C::kAh) - a[1]);
    on(sdiv32, c(C::kBh) - b[1]);
    on(sdiv64, c(C::kAh) - a[3]);
    on(sdiv64, c(C::kBh) - b[3]);
    auto neg = [&](const Expr& g32, const Expr& g64, const Expr& s, const Expr* v, const Expr* u,
                   uint32_t carry) {
      for (const auto& [g, n] : {std::pair{g32, 2u}, std::pair{g64, 4u}}) {
        for (uint32_t j = 0; j < n; ++j) {
          on(g, (one - s) * (u[j] - v[j]));
          const Expr prev = j > 0 ? c(carry + j - 1) : k(0);
          on(g, s * (v[j] + u[j] + prev - c(carry + j) * k16));
        }
      }
    };
    Expr ylv[4], xlv[4];
    for (uint32_t j = 0; j < 4; ++j) ylv[j] = yl(j), xlv[j] = xl(j);
    neg(sdiv32, sdiv64, sa, a, w, C::kNw);
    neg(sdiv32, sdiv64, sb, b, ylv, C::kNy);
    neg(flag(Op::kI32DivS), flag(Op::kI64DivS), sq, xlv, r, C::kNr);
    neg(flag(Op::kI32RemS), flag(Op::kI64RemS), sa, zl, r, C::kNr);
    // A non-negative quotient is below 2^(N-1): |q| = 2^(N-1) with sq = 0 is MIN / -1, which
    // only a trap row proves.
    on(flag(Op::kI32DivS), c(C::kXt) - X[3]);
    on(flag(Op::kI64DivS), c(C::kXt) - X[7]);
    on(any({Op::kI32DivS, Op::kI64DivS}), (one - sq) * xs);
  }

  // --- trap rows: r0 carries the trap code -------------------------------------------------
  for (Op op : kDivOps) {
    const Expr f = c(C::kF + zero_flag(op));
    for (uint32_t j = 0; j < 4; ++j) on(f, b[j]);
    on(f, r[0] - Fp::from_u32(kTrapDivZero));
    for (uint32_t j = 1; j < 4; ++j) on(f, r[j]);
  }
  for (bool w : {false, true}) {
    const Expr f = c(C::kF + ovf_flag(w));
    const uint32_t n = w ? 4 : 2;
    for (uint32_t j = 0; j < 4; ++j) {
      on(f, a[j] - Fp::from_u32(j + 1 == n ? 0x8000 : 0));
      on(f, b[j] - Fp::from_u32(j < n ? 0xFFFF : 0));
    }
    on(f, r[0] - Fp::from_u32(kTrapOverflow));
    for (uint32_t j = 1; j < 4; ++j) on(f, r[j]);
  }
  // 44 lookups: grouped four per auxiliary column (degree 5, 4 quotient chunks) instead of
  // two, which measured faster for this table (bench/RESULTS.md); needs blowup >= 4, as both
  // FRI presets have.
  (void)t.finalize(5);
  return t;
}

TableAir bitwise_table() {
  using B = Bitwise;
  TableAir t("bitwise", B::kWidth);
  auto c = [&](uint32_t col) { return t.main(col); };
  const Fp k8 = Fp::from_u32(256), one = Fp::one();
  const Expr f_and = c(B::kAnd), f_or = c(B::kOr), f_xor = c(B::kXor), wide = c(B::kWide);
  for (const Expr& f : {f_and, f_or, f_xor, wide}) t.assert_bool(f);
  const Expr real = f_and + f_or + f_xor;
  t.assert_bool(real);
  // Z_i = X_i AND Y_i over bytes: the AND table's rows are exactly the byte triples, so X, Y
  // and Z are bytes too. Padding rows look up (0, 0, 0).
  for (uint32_t i = 0; i < 8; ++i) {
    t.interact(L::kBusAnd, t.constant(1), {c(B::kX + i), c(B::kY + i), c(B::kZ + i)});
  }
  // i32: the upper bytes of both operands (hence of the result) are zero.
  for (uint32_t i = 4; i < 8; ++i) {
    t.assert_zero((one - wide) * c(B::kX + i));
    t.assert_zero((one - wide) * c(B::kY + i));
  }
  // Per limb: and = Z, or = a + b - Z, xor = a + b - 2 Z (bytes recomposed, exact over the
  // integers: every term is below 2^18).
  Expr a[4], b[4], r[4];
  const Expr sum_ab = f_or + f_xor, z_coef = f_and - f_or - f_xor * Fp::from_u32(2);
  for (uint32_t j = 0; j < 4; ++j) {
    a[j] = c(B::kX + 2 * j) + c(B::kX + 2 * j + 1) * k8;
    b[j] = c(B::kY + 2 * j) + c(B::kY + 2 * j + 1) * k8;
    const Expr z = c(B::kZ + 2 * j) + c(B::kZ + 2 * j + 1) * k8;
    r[j] = sum_ab * (a[j] + b[j]) + z_coef * z;
  }
  static_assert(uint32_t(Op::kI64And) - uint32_t(Op::kI32And) == 0x12 &&
                uint32_t(Op::kI64Or) - uint32_t(Op::kI32Or) == 0x12 &&
                uint32_t(Op::kI64Xor) - uint32_t(Op::kI32Xor) == 0x12);
  const Expr opcode = f_and * Fp::from_u32(uint32_t(Op::kI32And)) +
                      f_or * Fp::from_u32(uint32_t(Op::kI32Or)) +
                      f_xor * Fp::from_u32(uint32_t(Op::kI32Xor)) + wide * Fp::from_u32(0x12);
  // Receives the execution row's (op, unary = 0, trap = 0, a, b, r); the result limbs are
  // degree 2, so this interaction gets an auxiliary column of its own (degree 3).
  t.interact(L::kBusAlu, -real,
             {opcode, t.constant(0), t.constant(0), a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3],
              r[0], r[1], r[2], r[3]});
  (void)t.finalize(3);
  return t;
}

TableAir bitcount_table() {
  TableAir t("bitcount", BitCount::kWidth, BitCount::kPreWidth);
  t.interact(L::kBusBitCount, -t.main(BitCount::kMult),
             {t.pre(BitCount::kKind), t.pre(BitCount::kV), t.pre(BitCount::kF),
              t.pre(BitCount::kIz)});
  (void)t.finalize(3);
  return t;
}

std::vector<Fp> bitcount_fixed() {
  const size_t rows = size_t(1) << BitCount::kLogRows;
  std::vector<Fp> col(BitCount::kPreWidth * rows, Fp::zero());
  for (uint32_t kind = 1; kind <= 3; ++kind) {
    for (uint32_t v = 0; v < 256; ++v) {
      const size_t row = (kind - 1) * 256 + v;
      col[BitCount::kKind * rows + row] = Fp::from_u32(kind);
      col[BitCount::kV * rows + row] = Fp::from_u32(v);
      col[BitCount::kF * rows + row] = Fp::from_u32(byte_fn(kind, v));
      col[BitCount::kIz * rows + row] = Fp::from_u32(v == 0);
    }
  }
  return col;
}

void ChipWitness::add(Op op, uint64_t a, uint64_t b, uint64_t r, bool trap) {
  std::array<uint32_t, C::kWidth> row{};
  const bool w = wide(op);
  const uint32_t n = w ? 8 : 4;
  const uint64_t mask = w ? ~0ull : 0xFFFFFFFFull;
  for (uint32_t j = 0; j < 4; ++j) {
    row[C::kA + j] = limb(a, j);
    row[C::kB + j] = limb(b, j);
    row[C::kR + j] = limb(r, j);
  }
  auto set_bytes = [&](uint32_t base, uint64_t v) {
    for (uint32_t i = 0; i < 8; ++i) row[base + i] = uint32_t(v >> (8 * i)) & 255;
  };
  if (shift::is_shift(op)) {  // never traps
    shifts_.add(op, a, b, r);
    return;
  }
  if (is_bitwise(op) && !trap) {
    // The bitwise table's row: its result is recomposed from the bytes, so a forged r cannot
    // be written here; it shows as a mismatch on the ALU bus.
    std::array<uint32_t, Bitwise::kWidth> bw{};
    const bool is_and = op == Op::kI32And || op == Op::kI64And;
    const bool is_or = op == Op::kI32Or || op == Op::kI64Or;
    bw[is_and ? Bitwise::kAnd : is_or ? Bitwise::kOr : Bitwise::kXor] = 1;
    bw[Bitwise::kWide] = w;
    const uint64_t am = a & mask, bm = b & mask;
    for (uint32_t i = 0; i < 8; ++i) {
      bw[Bitwise::kX + i] = uint32_t(am >> (8 * i)) & 255;
      bw[Bitwise::kY + i] = uint32_t(bm >> (8 * i)) & 255;
      bw[Bitwise::kZ + i] = uint32_t((am & bm) >> (8 * i)) & 255;
    }
    bw_rows_.push_back(bw);
    return;
  }
  if (trap) {
    row[C::kF + (trap_of(op, a, b) == kTrapOverflow ? ovf_flag(w) : zero_flag(op))] = 1;
    rows_.push_back(row);
    return;
  }
  row[C::kF + uint32_t(op_index(op))] = 1;
  const uint32_t top = w ? 3 : 1;
  if (op == Op::kI32Extend8S || op == Op::kI64Extend8S) {
    set_bytes(C::kX, a);
    row[C::kXt] = uint32_t(a) & 255;
    row[C::kXs] = row[C::kXt] >> 7;
  } else if (is_count(op)) {
    set_bytes(C::kX, a);
    const uint32_t kind = kind_of(op);
    for (uint32_t i = 0; i < 8; ++i) {
      const uint32_t x = uint32_t(a >> (8 * i)) & 255;
      row[C::kY + i] = byte_fn(kind, x);
      row[C::kZ + i] = x == 0;
      ++bitcount_mult_[(kind - 1) * 256 + x];
    }
    if (kind != 3) {
      const bool lead = kind == 1;
      uint32_t g = 1;
      for (uint32_t step = 0; step < n; ++step) {
        const uint32_t i = lead ? n - 1 - step : step;
        row[C::kG + i] = g;
        g &= uint32_t(row[C::kZ + i]);
      }
    }
  } else {
    // Multiplier core: X * Y + z = w (+ 2^64 m3 for mul). i32.mul: w is the full product
    // with the record's result as its low half (a forged result leaves a remainder).
    uint64_t X = a, Y = b, z = 0, wv = r;
    if (op == Op::kI32Mul) {
      X = uint32_t(a), Y = uint32_t(b);
      wv = ((X * Y) & ~0xFFFFFFFFull) | uint32_t(r);
    }
    const bool sgn = is_signed_div(op);
    if (is_div(op)) {
      uint64_t ua = a & mask, ub = b & mask;
      uint32_t sa = 0, sb = 0;
      if (sgn) {
        sa = uint32_t(ua >> (w ? 63 : 31)) & 1;
        sb = uint32_t(ub >> (w ? 63 : 31)) & 1;
        if (sa) ua = (0 - ua) & mask;
        if (sb) ub = (0 - ub) & mask;
        row[C::kAh] = limb(a, top);
        row[C::kBh] = limb(b, top);
        row[C::kSa] = sa;
        row[C::kSb] = sb;
        row[C::kSq] = sa ^ sb;
      }
      X = ub == 0 ? 0 : ua / ub;
      z = ub == 0 ? 0 : ua % ub;
      Y = ub, wv = ua;
      const uint64_t dd = ub - z - 1;  // wraps when ub == 0: the row cannot hold
      for (uint32_t j = 0; j < 4; ++j) {
        row[C::kD + j] = limb(dd, j);
      }
      uint64_t carry = 1;
      for (uint32_t j = 0; j < 4; ++j) {
        carry = (limb(z, j) + limb(dd, j) + carry) >> 16;
        row[C::kCc + j] = uint32_t(carry);
      }
      if (sgn) {
        auto neg_carries = [&](uint64_t v, uint32_t s, uint32_t base) {
          if (!s) return;
          const uint64_t u = (0 - v) & mask;
          uint64_t cy = 0;
          for (uint32_t j = 0; j < (w ? 4u : 2u); ++j) {
            cy = (limb(v, j) + limb(u, j) + cy) >> 16;
            row[base + j] = uint32_t(cy);
          }
        };
        neg_carries(a & mask, sa, C::kNw);
        neg_carries(b & mask, sb, C::kNy);
        if (is_rem(op)) {
          neg_carries(z, sa, C::kNr);
        } else {
          neg_carries(X, sa ^ sb, C::kNr);
          row[C::kXt] = uint32_t(X >> (w ? 56 : 24)) & 255;
          row[C::kXs] = row[C::kXt] >> 7;
        }
      }
    }
    set_bytes(C::kX, X);
    set_bytes(C::kY, Y);
    for (uint32_t j = 0; j < 4; ++j) {
      row[C::kZl + j] = limb(z, j);
      row[C::kW + j] = limb(wv, j);
    }
    // Carries from the row's own values (a forged result leaves a remainder the constraint
    // sees).
    uint64_t p[8] = {};
    for (uint32_t i = 0; i < 8; ++i)
      for (uint32_t j = 0; i + j < 8; ++j) p[i + j] += ((X >> (8 * i)) & 255) * ((Y >> (8 * j)) & 255);
    uint64_t m = 0;
    for (uint32_t j = 0; j < 4; ++j) {
      const uint64_t lhs = p[2 * j] + 256 * p[2 * j + 1] + limb(z, j) + m;
      m = (lhs - row[C::kW + j]) >> 16;
      row[C::kM + j] = uint32_t(m) & 0xFFFFF;
    }
  }
  rows_.push_back(row);
}

std::vector<Fp> ChipWitness::chip_columns(uint32_t log_rows, std::vector<uint64_t>& range_mult,
                                          std::vector<uint64_t>& byte_mult) const {
  const size_t rows = size_t(1) << log_rows;
  std::vector<Fp> col(size_t(C::kWidth) * rows, Fp::zero());
  const std::array<uint32_t, C::kWidth> zero{};
  for (size_t i = 0; i < rows; ++i) {
    const auto& row = i < rows_.size() ? rows_[i] : zero;
    for (uint32_t cc = 0; cc < C::kWidth; ++cc) col[size_t(cc) * rows + i] = Fp::from_u32(row[cc]);
    for (const uint32_t base : {C::kX, C::kY, C::kZ}) {
      for (uint32_t k = 0; k < 8; k += 2) ++byte_mult[(row[base + k] & 255) * 256 + (row[base + k + 1] & 255)];
    }
    auto range = [&](uint64_t v) { ++range_mult[v & 0xFFFF]; };
    for (uint32_t j = 0; j < 4; ++j) {
      range(row[C::kM + j]);
      range(uint64_t(row[C::kM + j]) * 16);
      range(row[C::kZl + j]);
      range(row[C::kW + j]);
      range(row[C::kD + j]);
    }
    for (const auto& [h, s] : {std::pair{row[C::kAh], row[C::kSa]}, std::pair{row[C::kBh], row[C::kSb]}}) {
      range(2 * (h - (s << 15)));
    }
    range(512 * (row[C::kXt] - 128 * row[C::kXs]));
  }
  return col;
}

std::vector<Fp> ChipWitness::bitwise_columns(uint32_t log_rows,
                                             std::vector<uint64_t>& and_mult) const {
  using B = Bitwise;
  const size_t rows = size_t(1) << log_rows;
  std::vector<Fp> col(size_t(B::kWidth) * rows, Fp::zero());
  for (size_t i = 0; i < bw_rows_.size(); ++i) {
    for (uint32_t cc = 0; cc < B::kWidth; ++cc) col[size_t(cc) * rows + i] = Fp::from_u32(bw_rows_[i][cc]);
  }
  // Every row (padding included: (0, 0, 0)) looks up its 8 byte triples.
  for (size_t i = 0; i < rows; ++i) {
    for (uint32_t k = 0; k < 8; ++k) {
      const uint32_t x = i < bw_rows_.size() ? bw_rows_[i][B::kX + k] & 255 : 0;
      const uint32_t y = i < bw_rows_.size() ? bw_rows_[i][B::kY + k] & 255 : 0;
      ++and_mult[x * 256 + y];
    }
  }
  return col;
}

std::vector<Fp> ChipWitness::bitcount_columns() const {
  std::vector<Fp> col(bitcount_mult_.size());
  for (size_t i = 0; i < col.size(); ++i) col[i] = Fp::from_u64(bitcount_mult_[i]);
  return col;
}

}  // namespace efaas::zkwasm::alu
