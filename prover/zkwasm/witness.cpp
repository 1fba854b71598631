// Witness generation from the runtime's step records. Nothing is re-executed: every value in
// the execution table comes from a record (or, for values a record does not carry such as a
// branch's moved value, from the memory state the earlier records wrote). With check_trace the
// records are also checked against the module and the semantics of each opcode, so a bad trace
// fails here naming its first bad step; without it the forged witness goes to the prover and
// the verifier must reject it.
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "prover/common/thread_pool.hpp"
#include "prover/common/timer.hpp"
#include "prover/wasm/instance.hpp"
#include "prover/zkwasm/air_internal.hpp"
#include "prover/zkwasm/alu_chip.hpp"
#include "prover/zkwasm/columns.hpp"
#include "prover/zkwasm/io.hpp"
#include "prover/zkwasm/layout.hpp"
#include "prover/zkwasm/memory_chip.hpp"
#include "prover/zkwasm/private_input.hpp"
#include "prover/zkwasm/segments_internal.hpp"

namespace efaas::zkwasm {

static_assert(layout::kMaxCallDepth == wasm::RuntimeLimits{}.max_call_depth,
              "the AIR's call depth limit is the runtime's default");
static_assert(layout::kMaxStackSlots == wasm::RuntimeLimits{}.max_stack_slots,
              "the AIR's value stack limit is the runtime's default");

using wasm::Op;
namespace L = layout;
using E = L::Exec;

namespace {

uint32_t limb(uint64_t v, uint32_t j) { return uint32_t(v >> (16 * j)) & 0xFFFF; }

using Cell = MemCell;

// The expected result of a value-producing opcode on operands a, b.
uint64_t expected_result(Op op, uint64_t a, uint64_t b) {
  const uint32_t a32 = uint32_t(a), b32 = uint32_t(b);
  const int32_t sa = int32_t(a32), sb = int32_t(b32);
  const int64_t la = int64_t(a), lb = int64_t(b);
  switch (op) {
    case Op::kI32Add: return uint32_t(a32 + b32);
    case Op::kI32Sub: return uint32_t(a32 - b32);
    case Op::kI32Mul: return uint32_t(a32 * b32);
    case Op::kI32Eqz: return a32 == 0;
    case Op::kI32Eq: return a32 == b32;
    case Op::kI32Ne: return a32 != b32;
    case Op::kI32LtS: return sa < sb;
    case Op::kI32LtU: return a32 < b32;
    case Op::kI32GtS: return sa > sb;
    case Op::kI32GtU: return a32 > b32;
    case Op::kI32LeS: return sa <= sb;
    case Op::kI32LeU: return a32 <= b32;
    case Op::kI32GeS: return sa >= sb;
    case Op::kI32GeU: return a32 >= b32;
    case Op::kI32And: return a32 & b32;
    case Op::kI32Or: return a32 | b32;
    case Op::kI32Xor: return a32 ^ b32;
    case Op::kI64Add: return a + b;
    case Op::kI64Sub: return a - b;
    case Op::kI64Eqz: return a == 0;
    case Op::kI64Eq: return a == b;
    case Op::kI64Ne: return a != b;
    case Op::kI64LtS: return la < lb;
    case Op::kI64LtU: return a < b;
    case Op::kI64GtS: return la > lb;
    case Op::kI64GtU: return a > b;
    case Op::kI64LeS: return la <= lb;
    case Op::kI64LeU: return a <= b;
    case Op::kI64GeS: return la >= lb;
    case Op::kI64GeU: return a >= b;
    case Op::kI64And: return a & b;
    case Op::kI64Or: return a | b;
    case Op::kI64Xor: return a ^ b;
    case Op::kI32WrapI64: return a32;
    case Op::kI64ExtendI32S: return uint64_t(int64_t(sa));
    case Op::kI64ExtendI32U: return a32;
    case Op::kI32Extend16S: return uint32_t(int32_t(int16_t(a32)));
    case Op::kI64Extend16S: return uint64_t(int64_t(int16_t(a32)));
    case Op::kI64Extend32S: return uint64_t(int64_t(int32_t(a32)));
    case Op::kI32Extend8S: return uint32_t(int32_t(int8_t(a32)));
    case Op::kI64Extend8S: return uint64_t(int64_t(int8_t(a32)));
    default: return alu::eval(op, a, b);
  }
}

bool is_binary(Op op) {
  switch (op) {
    case Op::kI32Add: case Op::kI32Sub: case Op::kI32Mul: case Op::kI32Eq: case Op::kI32Ne:
    case Op::kI32LtS:
    case Op::kI32LtU: case Op::kI32GtS: case Op::kI32GtU: case Op::kI32LeS: case Op::kI32LeU:
    case Op::kI32GeS: case Op::kI32GeU: case Op::kI64Add: case Op::kI64Sub: case Op::kI64Eq:
    case Op::kI64Ne: case Op::kI64LtS: case Op::kI64LtU: case Op::kI64GtS: case Op::kI64GtU:
    case Op::kI64LeS: case Op::kI64LeU: case Op::kI64GeS: case Op::kI64GeU: case Op::kI32And:
    case Op::kI32Or: case Op::kI32Xor: case Op::kI64And: case Op::kI64Or: case Op::kI64Xor:
      return true;
    default:
      return alu::is_alu(op) && !alu::is_unary(op);
  }
}

bool is_unary(Op op) {
  switch (op) {
    case Op::kI32Eqz: case Op::kI64Eqz: case Op::kI32WrapI64: case Op::kI64ExtendI32S:
    case Op::kI64ExtendI32U: case Op::kI32Extend16S: case Op::kI64Extend16S:
    case Op::kI64Extend32S: case Op::kI32Extend8S: case Op::kI64Extend8S:
      return true;
    default:
      return alu::is_unary(op);
  }
}

bool is_io(const wasm::StepRecord& s) {
  return s.op == uint16_t(Op::kHostRead) || s.op == uint16_t(Op::kHostWrite);
}

class ExecBuilder {
 public:
  ExecBuilder(size_t rows, ThreadPool& pool)
      : rows_(rows), cols_(zeroed_columns(size_t(E::kWidth) * rows, pool)) {}
  void set(uint32_t col, size_t row, Fp v) { cols_[size_t(col) * rows_ + row] = v; }
  void set(uint32_t col, size_t row, uint64_t v) { set(col, row, Fp::from_u64(v)); }
  // A real row that keeps the machine state (I/O rows, zero-local rows, the out-of-gas row):
  // pc = npc, sp = nsp, fp = nfp, with the depth, step, instruction count, gas and output.
  void set_still_state(size_t row, uint64_t pc, uint64_t sp, uint64_t fp, uint64_t depth,
                       uint64_t inst, uint64_t gas, uint64_t out) {
    set(E::kReal, row, uint64_t(1));
    set(E::kPc, row, pc);
    set(E::kNpc, row, pc);
    set(E::kSp, row, sp);
    set(E::kNsp, row, sp);
    set(E::kFp, row, fp);
    set(E::kNfp, row, fp);
    set(E::kDepth, row, depth);
    set(E::kStep, row, uint64_t(row + 1));
    set(E::kInst, row, inst);
    set(E::kGas, row, gas);
    set(E::kOut, row, out);
  }
  void set_limbs(uint32_t col, size_t row, uint64_t v) {
    for (uint32_t j = 0; j < 4; ++j) set(col + j, row, uint64_t(limb(v, j)));
  }
  std::vector<Fp> take() { return std::move(cols_); }

 private:
  size_t rows_;
  std::vector<Fp> cols_;
};

// Wall time of each witness part on stderr when EFAAS_WITNESS_TIMINGS is set (profiling aid).
class PartTimer {
 public:
  PartTimer() : on_(std::getenv("EFAAS_WITNESS_TIMINGS") != nullptr), cpu_(process_cpu_seconds()) {}
  void mark(const char* part) {
    if (!on_) return;
    const double cpu = process_cpu_seconds();
    std::fprintf(stderr, "witness %-26s %.3f s wall %.3f s process CPU\n", part, sw_.seconds(),
                 cpu - cpu_);
    sw_.reset();
    cpu_ = cpu;
  }

 private:
  bool on_;
  Stopwatch sw_;
  double cpu_;
};

std::string step_name(size_t i, const wasm::StepRecord& s) {
  const std::string op = s.op < wasm::kOpCount ? std::string(wasm::op_info(Op(s.op)).name)
                                              : "opcode " + std::to_string(s.op);
  return "step " + std::to_string(i) + " (pc " + std::to_string(s.pc) + ", " + op + ")";
}

}  // namespace

Result<MachineWitness> build_witness(const Program& program, const wasm::Trace& trace,
                                     const WitnessOptions& opts, PublicValues& pv) {
  if (auto expanded = expand_host_calls(program.module(), trace)) {  // air_internal.hpp
    return build_segment_witness(program, *expanded, opts, nullptr, pv, nullptr);
  }
  return build_segment_witness(program, trace, opts, nullptr, pv, nullptr);
}

uint32_t host_io_oob_at_end(const wasm::Module& m, const wasm::StepRecord& s,
                            const wasm::TraceEnd& end) {
  if (end.status == 0 || end.trap_code != L::kTrapMemOob) return 0;
  if (s.op != uint16_t(Op::kCallHost)) return 0;
  uint32_t hf = 0;
  if (is_host_tail(s)) {  // reached through call_indirect: the host tail's program row
    const auto ht = host_tail_instr(m, host_slot_imports(m), s.pc);
    if (!ht) return 0;
    hf = uint32_t(ht->instr.b & 0xFFFF);
  } else {
    if (s.pc >= m.code.size() || m.code[s.pc].op != Op::kCallHost) return 0;
    hf = uint32_t(program_imm_b(m, m.code[s.pc]) & 0xFFFF);
  }
  return hf == 2 || hf == 3 ? hf : 0;  // input_read, output_write
}

Result<MachineWitness> build_segment_witness(const Program& program, const wasm::Trace& trace,
                                             const WitnessOptions& opts, const SegmentSpec* seg,
                                             PublicValues& pv, SegmentOutput* out) {
  return build_segment_witness(program, whole_trace(trace), opts, seg, pv, out);
}

// `trace.steps` is indexed by the record's index in the run: a window of a streamed trace
// (segments.cpp) or the whole trace.
Result<MachineWitness> build_segment_witness(const Program& program, const TraceView& trace,
                                             const WitnessOptions& opts, const SegmentSpec* seg,
                                             PublicValues& pv, SegmentOutput* out) {
  const wasm::Module& m = program.module();
  const auto& steps = trace.steps;
  PartTimer timer;
  // Traps the AIR proves (the last step): unreachable, out-of-bounds memory, division traps,
  // call_indirect's (undefined or uninitialized element, type mismatch).
  const bool trapped = trace.end.status != 0;
  // Out of gas before an instruction: every record ran, and a trap row for the instruction that
  // is not run follows them (no record is a trap row; docs/zkwasm.md "Traps").
  const bool gas_trap = trapped && trace.end.trap_code == L::kTrapOutOfGas;
  if (trapped && !L::is_provable_trap(trace.end.trap_code)) {
    return unimplemented("zkwasm: proving a trapped execution (trap code " +
                         std::to_string(trace.end.trap_code) + ") is not implemented yet");
  }
  if (steps.empty() && !gas_trap) return invalid_argument("zkwasm: the trace has no steps");
  // (A segment inside one call's zero-local rows holds no record of its own.)
  if (seg != nullptr && (seg->first > seg->end || seg->end > steps.size() ||
                         (seg->first == seg->end && !seg->entry.zl.active))) {
    return invalid_argument("zkwasm: segment steps [" + std::to_string(seg->first) + ", " +
                            std::to_string(seg->end) + ") outside the trace");
  }
  // A window holds the segment's records and the next one (the exit state).
  if (seg ? !steps.covers(seg->first, std::min(seg->end + 1, steps.size()))
          : !steps.covers(0, steps.size())) {
    return internal_error("zkwasm: the records read do not cover the segment's steps");
  }
  if (!seg && steps.size() >= (size_t(1) << 26)) {
    return unimplemented("zkwasm: " + std::to_string(steps.size()) +
                         " steps need continuations (segments), not implemented yet");
  }
  const uint32_t func = trace.header.entry_function;
  auto entry = program.entry(func);
  if (!entry) return entry.status();
  const wasm::FuncType& type = m.func_type(func);
  if (type.params.size() > kMaxArgs) {
    return unimplemented("zkwasm: entry functions with more than " + std::to_string(kMaxArgs) +
                         " parameters");
  }
  if (opts.args.size() != type.params.size()) {
    return invalid_argument("zkwasm: function " + std::to_string(func) + " takes " +
                            std::to_string(type.params.size()) + " arguments, got " +
                            std::to_string(opts.args.size()));
  }
  pv = PublicValues{};
  pv.module_hash = program.module_hash();
  pv.entry_function = func;
  for (size_t i = 0; i < opts.args.size(); ++i) {
    pv.args.push_back(type.params[i] == wasm::ValType::kI32 ? uint32_t(opts.args[i])
                                                           : opts.args[i]);
  }
  pv.status = trace.end.status;
  pv.trap_code = trace.end.trap_code;
  if (gas_trap) pv.gas_limit = trace.header.gas_limit;
  pv.results = trace.end.results;
  pv.instructions = trace.instructions;  // records that are neither I/O rows nor host tails
  pv.public_input = opts.public_input;
  auto input = parse_public_input(pv.public_input);
  if (!input) return input.status();
  InputTableBuilder input_rows(*input);
  if (opts.private_input) {
    if (opts.private_input->size() > priv::kMaxPrivateBytes) {
      return unimplemented("zkwasm: a private input of " + std::to_string(opts.private_input->size()) +
                           " bytes (at most " + std::to_string(priv::kMaxPrivateBytes) + ")");
    }
    input_rows.set_private(&*opts.private_input);
  }

  // Initial memory: globals and arguments at timestamp 1 (over the memory table's zeros). A
  // segment of a split run starts instead from its entry image, each key at timestamp 0 when
  // first touched (segment_cell).
  std::unordered_map<uint32_t, Cell> mem;
  std::unordered_map<uint32_t, uint64_t> entry_values;
  for (size_t g = 0; !seg && g < m.global_inits.size(); ++g) {
    const uint32_t gi = uint32_t(g) + m.num_imported_globals;
    uint64_t v = m.global_inits[g].value;
    if (m.global_types[gi].type == wasm::ValType::kI32) v = uint32_t(v);
    mem[L::global_key(gi)] = Cell{L::kInitTs, v};
  }
  for (size_t i = 0; !seg && i < pv.args.size(); ++i) mem[uint32_t(i)] = Cell{L::kInitTs, pv.args[i]};
  // Linear memory: the size cell and the data segments' words (the fixed init rows). A segment
  // of a split run finds them in its entry image instead.
  auto images = memory_images(m);
  if (!images) return images.status();
  for (uint32_t mi = 0; !seg && mi < images->size(); ++mi) {
    const MemoryImage& img = (*images)[mi];
    mem[L::mem_size_key(mi)] = Cell{L::kInitTs, img.pages};
    for (const auto& [word, v] : img.words) mem[L::word_key(word, mi)] = Cell{L::kInitTs, v};
  }
  auto cell_at = [&](uint32_t k) -> Cell& {
    if (!seg) return mem[k];
    auto it = mem.find(k);
    if (it != mem.end()) return it->second;
    auto im = seg->image->find(k);
    const uint64_t v = im == seg->image->end() ? 0 : im->second;
    entry_values.emplace(k, v);
    return mem.emplace(k, Cell{0, v}).first->second;
  };

  const size_t n = steps.size();
  const size_t first = seg ? seg->first : 0, stop = seg ? seg->end : n;
  // Rows: one per step plus one zero-local row per declared local of each called function.
  size_t zero_rows = 0;
  for (size_t i = first; i < stop; ++i) {
    const wasm::StepRecord& st = steps[i];
    const bool direct = st.op == uint16_t(Op::kCall) && st.pc < m.code.size() &&
                        m.code[st.pc].op == Op::kCall;
    const bool traps_here = trapped && !gas_trap && i + 1 == n;  // no call happens
    if (!traps_here && (direct || st.op == uint16_t(Op::kCallIndirect))) {
      const uint32_t callee = direct ? m.code[st.pc].a : st.aux;
      if (callee >= m.num_imported_funcs && callee - m.num_imported_funcs < m.funcs.size()) {
        const wasm::Function& f = m.funcs[callee - m.num_imported_funcs];
        zero_rows += f.num_locals - m.func_type(callee).params.size();
      }
    }
  }
  // A segment that starts inside a call's zero-local rows: the rest of them first.
  const uint32_t entry_zero = seg && seg->entry.zl.active ? seg->entry.sp - seg->entry.zl.next : 0;
  if (seg && seg->entry.zl.active && seg->entry.zl.next >= seg->entry.sp) {
    return invalid_argument("zkwasm: the entry zero-local cursor lies at or above the entry sp");
  }
  zero_rows += entry_zero;
  // The last segment needs a padding row after the entry function's return; the others end
  // with their `end` row.
  const bool gas_row = gas_trap && (!seg || seg->last);  // the out-of-gas trap row
  // An input_read that traps out of bounds has a tail row after its call row (the trap row).
  const bool rd_oob_tail = stop == n && host_io_oob_at_end(m, steps[n - 1], trace.end) == 2;
  // Out of gas inside input_read / output_write (its byte gas does not fit): the call's rows
  // prove it (an input_read's tail row takes the gas row's place), so no gas row follows.
  bool host_gas_laid = false;
  size_t used_rows = stop - first + zero_rows + size_t(rd_oob_tail) +
                     (seg && !seg->last ? 0 : 1) + gas_row;
  if (seg && seg->zero_cut != 0) {  // ends inside zero-local rows, after exactly zero_cut rows
    if (seg->last || seg->zero_cut >= used_rows) {
      return internal_error("zkwasm: a segment cut inside zero-local rows after " +
                            std::to_string(seg->zero_cut) + " of its " + std::to_string(used_rows) +
                            " rows");
    }
    used_rows = seg->zero_cut;
  }
  if (table_log_rows(used_rows) > kMaxLogExecRows) {
    return unimplemented("zkwasm: " + std::to_string(used_rows) +
                         " rows exceed one segment; split the run (ProveOptions::segment_log)");
  }
  const size_t rows = size_t(1) << table_log_rows(used_rows);
  ThreadPool& pool = ThreadPool::with_threads(opts.threads);
  ExecBuilder ex(rows, pool);
  const std::vector<uint32_t> host_imports = host_slot_imports(m);  // host tails' program rows
  std::vector<uint64_t> prog_mult(
      size_t(1) << table_log_rows(m.code.size() + host_imports.size()), 0);
  std::vector<uint64_t> range_mult(size_t(1) << L::Range::kLogRows, 0);
  std::vector<uint64_t> and_mult(range_mult.size(), 0);
  std::vector<uint64_t> byte_mult(range_mult.size(), 0);
  alu::ChipWitness alu_chip;
  size_t brt_rows = 0;
  std::vector<size_t> brt_first(m.code.size(), 0);
  for (size_t pc = 0; pc < m.code.size(); ++pc) {
    brt_first[pc] = brt_rows;
    if (m.code[pc].op == Op::kBrTable) brt_rows += m.code[pc].b;
  }
  std::vector<uint64_t> brt_mult(size_t(1) << table_log_rows(brt_rows), 0);
  const SlotTable slots = slot_table(m);
  std::vector<uint64_t> slot_mult(size_t(1) << table_log_rows(slots.rows.size()), 0);
  MemChipBuilder mem_chip(mem, range_mult, and_mult);
  if (seg) mem_chip.set_fetch(cell_at);
  auto bad = [&](size_t i, const std::string& what) {
    return invalid_argument("zkwasm: the trace does not match the module at " +
                            step_name(i, steps[i]) + ": " + what);
  };

  // Memory accesses of a row in slot order, with their timestamps and range-checked gaps.
  auto access = [&](size_t row, const bool* en, const uint32_t* key, const uint64_t* news) {
    uint32_t dhi[L::kSlots] = {0, 0, 0};
    for (uint32_t k = 0; k < L::kSlots; ++k) {
      // Keys are below 2^30; a larger one wrapped below 0 (sp - 1 of a branch or return that
      // moves nothing at sp = 0, a disabled slot), and the AIR's key is then negative.
      if (key[k] >= (1u << 31)) {
        ex.set(E::kKey + k, row, -Fp::from_u32(0u - key[k]));
      } else {
        ex.set(E::kKey + k, row, uint64_t(key[k]));
      }
      if (!en[k]) {
        ++range_mult[0];
        continue;
      }
      Cell& cell = cell_at(key[k]);
      const uint32_t ts = uint32_t(4 * (row + 1) + k);
      const uint32_t dd = ts - cell.ts - 1;
      ex.set(E::kPts + k, row, uint64_t(cell.ts));
      ex.set(E::kDlo + k, row, uint64_t(dd & 0xFFFF));  // dd = dlo + 2^16 dhi, dhi a byte
      ex.set(E::kDhi + k, row, uint64_t(dd >> 16));
      ++range_mult[dd & 0xFFFF];
      dhi[k] = dd >> 16;
      cell.ts = ts;
      cell.value = news[k];
    }
    ++byte_mult[(dhi[0] & 0xFF) * 256 + (dhi[1] & 0xFF)];
    ++range_mult[(256 * dhi[2]) & 0xFFFF];
  };
  auto frame_key = [](uint32_t depth) { return (L::kFrameSpace << L::kSpaceShift) + depth; };
  struct Frame {
    uint32_t ret_pc, fp;
  };
  std::vector<Frame> frames(seg ? seg->entry.depth : 0);  // earlier frames live in memory

  uint64_t gas = seg ? seg->entry.gas : 0;
  uint32_t fp = seg ? seg->entry.fp : 0;
  uint32_t exit_pc = 0, exit_sp = 0;
  size_t row = 0;
  uint64_t ninst = seg ? seg->entry.instructions : 0;
  // The output cursor: bytes written before this segment plus this segment's (pv.output).
  const uint64_t out_base = seg ? seg->entry.output : 0;
  auto out_now = [&] { return out_base + pv.output.size(); };
  // The I/O rows of the host call before them: cursor (docs/zkwasm.md, "Host I/O").
  struct IoCursor {
    bool active = false, out = false, first = false;
    uint32_t pc = 0, sp = 0, addr = 0, idx = 0, rem = 0, kind = 0;
  } io;
  // A call_indirect of an import: its host tail (the next record) returns to host_ret.
  uint32_t host_ret = 0;
  // A segment that starts inside a host call's I/O rows (docs/zkwasm.md "Continuations"): its
  // first records are the rest of them, from the entry cursor.
  if (seg && seg->entry.io.active) {
    const SegmentState::IoCursor& c = seg->entry.io;
    io = IoCursor{true, c.out, false, seg->entry.pc, seg->entry.sp, c.addr, c.idx, c.rem, c.kind};
    exit_pc = seg->entry.pc, exit_sp = seg->entry.sp;
  }
  // A zero-local row: writes 0 to `key` of the callee's frame (entry pc, sp csp), keeping
  // its state; the exit cursor when a segment ends inside them.
  SegmentState::ZeroCursor zl_exit;
  auto zero_row = [&](uint32_t pc, uint32_t csp, uint32_t key) {
    ex.set_still_state(row, pc, csp, fp, frames.size(), ninst, gas, out_now());
    ex.set(E::kZflag, row, uint64_t(1));
    if (key + 1 == csp) ex.set(E::kZlast, row, uint64_t(1));
    const bool zen[L::kSlots] = {false, false, true};
    const uint32_t zkey[L::kSlots] = {0, 0, key};
    ex.set_limbs(E::kA, row, cell_at(key).value);
    const uint64_t znews[L::kSlots] = {0, 0, 0};
    range_mult[0] += 4 + 4 + 2;  // r, d, sign-bit helpers
    access(row, zen, zkey, znews);
  };
  if (seg && seg->entry.zl.active) {
    exit_pc = seg->entry.pc, exit_sp = seg->entry.sp;
    for (uint32_t key = seg->entry.zl.next; key < seg->entry.sp; ++key, ++row) {
      if (seg->zero_cut != 0 && row == seg->zero_cut) {
        zl_exit = SegmentState::ZeroCursor{true, key};
        break;
      }
      zero_row(seg->entry.pc, seg->entry.sp, key);
    }
  }
  timer.mark("setup");
  for (size_t i = first; i < stop; ++i, ++row) {
    const wasm::StepRecord& s = steps[i];
    if (s.op >= wasm::kOpCount) return bad(i, "unknown opcode");
    const Op op = Op(s.op);
    if (is_io(s)) {
      if (!io.active || io.out != (op == Op::kHostRead)) {
        return bad(i, "a host I/O row that does not belong to the host call before it");
      }
      const uint32_t cnt = uint32_t(s.b), want = std::min<uint32_t>(8, io.rem);
      if (opts.check_trace && (cnt != want || s.aux != io.addr)) {
        return bad(i, "host I/O row of " + std::to_string(cnt) + " bytes at " +
                          std::to_string(s.aux) + ", expected " + std::to_string(want) + " at " +
                          std::to_string(io.addr));
      }
      if (cnt == 0 || cnt > 8) return bad(i, "host I/O row of " + std::to_string(cnt) + " bytes");
      const uint32_t after = io.rem - std::min(io.rem, cnt);
      ex.set_still_state(row, io.pc, io.sp, fp, frames.size(), ninst, gas, out_now());
      ex.set(E::kGasCost, row, uint64_t(1));
      gas += 1;
      ex.set(E::kMem, row, uint64_t(1));
      ex.set(E::kMemOp, row, uint64_t(uint32_t(op)));
      ex.set(E::kIo, row, uint64_t(1));
      ex.set(E::kIoOut, row, uint64_t(io.out));
      ex.set(E::kIoFirst, row, uint64_t(io.first));
      ex.set(E::kIoAddr, row, uint64_t(s.aux));  // trace-driven: the chain checks it
      ex.set(E::kIoIdx, row, uint64_t(io.idx));
      ex.set(E::kIoRem, row, uint64_t(io.rem));
      ex.set(E::kIoKind, row, uint64_t(io.kind));
      ex.set(E::kIoN, row, uint64_t(cnt));
      ex.set(E::kIoInv, row, Fp::from_u64(after).inverse());
      ex.set(E::kA, row, uint64_t(s.aux));
      const uint64_t bytes = s.a;
      ex.set_limbs(E::kR, row, bytes);
      for (uint32_t j = 0; j < 4; ++j) ++range_mult[limb(bytes, j)];
      // d3 bounds the offset an input_read's first row reads (< 2^28); other helpers are 0.
      bool en[L::kSlots] = {io.first, false, false};
      uint32_t key[L::kSlots] = {io.first ? io.sp : 0, 0, 0};
      uint64_t off = 0;
      if (io.first) {
        off = cell_at(io.sp).value;
        ex.set_limbs(E::kB, row, off);
        ex.set(E::kD + 3, row, uint64_t(16 * limb(off, 1)));
      }
      ++range_mult[(16 * limb(off, 1)) & 0xFFFF];
      range_mult[0] += 3 + 2;  // d0..d2, sign-bit helpers
      const uint64_t news[L::kSlots] = {off, 0, 0};
      access(row, en, key, news);
      if (io.out) {
        for (uint32_t j = 0; j < cnt; ++j) pv.output.push_back(uint8_t(bytes >> (8 * j)));
      } else {
        for (uint32_t j = 0; j < cnt; ++j) {
          const uint32_t at = io.idx + j;
          const std::vector<uint8_t>* kb = input_rows.kind_bytes(io.kind);
          if (kb && at < kb->size()) {
            input_rows.lookup_byte(io.kind, at);
            if (opts.check_trace && (*kb)[at] != uint8_t(bytes >> (8 * j))) {
              return bad(i, "input byte " + std::to_string(at) + " of kind " +
                                std::to_string(io.kind) + " differs from the " +
                                (io.kind == kPrivateKind ? "private" : "public") + " input");
            }
          } else if (opts.check_trace) {
            return bad(i, "reads past the public input");
          }
        }
      }
      const std::string err = mem_chip.add(uint32_t(row + 1), op, s.aux, 0, bytes, s.aux, cnt,
                                       io.kind, io.idx);
      if (opts.check_trace && !err.empty()) return bad(i, err);
      io.first = false;
      io.addr += 8, io.idx += 8, io.rem = after;
      io.active = after != 0;
      continue;
    }
    if (io.active) {
      if (opts.check_trace) return bad(i, "the host call's I/O rows end early");
      io.active = false;  // a forged trace: the AIR's I/O chain rejects it
    }
    const bool host_tail = is_host_tail(s);
    if (!host_tail) ++ninst;  // a host tail shares its call_indirect's count
    const int fi = L::flag_index(op);
    const bool trap_row = trapped && !gas_trap && i + 1 == n;
    const int mi = L::mem_op_index(op);
    if (fi < 0 && mi < 0 && !alu::is_alu(op) && !(op == Op::kUnreachable && trap_row)) {
      return unimplemented("zkwasm: opcode " + std::string(wasm::op_info(op).name) + " at " +
                           step_name(i, s) + " is not constrained yet");
    }
    if (opts.check_trace && s.depth != frames.size()) {
      return bad(i, "call depth " + std::to_string(s.depth) + " should be " +
                        std::to_string(frames.size()));
    }
    wasm::Instr in{op, wasm::op_info(op).gas, 0, 0};
    uint32_t imm_a = 0;
    if (s.pc < m.code.size() && m.code[s.pc].op == op) {
      in = m.code[s.pc];
      imm_a = program_imm_a(m, in);
      in.b = program_imm_b(m, in);
      ++prog_mult[s.pc];
    } else if (const auto ht = host_tail ? host_tail_instr(m, host_imports, s.pc) : std::nullopt) {
      in = ht->instr;
      imm_a = in.a;
      ++prog_mult[ht->row];
      if (opts.check_trace && (i == first || steps[i - 1].op != uint16_t(Op::kCallIndirect) ||
                               L::kHostPcBase + steps[i - 1].aux != s.pc)) {
        return bad(i, "a host tail that does not follow a call_indirect of its import");
      }
    } else if (opts.check_trace) {
      return bad(i, "(pc, opcode) is not an instruction of the module");
    }
    const uint32_t depth = uint32_t(frames.size());
    uint32_t nfp = fp;
    uint32_t ci_height = 0;  // a call_indirect's slot function's frame height (kCHeight)
    ex.set(E::kReal, row, uint64_t(1));
    ex.set(E::kPc, row, uint64_t(s.pc));
    ex.set(E::kSp, row, uint64_t(s.sp));
    ex.set(E::kFp, row, uint64_t(fp));
    ex.set(E::kDepth, row, uint64_t(depth));
    ex.set(E::kStep, row, uint64_t(row + 1));
    ex.set(E::kInst, row, ninst);
    ex.set(E::kGas, row, gas);
    ex.set(E::kOut, row, out_now());
    ex.set(E::kGasCost, row, uint64_t(in.gas));
    ex.set(E::kImmA, row, uint64_t(imm_a));
    ex.set_limbs(E::kImmB, row, in.b);
    const bool stack_trap = trap_row && op == Op::kCall;  // call stack exhausted
    // ... at a call_indirect (its slot lookup as a call's, then the depth).
    const bool ci_stack_trap =
        trap_row && op == Op::kCallIndirect && trace.end.trap_code == L::kTrapCallStack;
    uint64_t host_ah = 0, host_bh = 0, host_cy = 0;  // call_host rows' helpers (air.cpp)
    // Out-of-bounds host I/O (trap 2): an input_read call row followed by its tail row; an
    // output_write trap row, near (1) or far (2).
    bool rd_oob_row = false;
    int wr_oob = 0;
    bool vstack_trap = false;     // a direct call's "value stack limit reached"
    bool vstack_ci = false;       // ... a call_indirect's
    uint32_t vstack_excess = 0;  // nfp + height - kMaxStackSlots - 1 there
    bool host_ci = false;        // a call_indirect (or its trap) on a slot holding an import
    static_assert(L::kMaxOutput == kMaxOutputBytes);
    if (fi >= 0 && !(trap_row && (op == Op::kCallIndirect || op == Op::kCall))) {  // a trap row has its own flag
      ex.set(E::kFlags + uint32_t(fi), row, uint64_t(1));
      if (L::is_wide_op(op)) ex.set(E::kWide, row, uint64_t(1));
      if (const auto [g, pos] = L::group_of(op); g >= 0) {
        ex.set(E::kGroupSel + uint32_t(pos), row, uint64_t(1));
        ex.set(E::kOpX, row, uint64_t(uint32_t(op) - uint32_t(L::kOpGroups[uint32_t(g)].ops[0])));
      }
    } else if (mi >= 0) {
      ex.set(E::kMem, row, uint64_t(1));
      ex.set(E::kMemOp, row, uint64_t(uint32_t(op)));
      ex.set(E::kMemSt, row, uint64_t(mem_op_info(op).store));
      ex.set(E::kMemSz, row, uint64_t(op == Op::kMemorySize));
    }
    gas += in.gas;

    // Operands, slot keys and the values they carry.
    uint64_t a = 0, b = 0, x = 0, r = 0, host_d = 0;
    bool en[L::kSlots] = {false, false, false};
    uint32_t key[L::kSlots] = {0, 0, 0};
    uint32_t npc = s.pc + 1, nsp = s.sp;
    bool taken = false, move = false;
    const uint32_t sp = s.sp;
    const uint32_t h = uint32_t(in.b), arity = uint32_t(in.b >> 32);
    auto read = [&](uint32_t k) { return cell_at(k).value; };
    switch (op) {
      case Op::kI32Const:
      case Op::kI64Const:
        en[2] = true, key[2] = sp, r = s.r, nsp = sp + 1;
        if (opts.check_trace && s.r != in.b) return bad(i, "constant differs from the module");
        break;
      case Op::kLocalGet:
      case Op::kGlobalGet:
        en[0] = en[2] = true;
        key[0] = op == Op::kLocalGet ? fp + in.a : L::global_key(in.a);
        key[2] = sp, b = r = s.r, nsp = sp + 1;
        break;
      case Op::kLocalSet:
      case Op::kLocalTee:
      case Op::kGlobalSet:
        en[0] = en[2] = true, key[0] = sp - 1;
        key[2] = op == Op::kGlobalSet ? L::global_key(in.a) : fp + in.a;
        b = r = s.a, nsp = op == Op::kLocalTee ? sp : sp - 1;
        break;
      case Op::kDrop:
        nsp = sp - 1;
        break;
      case Op::kSelect:
        en[0] = en[1] = en[2] = true, key[0] = sp - 2, key[1] = sp - 1, key[2] = sp - 3;
        x = s.aux, b = s.b, a = s.a, r = s.r, nsp = sp - 2;
        if (opts.check_trace && r != (uint32_t(x) ? a : b)) return bad(i, "wrong select result");
        break;
      case Op::kBr:
        npc = in.a, move = arity != 0;
        nsp = fp + h + arity;
        break;
      case Op::kBrIf:
        en[1] = true, key[1] = sp - 1, x = s.a, taken = uint32_t(x) != 0;
        npc = taken ? in.a : s.pc + 1, move = taken && arity != 0;
        nsp = taken ? fp + h + arity : sp - 1;
        break;
      case Op::kBrUnless:
        en[1] = true, key[1] = sp - 1, x = s.a, taken = uint32_t(x) == 0;
        npc = taken ? in.a : s.pc + 1, nsp = sp - 1;
        break;
      case Op::kBrTable: {
        en[1] = true, key[1] = sp - 1, x = s.a;
        const uint64_t count = in.b;
        if (count == 0 || in.a + count > m.br_targets.size()) return bad(i, "br_table without targets");
        const uint64_t sel = uint32_t(x) < count ? uint32_t(x) : count - 1;
        const wasm::BrTarget& bt = m.br_targets[in.a + sel];
        ex.set(E::kSel, row, sel);
        ex.set(E::kCallee, row, uint64_t(s.pc));  // the br_targets lookup's pc entry
        ex.set(E::kBrH, row, uint64_t(bt.height));
        ex.set(E::kBrAr, row, uint64_t(bt.arity));
        ++brt_mult[brt_first[s.pc] + sel];  // the fixed row of (pc, sel)
        npc = bt.pc, move = bt.arity != 0;
        key[0] = sp - 2, key[2] = fp + bt.height;
        if (move) en[0] = en[2] = true, b = r = read(key[0]);
        nsp = fp + bt.height + bt.arity;
        break;
      }
      case Op::kReturn:
        move = in.a != 0;
        key[0] = frame_key(depth) - 1;  // constrained on every return, read only below top
        if (depth > 0) {  // back to the caller: frame[depth - 1] = (return pc, caller fp)
          en[0] = true, key[0] = frame_key(depth - 1), b = read(key[0]);
          npc = uint32_t(b), nfp = uint32_t(b >> 32), nsp = fp + in.a;
        } else {
          ex.set(E::kTop, row, uint64_t(1));
        }
        break;
      case Op::kCall: {
        const uint32_t callee = in.a;
        if (callee < m.num_imported_funcs) return bad(i, "call of an imported function");
        const uint32_t params = uint32_t(in.b & 0xFFFF), declared = uint32_t((in.b >> 16) & 0xFFFF);
        if (stack_trap) {
          // Touches nothing: the AIR checks depth = kMaxCallDepth (trap code 8), or below it
          // the value stack limit: nfp + frame height > kMaxStackSlots (the kVStack bit, the
          // excess less one in d1 + 2^16 d2, d3 = 4 d2). With the trace check off, a claim at
          // another depth is laid out as a value stack overflow (wrapped) for the AIR to reject.
          const uint64_t over = uint64_t(sp) - params + imm_a;
          if (depth != L::kMaxCallDepth) {
            if (opts.check_trace && over <= L::kMaxStackSlots) {
              // A run under the runtime's default limits (the proof's statement) never
              // traps here: not such a run, like a host error under another output limit.
              return invalid_argument(
                  "zkwasm: the call at " + step_name(i, s) + " traps with code " +
                  std::to_string(trace.end.trap_code) + " at call depth " + std::to_string(depth) +
                  " with its frame within the value stack (" + std::to_string(over) +
                  " slots), below RuntimeLimits::max_call_depth = " +
                  std::to_string(L::kMaxCallDepth) + " and max_stack_slots = " +
                  std::to_string(L::kMaxStackSlots) +
                  " that a proof fixes: the trace was recorded under other limits");
            }
            vstack_excess = uint32_t(over - L::kMaxStackSlots - 1);
            vstack_trap = true;
          }
          break;  // an unreachable-class row (below) with kOpX = call - unreachable
        }
        if (callee - m.num_imported_funcs >= m.funcs.size()) return bad(i, "no such function");
        const wasm::Function& cf = m.funcs[callee - m.num_imported_funcs];
        if (opts.check_trace && uint64_t(sp) - params + cf.max_height >
                                    wasm::RuntimeLimits{}.max_stack_slots) {
          return bad(i, "the call goes on beyond RuntimeLimits::max_stack_slots = " +
                            std::to_string(L::kMaxStackSlots) +
                            " (a trace recorded under other limits?)");
        }
        en[2] = true, key[2] = frame_key(depth);
        r = uint64_t(s.pc + 1) | (uint64_t(fp) << 32);
        npc = uint32_t(in.b >> 32), nfp = sp - params, nsp = sp + declared;
        ex.set(E::kZstart, row, uint64_t(declared != 0));
        break;
      }
      case Op::kCallIndirect: {
        // The callee is the table's element at idx (the record's aux says which it was).
        x = s.a;
        const uint32_t idx = uint32_t(x);
        const SlotTable::Part& tab = slots.of(imm_a);  // the instruction's table
        const int32_t srow = idx < tab.row_of.size() ? tab.row_of[idx] : -1;
        // A call_indirect that reaches its callee (goes on, or exhausts the call stack there):
        // counts the slot lookup, checks that the slot holds the callee, fills its columns.
        struct Reached {
          const wasm::Function* f;
          uint32_t params;
        };
        auto reach_callee = [&]() -> Result<Reached> {
          const uint32_t callee = s.aux;
          if (callee < m.num_imported_funcs || callee - m.num_imported_funcs >= m.funcs.size()) {
            return unimplemented("zkwasm: call_indirect of an imported function at " +
                                 step_name(i, s));
          }
          if (srow >= 0) {
            ++slot_mult[size_t(srow)];
          } else if (opts.check_trace) {
            return bad(i, "table slot " + std::to_string(idx) + " holds no function");
          }
          if (opts.check_trace &&
              (slots.rows[size_t(srow)].empty || slots.rows[size_t(srow)].func != callee)) {
            return bad(i, "table slot " + std::to_string(idx) + " holds another function");
          }
          const wasm::Function& f = m.funcs[callee - m.num_imported_funcs];
          const uint32_t params = uint32_t(m.func_type(callee).params.size());
          ex.set(E::kCallee, row, uint64_t(callee));
          ex.set(E::kCParams, row, uint64_t(params));
          ex.set(E::kCDecl, row, uint64_t(f.num_locals - params));
          ex.set(E::kCEntry, row, uint64_t(f.entry_pc));
          ex.set(E::kCType, row, uint64_t(m.canonical_type[f.type_index]));
          ci_height = f.max_height;
          return Reached{&f, params};
        };
        if (!trap_row && s.aux < m.num_imported_funcs) {
          // An import (host function): pops idx, looks up the host slot (tag 3) and hands over
          // to the import's host tail (the next record), which does what call_host does and
          // returns to pc + 1. No frame, no depth or value stack check (as in the runtime).
          if (tab.size == L::kUnknownTableSize) {
            return unimplemented("zkwasm: call_indirect at " + step_name(i, s) +
                                 " through an imported table is not provable");
          }
          const uint32_t callee = s.aux;
          if (srow >= 0) ++slot_mult[size_t(srow)];
          if (opts.check_trace && (srow < 0 || !slots.rows[size_t(srow)].host ||
                                   slots.rows[size_t(srow)].func != callee)) {
            return bad(i, "table slot " + std::to_string(idx) + " does not hold import " +
                              std::to_string(callee));
          }
          const uint32_t ctype = m.canonical_type[m.func_type_index[callee]];
          if (opts.check_trace && ctype != uint32_t(in.b)) {
            return bad(i, "the callee's type differs from the expected one, but the trace goes on");
          }
          host_ci = true;
          ex.set(E::kCallee, row, uint64_t(callee));
          ex.set(E::kCParams, row, uint64_t(m.func_type(callee).params.size()));
          ex.set(E::kCEntry, row, uint64_t(L::kHostPcBase + callee));
          ex.set(E::kCType, row, uint64_t(ctype));
          en[1] = true, key[1] = sp - 1;
          key[2] = frame_key(depth);  // constrained, not accessed
          r = uint64_t(s.pc + 1) | (uint64_t(fp) << 32);
          npc = L::kHostPcBase + callee, nsp = sp - 1;
          host_ret = s.pc + 1;
          break;
        }
        if (ci_stack_trap) {
          // Call stack exhausted: reads idx and looks its slot up like a call that goes on
          // (code 5, the expected type), then the AIR checks depth = kMaxCallDepth. With the
          // trace check off, a claim elsewhere is laid out for the AIR to reject.
          en[1] = true, key[1] = sp - 1;
          auto reached = reach_callee();
          if (!reached.is_ok()) return reached.status();
          const wasm::Function& f = *reached->f;
          const uint32_t params = reached->params;
          if (opts.check_trace && m.canonical_type[f.type_index] != uint32_t(in.b)) {
            return bad(i, "the callee's type differs from the expected one: code 5, not 8");
          }
          npc = f.entry_pc;  // the slot lookup's entry
          if (depth != L::kMaxCallDepth) {
            // Below the depth limit: the value stack limit (the kVStackCi bit, the excess less
            // one in d1 + 2^16 d2, ah = 2 d2); with the trace check off a frame that fits is
            // laid out wrapped for the AIR to reject.
            const uint64_t over = uint64_t(sp) - 1 - params + f.max_height;
            if (opts.check_trace && over <= L::kMaxStackSlots) {
              return invalid_argument(
                  "zkwasm: the call_indirect at " + step_name(i, s) + " traps with code " +
                  std::to_string(trace.end.trap_code) + " at call depth " +
                  std::to_string(depth) + " with its frame within the value stack (" +
                  std::to_string(over) +
                  " slots), below RuntimeLimits::max_call_depth = " +
                  std::to_string(L::kMaxCallDepth) + " and max_stack_slots = " +
                  std::to_string(L::kMaxStackSlots) +
                  " that a proof fixes: the trace was recorded under other limits");
            }
            vstack_excess = uint32_t(over - L::kMaxStackSlots - 1);
            vstack_ci = true;
          }
          break;  // an unreachable-class row (below) with kOpX = call_indirect - unreachable
        }
        if (trap_row) {
          // A trap: idx beyond the table, an empty slot or another type. Reads idx only.
          en[1] = true, key[1] = sp - 1;
          const uint32_t code = trace.end.trap_code;
          ex.set(E::kCiTrap, row, uint64_t(1));
          if (code == L::kTrapUndefinedElem) {
            taken = true;  // kCiOor is the branch-taken column
            ex.set(E::kCType, row, uint64_t(L::kEmptyType));  // differs from the expected type
            ex.set(E::kInv, row, (Fp::from_u32(L::kEmptyType) - Fp::from_u32(uint32_t(in.b))).inverse());
            if (tab.size == L::kUnknownTableSize) {
              return unimplemented("zkwasm: call_indirect trap at " + step_name(i, s) +
                                   " through an imported table is not provable");
            }
            if (opts.check_trace && idx < tab.size) return bad(i, "index within the table traps");
            break;
          }
          if (srow < 0) {
            if (opts.check_trace && idx >= tab.size) return bad(i, "index beyond the table");
            if (tab.size != L::kUnknownTableSize && idx < tab.size) {
              return unimplemented("zkwasm: call_indirect trap at " + step_name(i, s) +
                                   " on a slot holding an imported function is not provable");
            }
            if (tab.size == L::kUnknownTableSize) {
              return unimplemented("zkwasm: call_indirect trap at " + step_name(i, s) +
                                   " through an imported table is not provable");
            }
            break;  // a forged trace (checks off): no slot row, the verifier rejects it
          }
          const SlotTable::Row& sr = slots.rows[size_t(srow)];
          ++slot_mult[size_t(srow)];
          uint64_t ctype = L::kEmptyType;
          if (sr.host) {  // an import of another type (code 5): the host slot's tuple
            host_ci = true;
            ctype = m.canonical_type[m.func_type_index[sr.func]];
            ex.set(E::kCallee, row, uint64_t(sr.func));
            ex.set(E::kCParams, row, uint64_t(m.func_type(sr.func).params.size()));
            ex.set(E::kCEntry, row, uint64_t(L::kHostPcBase + sr.func));
            npc = L::kHostPcBase + sr.func;
          } else if (!sr.empty) {
            const wasm::Function& f = m.funcs[sr.func - m.num_imported_funcs];
            const uint32_t params = uint32_t(m.func_type(sr.func).params.size());
            ctype = m.canonical_type[f.type_index];
            ex.set(E::kCallee, row, uint64_t(sr.func));
            ex.set(E::kCParams, row, uint64_t(params));
            ex.set(E::kCDecl, row, uint64_t(f.num_locals - params));
            ex.set(E::kCEntry, row, uint64_t(f.entry_pc));
            ci_height = f.max_height;
            npc = f.entry_pc;  // the slot lookup's entry (an empty slot's is 0)
          } else {
            npc = 0;
          }
          ex.set(E::kCType, row, ctype);
          const uint32_t want = uint32_t(in.b);
          ex.set(E::kInv, row, (Fp::from_u64(ctype) - Fp::from_u32(want)).inverse());
          if (opts.check_trace) {
            const uint32_t expect = sr.empty ? L::kTrapUninitElem : L::kTrapIndirectType;
            if (code != expect) {
              return bad(i, "table slot " + std::to_string(idx) + " traps with code " +
                                std::to_string(expect) + ", the trace says " + std::to_string(code));
            }
            if (ctype == want) return bad(i, "the callee's type matches, but the trace traps");
          }
          break;
        }
        if (tab.size == L::kUnknownTableSize) {  // the slots' contents are not in the program
          return unimplemented("zkwasm: call_indirect at " + step_name(i, s) +
                               " through an imported table is not provable");
        }
        auto reached = reach_callee();
        if (!reached.is_ok()) return reached.status();
        const wasm::Function& f = *reached->f;
        const uint32_t params = reached->params;
        const uint32_t declared = f.num_locals - params;
        if (opts.check_trace && m.canonical_type[f.type_index] != uint32_t(in.b)) {
          return bad(i, "the callee's type differs from the expected one, but the trace goes on");
        }
        if (opts.check_trace && uint64_t(sp) - 1 - params + f.max_height > L::kMaxStackSlots) {
          return bad(i, "the call goes on beyond RuntimeLimits::max_stack_slots = " +
                            std::to_string(L::kMaxStackSlots) +
                            " (a trace recorded under other limits?)");
        }
        en[1] = true, key[1] = sp - 1;
        en[2] = true, key[2] = frame_key(depth);
        r = uint64_t(s.pc + 1) | (uint64_t(fp) << 32);
        npc = f.entry_pc, nfp = sp - 1 - params, nsp = sp - 1 + declared;
        ex.set(E::kZstart, row, uint64_t(declared != 0));
        break;
      }
      case Op::kMemorySize:
        en[2] = true, key[2] = sp, r = s.r, nsp = sp + 1;
        break;
      case Op::kCallHost: {
        // 1 input_size, 2 input_read, 3 output_write, 4 abort (program_imm_b); others trap.
        const uint32_t hf = uint32_t(in.b & 0xFFFF);
        // With the trace check off, an abort claimed at another host call is laid out as an
        // abort row (the program row's imm_b then contradicts it: the AIR rejects it).
        if (hf == L::kHostAbortFn ||
            (!opts.check_trace && trap_row && trace.end.trap_code == L::kTrapHostAbort)) {
          // A trap row: reads the code at sp - 1, which becomes public.
          if (opts.check_trace && !(trap_row && trace.end.trap_code == L::kTrapHostAbort)) {
            return bad(i, "efaas.abort does not end the run with trap code " +
                              std::to_string(L::kTrapHostAbort));
          }
          en[0] = true, key[0] = sp - 1, b = read(key[0]);
          if (trace.end.trap_code == L::kTrapHostAbort) pv.abort_code = uint32_t(b);
          break;
        }
        if (hf < 1 || hf > 3) {
          return unimplemented("zkwasm: host call at " + step_name(i, s) +
                               " (an unknown import): its trap is not provable");
        }
        // Out of gas inside the host function: the runtime charges the byte gas (one unit per 8
        // bytes) of a nonzero transfer before it moves anything, so the call ends the trace with
        // no I/O rows; a transfer of 0 bytes charges nothing (out of gas at the next
        // instruction: the gas row). The hoob / hwo rows prove it with trap code 10 (air.cpp).
        bool host_gas = false;
        if (gas_trap && i + 1 == n && (hf == 2 || hf == 3)) {
          const uint64_t len = uint32_t(read(sp - 1));
          uint64_t bytes = len;
          if (hf == 2) {
            const uint64_t k = read(sp - 4), off = uint32_t(read(sp - 3));
            const std::vector<uint8_t>* kb = input_rows.kind_bytes(k);
            const uint64_t size = kb ? kb->size() : 0;
            bytes = off >= size ? 0 : std::min<uint64_t>(len, size - off);
          }
          host_gas = bytes != 0;
          const uint64_t limit = trace.header.gas_limit, bg = (bytes + 7) / 8;
          if (host_gas && opts.check_trace && (gas > limit || gas + bg <= limit)) {
            return bad(i, "the trace runs out of gas inside the host function (byte gas " +
                              std::to_string(bg) + ") with " + std::to_string(gas) +
                              " gas used, which the trace's gas limit " + std::to_string(limit) +
                              " does not explain");
          }
          host_gas_laid = host_gas;
        }
        if ((trap_row && hf == 3 && trace.end.trap_code == L::kTrapMemOob) ||
            (host_gas && hf == 3)) {
          // output_write beyond the memory (trap 2 inside the host function, after the output
          // limit check and the byte gas): reads len, src and the page count (kept); air.cpp.
          en[0] = en[1] = en[2] = true;
          key[0] = sp - 1, key[1] = sp - 2, key[2] = L::kMemSizeKey;
          b = read(key[0]), x = read(key[1]), a = r = read(key[2]);
          const uint64_t len = uint32_t(b), src = uint32_t(x), now = out_now();
          if (opts.check_trace && now + len > L::kMaxOutput) {
            return bad(i, "output_write of " + std::to_string(len) + " bytes beyond the output " +
                              "limit traps with code 2 instead of a host error");
          }
          if (opts.check_trace && !host_gas && src + len <= a * 65536 && !m.memories.empty()) {
            return bad(i, "output_write of " + std::to_string(len) + " bytes at " +
                              std::to_string(src) + " fits the memory of " + std::to_string(a) +
                              " pages: no trap");
          }
          const uint32_t lim = uint32_t(L::kMaxOutput - now - len);  // 2^20 - out - len
          const uint32_t g = uint32_t((limb(len, 0) + 7) / 8), mg = 8 * g - limb(len, 0);
          host_d = uint64_t(lim & 0xFFFF) | (uint64_t(g) << 32) |
                   (uint64_t(16 * limb(len, 1)) << 48);
          host_ah = uint64_t((lim >> 16) * 8) | (uint64_t(mg >> 2) << 15);
          host_cy = uint64_t(mg & 1) << 1 | uint64_t((mg >> 1) & 1) << 2;
          if (host_gas) {  // gas + cost + byte gas - limit - 1 = d1 + 2^14 bh' (near's bit)
            wr_oob = 1;
            const uint64_t u = gas + g + uint64_t(limb(len, 1)) * 8192 - trace.header.gas_limit - 1;
            host_d |= (u & 0xFFFF) << 16;
            host_bh = ((u >> 16) * 4) & 0x7FFF;
            break;  // the byte gas is not charged
          }
          if (limb(x, 1) > L::kMaxPages) {  // far: src_hi - 4097 = d1
            wr_oob = 2;
            host_d |= uint64_t(limb(x, 1) - L::kMaxPages - 1) << 16;
          } else {  // near: src + len - [memory] - pages * 2^16 = d1 + 2^14 bh'
            wr_oob = 1;
            const uint32_t u = uint32_t(src + len - uint64_t(!m.memories.empty()) - a * 65536);
            host_d |= uint64_t(u & 0xFFFF) << 16;
            host_bh = uint64_t(((u >> 16) * 4) & 0x7FFF);
          }
          gas += g + uint64_t(limb(len, 1)) * 8192;  // the byte gas, charged before the trap
          break;
        }
        if (trap_row && hf != 3 &&
            (trace.end.trap_code == L::kTrapHostError || !opts.check_trace) &&
            !(hf == 2 && trace.end.trap_code == L::kTrapMemOob)) {
          // An unknown input kind (>= 5): reads the kind (input_size: sp - 1, input_read: sp -
          // 4) and shows kind - 5 >= 0 over two limbs with a borrow (air.cpp). With the trace
          // check off, a smaller kind or another trap code is laid out for the AIR to reject.
          en[0] = true, key[0] = hf == 1 ? sp - 1 : sp - 4, b = read(key[0]);
          const uint32_t kind = uint32_t(b), b0 = limb(b, 0), b1 = limb(b, 1);
          if (opts.check_trace && kind < L::kInputKinds) {
            return bad(i, "input kind " + std::to_string(kind) + " is known: no host error");
          }
          const uint32_t bw = b0 < L::kInputKinds;
          host_d = uint64_t((b0 + (bw << 16) - L::kInputKinds) & 0xFFFF) |
                   (uint64_t((b1 - bw) & 0xFFFF) << 32);
          host_cy = (uint64_t(hf == 2) << 1) | (uint64_t(bw) << 2) | (uint64_t(1) << 3);
          break;
        }
        if (trap_row && hf == 3 &&
            (trace.end.trap_code == L::kTrapHostError || !opts.check_trace)) {
          // output_write beyond the output limit: reads len and shows out + len > 2^20 (air.cpp).
          en[0] = true, key[0] = sp - 1, b = read(key[0]);
          const uint64_t len = uint32_t(b), now = out_now();
          if (opts.check_trace && now + len <= L::kMaxOutput) {
            // The proof's statement fixes the runtime's default limit (the verifier's
            // kMaxOutputBytes); a run under a smaller one is another statement, not this one.
            return invalid_argument(
                "zkwasm: output_write at " + step_name(i, s) + " fails with a host error at " +
                std::to_string(now + len) + " bytes of output, within the output limit " +
                "ExtensionConfig::max_output_bytes = " + std::to_string(L::kMaxOutput) +
                " that a proof fixes: the trace was recorded under another limit");
          }
          const uint32_t b1 = limb(b, 1);
          if (b1 >= 17) {  // len >= 17 * 2^16: len_hi - 17 = d2
            ex.set(E::kHerrOutFar, row, uint64_t(1));
            host_d = uint64_t(b1 - 17) << 32;
          } else {  // out + len - 2^20 - 1 = d0 + 2^6 d2 (d2 = 2^10 * its high part)
            ex.set(E::kHerrOutNear, row, uint64_t(1));
            const uint32_t t = uint32_t(now + len - L::kMaxOutput - 1);
            host_d = uint64_t(t & 0xFFFF) | (uint64_t(((t >> 16) << 10) & 0xFFFF) << 32);
          }
          break;
        }
        const bool rd_oob =
            (trap_row && hf == 2 && trace.end.trap_code == L::kTrapMemOob) || (host_gas && hf == 2);
        rd_oob_row = rd_oob;
        if (trap_row && !rd_oob) {  // a host error or a trap inside the host function
          return unimplemented("zkwasm: host call at " + step_name(i, s) + " traps with code " +
                               std::to_string(trace.end.trap_code) + ": not provable");
        }
        auto kind_ok = [&](uint64_t k) -> Status {
          if (k == kPrivateKind && !opts.private_input) {  // wasm::InputKind::kPrivate
            return invalid_argument("zkwasm: the run reads input kind 4 (private) at " +
                                    step_name(i, s) + ", but the prover was given no private "
                                    "input (ProveOptions::private_input)");
          }
          if (k == kPrivateKind) return Status::ok();
          if (k >= kPublicKinds || !input->present) {
            return unimplemented("zkwasm: input kind " + std::to_string(k) + " at " +
                                 step_name(i, s) + " is not a public input of this proof");
          }
          return Status::ok();
        };
        ex.set(hf == 1 ? E::kHsz : hf == 2 ? E::kHrd : E::kHwr, row, uint64_t(1));
        if (hf == 1) {
          en[2] = true, key[2] = sp - 1, a = read(key[2]), r = s.r;
          EFAAS_RETURN_IF_ERROR(kind_ok(a));
          input_rows.lookup_size(uint32_t(a));
          host_d = uint64_t(16 * limb(a, 1)) << 16;
          if (opts.check_trace && r != input_rows.kind_bytes(a)->size()) return bad(i, "wrong input size");
          ex.set(E::kIoN, row, r & 0xFFFFFFFFu);  // the size, looked up in the input table
          break;
        }
        const uint64_t len = read(sp - 1);
        en[0] = en[1] = true, key[0] = sp - 1, key[1] = sp - 2, b = len, x = read(sp - 2);
        host_d = (uint64_t(16 * limb(len, 1)) << 48) | (uint64_t((4 * limb(x, 1)) & 0xFFFF) << 32);
        if (rd_oob) {  // no dst bound: the tail row compares dst's limbs with the memory
          host_d = uint64_t(16 * limb(len, 1)) << 48;
          host_cy = uint64_t(1) << 1;  // E::kRdOob
        }
        // input_read moves its count (which may be less than len), output_write len.
        uint64_t moved = hf == 2 ? uint64_t(uint32_t(s.r)) : len;
        if (rd_oob) {  // the runtime's count (the trapping call records no result)
          const uint64_t kind = read(sp - 4), off = uint32_t(read(sp - 3));
          const std::vector<uint8_t>* kb = input_rows.kind_bytes(kind);
          const uint64_t size = kb ? kb->size() : 0;
          moved = off >= size ? 0 : std::min<uint64_t>(uint32_t(len), size - off);
        }
        io = IoCursor{moved != 0, hf == 3, hf == 2, 0, 0, uint32_t(x), 0, uint32_t(moved), 0};
        ex.set(E::kIoAddr, row, uint64_t(uint32_t(x)));
        ex.set(E::kIoRem, row, moved);
        ex.set(E::kIoInv, row, Fp::from_u64(moved).inverse());
        if (hf == 2) {
          en[2] = true, key[2] = sp - 4, a = read(key[2]), r = moved, nsp = sp - 3;
          EFAAS_RETURN_IF_ERROR(kind_ok(a));
          input_rows.lookup_size(uint32_t(a));
          host_d |= uint64_t(16 * limb(a, 1)) << 16;
          const uint64_t off = read(sp - 3);
          const std::vector<uint8_t>* kb = input_rows.kind_bytes(a);
          const uint64_t size = kb ? kb->size() : 0;
          // The runtime's count: min(len, size - offset), 0 from offset >= size (air.cpp).
          const uint64_t want = uint32_t(off) >= size
                                    ? 0
                                    : std::min<uint64_t>(uint32_t(len), size - uint32_t(off));
          if (opts.check_trace && r != want) {
            return bad(i, "input_read copies " + std::to_string(r) + " bytes, the runtime " +
                              std::to_string(want) + " (len " + std::to_string(uint32_t(len)) +
                              ", offset " + std::to_string(uint32_t(off)) + ", size " +
                              std::to_string(size) + ")");
          }
          host_bh = 2 * limb(r, 1);  // r1 < 2^14 (bh = 2 r1, sb = 0)
          if (r != uint32_t(len) && r != 0) {  // a short copy: len - count = d0 + 2^13 ah
            const uint32_t dd = uint32_t(len) - uint32_t(r);
            ex.set(E::kRdShort, row, uint64_t(1));
            host_d = (host_d & ~uint64_t(0xFFFF)) | (dd & 0xFFFF);
            host_ah = uint64_t(dd >> 16) * 8;
          } else if (r != uint32_t(len)) {  // nothing copied: slot 1 reads the offset
            key[1] = sp - 3, x = off;
            host_d &= ~(uint64_t(0xFFFF) << 32);  // no dst bound
            if (uint32_t(off) < (1u << 28)) {  // offset - size = d0 + 2^13 ah
              const uint32_t dd = uint32_t(uint32_t(off) - size);
              ex.set(E::kRdNone, row, uint64_t(1));
              host_d = (host_d & ~uint64_t(0xFFFF)) | (dd & 0xFFFF);
              host_ah = uint64_t(dd >> 16) * 8;
            } else {  // offset >= 2^28: offset_hi - 2^12 = d2
              ex.set(E::kRdFar, row, uint64_t(1));
              host_d |= uint64_t((limb(off, 1) - (1u << 12)) & 0xFFFF) << 32;
            }
            ex.set(E::kIoAddr, row, uint64_t(uint32_t(x)));  // the cursor's address is slot 1's
          }
          io.kind = uint32_t(a), io.idx = uint32_t(off);
          ex.set(E::kIoKind, row, a);
          ex.set(E::kIoIdx, row, uint64_t(uint32_t(off)));
          ex.set(E::kIoN, row, size);
        } else {
          nsp = sp - 2;
          // A zero-length write moves nothing; the AIR checks src against the page count.
          const uint32_t nz = limb(x, 0) != 0;
          ex.set(E::kWnz, row, uint64_t(nz));
          ex.set(E::kWnzInv, row, Fp::from_u32(limb(x, 0)).inverse());
          if (len == 0) {
            en[2] = true, key[2] = L::kMemSizeKey, a = r = read(key[2]);
            ex.set(E::kWz, row, uint64_t(1));
            host_d |= uint64_t(uint32_t(a - limb(x, 1) - nz) & 0xFFFF) << 16;
            if (opts.check_trace && (m.memories.empty() || uint32_t(x) > a * 65536)) {
              return bad(i, "output_write of 0 bytes at " + std::to_string(uint32_t(x)) +
                                " beyond the memory goes on");
            }
          }
          io.idx = uint32_t(out_now());
          ex.set(E::kIoIdx, row, uint64_t(io.idx));
        }
        break;
      }
      case Op::kMemoryGrow:
        en[2] = true, key[2] = sp - 1, a = s.a, r = s.r;
        break;
      case Op::kUnreachable:
        break;
      default:
        if (mi >= 0 && mem_op_info(op).store) {
          en[0] = en[1] = true, key[0] = sp - 1, key[1] = sp - 2;
          b = r = s.b, x = a = s.a, nsp = sp - 2;
        } else if (mi >= 0) {  // a load
          en[2] = true, key[2] = sp - 1, a = s.a, r = s.r;
        } else if (is_unary(op)) {
          en[2] = true, key[2] = sp - 1, a = s.a, r = s.r;
        } else if (is_binary(op)) {
          en[0] = en[2] = true, key[0] = sp - 1, key[2] = sp - 2;
          a = s.a, b = s.b, r = s.r, nsp = sp - 1;
        } else {
          return internal_error("zkwasm: flagged opcode without a witness rule");
        }
        if (trap_row && alu::is_div(op)) {
          // The trap row writes its code where the result would go (the chip checks it).
          r = trace.end.trap_code;
          if (opts.check_trace && alu::trap_of(op, a, b) != trace.end.trap_code) {
            return bad(i, "the trace ends with trap code " + std::to_string(trace.end.trap_code) +
                              ", which these operands do not raise");
          }
        } else if (opts.check_trace && alu::trap_of(op, a, b) != 0) {
          return bad(i, "the operands trap, but the trace goes on");
        } else if (opts.check_trace && mi < 0 && r != expected_result(op, a, b)) {
          return bad(i, "wrong result");
        }
        break;
    }
    if (host_tail) npc = host_ret;  // back after the call_indirect of the import
    const bool mem_trap = trap_row && mi >= 0 && mem_op_info(op).width != 0;
    const bool abort_row =
        op == Op::kCallHost && (uint32_t(in.b & 0xFFFF) == L::kHostAbortFn ||
                                (!opts.check_trace && trap_row &&
                                 trace.end.trap_code == L::kTrapHostAbort));
    const bool herr_row = op == Op::kCallHost && trap_row && !abort_row &&
                          (trace.end.trap_code == L::kTrapHostError || !opts.check_trace);
    if (trap_row && !(alu::is_div(op) || op == Op::kUnreachable || mem_trap ||
                      op == Op::kCallIndirect || abort_row || stack_trap || herr_row ||
                      rd_oob_row || wr_oob != 0)) {
      return unimplemented("zkwasm: a trap at " + step_name(i, s) + " is not provable yet");
    }
    if (mem_trap) {
      if (opts.check_trace && trace.end.trap_code != L::kTrapMemOob) {
        return bad(i, "a load or store traps with code " + std::to_string(L::kTrapMemOob));
      }
      ex.set(E::kMemTrap, row, uint64_t(1));
    }
    if (opts.check_trace && trap_row && op == Op::kCallIndirect &&
        trace.end.trap_code != L::kTrapUndefinedElem && trace.end.trap_code != L::kTrapCallStack &&
        trace.end.trap_code != L::kTrapUninitElem && trace.end.trap_code != L::kTrapIndirectType) {
      return bad(i, "call_indirect traps with code " + std::to_string(trace.end.trap_code));
    }
    if (opts.check_trace && trap_row && (trace.end.trap_code == L::kTrapHostAbort) != abort_row) {
      return bad(i, "the run ends with trap code " + std::to_string(trace.end.trap_code) +
                        " at a step that does not raise it");
    }
    if (opts.check_trace && stack_trap && trace.end.trap_code != L::kTrapCallStack) {
      return bad(i, "a call traps with code " + std::to_string(L::kTrapCallStack));
    }
    if (opts.check_trace && trap_row && op == Op::kUnreachable &&
        trace.end.trap_code != alu::kTrapUnreachable) {
      return bad(i, "unreachable traps with code " + std::to_string(alu::kTrapUnreachable));
    }
    if (alu::is_alu(op)) {
      ex.set(trap_row ? E::kTrapF : E::kAluF, row, uint64_t(1));
      ex.set(E::kAluUn, row, uint64_t(alu::is_unary(op)));
      ex.set(E::kAluOp, row, uint64_t(op));
      alu_chip.add(op, a, b, r, trap_row);
    } else if (op == Op::kUnreachable) {
      ex.set(E::kUnreachF, row, uint64_t(1));
    } else if (stack_trap || ci_stack_trap) {
      ex.set(E::kUnreachF, row, uint64_t(1));
      ex.set(E::kOpX, row,
             Fp::from_u32(uint32_t(stack_trap ? Op::kCall : Op::kCallIndirect)) -
                 Fp::from_u32(uint32_t(Op::kUnreachable)));
    }
    // Value moves of branches and the return; their values are not in the record.
    if (op == Op::kBr || op == Op::kBrIf) {
      key[0] = op == Op::kBr ? sp - 1 : sp - 2, key[2] = fp + h;
      if (move) en[0] = en[2] = true, b = r = read(key[0]);
    } else if (op == Op::kReturn) {
      key[1] = sp - 1, key[2] = fp;
      if (move) en[1] = en[2] = true, x = r = read(key[1]);
    }
    // The next instruction's record (host I/O rows in between belong to this one).
    size_t nx = i + 1;
    while (nx < n && steps.has(nx) && is_io(steps[nx])) ++nx;
    // A window read for a segment that ends inside this call's I/O rows stops before that
    // record: the state is then the module's next pc and sp (the trace's, when it matches).
    const bool nx_unread = nx < n && !steps.has(nx);
    // Reads must see what memory holds; slot 2's old value is whatever was there.
    if (opts.check_trace) {
      if (en[0] && read(key[0]) != b) return bad(i, "operand differs from the value stored");
      if (en[1] && read(key[1]) != x) return bad(i, "operand differs from the value stored");
      if (en[2] && is_binary(op) && read(key[2]) != a) {
        return bad(i, "operand differs from the value stored");
      }
      if ((is_unary(op) || op == Op::kSelect) && read(key[2]) != a) {
        return bad(i, "operand differs from the value stored");
      }
      if (mi >= 0 && en[2] && op != Op::kMemorySize && read(key[2]) != s.a) {
        return bad(i, "operand differs from the value stored");
      }
      if (op == Op::kReturn && depth == 0) {
        if (i + 1 != n) return bad(i, "return from the entry function is not the last step");
        if (move && (pv.results.size() != 1 || pv.results[0] != x)) {
          return bad(i, "returned value differs from the trace's result");
        }
      } else if (nx_unread) {
        // (checked by the segment that holds it: its entry state is this exit state)
      } else if (nx == n) {
        if (!trap_row && !gas_trap) {
          return bad(i, "the trace ends without returning from the entry function");
        }
      } else if (steps[nx].pc != npc || steps[nx].sp != nsp) {
        return bad(i, "next step's pc " + std::to_string(steps[nx].pc) + "/sp " +
                          std::to_string(steps[nx].sp) + " should be " + std::to_string(npc) +
                          "/" + std::to_string(nsp));
      }
    }
    if (en[2] && !(is_unary(op) || op == Op::kSelect || is_binary(op))) a = read(key[2]);
    // Control columns take the next record's pc/sp (trace-driven), so a forged control transfer
    // shows up as a violated constraint.
    if (nx_unread) {
      exit_pc = npc, exit_sp = nsp;
      io.pc = exit_pc, io.sp = exit_sp;
    } else if (nx < n) {
      exit_pc = steps[nx].pc, exit_sp = steps[nx].sp;
      io.pc = steps[nx].pc, io.sp = steps[nx].sp;  // the state the I/O rows carry
    } else {
      exit_pc = npc, exit_sp = op == Op::kReturn ? fp + in.a : nsp;
      io.pc = exit_pc, io.sp = exit_sp;  // I/O rows before an out-of-gas trap row
    }
    ex.set(E::kNpc, row, uint64_t(exit_pc));
    ex.set(E::kNsp, row, uint64_t(exit_sp));
    ex.set(E::kNfp, row, uint64_t(nfp));
    ex.set(E::kT, row, uint64_t(taken));
    if (wr_oob != 0) ex.set(wr_oob == 1 ? E::kWrOobNear : E::kWrOobFar, row, uint64_t(1));
    ex.set(E::kMove, row, uint64_t(move));
    ex.set_limbs(E::kA, row, a);
    ex.set_limbs(E::kB, row, b);
    ex.set_limbs(E::kX, row, x);
    ex.set_limbs(E::kR, row, r);
    for (uint32_t j = 0; j < 4; ++j) ++range_mult[limb(r, j)];

    // Arithmetic helpers: carries, difference limbs, sign bits.
    uint64_t cy[4] = {0, 0, 0, 0}, d = 0;
    uint32_t ah = 0, bh = 0;
    auto carries = [&](uint64_t u, uint64_t v, uint32_t limbs) {
      uint64_t c = 0;
      for (uint32_t j = 0; j < limbs; ++j) {
        c = (limb(u, j) + limb(v, j) + c) >> 16;
        cy[j] = c;
      }
    };
    const bool wide = op == Op::kI64Add || op == Op::kI64Sub || (op >= Op::kI64LtS && op <= Op::kI64GeU);
    const uint32_t limbs = wide ? 4 : 2;
    switch (op) {
      case Op::kI32Add: case Op::kI64Add: carries(a, b, limbs); break;
      case Op::kI32Sub: case Op::kI64Sub: carries(b, r, limbs); break;
      case Op::kI32LtU: case Op::kI32LtS: case Op::kI32GtU: case Op::kI32GtS:
      case Op::kI32LeU: case Op::kI32LeS: case Op::kI32GeU: case Op::kI32GeS:
      case Op::kI64LtU: case Op::kI64LtS: case Op::kI64GtU: case Op::kI64GtS:
      case Op::kI64LeU: case Op::kI64LeS: case Op::kI64GeU: case Op::kI64GeS: {
        const bool swap = op == Op::kI32GtU || op == Op::kI32GtS || op == Op::kI32LeU ||
                          op == Op::kI32LeS || op == Op::kI64GtU || op == Op::kI64GtS ||
                          op == Op::kI64LeU || op == Op::kI64LeS;
        const bool sgn = op == Op::kI32LtS || op == Op::kI32GtS || op == Op::kI32LeS ||
                         op == Op::kI32GeS || op == Op::kI64LtS || op == Op::kI64GtS ||
                         op == Op::kI64LeS || op == Op::kI64GeS;
        // One flag for the eight (air.cpp): c = [a' < b'] from b' + d = a' + 2^N c, e = [a = b];
        // the bits select the result and the opcode's offset from lt_s.
        const bool p = swap;  // [gt or le]
        const bool q = swap != (op == Op::kI32LeU || op == Op::kI32LeS || op == Op::kI32GeU ||
                                op == Op::kI32GeS || op == Op::kI64LeU || op == Op::kI64LeS ||
                                op == Op::kI64GeU || op == Op::kI64GeS);  // [gt or ge]
        const uint64_t mask = wide ? ~0ull : 0xFFFFFFFFull;
        const uint64_t flip = sgn ? (wide ? 1ull << 63 : 1ull << 31) : 0;
        const uint64_t u = (a ^ flip) & mask, w = (b ^ flip) & mask;
        d = (u - w) & mask;
        carries(w, d, limbs);
        if (!wide) cy[2] = cy[3] = cy[1];
        ah = limb(a, limbs - 1), bh = limb(b, limbs - 1);
        const bool eq = d == 0;
        const Fp dsum = Fp::from_u64(limb(d, 0) + limb(d, 1) + limb(d, 2) + limb(d, 3));
        ex.set(E::kCmpSg, row, uint64_t(sgn));
        ex.set(E::kCmpP, row, uint64_t(p));
        ex.set(E::kCmpQ, row, uint64_t(q));
        ex.set(E::kCmpEq, row, uint64_t(eq));
        ex.set(E::kCmpInv, row, eq ? Fp::zero() : dsum.inverse());
        ex.set(E::kCmpH, row, uint64_t(p && eq));
        ex.set(E::kCmpSa, row, uint64_t(sgn ? ah >> 15 : 0));
        ex.set(E::kCmpSb, row, uint64_t(sgn ? bh >> 15 : 0));
        const uint32_t base = uint32_t(wide ? Op::kI64LtS : Op::kI32LtS);
        ex.set(E::kOpX, row, uint64_t(uint32_t(op) - base));
        break;
      }
      case Op::kI64ExtendI32S: case Op::kI64Extend32S: ah = limb(a, 1); break;
      case Op::kI32Extend16S: case Op::kI64Extend16S: ah = limb(a, 0); break;
      case Op::kBrTable:
        d = (uint32_t(x) - uint32_t(in.b)) & 0xFFFFFFFFull;
        carries(in.b, d, 2);
        break;
      case Op::kCallIndirect:
        if (trap_row && trace.end.trap_code == L::kTrapUndefinedElem) {
          // idx = size + d over two limbs (size in imm_b's upper half).
          d = (uint32_t(x) - uint32_t(in.b >> 32)) & 0xFFFFFFFFull;
          carries(in.b >> 32, d, 2);
        } else {
          d = uint64_t(16 * limb(x, 1)) << 48;  // idx < 2^28
        }
        break;
      default: break;
    }
    if (op == Op::kCallHost) {
      d = host_d, ah = uint32_t(host_ah), bh = uint32_t(host_bh);
      for (uint32_t j = 0; j < 4; ++j) cy[j] = (host_cy >> j) & 1;
    }
    if (ci_stack_trap) cy[2] = 1;  // E::kCiStack
    if (vstack_ci) {
      cy[1] = 1;  // E::kVStackCi
      const uint32_t v = vstack_excess, hi = v >> 16;
      d |= (uint64_t(v & 0xFFFF) << 16) | (uint64_t(hi & 0xFFFF) << 32);
      ah = (2 * hi) & 0xFFFF;
    }
    if (vstack_trap) {
      cy[3] = 1;  // E::kVStack
      const uint32_t v = vstack_excess, hi = v >> 16;
      d = (uint64_t(v & 0xFFFF) << 16) | (uint64_t(hi & 0xFFFF) << 32) |
          (uint64_t((4 * hi) & 0xFFFF) << 48);
    }
    if ((op == Op::kCall || op == Op::kCallIndirect) && !trap_row) {
      // d0 = kMaxCallDepth - 1 - depth: the call stays within the runtime's depth limit.
      if (opts.check_trace && depth >= L::kMaxCallDepth && !host_ci) {
        return bad(i, "a call at depth " + std::to_string(depth) +
                          " goes on beyond RuntimeLimits::max_call_depth = " +
                          std::to_string(L::kMaxCallDepth) + " (a trace recorded under other limits?)");
      }
      d |= uint64_t(uint32_t(L::kMaxCallDepth - 1 - depth) & 0xFFFF);
      if (op == Op::kCall) {  // the callee's frame within the value stack limit
        const uint32_t v = L::kMaxStackSlots - (nfp + imm_a);
        d |= (uint64_t(v & 0xFFFF) << 16) | (uint64_t((v >> 16) & 0xFFFF) << 32) |
             (uint64_t(((v >> 16) << 11) & 0xFFFF) << 48);
      } else {  // call_indirect: the same bound, its high limb bounded through ah = 2 d2
        const uint32_t v = L::kMaxStackSlots - (nfp + ci_height);
        d |= (uint64_t(v & 0xFFFF) << 16) | (uint64_t((v >> 16) & 0xFFFF) << 32);
        ah = 2 * ((v >> 16) & 0xFFFF);
      }
    }
    if (abort_row) cy[0] = 1;  // the abort bit (E::kHab) is carry 0's column
    const uint32_t sa = ah >> 15, sb = bh >> 15;
    for (uint32_t j = 0; j < 4; ++j) {
      ex.set(E::kC + j, row, cy[j]);
      ex.set(E::kD + j, row, uint64_t(limb(d, j)));
      ++range_mult[limb(d, j)];
    }
    ex.set(E::kSa, row, uint64_t(sa));
    ex.set(E::kSb, row, uint64_t(sb));
    ex.set(E::kAh, row, uint64_t(ah));
    ex.set(E::kBh, row, uint64_t(bh));
    const uint32_t alow = ah - (sa << 15), blow = bh - (sb << 15);
    ++range_mult[(2 * alow) & 0xFFFF];
    ++range_mult[(2 * blow) & 0xFFFF];
    // Is-zero of four limbs.
    std::optional<std::array<Fp, 4>> p;
    auto limbs_of = [](uint64_t v) {
      std::array<Fp, 4> out;
      for (uint32_t j = 0; j < 4; ++j) out[j] = Fp::from_u32(limb(v, j));
      return out;
    };
    switch (op) {
      case Op::kI32Eq: case Op::kI32Ne: case Op::kI64Eq: case Op::kI64Ne: {
        std::array<Fp, 4> pa = limbs_of(a), pb = limbs_of(b);
        for (uint32_t j = 0; j < 4; ++j) pa[j] -= pb[j];
        p = pa;
        break;
      }
      case Op::kI32Eqz: case Op::kI64Eqz: p = limbs_of(a); break;
      case Op::kSelect: case Op::kBrIf: case Op::kBrUnless: p = limbs_of(x); break;
      case Op::kReturn: p = limbs_of(depth); break;
      case Op::kCall:  // (not on a trap row: its e bits' column holds E::kCiStack there)
        if (!stack_trap) p = limbs_of((in.b >> 16) & 0xFFFF);
        break;
      case Op::kCallIndirect:
        if (!trap_row) p = limbs_of(nsp - (sp - 1));
        break;
      default: break;
    }
    if (p) {
      bool z[4];
      for (uint32_t j = 0; j < 4; ++j) {
        z[j] = (*p)[j] == Fp::zero();
        ex.set(E::kInv + j, row, z[j] ? Fp::zero() : (*p)[j].inverse());
        ex.set(E::kE + j, row, uint64_t(z[j]));
      }
      ex.set(E::kZ01, row, uint64_t(z[0] && z[1]));
      ex.set(E::kZ23, row, uint64_t(z[2] && z[3]));
      ex.set(E::kZz, row, uint64_t(z[0] && z[1] && z[2] && z[3]));
    }
    // call_indirect's slot index and callee height: the first and last entries of the lookup it
    // shares with br_table (after the is-zero helpers, whose unused inverses share the columns).
    if (op == Op::kCallIndirect) {
      ex.set(E::kSel, row, uint64_t(uint32_t(x)) + (uint64_t(imm_a) << 28));
      ex.set(E::kCHeight, row, uint64_t(ci_height));
      if (host_ci) ex.set(E::kHostCi, row, uint64_t(1));
    }
    // Memory accesses in slot order.
    const uint64_t news[L::kSlots] = {b, x, r};
    access(row, en, key, news);
    if (mi >= 0) {
      const std::string err =
          mem_chip.add(uint32_t(row + 1), op, uint32_t(a), in.b, r, s.aux, 0, 0, 0, mem_trap);
      if (opts.check_trace && !err.empty()) return bad(i, err);
    }

    // An input_read whose copy traps out of bounds: its tail row, the trap row (air.cpp,
    // layout.hpp kRdOob). It reads the offset (slot 0) and the page count (slot 1), moves
    // nothing and carries the byte gas ceil(count / 8) as its gas cost.
    if (rd_oob_row) {
      const uint64_t cnt = io.rem, dst = io.addr, kind = io.kind;
      const uint32_t tsp = sp - 3;
      const uint64_t off = cell_at(tsp).value, pages = cell_at(L::kMemSizeKey).value;
      const std::vector<uint8_t>* kb = input_rows.kind_bytes(kind);
      const uint64_t size = kb ? kb->size() : 0;
      if (opts.check_trace && !gas_trap && (cnt == 0 || dst + cnt <= pages * 65536)) {
        return bad(i, "input_read of " + std::to_string(cnt) + " bytes at " +
                          std::to_string(dst) + " fits the memory of " + std::to_string(pages) +
                          " pages: no trap");
      }
      io.active = false;
      ++row;
      const uint32_t c0 = limb(cnt, 0), g = (c0 + 7) / 8, mg = 8 * g - c0;
      const uint64_t gcost = g + uint64_t(limb(cnt, 1)) * 8192;
      // pc + 1, or a host tail's return
      ex.set_still_state(row, exit_pc, tsp, fp, frames.size(), ninst, gas, out_now());
      ex.set(E::kGasCost, row, gcost);
      // Out of gas inside input_read (trap code 10): the byte gas does not fit, so it is not
      // charged; the tail shows gas + cost - limit - 1 = d1 + 2^14 bh' instead of the memory
      // check (air.cpp).
      const uint64_t gas_excess = gas + gcost - trace.header.gas_limit - 1;
      if (!gas_trap) gas += gcost;  // the byte gas, charged before the trap
      ex.set(E::kMem, row, uint64_t(1));
      ex.set(E::kMemOp, row, uint64_t(uint32_t(Op::kHostWrite)));
      ex.set(E::kIo, row, uint64_t(1));
      ex.set(E::kIoFirst, row, uint64_t(1));
      ex.set(E::kRdOobTail, row, uint64_t(1));
      ex.set(E::kIoAddr, row, Fp::from_u64(dst));
      ex.set(E::kIoIdx, row, uint64_t(uint32_t(off)));
      ex.set(E::kIoRem, row, cnt);
      ex.set(E::kIoKind, row, kind);
      ex.set(E::kIoN, row, cnt);
      ex.set(E::kA, row, Fp::from_u64(dst));
      ex.set_limbs(E::kB, row, off);
      ex.set_limbs(E::kX, row, pages);
      // dst0 + count - 1 = r0 + 2^16 r1, r2 = 8 r1; dst1 + r1 - pages = d1 + bh'.
      const uint64_t lo = limb(dst, 0) + cnt - 1, r1 = (lo >> 16) & 0xFFFF;
      const uint64_t tr = (lo & 0xFFFF) | (r1 << 16) | (((8 * r1) & 0xFFFF) << 32);
      ex.set_limbs(E::kR, row, tr);
      for (uint32_t j = 0; j < 4; ++j) ++range_mult[limb(tr, j)];
      const uint64_t v = gas_trap ? gas_excess & 0xFFFF : limb(dst, 1) + r1 - pages;
      const uint64_t dd = size - uint32_t(off) - cnt;  // size - offset - count = d0 + 2^13 ah'
      const uint64_t td = (dd & 0xFFFF) | (std::min<uint64_t>(v, 0xFFFF) << 16) |
                          (uint64_t(g) << 32) | (uint64_t(16 * limb(off, 1)) << 48);
      const uint32_t tah = uint32_t(((dd >> 16) * 8) & 0x7FFF);
      const uint32_t tbh = gas_trap ? uint32_t(((gas_excess >> 16) * 4) & 0x7FFF)
                                    : uint32_t((v - std::min<uint64_t>(v, 0xFFFF)) & 0x7FFF);
      for (uint32_t j = 0; j < 4; ++j) {
        ex.set(E::kD + j, row, uint64_t(limb(td, j)));
        ++range_mult[limb(td, j)];
      }
      ex.set(E::kAh, row, uint64_t(tah));
      ex.set(E::kBh, row, uint64_t(tbh));
      ++range_mult[(2 * tah) & 0xFFFF];
      ++range_mult[(2 * tbh) & 0xFFFF];
      ex.set(E::kC + 1, row, uint64_t(mg & 1));  // 8 d2 - count0 = c1 + 2 c2 + 4 c3
      ex.set(E::kC + 2, row, uint64_t((mg >> 1) & 1));
      ex.set(E::kC + 3, row, uint64_t((mg >> 2) & 1));
      const bool ten[L::kSlots] = {true, true, false};
      const uint32_t tkey[L::kSlots] = {tsp, L::kMemSizeKey, 0};
      const uint64_t tnews[L::kSlots] = {off, pages, 0};
      access(row, ten, tkey, tnews);
    }
    // Frames, and the zero-local rows of a call: write 0 to slots [sp, sp + declared locals)
    // of the callee's frame, keeping its state.
    if ((op == Op::kCall || op == Op::kCallIndirect) && !trap_row && !host_ci) {
      const uint32_t base = op == Op::kCall ? sp : sp - 1;  // call_indirect popped idx
      const uint32_t declared = nsp - base;
      frames.push_back(Frame{s.pc + 1, fp});
      fp = nfp;
      const uint32_t entry = npc, csp = nsp;
      if (declared != 0) exit_pc = entry, exit_sp = csp;  // what the zero rows' next state says
      for (uint32_t z = 0; z < declared; ++z) {
        if (seg && seg->zero_cut != 0 && row + 1 == seg->zero_cut) {  // the segment is full
          zl_exit = SegmentState::ZeroCursor{true, base + z};
          break;
        }
        ++row;
        zero_row(entry, csp, base + z);
      }
    } else if (op == Op::kReturn && depth > 0) {
      frames.pop_back();
      fp = nfp;
    }
  }
  if (io.active && (!seg || seg->last) && opts.check_trace) {
    return invalid_argument("zkwasm: the trace ends inside a host call's I/O rows");
  }
  if (opts.check_trace &&
      (out_now() > trace.end.output.size() ||
       !std::equal(pv.output.begin(), pv.output.end(), trace.end.output.begin() + long(out_base)) ||
       ((!seg || seg->last) && out_now() != trace.end.output.size()))) {
    return invalid_argument("zkwasm: the trace's output differs from its output rows");
  }
  // Out of gas (docs/zkwasm.md "Traps"): a trap row for the instruction that is not run, at the
  // state the last record left (the entry state when none ran). It sends that instruction's
  // program tuple, touches nothing and shows gas + cost - limit - 1 = d0 in range.
  if (gas_row && !host_gas_laid) {
    const uint32_t gpc = row != 0 ? exit_pc : seg ? seg->entry.pc : entry->first;
    const uint32_t gsp = row != 0 ? exit_sp : seg ? seg->entry.sp : entry->second;
    if (gpc >= m.code.size()) {
      return invalid_argument("zkwasm: the trace runs out of gas at pc " + std::to_string(gpc) +
                              ", beyond the module's code");
    }
    wasm::Instr in = m.code[gpc];
    const uint32_t imm_a = program_imm_a(m, in);
    in.b = program_imm_b(m, in);
    const uint64_t limit = trace.header.gas_limit;
    if (opts.check_trace && (gas > limit || gas + in.gas <= limit)) {
      return invalid_argument(
          "zkwasm: the trace runs out of gas before pc " + std::to_string(gpc) + " (" +
          std::string(wasm::op_info(in.op).name) + ", cost " + std::to_string(in.gas) + ") with " +
          std::to_string(gas) + " gas used, which the trace's gas limit " + std::to_string(limit) +
          " does not explain");
    }
    ++prog_mult[gpc];
    ex.set_still_state(row, gpc, gsp, fp, frames.size(), ninst + 1, gas, out_now());
    ex.set(E::kGasCost, row, uint64_t(in.gas));
    ex.set(E::kImmA, row, uint64_t(imm_a));
    ex.set_limbs(E::kImmB, row, in.b);
    ex.set(E::kUnreachF, row, uint64_t(1));
    ex.set(E::kGasTrap, row, uint64_t(1));
    const Fp opx = Fp::from_u32(uint32_t(in.op)) - Fp::from_u32(uint32_t(Op::kUnreachable));
    ex.set(E::kOpX, row, opx);
    ex.set(E::kGasOpX, row, opx);
    // gas + cost - limit - 1 (a forged trace's negative value lands outside the range table).
    ex.set(E::kD, row, Fp::from_u64(gas + in.gas) - Fp::from_u64(limit) - Fp::one());
    ++range_mult[(gas + in.gas - limit - 1) & 0xFFFF];
    range_mult[0] += 4 + 3 + 2;  // r, d1..d3, sign-bit helpers
    const bool gen[L::kSlots] = {false, false, false};
    const uint32_t gkey[L::kSlots] = {0, 0, 0};
    const uint64_t gnews[L::kSlots] = {0, 0, 0};
    access(row, gen, gkey, gnews);
    ++row;
  }
  pv.gas_used = seg ? seg->gas_used : gas;
  SegmentState seg_exit;
  if (seg && !seg->last) {
    if (row == 0) return invalid_argument("zkwasm: an empty segment");
    ex.set(E::kEnd, row - 1, uint64_t(1));
    seg_exit = SegmentState{exit_pc, exit_sp, fp, uint32_t(frames.size()), gas, ninst, out_now()};
    if (io.active) {
      // A cut inside a host call's I/O rows: the next I/O row's cursor crosses. The `end` row
      // must be the table's last row (the I/O chain's transition would demand another I/O
      // row after it), so such a segment fills its table (SegmentPlanner cuts it so).
      seg_exit.io = SegmentState::IoCursor{true, io.out, io.addr, io.idx, io.rem, io.kind};
    }
    seg_exit.zl = zl_exit;  // or a cut inside a call's zero-local rows, likewise a full table
    if (io.active || zl_exit.active) {
      if (row != rows) {
        return internal_error("zkwasm: a segment ending inside I/O or zero-local rows has " +
                              std::to_string(row) + " rows, not a full table of " +
                              std::to_string(rows));
      }
    }
    if (out) out->exit = seg_exit;
  } else if (opts.check_trace && trace.end.gas_used != gas) {
    return invalid_argument("zkwasm: the trace's gas used " + std::to_string(trace.end.gas_used) +
                            " differs from its steps' costs " + std::to_string(gas));
  }
  // Padding rows: steps continue, nothing else.
  for (size_t pad = row; pad < rows; ++pad) {
    ex.set(E::kStep, pad, uint64_t(pad + 1));
    range_mult[0] += 4 + 4 + 2 + L::kSlots + 1;  // r, d, signs, gap limbs, slot 2's byte
    ++byte_mult[0];  // slots 0 and 1's gap bytes
  }

  timer.mark("exec pass");
  // Memory table: one row per key, sorted.
  std::map<uint32_t, Cell> sorted(mem.begin(), mem.end());
  using M = L::Mem;
  const size_t mrows = size_t(1) << table_log_rows(sorted.size());
  std::vector<Fp> mc(size_t(M::kWidth) * mrows, Fp::zero());
  {
    size_t row = 0;
    uint32_t prev = 0;
    for (const auto& [k, cell] : sorted) {
      mc[M::kReal * mrows + row] = Fp::one();
      mc[M::kKey * mrows + row] = Fp::from_u32(k);
      mc[M::kFinalTs * mrows + row] = Fp::from_u32(cell.ts);
      const auto ev = entry_values.find(k);
      for (uint32_t j = 0; j < 4; ++j) {
        mc[(M::kFinal + j) * mrows + row] = Fp::from_u32(limb(cell.value, j));
        if (ev != entry_values.end()) {
          mc[(M::kEntry + j) * mrows + row] = Fp::from_u32(limb(ev->second, j));
        }
      }
      if (out) {
        out->keys.push_back(k);
        out->exit_values.push_back(cell.value);
      }
      const uint32_t dd = row == 0 ? 0 : k - prev - 1;
      mc[M::kKeyLo * mrows + row] = Fp::from_u32(k & 0xFFFF);
      mc[M::kKeyHi * mrows + row] = Fp::from_u32(k >> 16);
      ++range_mult[k & 0xFFFF];
      ++range_mult[(k >> 16) & 0xFFFF];
      ++range_mult[((k >> 16) * 4) & 0xFFFF];
      mc[M::kDlo * mrows + row] = Fp::from_u32(dd & 0xFFFF);
      mc[M::kDhi * mrows + row] = Fp::from_u32(dd >> 16);
      ++range_mult[dd & 0xFFFF];
      ++range_mult[(dd >> 16) & 0xFFFF];
      ++range_mult[((dd >> 16) * 8) & 0xFFFF];
      prev = k;
      ++row;
    }
    range_mult[0] += 6 * (mrows - row);
  }

  timer.mark("memory table");
  MachineWitness w;
  w.main.resize(L::kNumTables);
  w.main[L::kExec] = ex.take();
  {
    std::vector<Fp> pm(prog_mult.size());
    for (size_t i = 0; i < pm.size(); ++i) pm[i] = Fp::from_u64(prog_mult[i]);
    w.main[L::kProgram] = std::move(pm);
  }
  w.main[L::kMemory] = std::move(mc);
  w.main[L::kInit] = std::vector<Fp>(program.fixed_columns()[L::kInit].size() / L::Init::kPreWidth,
                                     Fp::zero());
  w.main[L::kInput] = input_rows.take();
  // The private input's tables (private_input.hpp), only when this run or segment reads kind 4;
  // their bytes' range lookups count in byte_mult before the range table is laid out.
  std::optional<priv::PrivateTables> private_tables;
  if (input_rows.reads_private()) {
    private_tables = priv::private_tables(*opts.private_input, input_rows.private_byte_lookups(),
                                          input_rows.private_size_lookups(), byte_mult,
                                          range_mult);
    pv.private_digest = priv::private_input_digest(*opts.private_input);
    if (opts.check_trace && private_tables->digest != *pv.private_digest) {
      return internal_error("zkwasm: the private sponge table's digest differs from the reference");
    }
  }
  w.public_interactions = io_public_interactions(*input, pv.output);
  {
    using A = L::Args;
    std::vector<Fp> ac(size_t(A::kWidth) * A::kRows, Fp::zero());
    for (size_t i = 0; i < pv.args.size(); ++i) {
      ac[A::kMult * A::kRows + i] = Fp::one();
      for (uint32_t j = 0; j < 4; ++j) ac[(A::kValue + j) * A::kRows + i] = Fp::from_u32(limb(pv.args[i], j));
    }
    w.main[L::kArgs] = std::move(ac);
  }
  timer.mark("input, args");
  // The ALU chip, mem_access and bitwise tables (before the range table: their lookups count
  // there) depend only on the exec pass's records: built in parallel, the chips' lookups into
  // multiplicities of their own, added after (sums, so the bytes do not depend on the order).
  std::vector<uint64_t> alu_range(range_mult.size(), 0), alu_byte(byte_mult.size(), 0);
  std::vector<uint64_t> bw_and(and_mult.size(), 0), shift_range(range_mult.size(), 0);
  pool.parallel_for(3, 1, [&](size_t begin, size_t end) {
    for (size_t task = begin; task < end; ++task) {
      switch (task) {
        case 0:  // the largest first
          w.main[L::kAlu] = alu_chip.chip_columns(table_log_rows(alu_chip.rows()), alu_range, alu_byte);
          break;
        case 1:  // adds its padding lookups to range_mult and and_mult: no other task writes them
          w.main[L::kMemAccess] = mem_chip.take(table_log_rows(mem_chip.rows()));
          break;
        default:
          w.main[L::kBitwise] = alu_chip.bitwise_columns(table_log_rows(alu_chip.bitwise_rows()), bw_and);
          w.main[L::kShift] = alu_chip.shifts().columns(table_log_rows(alu_chip.shifts().rows()), shift_range);
          break;
      }
    }
  });
  for (size_t i = 0; i < range_mult.size(); ++i) {
    range_mult[i] += alu_range[i] + shift_range[i];
    byte_mult[i] += alu_byte[i];
    and_mult[i] += bw_and[i];
  }
  w.main[L::kBitCount] = alu_chip.bitcount_columns();
  w.main[L::kShiftBytes] = alu_chip.shifts().bytes_columns();
  timer.mark("alu, mem_access, bitwise");
  {
    const size_t rows = range_mult.size();
    std::vector<Fp> rc(L::Range::kWidth * rows);
    for (size_t i = 0; i < rows; ++i) {
      rc[L::Range::kRangeMult * rows + i] = Fp::from_u64(range_mult[i]);
      rc[L::Range::kAndMult * rows + i] = Fp::from_u64(and_mult[i]);
      rc[L::Range::kByteMult * rows + i] = Fp::from_u64(byte_mult[i]);
    }
    w.main[L::kRange] = std::move(rc);
  }
  {
    std::vector<Fp> bc(brt_mult.size());
    for (size_t i = 0; i < bc.size(); ++i) bc[i] = Fp::from_u64(brt_mult[i]);
    w.main[L::kBrTargets] = std::move(bc);
  }
  {
    std::vector<Fp> col(slot_mult.size());
    for (size_t k = 0; k < col.size(); ++k) col[k] = Fp::from_u64(slot_mult[k]);
    w.main[L::kSlotTable] = std::move(col);
  }
  timer.mark("range, small");
  auto pubs = public_inputs(program, pv);
  if (!pubs) return pubs.status();
  w.publics = std::move(*pubs);
  if (seg) {
    // pv.output holds this segment's bytes; the claim is about the whole run's output.
    w.publics[L::kPubOutputLen] = Fp::from_u64(seg->output_len);
    set_segment_publics(w.publics, seg->index, seg->last, seg->entry, seg_exit);
    w.public_interactions = io_public_interactions(*input, pv.output, out_base);
    if (out) {
      const auto b = boundary_interactions(out->keys, *seg->image, out->exit_values);
      w.public_interactions.insert(w.public_interactions.end(), b.begin(), b.end());
    }
  }
  if (private_tables) priv::append_private(w, std::move(*private_tables));
  return w;
}

}  // namespace efaas::zkwasm
