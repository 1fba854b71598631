#pragma once
// Column layout of the zkWASM tables, shared by the AIR (air.cpp) and witness generation
// (witness.cpp). docs/zkwasm.md explains every column.
#include <array>
#include <cstdint>
#include <utility>

#include "prover/air/air.hpp"
#include "prover/wasm/opcodes.hpp"

namespace efaas::zkwasm::layout {

// LogUp buses.
inline constexpr uint32_t kBusProgram = 1;  // (1, pc, op, gas, imm_a, imm_b limbs)
inline constexpr uint32_t kBusMemory = 2;   // (key, timestamp, value limbs)
inline constexpr uint32_t kBusRange = 3;    // (v), v < 2^16
inline constexpr uint32_t kBusAnd = 4;      // (x, y, x AND y) over bytes
// Bus 5 (br_table targets) is unused: br_table and call_indirect rows never meet, so they share
// one lookup on bus 6 with a tag: call_indirect (1, table slot, func, params, declared locals,
// entry, type, trap code) into the slot table, br_table (2, index, pc, height, arity, target
// pc, 0, 5) into the br_targets table. Bus 7 (the old element bus) is unused since funcs and
// elems became one slot table.
inline constexpr uint32_t kBusSlots = 6;
inline constexpr uint32_t kBusAlu = 8;      // (op, unary, trap, a, b, r limbs): exec -> alu chip
inline constexpr uint32_t kBusBytes = 9;    // (x, y), both bytes (range table rows)
inline constexpr uint32_t kBusBitCount = 10;  // (kind, byte, clz/ctz/popcount, byte == 0)
// (step, op, store, size, base limbs 0-1, imm_b limbs 0-1, value limbs, host n, kind, index,
// memory id): exec -> mem_access
inline constexpr uint32_t kBusMemAccess = 11;
// Host I/O (docs/zkwasm.md, "Host I/O"): the verifier's public input tuples (kind, index, byte)
// and sizes (kind, kSizeIndex, size) into the input table; lookups into that table; output
// bytes (index, byte) that the verifier receives.
inline constexpr uint32_t kBusInputPub = 12;
inline constexpr uint32_t kBusInput = 13;
inline constexpr uint32_t kBusOutput = 14;
inline constexpr uint32_t kSizeIndex = 1u << 30;
// Continuations: (key, value at the segment's entry, value at its exit), 4 limbs each; the
// verifier sends one tuple per key the segment touches, the memory table receives it.
inline constexpr uint32_t kBusBoundary = 15;
// (dir, s, x, lo, hi, 256 >> s): shift table -> fixed byte-shift table (shift_table.hpp).
inline constexpr uint32_t kBusShiftBytes = 16;
// The private input (private_input.hpp): (element index, element) and (kSizeIndex, length)
// from the private table to the sponge table. Only in private_machine_air().
inline constexpr uint32_t kBusPrivate = 40;

// Memory keys: address spaces share one argument, key = space * 2^28 + address.
inline constexpr uint32_t kSpaceShift = 28;
inline constexpr uint32_t kStackSpace = 0;
inline constexpr uint32_t kGlobalSpace = 1;
inline constexpr uint32_t kFrameSpace = 2;  // address = call depth: (return pc, caller fp)
inline constexpr uint32_t global_key(uint32_t index) { return (kGlobalSpace << kSpaceShift) + index; }
// Linear memory: space 3, one key per 8-byte word (4 limbs); the memory size in pages is a cell
// in the globals space above every global index.
inline constexpr uint32_t kLinearSpace = 3;
inline constexpr uint32_t kMemSizeKey = (kGlobalSpace << kSpaceShift) + (1u << 27);
// Pages the AIR supports (the runtime's default limit, 256 MiB): bounds checks rely on it.
inline constexpr uint32_t kMaxPages = 4096;
// Several memories (a combined module of a link set, docs/zkwasm.md "Linked modules"): memory
// m's words at 3 * 2^28 + m * 2^25 + word (in-bounds words are below 2^25 with at most
// kMaxPages pages), its size cell at kMemSizeKey + m. The id is a program immediate (imm_b2).
inline constexpr uint32_t kMemShift = 25;
inline constexpr uint32_t kMaxMemories = 8;
static_assert(kMaxPages * 65536 / 8 <= (1u << kMemShift) && kMaxMemories << kMemShift == 1u << 28);
inline constexpr uint32_t word_key(uint32_t word, uint32_t mem = 0) {
  return (kLinearSpace << kSpaceShift) + (mem << kMemShift) + word;
}
inline constexpr uint32_t mem_size_key(uint32_t mem) { return kMemSizeKey + mem; }
// Execution accesses use timestamps 4 * step + slot (step >= 1); initial values of globals and
// arguments are written at timestamp 1 over the zero written at 0 by the memory table.
inline constexpr uint32_t kSlots = 3;
inline constexpr uint32_t kInitTs = 1;

// Public inputs.
inline constexpr uint32_t kPubHash = 0;          // 16 limbs of 16 bits (keccak256, LE bytes)
inline constexpr uint32_t kPubEntryPc = 16;
inline constexpr uint32_t kPubSp0 = 17;
inline constexpr uint32_t kPubGasUsed = 18;
inline constexpr uint32_t kPubInstructions = 19;
inline constexpr uint32_t kPubStatus = 20;
inline constexpr uint32_t kPubHasResult = 21;
inline constexpr uint32_t kPubResult = 22;       // 4 limbs
inline constexpr uint32_t kPubArgs = 26;         // per argument: present flag, 4 limbs
inline constexpr uint32_t kMaxArgs = 8;
inline constexpr uint32_t kPubTrapCode = kPubArgs + 5 * kMaxArgs;  // TrapCode when status 1
inline constexpr uint32_t kPubOutputLen = kPubTrapCode + 1;  // bytes of output_write
// Continuations (segments.cpp, docs/zkwasm.md "Continuations"): mode (0 one segment, 1 a
// segment of a split run), the segment's index, whether it is the last, its entry state beyond
// pc and sp (kPubEntryPc and kPubSp0 hold the segment's entry pc and sp) and its exit state.
inline constexpr uint32_t kPubSegMode = kPubOutputLen + 1;
inline constexpr uint32_t kPubSegIndex = kPubSegMode + 1;
inline constexpr uint32_t kPubSegLast = kPubSegMode + 2;
inline constexpr uint32_t kPubEntryFp = kPubSegMode + 3;
inline constexpr uint32_t kPubEntryDepth = kPubSegMode + 4;
inline constexpr uint32_t kPubEntryGas = kPubSegMode + 5;
inline constexpr uint32_t kPubEntryInst = kPubSegMode + 6;
inline constexpr uint32_t kPubExit = kPubSegMode + 7;  // pc, sp, fp, depth, gas, inst
// The output cursor (bytes written so far) at the segment's entry and exit (0 in mode 0).
inline constexpr uint32_t kPubEntryOut = kPubExit + 6, kPubExitOut = kPubEntryOut + 1;
// efaas.abort's code (its i32 argument, two 16-bit limbs) when the trap code is kTrapHostAbort;
// zero otherwise and in every segment but the last.
inline constexpr uint32_t kPubAbortCode = kPubExitOut + 1;
// Out of gas (trap code 10): the gas limit the run had (below kMaxGasLimit); 0 for every other
// exit. Every segment of a split run has it, only the last one's trap row binds it.
inline constexpr uint32_t kPubGasLimit = kPubAbortCode + 2;
// Continuations inside a host call's I/O rows (docs/zkwasm.md "Continuations"): the I/O
// cursor at the segment's entry (its first row is then an I/O row) and at its exit (its `end`
// row is an I/O row with bytes left): [cut inside I/O rows], [output_write's rows], address,
// input offset or output index, bytes left and input kind of the next I/O row; all zero at a
// boundary between instructions and in mode 0.
inline constexpr uint32_t kPubEntryIo = kPubGasLimit + 1;  // 6
inline constexpr uint32_t kPubExitIo = kPubEntryIo + 6;    // 6
// Continuations inside a call's zero-local rows: [cut there] and the key of the next local to
// zero, at the segment's entry (its first row is then a zero-local row) and exit (its `end`
// row is a zero-local row other than the last).
inline constexpr uint32_t kPubEntryZl = kPubExitIo + 6;  // 2
inline constexpr uint32_t kPubExitZl = kPubEntryZl + 2;  // 2
inline constexpr uint32_t kNumPublics = kPubExitZl + 2;

// Table order in the machine.
enum Table : uint32_t {
  kExec = 0, kProgram, kMemory, kInit, kArgs, kRange, kBrTargets, kSlotTable, kAlu, kBitCount,
  kMemAccess, kInput, kBitwise, kShift, kShiftBytes, kNumTables
};

// Opcodes with a flag column in the execution table.
// i32.mul, and/or/xor and extend8_s are ALU chip operations (alu_chip.hpp); the i64 versions of
// eqz, eq, ne and the comparisons share the i32 version's flag (kWideOps below); the eight
// comparisons share one flag, i32.lt_s's (kCmpOps below); the ops of each kOpGroups entry share
// the flag of its first op.
inline constexpr std::array<wasm::Op, 17> kFlagOps = {
    wasm::Op::kLocalGet, wasm::Op::kDrop,  wasm::Op::kSelect,   wasm::Op::kI32Add,
    wasm::Op::kI32Eqz,   wasm::Op::kI32Eq, wasm::Op::kI32Ne,    wasm::Op::kI32LtS,
    wasm::Op::kBr,       wasm::Op::kBrIf,  wasm::Op::kBrUnless, wasm::Op::kReturn,
    wasm::Op::kI32WrapI64, wasm::Op::kBrTable, wasm::Op::kCall, wasm::Op::kCallIndirect,
    wasm::Op::kCallHost};
inline constexpr uint32_t kNumFlags = uint32_t(kFlagOps.size());
// Opcode groups: ops whose constraints are linear under their flag share the flag of the
// group's first op; one-hot selectors in exec columns these ops leave unused (Exec::kGroupSel)
// say which op it is (the gate of op i is flag * selector i, degree 2), and kOpX holds the
// opcode's offset from the first op (pinned by the program bus).
inline constexpr uint32_t kMaxGroupOps = 6;
struct OpGroup {
  std::array<wasm::Op, kMaxGroupOps> ops;
  uint32_t size;
};
inline constexpr std::array<OpGroup, 4> kOpGroups = {{
    {{wasm::Op::kLocalGet, wasm::Op::kGlobalGet, wasm::Op::kI32Const, wasm::Op::kI64Const}, 4},
    {{wasm::Op::kDrop, wasm::Op::kLocalSet, wasm::Op::kLocalTee, wasm::Op::kGlobalSet}, 4},
    {{wasm::Op::kI32Add, wasm::Op::kI32Sub, wasm::Op::kI64Add, wasm::Op::kI64Sub}, 4},
    {{wasm::Op::kI32WrapI64, wasm::Op::kI64ExtendI32S, wasm::Op::kI64ExtendI32U,
      wasm::Op::kI32Extend16S, wasm::Op::kI64Extend16S, wasm::Op::kI64Extend32S}, 6},
}};
// The group of op and its position there (selector index), or {-1, -1}.
inline constexpr std::pair<int, int> group_of(wasm::Op op) {
  for (uint32_t g = 0; g < kOpGroups.size(); ++g)
    for (uint32_t i = 0; i < kOpGroups[g].size; ++i)
      if (kOpGroups[g].ops[i] == op) return {int(g), int(i)};
  return {-1, -1};
}
// The comparisons, in opcode order: lt_s + (1 - signed) + 2 [gt or ge] + 4 [le or ge]. They
// share i32.lt_s's flag; the opcode's offset from lt_s is in the execution table's kOpX column.
inline constexpr std::array<wasm::Op, 8> kCmpOps = {
    wasm::Op::kI32LtS, wasm::Op::kI32LtU, wasm::Op::kI32GtS, wasm::Op::kI32GtU,
    wasm::Op::kI32LeS, wasm::Op::kI32LeU, wasm::Op::kI32GeS, wasm::Op::kI32GeU};
static_assert(uint32_t(wasm::Op::kI32GeU) - uint32_t(wasm::Op::kI32LtS) == 7);
inline constexpr bool is_cmp32(wasm::Op op) {
  return uint32_t(op) >= uint32_t(wasm::Op::kI32LtS) && uint32_t(op) <= uint32_t(wasm::Op::kI32GeU);
}
// i64 eqz, eq, ne and comparisons: the flag of the i32 opcode kWideDelta below, with the
// execution table's `wide` bit set (opcode = i32 opcode + kWideDelta * wide).
inline constexpr std::array<wasm::Op, 11> kWideOps = {
    wasm::Op::kI64Eqz, wasm::Op::kI64Eq,  wasm::Op::kI64Ne,  wasm::Op::kI64LtS,
    wasm::Op::kI64LtU, wasm::Op::kI64GtS, wasm::Op::kI64GtU, wasm::Op::kI64LeS,
    wasm::Op::kI64LeU, wasm::Op::kI64GeS, wasm::Op::kI64GeU};
inline constexpr uint32_t kWideDelta = uint32_t(wasm::Op::kI64Eqz) - uint32_t(wasm::Op::kI32Eqz);
static_assert(kWideDelta == 11 &&
              uint32_t(wasm::Op::kI64GeU) - uint32_t(wasm::Op::kI32GeU) == kWideDelta &&
              uint32_t(wasm::Op::kI64GeU) - uint32_t(wasm::Op::kI64Eqz) == 10);
inline constexpr bool is_wide_op(wasm::Op op) {
  return uint32_t(op) >= uint32_t(wasm::Op::kI64Eqz) && uint32_t(op) <= uint32_t(wasm::Op::kI64GeU);
}
inline constexpr bool has_wide_twin(wasm::Op op) {
  return uint32_t(op) >= uint32_t(wasm::Op::kI32Eqz) && uint32_t(op) <= uint32_t(wasm::Op::kI32GeU);
}
inline constexpr int flag_index(wasm::Op op) {
  if (is_wide_op(op)) op = wasm::Op(uint32_t(op) - kWideDelta);
  if (is_cmp32(op)) op = wasm::Op::kI32LtS;
  if (const int g = group_of(op).first; g >= 0) op = kOpGroups[uint32_t(g)].ops[0];
  for (uint32_t i = 0; i < kNumFlags; ++i)
    if (kFlagOps[i] == op) return int(i);
  return -1;
}

// Execution table: one row per step record, then padding rows (real = 0).
struct Exec {
  static constexpr uint32_t kReal = 0, kPc = 1, kSp = 2, kFp = 3, kStep = 4, kGas = 5;
  static constexpr uint32_t kGasCost = 6, kImmA = 7, kImmB = 8;  // kImmB..+3
  static constexpr uint32_t kFlags = 12;                         // kNumFlags columns
  static constexpr uint32_t kA = kFlags + kNumFlags;             // 4 limbs each
  static constexpr uint32_t kB = kA + 4, kX = kB + 4, kR = kX + 4;
  // Columns shared by mutually exclusive opcode classes: the carries (add, sub, comparisons,
  // br_table) and the is-zero bits e_j (eq, ne, eqz, select, br_if, br_unless, return, calls)
  // are both booleans; the is-zero inverses hold br_table's clamped index, label height and
  // arity, and the I/O cursor's inverse (kSel, kBrH, kBrAr, kIoInv below).
  static constexpr uint32_t kC = kR + 4;       // 4 carries
  static constexpr uint32_t kE = kC;           // 4 is-zero bits
  static constexpr uint32_t kD = kC + 4;       // 4 difference limbs
  static constexpr uint32_t kSa = kD + 4, kSb = kSa + 1, kAh = kSb + 1, kBh = kAh + 1;
  static constexpr uint32_t kInv = kBh + 1;    // 4
  static constexpr uint32_t kZ01 = kInv + 4, kZ23 = kZ01 + 1, kZz = kZ23 + 1;  // e0 e1, e2 e3, both
  static constexpr uint32_t kT = kZz + 1, kMove = kT + 1;
  static constexpr uint32_t kNpc = kMove + 1, kNsp = kNpc + 1;
  // Per slot (the enable bits are expressions of the flags, air.cpp): key, previous timestamp,
  // gap limb and byte.
  static constexpr uint32_t kKey = kNsp + 1;
  static constexpr uint32_t kPts = kKey + kSlots;
  static constexpr uint32_t kDlo = kPts + kSlots;
  static constexpr uint32_t kDhi = kDlo + kSlots;
  // br_table's clamped index and call_indirect's index: the first entry of their shared
  // lookup (kBusSlots; inv3 is free on both).
  static constexpr uint32_t kSel = kInv + 3;
  // The looked-up callee's frame height (locals and deepest operand stack), the last entry of
  // that lookup (zero for br_table); a call_indirect that goes on bounds the value stack with it.
  static constexpr uint32_t kCHeight = kInv + 1;
  // Comparisons (one flag, kCmpOps): signed, [gt or le] (the result involves equality), [gt or
  // ge] (negated), the equality bit of d and its inverse helper, [gt or le] * equality, and
  // the sign bits sa, sb times signed. All in columns the comparisons leave unused.
  static constexpr uint32_t kCmpSg = kInv, kCmpP = kInv + 1, kCmpQ = kInv + 2;
  static constexpr uint32_t kCmpEq = kInv + 3, kCmpInv = kZ01, kCmpH = kZ23;
  static constexpr uint32_t kCmpSa = kZz, kCmpSb = kT;
  // Opcode groups (kOpGroups): the one-hot selectors, in the same unused columns.
  static constexpr uint32_t kGroupSel = kInv;  // kMaxGroupOps: inv0..3, z01, z23
  // Calls: depth, next fp, zero-local rows (flag, start, last), entry-level return, count of
  // instructions (zero-local rows are not instructions).
  static constexpr uint32_t kDepth = kDhi + kSlots, kNfp = kDepth + 1, kZflag = kNfp + 1;
  static constexpr uint32_t kZstart = kZflag + 1, kZlast = kZstart + 1, kTop = kZlast + 1;
  static constexpr uint32_t kInst = kTop + 1;
  // call_indirect: the callee from the table, its params, declared locals, entry, type.
  static constexpr uint32_t kCallee = kInst + 1, kCParams = kCallee + 1, kCDecl = kCParams + 1;
  static constexpr uint32_t kCEntry = kCDecl + 1, kCType = kCEntry + 1;
  // br_table's label height and arity, in call_indirect's params and declared-locals columns
  // (the tuple entries they share on kBusSlots).
  static constexpr uint32_t kBrH = kCParams, kBrAr = kCDecl;
  // ALU chip (alu_chip.hpp): a binary or unary (kAluUn) operation proved by the chip, a trap
  // row (div/rem by zero or overflow, checked by the chip; unreachable), and kOpX: the opcode
  // of chip and memory rows, the offset from i32.lt_s of comparison rows, zero elsewhere
  // (pinned by the program bus).
  static constexpr uint32_t kAluF = kCType + 1, kAluUn = kAluF + 1, kTrapF = kAluUn + 1;
  static constexpr uint32_t kUnreachF = kTrapF + 1, kOpX = kUnreachF + 1, kAluOp = kOpX;
  // Linear memory ops (loads, stores, memory.size/grow; kMemOps): one flag for all of them, the
  // opcode (kOpX), store / memory.size sub-flags; the mem_access table does the rest.
  static constexpr uint32_t kMem = kOpX + 1, kMemOp = kOpX, kMemSt = kMem + 1;
  static constexpr uint32_t kMemSz = kMemSt + 1;
  // Host calls: input_size / input_read / output_write selectors of a call_host row; I/O rows
  // (one per 8 bytes moved, kMem set, not instructions): the flag, output (host_read) rows,
  // the first row of an input_read; the running output length.
  static constexpr uint32_t kHsz = kMemSz + 1, kHrd = kHsz + 1, kHwr = kHrd + 1;
  static constexpr uint32_t kIo = kHwr + 1, kIoOut = kIo + 1, kIoFirst = kIoOut + 1;
  static constexpr uint32_t kOut = kIoFirst + 1;
  static constexpr uint32_t kEnd = kOut + 1;  // the last row of a segment that is not the last
  static constexpr uint32_t kWide = kEnd + 1;  // an i64 op of kWideOps (flag of its i32 twin)
  // Trap rows (docs/zkwasm.md, "Traps"): an out-of-bounds load or store (a kMem row whose
  // mem_access row proves ea + width > pages * 2^16); a call_indirect that traps (not a flag of
  // kFlagOps: one-hot like unreachable), and among those the index-out-of-table ones (in the
  // branch-taken column, which only branch and comparison rows use otherwise).
  // Call stack exhaustion at a direct call: an unreachable trap row whose kOpX holds
  // call - unreachable (so its opcode is call; air.cpp), at depth kMaxCallDepth.
  static constexpr uint32_t kMemTrap = kWide + 1, kCiTrap = kMemTrap + 1, kCiOor = kT;
  static constexpr uint32_t kWidth = kCiTrap + 1;
  // The I/O cursor shares columns that only call_indirect / br_table rows use otherwise:
  // address, input offset or output index, bytes left, input kind, bytes of this row, and the
  // inverse of the bytes left after this row ([more I/O rows follow]).
  static constexpr uint32_t kIoAddr = kCallee, kIoIdx = kCParams, kIoRem = kCDecl;
  static constexpr uint32_t kIoKind = kCEntry, kIoN = kCType, kIoInv = kInv;
  // efaas.abort: a call_host row with this bit (a carry column, which host calls leave unused;
  // counted as call_host * bit) is a trap row that reads the abort code at sp - 1.
  static constexpr uint32_t kHab = kC;
  // output_write of 0 bytes (no I/O rows): [len = 0], [src mod 2^16 != 0] and its inverse, in
  // is-zero inverse columns that host calls leave unused.
  static constexpr uint32_t kWz = kInv + 1, kWnz = kInv + 2, kWnzInv = kInv + 3;
  // input_read that copies fewer than len bytes (docs/zkwasm.md, "Host I/O"), one bit of three
  // in is-zero inverse columns host reads leave unused: a short copy of count > 0 bytes
  // (offset + count = size), nothing copied with the offset (read in slot 1 instead of dst)
  // at or beyond the size and below 2^28, or from 2^28.
  static constexpr uint32_t kRdShort = kInv + 1, kRdNone = kInv + 2, kRdFar = kInv + 3;
  // Host error (trap code 12) of input_size / input_read: an unknown input kind (>= 5). A
  // call_host row with this bit (a carry column; counted as call_host * bit, a host selector),
  // carry 1 says input_read, carry 2 is the borrow of kind - 5.
  static constexpr uint32_t kHerr = kC + 3, kHerrRd = kC + 1, kHerrBw = kC + 2;
  // Host error of output_write: out + len beyond kMaxOutputBytes, with len from 17 * 2^16
  // (far) or by a range-checked difference (near); bits in is-zero columns host calls leave
  // unused (counted as call_host * bit, host selectors).
  static constexpr uint32_t kHerrOutFar = kZ01, kHerrOutNear = kZ23;
  // Call stack exhaustion at a call_indirect: an unreachable-class trap row with this bit (a
  // carry column) and kOpX = call_indirect - unreachable; it reads and looks up its slot like
  // a call_indirect that goes on.
  static constexpr uint32_t kCiStack = kC + 2;
  // "value stack limit reached" at a direct call (code 8 too): the call-stack trap row with
  // this bit (a carry column) shows nfp + frame height > kMaxStackSlots instead of the depth.
  static constexpr uint32_t kVStack = kC + 3;
  // The same at a call_indirect: a cistrap row with this bit (a carry column) shows it with the
  // looked-up callee's params and height.
  static constexpr uint32_t kVStackCi = kC + 1;
  // call_indirect of an imported (host) function (docs/zkwasm.md, "Host I/O"): this bit (an
  // is-zero inverse that call_indirect rows leave unused) on a call_indirect row, or on its
  // trap row, looks the slot up with the host tag; the row pops the index and hands over to
  // a call_host row at the import's host pc, which returns to pc + 1.
  static constexpr uint32_t kHostCi = kInv + 2;
  // Out of gas (trap code 10): an unreachable-class trap row with this bit (carry 0's column,
  // which unreachable-class rows leave unused) for the instruction that is not run: kOpX holds
  // its opcode's offset from unreachable and so does kGasOpX (a[0]: slot 2 is off on these
  // rows), which exempts the row from the kOpX check of unreachable rows; d0 holds
  // gas + cost - limit - 1 (range-checked).
  static constexpr uint32_t kGasTrap = kC, kGasOpX = kA;
  // Out-of-bounds host I/O (trap 2 inside the host function; docs/zkwasm.md "Traps", hoob).
  // input_read: the call row is an ordinary input_read row (count, short bits, size lookup)
  // with this bit (a carry column input_read rows leave unused; counted as hrd * bit); its
  // next row is the trap's tail: an I/O row (kIo, kIoFirst: it reads the offset) with the
  // tail bit (carry 0's column, counted as io * bit) that moves nothing, reads the page count
  // in slot 1 (x0) and ends the run. The call row's transitions show offset + count <= size
  // (d0 + 2^13 ah' on the tail), dst + count - 1 >= pages * 2^16 (dst0 + count - 1 = r0 + 2^16
  // r1 with r2 = 8 r1, dst1 + r1 - pages = d1 + bh'), and the byte gas ceil(count / 8) =
  // d2 + 2^13 count1 as the tail's gas cost (8 d2 - count0 = c1 + 2 c2 + 4 c3); ah' = ah -
  // 2^15 sa and bh' = bh - 2^15 sb are the 15-bit halves of the sign-bit lookups.
  static constexpr uint32_t kRdOob = kC + 1, kRdOobTail = kC;
  // output_write: one call_host trap row (a host selector, counted as call_host * bit) that
  // reads len (slot 0), src (slot 1) and the page count (slot 2, kept), shows out + len <=
  // kMaxOutput (2^20 - out - len = d0 + 2^13 ah', d3 = 16 len_hi) and src + len - 1 >= pages *
  // 2^16: near, d1 + 2^14 bh'; far, src_hi - 4097 = d1 (src beyond every memory). Byte gas
  // ceil(len / 8) = d2 + 2^13 len_hi added to the public gas (8 d2 - len0 = c1 + 2 c2 + 4 sa).
  // The bits sit in the branch-taken and is-zero columns, which host calls leave unused.
  // Out of gas inside input_read / output_write (public trap code 10 on these rows, the near
  // bit for output_write): the memory check is off and d1 + 2^14 bh' holds gas + cost + byte
  // gas - limit - 1 instead (input_read: on the tail, whose gas cost is the byte gas); the
  // byte gas is then not in the public gas.
  static constexpr uint32_t kWrOobNear = kT, kWrOobFar = kZz;
};

// Program table (fixed): one row per compiled instruction.
struct Prog {
  static constexpr uint32_t kValid = 0, kPc = 1, kOp = 2, kGas = 3, kImmA = 4, kImmB = 5;
  static constexpr uint32_t kPreWidth = 9;
  static constexpr uint32_t kMult = 0, kWidth = 1;  // main
};

// Memory table: one row per key, sorted by key; writes 0 at timestamp 0, takes the final value.
struct Mem {
  static constexpr uint32_t kReal = 0, kKey = 1, kFinalTs = 2, kFinal = 3;  // 4 limbs
  static constexpr uint32_t kDlo = 7, kDhi = 8;
  static constexpr uint32_t kKeyLo = 9, kKeyHi = 10;  // key < 2^30
  static constexpr uint32_t kEntry = 11, kWidth = 15;   // value at the segment's entry (4 limbs)
};

// Initial values (fixed): globals' initializers.
struct Init {
  static constexpr uint32_t kIsInit = 0, kKey = 1, kValue = 2, kPreWidth = 6;
};

// Arguments: row i holds argument i (public), one-hot fixed selectors.
struct Args {
  static constexpr uint32_t kRows = kMaxArgs;
  static constexpr uint32_t kIdx = 0, kSel = 1, kPreWidth = 1 + kMaxArgs;
  static constexpr uint32_t kMult = 0, kValue = 1, kWidth = 5;
};

// br_table targets (fixed): one row per (br_table pc, index), the last index the default.
struct BrTargets {
  static constexpr uint32_t kValid = 0, kPc = 1, kIndex = 2, kTarget = 3, kHeight = 4, kArity = 5;
  static constexpr uint32_t kPreWidth = 6, kMult = 0, kWidth = 1;
};

// The module's function table after its element segments (fixed), one row per slot: valid,
// slot, function, params, declared locals, entry pc, canonical type, the trap code of a call
// through it with another type (kTrapIndirectType; kTrapUninitElem for an empty slot, whose
// type is kEmptyType), and the function's frame height (Function::max_height; 0 when empty).
// Slots holding imported functions have no row (not provable).
struct Slots {
  static constexpr uint32_t kValid = 0, kSlot = 1, kFunc = 2, kParams = 3, kDecl = 4, kEntry = 5;
  static constexpr uint32_t kType = 6, kCode = 7, kHeight = 8;
  static constexpr uint32_t kPreWidth = 9, kMult = 0, kWidth = 1;
};
// An empty slot's type: above every canonical type id, so no call_indirect expects it.
inline constexpr uint32_t kEmptyType = 1u << 30;
// The table size call_indirect checks against when the table's contents are unknown here
// (imported tables): no index of a wasm32 table reaches it, and no slot has a row.
inline constexpr uint32_t kUnknownTableSize = 0xFFFFFFFFu;
// Tables of a combined module (several only in a link set): slot + 2^28 * table in the slot
// table's lookup; with at most 7 tables, idx + 2^28 t (idx < 2^28) and slot + 2^28 t' (slot <
// 2^20) never agree modulo p for t != t'.
inline constexpr uint32_t kMaxTables = 7;
// Slots holding an imported function carry this tag (first tuple entry) instead of 1: only a
// call_indirect row with the kHostCi bit reaches them, and it never reaches a defined function.
inline constexpr uint32_t kHostSlotTag = 3;
// The host pc of import k: kHostPcBase + k, a program row (call_host of import k, gas 0, imm_b2
// = 1) beyond every instruction (code < 2^26), reached only from a kHostCi call_indirect row.
inline constexpr uint32_t kHostPcBase = 1u << 27;
// Trap codes (wasm::TrapCode) the trap rows prove besides the ALU chip's (alu_chip.hpp).
inline constexpr uint32_t kTrapMemOob = 2, kTrapIndirectType = 5, kTrapUndefinedElem = 6;
inline constexpr uint32_t kTrapUninitElem = 7;
inline constexpr uint32_t kTrapHostAbort = 11;  // efaas.abort (a call_host trap row)
inline constexpr uint32_t kTrapCallStack = 8;   // call stack exhausted (a call trap row)
inline constexpr uint32_t kTrapHostError = 12;  // wasm::TrapCode::kHostError (unknown input kind)
// Out of gas (wasm::TrapCode::kOutOfGas) before an instruction: its trap row shows
// gas used + cost > limit. The claimed limit stays below kMaxGasLimit (the claimed gas used is
// below 2^30 and a cost below 2^16), so gas + cost - limit - 1 of a cost that fits is above
// p - 2^30 - 1, out of reach of the range checks (2^30, not 2^31: p < 2^31, so a limit in
// [p, 2^31) would wrap that difference into range; out of gas inside a host function adds
// its byte gas, below 2^25, to the same bound).
inline constexpr uint32_t kTrapOutOfGas = 10;
inline constexpr uint64_t kMaxGasLimit = uint64_t(1) << 30;
// Input kinds the runtime knows (wasm::kInputKinds: 0..3 public, 4 private); a host call with
// a larger kind fails with a host error.
inline constexpr uint32_t kInputKinds = 5;
// The output limit (ExtensionConfig::max_output_bytes' default, the verifier's kMaxOutputBytes):
// output_write beyond it is a host error; traces recorded under other limits are refused.
inline constexpr uint32_t kMaxOutput = 1u << 20;
// The runtime's call depth limit (wasm::RuntimeLimits{}.max_call_depth), a constant of the
// universal AIR: traces recorded under other limits are refused.
inline constexpr uint32_t kMaxCallDepth = 16384;
// The runtime's value stack limit (RuntimeLimits{}.max_stack_slots), checked at direct calls.
inline constexpr uint32_t kMaxStackSlots = 1u << 20;
// The program row's imm_b of a call_host of efaas.abort (1..3: input_size, input_read,
// output_write; 0: other imports, not provable).
inline constexpr uint32_t kHostAbortFn = 4;
// Every trap a trap row proves: unreachable (1) through uninitialized element (7; out of bounds
// at loads, stores, input_read and output_write, kRdOob / kWrOobNear above), call stack
// exhaustion at a call or call_indirect (8), efaas.abort (11), the host error of an unknown
// input kind (12) and out of gas (10) before an instruction or inside input_read / output_write
// (kRdOob / kWrOobNear rows with code 10); value stack exhaustion is not provable.
inline constexpr bool is_provable_trap(uint32_t code) {
  return (code >= 1 && code <= kTrapCallStack) || code == kTrapHostAbort ||
         code == kTrapHostError || code == kTrapOutOfGas;
}

// Range and byte tables in one: row v holds v, x = v >> 8, y = v & 255, x AND y.
struct Range {
  static constexpr uint32_t kLogRows = 16;
  static constexpr uint32_t kV = 0, kX = 1, kY = 2, kAnd = 3, kPreWidth = 4;
  static constexpr uint32_t kRangeMult = 0, kAndMult = 1, kByteMult = 2, kWidth = 3;
};

// Opcodes the mem_access table proves (exec rows carry the kMem flag).
inline constexpr std::array<wasm::Op, 21> kMemOps = {
    wasm::Op::kI32Load,    wasm::Op::kI64Load,    wasm::Op::kI32Load8S,  wasm::Op::kI32Load8U,
    wasm::Op::kI32Load16S, wasm::Op::kI32Load16U, wasm::Op::kI64Load8S,  wasm::Op::kI64Load8U,
    wasm::Op::kI64Load16S, wasm::Op::kI64Load16U, wasm::Op::kI64Load32S, wasm::Op::kI64Load32U,
    wasm::Op::kI32Store,   wasm::Op::kI64Store,   wasm::Op::kI32Store8,  wasm::Op::kI32Store16,
    wasm::Op::kI64Store8,  wasm::Op::kI64Store16, wasm::Op::kI64Store32, wasm::Op::kMemorySize,
    wasm::Op::kMemoryGrow};
inline constexpr uint32_t kNumMemOps = uint32_t(kMemOps.size());
inline constexpr int mem_op_index(wasm::Op op) {
  for (uint32_t i = 0; i < kNumMemOps; ++i)
    if (kMemOps[i] == op) return int(i);
  return -1;
}

// Memory-access chip: one row per linear-memory op (memory_chip.cpp, docs/zkwasm.md). An
// access at ea = base + offset = 8 w + o touches word w and, when o + width > 8, word w + 1;
// `win` holds the 16 bytes of both words, `nwa`/`nwb` the words' new limbs.
struct MemAccess {
  static constexpr uint32_t kReal = 0, kStep = 1, kBase = 2, kImm = 4, kVal = 6;  // 2, 2, 4
  static constexpr uint32_t kFlags = 10;                          // kNumMemOps one-hot
  static constexpr uint32_t kWf = kFlags + kNumMemOps;            // width 1..8 one-hot
  static constexpr uint32_t kOh = kWf + 8;                        // o = ea mod 8 one-hot
  static constexpr uint32_t kE1 = kOh + 8;                        // base1 + imm1 (< 2^14)
  static constexpr uint32_t kW0 = kE1 + 1, kW1 = kW0 + 1;         // word index limbs
  static constexpr uint32_t kS0 = kW1 + 1, kS1 = kS0 + 1;         // bounds slack limbs
  static constexpr uint32_t kTw = kS1 + 1;                        // two words touched
  static constexpr uint32_t kWin = kTw + 1;                       // 16 old bytes
  static constexpr uint32_t kNwa = kWin + 16, kNwb = kNwa + 4;    // new limbs of w, w + 1
  static constexpr uint32_t kVb = kNwb + 4;                       // 8 bytes of the value
  static constexpr uint32_t kWinAnd = kVb + 8, kVbAnd = kWinAnd + 8;  // byte-pair ANDs
  static constexpr uint32_t kSign = kVbAnd + 4, kTop = kSign + 1;  // sign bit, its byte
  // memory.grow: success, [delta hi = 0] and its inverse helper, failure-with-small-delta,
  // difference to the limit; old and new size in pages.
  static constexpr uint32_t kGrowOk = kTop + 1, kGrowE = kGrowOk + 1, kGrowInv = kGrowE + 1;
  static constexpr uint32_t kGrowH = kGrowInv + 1, kGrowD = kGrowH + 1;
  static constexpr uint32_t kPages = kGrowD + 1, kNewPages = kPages + 1;
  static constexpr uint32_t kSlots = 3;  // size cell, word w, word w + 1
  static constexpr uint32_t kPts = kNewPages + 1, kDlo = kPts + kSlots, kDhi = kDlo + kSlots;
  // Host I/O rows: host_read (output) and host_write (input) of 1..8 bytes, one flag per
  // (kind, width); the input kind and the input offset / output index of byte 0.
  static constexpr uint32_t kHostRd = kDhi + kSlots, kHostWr = kHostRd + 8;
  static constexpr uint32_t kKind = kHostWr + 8, kIdx = kKind + 1;
  // An out-of-bounds load or store (the trap row's access): w0, w1 then hold
  // base0 + imm0 + width - 1 as limbs and s0, s1 the excess of (w1 + base1 + imm1) over pages.
  static constexpr uint32_t kOob = kIdx + 1;
  // The memory id (the program's imm_b2 as the exec row sends it; 0 on host I/O rows).
  static constexpr uint32_t kMid = kOob + 1;
  static constexpr uint32_t kWidth = kMid + 1;
};

// Public input table: one row per public input byte and per input size (kinds 0..3).
struct Input {
  static constexpr uint32_t kReal = 0, kKind = 1, kIdx = 2, kByte = 3, kMult = 4, kWidth = 5;
};

}  // namespace efaas::zkwasm::layout
