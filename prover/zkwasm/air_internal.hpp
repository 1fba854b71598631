#pragma once
// Internals shared by the zkWASM AIR, witness generation and the prover/verifier.
#include <cstddef>
#include <cstdint>
#include <map>
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
// log2 of a table's height for `rows` rows (at least kMinLogRows).
uint32_t table_log_rows(size_t rows);
// The program table's imm_b of an instruction: Instr::b, except for calls: params, declared
// locals and the callee's entry pc (16-bit limbs), which the call row needs.
uint64_t program_imm_b(const wasm::Module& m, const wasm::Instr& in);
// The program row's imm_a: the instruction's, except for a direct call of a defined function,
// whose callee's frame height (locals and deepest operand stack) bounds the value stack.
uint32_t program_imm_a(const wasm::Module& m, const wasm::Instr& in);
// The module's function table after its element segments, as the fixed slot table holds it:
// one row per slot holding a defined function or nothing (empty), sorted by slot; slots
// holding imported functions have none. Contents unknown here (an imported table, a segment
// placed by a global, more than 2^20 slots): no rows and size 0xFFFFFFFF (layout.hpp).
struct SlotTable {
  struct Row {
    uint32_t slot = 0, func = 0;
    bool empty = true;
  };
  uint32_t size = 0xFFFFFFFFu;
  std::vector<Row> rows;
  std::vector<int32_t> row_of;  // per slot below size: its row, or -1
};
SlotTable slot_table(const wasm::Module& m);
// The host function (2 input_read, 3 output_write) whose copy traps out of bounds at the end of
// the trace (trap 2 inside the host function), or 0. Its byte gas has no I/O rows; an
// input_read's call row is followed by one tail row (layout.hpp, kRdOob), so that trapping
// step takes two execution rows.
uint32_t ends_with_host_io_oob(const wasm::Module& m, const wasm::Trace& trace);
// Per table: fixed columns, column-major (empty for tables without).
std::vector<std::vector<Fp>> fixed_columns(const wasm::Module& m);

struct WitnessOptions {
  bool check_trace = true;
  std::vector<uint64_t> args;
  std::vector<uint8_t> public_input;  // encode_public_inputs() of an Extension run, or empty
  // Threads for the parts that run in parallel (0: the global pool; 1: all on the caller's).
  size_t threads = 0;
};
// Main columns of every table and the public values, from the trace records alone.
Result<MachineWitness> build_witness(const Program& program, const wasm::Trace& trace,
                                     const WitnessOptions& opts, PublicValues& pv);

}  // namespace efaas::zkwasm
