#include "prover/wasm/opcodes.hpp"

#include <array>

namespace efaas::wasm {

namespace {

constexpr OpInfo kOps[] = {
#define EFAAS_X(id, byte, name, imm, sig, cost, bytes, shape) \
  {Op::id, uint16_t(byte), name, Imm::imm, sig, cost, bytes, TraceShape::shape},
    EFAAS_WASM_OPCODES(EFAAS_X)
#undef EFAAS_X
};
static_assert(sizeof(kOps) / sizeof(kOps[0]) == kOpCount);

std::array<const OpInfo*, 256> make_byte_map() {
  std::array<const OpInfo*, 256> map{};
  for (const OpInfo& info : kOps) {
    if (info.byte != kNoByte) map[info.byte] = &info;
  }
  return map;
}

// Floating-point instructions of WebAssembly 1.0 (and the 0xFC saturating truncations): named in
// load-time errors so an Extension author sees exactly what to remove.
struct NamedByte {
  uint8_t byte;
  const char* name;
};
constexpr NamedByte kFloatOps[] = {
    {0x2A, "f32.load"},
    {0x2B, "f64.load"},
    {0x38, "f32.store"},
    {0x39, "f64.store"},
    {0x43, "f32.const"},
    {0x44, "f64.const"},
    {0x5B, "f32.eq"},
    {0x5C, "f32.ne"},
    {0x5D, "f32.lt"},
    {0x5E, "f32.gt"},
    {0x5F, "f32.le"},
    {0x60, "f32.ge"},
    {0x61, "f64.eq"},
    {0x62, "f64.ne"},
    {0x63, "f64.lt"},
    {0x64, "f64.gt"},
    {0x65, "f64.le"},
    {0x66, "f64.ge"},
    {0x8B, "f32.abs"},
    {0x8C, "f32.neg"},
    {0x8D, "f32.ceil"},
    {0x8E, "f32.floor"},
    {0x8F, "f32.trunc"},
    {0x90, "f32.nearest"},
    {0x91, "f32.sqrt"},
    {0x92, "f32.add"},
    {0x93, "f32.sub"},
    {0x94, "f32.mul"},
    {0x95, "f32.div"},
    {0x96, "f32.min"},
    {0x97, "f32.max"},
    {0x98, "f32.copysign"},
    {0x99, "f64.abs"},
    {0x9A, "f64.neg"},
    {0x9B, "f64.ceil"},
    {0x9C, "f64.floor"},
    {0x9D, "f64.trunc"},
    {0x9E, "f64.nearest"},
    {0x9F, "f64.sqrt"},
    {0xA0, "f64.add"},
    {0xA1, "f64.sub"},
    {0xA2, "f64.mul"},
    {0xA3, "f64.div"},
    {0xA4, "f64.min"},
    {0xA5, "f64.max"},
    {0xA6, "f64.copysign"},
    {0xA8, "i32.trunc_f32_s"},
    {0xA9, "i32.trunc_f32_u"},
    {0xAA, "i32.trunc_f64_s"},
    {0xAB, "i32.trunc_f64_u"},
    {0xAE, "i64.trunc_f32_s"},
    {0xAF, "i64.trunc_f32_u"},
    {0xB0, "i64.trunc_f64_s"},
    {0xB1, "i64.trunc_f64_u"},
    {0xB2, "f32.convert_i32_s"},
    {0xB3, "f32.convert_i32_u"},
    {0xB4, "f32.convert_i64_s"},
    {0xB5, "f32.convert_i64_u"},
    {0xB6, "f32.demote_f64"},
    {0xB7, "f64.convert_i32_s"},
    {0xB8, "f64.convert_i32_u"},
    {0xB9, "f64.convert_i64_s"},
    {0xBA, "f64.convert_i64_u"},
    {0xBB, "f64.promote_f32"},
    {0xBC, "i32.reinterpret_f32"},
    {0xBD, "i64.reinterpret_f64"},
    {0xBE, "f32.reinterpret_i32"},
    {0xBF, "f64.reinterpret_i64"},
    {0xFC, "0xFC-prefixed (saturating float truncation)"},
};

}  // namespace

const OpInfo& op_info(Op op) {
  return kOps[size_t(op)];
}

const OpInfo* op_from_byte(uint8_t byte) {
  static const std::array<const OpInfo*, 256> map = make_byte_map();
  return map[byte];
}

std::string_view unsupported_opcode_name(uint8_t byte) {
  for (const NamedByte& f : kFloatOps) {
    if (f.byte == byte) return f.name;
  }
  return {};
}

}  // namespace efaas::wasm
