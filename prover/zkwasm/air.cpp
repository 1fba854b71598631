// The universal zkWASM AIR (docs/zkwasm.md): execution, program, memory, init, args and range
// tables linked by LogUp buses. Every constraint of an opcode is gated by its flag column; the
// flags are one-hot on real rows, so a row proves exactly one opcode.
#include "prover/zkwasm/air_internal.hpp"

#include "prover/zkwasm/layout.hpp"

namespace efaas::zkwasm {

using air::Expr;
using air::TableAir;
using wasm::Op;
namespace L = layout;

static_assert(L::kMaxArgs == kMaxArgs);

namespace {

constexpr uint64_t k16 = 1u << 16;

void range_check(TableAir& t, Expr v) { t.interact(L::kBusRange, t.constant(1), {v}); }

TableAir exec_table() {
  using E = L::Exec;
  TableAir t("exec", E::kWidth);
  auto c = [&](uint32_t col) { return t.main(col); };
  auto n = [&](uint32_t col) { return t.main_next(col); };
  auto k = [&](uint64_t v) { return t.constant(v); };
  auto flag = [&](Op op) { return c(E::kFlags + uint32_t(L::flag_index(op))); };
  auto flags = [&](std::initializer_list<Op> ops) {
    Expr s = k(0);
    for (Op op : ops) s = s + flag(op);
    return s;
  };
  auto on = [&](Op op, Expr e) { t.assert_zero(flag(op) * e); };
  auto on_all = [&](std::initializer_list<Op> ops, Expr e) {
    for (Op op : ops) on(op, e);
  };

  const Expr real = c(E::kReal), pc = c(E::kPc), sp = c(E::kSp), fp = c(E::kFp);
  const Expr step = c(E::kStep), gas = c(E::kGas), gcost = c(E::kGasCost), ia = c(E::kImmA);
  Expr a[4], b[4], x[4], r[4], ib[4];
  for (uint32_t j = 0; j < 4; ++j) {
    a[j] = c(E::kA + j);
    b[j] = c(E::kB + j);
    x[j] = c(E::kX + j);
    r[j] = c(E::kR + j);
    ib[j] = c(E::kImmB + j);
  }
  const Expr c0 = c(E::kC0), c1 = c(E::kC1), d0 = c(E::kD0), d1 = c(E::kD1);
  const Expr sa = c(E::kSa), sb = c(E::kSb);
  const Expr inv0 = c(E::kInv0), inv1 = c(E::kInv1), e0 = c(E::kE0), e1 = c(E::kE1);
  const Expr zz = c(E::kZz), tk = c(E::kT), mv = c(E::kMove), npc = c(E::kNpc), nsp = c(E::kNsp);
  const Expr h = ib[0] + ib[1] * Fp::from_u32(k16);  // branch: label height (relative to fp)

  // One-hot flags; real rows are a prefix ending with a return.
  Expr sum = k(0), opcode = k(0);
  for (uint32_t i = 0; i < L::kNumFlags; ++i) {
    t.assert_bool(c(E::kFlags + i));
    sum = sum + c(E::kFlags + i);
    opcode = opcode + c(E::kFlags + i) * Fp::from_u32(uint32_t(L::kFlagOps[i]));
  }
  t.assert_bool(real);
  t.assert_zero(sum - real);
  const Expr is_ret = flag(Op::kReturn);
  t.assert_transition(n(E::kReal) - real + is_ret);
  t.assert_last(real);

  // Boundary: the entry state.
  t.assert_first(real - Fp::one());
  t.assert_first(pc - t.pub(L::kPubEntryPc));
  t.assert_first(sp - t.pub(L::kPubSp0));
  t.assert_first(fp);
  t.assert_first(step - Fp::one());
  t.assert_first(gas);
  t.assert_transition(n(E::kStep) - step - Fp::one());
  t.assert_transition(n(E::kFp) - fp);  // no calls in this version: one frame
  t.assert_transition(n(E::kReal) * (n(E::kPc) - npc));
  t.assert_transition(n(E::kReal) * (n(E::kSp) - nsp));
  t.assert_transition(n(E::kReal) * (n(E::kGas) - gas - gcost));

  // The instruction at pc: (pc, op, gas, immediates) must be a row of the module's program.
  t.interact(L::kBusProgram, real, {k(1), pc, opcode, gcost, ia, ib[0], ib[1], ib[2], ib[3]});

  // Results of the run: at the (final) return.
  on(Op::kReturn, gas + gcost - t.pub(L::kPubGasUsed));
  on(Op::kReturn, step - t.pub(L::kPubInstructions));
  for (uint32_t j = 0; j < 4; ++j) on(Op::kReturn, ia * (x[j] - t.pub(L::kPubResult + j)));
  on(Op::kReturn, ia - t.pub(L::kPubHasResult));

  // Results and operands are 16-bit limbs: every written value is range-checked here, every
  // read value comes from the memory argument (written before, or an initial value).
  for (uint32_t j = 0; j < 4; ++j) range_check(t, r[j]);
  range_check(t, d0);
  range_check(t, d1);
  const Expr alow = a[1] - sa * Fp::from_u32(1u << 15), blow = b[1] - sb * Fp::from_u32(1u << 15);
  range_check(t, alow);
  range_check(t, alow * Fp::from_u32(2));
  range_check(t, blow);
  range_check(t, blow * Fp::from_u32(2));
  t.assert_bool(sa);
  t.assert_bool(sb);
  t.assert_bool(c0);
  t.assert_bool(c1);

  // --- control: next pc, next sp, value moves ---------------------------------------------
  const Expr pc1 = pc + Fp::one();
  const std::initializer_list<Op> seq_ops = {
      Op::kI32Const, Op::kI64Const, Op::kLocalGet, Op::kLocalSet, Op::kLocalTee, Op::kGlobalGet,
      Op::kGlobalSet, Op::kDrop, Op::kSelect, Op::kI32Add, Op::kI32Sub, Op::kI32Eqz, Op::kI32Eq,
      Op::kI32Ne, Op::kI32LtS, Op::kI32LtU, Op::kI32GtS, Op::kI32GtU, Op::kI32LeS, Op::kI32LeU,
      Op::kI32GeS, Op::kI32GeU};
  on_all(seq_ops, npc - pc1);
  on(Op::kBr, npc - ia);
  on(Op::kBrIf, npc - (tk * ia + (Fp::one() - tk) * pc1));
  on(Op::kBrUnless, npc - (tk * ia + (Fp::one() - tk) * pc1));
  const std::initializer_list<Op> binary_ops = {
      Op::kI32Add, Op::kI32Sub, Op::kI32Eq,  Op::kI32Ne,  Op::kI32LtS, Op::kI32LtU, Op::kI32GtS,
      Op::kI32GtU, Op::kI32LeS, Op::kI32LeU, Op::kI32GeS, Op::kI32GeU};
  on_all({Op::kI32Const, Op::kI64Const, Op::kLocalGet, Op::kGlobalGet}, nsp - (sp + Fp::one()));
  on_all({Op::kLocalSet, Op::kGlobalSet, Op::kDrop, Op::kBrUnless}, nsp - (sp - Fp::one()));
  on_all(binary_ops, nsp - (sp - Fp::one()));
  on_all({Op::kLocalTee, Op::kI32Eqz}, nsp - sp);
  on(Op::kSelect, nsp - (sp - Fp::from_u32(2)));
  on(Op::kBr, nsp - (fp + h + ib[2]));
  on(Op::kBrIf, nsp - (tk * (fp + h + ib[2]) + (Fp::one() - tk) * (sp - Fp::one())));
  // Branch taken: br_if on a nonzero condition, br_unless on zero.
  on(Op::kBrIf, tk - (Fp::one() - zz));
  on(Op::kBrUnless, tk - zz);
  // A value moves to the label (br, br_if taken, with arity 1) or the frame base (return).
  on(Op::kBr, mv - ib[2]);
  on(Op::kBrIf, mv - tk * ib[2]);
  on(Op::kReturn, mv - ia);
  t.assert_zero(mv * (Fp::one() - flags({Op::kBr, Op::kBrIf, Op::kReturn})));

  // --- memory slots: 0 and 1 read, 2 reads the old value (a) and writes r --------------------
  const Expr en0 = c(E::kEn + 0), en1 = c(E::kEn + 1), en2 = c(E::kEn + 2);
  const Expr key0 = c(E::kKey + 0), key1 = c(E::kKey + 1), key2 = c(E::kKey + 2);
  t.assert_zero(en0 - flags({Op::kLocalGet, Op::kLocalSet, Op::kLocalTee, Op::kGlobalGet,
                             Op::kGlobalSet, Op::kSelect}) -
                flags(binary_ops) - (flag(Op::kBr) + flag(Op::kBrIf)) * mv);
  t.assert_zero(en1 - flags({Op::kSelect, Op::kBrIf, Op::kBrUnless}) - is_ret * mv);
  t.assert_zero(en2 - flags({Op::kI32Const, Op::kI64Const, Op::kLocalGet, Op::kLocalSet,
                             Op::kLocalTee, Op::kGlobalGet, Op::kGlobalSet, Op::kSelect,
                             Op::kI32Eqz}) -
                flags(binary_ops) - mv);
  const Expr gk = k(uint64_t(L::kGlobalSpace) << L::kSpaceShift) + ia;
  const Expr sm1 = sp - Fp::one(), sm2 = sp - Fp::from_u32(2), sm3 = sp - Fp::from_u32(3);
  on(Op::kLocalGet, key0 - (fp + ia));
  on(Op::kLocalGet, key2 - sp);
  on_all({Op::kLocalSet, Op::kLocalTee}, key0 - sm1);
  on_all({Op::kLocalSet, Op::kLocalTee}, key2 - (fp + ia));
  on(Op::kGlobalGet, key0 - gk);
  on(Op::kGlobalGet, key2 - sp);
  on(Op::kGlobalSet, key0 - sm1);
  on(Op::kGlobalSet, key2 - gk);
  on_all({Op::kI32Const, Op::kI64Const}, key2 - sp);
  on(Op::kSelect, key1 - sm1);
  on(Op::kSelect, key0 - sm2);
  on(Op::kSelect, key2 - sm3);
  on_all(binary_ops, key0 - sm1);
  on_all(binary_ops, key2 - sm2);
  on(Op::kI32Eqz, key2 - sm1);
  on(Op::kBr, key0 - sm1);
  on(Op::kBrIf, key1 - sm1);
  on(Op::kBrIf, key0 - sm2);
  on_all({Op::kBr, Op::kBrIf}, key2 - (fp + h));
  on(Op::kBrUnless, key1 - sm1);
  on(Op::kReturn, key1 - sm1);
  on(Op::kReturn, key2 - fp);
  const Expr* olds[L::kSlots] = {b, x, a};
  const Expr* news[L::kSlots] = {b, x, r};
  for (uint32_t s = 0; s < L::kSlots; ++s) {
    const Expr en = c(E::kEn + s), key = c(E::kKey + s), pts = c(E::kPts + s);
    const Expr dlo = c(E::kDlo + s), dhi = c(E::kDhi + s);
    const Expr ts = step * Fp::from_u32(4) + Fp::from_u32(s);
    t.assert_bool(en);
    // prev_ts < ts: ts - prev_ts - 1 = dlo + 2^16 dhi with dlo < 2^16 and dhi < 2^13.
    t.assert_zero(en * (ts - pts - Fp::one() - dlo - dhi * Fp::from_u32(k16)));
    range_check(t, dlo);
    range_check(t, dhi);
    range_check(t, dhi * Fp::from_u32(8));
    const Expr* o = olds[s];
    const Expr* w = news[s];
    t.interact(L::kBusMemory, -en, {key, pts, o[0], o[1], o[2], o[3]});
    t.interact(L::kBusMemory, en, {key, ts, w[0], w[1], w[2], w[3]});
  }

  // --- values ------------------------------------------------------------------------------
  for (uint32_t j = 0; j < 4; ++j) {
    on_all({Op::kI32Const, Op::kI64Const}, r[j] - ib[j]);
    on_all({Op::kLocalGet, Op::kLocalSet, Op::kLocalTee, Op::kGlobalGet, Op::kGlobalSet, Op::kBr,
            Op::kBrIf},
           r[j] - b[j]);
    on(Op::kReturn, r[j] - x[j]);
    on(Op::kSelect, r[j] - (a[j] + zz * (b[j] - a[j])));  // condition zero: b
  }
  // i32 results have zero upper limbs; booleans are r0 alone.
  for (Op op : binary_ops) {
    on(op, r[2]);
    on(op, r[3]);
  }
  on(Op::kI32Eqz, r[1]);
  on(Op::kI32Eqz, r[2]);
  on(Op::kI32Eqz, r[3]);
  // add: a + b = r + c 2^32, limb by limb.
  on(Op::kI32Add, a[0] + b[0] - r[0] - c0 * Fp::from_u32(k16));
  on(Op::kI32Add, a[1] + b[1] + c0 - r[1] - c1 * Fp::from_u32(k16));
  // sub: b + r = a + c 2^32.
  on(Op::kI32Sub, b[0] + r[0] - a[0] - c0 * Fp::from_u32(k16));
  on(Op::kI32Sub, b[1] + r[1] + c0 - a[1] - c1 * Fp::from_u32(k16));
  // Comparisons: c1 = [u < w] from w + d = u + c 2^32, d = d0 + 2^16 d1; for signed ones the
  // sign bit of each high limb is flipped (sa, sb are the sign bits).
  const Expr half = k(1u << 15);
  const Expr as_hi = a[1] + half - sa * Fp::from_u32(k16), bs_hi = b[1] + half - sb * Fp::from_u32(k16);
  struct Cmp {
    Op op;
    bool swap, is_signed, negate;
  };
  const Cmp cmps[] = {{Op::kI32LtU, false, false, false}, {Op::kI32LtS, false, true, false},
                      {Op::kI32GtU, true, false, false},  {Op::kI32GtS, true, true, false},
                      {Op::kI32LeU, true, false, true},   {Op::kI32LeS, true, true, true},
                      {Op::kI32GeU, false, false, true},  {Op::kI32GeS, false, true, true}};
  for (const Cmp& cm : cmps) {
    const Expr ahi = cm.is_signed ? as_hi : a[1], bhi = cm.is_signed ? bs_hi : b[1];
    const Expr u0 = cm.swap ? b[0] : a[0], u1 = cm.swap ? bhi : ahi;
    const Expr w0 = cm.swap ? a[0] : b[0], w1 = cm.swap ? ahi : bhi;
    on(cm.op, w0 + d0 - u0 - c0 * Fp::from_u32(k16));
    on(cm.op, w1 + d1 + c0 - u1 - c1 * Fp::from_u32(k16));
    on(cm.op, r[0] - (cm.negate ? Fp::one() - c1 : c1));
    on(cm.op, r[1]);
  }
  // Is-zero of a pair of limbs p: e_j = [p_j == 0] through inverses, zz = e0 e1.
  struct Zero {
    Op op;
    Expr p0, p1;
  };
  const Zero zeros[] = {{Op::kI32Eq, a[0] - b[0], a[1] - b[1]},
                        {Op::kI32Ne, a[0] - b[0], a[1] - b[1]},
                        {Op::kI32Eqz, a[0], a[1]},
                        {Op::kSelect, x[0], x[1]},
                        {Op::kBrIf, x[0], x[1]},
                        {Op::kBrUnless, x[0], x[1]}};
  for (const Zero& z : zeros) {
    on(z.op, e0 - Fp::one() + z.p0 * inv0);
    on(z.op, e0 * z.p0);
    on(z.op, e1 - Fp::one() + z.p1 * inv1);
    on(z.op, e1 * z.p1);
    on(z.op, zz - e0 * e1);
  }
  on_all({Op::kI32Eq, Op::kI32Eqz}, r[0] - zz);
  on(Op::kI32Ne, r[0] - (Fp::one() - zz));
  on_all({Op::kI32Eq, Op::kI32Ne}, r[1]);
  (void)t.finalize(3);
  return t;
}

TableAir program_table() {
  using P = L::Prog;
  TableAir t("program", P::kWidth, P::kPreWidth);
  std::vector<Expr> tuple;
  for (uint32_t i = 0; i < P::kPreWidth; ++i) tuple.push_back(t.pre(i));
  t.interact(L::kBusProgram, -t.main(P::kMult), tuple);
  (void)t.finalize(3);
  return t;
}

TableAir memory_table() {
  using M = L::Mem;
  TableAir t("memory", M::kWidth);
  const Expr real = t.main(M::kReal), key = t.main(M::kKey);
  t.assert_bool(real);
  // Real rows first, keys strictly increasing: one initial value per key.
  t.assert_transition(t.main_next(M::kReal) * (Fp::one() - real));
  t.assert_transition(t.main_next(M::kReal) *
                      (t.main_next(M::kKey) - key - Fp::one() - t.main_next(M::kDlo) -
                       t.main_next(M::kDhi) * Fp::from_u32(k16)));
  range_check(t, t.main(M::kDlo));
  range_check(t, t.main(M::kDhi));
  range_check(t, t.main(M::kDhi) * Fp::from_u32(8));
  const Expr z = t.constant(0);
  t.interact(L::kBusMemory, real, {key, z, z, z, z, z});
  t.interact(L::kBusMemory, -real,
             {key, t.main(M::kFinalTs), t.main(M::kFinal), t.main(M::kFinal + 1),
              t.main(M::kFinal + 2), t.main(M::kFinal + 3)});
  (void)t.finalize(3);
  return t;
}

TableAir init_table() {
  using I = L::Init;
  TableAir t("init", 1, I::kPreWidth);  // one unused main column
  const Expr on = t.pre(I::kIsInit), key = t.pre(I::kKey), z = t.constant(0);
  t.interact(L::kBusMemory, -on, {key, z, z, z, z, z});
  t.interact(L::kBusMemory, on,
             {key, t.constant(L::kInitTs), t.pre(I::kValue), t.pre(I::kValue + 1),
              t.pre(I::kValue + 2), t.pre(I::kValue + 3)});
  (void)t.finalize(3);
  return t;
}

TableAir args_table() {
  using A = L::Args;
  TableAir t("args", A::kWidth, A::kPreWidth);
  Expr m = t.constant(0);
  Expr v[4] = {m, m, m, m};
  for (uint32_t i = 0; i < L::kMaxArgs; ++i) {
    const Expr sel = t.pre(A::kSel + i);
    m = m + sel * t.pub(L::kPubArgs + 5 * i);
    for (uint32_t j = 0; j < 4; ++j) v[j] = v[j] + sel * t.pub(L::kPubArgs + 5 * i + 1 + j);
  }
  t.assert_zero(t.main(A::kMult) - m);
  for (uint32_t j = 0; j < 4; ++j) t.assert_zero(t.main(A::kValue + j) - v[j]);
  const Expr mult = t.main(A::kMult), key = t.pre(A::kIdx), z = t.constant(0);
  t.interact(L::kBusMemory, -mult, {key, z, z, z, z, z});
  t.interact(L::kBusMemory, mult,
             {key, t.constant(L::kInitTs), t.main(A::kValue), t.main(A::kValue + 1),
              t.main(A::kValue + 2), t.main(A::kValue + 3)});
  (void)t.finalize(3);
  return t;
}

TableAir range_table() {
  TableAir t("range", L::Range::kWidth, L::Range::kPreWidth);
  t.interact(L::kBusRange, -t.main(0), {t.pre(0)});
  (void)t.finalize(3);
  return t;
}

air::MachineAir build_machine() {
  air::MachineAir m;
  m.name = "zkwasm-v1";
  m.num_publics = L::kNumPublics;
  m.tables.push_back(exec_table());
  m.tables.push_back(program_table());
  m.tables.push_back(memory_table());
  m.tables.push_back(init_table());
  m.tables.push_back(args_table());
  m.tables.push_back(range_table());
  return m;
}

uint32_t log2_ceil(size_t n) {
  uint32_t k = 0;
  while ((size_t(1) << k) < n) ++k;
  return k;
}

}  // namespace

const air::MachineAir& machine_air() {
  static const air::MachineAir m = build_machine();
  return m;
}

uint32_t table_log_rows(size_t rows) { return std::max<uint32_t>(kMinLogRows, log2_ceil(rows)); }

std::vector<std::vector<Fp>> fixed_columns(const wasm::Module& m) {
  std::vector<std::vector<Fp>> fixed(L::kNumTables);
  // Program: one row per compiled instruction.
  {
    using P = L::Prog;
    const size_t rows = size_t(1) << table_log_rows(m.code.size());
    std::vector<Fp> col(P::kPreWidth * rows, Fp::zero());
    for (size_t pc = 0; pc < m.code.size(); ++pc) {
      const wasm::Instr& in = m.code[pc];
      col[P::kValid * rows + pc] = Fp::one();
      col[P::kPc * rows + pc] = Fp::from_u64(pc);
      col[P::kOp * rows + pc] = Fp::from_u32(uint32_t(in.op));
      col[P::kGas * rows + pc] = Fp::from_u32(in.gas);
      col[P::kImmA * rows + pc] = Fp::from_u32(in.a);
      for (uint32_t j = 0; j < 4; ++j) {
        col[(P::kImmB + j) * rows + pc] = Fp::from_u32(uint32_t(in.b >> (16 * j)) & 0xFFFF);
      }
    }
    fixed[L::kProgram] = std::move(col);
  }
  // Init: defined globals' initial values (imported globals: UNIMPLEMENTED at load).
  {
    using I = L::Init;
    const size_t n = m.global_inits.size();
    const size_t rows = size_t(1) << table_log_rows(n);
    std::vector<Fp> col(I::kPreWidth * rows, Fp::zero());
    for (size_t g = 0; g < n; ++g) {
      const uint32_t gi = uint32_t(g) + m.num_imported_globals;
      col[I::kIsInit * rows + g] = Fp::one();
      col[I::kKey * rows + g] = Fp::from_u32(L::global_key(gi));
      uint64_t v = m.global_inits[g].value;
      if (m.global_types[gi].type == wasm::ValType::kI32) v = uint32_t(v);
      for (uint32_t j = 0; j < 4; ++j) {
        col[(I::kValue + j) * rows + g] = Fp::from_u32(uint32_t(v >> (16 * j)) & 0xFFFF);
      }
    }
    fixed[L::kInit] = std::move(col);
  }
  // Args: index and one-hot selectors.
  {
    using A = L::Args;
    const size_t rows = A::kRows;
    std::vector<Fp> col(A::kPreWidth * rows, Fp::zero());
    for (size_t i = 0; i < rows; ++i) {
      col[A::kIdx * rows + i] = Fp::from_u64(i);
      col[(A::kSel + i) * rows + i] = Fp::one();
    }
    fixed[L::kArgs] = std::move(col);
  }
  // Range: 0 .. 2^16 - 1.
  {
    std::vector<Fp> col(size_t(1) << L::Range::kLogRows);
    for (size_t i = 0; i < col.size(); ++i) col[i] = Fp::from_u64(i);
    fixed[L::kRange] = std::move(col);
  }
  return fixed;
}

}  // namespace efaas::zkwasm
