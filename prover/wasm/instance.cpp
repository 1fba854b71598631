// Instantiation (import resolution, segments, start function), invocation and the services
// host functions use. The interpreter loop itself is in interpreter.cpp.
#include "prover/wasm/instance.hpp"

#include <algorithm>
#include <cstring>

namespace efaas::wasm {

const char* trap_reason(TrapCode code) {
  switch (code) {
    case TrapCode::kNone:
      return "none";
    case TrapCode::kUnreachable:
      return "unreachable";
    case TrapCode::kMemoryOutOfBounds:
      return "out of bounds memory access";
    case TrapCode::kIntegerDivideByZero:
      return "integer divide by zero";
    case TrapCode::kIntegerOverflow:
      return "integer overflow";
    case TrapCode::kIndirectCallTypeMismatch:
      return "indirect call type mismatch";
    case TrapCode::kUndefinedElement:
      return "undefined element";
    case TrapCode::kUninitializedElement:
      return "uninitialized element";
    case TrapCode::kCallStackExhausted:
      return "call stack exhausted";
    case TrapCode::kValueStackExhausted:
      return "value stack exhausted";
    case TrapCode::kOutOfGas:
      return "out of gas";
    case TrapCode::kHostAbort:
      return "aborted by the extension";
    case TrapCode::kHostError:
      return "host function error";
  }
  return "unknown trap";
}

void Linker::define_instance(const std::string& module, Instance& instance) {
  for (const Export& e : instance.module().exports) {
    Result<Extern> x = instance.export_extern(e.name);
    if (x) define(module, e.name, *x);
  }
}

Instance::~Instance() = default;

namespace {

std::string import_name(const Import& im) {
  return "\"" + im.module + "\".\"" + im.name + "\"";
}

Status incompatible(const Import& im, const std::string& why) {
  return invalid_argument("incompatible import type for " + import_name(im) + ": " + why);
}

bool limits_match(uint64_t cur_min, bool has_max, uint32_t max, const Limits& want) {
  if (cur_min < want.min) return false;
  if (want.has_max) {
    if (!has_max || max > want.max) return false;
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<Instance>> Instance::instantiate(std::shared_ptr<const Module> module,
                                                        const Linker& linker,
                                                        const RuntimeLimits& limits,
                                                        bool run_start) {
  std::unique_ptr<Instance> inst(new Instance());
  Instance& I = *inst;
  I.module_ = module;
  I.limits_ = limits;
  const Module& m = *module;

  for (const Import& im : m.imports) {
    const Extern* e = linker.find(im.module, im.name);
    if (!e) return invalid_argument("unknown import " + import_name(im));
    switch (im.kind) {
      case ExternKind::kFunc: {
        const ExternFunc* f = std::get_if<ExternFunc>(e);
        if (!f) return incompatible(im, "not a function");
        if (!(f->type == m.types[im.type_index])) {
          return incompatible(im, "function type " + func_type_string(f->type) + ", expected " +
                                      func_type_string(m.types[im.type_index]));
        }
        I.imported_funcs_.push_back(*f);
        break;
      }
      case ExternKind::kTable: {
        const auto* t = std::get_if<std::shared_ptr<Table>>(e);
        if (!t) return incompatible(im, "not a table");
        if (!limits_match((*t)->elems.size(), (*t)->has_max, (*t)->max, im.limits)) {
          return incompatible(im, "table limits do not match");
        }
        I.tables_.push_back(*t);
        break;
      }
      case ExternKind::kMemory: {
        const auto* mem = std::get_if<std::shared_ptr<Memory>>(e);
        if (!mem) return incompatible(im, "not a memory");
        if (!limits_match((*mem)->pages, true, (*mem)->max_pages, im.limits) ||
            (im.limits.has_max && (*mem)->max_pages > im.limits.max)) {
          return incompatible(im, "memory limits do not match");
        }
        I.memories_.push_back(*mem);
        break;
      }
      case ExternKind::kGlobal: {
        const auto* g = std::get_if<std::shared_ptr<GlobalCell>>(e);
        if (!g) return incompatible(im, "not a global");
        if ((*g)->type.type != im.global.type || (*g)->type.is_mutable != im.global.is_mutable) {
          return incompatible(im, "global type does not match");
        }
        I.globals_.push_back(*g);
        break;
      }
    }
  }
  // Memory-imported modules declare their memory max via the import; a defined memory is
  // capped by the runtime limit.
  for (size_t i = I.memories_.size(); i < m.memories.size(); ++i) {
    const Limits& l = m.memories[i];
    if (l.min > limits.max_memory_pages) {
      return out_of_range("memory of " + std::to_string(l.min) + " pages exceeds the limit of " +
                          std::to_string(limits.max_memory_pages) + " pages");
    }
    auto mem = std::make_shared<Memory>();
    mem->pages = l.min;
    mem->max_pages = l.has_max ? std::min(l.max, limits.max_memory_pages) : limits.max_memory_pages;
    mem->bytes.assign(size_t(l.min) * 65536, 0);
    I.memories_.push_back(std::move(mem));
  }
  for (size_t i = I.tables_.size(); i < m.tables.size(); ++i) {
    const Limits& l = m.tables[i];
    if (l.min > limits.max_table_elements) {
      return out_of_range("table of " + std::to_string(l.min) + " elements exceeds the limit of " +
                          std::to_string(limits.max_table_elements));
    }
    auto table = std::make_shared<Table>();
    table->elems.resize(l.min);
    table->has_max = l.has_max;
    table->max = l.max;
    I.tables_.push_back(std::move(table));
  }
  // Index 0 on the interpreter's fast path and for host functions.
  if (!I.memories_.empty()) I.memory_ = I.memories_[0];
  if (!I.tables_.empty()) I.table_ = I.tables_[0];
  for (size_t i = 0; i < m.global_inits.size(); ++i) {
    auto cell = std::make_shared<GlobalCell>();
    cell->type = m.global_types[m.num_imported_globals + i];
    const ConstExpr& init = m.global_inits[i];
    cell->value =
        init.kind == ConstExpr::Kind::kConst ? init.value : I.globals_[init.global_index]->value;
    I.globals_.push_back(std::move(cell));
  }
  for (auto& g : I.globals_) I.global_ptrs_.push_back(&g->value);
  for (const Function& f : m.funcs) {
    const FuncType& t = m.types[f.type_index];
    I.funcs_.push_back(FuncInfo{f.entry_pc, uint32_t(t.params.size()), f.num_locals, f.max_height,
                                m.canonical_type[f.type_index], uint32_t(t.results.size())});
  }
  I.stack_.reset(new uint64_t[limits.max_stack_slots]);
  I.frames_.resize(size_t(limits.max_call_depth) + 1);

  auto eval = [&](const ConstExpr& e) -> uint64_t {
    return e.kind == ConstExpr::Kind::kConst ? e.value : I.globals_[e.global_index]->value;
  };
  // WebAssembly 1.0: every segment is bounds-checked before any is written.
  for (const ElemSegment& seg : m.elems) {
    const uint64_t off = uint32_t(eval(seg.offset));
    const Table& table = *I.tables_.at(seg.table);
    if (off + seg.funcs.size() > table.elems.size()) {
      return invalid_argument("link error: elements segment does not fit (offset " +
                              std::to_string(off) + ", " + std::to_string(seg.funcs.size()) +
                              " elements, table size " + std::to_string(table.elems.size()) +
                              ")");
    }
  }
  for (const DataSegment& seg : m.datas) {
    const uint64_t off = uint32_t(eval(seg.offset));
    const Memory& mem = *I.memories_.at(seg.memory);
    if (off + seg.bytes.size() > mem.bytes.size()) {
      return invalid_argument("link error: data segment does not fit (offset " +
                              std::to_string(off) + ", " + std::to_string(seg.bytes.size()) +
                              " bytes, memory size " + std::to_string(mem.bytes.size()) +
                              ")");
    }
  }
  for (const ElemSegment& seg : m.elems) {
    const uint64_t off = uint32_t(eval(seg.offset));
    Table& table = *I.tables_[seg.table];
    for (size_t k = 0; k < seg.funcs.size(); ++k) {
      const uint32_t fi = seg.funcs[k];
      if (fi < m.num_imported_funcs && I.imported_funcs_[fi].wasm.instance) {
        table.elems[off + k] = I.imported_funcs_[fi].wasm;  // keep the original instance
      } else {
        table.elems[off + k] = FuncRef{&I, fi};
      }
    }
  }
  for (const DataSegment& seg : m.datas) {
    const uint64_t off = uint32_t(eval(seg.offset));
    if (!seg.bytes.empty())
      std::memcpy(I.memories_[seg.memory]->bytes.data() + off, seg.bytes.data(), seg.bytes.size());
  }
  if (run_start) EFAAS_RETURN_IF_ERROR(I.run_start());
  return inst;
}

Status Instance::run_start() {
  if (!module_->start) return Status::ok();
  Result<ExecResult> r = invoke(*module_->start, {});
  if (!r) return r.status();
  if (r->trap != TrapCode::kNone) {
    return invalid_argument("instantiation trap: start function: " + r->trap_message);
  }
  return Status::ok();
}

Result<Extern> Instance::export_extern(const std::string& name) {
  const Export* e = module_->find_export(name);
  if (!e) return invalid_argument("unknown export \"" + name + "\"");
  switch (e->kind) {
    case ExternKind::kFunc:
      if (e->index < module_->num_imported_funcs) return Extern(imported_funcs_[e->index]);
      return Extern(ExternFunc{module_->func_type(e->index), {}, FuncRef{this, e->index}});
    case ExternKind::kTable:
      if (e->index >= tables_.size()) return invalid_argument("unknown table export");
      return Extern(tables_[e->index]);
    case ExternKind::kMemory:
      if (e->index >= memories_.size()) return invalid_argument("unknown memory export");
      return Extern(memories_[e->index]);
    case ExternKind::kGlobal:
      return Extern(globals_[e->index]);
  }
  return invalid_argument("unknown export kind");
}

Result<ExecResult> Instance::invoke_export(const std::string& name, std::span<const uint64_t> args,
                                           const ExecOptions& options) {
  const Export* e = module_->find_export(name);
  if (!e || e->kind != ExternKind::kFunc) {
    return invalid_argument("module has no exported function \"" + name + "\"");
  }
  return invoke(e->index, args, options);
}

Result<ExecResult> Instance::invoke(uint32_t func, std::span<const uint64_t> args,
                                    const ExecOptions& options) {
  const Module& m = *module_;
  if (func >= m.func_type_index.size()) {
    return invalid_argument("unknown function " + std::to_string(func));
  }
  const FuncType& type = m.func_type(func);
  if (args.size() != type.params.size()) {
    return invalid_argument("function " + std::to_string(func) + " takes " +
                            std::to_string(type.params.size()) + " argument(s) " +
                            func_type_string(type) + ", got " + std::to_string(args.size()));
  }
  if (paused_) return invalid_argument("an invocation is paused: resume() it first");
  if (func < m.num_imported_funcs) {
    // An exported import: call it directly.
    std::vector<uint64_t> buf(std::max(args.size(), type.results.size()) + 1);
    std::copy(args.begin(), args.end(), buf.begin());
    ExecResult r;
    const bool outer = !running_;
    if (outer) {
      gas_limit_ = gas_left_ = options.gas_limit;
      steps_ = 0;
    }
    RunState st{0, 0, 0, 0, 0};
    r.trap = call_extern(type, &imported_funcs_[func], imported_funcs_[func].wasm, buf.data(), st);
    if (r.trap != TrapCode::kNone) {
      r.trap_message = host_trap_message_.empty() ? trap_reason(r.trap) : host_trap_message_;
    } else {
      r.results.assign(buf.begin(), buf.begin() + ptrdiff_t(type.results.size()));
    }
    if (outer) {
      r.gas_used = gas_limit_ - gas_left_;
      r.instructions = steps_;
    }
    return r;
  }
  return start_run(func, args, options);
}

Result<ExecResult> Instance::start_run(uint32_t func, std::span<const uint64_t> args,
                                       const ExecOptions& options) {
  const Module& m = *module_;
  const FuncType& type = m.func_type(func);
  const FuncInfo& f = funcs_[func - m.num_imported_funcs];
  const bool nested = running_;
  const RunState outer = run_;
  TraceWriter* const outer_trace = trace_;
  const uint64_t outer_limit = step_limit_;
  RunState st{};
  if (nested) {
    st.sp = run_.sp;
    st.depth = run_.depth;
  } else {
    gas_limit_ = gas_left_ = options.gas_limit;
    steps_ = 0;
    step_limit_ = options.pause_after;
    trace_ = options.trace;
    entry_func_ = func;
    host_trap_message_.clear();
  }
  st.base_depth = st.depth;
  ExecResult r;
  const uint32_t base = st.sp;
  if (uint64_t(base) + f.max_height > limits_.max_stack_slots) {
    r.trap = TrapCode::kValueStackExhausted;
    r.trap_message =
        std::string(trap_reason(r.trap)) + " entering function " + std::to_string(func);
    return r;
  }
  uint64_t* fp = stack_.get() + base;
  for (size_t i = 0; i < args.size(); ++i) {
    fp[i] = type.params[i] == ValType::kI32 ? uint32_t(args[i]) : args[i];
  }
  for (uint32_t i = f.num_params; i < f.num_locals; ++i) fp[i] = 0;
  st.fp = base;
  st.sp = base + f.num_locals;
  st.pc = f.entry_pc;
  running_ = true;
  run_ = st;
  trap_message_.clear();
  const TrapCode trap = trace_ ? execute<true>(run_) : execute<false>(run_);
  r.trap = trap;
  if (trap != TrapCode::kNone) r.trap_message = trap_message_;
  const bool finished = trap != TrapCode::kNone || !paused_;
  if (trap == TrapCode::kNone && !paused_) {
    for (size_t i = 0; i < type.results.size(); ++i) r.results.push_back(stack_[base + i]);
  }
  r.paused = paused_;
  if (nested) {
    run_ = outer;
    trace_ = outer_trace;
    step_limit_ = outer_limit;
  } else {
    r.gas_used = gas_limit_ - gas_left_;
    r.instructions = steps_;
    if (finished) running_ = false;
  }
  if (nested) running_ = true;
  return r;
}

Result<ExecResult> Instance::resume(const ExecOptions& options) {
  if (!paused_) return invalid_argument("no paused invocation to resume");
  paused_ = false;
  step_limit_ = options.pause_after;
  if (options.trace) trace_ = options.trace;
  const FuncType& type = module_->func_type(entry_func_);
  const TrapCode trap = trace_ ? execute<true>(run_) : execute<false>(run_);
  ExecResult r;
  r.trap = trap;
  if (trap != TrapCode::kNone) r.trap_message = trap_message_;
  if (trap == TrapCode::kNone && !paused_) {
    for (size_t i = 0; i < type.results.size(); ++i) r.results.push_back(stack_[i]);
  }
  r.paused = paused_;
  r.gas_used = gas_limit_ - gas_left_;
  r.instructions = steps_;
  if (!paused_) running_ = false;
  return r;
}

MachineState Instance::machine_state() const {
  MachineState s;
  s.pc = run_.pc;
  s.depth = run_.depth;
  s.sp = run_.sp;
  s.fp = run_.fp;
  s.gas_left = gas_left_;
  s.instructions = steps_;
  for (uint32_t i = 0; i < run_.depth; ++i)
    s.frames.push_back({frames_[i].ret_pc, frames_[i].fp, frames_[i].func});
  s.stack.assign(stack_.get(), stack_.get() + run_.sp);
  return s;
}

TrapCode Instance::charge_gas(uint64_t amount) {
  if (gas_left_ < amount) {
    host_trap_message_ = "out of gas in a host call: needs " + std::to_string(amount) + ", " +
                         std::to_string(gas_left_) + " left";
    return TrapCode::kOutOfGas;
  }
  gas_left_ -= amount;
  return TrapCode::kNone;
}

TrapCode Instance::host_read(uint32_t addr, uint32_t len, uint8_t* out) {
  if (!memory_ || uint64_t(addr) + len > memory_->bytes.size()) {
    host_trap_message_ = "out of bounds memory access: host read of " + std::to_string(len) +
                         " bytes at " + std::to_string(addr);
    return TrapCode::kMemoryOutOfBounds;
  }
  std::memcpy(out, memory_->bytes.data() + addr, len);
  if (trace_) {
    for (uint32_t k = 0; k < len; k += 8) {
      const uint32_t n = std::min<uint32_t>(8, len - k);
      uint64_t v = 0;
      std::memcpy(&v, out + k, n);
      pending_io_.push_back(StepRecord{host_pc_, uint16_t(Op::kHostRead), uint16_t(run_.depth),
                                       run_.sp, addr + k, v, n, 0});
    }
  }
  return TrapCode::kNone;
}

TrapCode Instance::host_write(uint32_t addr, const uint8_t* data, uint32_t len) {
  if (!memory_ || uint64_t(addr) + len > memory_->bytes.size()) {
    host_trap_message_ = "out of bounds memory access: host write of " + std::to_string(len) +
                         " bytes at " + std::to_string(addr);
    return TrapCode::kMemoryOutOfBounds;
  }
  if (trace_) {
    for (uint32_t k = 0; k < len; k += 8) {
      const uint32_t n = std::min<uint32_t>(8, len - k);
      uint64_t v = 0, old = 0;
      std::memcpy(&v, data + k, n);
      std::memcpy(&old, memory_->bytes.data() + addr + k, n);
      pending_io_.push_back(StepRecord{host_pc_, uint16_t(Op::kHostWrite), uint16_t(run_.depth),
                                       run_.sp, addr + k, v, n, old});
    }
  }
  std::memcpy(memory_->bytes.data() + addr, data, len);
  return TrapCode::kNone;
}

TrapCode Instance::call_extern(const FuncType& type, const ExternFunc* ext, const FuncRef& ref,
                               uint64_t* args, RunState& st) {
  host_trap_message_.clear();
  pending_io_.clear();
  if (ext && ext->host) {
    uint64_t results[1] = {0};
    const TrapCode t = ext->host(*this, args, results);
    if (t != TrapCode::kNone) return t;
    if (!type.results.empty())
      args[0] = type.results[0] == ValType::kI32 ? uint32_t(results[0]) : results[0];
    return TrapCode::kNone;
  }
  Instance* other = ref.instance;
  if (!other) {
    host_trap_message_ = "import has no implementation";
    return TrapCode::kHostError;
  }
  ExecOptions o;
  o.gas_limit = gas_left_;
  Result<ExecResult> r =
      other->invoke(ref.func, std::span<const uint64_t>(args, type.params.size()), o);
  if (!r) {
    host_trap_message_ = r.status().message();
    return TrapCode::kHostError;
  }
  if (other != this) {
    gas_left_ -= std::min(gas_left_, r->gas_used);
    steps_ += r->instructions;
  }
  if (r->trap != TrapCode::kNone) {
    host_trap_message_ = r->trap_message;
    return r->trap;
  }
  if (!r->results.empty()) args[0] = r->results[0];
  (void)st;
  return TrapCode::kNone;
}

TrapCode Instance::trap_at(TrapCode code, uint32_t pc, const char* detail) {
  // The function holding `pc`: the last one whose entry is at or before it.
  uint32_t func = 0;
  for (size_t i = 0; i < funcs_.size(); ++i) {
    if (funcs_[i].entry_pc <= pc) func = uint32_t(i + module_->num_imported_funcs);
  }
  trap_message_ = std::string(trap_reason(code)) + (detail ? std::string(": ") + detail : "") +
                  " (pc " + std::to_string(pc) + ", function " + std::to_string(func) + ")";
  return code;
}

}  // namespace efaas::wasm
