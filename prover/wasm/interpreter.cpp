// The interpreter loop: threaded dispatch (computed goto) over the compiled Instr array, the
// machine state in locals, no allocation per instruction. Instantiated twice: with and without
// trace records, so an untraced run pays nothing for tracing.
#include <bit>
#include <cstring>

#include "prover/wasm/instance.hpp"

namespace efaas::wasm {

#if !defined(__GNUC__)
#error "the interpreter uses computed goto (GCC or clang)"
#endif

template <bool kTrace>
TrapCode Instance::execute(RunState& st) {
  static void* const kLabels[] = {
#define EFAAS_X(id, byte, name, imm, sig, cost, bytes, shape) &&L_##id,
      EFAAS_WASM_OPCODES(EFAAS_X)
#undef EFAAS_X
  };
  static_assert(sizeof(kLabels) / sizeof(kLabels[0]) == kOpCount);

  const Module& m = *module_;
  const Instr* const code = m.code.data();
  const BrTarget* const targets = m.br_targets.data();
  const FuncInfo* const funcs = funcs_.data();
  const uint32_t nimp = m.num_imported_funcs;
  uint64_t* const stack = stack_.get();
  uint64_t* const stack_end = stack + limits_.max_stack_slots;
  uint64_t* const* const gptr = global_ptrs_.data();
  Frame* const frames = frames_.data();
  const uint32_t max_depth = limits_.max_call_depth;
  const uint32_t base_depth = st.base_depth;
  TraceWriter* const tw = trace_;

  const Instr* ip = code + st.pc;
  uint64_t* sp = stack + st.sp;
  uint64_t* fp = stack + st.fp;
  uint32_t depth = st.depth;
  uint64_t gas = gas_left_;
  uint64_t steps = steps_;
  const uint64_t step_limit = step_limit_;
  uint8_t* mem = memory_ ? memory_->bytes.data() : nullptr;
  uint64_t mem_size = memory_ ? memory_->bytes.size() : 0;
  StepRecord* rec = nullptr;
  TrapCode trap = TrapCode::kNone;
  const char* detail = nullptr;
  uint32_t callee = 0;
  (void)rec;
  (void)tw;

#define SAVE()                        \
  do {                                \
    st.pc = uint32_t(ip - code);      \
    st.sp = uint32_t(sp - stack);     \
    st.fp = uint32_t(fp - stack);     \
    st.depth = depth;                 \
    gas_left_ = gas;                  \
    steps_ = steps;                   \
  } while (0)

#define RELOAD_MEM()                                        \
  do {                                                      \
    mem = memory_ ? memory_->bytes.data() : nullptr;        \
    mem_size = memory_ ? memory_->bytes.size() : 0;         \
  } while (0)

  // Charge gas, stop at the step limit, open the trace record, jump to the handler.
#define DISPATCH()                                                        \
  do {                                                                    \
    if (__builtin_expect(gas < ip->gas, 0)) goto out_of_gas;              \
    if (__builtin_expect(steps >= step_limit, 0)) goto pause;             \
    gas -= ip->gas;                                                       \
    ++steps;                                                              \
    if constexpr (kTrace) {                                               \
      rec = tw->slot();                                                   \
      rec->pc = uint32_t(ip - code);                                      \
      rec->op = uint16_t(ip->op);                                         \
      rec->depth = uint16_t(depth);                                       \
      rec->sp = uint32_t(sp - stack);                                     \
      rec->aux = 0;                                                       \
      rec->a = 0;                                                         \
      rec->b = 0;                                                         \
      rec->r = 0;                                                         \
    }                                                                     \
    goto* kLabels[size_t(ip->op)];                                        \
  } while (0)

#define T_AUX(x) \
  if constexpr (kTrace) rec->aux = uint32_t(x)
#define T_A(x) \
  if constexpr (kTrace) rec->a = uint64_t(x)
#define T_B(x) \
  if constexpr (kTrace) rec->b = uint64_t(x)
#define T_R(x) \
  if constexpr (kTrace) rec->r = uint64_t(x)
#define TRAP(code_, detail_) \
  do {                       \
    trap = code_;            \
    detail = detail_;        \
    goto trapped;            \
  } while (0)

  DISPATCH();

L_kNop:
L_kBlock:
L_kLoop:
L_kIf:
L_kElse:
L_kEnd:
L_kHostRead:
L_kHostWrite:
  TRAP(TrapCode::kHostError, "internal: structural op reached the interpreter");

L_kUnreachable:
  TRAP(TrapCode::kUnreachable, nullptr);

  // --- control ----------------------------------------------------------------------------
#define BRANCH_TO(pc_, b_)                            \
  do {                                                \
    const uint64_t bb = (b_);                         \
    const uint32_t h = uint32_t(bb);                  \
    const uint32_t arity = uint32_t(bb >> 32);        \
    if (arity) fp[h] = sp[-1];                        \
    sp = fp + h + arity;                              \
    ip = code + (pc_);                                \
  } while (0)

L_kBr:
  T_AUX(ip->a);
  BRANCH_TO(ip->a, ip->b);
  DISPATCH();

L_kBrIf: {
  const uint32_t c = uint32_t(*--sp);
  T_A(c);
  if (c) {
    T_AUX(ip->a);
    BRANCH_TO(ip->a, ip->b);
  } else {
    T_AUX(ip - code + 1);
    ++ip;
  }
  DISPATCH();
}

L_kBrUnless: {
  const uint32_t c = uint32_t(*--sp);
  T_A(c);
  ip = c ? ip + 1 : code + ip->a;
  T_AUX(ip - code);
  DISPATCH();
}

L_kBrTable: {
  const uint32_t idx = uint32_t(*--sp);
  T_A(idx);
  const uint32_t n = uint32_t(ip->b);
  const BrTarget& t = targets[ip->a + (idx < n - 1 ? idx : n - 1)];
  T_AUX(t.pc);
  BRANCH_TO(t.pc, (uint64_t(t.arity) << 32) | t.height);
  DISPATCH();
}

L_kReturn: {
  const uint32_t arity = ip->a;
  if (arity) fp[0] = sp[-1];
  sp = fp + arity;
  if (depth == base_depth) {
    T_AUX(0xFFFFFFFFu);
    ip = code;  // unused after return
    goto done;
  }
  const Frame& f = frames[--depth];
  T_AUX(f.ret_pc);
  ip = code + f.ret_pc;
  fp = stack + f.fp;
  DISPATCH();
}

L_kCall:
  callee = ip->a;
  T_AUX(callee);
do_call: {
  const FuncInfo& f = funcs[callee - nimp];
  if (__builtin_expect(depth >= max_depth, 0)) TRAP(TrapCode::kCallStackExhausted, nullptr);
  uint64_t* nfp = sp - f.num_params;
  if (__builtin_expect(nfp + f.max_height > stack_end, 0)) {
    TRAP(TrapCode::kCallStackExhausted, "value stack limit reached");
  }
  for (uint64_t* p = sp; p < nfp + f.num_locals; ++p) *p = 0;
  frames[depth++] = Frame{uint32_t(ip + 1 - code), uint32_t(fp - stack), callee};
  fp = nfp;
  sp = nfp + f.num_locals;
  ip = code + f.entry_pc;
  DISPATCH();
}

L_kCallIndirect: {
  const uint32_t idx = uint32_t(*--sp);
  T_A(idx);
  // Table 0 unless a combined module's call_indirect names another (static_link.hpp).
  const Table& table = __builtin_expect(ip->b != 0, 0) ? *tables_[ip->b] : *table_;
  if (idx >= table.elems.size()) TRAP(TrapCode::kUndefinedElement, nullptr);
  const FuncRef ref = table.elems[idx];
  if (!ref.instance) TRAP(TrapCode::kUninitializedElement, nullptr);
  T_AUX(ref.func);
  if (ref.instance == this && ref.func >= nimp) {
    if (funcs[ref.func - nimp].canonical_type != m.canonical_type[ip->a]) {
      TRAP(TrapCode::kIndirectCallTypeMismatch, nullptr);
    }
    callee = ref.func;
    goto do_call;
  }
  const FuncType& want = m.types[ip->a];
  const ExternFunc* ext = nullptr;
  if (ref.instance == this) {
    ext = &imported_funcs_[ref.func];
    if (!(ext->type == want)) TRAP(TrapCode::kIndirectCallTypeMismatch, nullptr);
  } else if (!(ref.instance->module().func_type(ref.func) == want)) {
    TRAP(TrapCode::kIndirectCallTypeMismatch, nullptr);
  }
  uint64_t* args = sp - want.params.size();
  SAVE();
  host_pc_ = uint32_t(ip - code);
  const TrapCode t = call_extern(want, ext, ext ? ext->wasm : ref, args, st);
  gas = gas_left_;
  steps = steps_;
  RELOAD_MEM();
  if constexpr (kTrace) {
    if (t == TrapCode::kNone && !want.results.empty()) rec->r = args[0];
    for (const StepRecord& io : pending_io_) *tw->slot_io() = io;
  }
  if (t != TrapCode::kNone) {
    trap = t;
    goto trapped_host;
  }
  sp = args + want.results.size();
  ++ip;
  DISPATCH();
}

L_kCallHost: {
  const ExternFunc& ext = imported_funcs_[ip->a];
  T_AUX(ip->a);
  uint64_t* args = sp - ext.type.params.size();
  SAVE();
  host_pc_ = uint32_t(ip - code);
  const TrapCode t = call_extern(ext.type, &ext, ext.wasm, args, st);
  gas = gas_left_;
  steps = steps_;
  RELOAD_MEM();
  if constexpr (kTrace) {
    // The call's record is still the newest slot: give it the result, then the I/O rows.
    if (t == TrapCode::kNone && !ext.type.results.empty()) rec->r = args[0];
    for (const StepRecord& io : pending_io_) *tw->slot_io() = io;
  }
  if (t != TrapCode::kNone) {
    trap = t;
    goto trapped_host;
  }
  sp = args + ext.type.results.size();
  ++ip;
  DISPATCH();
}

  // --- parametric, variables ----------------------------------------------------------------
L_kDrop:
  --sp;
  T_A(*sp);
  ++ip;
  DISPATCH();

L_kSelect: {
  const uint32_t c = uint32_t(sp[-1]);
  const uint64_t b = sp[-2];
  const uint64_t a = sp[-3];
  sp -= 2;
  sp[-1] = c ? a : b;
  T_AUX(c);
  T_A(a);
  T_B(b);
  T_R(sp[-1]);
  ++ip;
  DISPATCH();
}

L_kLocalGet:
  *sp++ = fp[ip->a];
  T_AUX(ip->a);
  T_R(sp[-1]);
  ++ip;
  DISPATCH();
L_kLocalSet:
  T_R(fp[ip->a]);  // the value overwritten
  fp[ip->a] = *--sp;
  T_AUX(ip->a);
  T_A(*sp);
  ++ip;
  DISPATCH();
L_kLocalTee:
  T_R(fp[ip->a]);  // the value overwritten (the value pushed is a)
  fp[ip->a] = sp[-1];
  T_AUX(ip->a);
  T_A(sp[-1]);
  ++ip;
  DISPATCH();
L_kGlobalGet:
  *sp++ = *gptr[ip->a];
  T_AUX(ip->a);
  T_R(sp[-1]);
  ++ip;
  DISPATCH();
L_kGlobalSet:
  T_R(*gptr[ip->a]);  // the value overwritten
  *gptr[ip->a] = *--sp;
  T_AUX(ip->a);
  T_A(*sp);
  ++ip;
  DISPATCH();

  // --- memory -------------------------------------------------------------------------------
  // Memory 0 in the cached mem / mem_size; another memory of a combined module (Instr::b,
  // static_link.hpp) off the fast path.
#define SELECT_MEM(base_, size_)                                                 \
  uint8_t* base_ = mem;                                                          \
  uint64_t size_ = mem_size;                                                     \
  if (__builtin_expect(ip->b != 0, 0)) {                                         \
    Memory& other = *memories_[ip->b];                                           \
    base_ = other.bytes.data();                                                  \
    size_ = other.bytes.size();                                                  \
  }

#define LOAD(label, T, conv)                                                     \
  label : {                                                                      \
    const uint32_t base = uint32_t(sp[-1]);                                      \
    const uint64_t ea = uint64_t(base) + ip->a;                                  \
    T_A(base);                                                                   \
    T_AUX(ea);                                                                   \
    SELECT_MEM(mb, ms)                                                           \
    if (__builtin_expect(ea + sizeof(T) > ms, 0)) TRAP(TrapCode::kMemoryOutOfBounds, nullptr); \
    T v;                                                                         \
    std::memcpy(&v, mb + ea, sizeof(T));                                         \
    sp[-1] = conv;                                                               \
    T_R(sp[-1]);                                                                 \
    ++ip;                                                                        \
    DISPATCH();                                                                  \
  }
  LOAD(L_kI32Load, uint32_t, uint64_t(v))
  LOAD(L_kI64Load, uint64_t, v)
  LOAD(L_kI32Load8S, int8_t, uint64_t(uint32_t(int32_t(v))))
  LOAD(L_kI32Load8U, uint8_t, uint64_t(v))
  LOAD(L_kI32Load16S, int16_t, uint64_t(uint32_t(int32_t(v))))
  LOAD(L_kI32Load16U, uint16_t, uint64_t(v))
  LOAD(L_kI64Load8S, int8_t, uint64_t(int64_t(v)))
  LOAD(L_kI64Load8U, uint8_t, uint64_t(v))
  LOAD(L_kI64Load16S, int16_t, uint64_t(int64_t(v)))
  LOAD(L_kI64Load16U, uint16_t, uint64_t(v))
  LOAD(L_kI64Load32S, int32_t, uint64_t(int64_t(v)))
  LOAD(L_kI64Load32U, uint32_t, uint64_t(v))
#undef LOAD

#define STORE(label, T)                                                          \
  label : {                                                                      \
    const uint64_t val = sp[-1];                                                 \
    const uint32_t base = uint32_t(sp[-2]);                                      \
    const uint64_t ea = uint64_t(base) + ip->a;                                  \
    sp -= 2;                                                                     \
    T_A(base);                                                                   \
    T_B(val);                                                                    \
    T_AUX(ea);                                                                   \
    SELECT_MEM(mb, ms)                                                           \
    if (__builtin_expect(ea + sizeof(T) > ms, 0)) TRAP(TrapCode::kMemoryOutOfBounds, nullptr); \
    if constexpr (kTrace) { /* the bytes overwritten, for memory checking */    \
      T old;                                                                     \
      std::memcpy(&old, mb + ea, sizeof(T));                                     \
      rec->r = uint64_t(old);                                                    \
    }                                                                            \
    const T v = T(val);                                                          \
    std::memcpy(mb + ea, &v, sizeof(T));                                         \
    ++ip;                                                                        \
    DISPATCH();                                                                  \
  }
  STORE(L_kI32Store, uint32_t)
  STORE(L_kI64Store, uint64_t)
  STORE(L_kI32Store8, uint8_t)
  STORE(L_kI32Store16, uint16_t)
  STORE(L_kI64Store8, uint8_t)
  STORE(L_kI64Store16, uint16_t)
  STORE(L_kI64Store32, uint32_t)
#undef STORE
#undef SELECT_MEM

L_kMemorySize:
  *sp++ = memories_[ip->b]->pages;
  T_R(sp[-1]);
  ++ip;
  DISPATCH();

L_kMemoryGrow: {
  const uint32_t delta = uint32_t(sp[-1]);
  Memory& mm = *memories_[ip->b];
  const uint32_t old = mm.pages;
  T_A(delta);
  if (delta > mm.max_pages - old) {
    sp[-1] = 0xFFFFFFFFu;
  } else {
    mm.pages = old + delta;
    mm.bytes.resize(size_t(mm.pages) * 65536, 0);
    RELOAD_MEM();  // memory 0's cache (another memory is looked up at each access)
    sp[-1] = old;
  }
  T_R(sp[-1]);
  ++ip;
  DISPATCH();
}

  // --- numeric ------------------------------------------------------------------------------
L_kI32Const:
L_kI64Const:
  *sp++ = ip->b;
  T_R(ip->b);
  ++ip;
  DISPATCH();

#define UN32(label, expr)              \
  label : {                            \
    const uint32_t a = uint32_t(sp[-1]); \
    const uint32_t r = (expr);         \
    sp[-1] = r;                        \
    T_A(a);                            \
    T_R(r);                            \
    ++ip;                              \
    DISPATCH();                        \
  }
#define UN64(label, T, expr)           \
  label : {                            \
    const uint64_t a = sp[-1];         \
    const T r = (expr);                \
    sp[-1] = uint64_t(r);              \
    T_A(a);                            \
    T_R(r);                            \
    ++ip;                              \
    DISPATCH();                        \
  }
#define BIN32(label, expr)                  \
  label : {                                 \
    const uint32_t b = uint32_t(sp[-1]);    \
    const uint32_t a = uint32_t(sp[-2]);    \
    const uint32_t r = (expr);              \
    --sp;                                   \
    sp[-1] = r;                             \
    T_A(a);                                 \
    T_B(b);                                 \
    T_R(r);                                 \
    ++ip;                                   \
    DISPATCH();                             \
  }
#define BIN64(label, T, expr)               \
  label : {                                 \
    const uint64_t b = sp[-1];              \
    const uint64_t a = sp[-2];              \
    const T r = (expr);                     \
    --sp;                                   \
    sp[-1] = uint64_t(r);                   \
    T_A(a);                                 \
    T_B(b);                                 \
    T_R(r);                                 \
    ++ip;                                   \
    DISPATCH();                             \
  }
#define DIV32(label, check, expr)           \
  label : {                                 \
    const uint32_t b = uint32_t(sp[-1]);    \
    const uint32_t a = uint32_t(sp[-2]);    \
    T_A(a);                                 \
    T_B(b);                                 \
    if (b == 0) TRAP(TrapCode::kIntegerDivideByZero, nullptr); \
    check;                                  \
    const uint32_t r = (expr);              \
    --sp;                                   \
    sp[-1] = r;                             \
    T_R(r);                                 \
    ++ip;                                   \
    DISPATCH();                             \
  }
#define DIV64(label, check, expr)           \
  label : {                                 \
    const uint64_t b = sp[-1];              \
    const uint64_t a = sp[-2];              \
    T_A(a);                                 \
    T_B(b);                                 \
    if (b == 0) TRAP(TrapCode::kIntegerDivideByZero, nullptr); \
    check;                                  \
    const uint64_t r = (expr);              \
    --sp;                                   \
    sp[-1] = r;                             \
    T_R(r);                                 \
    ++ip;                                   \
    DISPATCH();                             \
  }

  UN32(L_kI32Eqz, a == 0)
  BIN32(L_kI32Eq, a == b)
  BIN32(L_kI32Ne, a != b)
  BIN32(L_kI32LtS, int32_t(a) < int32_t(b))
  BIN32(L_kI32LtU, a < b)
  BIN32(L_kI32GtS, int32_t(a) > int32_t(b))
  BIN32(L_kI32GtU, a > b)
  BIN32(L_kI32LeS, int32_t(a) <= int32_t(b))
  BIN32(L_kI32LeU, a <= b)
  BIN32(L_kI32GeS, int32_t(a) >= int32_t(b))
  BIN32(L_kI32GeU, a >= b)
  UN64(L_kI64Eqz, uint32_t, a == 0)
  BIN64(L_kI64Eq, uint32_t, a == b)
  BIN64(L_kI64Ne, uint32_t, a != b)
  BIN64(L_kI64LtS, uint32_t, int64_t(a) < int64_t(b))
  BIN64(L_kI64LtU, uint32_t, a < b)
  BIN64(L_kI64GtS, uint32_t, int64_t(a) > int64_t(b))
  BIN64(L_kI64GtU, uint32_t, a > b)
  BIN64(L_kI64LeS, uint32_t, int64_t(a) <= int64_t(b))
  BIN64(L_kI64LeU, uint32_t, a <= b)
  BIN64(L_kI64GeS, uint32_t, int64_t(a) >= int64_t(b))
  BIN64(L_kI64GeU, uint32_t, a >= b)

  UN32(L_kI32Clz, uint32_t(std::countl_zero(a)))
  UN32(L_kI32Ctz, uint32_t(std::countr_zero(a)))
  UN32(L_kI32Popcnt, uint32_t(std::popcount(a)))
  BIN32(L_kI32Add, a + b)
  BIN32(L_kI32Sub, a - b)
  BIN32(L_kI32Mul, a * b)
  DIV32(L_kI32DivS, if (a == 0x80000000u && b == 0xFFFFFFFFu) TRAP(TrapCode::kIntegerOverflow, nullptr),
        uint32_t(int32_t(a) / int32_t(b)))
  DIV32(L_kI32DivU, (void)0, a / b)
  DIV32(L_kI32RemS, (void)0, b == 0xFFFFFFFFu ? 0u : uint32_t(int32_t(a) % int32_t(b)))
  DIV32(L_kI32RemU, (void)0, a % b)
  BIN32(L_kI32And, a & b)
  BIN32(L_kI32Or, a | b)
  BIN32(L_kI32Xor, a ^ b)
  BIN32(L_kI32Shl, a << (b & 31))
  BIN32(L_kI32ShrS, uint32_t(int32_t(a) >> (b & 31)))
  BIN32(L_kI32ShrU, a >> (b & 31))
  BIN32(L_kI32Rotl, std::rotl(a, int(b & 31)))
  BIN32(L_kI32Rotr, std::rotr(a, int(b & 31)))

  UN64(L_kI64Clz, uint64_t, uint64_t(std::countl_zero(a)))
  UN64(L_kI64Ctz, uint64_t, uint64_t(std::countr_zero(a)))
  UN64(L_kI64Popcnt, uint64_t, uint64_t(std::popcount(a)))
  BIN64(L_kI64Add, uint64_t, a + b)
  BIN64(L_kI64Sub, uint64_t, a - b)
  BIN64(L_kI64Mul, uint64_t, a * b)
  DIV64(L_kI64DivS,
        if (a == 0x8000000000000000ull && b == ~0ull) TRAP(TrapCode::kIntegerOverflow, nullptr),
        uint64_t(int64_t(a) / int64_t(b)))
  DIV64(L_kI64DivU, (void)0, a / b)
  DIV64(L_kI64RemS, (void)0, b == ~0ull ? 0ull : uint64_t(int64_t(a) % int64_t(b)))
  DIV64(L_kI64RemU, (void)0, a % b)
  BIN64(L_kI64And, uint64_t, a & b)
  BIN64(L_kI64Or, uint64_t, a | b)
  BIN64(L_kI64Xor, uint64_t, a ^ b)
  BIN64(L_kI64Shl, uint64_t, a << (b & 63))
  BIN64(L_kI64ShrS, uint64_t, uint64_t(int64_t(a) >> (b & 63)))
  BIN64(L_kI64ShrU, uint64_t, a >> (b & 63))
  BIN64(L_kI64Rotl, uint64_t, std::rotl(a, int(b & 63)))
  BIN64(L_kI64Rotr, uint64_t, std::rotr(a, int(b & 63)))

  UN64(L_kI32WrapI64, uint32_t, uint32_t(a))
  UN64(L_kI64ExtendI32S, uint64_t, uint64_t(int64_t(int32_t(uint32_t(a)))))
  UN64(L_kI64ExtendI32U, uint64_t, uint64_t(uint32_t(a)))
  UN32(L_kI32Extend8S, uint32_t(int32_t(int8_t(a))))
  UN32(L_kI32Extend16S, uint32_t(int32_t(int16_t(a))))
  UN64(L_kI64Extend8S, uint64_t, uint64_t(int64_t(int8_t(a))))
  UN64(L_kI64Extend16S, uint64_t, uint64_t(int64_t(int16_t(a))))
  UN64(L_kI64Extend32S, uint64_t, uint64_t(int64_t(int32_t(a))))

out_of_gas:
  SAVE();
  trap_message_ = std::string(trap_reason(TrapCode::kOutOfGas)) + ": instruction at pc " +
                  std::to_string(ip - code) + " costs " + std::to_string(ip->gas) + ", " +
                  std::to_string(gas) + " left (gas used " + std::to_string(gas_limit_ - gas) + ")";
  return TrapCode::kOutOfGas;

pause:
  SAVE();
  paused_ = true;
  return TrapCode::kNone;

trapped:
  SAVE();
  return trap_at(trap, uint32_t(ip - code), detail);

trapped_host:
  SAVE();
  trap_at(trap, uint32_t(ip - code), nullptr);
  if (!host_trap_message_.empty()) trap_message_ = host_trap_message_ + " (pc " + std::to_string(ip - code) + ")";
  return trap;

done:
  SAVE();
  return TrapCode::kNone;

#undef SAVE
#undef RELOAD_MEM
#undef DISPATCH
#undef T_AUX
#undef T_A
#undef T_B
#undef T_R
#undef TRAP
#undef BRANCH_TO
#undef UN32
#undef UN64
#undef BIN32
#undef BIN64
#undef DIV32
#undef DIV64
}

template TrapCode Instance::execute<false>(RunState&);
template TrapCode Instance::execute<true>(RunState&);

}  // namespace efaas::wasm
