// The universal zkWASM AIR (docs/zkwasm.md): execution, program, memory, init, args and range
// tables linked by LogUp buses. Every constraint of an opcode is gated by its flag column; the
// flags are one-hot on real rows, so a row proves exactly one opcode.
#include "prover/zkwasm/air_internal.hpp"

#include <algorithm>
#include <map>

#include "prover/zkwasm/alu_chip.hpp"
#include "prover/zkwasm/io.hpp"
#include "prover/zkwasm/layout.hpp"
#include "prover/zkwasm/memory_chip.hpp"
#include "prover/zkwasm/private_input.hpp"
#include "prover/zkwasm/shift_table.hpp"

namespace efaas::zkwasm {

using air::Expr;
using air::TableAir;
using wasm::Op;
namespace L = layout;

static_assert(L::kMaxArgs == kMaxArgs);

namespace {

constexpr uint32_t k16 = 1u << 16;

void range_check(TableAir& t, Expr v) { t.interact(L::kBusRange, t.constant(1), {v}); }

// LogUp grouping degree of the execution table. At blowup 4 the engine takes up to degree 5
// (four interactions per auxiliary column instead of two), but its quotient then has 4 chunks
// over a 4x domain instead of 2 over 2x: measured slower at 2^16 (bench/RESULTS.md).
constexpr uint32_t kExecDegree = 3;

TableAir exec_table() {
  using E = L::Exec;
  TableAir t("exec", E::kWidth);
  auto c = [&](uint32_t col) { return t.main(col); };
  auto n = [&](uint32_t col) { return t.main_next(col); };
  auto k = [&](uint64_t v) { return t.constant(v); };
  // i32/i64 twins share a flag column (layout.hpp, kWideOps): flag() of either is that column
  // times the `wide` bit or its complement (degree 2); raw() is the shared column.
  auto raw = [&](Op op) { return c(E::kFlags + uint32_t(L::flag_index(op))); };
  const Expr wide = c(E::kWide);
  // Grouped ops (layout.hpp, kOpGroups): the shared column times the op's selector.
  auto flag = [&](Op op) {
    if (L::is_wide_op(op)) return raw(op) * wide;
    if (L::has_wide_twin(op)) return raw(op) * (Fp::one() - wide);
    if (const int i = L::group_of(op).second; i >= 0) return raw(op) * c(E::kGroupSel + uint32_t(i));
    return raw(op);
  };
  auto flags = [&](std::initializer_list<Op> ops) {
    Expr s = k(0);
    for (Op op : ops) s = s + flag(op);
    return s;
  };
  auto on = [&](Op op, Expr e) { t.assert_zero(flag(op) * e); };
  auto on_all = [&](std::initializer_list<Op> ops, Expr e) {
    for (Op op : ops) on(op, e);
  };
  const Fp k16 = Fp::from_u32(1u << 16), one = Fp::one();

  const Expr real = c(E::kReal), pc = c(E::kPc), sp = c(E::kSp), fp = c(E::kFp);
  const Expr step = c(E::kStep), gas = c(E::kGas), gcost = c(E::kGasCost), ia = c(E::kImmA);
  Expr a[4], b[4], x[4], r[4], ib[4], cy[4], d[4];
  for (uint32_t j = 0; j < 4; ++j) {
    a[j] = c(E::kA + j);
    b[j] = c(E::kB + j);
    x[j] = c(E::kX + j);
    r[j] = c(E::kR + j);
    ib[j] = c(E::kImmB + j);
    cy[j] = c(E::kC + j);
    d[j] = c(E::kD + j);
  }
  const Expr sa = c(E::kSa), sb = c(E::kSb), ah = c(E::kAh), bh = c(E::kBh);
  const Expr zz = c(E::kZz), tk = c(E::kT), mv = c(E::kMove), npc = c(E::kNpc), nsp = c(E::kNsp);
  const Expr h = ib[0] + ib[1] * k16;  // branch: label height (relative to fp)
  auto pc1_expr = [&](Expr p) { return p + one; };

  // One-hot flags; real rows are a prefix ending with a return.
  Expr sum = k(0), opcode = k(0);
  for (uint32_t i = 0; i < L::kNumFlags; ++i) {
    t.assert_bool(c(E::kFlags + i));
    sum = sum + c(E::kFlags + i);
    opcode = opcode + c(E::kFlags + i) * Fp::from_u32(uint32_t(L::kFlagOps[i]));
  }
  // The wide bit only on rows of twin flags; it selects the i64 opcode.
  {
    Expr twins = k(0);
    for (Op op : L::kFlagOps)
      if (L::has_wide_twin(op)) twins = twins + raw(op);
    t.assert_bool(wide);
    t.assert_zero(wide * (one - twins));
    opcode = opcode + wide * Fp::from_u32(L::kWideDelta);
  }
  // ALU chip rows and trap rows (alu_chip.hpp): flags outside kFlagOps, the opcode in a column.
  const Expr alu_f = c(E::kAluF), alu_un = c(E::kAluUn), trap_f = c(E::kTrapF);
  const Expr unreach_f = c(E::kUnreachF), alu_op = c(E::kAluOp);  // kOpX
  // Trap rows of memory ops (a kMem row) and of call_indirect (its own one-hot flag).
  const Expr mtrap = c(E::kMemTrap), itrap = c(E::kCiTrap), oor = c(E::kCiOor);
  // efaas.abort: a call_host row with the abort bit (layout.hpp, kHab).
  const Expr hab = raw(Op::kCallHost) * c(E::kHab);
  // A host error: an unknown input kind on input_size / input_read (herr_k, the kHerr bit), or
  // output_write beyond the output limit (the kHerrOutFar / kHerrOutNear bits).
  const Expr herr_k = raw(Op::kCallHost) * c(E::kHerr);
  const Expr herr_o = raw(Op::kCallHost) * (c(E::kHerrOutFar) + c(E::kHerrOutNear));
  const Expr herr = herr_k + herr_o;
  // Call stack exhausted at a direct call: an unreachable-class row with kOpX = call -
  // unreachable (its opcode is then call); strap is that bit. At a call_indirect: the row's
  // kCiStack bit with kOpX = call_indirect - unreachable (cistrap).
  const Fp call_delta = Fp::from_u32(uint32_t(Op::kCall)) - Fp::from_u32(uint32_t(Op::kUnreachable));
  const Fp ci_delta =
      Fp::from_u32(uint32_t(Op::kCallIndirect)) - Fp::from_u32(uint32_t(Op::kUnreachable));
  const Expr cistrap = unreach_f * c(E::kCiStack);
  // Out of gas before an instruction (gtrap, the kGasTrap bit): kOpX and kGasOpX both hold the
  // offset of the instruction's opcode from unreachable; kGasOpX is 0 on other unreachable rows.
  const Expr gtrap = unreach_f * c(E::kGasTrap), gas_opx = c(E::kGasOpX);
  const Expr strap =
      (unreach_f * (alu_op - gas_opx) - cistrap * ci_delta) * call_delta.inverse();
  // Out-of-bounds host I/O, trap 2 (layout.hpp, kRdOob / kWrOobNear): the tail row of an
  // input_read whose copy traps (an I/O row with the tail bit) and output_write's trap row.
  const Expr hoob = c(E::kIo) * c(E::kRdOobTail);
  const Expr hwo_near = raw(Op::kCallHost) * c(E::kWrOobNear);
  const Expr hwo_far = raw(Op::kCallHost) * c(E::kWrOobFar);
  const Expr hwo = hwo_near + hwo_far;
  // Rows that end the run with a trap.
  const Expr ends = trap_f + unreach_f + mtrap + itrap + hab + herr + hoob + hwo;
  sum = sum + alu_f + trap_f + unreach_f + itrap;
  opcode = opcode + alu_op + unreach_f * Fp::from_u32(uint32_t(Op::kUnreachable)) +
           itrap * Fp::from_u32(uint32_t(Op::kCallIndirect));
  // Opcode groups: one-hot selectors on the group's rows, the opcode's offset in kOpX.
  Expr grouped = k(0);
  for (const L::OpGroup& g : L::kOpGroups) {
    const Expr f = raw(g.ops[0]);
    Expr sel_sum = k(0), offset = k(0);
    for (uint32_t i = 0; i < g.size; ++i) {
      const Expr s = c(E::kGroupSel + i);
      t.assert_zero(f * s * (one - s));
      sel_sum = sel_sum + s;
      offset = offset + s * Fp::from_u32(uint32_t(g.ops[i]) - uint32_t(g.ops[0]));
    }
    t.assert_zero(f * (sel_sum - one));
    t.assert_zero(f * (alu_op - offset));
    grouped = grouped + f;
  }
  // Linear-memory ops share one flag; the opcode column (kOpX again) says which (mem_access
  // checks it).
  const Expr mem = c(E::kMem), mst = c(E::kMemSt), msz = c(E::kMemSz);
  // Host I/O rows (kIo, a kind of memory row): not instructions, no program lookup.
  const Expr io = c(E::kIo), io_out = c(E::kIoOut), io_first = c(E::kIoFirst);
  const Expr hsz = c(E::kHsz), hrd = c(E::kHrd), hwr = c(E::kHwr), out = c(E::kOut);
  const Expr zf = c(E::kZflag), zstart = c(E::kZstart), zlast = c(E::kZlast), top = c(E::kTop);
  const Expr depth = c(E::kDepth), nfp = c(E::kNfp), inst = c(E::kInst);
  const Expr is_ret = flag(Op::kReturn), is_ci = flag(Op::kCallIndirect);
  // A call_indirect of an imported function (kHostCi) pushes no frame: it pops the index and
  // hands over to the import's host tail row (call_host), which returns to pc + 1.
  const Expr host_ci = c(E::kHostCi), hci = is_ci * host_ci;
  const Expr is_call = flag(Op::kCall) + is_ci - hci;  // both push a frame
  const Expr inner_ret = is_ret - top;  // a return to a caller (depth > 0)
  t.assert_bool(real);
  t.assert_bool(zf);
  t.assert_zero(sum + zf + mem - real);
  // The real rows are a prefix ending with the entry function's return (top).
  const Expr end = c(E::kEnd);  // continuations: the last row of a segment that is not the last
  t.assert_transition(n(E::kReal) - real + top + ends + end);
  t.assert_last(real - end);

  // Boundary: the entry state.
  t.assert_first(real - one);
  t.assert_first(zf - t.pub(L::kPubEntryZl));  // continuations: see kPubEntryZl below
  t.assert_first(pc - t.pub(L::kPubEntryPc));
  t.assert_first(sp - t.pub(L::kPubSp0));
  t.assert_first(fp - t.pub(L::kPubEntryFp));
  t.assert_first(depth - t.pub(L::kPubEntryDepth));
  t.assert_first(step - one);
  t.assert_first(inst - t.pub(L::kPubEntryInst));
  t.assert_first(gas - t.pub(L::kPubEntryGas));
  t.assert_transition(n(E::kStep) - step - one);
  t.assert_transition(n(E::kReal) * (n(E::kPc) - npc));
  t.assert_transition(n(E::kReal) * (n(E::kSp) - nsp));
  t.assert_transition(n(E::kReal) * (n(E::kFp) - nfp));
  t.assert_transition(n(E::kReal) * (n(E::kDepth) - depth - is_call + inner_ret));
  t.assert_transition(n(E::kReal) * (n(E::kGas) - gas - gcost));
  // (A host tail row is no instruction: it shares its call_indirect's count.)
  t.assert_transition(n(E::kReal) * (n(E::kInst) - inst - one + n(E::kZflag) + n(E::kIo) + hci));
  // fp changes only at calls and returns to a caller.
  t.assert_zero((one - is_call - inner_ret) * (nfp - fp));

  // The instruction at pc: (pc, op, gas, immediates) must be a row of the module's program.
  // Zero-local rows are not instructions.
  t.interact(L::kBusProgram, real - zf - io, {k(1), pc, opcode, gcost, ia, ib[0], ib[1], ib[2], ib[3]});
  t.assert_zero(zf * gcost);

  // Results of the run: at the entry function's return.
  t.assert_zero(top - is_ret * zz);  // zz = [depth == 0] on return rows
  t.assert_zero(top * (gas + gcost - t.pub(L::kPubGasUsed)));
  t.assert_zero(top * (inst - t.pub(L::kPubInstructions)));
  for (uint32_t j = 0; j < 4; ++j) t.assert_zero(top * ia * (x[j] - t.pub(L::kPubResult + j)));
  t.assert_zero(top * (ia - t.pub(L::kPubHasResult)));
  t.assert_zero(top * (out - t.pub(L::kPubOutputLen)));
  // Continuations: the entry function returns only in the last segment; every other segment
  // ends with an `end` row whose next state is the public exit state (the next segment's entry).
  {
    const Expr last = t.pub(L::kPubSegLast);
    t.assert_bool(end);
    t.assert_zero(end * (one - real));
    t.assert_zero(top * (one - last));
    t.assert_zero(end * last);
    t.assert_zero(ends * (one - last));  // traps end the run: only in the last segment
    const Expr next_depth = depth + is_call - inner_ret;
    // (At a cut inside a host call's I/O rows the next row, an I/O row, shares the call's
    // instruction count: kPubExitIo below.)
    const Expr exits[6] = {npc, nsp, nfp, next_depth, gas + gcost,
                           inst + one - t.pub(L::kPubExitIo) - t.pub(L::kPubExitZl)};
    for (uint32_t j = 0; j < 6; ++j) t.assert_zero(end * (exits[j] - t.pub(L::kPubExit + j)));
    // The output cursor crosses too; a segment never ends inside a call's zero-local rows
    // (the next one would start with locals unzeroed) nor inside a host call's I/O rows
    // (end * after = 0 below).
    t.assert_zero(end * (out + c(E::kIoOut) * c(E::kIoN) - t.pub(L::kPubExitOut)));
    t.assert_zero(end * zstart);
    // Or (kPubExitZl set) on a zero-local row other than the last, the next local's key public;
    // such a row must be the table's last (its transition wants another zero-local row), and
    // the next segment starts with that key (kPubEntryZl).
    const Expr xzl = t.pub(L::kPubExitZl), ezl = t.pub(L::kPubEntryZl);
    const Expr zkey = c(E::kKey + 2);
    t.assert_zero((one - xzl) * end * (zf - zlast));
    t.assert_zero(xzl * end * (one - zf));
    t.assert_zero(xzl * end * zlast);
    t.assert_zero(xzl * end * (zkey + one - t.pub(L::kPubExitZl + 1)));
    t.assert_first(ezl * (zkey - t.pub(L::kPubEntryZl + 1)));
  }

  // Calls. Program immediates of a call (program_imm_b): b0 = params, b1 = declared locals,
  // b2 + 2^16 b3 = the callee's entry pc. The frame record at frame[depth] holds the return pc
  // and the caller's fp; the callee's frame starts at sp - params, its declared locals are
  // zeroed by the rows that follow (one per local, cursor in key2), then it runs from its entry.
  on(Op::kCall, npc - (ib[2] + ib[3] * k16));
  on(Op::kCall, nfp - (sp - ib[0]));
  on(Op::kCall, nsp - (sp + ib[1]));
  on(Op::kCall, r[0] + r[1] * k16 - pc1_expr(pc));
  on(Op::kCall, r[2] + r[3] * k16 - fp);
  on(Op::kCall, zstart - (one - zz));  // zz = [declared locals == 0]
  // The runtime's value stack limit (RuntimeLimits::max_stack_slots = 2^20): the callee's frame
  // fits, nfp + frame height (imm_a, program_imm_a) <= 2^20: the difference is d1 + 2^16 d2
  // with d3 = 2^11 d2 (all range-checked: below 2^21; sp stays far below p - 2^21).
  on(Op::kCall, d[1] + d[2] * k16 - (Fp::from_u32(L::kMaxStackSlots) - (sp - ib[0]) - ia));
  on(Op::kCall, d[3] - d[2] * Fp::from_u32(1u << 11));
  t.assert_zero(zstart * (one - is_call));
  t.assert_transition(zstart * (n(E::kZflag) - one));
  t.assert_transition(zstart * (n(E::kKey + 2) - sp + is_ci));  // call_indirect popped idx
  // call_indirect: idx (slot 1) -> the callee and its signature from the slot table, checked
  // against the expected type (imm_b0..1, canonical). A call sends trap code 5 in the tuple,
  // which only slots holding a defined function carry (empty ones: 7). idx < 2^28 (d3 = 16 idx1
  // range-checked), so it cannot alias a slot modulo p; larger indices are beyond any table.
  // A trap row (itrap) either shows idx >= the table size (imm_b2..3; oor) or looks its slot
  // up with the public trap code and shows the slot's type differs from the expected one.
  // oor shares the branch-taken column, so it only counts on trap rows (ioor).
  {
    const Expr callee = c(E::kCallee), cparams = c(E::kCParams), cdecl = c(E::kCDecl);
    const Expr centry = c(E::kCEntry), ctype = c(E::kCType);
    const Expr idx = x[0] + x[1] * k16, want = ib[0] + ib[1] * k16, code = t.pub(L::kPubTrapCode);
    const Expr ioor = itrap * oor;
    // A call_indirect that exhausts the call stack (cistrap) looks its slot up like one that
    // goes on (code 5: a defined function of the expected type), then traps on the depth.
    const Expr looked_up = is_ci + itrap - ioor + cistrap;
    // One lookup for call_indirect (tag 1, slot table) and br_table (tag 2, br_targets): the
    // slot index sits in kSel, and npc stands for the entry (npc = centry on call rows; free
    // on trap rows, which end the run).
    const Expr brt = flag(Op::kBrTable), sel = c(E::kSel);
    const Expr cheight = c(E::kCHeight);
    // Host slots carry tag 3 (kHostSlotTag): the kHostCi bit picks them (never on br_table or
    // call stack exhaustion rows: a host call has no frame).
    t.interact(L::kBusSlots, looked_up + brt,
               {k(1) + brt + host_ci * Fp::from_u32(L::kHostSlotTag - 1), sel, callee, cparams,
                cdecl, npc, ctype,
                k(L::kTrapIndirectType) + itrap * (code - Fp::from_u32(L::kTrapIndirectType)),
                cheight});
    // The value stack limit, as at direct calls: 2^20 - nfp - height = d1 + 2^16 d2, with d2 <
    // 2^14 from the sign-bit lookup (ah = 2 d2, sa = 0: 4 d2 < 2^16; d3 holds idx's bound
    // here), so the difference is in [0, 2^30) and a negative one (above p - 2^27: heights
    // are below 2^27) cannot pass.
    on(Op::kCallIndirect,
       d[1] + d[2] * k16 - (Fp::from_u32(L::kMaxStackSlots) - nfp - cheight));
    on(Op::kCallIndirect, ah - d[2] * Fp::from_u32(2));
    on(Op::kCallIndirect, sa);
    // The slot of table imm_a (program-pinned): idx + 2^28 * table (slot_table(); idx < 2^28
    // below and at most kMaxTables tables, so two tables' slots never meet modulo p).
    t.assert_zero(looked_up * (sel - idx - ia * Fp::from_u32(1u << 28)));
    on(Op::kBrTable, callee - pc);
    t.assert_zero(looked_up * (d[3] - x[1] * Fp::from_u32(16)));
    on(Op::kCallIndirect, ctype - want);
    t.assert_zero(cistrap * (ctype - want));
    t.assert_zero(cistrap * (c(E::kKey + 1) - (sp - one)));
    t.assert_bool(itrap);
    t.assert_zero(ioor * (one - oor));
    // (On oor rows the type columns are free: no lookup; the prover sets a differing type.)
    t.assert_zero(itrap * ((ctype - want) * c(E::kInv) - one));
    // idx = size + d over two limbs with no carry out: idx >= size.
    t.assert_zero(ioor * (ib[2] + d[0] - x[0] - cy[0] * k16));
    t.assert_zero(ioor * (ib[3] + d[1] + cy[0] - x[1] - cy[1] * k16));
    t.assert_zero(ioor * cy[1]);
    t.assert_zero(ioor * (code - Fp::from_u32(L::kTrapUndefinedElem)));
    t.assert_zero(itrap * (c(E::kKey + 1) - (sp - one)));
    on(Op::kCallIndirect, npc - centry);
    t.assert_zero(is_ci * (one - host_ci) * (nfp - (sp - one - cparams)));
    // call_indirect of an import: the next row is its host tail (the slot's entry is the
    // import's host pc), which returns here + 1; a segment never ends between the two.
    t.assert_zero((is_ci + itrap) * host_ci * (one - host_ci));
    t.assert_zero(brt * host_ci);
    t.assert_zero(cistrap * host_ci);
    t.assert_transition(hci * (n(E::kNpc) - pc1_expr(pc)));
    t.assert_zero(end * hci);
    on(Op::kCallIndirect, nsp - (sp - one + cdecl));
    on(Op::kCallIndirect, r[0] + r[1] * k16 - pc1_expr(pc));
    on(Op::kCallIndirect, r[2] + r[3] * k16 - fp);
    on(Op::kCallIndirect, zstart - (one - zz));  // zz = [declared locals == 0]
    on(Op::kCallIndirect, c(E::kKey + 1) - (sp - one));
  }
  t.assert_transition((is_call - zstart) * n(E::kZflag));
  // The runtime's call depth limit: a call that goes on has depth < kMaxCallDepth (d0 is
  // range-checked; depth is a count from 0, far below p); the trap row of a direct call that
  // exhausts the call stack has depth = kMaxCallDepth (reached one call at a time).
  t.assert_zero(is_call * (d[0] - (Fp::from_u32(L::kMaxCallDepth - 1) - depth)));
  // kOpX on unreachable-class rows: 0 (unreachable) or call - unreachable, and call_indirect -
  // unreachable exactly when the kCiStack bit is set.
  {
    const Expr g = c(E::kCiStack);
    t.assert_zero(unreach_f * (alu_op - g * ci_delta - gas_opx) *
                  (alu_op - g * ci_delta - call_delta - gas_opx));
    t.assert_zero(cistrap * (alu_op - ci_delta));
  }
  // A direct call whose callee frame passes the value stack limit (vtrap, a strap row with the
  // kVStack bit): nfp + height - 2^20 - 1 = d1 + 2^16 d2 with d3 = 4 d2 (d2 < 2^14: below 2^30,
  // while a frame that fits leaves p - 2^20 - 1 or more); the depth is not checked there.
  const Expr vtrap = unreach_f * c(E::kVStack);
  t.assert_zero(vtrap * (alu_op - call_delta));
  t.assert_zero(vtrap * (d[1] + d[2] * k16 -
                         (sp - ib[0] + ia - Fp::from_u32(L::kMaxStackSlots + 1))));
  t.assert_zero(vtrap * (d[3] - d[2] * Fp::from_u32(4)));
  // The same at a call_indirect (vci, a cistrap row with the kVStackCi bit): nfp = sp - 1 -
  // params and the height from its slot lookup; d2 < 2^14 through ah = 2 d2, sa = 0 (d3 holds
  // the index bound there).
  const Expr vci = unreach_f * c(E::kVStackCi);
  t.assert_zero(vci * (one - c(E::kCiStack)));
  t.assert_zero(vci * (d[1] + d[2] * k16 - (sp - one - c(E::kCParams) + c(E::kCHeight) -
                                            Fp::from_u32(L::kMaxStackSlots + 1))));
  t.assert_zero(vci * (ah - d[2] * Fp::from_u32(2)));
  t.assert_zero(vci * sa);
  t.assert_zero((strap - vtrap + cistrap - vci) * (depth - Fp::from_u32(L::kMaxCallDepth)));
  // Zero-local rows: follow a call or another one, write 0 at consecutive slots up to sp - 1,
  // keep the state.
  t.assert_transition(n(E::kZflag) * (one - zf - zstart));
  t.assert_transition(zf * n(E::kZflag) * (n(E::kKey + 2) - c(E::kKey + 2) - one));
  t.assert_transition(zf * (one - n(E::kZflag)) - zlast);
  t.assert_zero(zlast * (one - zf));
  t.assert_zero(zlast * (c(E::kKey + 2) + one - sp));
  t.assert_zero(zf * (npc - pc));
  t.assert_zero(zf * (nsp - sp));
  for (uint32_t j = 0; j < 4; ++j) t.assert_zero(zf * r[j]);
  // Returns to a caller: frame[depth - 1] gives the return pc and the caller's fp.
  t.assert_zero(inner_ret * (npc - b[0] - b[1] * k16));
  t.assert_zero(inner_ret * (nfp - b[2] - b[3] * k16));
  t.assert_zero(inner_ret * (nsp - fp - ia));

  // Results and helpers are 16-bit limbs: every written value is range-checked here, every
  // read value comes from the memory argument (written before, or an initial value).
  for (uint32_t j = 0; j < 4; ++j) range_check(t, r[j]);
  for (uint32_t j = 0; j < 4; ++j) range_check(t, d[j]);
  // Sign bits: sa is bit 15 of the limb ah iff 2 (ah - 2^15 sa) < 2^16. Wherever sa is used,
  // ah is pinned to a limb of a value read from memory, hence below 2^16: then ah - 2^15 sa
  // lies in [-2^15, 2^16), and twice it is below 2^16 (as a field element) only for
  // ah - 2^15 sa in [0, 2^15). One lookup per sign bit instead of two.
  const Expr alow = ah - sa * Fp::from_u32(1u << 15), blow = bh - sb * Fp::from_u32(1u << 15);
  range_check(t, alow * Fp::from_u32(2));
  range_check(t, blow * Fp::from_u32(2));
  t.assert_bool(sa);
  t.assert_bool(sb);
  for (uint32_t j = 0; j < 4; ++j) t.assert_bool(cy[j]);

  // --- opcode groups -------------------------------------------------------------------------
  // The comparisons' shared flag (kCmpOps), as i32.lt_s and i64.lt_s.
  const std::initializer_list<Op> cmp32 = {Op::kI32LtS};
  const std::initializer_list<Op> cmp64 = {Op::kI64LtS};
  std::vector<Op> binary = {Op::kI32Add, Op::kI32Sub, Op::kI32Eq, Op::kI32Ne,
                            Op::kI64Add, Op::kI64Sub, Op::kI64Eq, Op::kI64Ne};
  binary.insert(binary.end(), cmp32.begin(), cmp32.end());
  binary.insert(binary.end(), cmp64.begin(), cmp64.end());
  const std::vector<Op> unary = {Op::kI32Eqz,        Op::kI64Eqz,        Op::kI32WrapI64,
                                 Op::kI64ExtendI32S, Op::kI64ExtendI32U, Op::kI32Extend16S,
                                 Op::kI64Extend16S,  Op::kI64Extend32S};
  auto sum_of = [&](const std::vector<Op>& ops) {
    Expr s = k(0);
    for (Op op : ops) s = s + flag(op);
    return s;
  };
  std::vector<Op> seq = {Op::kI32Const,  Op::kI64Const, Op::kLocalGet, Op::kLocalSet,
                         Op::kLocalTee,  Op::kGlobalGet, Op::kGlobalSet, Op::kDrop, Op::kSelect};
  seq.insert(seq.end(), binary.begin(), binary.end());
  seq.insert(seq.end(), unary.begin(), unary.end());

  // --- control: next pc, next sp, value moves ---------------------------------------------
  const Expr pc1 = pc + one;
  for (Op op : seq) on(op, npc - pc1);
  on(Op::kBr, npc - ia);
  // br_table: sel = min(idx, n - 1) with c = [idx < n] from the comparison chain (n = imm_b),
  // then (pc, sel) -> (target, height, arity) from the module's br_table targets.
  {
    const Expr brh = c(E::kBrH), brar = c(E::kBrAr), sel = c(E::kSel);
    const Expr idx = x[0] + x[1] * k16, count = ib[0] + ib[1] * k16;
    on(Op::kBrTable, sel - (cy[1] * idx + (one - cy[1]) * (count - one)));
    // (pc, sel) -> (npc, brh, brar): the lookup shared with call_indirect (above).
    on(Op::kBrTable, mv - brar);
    on(Op::kBrTable, nsp - (fp + brh + brar));
  }
  on(Op::kBrIf, npc - (tk * ia + (one - tk) * pc1));
  on(Op::kBrUnless, npc - (tk * ia + (one - tk) * pc1));
  on_all({Op::kI32Const, Op::kI64Const, Op::kLocalGet, Op::kGlobalGet}, nsp - (sp + one));
  on_all({Op::kLocalSet, Op::kGlobalSet, Op::kDrop, Op::kBrUnless}, nsp - (sp - one));
  for (Op op : binary) on(op, nsp - (sp - one));
  for (Op op : unary) on(op, nsp - sp);
  on(Op::kLocalTee, nsp - sp);
  on(Op::kSelect, nsp - (sp - Fp::from_u32(2)));
  on(Op::kBr, nsp - (fp + h + ib[2]));
  on(Op::kBrIf, nsp - (tk * (fp + h + ib[2]) + (one - tk) * (sp - one)));
  // Branch taken: br_if on a nonzero condition, br_unless on zero.
  on(Op::kBrIf, tk - (one - zz));
  on(Op::kBrUnless, tk - zz);
  // A value moves to the label (br, br_if taken, with arity 1) or the frame base (return).
  on(Op::kBr, mv - ib[2]);
  on(Op::kBrIf, mv - tk * ib[2]);
  on(Op::kReturn, mv - ia);
  t.assert_zero(mv * (one - flags({Op::kBr, Op::kBrIf, Op::kReturn, Op::kBrTable})));
  on(Op::kReturn, nsp - (fp + ia));

  // --- memory slots: 0 and 1 read, 2 reads the old value (a) and writes r --------------------
  // The slots' enable bits are expressions (degree 2), not columns. Each is boolean: its terms
  // are boolean (flags, selectors and wide bits are; flag * selector and flag * wide too; mv is
  // asserted boolean; inner_ret = is_ret (1 - zz); alu_un <= alu_f, mst and io <= mem with
  // mst io = 0, hrd + hwr + hsz + hab = is_host, wz boolean on hwr rows) and belong to row
  // classes that never meet: the one-hot sum (flags, alu, trap, itrap), zf and mem rows, and mv
  // only on branch and return rows.
  t.assert_bool(mv);
  const Expr en0 = hrd + hwr + hab + herr + hwo + io_first +
                   flags({Op::kLocalGet, Op::kLocalSet, Op::kLocalTee, Op::kGlobalGet,
                          Op::kGlobalSet, Op::kSelect}) +
                   sum_of(binary) + flags({Op::kBr, Op::kBrIf, Op::kBrTable}) * mv + inner_ret +
                   (alu_f - alu_un) + trap_f + mst;
  const Expr en1 = hrd + hwr + flags({Op::kSelect, Op::kBrIf, Op::kBrUnless, Op::kBrTable}) +
                   is_ret * mv + is_ci + itrap + mst + cistrap + hoob + hwo;
  const Expr en2 = flags({Op::kI32Const, Op::kI64Const, Op::kLocalGet, Op::kLocalSet,
                          Op::kLocalTee, Op::kGlobalGet, Op::kGlobalSet, Op::kSelect}) +
                   sum_of(binary) + sum_of(unary) + mv + is_call + zf + alu_f + trap_f +
                   (mem - mst - io) + hsz + hrd + hwr * c(E::kWz) + hwo;
  const Expr key0 = c(E::kKey + 0), key1 = c(E::kKey + 1), key2 = c(E::kKey + 2);
  const Expr gk = k(uint64_t(L::kGlobalSpace) << L::kSpaceShift) + ia;
  const Expr sm1 = sp - one, sm2 = sp - Fp::from_u32(2), sm3 = sp - Fp::from_u32(3);
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
  for (Op op : binary) {
    on(op, key0 - sm1);
    on(op, key2 - sm2);
  }
  for (Op op : unary) on(op, key2 - sm1);
  on(Op::kBr, key0 - sm1);
  on(Op::kBrIf, key1 - sm1);
  on(Op::kBrIf, key0 - sm2);
  on_all({Op::kBr, Op::kBrIf}, key2 - (fp + h));
  on(Op::kBrTable, key1 - sm1);
  on(Op::kBrTable, key0 - sm2);
  on(Op::kBrTable, key2 - (fp + c(E::kBrH)));
  on(Op::kBrUnless, key1 - sm1);
  on(Op::kReturn, key1 - sm1);
  on(Op::kReturn, key2 - fp);
  const Expr frame_base = k(uint64_t(L::kFrameSpace) << L::kSpaceShift);
  on(Op::kReturn, key0 - (frame_base + depth - one));
  on(Op::kCall, key2 - (frame_base + depth));
  on(Op::kCallIndirect, key2 - (frame_base + depth));
  // Memory ops: a store reads its value (slot 0, sp - 1) and address (slot 1, sp - 2); a load
  // or memory.grow replaces sp - 1 (address / delta) with its result; memory.size pushes.
  t.assert_zero(mst * (key0 - sm1));
  t.assert_zero(mst * (key1 - sm2));
  t.assert_zero((mem - mst - io) * (key2 - sm1 - msz));
  // Host calls: input_size(kind) replaces kind; input_read(kind, offset, dst, len) reads len
  // (slot 0) and dst (slot 1) and replaces kind with the count; output_write(src, len) reads
  // len and src. The first I/O row of an input_read reads the offset (just above the result).
  t.assert_zero(hsz * (key2 - sm1));
  t.assert_zero((hrd + hwr + hab) * (key0 - sm1));
  // (An input_read that copies nothing reads the offset, sp - 3, instead of dst: kRdNone, kRdFar.)
  t.assert_zero((hrd + hwr) * (key1 - sm2) + hrd * (c(E::kRdNone) + c(E::kRdFar)));
  // A host error reads the kind: sp - 1 (input_size) or sp - 4 (input_read, carry 1).
  t.assert_zero(herr * (key0 - sm1) + herr_k * c(E::kHerrRd) * Fp::from_u32(3));
  t.assert_zero(hrd * (key2 - sp + Fp::from_u32(4)));
  t.assert_zero(io_first * (key0 - sp));
  const Expr* olds[L::kSlots] = {b, x, a};
  const Expr* news[L::kSlots] = {b, x, r};
  const Expr ens[L::kSlots] = {en0, en1, en2};
  for (uint32_t s = 0; s < L::kSlots; ++s) {
    const Expr en = ens[s], key = c(E::kKey + s), pts = c(E::kPts + s);
    const Expr dlo = c(E::kDlo + s), dhi = c(E::kDhi + s);
    const Expr ts = step * Fp::from_u32(4) + Fp::from_u32(s);
    // prev_ts < ts: ts - prev_ts - 1 = dlo + 2^16 dhi with dlo < 2^16 and dhi a byte (slots 0,
    // 1: one byte-pair lookup for both) or 256 dhi < 2^16 (slot 2: dhi = v / 256, so 2^16 dhi
    // = 2^8 v), so the difference is an integer in [0, 2^24 + 2^16); prev_ts is a timestamp
    // sent on the bus (below 2^25: at most 2^22 rows), so a later prev_ts would need a
    // difference above p - 2^25, out of reach. Five lookups for the three slots.
    t.assert_zero(en * (ts - pts - one - dlo - dhi * k16));
    range_check(t, dlo);
    if (s == 2) range_check(t, dhi * Fp::from_u32(256));
    const Expr* o = olds[s];
    const Expr* w = news[s];
    t.interact(L::kBusMemory, -en, {key, pts, o[0], o[1], o[2], o[3]});
    t.interact(L::kBusMemory, en, {key, ts, w[0], w[1], w[2], w[3]});
  }
  t.interact(L::kBusBytes, k(1), {c(E::kDhi + 0), c(E::kDhi + 1)});

  // --- values ------------------------------------------------------------------------------
  for (uint32_t j = 0; j < 4; ++j) {
    on_all({Op::kI32Const, Op::kI64Const}, r[j] - ib[j]);
    on_all({Op::kLocalGet, Op::kLocalSet, Op::kLocalTee, Op::kGlobalGet, Op::kGlobalSet, Op::kBr,
            Op::kBrIf, Op::kBrTable},
           r[j] - b[j]);
    on(Op::kReturn, r[j] - x[j]);
    on(Op::kSelect, r[j] - (a[j] + zz * (b[j] - a[j])));  // condition zero: b
  }
  // i32 results have zero upper limbs; booleans are r0 alone.
  for (Op op : {Op::kI32Add, Op::kI32Sub, Op::kI32WrapI64, Op::kI32Extend16S}) {
    on(op, r[2]);
    on(op, r[3]);
  }
  std::vector<Op> boolean = {Op::kI32Eqz, Op::kI32Eq, Op::kI32Ne, Op::kI64Eqz, Op::kI64Eq,
                             Op::kI64Ne};
  boolean.insert(boolean.end(), cmp32.begin(), cmp32.end());
  boolean.insert(boolean.end(), cmp64.begin(), cmp64.end());
  for (Op op : boolean) {
    on(op, r[1]);
    on(op, r[2]);
    on(op, r[3]);
  }
  // Carry chains over `limbs` limbs: u + v = w + 2^(16 limbs) c.
  auto chain = [&](Op op, const Expr* u, const Expr* v, const Expr* w, uint32_t limbs) {
    for (uint32_t j = 0; j < limbs; ++j) {
      Expr e = u[j] + v[j] - w[j] - cy[j] * k16;
      if (j > 0) e = e + cy[j - 1];
      on(op, e);
    }
  };
  chain(Op::kI32Add, a, b, r, 2);
  chain(Op::kI64Add, a, b, r, 4);
  chain(Op::kI32Sub, b, r, a, 2);  // b + r = a + 2^32 c
  chain(Op::kI64Sub, b, r, a, 4);
  // Comparisons: one flag for the eight (kCmpOps), gated per width like the other twins.
  // c = [a' < b'] from b' + d = a' + 2^(16 limbs) c with d range-checked, where a', b' are a, b
  // with the top limb's sign bit flipped for signed ones (sa, sb the sign bits of ah = a_top,
  // bh = b_top; sas = signed * sa). e = [d = 0] = [a = b] through an inverse of the limb sum
  // (below 2^18, so zero only for d = 0). lt = c, gt = 1 - c - e, le = c + e, ge = 1 - c:
  // r0 = q + (1 - 2q)(c + p e) with p = [gt or le] and q = [gt or ge]; the opcode's offset
  // from lt_s (kOpX) is (1 - signed) + 2 q + 4 (p xor q). Every constraint stays at degree 3.
  {
    const Expr cmp = raw(Op::kI32LtS), g32 = flag(Op::kI32LtS), g64 = flag(Op::kI64LtS);
    const Expr sg = c(E::kCmpSg), p = c(E::kCmpP), q = c(E::kCmpQ), e = c(E::kCmpEq);
    const Expr einv = c(E::kCmpInv), pe = c(E::kCmpH), sas = c(E::kCmpSa), sbs = c(E::kCmpSb);
    const Fp two = Fp::from_u32(2);
    for (const Expr& bit : {sg, p, q}) t.assert_zero(cmp * bit * (one - bit));
    t.assert_zero(cmp * (c(E::kOpX) - (one - sg) - q * two - (p + q - p * q * two) * Fp::from_u32(4)));
    t.assert_zero(cmp * (sas - sg * sa));
    t.assert_zero(cmp * (sbs - sg * sb));
    const Fp half = Fp::from_u32(1u << 15);
    for (const auto& [g, top] : {std::pair{g32, 1u}, std::pair{g64, 3u}}) {
      t.assert_zero(g * (ah - a[top]));
      t.assert_zero(g * (bh - b[top]));
      Expr ua[4] = {a[0], a[1], a[2], a[3]}, ub[4] = {b[0], b[1], b[2], b[3]};
      ua[top] = a[top] + sg * half - sas * k16;
      ub[top] = b[top] + sg * half - sbs * k16;
      for (uint32_t j = 0; j <= top; ++j) {
        Expr ch = ub[j] + d[j] - ua[j] - cy[j] * k16;
        if (j > 0) ch = ch + cy[j - 1];
        t.assert_zero(g * ch);
      }
    }
    // i32: d is two limbs and the carry out of limb 1 is copied up, so c = cy3 for both widths.
    t.assert_zero(g32 * d[2]);
    t.assert_zero(g32 * d[3]);
    t.assert_zero(g32 * (cy[2] - cy[1]));
    t.assert_zero(g32 * (cy[3] - cy[1]));
    const Expr dsum = d[0] + d[1] + d[2] + d[3];
    t.assert_zero(cmp * (e - one + dsum * einv));
    t.assert_zero(cmp * e * dsum);
    t.assert_zero(cmp * (pe - p * e));
    t.assert_zero(cmp * (r[0] - q - (one - q * two) * (cy[3] + pe)));
  }
  chain(Op::kBrTable, ib, d, x, 2);  // cy[1] = [idx < n]
  // Is-zero of four limbs p: e_j = [p_j == 0] through inverses, zz = e0 e1 e2 e3 (return:
  // depth 0, call: no declared locals).
  // eq, ne, eqz are the same over four limbs for both widths: gated by the shared flag.
  struct Zero {
    Expr gate;
    Expr p[4];
  };
  const Zero zeros[] = {
      {raw(Op::kI32Eq), {a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3]}},
      {raw(Op::kI32Ne), {a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3]}},
      {raw(Op::kI32Eqz), {a[0], a[1], a[2], a[3]}},
      {flag(Op::kSelect), {x[0], x[1], x[2], x[3]}},
      {flag(Op::kBrIf), {x[0], x[1], x[2], x[3]}},
      {flag(Op::kBrUnless), {x[0], x[1], x[2], x[3]}},
      {flag(Op::kReturn), {depth, k(0), k(0), k(0)}},
      {flag(Op::kCall), {ib[1], k(0), k(0), k(0)}},
      {flag(Op::kCallIndirect), {c(E::kCDecl), k(0), k(0), k(0)}}};
  for (const Zero& z : zeros) {
    for (uint32_t j = 0; j < 4; ++j) {
      const Expr e = c(E::kE + j), inv = c(E::kInv + j);
      t.assert_zero(z.gate * (e - one + z.p[j] * inv));
      t.assert_zero(z.gate * e * z.p[j]);
    }
    t.assert_zero(z.gate * (c(E::kZ01) - c(E::kE) * c(E::kE + 1)));
    t.assert_zero(z.gate * (c(E::kZ23) - c(E::kE + 2) * c(E::kE + 3)));
    t.assert_zero(z.gate * (zz - c(E::kZ01) * c(E::kZ23)));
  }
  on_all({Op::kI32Eq, Op::kI32Eqz, Op::kI64Eq, Op::kI64Eqz}, r[0] - zz);
  on_all({Op::kI32Ne, Op::kI64Ne}, r[0] - (one - zz));
  // Wrap and extensions. The sign source limb ah is pinned per opcode.
  const Expr fill = sa * Fp::from_u32(0xFFFF);
  on(Op::kI32WrapI64, r[0] - a[0]);
  on(Op::kI32WrapI64, r[1] - a[1]);
  on(Op::kI64ExtendI32U, r[0] - a[0]);
  on(Op::kI64ExtendI32U, r[1] - a[1]);
  on(Op::kI64ExtendI32U, r[2]);
  on(Op::kI64ExtendI32U, r[3]);
  on(Op::kI64ExtendI32S, ah - a[1]);
  on(Op::kI64ExtendI32S, r[0] - a[0]);
  on(Op::kI64ExtendI32S, r[1] - a[1]);
  on(Op::kI64ExtendI32S, r[2] - fill);
  on(Op::kI64ExtendI32S, r[3] - fill);
  on(Op::kI32Extend16S, ah - a[0]);
  on(Op::kI32Extend16S, r[0] - a[0]);
  on(Op::kI32Extend16S, r[1] - fill);
  on(Op::kI64Extend16S, ah - a[0]);
  on(Op::kI64Extend16S, r[0] - a[0]);
  for (uint32_t j = 1; j < 4; ++j) on(Op::kI64Extend16S, r[j] - fill);
  on(Op::kI64Extend32S, ah - a[1]);
  on(Op::kI64Extend32S, r[0] - a[0]);
  on(Op::kI64Extend32S, r[1] - a[1]);
  on(Op::kI64Extend32S, r[2] - fill);
  on(Op::kI64Extend32S, r[3] - fill);

  // --- ALU chip operations and traps ---------------------------------------------------------
  // A chip row is a binary (b at sp-1, a at sp-2, r replaces a) or unary (a at sp-1) step
  // whose (op, a, b, r) the chip proves; a trap row reads its operands the same way and its r
  // is the trap code, checked by the chip.
  t.assert_bool(alu_f);
  t.assert_bool(alu_un);
  t.assert_bool(trap_f);
  t.assert_bool(unreach_f);
  t.assert_zero(alu_un * (one - alu_f));
  // kOpX: the opcode of chip and memory rows, the offset of a comparison or a grouped op, 0 or
  // call - unreachable on unreachable-class trap rows; zero on other rows.
  t.assert_zero(alu_op * (one - alu_f - trap_f - mem - raw(Op::kI32LtS) - grouped - unreach_f));
  t.assert_zero(alu_f * (npc - pc1));
  t.assert_zero(alu_f * (nsp - sp + one - alu_un));
  t.assert_zero((alu_f - alu_un) * (key0 - sm1));
  t.assert_zero(alu_f * (key2 - sm2 - alu_un));
  t.assert_zero(trap_f * (key0 - sm1));
  t.assert_zero(trap_f * (key2 - sm2));
  t.interact(L::kBusAlu, alu_f + trap_f,
             {alu_op, alu_un, trap_f, a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3], r[0], r[1],
              r[2], r[3]});
  // A trap ends the table like the entry function's return: status 1 and the trap code are
  // public, and so are the gas and instructions up to and including the trapping one.
  const Expr status = t.pub(L::kPubStatus), code = t.pub(L::kPubTrapCode);
  t.assert_zero(top * status);
  t.assert_zero(top * code);
  t.assert_zero(ends * (status - one));
  t.assert_zero(trap_f * (r[0] - code));
  t.assert_zero(unreach_f * (code - Fp::from_u32(alu::kTrapUnreachable)) -
                (strap + cistrap) * Fp::from_u32(L::kTrapCallStack - alu::kTrapUnreachable) -
                gtrap * Fp::from_u32(L::kTrapOutOfGas - alu::kTrapUnreachable));
  // An out-of-bounds load or store: its mem_access row receives the trap bit and proves it.
  t.assert_bool(mtrap);
  t.assert_zero(mtrap * (one - mem));
  t.assert_zero(mtrap * io);
  t.assert_zero(mtrap * (code - Fp::from_u32(L::kTrapMemOob)));
  // (Out of gas: the instruction is not run, so neither its cost nor itself counts.
  // output_write's out-of-bounds trap row adds its byte gas, d2 + 2^13 len_hi, below.)
  // Out of gas inside input_read / output_write (hoob / hwo rows with trap code 10, hgas
  // below): the byte gas does not fit, so the runtime charges none of it.
  const Expr hgas = (code - Fp::from_u32(L::kTrapMemOob)) *
                    Fp::from_u32(L::kTrapOutOfGas - L::kTrapMemOob).inverse();
  t.assert_zero(ends * (gas + gcost - t.pub(L::kPubGasUsed)) - (gtrap + hoob * hgas) * gcost +
                hwo * (one - hgas) * (d[2] + b[1] * Fp::from_u32(1u << 13)));
  t.assert_zero(ends * (inst - t.pub(L::kPubInstructions)) - gtrap);
  // Out of gas before the instruction at pc (gtrap): the row sends the program tuple of that
  // instruction (opcode unreachable + kOpX, so its cost and immediates are the module's) and
  // shows gas + cost > limit: gas + cost - limit - 1 = d0, range-checked. The verifier checks
  // gas used <= limit < kMaxGasLimit = 2^30, so a cost that fits leaves a value above p - 2^30 - 1.
  // Nothing is touched; no other unreachable-class bit (carries 1..3) is set with it.
  {
    t.assert_zero(unreach_f * (one - c(E::kGasTrap)) * gas_opx);
    t.assert_zero(gtrap * (alu_op - gas_opx));
    t.assert_zero(gtrap * (cy[1] + cy[2] + cy[3]));
    t.assert_zero(gtrap * (gas + gcost - t.pub(L::kPubGasLimit) - one - d[0]));
  }
  // The output so far is public at a trap too.
  t.assert_zero(ends * (out - t.pub(L::kPubOutputLen)));

  // Linear memory: the row sends (step, op, store, size, address or delta, imm_b, value) to
  // the mem_access table, which proves the op; a store's address and value sit in x and b and
  // are mirrored into a and r so the tuple has one shape.
  t.assert_bool(mem);
  t.assert_bool(mst);
  t.assert_bool(msz);
  t.assert_zero(mst * (one - mem));
  t.assert_zero(msz * (one - mem));
  t.assert_zero(mst * msz);
  t.assert_zero((mem - io) * (npc - pc1));
  t.assert_zero((mem - io) * (nsp - sp + mst * Fp::from_u32(2) - msz));
  for (uint32_t j = 0; j < 4; ++j) {
    t.assert_zero(mst * (a[j] - x[j]));
    t.assert_zero(mst * (r[j] - b[j]));
  }
  const Expr io_addr = c(E::kIoAddr), io_idx = c(E::kIoIdx), io_rem = c(E::kIoRem);
  const Expr io_kind = c(E::kIoKind), io_n = c(E::kIoN), io_inv = c(E::kIoInv);
  // The memory id is the program's imm_b2 (the prover cannot pick another memory); I/O rows,
  // which look up no program row, access memory 0 (host functions use memory 0).
  t.assert_zero(io * ib[2]);
  t.interact(L::kBusMemAccess, mem - hoob,
             {step, c(E::kMemOp), mst + mtrap * Fp::from_u32(2), msz, a[0], a[1], ib[0], ib[1], r[0], r[1], r[2], r[3],
              io_n, io_kind, io_idx, ib[2]});

  // Host calls (docs/zkwasm.md, "Host I/O"). The program row's imm_b names the host function:
  // 1 input_size, 2 input_read, 3 output_write, 4 abort (a trap row: hab; other imports get 0,
  // which no selector fits, so they cannot be proved).
  const Expr is_host = flag(Op::kCallHost);
  for (const Expr& hsel : {hsz, hrd, hwr}) {
    t.assert_bool(hsel);
    t.assert_zero(hsel * (one - is_host));
  }
  t.assert_zero(hsz + hrd + hwr + hab + herr + hwo - is_host);
  t.assert_zero(is_host * (ib[0] - hsz - hrd * Fp::from_u32(2) - hwr * Fp::from_u32(3) -
                           hab * Fp::from_u32(L::kHostAbortFn) -
                           c(E::kHerr) * (one + c(E::kHerrRd)) -
                           (c(E::kHerrOutFar) + c(E::kHerrOutNear)) * Fp::from_u32(3) -
                           (c(E::kWrOobNear) + c(E::kWrOobFar)) * Fp::from_u32(3)));
  // abort(code): reads the code at sp - 1 (slot 0), public as two limbs with trap code 11.
  t.assert_zero(hab * (code - Fp::from_u32(L::kTrapHostAbort)));
  t.assert_zero(hab * (b[0] - t.pub(L::kPubAbortCode)));
  t.assert_zero(hab * (b[1] - t.pub(L::kPubAbortCode + 1)));
  // A host tail (imm_b2 = 1, only at host pcs) returns where its call_indirect set (above).
  t.assert_zero(is_host * (one - ib[2]) * (npc - pc1));
  on(Op::kCallHost, nsp - (sp - hrd * Fp::from_u32(3) - hwr * Fp::from_u32(2)));
  // The kind must be a public one (the input table has its size row): input_size returns the
  // size; input_read returns len (a read past the end is not provable). Both hold the size in
  // io_n (free on host-call rows otherwise), so one lookup serves both.
  const Expr kind = a[0] + a[1] * k16;
  t.assert_zero(hsz * (io_n - r[0] - r[1] * k16));
  t.interact(L::kBusInput, hsz + hrd, {kind, k(L::kSizeIndex), io_n});
  t.assert_zero(hsz * r[2]);
  t.assert_zero(hsz * r[3]);
  // input_read returns the count it copies, min(len, size - offset) or 0 when offset >= size
  // (the runtime's rule). The count is io_rem (the bytes the I/O rows move) and the result
  // r = r0 + 2^16 r1 (r1 < 2^14 through the sign-bit lookup: bh = 2 r1, sb = 0). A full copy
  // (no short bit) has count = len, and its I/O rows' input lookups show offset + len <= size.
  // Short, count > 0 (kRdShort): the next row is the first I/O row, whose index (the offset)
  // plus count is the size, and len - count = d0 + 2^13 ah >= 0 (ah < 2^15, sa = 0: below
  // 2^29, while a negative difference is above p - 2^30). Nothing copied: count = 0, and the
  // offset (slot 1) is at least the size: offset - size = d0 + 2^13 ah (kRdNone; the offset is
  // then below 2^29, and a negative difference, above p - 2^28, cannot pass) or offset_hi -
  // 2^12 = d2 (kRdFar: offset >= 2^28 > every size).
  {
    const Expr rs = c(E::kRdShort), rn = c(E::kRdNone), rf = c(E::kRdFar);
    const Expr short_any = rs + rn + rf, len = b[0] + b[1] * k16;
    for (const Expr& bit : {rs, rn, rf, short_any}) t.assert_zero(hrd * bit * (one - bit));
    t.assert_zero(hrd * (r[0] + r[1] * k16 - io_rem));
    t.assert_zero(hrd * r[2]);
    t.assert_zero(hrd * r[3]);
    t.assert_zero(hrd * (bh - r[1] * Fp::from_u32(2)));
    t.assert_zero(hrd * sb);
    t.assert_zero(hrd * (rn + rf) * io_rem);
    t.assert_zero(hrd * (rs + rn) * sa);
    t.assert_zero(hrd * rs * (len - io_rem - d[0] - ah * Fp::from_u32(1u << 13)));
    t.assert_transition(hrd * rs * (one - n(E::kIo)));
    t.assert_transition(hrd * rs * (n(E::kIoIdx) + io_rem - io_n));
    t.assert_zero(hrd * rn * (x[0] + x[1] * k16 - io_n - d[0] - ah * Fp::from_u32(1u << 13)));
    t.assert_zero(hrd * rf * (d[2] - x[1] + Fp::from_u32(1u << 12)));
    // The I/O cursor of the call: address, bytes (len < 2^28; the count for input_read), kind,
    // output index.
    t.assert_zero((hrd + hwr) * (io_addr - x[0] - x[1] * k16));
    t.assert_zero((hrd + hwr - hrd * short_any) * (io_rem - len));
  }
  t.assert_zero((hrd + hwr) * (d[3] - b[1] * Fp::from_u32(16)));
  // u32 operands are reduced mod p as field elements: bound them below p so that none can
  // alias a small one (kind < 2^28, address < 2^30; larger ones trap in the runtime).
  t.assert_zero((hsz + hrd) * (d[1] - a[1] * Fp::from_u32(16)));
  t.assert_zero((hrd + hwr - hrd * (c(E::kRdNone) + c(E::kRdFar) + c(E::kRdOob))) *
                (d[2] - x[1] * Fp::from_u32(4)));
  t.assert_zero(hrd * (io_kind - kind));
  t.assert_zero(hwr * (io_idx - out));
  // A host error of input_size / input_read (trap code 12): the kind read at slot 0 is at least
  // kInputKinds = 5, as two limbs with a borrow: b0 - 5 + 2^16 bw = d0 and b1 - bw = d2 (both
  // range-checked, so a kind below 5 has no borrow that passes).
  {
    const Expr bw = c(E::kHerrBw);
    t.assert_zero(herr * (code - Fp::from_u32(L::kTrapHostError)));
    t.assert_zero(herr_k * (d[0] - b[0] + Fp::from_u32(L::kInputKinds) - bw * k16));
    t.assert_zero(herr_k * (d[2] - b[1] + bw));
  }
  // A host error of output_write (trap code 12): out + len > kMaxOutput = 2^20 for the u32
  // len read at slot 0 (the runtime checks it first). Far: len_hi - 17 = d2 (len >= 17 * 2^16
  // > 2^20). Near: out + len - 2^20 - 1 = d0 + 2^6 d2, below 2^23, while a negative value (out
  // <= 2^20: the public output length bounds it) lies above p - 2^21.
  {
    const Expr ofar = c(E::kHerrOutFar), onear = c(E::kHerrOutNear);
    for (const Expr& bit : {ofar, onear}) t.assert_zero(is_host * bit * (one - bit));
    t.assert_zero(is_host * ofar * (d[2] - b[1] + Fp::from_u32(17)));
    t.assert_zero(is_host * onear * (out + b[0] + b[1] * k16 - Fp::from_u32(L::kMaxOutput + 1) -
                                     d[0] - d[2] * Fp::from_u32(64)));
  }
  // output_write of 0 bytes moves nothing, but the runtime still checks src <= the memory's
  // bytes (and traps without a memory): wz = [len = 0]; then the module has a memory (imm_b1,
  // from the program), slot 2 reads the page count (keeping it), and pages - src_hi -
  // [src_lo != 0] >= 0, range-checked in d1 (src_hi < 2^14 and pages <= 2^12, so a negative
  // difference is far above 2^16 as a field element).
  {
    const Expr wz = c(E::kWz), wnz = c(E::kWnz);
    t.assert_zero(hwr * (io_rem * io_inv + wz - one));
    t.assert_zero(hwr * wz * io_rem);
    t.assert_zero(hwr * wz * (one - ib[1]));
    t.assert_zero(hwr * (wnz - x[0] * c(E::kWnzInv)));
    t.assert_zero(hwr * x[0] * (one - wnz));
    t.assert_zero(hwr * wz * (key2 - k(L::kMemSizeKey)));
    for (uint32_t j = 0; j < 4; ++j) t.assert_zero(hwr * wz * (r[j] - a[j]));
    t.assert_zero(hwr * wz * (d[1] - a[0] - a[1] * k16 + x[1] + wnz));
  }
  // Out-of-bounds host I/O (trap 2 inside the host function, docs/zkwasm.md "Traps"): the
  // runtime computes the count, charges its byte gas ceil(count / 8) and then fails the whole
  // range check before copying anything. ah' = ah - 2^15 sa and bh' = bh - 2^15 sb are below
  // 2^15 (the sign-bit lookups); sa, sb and the carries are free bits on these rows.
  {
    const Expr ah15 = ah - sa * Fp::from_u32(1u << 15), bh15 = bh - sb * Fp::from_u32(1u << 15);
    const Fp k13 = Fp::from_u32(1u << 13);
    // input_read: the call row (an input_read row with the kRdOob bit, so count = io_rem > 0
    // and I/O rows must follow) is followed by exactly one tail row, the trap row, which reads
    // the offset (slot 0, as a first I/O row does: io_idx) and the page count (slot 1, x0).
    const Expr rdo = hrd * c(E::kRdOob);
    t.assert_transition(n(E::kIo) * n(E::kRdOobTail) - rdo);
    t.assert_zero(hoob * (key1 - k(L::kMemSizeKey)));
    // Trap 2 (the memory check) or 10 (the byte gas does not fit: hgas, below).
    t.assert_zero((hoob + hwo) * (code - Fp::from_u32(L::kTrapMemOob)) *
                  (code - Fp::from_u32(L::kTrapOutOfGas)));
    // offset + count <= size (the count is the runtime's: a full copy's len or a short one's
    // size - offset): size - offset - count = d0 + 2^13 ah' on the tail (below 2^29; a
    // negative difference, above p - 2^29, cannot pass).
    t.assert_transition(rdo * (io_n - n(E::kIoIdx) - io_rem - n(E::kD) -
                               (n(E::kAh) - n(E::kSa) * Fp::from_u32(1u << 15)) * k13));
    // dst + count - 1 >= pages * 2^16 over dst's limbs: dst0 + count - 1 = r0 + 2^16 r1 on
    // the tail (r2 = 8 r1: unique, below 2^29 + 2^16), then dst1 + r1 - pages = d1 + bh' >= 0
    // (a negative value is at least -4096, far above 2^17 as a field element).
    t.assert_transition(rdo * (x[0] + io_rem - one - n(E::kR) - n(E::kR + 1) * k16));
    t.assert_zero(hoob * (r[2] - r[1] * Fp::from_u32(8)));
    t.assert_transition(rdo * (one - hgas) *
                        (x[1] + n(E::kR + 1) - n(E::kX) - n(E::kD + 1) -
                         (n(E::kBh) - n(E::kSb) * Fp::from_u32(1u << 15))));
    // Byte gas, the tail's gas cost: ceil(count / 8) = d2 + 2^13 count1 with 8 d2 - count0 =
    // c1 + 2 c2 + 4 c3 in [0, 8) (d2 range-checked: an integer equation below p).
    t.assert_transition(rdo * (n(E::kGasCost) - n(E::kD + 2) - r[1] * k13));
    t.assert_transition(rdo * (n(E::kD + 2) * Fp::from_u32(8) - r[0] - n(E::kC + 1) -
                               n(E::kC + 2) * Fp::from_u32(2) - n(E::kC + 3) * Fp::from_u32(4)));
    // output_write: reads len (slot 0), src (slot 1) and the page count (slot 2, kept). The
    // output limit held (the runtime checks it first): 2^20 - out - len = d0 + 2^13 ah' with
    // len < 2^28 (d3 = 16 len_hi). Near: src + len - 1 - pages * 2^16 = d1 + 2^14 bh' (below
    // 2^29 + 2^16; an access that fits leaves at least p - 2^28 - 1); the 1 is imm_b1 (the
    // module has a memory): without one, every output_write traps and pages reads 0. Far:
    // src_hi - 4097 = d1 (src > 2^28, beyond every memory). Byte gas d2 + 2^13 len_hi (public
    // gas, above) with 8 d2 - len0 = c1 + 2 c2 + 4 sa.
    for (const Expr& bit : {c(E::kWrOobNear), c(E::kWrOobFar)}) {
      t.assert_zero(is_host * bit * (one - bit));
    }
    const Expr len = b[0] + b[1] * k16;
    t.assert_zero(hwo * (key0 - sm1));
    t.assert_zero(hwo * (key1 - sm2));
    t.assert_zero(hwo * (key2 - k(L::kMemSizeKey)));
    for (uint32_t j = 0; j < 4; ++j) t.assert_zero(hwo * (r[j] - a[j]));
    t.assert_zero(hwo * (d[3] - b[1] * Fp::from_u32(16)));
    t.assert_zero(hwo * (Fp::from_u32(L::kMaxOutput) - out - len - d[0] - ah15 * k13));
    t.assert_zero(hwo_near * (one - hgas) *
                  (x[0] + x[1] * k16 + len - ib[1] - a[0] * k16 - d[1] -
                   bh15 * Fp::from_u32(1u << 14)));
    t.assert_zero(hwo_far * (one - hgas) * (x[1] - Fp::from_u32(L::kMaxPages + 1) - d[1]));
    t.assert_zero(hwo * (d[2] * Fp::from_u32(8) - b[0] - cy[1] - cy[2] * Fp::from_u32(2) -
                         sa * Fp::from_u32(4)));
    // Out of gas inside the host function (trap code 10, docs/zkwasm.md "Traps"): the same
    // rows with the byte gas that does not fit in place of the memory check (gated off above):
    // gas + cost + byte gas - limit - 1 = d1 + 2^14 bh' (below 2^29 + 2^16; with the verifier's
    // gas used <= limit < kMaxGasLimit = 2^30, a byte gas that fits leaves a value in
    // [p - 2^30 - 1, p - 1], out of reach). input_read: on the tail, whose gas is the call's
    // gas plus cost and whose cost is the byte gas; output_write: on its row.
    const Expr limit = t.pub(L::kPubGasLimit);
    const Fp k14 = Fp::from_u32(1u << 14);
    t.assert_zero(hoob * hgas * (gas + gcost - limit - one - d[1] - bh15 * k14));
    t.assert_zero(hwo * hgas * (gas + gcost + d[2] + b[1] * k13 - limit - one - d[1] -
                                bh15 * k14));
  }
  // I/O rows follow exactly while bytes are left: after = bytes left after this row, and the
  // next row is an I/O row iff after != 0 (io_inv its inverse).
  const Expr after = (hrd + hwr) * io_rem + io * (io_rem - io_n);
  t.assert_transition(after * io_inv - n(E::kIo));
  t.assert_transition(after * (one - n(E::kIo)));
  // Continuations: a segment ends with its I/O done, or (kPubExitIo set) on an I/O row with
  // bytes left, whose next cursor is the public exit cursor; a segment starts on an instruction,
  // or (kPubEntryIo set) on an I/O row (not the first of an input_read, not a trap tail) at
  // the public entry cursor. The two cursors chain in the verifier like the control state.
  {
    const Expr xmid = t.pub(L::kPubExitIo), emid = t.pub(L::kPubEntryIo);
    const Expr xcur[5] = {io_out, io_addr + Fp::from_u32(8), io_idx + Fp::from_u32(8),
                          io_rem - Fp::from_u32(8), io_kind};
    t.assert_zero((one - xmid) * end * after);
    t.assert_zero(xmid * end * (one - io));
    t.assert_zero(xmid * end * (io_n - Fp::from_u32(8)));
    for (uint32_t j = 0; j < 5; ++j) t.assert_zero(xmid * end * (xcur[j] - t.pub(L::kPubExitIo + 1 + j)));
    const Expr ecur[5] = {io_out, io_addr, io_idx, io_rem, io_kind};
    t.assert_first(io - emid);
    for (uint32_t j = 0; j < 5; ++j) t.assert_first(emid * (ecur[j] - t.pub(L::kPubEntryIo + 1 + j)));
    t.assert_first(io_first);
    t.assert_first(hoob);
  }
  t.assert_transition(io * n(E::kIo) * (io_n - Fp::from_u32(8)));
  t.assert_transition(io * (one - n(E::kIo)) * (io_n - io_rem));
  t.assert_transition(n(E::kIo) * (n(E::kIoAddr) - io_addr - io * Fp::from_u32(8)));
  t.assert_transition(n(E::kIo) * (n(E::kIoRem) - io_rem + io * Fp::from_u32(8)));
  t.assert_transition(n(E::kIo) * (n(E::kIoKind) - io_kind));
  t.assert_transition(n(E::kIo) * (n(E::kIoOut) - hwr - io_out * io));
  t.assert_transition(n(E::kIo) * (n(E::kIoIdx) - io_idx - io * Fp::from_u32(8)) *
                      (one - n(E::kIoFirst)));
  t.assert_transition(n(E::kIoFirst) - hrd * n(E::kIo));
  // The first row of an input_read reads the offset (< 2^28) just above the result.
  t.assert_zero(io_first * (io_idx - b[0] - b[1] * k16));
  t.assert_zero(io_first * (d[3] - b[1] * Fp::from_u32(16)));
  // I/O rows: memory rows of the host op, 1 gas each, state unchanged; address as base.
  for (const Expr& e : {io, io_out, io_first}) t.assert_bool(e);
  t.assert_zero(io * (one - mem));
  t.assert_zero(io_out * (one - io));
  t.assert_zero(io_first * (one - io));
  t.assert_zero(io * (c(E::kMemOp) - Fp::from_u32(uint32_t(Op::kHostWrite)) -
                      io_out * (Fp::from_u32(uint32_t(Op::kHostRead)) -
                                Fp::from_u32(uint32_t(Op::kHostWrite)))));
  t.assert_zero((io - hoob) * (gcost - one));
  t.assert_zero(io * (npc - pc));
  t.assert_zero(io * (nsp - sp));
  t.assert_zero(io * (a[0] - io_addr));
  t.assert_zero(io * a[1]);
  t.assert_zero(io * ib[0]);
  t.assert_zero(io * ib[1]);
  t.assert_zero(io * mst);
  t.assert_zero(io * msz);
  t.assert_zero((mem - io) * io_n);
  // The output so far: output rows append their bytes.
  t.assert_first(out - t.pub(L::kPubEntryOut));
  t.assert_transition(n(E::kReal) * (n(E::kOut) - out - io_out * io_n));
  (void)t.finalize(kExecDegree);
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
  // Keys are integers below 2^30, so increasing field differences below 2^29 cannot wrap
  // around p and bring a key back (a second initial record for it).
  t.assert_zero(key - t.main(M::kKeyLo) - t.main(M::kKeyHi) * Fp::from_u32(k16));
  range_check(t, t.main(M::kKeyLo));
  range_check(t, t.main(M::kKeyHi));
  range_check(t, t.main(M::kKeyHi) * Fp::from_u32(4));
  const Expr z = t.constant(0);
  // The initial record holds the value at the segment's entry: zero for a one-segment run;
  // in a segment of a split run the verifier supplies it (with the exit value) on the
  // boundary bus, from what the earlier segments left (docs/zkwasm.md "Continuations").
  const Expr mode = t.pub(L::kPubSegMode);
  Expr entry[4];
  for (uint32_t j = 0; j < 4; ++j) {
    entry[j] = t.main(M::kEntry + j);
    t.assert_zero((Fp::one() - mode) * entry[j]);
  }
  t.interact(L::kBusMemory, real, {key, z, entry[0], entry[1], entry[2], entry[3]});
  t.interact(L::kBusMemory, -real,
             {key, t.main(M::kFinalTs), t.main(M::kFinal), t.main(M::kFinal + 1),
              t.main(M::kFinal + 2), t.main(M::kFinal + 3)});
  t.interact(L::kBusBoundary, -(real * mode),
             {key, entry[0], entry[1], entry[2], entry[3], t.main(M::kFinal),
              t.main(M::kFinal + 1), t.main(M::kFinal + 2), t.main(M::kFinal + 3)});
  (void)t.finalize(3);
  return t;
}

TableAir init_table() {
  using I = L::Init;
  TableAir t("init", 1, I::kPreWidth);  // one unused main column
  // A split run's initial image comes from the verifier instead (continuations).
  const Expr on = t.pre(I::kIsInit) * (Fp::one() - t.pub(L::kPubSegMode));
  const Expr key = t.pre(I::kKey), z = t.constant(0);
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
  const Expr mult = t.main(A::kMult) * (Fp::one() - t.pub(L::kPubSegMode));  // as init
  const Expr key = t.pre(A::kIdx), z = t.constant(0);
  t.interact(L::kBusMemory, -mult, {key, z, z, z, z, z});
  t.interact(L::kBusMemory, mult,
             {key, t.constant(L::kInitTs), t.main(A::kValue), t.main(A::kValue + 1),
              t.main(A::kValue + 2), t.main(A::kValue + 3)});
  (void)t.finalize(3);
  return t;
}

TableAir range_table() {
  using R = L::Range;
  TableAir t("range", R::kWidth, R::kPreWidth);
  t.interact(L::kBusRange, -t.main(R::kRangeMult), {t.pre(R::kV)});
  t.interact(L::kBusAnd, -t.main(R::kAndMult), {t.pre(R::kX), t.pre(R::kY), t.pre(R::kAnd)});
  t.interact(L::kBusBytes, -t.main(R::kByteMult), {t.pre(R::kX), t.pre(R::kY)});
  (void)t.finalize(3);
  return t;
}

// A fixed table received on `bus` with one multiplicity column (main column 0): program,
// br_targets, slots.
TableAir lookup_table(const char* name, uint32_t bus, uint32_t width) {
  TableAir t(name, 1, width);
  std::vector<Expr> tuple;
  for (uint32_t i = 0; i < width; ++i) tuple.push_back(t.pre(i));
  t.interact(bus, -t.main(0), tuple);
  (void)t.finalize(3);
  return t;
}

// The br_targets table receives (2, index, pc, height, arity, target, 0, 5, 0) on the bus it
// shares with the slot table (layout.hpp, kBusSlots); its padding rows (all zero) carry tag 0.
TableAir br_targets_table() {
  using B = L::BrTargets;
  TableAir t("br_targets", 1, B::kPreWidth);
  const Expr valid = t.pre(B::kValid);
  t.interact(L::kBusSlots, -t.main(B::kMult),
             {valid * Fp::from_u32(2), t.pre(B::kIndex), t.pre(B::kPc), t.pre(B::kHeight),
              t.pre(B::kArity), t.pre(B::kTarget), t.constant(0),
              valid * Fp::from_u32(L::kTrapIndirectType), t.constant(0)});
  (void)t.finalize(3);
  return t;
}

air::MachineAir build_machine() {
  air::MachineAir m;
  m.name = "zkwasm-v1";
  m.num_publics = L::kNumPublics;
  m.tables.push_back(exec_table());
  m.tables.push_back(lookup_table("program", L::kBusProgram, L::Prog::kPreWidth));
  m.tables.push_back(memory_table());
  m.tables.push_back(init_table());
  m.tables.push_back(args_table());
  m.tables.push_back(range_table());
  m.tables.push_back(br_targets_table());
  m.tables.push_back(lookup_table("slots", L::kBusSlots, L::Slots::kPreWidth));
  m.tables.push_back(alu::chip_table());
  m.tables.push_back(alu::bitcount_table());
  m.tables.push_back(memory_access_table());
  m.tables.push_back(input_table());
  m.tables.push_back(alu::bitwise_table());
  m.tables.push_back(shift::shift_table());
  m.tables.push_back(shift::shift_bytes_table());
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

// The machine of runs that read the private input: the base tables, then the private input's
// (private_input.hpp).
const air::MachineAir& private_machine_air() {
  static const air::MachineAir m = [] {
    air::MachineAir pm = build_machine();
    priv::add_private_tables(pm);
    return pm;
  }();
  return m;
}

// The size of table `t` that call_indirect checks against (slot_table(m).of(t).size, without
// the rows).
static uint32_t slot_table_size(const wasm::Module& m, uint32_t t) {
  if (t >= m.tables.size() || (t == 0 && m.table_imported)) {
    return L::kUnknownTableSize;  // contents unknown here
  }
  const uint32_t size = m.tables[t].min;
  if (size > (1u << 20)) return L::kUnknownTableSize;  // above the runtime's limit
  for (const wasm::ElemSegment& seg : m.elems) {
    if (seg.table != t) continue;
    if (seg.offset.kind != wasm::ConstExpr::Kind::kConst) return L::kUnknownTableSize;
    if (uint64_t(uint32_t(seg.offset.value)) + seg.funcs.size() > size) {
      return L::kUnknownTableSize;  // the module does not instantiate
    }
  }
  return size;
}

uint32_t program_imm_a(const wasm::Module& m, const wasm::Instr& in) {
  if (in.op == Op::kCallIndirect) return uint32_t(in.b);  // the table
  if (in.op != Op::kCall || in.a < m.num_imported_funcs ||
      in.a - m.num_imported_funcs >= m.funcs.size()) {
    return in.a;
  }
  return m.funcs[in.a - m.num_imported_funcs].max_height;
}

uint64_t program_imm_b(const wasm::Module& m, const wasm::Instr& in) {
  // call_indirect: the expected canonical type (limbs 0-1) and the table size (limbs 2-3).
  if (in.op == Op::kCallIndirect) {
    return m.canonical_type[in.a] | (uint64_t(slot_table_size(m, uint32_t(in.b))) << 32);
  }
  // Loads and stores: the static offset as limbs (imm_a is a field element); memory.grow: the
  // page limit; memory ops: the memory id (Instr::b) in limb 2.
  if (mem_op_info(in.op).width) return in.a | (in.b << 32);
  if (in.op == Op::kMemorySize) return in.b << 32;
  // call_host: which host function (1 input_size, 2 input_read, 3 output_write, 4 abort, 0
  // other).
  if (in.op == Op::kCallHost) {
    uint32_t k = 0;
    for (const wasm::Import& im : m.imports) {
      if (im.kind != wasm::ExternKind::kFunc) continue;
      if (k++ != in.a) continue;
      if (im.module != "efaas") return 0;
      if (im.name == "input_size") return 1;
      if (im.name == "input_read") return 2;
      if (im.name == "output_write") return 3 | (uint64_t(!m.memories.empty()) << 16);  // memory?
      if (im.name == "abort") return L::kHostAbortFn;
      return 0;
    }
    return 0;
  }
  if (in.op == Op::kMemoryGrow) {
    if (in.b >= m.memories.size()) return 0;
    const wasm::Limits& lim = m.memories[in.b];
    return (lim.has_max ? std::min(lim.max, L::kMaxPages) : L::kMaxPages) | (in.b << 32);
  }
  if (in.op != Op::kCall || in.a < m.num_imported_funcs) return in.b;
  const wasm::Function& f = m.funcs[in.a - m.num_imported_funcs];
  const uint64_t params = m.func_type(in.a).params.size();
  const uint64_t declared = f.num_locals - params;
  return params | (declared << 16) | (uint64_t(f.entry_pc & 0xFFFF) << 32) |
         (uint64_t(f.entry_pc >> 16) << 48);
}

SlotTable slot_table(const wasm::Module& m) {
  SlotTable t;
  static_assert(L::kUnknownTableSize == 0xFFFFFFFFu);
  t.tables.resize(m.tables.size());
  for (uint32_t ti = 0; ti < m.tables.size(); ++ti) {
    const uint32_t size = slot_table_size(m, ti);
    if (size == L::kUnknownTableSize) continue;
    std::vector<int64_t> func(size, -1);
    for (const wasm::ElemSegment& seg : m.elems) {
      if (seg.table != ti) continue;
      const uint64_t off = uint32_t(seg.offset.value);
      for (size_t k = 0; k < seg.funcs.size(); ++k) func[off + k] = seg.funcs[k];
    }
    SlotTable::Part& part = t.tables[ti];
    part.size = size;
    part.row_of.assign(size, -1);
    for (uint32_t slot = 0; slot < size; ++slot) {
      const bool host = func[slot] >= 0 && uint32_t(func[slot]) < m.num_imported_funcs;
      part.row_of[slot] = int32_t(t.rows.size());
      t.rows.push_back({slot + (ti << 28), func[slot] < 0 ? 0 : uint32_t(func[slot]),
                        func[slot] < 0, host});
    }
  }
  return t;
}

// --- call_indirect of imported functions (host tails) ---------------------------------------
std::vector<uint32_t> host_slot_imports(const wasm::Module& m) {
  std::vector<uint32_t> out;
  for (const wasm::ElemSegment& seg : m.elems) {
    if (slot_table_size(m, seg.table) == L::kUnknownTableSize) continue;
    for (uint32_t f : seg.funcs)
      if (f < m.num_imported_funcs) out.push_back(f);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

static_assert(L::kHostPcBase == (1u << 27), "is_host_tail (air_internal.hpp)");

std::optional<HostTailInstr> host_tail_instr(const wasm::Module& m,
                                             const std::vector<uint32_t>& imports, uint32_t pc) {
  if (pc < L::kHostPcBase) return std::nullopt;
  const auto it = std::lower_bound(imports.begin(), imports.end(), pc - L::kHostPcBase);
  if (it == imports.end() || *it != pc - L::kHostPcBase) return std::nullopt;
  HostTailInstr h;
  h.row = m.code.size() + size_t(it - imports.begin());
  h.instr = wasm::Instr{Op::kCallHost, 0, *it, 0};
  // A direct call_host's immediates (which host function; output_write: a memory?), and
  // imm_b2 = 1: this row returns to the call_indirect's pc + 1, not to its own pc + 1.
  h.instr.b = program_imm_b(m, h.instr) | (uint64_t(1) << 32);
  return h;
}

std::optional<wasm::Trace> expand_host_calls(const wasm::Module& m, const wasm::Trace& trace) {
  const auto& steps = trace.steps;
  const size_t n = steps.size();
  // A call_indirect that traps itself (index, empty slot, type) calls nothing.
  auto calls_host = [&](size_t i) {
    const wasm::StepRecord& s = steps[i];
    if (s.op != uint16_t(Op::kCallIndirect) || s.aux >= m.num_imported_funcs) return false;
    if (i + 1 < n && is_host_tail(steps[i + 1])) return false;  // expanded already
    const uint32_t code = trace.end.trap_code;
    return !(trace.end.status != 0 && i + 1 == n &&
             (code == L::kTrapIndirectType || code == L::kTrapUndefinedElem ||
              code == L::kTrapUninitElem));
  };
  size_t count = 0;
  for (size_t i = 0; i < n; ++i) count += calls_host(i);
  if (count == 0) return std::nullopt;
  wasm::Trace out;
  out.header = trace.header;
  out.end = trace.end;
  out.steps.reserve(n + count);
  for (size_t i = 0; i < n; ++i) {
    out.steps.push_back(steps[i]);
    if (!calls_host(i)) continue;
    const wasm::StepRecord& s = steps[i];
    wasm::StepRecord tail{};
    tail.pc = L::kHostPcBase + s.aux;
    tail.op = uint16_t(Op::kCallHost);
    tail.depth = s.depth;
    tail.sp = s.sp - 1;
    tail.aux = s.aux;
    tail.r = s.r;
    out.steps.push_back(tail);
  }
  return out;
}

uint32_t table_log_rows(size_t rows) { return std::max<uint32_t>(kMinLogRows, log2_ceil(rows)); }

std::vector<std::vector<Fp>> fixed_columns(const wasm::Module& m) {
  std::vector<std::vector<Fp>> fixed(L::kNumTables);
  // Program: one row per compiled instruction.
  {
    using P = L::Prog;
    const std::vector<uint32_t> host_imports = host_slot_imports(m);
    const size_t rows = size_t(1) << table_log_rows(m.code.size() + host_imports.size());
    std::vector<Fp> col(P::kPreWidth * rows, Fp::zero());
    // Host tails (call_indirect of an import): one row per import a slot holds, at its host pc.
    for (uint32_t imp : host_imports) {
      const auto h = host_tail_instr(m, host_imports, L::kHostPcBase + imp);
      const size_t r = h->row;
      col[P::kValid * rows + r] = Fp::one();
      col[P::kPc * rows + r] = Fp::from_u32(L::kHostPcBase + imp);
      col[P::kOp * rows + r] = Fp::from_u32(uint32_t(h->instr.op));
      col[P::kGas * rows + r] = Fp::zero();
      col[P::kImmA * rows + r] = Fp::from_u32(h->instr.a);
      for (uint32_t j = 0; j < 4; ++j) {
        col[(P::kImmB + j) * rows + r] = Fp::from_u32(uint32_t(h->instr.b >> (16 * j)) & 0xFFFF);
      }
    }
    for (size_t pc = 0; pc < m.code.size(); ++pc) {
      wasm::Instr in = m.code[pc];
      const uint32_t imm_a = program_imm_a(m, in);
      in.b = program_imm_b(m, in);
      col[P::kValid * rows + pc] = Fp::one();
      col[P::kPc * rows + pc] = Fp::from_u64(pc);
      col[P::kOp * rows + pc] = Fp::from_u32(uint32_t(in.op));
      col[P::kGas * rows + pc] = Fp::from_u32(in.gas);
      col[P::kImmA * rows + pc] = Fp::from_u32(imm_a);
      for (uint32_t j = 0; j < 4; ++j) {
        col[(P::kImmB + j) * rows + pc] = Fp::from_u32(uint32_t(in.b >> (16 * j)) & 0xFFFF);
      }
    }
    fixed[L::kProgram] = std::move(col);
  }
  // Init: defined globals' initial values (imported globals: UNIMPLEMENTED at load).
  {
    using I = L::Init;
    // Then per memory its size cell and the data segments' words (memory_images()).
    auto images = memory_images(m);
    const size_t n = m.global_inits.size();
    size_t n_mem = 0;
    if (images) {
      for (const MemoryImage& img : *images) n_mem += 1 + img.words.size();
    }
    const size_t rows = size_t(1) << table_log_rows(n + n_mem);
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
    if (n_mem) {
      auto put = [&](size_t row, uint32_t key, uint64_t v) {
        col[I::kIsInit * rows + row] = Fp::one();
        col[I::kKey * rows + row] = Fp::from_u32(key);
        for (uint32_t j = 0; j < 4; ++j) {
          col[(I::kValue + j) * rows + row] = Fp::from_u32(uint32_t(v >> (16 * j)) & 0xFFFF);
        }
      };
      size_t row = n;
      for (uint32_t mi = 0; mi < images->size(); ++mi) {
        const MemoryImage& img = (*images)[mi];
        put(row++, L::mem_size_key(mi), img.pages);
        for (const auto& [word, v] : img.words) put(row++, L::word_key(word, mi), v);
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
  // Range: 0 .. 2^16 - 1, and the byte AND table on the same rows.
  {
    using R = L::Range;
    const size_t rows = size_t(1) << R::kLogRows;
    std::vector<Fp> col(R::kPreWidth * rows);
    for (size_t i = 0; i < rows; ++i) {
      col[R::kV * rows + i] = Fp::from_u64(i);
      col[R::kX * rows + i] = Fp::from_u64(i >> 8);
      col[R::kY * rows + i] = Fp::from_u64(i & 255);
      col[R::kAnd * rows + i] = Fp::from_u64((i >> 8) & (i & 255));
    }
    fixed[L::kRange] = std::move(col);
  }
  // br_table targets: rows in program order.
  {
    using B = L::BrTargets;
    size_t n = 0;
    for (const wasm::Instr& in : m.code)
      if (in.op == Op::kBrTable) n += in.b;
    const size_t rows = size_t(1) << table_log_rows(n);
    std::vector<Fp> col(B::kPreWidth * rows, Fp::zero());
    size_t row = 0;
    for (size_t pc = 0; pc < m.code.size(); ++pc) {
      const wasm::Instr& in = m.code[pc];
      if (in.op != Op::kBrTable) continue;
      for (uint64_t i = 0; i < in.b; ++i, ++row) {
        const wasm::BrTarget& bt = m.br_targets[in.a + i];
        col[B::kValid * rows + row] = Fp::one();
        col[B::kPc * rows + row] = Fp::from_u64(pc);
        col[B::kIndex * rows + row] = Fp::from_u64(i);
        col[B::kTarget * rows + row] = Fp::from_u32(bt.pc);
        col[B::kHeight * rows + row] = Fp::from_u32(bt.height);
        col[B::kArity * rows + row] = Fp::from_u32(bt.arity);
      }
    }
    fixed[L::kBrTargets] = std::move(col);
  }
  // Function table slots: (1, slot, function, params, declared locals, entry pc, canonical
  // type, trap code of a mismatched call, frame height), empty slots (1, slot, 0, 0, 0, 0,
  // kEmptyType, 7, 0).
  {
    using S = L::Slots;
    const SlotTable st = slot_table(m);
    const size_t rows = size_t(1) << table_log_rows(st.rows.size());
    std::vector<Fp> col(S::kPreWidth * rows, Fp::zero());
    for (size_t r = 0; r < st.rows.size(); ++r) {
      const SlotTable::Row& sr = st.rows[r];
      uint64_t v[S::kPreWidth] = {1, sr.slot, 0, 0, 0, 0, L::kEmptyType, L::kTrapUninitElem, 0};
      if (sr.host) {  // an import: host tag, entry at its host pc, no locals, no frame
        v[S::kValid] = L::kHostSlotTag;
        v[S::kFunc] = sr.func;
        v[S::kParams] = m.func_type(sr.func).params.size();
        v[S::kEntry] = L::kHostPcBase + sr.func;
        v[S::kType] = m.canonical_type[m.func_type_index[sr.func]];
        v[S::kCode] = L::kTrapIndirectType;
      } else if (!sr.empty) {
        const wasm::Function& f = m.funcs[sr.func - m.num_imported_funcs];
        const size_t params = m.func_type(sr.func).params.size();
        v[S::kFunc] = sr.func;
        v[S::kParams] = params;
        v[S::kDecl] = f.num_locals - params;
        v[S::kEntry] = f.entry_pc;
        v[S::kType] = m.canonical_type[f.type_index];
        v[S::kCode] = L::kTrapIndirectType;
        v[S::kHeight] = f.max_height;
      }
      for (uint32_t c = 0; c < S::kPreWidth; ++c) col[c * rows + r] = Fp::from_u64(v[c]);
    }
    fixed[L::kSlotTable] = std::move(col);
  }
  fixed[L::kBitCount] = alu::bitcount_fixed();
  fixed[L::kShiftBytes] = shift::shift_bytes_fixed();
  return fixed;
}

}  // namespace efaas::zkwasm
