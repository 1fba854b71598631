#pragma once
// Linear memory of the zkWASM AIR (docs/zkwasm.md, "Linear memory"): the mem_access table that
// proves loads, stores, memory.size and memory.grow for the execution table, and its witness.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "prover/air/air.hpp"
#include "prover/common/status.hpp"
#include "prover/field/babybear.hpp"
#include "prover/wasm/module.hpp"

namespace efaas::zkwasm {

// A key's last access in the memory argument: timestamp and value (4 limbs as a u64).
struct MemCell {
  uint32_t ts = 0;
  uint64_t value = 0;
};
using MemState = std::unordered_map<uint32_t, MemCell>;

struct MemOpInfo {
  uint32_t width = 0;  // bytes accessed (0: memory.size / memory.grow)
  bool store = false, is_signed = false, is64 = false, size = false, grow = false;
};
MemOpInfo mem_op_info(wasm::Op op);

// A memory of the module at instantiation: pages, the grow limit (declared maximum capped at
// kMaxPages) and the nonzero 8-byte words of its data segments (the fixed `init` rows).
struct MemoryImage {
  bool present = false;
  uint32_t pages = 0;
  uint32_t max_pages = 0;
  std::map<uint32_t, uint64_t> words;  // word index -> little-endian bytes
};
// One per memory (several only in a combined module of a link set; memory index = position).
// UNIMPLEMENTED for imported memories, data segments placed by imported globals and more than
// kMaxMemories memories; INVALID_ARGUMENT for segments outside the initial memory or more than
// kMaxPages pages.
Result<std::vector<MemoryImage>> memory_images(const wasm::Module& m);

air::TableAir memory_access_table();

// Rows of the mem_access table, built alongside the execution table. Reads and writes the
// shared memory state at timestamp 4 * step + 3 and counts its range and byte lookups.
class MemChipBuilder {
 public:
  MemChipBuilder(MemState& mem, std::vector<uint64_t>& range_mult, std::vector<uint64_t>& and_mult)
      : mem_(mem), range_mult_(range_mult), and_mult_(and_mult) {}
  // One op of the execution row `step`: `base` the address operand (delta for memory.grow),
  // `imm_b` the program's imm_b (offset; grow limit; the memory id in bits 32-47), `value` the
  // loaded / stored / result value from the trace, `ea` the trace's effective address. Returns
  // "" or, when the trace disagrees with memory, what differs (the witness is built from the
  // trace either way).
  // Host I/O rows (host_read / host_write): `host_n` bytes, input kind and the input offset or
  // output index of byte 0. `trap`: the trace ends here with an out-of-bounds trap (the row
  // then proves base + offset + width > the memory size and touches no word).
  std::string add(uint32_t step, wasm::Op op, uint32_t base, uint64_t imm_b, uint64_t value,
                  uint32_t ea, uint32_t host_n = 0, uint32_t kind = 0, uint32_t idx = 0,
                  bool trap = false);
  // Continuations: where a key not yet in the state comes from (a segment's entry image);
  // unset, such a key starts at (timestamp 0, value 0).
  void set_fetch(std::function<MemCell&(uint32_t)> fetch) { fetch_ = std::move(fetch); }
  size_t rows() const { return rows_.size() / kW; }
  // Column-major main columns of 2^log_rows rows (padding rows zero).
  std::vector<Fp> take(uint32_t log_rows);

 private:
  static constexpr uint32_t kW = 192;  // >= MemAccess::kWidth (static_assert in the .cpp)
  void range(uint64_t v) { ++range_mult_[v & 0xFFFF]; }
  MemCell& cell(uint32_t key) { return fetch_ ? fetch_(key) : mem_[key]; }
  MemState& mem_;
  std::function<MemCell&(uint32_t)> fetch_;
  std::vector<uint64_t>& range_mult_;
  std::vector<uint64_t>& and_mult_;
  std::vector<Fp> rows_;  // row-major
};

}  // namespace efaas::zkwasm
