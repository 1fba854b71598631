#pragma once
// The one opcode table of the WebAssembly runtime. It drives the decoder (which bytes are
// instructions and what immediates follow), the validator (operand and result types), the
// interpreter (one handler per entry, gas cost) and the trace layout (what a step record's
// fields mean for each opcode). The zkWASM AIR reads the same table.
//
// Internal ops (byte kNoByte) are produced by the compiler: `if` becomes br_unless, a function's
// final `end` becomes return, calls to imports become call_host, and host I/O on linear memory
// shows up in traces as host_read / host_write records. Structural markers (block, loop, nop,
// end of a block) compile to nothing and are never executed.
#include <cstdint>
#include <string_view>

namespace efaas::wasm {

enum class Imm : uint8_t {
  kNone,
  kBlockType,   // block, loop, if
  kLabel,       // br, br_if
  kBrTable,     // vector of labels + default
  kFunc,        // call
  kCallIndirect,// type index + reserved 0x00
  kLocal,
  kGlobal,
  kMem,         // align, offset
  kMemIndex,    // memory.size, memory.grow: reserved 0x00
  kI32,
  kI64,
};

// What a step record's aux/a/b/r hold for an opcode (see trace.hpp).
enum class TraceShape : uint8_t {
  kNone,      // no operands (nop-like, unreachable)
  kConst,     // r = constant
  kUnary,     // a = operand, r = result
  kBinary,    // a, b = operands, r = result
  kLoad,      // aux = effective address, a = base address, r = value loaded
  kStore,     // aux = effective address, a = base address, b = value stored, r = the bytes it
              // overwrote (so every write row carries the old value for memory checking)
  kLocalRead, // aux = local index, r = value
  kLocalWrite,// aux = local index, a = value written (tee also pushes it), r = value overwritten
  kGlobalRead,  // aux = global index, r = value
  kGlobalWrite, // aux = global index, a = value written, r = value overwritten
  kBranch,    // aux = target pc taken (or next pc), a = condition / br_table index
  kCall,      // aux = callee function index, a = table index for call_indirect
  kReturn,    // aux = pc returned to (0xffffffff when leaving the entry function)
  kSelect,    // a, b = values, aux = condition, r = result
  kMemGrow,   // a = delta pages, r = previous size or 0xffffffff
  kHostIo,    // aux = address, a = up to 8 bytes little-endian, b = byte count; host_write:
              // r = the bytes overwritten
};

// X(id, byte, mnemonic, immediate, signature "params:results" with i = i32 and I = i64
//   ("*" = checked by hand), gas cost, access bytes for loads/stores, trace shape)
#define EFAAS_WASM_OPCODES(X)                                                   \
  X(kUnreachable, 0x00, "unreachable", kNone, "*", 1, 0, kNone)                 \
  X(kNop, 0x01, "nop", kNone, "*", 0, 0, kNone)                                 \
  X(kBlock, 0x02, "block", kBlockType, "*", 0, 0, kNone)                        \
  X(kLoop, 0x03, "loop", kBlockType, "*", 0, 0, kNone)                          \
  X(kIf, 0x04, "if", kBlockType, "*", 0, 0, kNone)                              \
  X(kElse, 0x05, "else", kNone, "*", 0, 0, kNone)                               \
  X(kEnd, 0x0B, "end", kNone, "*", 0, 0, kNone)                                 \
  X(kBr, 0x0C, "br", kLabel, "*", 1, 0, kBranch)                                \
  X(kBrIf, 0x0D, "br_if", kLabel, "*", 1, 0, kBranch)                           \
  X(kBrTable, 0x0E, "br_table", kBrTable, "*", 2, 0, kBranch)                   \
  X(kReturn, 0x0F, "return", kNone, "*", 1, 0, kReturn)                         \
  X(kCall, 0x10, "call", kFunc, "*", 4, 0, kCall)                               \
  X(kCallIndirect, 0x11, "call_indirect", kCallIndirect, "*", 6, 0, kCall)      \
  X(kDrop, 0x1A, "drop", kNone, "*", 1, 0, kUnary)                              \
  X(kSelect, 0x1B, "select", kNone, "*", 1, 0, kSelect)                         \
  X(kLocalGet, 0x20, "local.get", kLocal, "*", 1, 0, kLocalRead)                \
  X(kLocalSet, 0x21, "local.set", kLocal, "*", 1, 0, kLocalWrite)               \
  X(kLocalTee, 0x22, "local.tee", kLocal, "*", 1, 0, kLocalWrite)               \
  X(kGlobalGet, 0x23, "global.get", kGlobal, "*", 1, 0, kGlobalRead)            \
  X(kGlobalSet, 0x24, "global.set", kGlobal, "*", 1, 0, kGlobalWrite)           \
  X(kI32Load, 0x28, "i32.load", kMem, "i:i", 2, 4, kLoad)                       \
  X(kI64Load, 0x29, "i64.load", kMem, "i:I", 2, 8, kLoad)                       \
  X(kI32Load8S, 0x2C, "i32.load8_s", kMem, "i:i", 2, 1, kLoad)                  \
  X(kI32Load8U, 0x2D, "i32.load8_u", kMem, "i:i", 2, 1, kLoad)                  \
  X(kI32Load16S, 0x2E, "i32.load16_s", kMem, "i:i", 2, 2, kLoad)                \
  X(kI32Load16U, 0x2F, "i32.load16_u", kMem, "i:i", 2, 2, kLoad)                \
  X(kI64Load8S, 0x30, "i64.load8_s", kMem, "i:I", 2, 1, kLoad)                  \
  X(kI64Load8U, 0x31, "i64.load8_u", kMem, "i:I", 2, 1, kLoad)                  \
  X(kI64Load16S, 0x32, "i64.load16_s", kMem, "i:I", 2, 2, kLoad)                \
  X(kI64Load16U, 0x33, "i64.load16_u", kMem, "i:I", 2, 2, kLoad)                \
  X(kI64Load32S, 0x34, "i64.load32_s", kMem, "i:I", 2, 4, kLoad)                \
  X(kI64Load32U, 0x35, "i64.load32_u", kMem, "i:I", 2, 4, kLoad)                \
  X(kI32Store, 0x36, "i32.store", kMem, "ii:", 2, 4, kStore)                    \
  X(kI64Store, 0x37, "i64.store", kMem, "iI:", 2, 8, kStore)                    \
  X(kI32Store8, 0x3A, "i32.store8", kMem, "ii:", 2, 1, kStore)                  \
  X(kI32Store16, 0x3B, "i32.store16", kMem, "ii:", 2, 2, kStore)                \
  X(kI64Store8, 0x3C, "i64.store8", kMem, "iI:", 2, 1, kStore)                  \
  X(kI64Store16, 0x3D, "i64.store16", kMem, "iI:", 2, 2, kStore)                \
  X(kI64Store32, 0x3E, "i64.store32", kMem, "iI:", 2, 4, kStore)                \
  X(kMemorySize, 0x3F, "memory.size", kMemIndex, ":i", 1, 0, kConst)            \
  X(kMemoryGrow, 0x40, "memory.grow", kMemIndex, "i:i", 100, 0, kMemGrow)       \
  X(kI32Const, 0x41, "i32.const", kI32, ":i", 1, 0, kConst)                     \
  X(kI64Const, 0x42, "i64.const", kI64, ":I", 1, 0, kConst)                     \
  X(kI32Eqz, 0x45, "i32.eqz", kNone, "i:i", 1, 0, kUnary)                       \
  X(kI32Eq, 0x46, "i32.eq", kNone, "ii:i", 1, 0, kBinary)                       \
  X(kI32Ne, 0x47, "i32.ne", kNone, "ii:i", 1, 0, kBinary)                       \
  X(kI32LtS, 0x48, "i32.lt_s", kNone, "ii:i", 1, 0, kBinary)                    \
  X(kI32LtU, 0x49, "i32.lt_u", kNone, "ii:i", 1, 0, kBinary)                    \
  X(kI32GtS, 0x4A, "i32.gt_s", kNone, "ii:i", 1, 0, kBinary)                    \
  X(kI32GtU, 0x4B, "i32.gt_u", kNone, "ii:i", 1, 0, kBinary)                    \
  X(kI32LeS, 0x4C, "i32.le_s", kNone, "ii:i", 1, 0, kBinary)                    \
  X(kI32LeU, 0x4D, "i32.le_u", kNone, "ii:i", 1, 0, kBinary)                    \
  X(kI32GeS, 0x4E, "i32.ge_s", kNone, "ii:i", 1, 0, kBinary)                    \
  X(kI32GeU, 0x4F, "i32.ge_u", kNone, "ii:i", 1, 0, kBinary)                    \
  X(kI64Eqz, 0x50, "i64.eqz", kNone, "I:i", 1, 0, kUnary)                       \
  X(kI64Eq, 0x51, "i64.eq", kNone, "II:i", 1, 0, kBinary)                       \
  X(kI64Ne, 0x52, "i64.ne", kNone, "II:i", 1, 0, kBinary)                       \
  X(kI64LtS, 0x53, "i64.lt_s", kNone, "II:i", 1, 0, kBinary)                    \
  X(kI64LtU, 0x54, "i64.lt_u", kNone, "II:i", 1, 0, kBinary)                    \
  X(kI64GtS, 0x55, "i64.gt_s", kNone, "II:i", 1, 0, kBinary)                    \
  X(kI64GtU, 0x56, "i64.gt_u", kNone, "II:i", 1, 0, kBinary)                    \
  X(kI64LeS, 0x57, "i64.le_s", kNone, "II:i", 1, 0, kBinary)                    \
  X(kI64LeU, 0x58, "i64.le_u", kNone, "II:i", 1, 0, kBinary)                    \
  X(kI64GeS, 0x59, "i64.ge_s", kNone, "II:i", 1, 0, kBinary)                    \
  X(kI64GeU, 0x5A, "i64.ge_u", kNone, "II:i", 1, 0, kBinary)                    \
  X(kI32Clz, 0x67, "i32.clz", kNone, "i:i", 1, 0, kUnary)                       \
  X(kI32Ctz, 0x68, "i32.ctz", kNone, "i:i", 1, 0, kUnary)                       \
  X(kI32Popcnt, 0x69, "i32.popcnt", kNone, "i:i", 1, 0, kUnary)                 \
  X(kI32Add, 0x6A, "i32.add", kNone, "ii:i", 1, 0, kBinary)                     \
  X(kI32Sub, 0x6B, "i32.sub", kNone, "ii:i", 1, 0, kBinary)                     \
  X(kI32Mul, 0x6C, "i32.mul", kNone, "ii:i", 2, 0, kBinary)                     \
  X(kI32DivS, 0x6D, "i32.div_s", kNone, "ii:i", 4, 0, kBinary)                  \
  X(kI32DivU, 0x6E, "i32.div_u", kNone, "ii:i", 4, 0, kBinary)                  \
  X(kI32RemS, 0x6F, "i32.rem_s", kNone, "ii:i", 4, 0, kBinary)                  \
  X(kI32RemU, 0x70, "i32.rem_u", kNone, "ii:i", 4, 0, kBinary)                  \
  X(kI32And, 0x71, "i32.and", kNone, "ii:i", 1, 0, kBinary)                     \
  X(kI32Or, 0x72, "i32.or", kNone, "ii:i", 1, 0, kBinary)                       \
  X(kI32Xor, 0x73, "i32.xor", kNone, "ii:i", 1, 0, kBinary)                     \
  X(kI32Shl, 0x74, "i32.shl", kNone, "ii:i", 1, 0, kBinary)                     \
  X(kI32ShrS, 0x75, "i32.shr_s", kNone, "ii:i", 1, 0, kBinary)                  \
  X(kI32ShrU, 0x76, "i32.shr_u", kNone, "ii:i", 1, 0, kBinary)                  \
  X(kI32Rotl, 0x77, "i32.rotl", kNone, "ii:i", 1, 0, kBinary)                   \
  X(kI32Rotr, 0x78, "i32.rotr", kNone, "ii:i", 1, 0, kBinary)                   \
  X(kI64Clz, 0x79, "i64.clz", kNone, "I:I", 1, 0, kUnary)                       \
  X(kI64Ctz, 0x7A, "i64.ctz", kNone, "I:I", 1, 0, kUnary)                       \
  X(kI64Popcnt, 0x7B, "i64.popcnt", kNone, "I:I", 1, 0, kUnary)                 \
  X(kI64Add, 0x7C, "i64.add", kNone, "II:I", 1, 0, kBinary)                     \
  X(kI64Sub, 0x7D, "i64.sub", kNone, "II:I", 1, 0, kBinary)                     \
  X(kI64Mul, 0x7E, "i64.mul", kNone, "II:I", 2, 0, kBinary)                     \
  X(kI64DivS, 0x7F, "i64.div_s", kNone, "II:I", 4, 0, kBinary)                  \
  X(kI64DivU, 0x80, "i64.div_u", kNone, "II:I", 4, 0, kBinary)                  \
  X(kI64RemS, 0x81, "i64.rem_s", kNone, "II:I", 4, 0, kBinary)                  \
  X(kI64RemU, 0x82, "i64.rem_u", kNone, "II:I", 4, 0, kBinary)                  \
  X(kI64And, 0x83, "i64.and", kNone, "II:I", 1, 0, kBinary)                     \
  X(kI64Or, 0x84, "i64.or", kNone, "II:I", 1, 0, kBinary)                       \
  X(kI64Xor, 0x85, "i64.xor", kNone, "II:I", 1, 0, kBinary)                     \
  X(kI64Shl, 0x86, "i64.shl", kNone, "II:I", 1, 0, kBinary)                     \
  X(kI64ShrS, 0x87, "i64.shr_s", kNone, "II:I", 1, 0, kBinary)                  \
  X(kI64ShrU, 0x88, "i64.shr_u", kNone, "II:I", 1, 0, kBinary)                  \
  X(kI64Rotl, 0x89, "i64.rotl", kNone, "II:I", 1, 0, kBinary)                   \
  X(kI64Rotr, 0x8A, "i64.rotr", kNone, "II:I", 1, 0, kBinary)                   \
  X(kI32WrapI64, 0xA7, "i32.wrap_i64", kNone, "I:i", 1, 0, kUnary)              \
  X(kI64ExtendI32S, 0xAC, "i64.extend_i32_s", kNone, "i:I", 1, 0, kUnary)       \
  X(kI64ExtendI32U, 0xAD, "i64.extend_i32_u", kNone, "i:I", 1, 0, kUnary)       \
  X(kI32Extend8S, 0xC0, "i32.extend8_s", kNone, "i:i", 1, 0, kUnary)            \
  X(kI32Extend16S, 0xC1, "i32.extend16_s", kNone, "i:i", 1, 0, kUnary)          \
  X(kI64Extend8S, 0xC2, "i64.extend8_s", kNone, "I:I", 1, 0, kUnary)            \
  X(kI64Extend16S, 0xC3, "i64.extend16_s", kNone, "I:I", 1, 0, kUnary)          \
  X(kI64Extend32S, 0xC4, "i64.extend32_s", kNone, "I:I", 1, 0, kUnary)          \
  X(kBrUnless, kNoByte, "br_unless", kLabel, "*", 1, 0, kBranch)                \
  X(kCallHost, kNoByte, "call_host", kFunc, "*", 20, 0, kCall)                  \
  X(kHostRead, kNoByte, "host_read", kNone, "*", 0, 0, kHostIo)                 \
  X(kHostWrite, kNoByte, "host_write", kNone, "*", 0, 0, kHostIo)

inline constexpr uint16_t kNoByte = 0xFFFF;

enum class Op : uint16_t {
#define EFAAS_X(id, byte, name, imm, sig, cost, bytes, shape) id,
  EFAAS_WASM_OPCODES(EFAAS_X)
#undef EFAAS_X
      kCount
};
inline constexpr size_t kOpCount = size_t(Op::kCount);

struct OpInfo {
  Op op;
  uint16_t byte;  // kNoByte for internal ops
  std::string_view name;
  Imm imm;
  std::string_view sig;
  uint16_t gas;
  uint8_t access_bytes;
  TraceShape shape;
};

// Indexed by Op.
const OpInfo& op_info(Op op);
// The op for a single-byte opcode; nullptr when the byte is not an integer-subset instruction.
const OpInfo* op_from_byte(uint8_t byte);
// Mnemonic of a floating-point (or other unsupported) opcode byte, for load-time errors;
// empty when the byte is not a known WebAssembly 1.0 opcode at all.
std::string_view unsupported_opcode_name(uint8_t byte);

}  // namespace efaas::wasm
