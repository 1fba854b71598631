// Validation of one function body (the algorithm of the spec's appendix) fused with its
// compilation into Instr: one pass, branch targets patched when their block ends.
#include "prover/wasm/compiler.hpp"

#include <cstdio>

namespace efaas::wasm {

namespace {

constexpr uint8_t kUnknown = 0;  // the polymorphic stack's "any" type

struct Fixup {
  bool in_table;  // patch br_targets[index].pc, else code[index].a
  uint32_t index;
};

struct Ctrl {
  Op kind = Op::kBlock;  // kBlock, kLoop, kIf, kElse; the function body is a kBlock
  uint8_t result = 0;    // 0 = none, else a ValType byte
  uint32_t height = 0;   // type stack size at entry
  bool unreachable = false;
  uint32_t loop_pc = 0;
  uint32_t if_fixup = UINT32_MAX;  // the br_unless of an if, until else/end
  std::vector<Fixup> fixups;
};

std::string hex_byte(uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", b);
  return buf;
}

class FunctionCompiler {
 public:
  FunctionCompiler(const Module& m, const Function& f, Reader& r, const LoadOptions& o, Module& out)
      : m_(m), f_(f), r_(r), opts_(o), out_(out) {}

  Status run();

 private:
  Status invalid(const std::string& msg) const {
    return invalid_argument("invalid: " + msg + " at byte offset " + std::to_string(op_pos_));
  }
  Status push(uint8_t t) {
    types_.push_back(t);
    const uint64_t h = uint64_t(f_.num_locals) + types_.size();
    if (h > max_height_) max_height_ = uint32_t(std::min<uint64_t>(h, UINT32_MAX));
    return Status::ok();
  }
  Status pop(uint8_t expect, uint8_t* got = nullptr) {
    Ctrl& c = ctrls_.back();
    if (types_.size() == c.height) {
      if (c.unreachable) {
        if (got) *got = expect;
        return Status::ok();
      }
      return invalid("type mismatch: operand stack is empty, expected " +
                     std::string(expect == kUnknown ? "a value" : val_type_name(ValType(expect))) +
                     " (in " + std::string(op_info(cur_op_).name) + ")");
    }
    const uint8_t t = types_.back();
    types_.pop_back();
    if (expect != kUnknown && t != kUnknown && t != expect) {
      return invalid("type mismatch: expected " + std::string(val_type_name(ValType(expect))) +
                     " but found " + val_type_name(ValType(t)) + " (in " +
                     std::string(op_info(cur_op_).name) + ")");
    }
    if (got) *got = (t == kUnknown) ? expect : t;
    return Status::ok();
  }
  uint32_t height() const { return f_.num_locals + uint32_t(types_.size()); }
  // Label arity and result type of the label `depth` levels out.
  uint8_t label_type(const Ctrl& c) const { return c.kind == Op::kLoop ? 0 : c.result; }
  uint32_t emit(Op op, uint32_t a = 0, uint64_t b = 0) {
    out_.code.push_back(Instr{op, op_info(op).gas, a, b});
    return uint32_t(out_.code.size() - 1);
  }
  void set_unreachable() {
    Ctrl& c = ctrls_.back();
    types_.resize(c.height);
    c.unreachable = true;
  }
  Status label(uint32_t depth, Ctrl*& c) {
    if (depth >= ctrls_.size()) return invalid("unknown label " + std::to_string(depth));
    c = &ctrls_[ctrls_.size() - 1 - depth];
    return Status::ok();
  }
  uint64_t branch_b(const Ctrl& c) const {
    const uint64_t arity = label_type(c) ? 1 : 0;
    return (arity << 32) | (f_.num_locals + c.height);
  }
  // Emits a branch to `c` (target pc now for loops, patched at end for blocks).
  void branch_to(Ctrl& c, Op op) {
    const uint32_t at = emit(op, c.kind == Op::kLoop ? c.loop_pc : 0, branch_b(c));
    if (c.kind != Op::kLoop) c.fixups.push_back({false, at});
  }
  Status block_type(uint8_t& result);
  Status mem_arg(const OpInfo& info, uint32_t& offset);
  Status end_block();

  const Module& m_;
  const Function& f_;
  Reader& r_;
  const LoadOptions& opts_;
  Module& out_;
  std::vector<uint8_t> types_;
  std::vector<Ctrl> ctrls_;
  std::vector<uint8_t> local_types_;
  uint32_t max_height_ = 0;
  size_t op_pos_ = 0;
  Op cur_op_ = Op::kNop;
};

Status FunctionCompiler::block_type(uint8_t& result) {
  const size_t at = r_.pos();
  uint8_t b = 0;
  EFAAS_RETURN_IF_ERROR(r_.u8(b, "block type"));
  if (b == 0x40) {
    result = 0;
  } else if (b == 0x7F || b == 0x7E) {
    result = b;
  } else if (b == 0x7D || b == 0x7C) {
    return out_of_range(std::string("floating point is not supported: block type ") +
                        (b == 0x7D ? "f32" : "f64") + " at byte offset " + std::to_string(at));
  } else {
    return Reader::malformed_at("invalid block type " + hex_byte(b), at);
  }
  return Status::ok();
}

Status FunctionCompiler::mem_arg(const OpInfo& info, uint32_t& offset) {
  if (m_.memories.empty()) return invalid("unknown memory 0 (" + std::string(info.name) + ")");
  uint32_t align = 0;
  EFAAS_RETURN_IF_ERROR(r_.u32(align, "memory alignment"));
  EFAAS_RETURN_IF_ERROR(r_.u32(offset, "memory offset"));
  if (align >= 32 || (1u << align) > info.access_bytes) {
    return invalid("alignment must not be larger than natural (" + std::string(info.name) + ")");
  }
  return Status::ok();
}

Status FunctionCompiler::end_block() {
  Ctrl& c = ctrls_.back();
  if (c.result) {
    EFAAS_RETURN_IF_ERROR(pop(c.result));
  }
  if (types_.size() != c.height) {
    return invalid("type mismatch: block leaves " + std::to_string(types_.size() - c.height) +
                   " extra value(s) on the stack");
  }
  if (c.kind == Op::kIf && c.result) {
    return invalid("type mismatch: if with a result needs an else branch");
  }
  const uint32_t here = uint32_t(out_.code.size());
  if (c.if_fixup != UINT32_MAX) out_.code[c.if_fixup].a = here;
  for (const Fixup& fx : c.fixups) {
    if (fx.in_table) {
      out_.br_targets[fx.index].pc = here;
    } else {
      out_.code[fx.index].a = here;
    }
  }
  const uint8_t result = c.result;
  ctrls_.pop_back();
  if (result) EFAAS_RETURN_IF_ERROR(push(result));
  return Status::ok();
}

Status FunctionCompiler::run() {
  const FuncType& ft = m_.types[f_.type_index];
  for (ValType t : ft.params) local_types_.push_back(uint8_t(t));
  for (ValType t : f_.locals) local_types_.push_back(uint8_t(t));
  max_height_ = f_.num_locals;
  Ctrl fn;
  fn.kind = Op::kBlock;
  fn.result = ft.results.empty() ? uint8_t(0) : uint8_t(ft.results[0]);
  fn.height = 0;
  ctrls_.push_back(std::move(fn));
  const uint8_t fn_result = ctrls_[0].result;

  while (!ctrls_.empty()) {
    op_pos_ = r_.pos();
    if (out_.code.size() >= opts_.max_code_instructions) {
      return out_of_range("module exceeds " + std::to_string(opts_.max_code_instructions) +
                          " compiled instructions");
    }
    uint8_t byte = 0;
    EFAAS_RETURN_IF_ERROR(r_.u8(byte, "opcode (function body without end)"));
    const OpInfo* info = op_from_byte(byte);
    if (info == nullptr) {
      std::string_view fname = unsupported_opcode_name(byte);
      if (!fname.empty()) {
        return out_of_range("floating point is not supported: opcode " + std::string(fname) + " (" +
                            hex_byte(byte) + ") at byte offset " + std::to_string(op_pos_));
      }
      return Reader::malformed_at("illegal opcode " + hex_byte(byte), op_pos_);
    }
    const Op op = info->op;
    cur_op_ = op;
    switch (op) {
      case Op::kUnreachable:
        emit(op);
        set_unreachable();
        break;
      case Op::kNop:
        break;
      case Op::kBlock:
      case Op::kLoop:
      case Op::kIf: {
        uint8_t result = 0;
        EFAAS_RETURN_IF_ERROR(block_type(result));
        uint32_t if_fixup = UINT32_MAX;
        if (op == Op::kIf) {
          EFAAS_RETURN_IF_ERROR(pop(uint8_t(ValType::kI32)));
          if_fixup = emit(Op::kBrUnless, 0, height());
        }
        Ctrl c;
        c.kind = op;
        c.result = result;
        c.height = uint32_t(types_.size());
        c.loop_pc = uint32_t(out_.code.size());
        c.if_fixup = if_fixup;
        ctrls_.push_back(std::move(c));
        break;
      }
      case Op::kElse: {
        Ctrl& c = ctrls_.back();
        if (c.kind != Op::kIf) return invalid("else without a matching if");
        if (c.result) EFAAS_RETURN_IF_ERROR(pop(c.result));
        if (types_.size() != c.height) {
          return invalid("type mismatch: then branch leaves extra values on the stack");
        }
        branch_to(c, Op::kBr);  // the then branch jumps over the else branch
        out_.code[c.if_fixup].a = uint32_t(out_.code.size());
        c.if_fixup = UINT32_MAX;
        c.kind = Op::kElse;
        c.unreachable = false;
        break;
      }
      case Op::kEnd: {
        const bool is_function_end = ctrls_.size() == 1;
        EFAAS_RETURN_IF_ERROR(end_block());
        if (is_function_end) {
          emit(Op::kReturn, fn_result ? 1 : 0);
        }
        break;
      }
      case Op::kBr:
      case Op::kBrIf: {
        uint32_t depth = 0;
        EFAAS_RETURN_IF_ERROR(r_.u32(depth, "label index"));
        Ctrl* c = nullptr;
        EFAAS_RETURN_IF_ERROR(label(depth, c));
        if (op == Op::kBrIf) EFAAS_RETURN_IF_ERROR(pop(uint8_t(ValType::kI32)));
        const uint8_t lt = label_type(*c);
        if (lt) EFAAS_RETURN_IF_ERROR(pop(lt));
        branch_to(*c, op);
        if (op == Op::kBr) {
          set_unreachable();
        } else if (lt) {
          EFAAS_RETURN_IF_ERROR(push(lt));
        }
        break;
      }
      case Op::kBrTable: {
        uint32_t n = 0;
        EFAAS_RETURN_IF_ERROR(r_.u32(n, "br_table size"));
        if (n > r_.remaining()) return r_.malformed("br_table size exceeds the function body");
        std::vector<uint32_t> depths(n + 1);
        for (uint32_t i = 0; i <= n; ++i) {
          EFAAS_RETURN_IF_ERROR(r_.u32(depths[i], "br_table label"));
        }
        EFAAS_RETURN_IF_ERROR(pop(uint8_t(ValType::kI32)));
        Ctrl* dflt = nullptr;
        EFAAS_RETURN_IF_ERROR(label(depths[n], dflt));
        const uint8_t lt = label_type(*dflt);
        const uint32_t first = uint32_t(out_.br_targets.size());
        for (uint32_t i = 0; i <= n; ++i) {
          Ctrl* c = nullptr;
          EFAAS_RETURN_IF_ERROR(label(depths[i], c));
          if (label_type(*c) != lt) {
            return invalid("type mismatch: br_table labels have different result types");
          }
          const uint64_t b = branch_b(*c);
          out_.br_targets.push_back(
              {c->kind == Op::kLoop ? c->loop_pc : 0, uint32_t(b), uint32_t(b >> 32)});
          if (c->kind != Op::kLoop)
            c->fixups.push_back({true, uint32_t(out_.br_targets.size() - 1)});
        }
        if (lt) EFAAS_RETURN_IF_ERROR(pop(lt));
        emit(op, first, n + 1);
        set_unreachable();
        break;
      }
      case Op::kReturn:
        if (fn_result) EFAAS_RETURN_IF_ERROR(pop(fn_result));
        emit(op, fn_result ? 1 : 0);
        set_unreachable();
        break;
      case Op::kCall: {
        uint32_t fi = 0;
        EFAAS_RETURN_IF_ERROR(r_.u32(fi, "function index"));
        if (fi >= m_.func_type_index.size())
          return invalid("unknown function " + std::to_string(fi));
        const FuncType& t = m_.func_type(fi);
        for (size_t i = t.params.size(); i-- > 0;) EFAAS_RETURN_IF_ERROR(pop(uint8_t(t.params[i])));
        for (ValType rt : t.results) EFAAS_RETURN_IF_ERROR(push(uint8_t(rt)));
        emit(fi < m_.num_imported_funcs ? Op::kCallHost : Op::kCall, fi);
        break;
      }
      case Op::kCallIndirect: {
        uint32_t ti = 0;
        EFAAS_RETURN_IF_ERROR(r_.u32(ti, "type index"));
        uint8_t reserved = 0;
        const size_t rpos = r_.pos();
        EFAAS_RETURN_IF_ERROR(r_.u8(reserved, "call_indirect table"));
        if (reserved != 0) return Reader::malformed_at("zero byte expected (call_indirect)", rpos);
        if (m_.tables.empty()) return invalid("unknown table 0 (call_indirect)");
        if (ti >= m_.types.size()) return invalid("unknown type " + std::to_string(ti));
        EFAAS_RETURN_IF_ERROR(pop(uint8_t(ValType::kI32)));
        const FuncType& t = m_.types[ti];
        for (size_t i = t.params.size(); i-- > 0;) EFAAS_RETURN_IF_ERROR(pop(uint8_t(t.params[i])));
        for (ValType rt : t.results) EFAAS_RETURN_IF_ERROR(push(uint8_t(rt)));
        emit(op, ti);
        break;
      }
      case Op::kDrop:
        EFAAS_RETURN_IF_ERROR(pop(kUnknown));
        emit(op);
        break;
      case Op::kSelect: {
        EFAAS_RETURN_IF_ERROR(pop(uint8_t(ValType::kI32)));
        uint8_t t1 = 0, t2 = 0;
        EFAAS_RETURN_IF_ERROR(pop(kUnknown, &t1));
        EFAAS_RETURN_IF_ERROR(pop(t1, &t2));
        EFAAS_RETURN_IF_ERROR(push(t1 == kUnknown ? t2 : t1));
        emit(op);
        break;
      }
      case Op::kLocalGet:
      case Op::kLocalSet:
      case Op::kLocalTee: {
        uint32_t li = 0;
        EFAAS_RETURN_IF_ERROR(r_.u32(li, "local index"));
        if (li >= local_types_.size()) return invalid("unknown local " + std::to_string(li));
        const uint8_t t = local_types_[li];
        if (op != Op::kLocalGet) EFAAS_RETURN_IF_ERROR(pop(t));
        if (op != Op::kLocalSet) EFAAS_RETURN_IF_ERROR(push(t));
        emit(op, li);
        break;
      }
      case Op::kGlobalGet:
      case Op::kGlobalSet: {
        uint32_t gi = 0;
        EFAAS_RETURN_IF_ERROR(r_.u32(gi, "global index"));
        if (gi >= m_.global_types.size()) return invalid("unknown global " + std::to_string(gi));
        const GlobalType& g = m_.global_types[gi];
        if (op == Op::kGlobalSet) {
          if (!g.is_mutable)
            return invalid("global is immutable (global.set " + std::to_string(gi) + ")");
          EFAAS_RETURN_IF_ERROR(pop(uint8_t(g.type)));
        } else {
          EFAAS_RETURN_IF_ERROR(push(uint8_t(g.type)));
        }
        emit(op, gi);
        break;
      }
      case Op::kMemorySize:
      case Op::kMemoryGrow: {
        uint8_t reserved = 0;
        const size_t rpos = r_.pos();
        EFAAS_RETURN_IF_ERROR(r_.u8(reserved, "memory index"));
        if (reserved != 0) {
          return Reader::malformed_at("zero byte expected (" + std::string(info->name) + ")", rpos);
        }
        if (m_.memories.empty())
          return invalid("unknown memory 0 (" + std::string(info->name) + ")");
        if (op == Op::kMemoryGrow) EFAAS_RETURN_IF_ERROR(pop(uint8_t(ValType::kI32)));
        EFAAS_RETURN_IF_ERROR(push(uint8_t(ValType::kI32)));
        emit(op);
        break;
      }
      case Op::kI32Const: {
        int32_t v = 0;
        EFAAS_RETURN_IF_ERROR(r_.s32(v, "i32 constant"));
        EFAAS_RETURN_IF_ERROR(push(uint8_t(ValType::kI32)));
        emit(op, 0, uint64_t(uint32_t(v)));
        break;
      }
      case Op::kI64Const: {
        int64_t v = 0;
        EFAAS_RETURN_IF_ERROR(r_.s64(v, "i64 constant"));
        EFAAS_RETURN_IF_ERROR(push(uint8_t(ValType::kI64)));
        emit(op, 0, uint64_t(v));
        break;
      }
      default: {
        uint32_t offset = 0;
        if (info->imm == Imm::kMem) EFAAS_RETURN_IF_ERROR(mem_arg(*info, offset));
        // Numeric and memory ops: the signature in the opcode table.
        const std::string_view sig = info->sig;
        const size_t colon = sig.find(':');
        for (size_t i = colon; i-- > 0;) {
          EFAAS_RETURN_IF_ERROR(pop(uint8_t(sig[i] == 'i' ? ValType::kI32 : ValType::kI64)));
        }
        for (size_t i = colon + 1; i < sig.size(); ++i) {
          EFAAS_RETURN_IF_ERROR(push(uint8_t(sig[i] == 'i' ? ValType::kI32 : ValType::kI64)));
        }
        emit(op, offset);
        break;
      }
    }
  }
  if (!r_.at_end()) return r_.malformed("section size mismatch: bytes after the function's end");
  Function& f = out_.funcs[&f_ - m_.funcs.data()];
  f.max_height = max_height_ + 1;
  return Status::ok();
}

}  // namespace

Status compile_function(const Module& m, uint32_t defined_index, Reader body,
                        const LoadOptions& options, Module& out) {
  const Function& f = m.funcs[defined_index];
  out.funcs[defined_index].entry_pc = uint32_t(out.code.size());
  FunctionCompiler c(m, f, body, options, out);
  return c.run();
}

}  // namespace efaas::wasm
