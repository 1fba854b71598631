#pragma once
// A decoded, validated and compiled WebAssembly module (1.0 integer subset + sign extension).
//
// load_module() checks the binary format, rejects floating point with the opcode and byte
// offset, validates every function and compiles it into `code`: one Instr per executed
// instruction with resolved branch targets and stack heights. The index of an Instr in `code` is
// the program counter that traces and the zkWASM program table use.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "prover/common/status.hpp"
#include "prover/wasm/opcodes.hpp"

namespace efaas::wasm {

enum class ValType : uint8_t { kI32 = 0x7F, kI64 = 0x7E };
const char* val_type_name(ValType t);

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType&) const = default;
};
std::string func_type_string(const FuncType& t);  // "(i32 i64) -> (i32)"

enum class ExternKind : uint8_t { kFunc = 0, kTable = 1, kMemory = 2, kGlobal = 3 };
const char* extern_kind_name(ExternKind k);

struct Limits {
  uint32_t min = 0;
  bool has_max = false;
  uint32_t max = 0;
};

struct GlobalType {
  ValType type = ValType::kI32;
  bool is_mutable = false;
};

struct Import {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::kFunc;
  uint32_t type_index = 0;  // functions
  Limits limits;            // tables and memories
  GlobalType global;        // globals
};

struct Export {
  std::string name;
  ExternKind kind = ExternKind::kFunc;
  uint32_t index = 0;
};

// A constant expression: i32.const, i64.const or global.get of an imported global.
struct ConstExpr {
  enum class Kind : uint8_t { kConst, kGlobal } kind = Kind::kConst;
  uint64_t value = 0;
  uint32_t global_index = 0;
};

struct ElemSegment {
  ConstExpr offset;
  std::vector<uint32_t> funcs;
  uint32_t table = 0;  // nonzero only in a combined module of several tables (static_link.hpp)
};

struct DataSegment {
  ConstExpr offset;
  std::vector<uint8_t> bytes;
  uint32_t memory = 0;  // nonzero only in a combined module of several memories
};

// One compiled instruction. `a` and `b` by op:
//   br, br_if, br_unless: a = target pc, b = (arity << 32) | stack height at the label (relative
//     to the frame base); br_table: a = first BrTarget, b = number of targets (last = default)
//   call, call_host: a = function index; call_indirect: a = type index, b = table index
//   local.*: a = local index; global.*: a = global index; loads/stores: a = offset, b = memory
//     index; memory.size/grow: b = memory index (the indices are nonzero only in a combined
//     module of several memories or tables, static_link.hpp)
//   i32.const/i64.const: b = value; return: a = arity
struct Instr {
  Op op;
  uint16_t gas;
  uint32_t a;
  uint64_t b;
};
static_assert(sizeof(Instr) == 16);

struct BrTarget {
  uint32_t pc;
  uint32_t height;
  uint32_t arity;
};

struct Function {
  uint32_t type_index = 0;
  uint32_t num_locals = 0;      // parameters included
  std::vector<ValType> locals;  // declared locals (after the parameters)
  uint32_t entry_pc = 0;
  uint32_t max_height = 0;   // locals + deepest operand stack, in slots
  uint32_t body_offset = 0;  // byte offset of the body in the module
};

struct Module {
  std::vector<FuncType> types;
  std::vector<uint32_t> canonical_type;  // per type index: the first index of an equal type
  std::vector<Import> imports;
  std::vector<uint32_t> func_type_index;  // every function (imports first) -> type index
  uint32_t num_imported_funcs = 0;
  uint32_t num_imported_globals = 0;
  std::vector<Function> funcs;   // defined functions, index = function index - imports
  // Imported first; at most one each in a decoded module, several in a combined one.
  std::vector<Limits> tables;
  std::vector<Limits> memories;
  bool table_imported = false;   // table 0 is imported
  bool memory_imported = false;  // memory 0 is imported
  std::vector<GlobalType> global_types;  // every global, imports first
  std::vector<ConstExpr> global_inits;   // defined globals only
  std::vector<Export> exports;
  std::optional<uint32_t> start;
  std::vector<ElemSegment> elems;
  std::vector<DataSegment> datas;
  std::vector<Instr> code;
  std::vector<BrTarget> br_targets;

  const FuncType& func_type(uint32_t func_index) const {
    return types[func_type_index[func_index]];
  }
  const Export* find_export(std::string_view name) const;
};

struct LoadOptions {
  uint32_t max_locals_per_function = 50000;
  uint32_t max_functions = 1u << 20;
  uint64_t max_code_instructions = 1u << 26;
};

// Decodes, validates and compiles. Errors:
//   OUT_OF_RANGE      the module uses floating point (message names the opcode or type and the
//                     byte offset) - valid WebAssembly that eFaaS does not execute
//   INVALID_ARGUMENT  "malformed: ..." (binary format) or "invalid: ..." (validation), with the
//                     byte offset
Result<std::shared_ptr<const Module>> load_module(std::span<const uint8_t> bytes,
                                                  const LoadOptions& options = {});

// True when `s` is load_module's floating-point rejection.
inline bool is_float_rejection(const Status& s) {
  return s.code() == StatusCode::kOutOfRange;
}

}  // namespace efaas::wasm
