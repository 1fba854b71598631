#pragma once
// Internals shared by the zkWASM AIR, witness generation and the prover/verifier.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "prover/air/air.hpp"
#include "prover/stark/stark.hpp"
#include "prover/wasm/module.hpp"
#include "prover/wasm/trace.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::zkwasm {

inline constexpr uint32_t kMinLogRows = 3;
// At most 2^22 execution rows: timestamps 4 * row + slot stay below 2^25 and the gaps between
// accesses below 2^24, which the execution table checks as a 16-bit limb and a byte
// (docs/zkwasm.md, "Memory argument"). A segment that is not the last can end with a real row
// (step 2^log), whose gaps reach 2^(log + 2) + 1: segments have at most 2^21 rows.
inline constexpr uint32_t kMaxLogExecRows = 22;
static_assert(kMaxSegmentLog + 1 == kMaxLogExecRows);

// The universal machine (built once).
const air::MachineAir& machine_air();
// The same with the private input's tables appended (runs that read input kind 4), and the
// machine of a witness or proof with `tables` tables.
const air::MachineAir& private_machine_air();
inline const air::MachineAir& machine_air(bool with_private) {
  return with_private ? private_machine_air() : machine_air();
}
// log2 of a table's height for `rows` rows (at least kMinLogRows).
uint32_t table_log_rows(size_t rows);
// The program table's imm_b of an instruction: Instr::b, except for calls: params, declared
// locals and the callee's entry pc (16-bit limbs), which the call row needs.
uint64_t program_imm_b(const wasm::Module& m, const wasm::Instr& in);
// The program row's imm_a: the instruction's, except for a direct call of a defined function,
// whose callee's frame height (locals and deepest operand stack) bounds the value stack, and
// call_indirect: its table (Instr::b; nonzero only in a combined module of several tables).
// Takes the module's instruction (before program_imm_b replaces its b).
uint32_t program_imm_a(const wasm::Module& m, const wasm::Instr& in);
// The module's function tables after their element segments, as the fixed slot table holds
// them: one row per slot holding a defined function, an imported one (host tag) or nothing
// (empty), table by table, sorted by slot; a row's `slot` is slot + 2^28 * table (the
// call_indirect row sends idx + 2^28 * imm_a, idx < 2^28). A table whose contents are unknown
// here (imported, a segment placed by a global, more than 2^20 slots) has no rows and size
// 0xFFFFFFFF (layout.hpp).
struct SlotTable {
  struct Row {
    uint32_t slot = 0, func = 0;
    bool empty = true;
    bool host = false;  // an imported function (tag kHostSlotTag)
  };
  struct Part {
    uint32_t size = 0xFFFFFFFFu;
    std::vector<int32_t> row_of;  // per slot below size: its row, or -1
  };
  std::vector<Row> rows;
  std::vector<Part> tables;  // per table index
  const Part& of(uint32_t table) const {
    static const Part kNone;
    return table < tables.size() ? tables[table] : kNone;
  }
};
SlotTable slot_table(const wasm::Module& m);

// call_indirect of an imported (host) function (docs/zkwasm.md, "Host I/O"). The runtime
// records it as one call_indirect step (aux = the import) followed by the host function's I/O
// rows; the prover expands it into that step and a "host tail" record: a call_host step at the
// import's host pc (kHostPcBase + import), one value lower on the stack (the index popped),
// which is no instruction of its own and costs no gas.
inline bool is_host_tail(const wasm::StepRecord& s) {
  return s.op == uint16_t(wasm::Op::kCallHost) && s.pc >= (1u << 27);  // layout::kHostPcBase
}
// The imports that some table slot holds, ascending: each has a program row at its host pc,
// after the module's instructions (program row code.size() + its position here).
std::vector<uint32_t> host_slot_imports(const wasm::Module& m);
// The program row of a host tail at `pc` (its index among the program table's rows and the
// instruction it holds), or none when no slot holds that import.
struct HostTailInstr {
  size_t row = 0;
  wasm::Instr instr{};
};
std::optional<HostTailInstr> host_tail_instr(const wasm::Module& m,
                                            const std::vector<uint32_t>& imports, uint32_t pc);
// The trace with every call_indirect of an import expanded (above), or none when it has none.
std::optional<wasm::Trace> expand_host_calls(const wasm::Module& m, const wasm::Trace& trace);
// The host function (2 input_read, 3 output_write) whose copy traps out of bounds at the end of
// the run (trap 2 inside the host function; the last record may be a host tail, reached through
// call_indirect), or 0, from the run's last record and its end. Its
// byte gas has no I/O rows; an input_read's call row is followed by one tail row (layout.hpp,
// kRdOob), so that trapping step takes two execution rows.
uint32_t host_io_oob_at_end(const wasm::Module& m, const wasm::StepRecord& last,
                            const wasm::TraceEnd& end);
inline uint32_t ends_with_host_io_oob(const wasm::Module& m, const wasm::Trace& trace) {
  return trace.steps.empty() ? 0 : host_io_oob_at_end(m, trace.steps.back(), trace.end);
}
// Per table: fixed columns, column-major (empty for tables without).
std::vector<std::vector<Fp>> fixed_columns(const wasm::Module& m);

struct WitnessOptions {
  bool check_trace = true;
  std::vector<uint64_t> args;
  std::vector<uint8_t> public_input;  // encode_public_inputs() of an Extension run, or empty
  // The private input (kind 4), when the prover has it; its tables join only if the run reads it.
  std::optional<std::vector<uint8_t>> private_input;
  // Threads for the parts that run in parallel (0: the global pool; 1: all on the caller's).
  size_t threads = 0;
};
// Main columns of every table and the public values, from the trace records alone.
Result<MachineWitness> build_witness(const Program& program, const wasm::Trace& trace,
                                     const WitnessOptions& opts, PublicValues& pv);

}  // namespace efaas::zkwasm
