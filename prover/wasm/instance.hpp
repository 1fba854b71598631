#pragma once
// A module instance and the interpreter that runs it: deterministic, gas-metered, with limits
// on call depth, value-stack height and memory pages, optionally writing an execution trace.
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "prover/common/status.hpp"
#include "prover/wasm/module.hpp"
#include "prover/wasm/trace.hpp"

namespace efaas::wasm {

enum class TrapCode : uint32_t {
  kNone = 0,
  kUnreachable,
  kMemoryOutOfBounds,
  kIntegerDivideByZero,
  kIntegerOverflow,
  kIndirectCallTypeMismatch,
  kUndefinedElement,
  kUninitializedElement,
  kCallStackExhausted,
  kValueStackExhausted,
  kOutOfGas,
  kHostAbort,  // the Extension called efaas.abort
  kHostError,  // a host function rejected its arguments (message says why)
};
// The spec's reason ("integer divide by zero", ...).
const char* trap_reason(TrapCode code);

struct RuntimeLimits {
  uint32_t max_call_depth = 16384;
  uint32_t max_stack_slots = 1u << 20;  // value stack incl. locals, 8 bytes each
  uint32_t max_memory_pages = 4096;     // 256 MiB
  uint32_t max_table_elements = 1u << 20;
};

class Instance;

struct FuncRef {
  Instance* instance = nullptr;  // nullptr: uninitialized table slot
  uint32_t func = 0;
};

struct Memory {
  std::vector<uint8_t> bytes;
  uint32_t pages = 0;
  uint32_t max_pages = 0;  // declared maximum capped by RuntimeLimits
};

struct Table {
  std::vector<FuncRef> elems;
  bool has_max = false;
  uint32_t max = 0;
};

struct GlobalCell {
  uint64_t value = 0;
  GlobalType type;
};

// A host function: reads its arguments, writes its results, returns kNone or a trap.
using HostFunction =
    std::function<TrapCode(Instance& caller, const uint64_t* args, uint64_t* results)>;

struct ExternFunc {
  FuncType type;
  HostFunction host;  // either a host function
  FuncRef wasm;       // or a function of another instance
};

using Extern = std::variant<ExternFunc, std::shared_ptr<Memory>, std::shared_ptr<Table>,
                            std::shared_ptr<GlobalCell>>;

// Resolves imports by (module, name).
class Linker {
 public:
  void define(const std::string& module, const std::string& name, Extern value) {
    defs_[{module, name}] = std::move(value);
  }
  // Every export of `instance` under `module`.
  void define_instance(const std::string& module, Instance& instance);
  const Extern* find(const std::string& module, const std::string& name) const {
    auto it = defs_.find({module, name});
    return it == defs_.end() ? nullptr : &it->second;
  }

 private:
  std::map<std::pair<std::string, std::string>, Extern> defs_;
};

struct ExecOptions {
  uint64_t gas_limit = UINT64_MAX;
  TraceWriter* trace = nullptr;
  // Stop (paused) after this many instructions; resume() continues. For segment boundaries.
  uint64_t pause_after = UINT64_MAX;
};

struct ExecResult {
  TrapCode trap = TrapCode::kNone;
  std::string trap_message;  // trap_reason plus detail (pc, function)
  bool paused = false;
  std::vector<uint64_t> results;  // i32 zero-extended
  uint64_t gas_used = 0;
  uint64_t instructions = 0;
};

// The machine state between two instructions (at a segment boundary): what the next segment's
// proof starts from. Memory and globals are read from the instance itself.
struct MachineState {
  uint32_t pc = 0;
  uint32_t depth = 0;
  uint32_t sp = 0;
  uint32_t fp = 0;
  uint64_t gas_left = 0;
  uint64_t instructions = 0;
  struct Frame {
    uint32_t return_pc;
    uint32_t fp;
    uint32_t func;
  };
  std::vector<Frame> frames;
  std::vector<uint64_t> stack;  // slots [0, sp)
};

class Instance {
 public:
  // Resolves imports, allocates memory/table/globals, applies segments and runs the start
  // function. All failures are Status: link errors are INVALID_ARGUMENT ("unknown import",
  // "incompatible import type", "link error: ... segment does not fit"), memory or table sizes
  // over RuntimeLimits are OUT_OF_RANGE, and a trapping start function is INVALID_ARGUMENT
  // starting with "instantiation trap:".
  static Result<std::unique_ptr<Instance>> instantiate(std::shared_ptr<const Module> module,
                                                       const Linker& linker,
                                                       const RuntimeLimits& limits = {},
                                                       bool run_start = true);
  // Runs the start function (when instantiate() was told not to). Segments stay written even
  // when it traps, and other instances' tables may point into this one: keep it alive.
  Status run_start();
  ~Instance();

  const Module& module() const { return *module_; }

  // Calls function `func` (imports included in the index space) with `args`.
  Result<ExecResult> invoke(uint32_t func, std::span<const uint64_t> args,
                            const ExecOptions& options = {});
  Result<ExecResult> invoke_export(const std::string& name, std::span<const uint64_t> args,
                                   const ExecOptions& options = {});
  // Continues a paused invocation.
  Result<ExecResult> resume(const ExecOptions& options);
  bool paused() const { return paused_; }
  MachineState machine_state() const;

  // Exports as externs (for linking and for reading globals).
  Result<Extern> export_extern(const std::string& name);
  const std::shared_ptr<Memory>& memory() const { return memory_; }  // memory 0
  // Every memory and table (several only in a combined module, static_link.hpp).
  const std::vector<std::shared_ptr<Memory>>& memories() const { return memories_; }
  const std::vector<std::shared_ptr<Table>>& tables() const { return tables_; }
  const std::vector<std::shared_ptr<GlobalCell>>& globals() const { return globals_; }

  // For host functions: bounds-checked access to linear memory 0, recorded in the trace as host
  // I/O rows; gas charged to the running invocation.
  TrapCode host_read(uint32_t addr, uint32_t len, uint8_t* out);
  TrapCode host_write(uint32_t addr, const uint8_t* data, uint32_t len);
  TrapCode charge_gas(uint64_t amount);
  void set_host_trap_message(std::string m) { host_trap_message_ = std::move(m); }
  // Opaque pointer for the embedder (the Extension host state).
  void* user_data = nullptr;

 private:
  struct Frame {
    uint32_t ret_pc;
    uint32_t fp;  // slot index
    uint32_t func;
  };
  struct FuncInfo {
    uint32_t entry_pc;
    uint32_t num_params;
    uint32_t num_locals;
    uint32_t max_height;
    uint32_t canonical_type;
    uint32_t num_results;
  };
  struct RunState {
    uint32_t pc;
    uint32_t sp;
    uint32_t fp;
    uint32_t depth;       // frames in use
    uint32_t base_depth;  // depth at which the outermost function of this run returns
  };

  Instance() = default;
  Result<ExecResult> start_run(uint32_t func, std::span<const uint64_t> args,
                               const ExecOptions& options);
  Result<ExecResult> continue_run(const ExecOptions& options);
  template <bool kTrace>
  TrapCode execute(RunState& st);
  // Calls an import or a function of another instance from inside execute().
  TrapCode call_extern(const FuncType& type, const ExternFunc* ext, const FuncRef& ref,
                       uint64_t* args, RunState& st);
  TrapCode trap_at(TrapCode code, uint32_t pc, const char* detail = nullptr);

  std::shared_ptr<const Module> module_;
  RuntimeLimits limits_;
  std::vector<FuncInfo> funcs_;  // defined functions
  std::vector<ExternFunc> imported_funcs_;
  std::vector<std::shared_ptr<Memory>> memories_;
  std::vector<std::shared_ptr<Table>> tables_;
  std::shared_ptr<Memory> memory_;  // memories_[0], the interpreter's fast path
  std::shared_ptr<Table> table_;    // tables_[0]
  std::vector<std::shared_ptr<GlobalCell>> globals_;
  std::vector<uint64_t*> global_ptrs_;
  std::unique_ptr<uint64_t[]> stack_;
  std::vector<Frame> frames_;

  // The invocation in progress.
  RunState run_{};
  bool running_ = false;
  bool paused_ = false;
  uint64_t gas_left_ = 0;
  uint64_t gas_limit_ = 0;
  uint64_t steps_ = 0;
  uint64_t step_limit_ = UINT64_MAX;
  uint32_t entry_func_ = 0;
  TraceWriter* trace_ = nullptr;
  std::string trap_message_;
  std::string host_trap_message_;
  uint32_t host_pc_ = 0;  // pc of the call_host in progress (for host I/O rows)
  // Host I/O rows of the call in progress: written after the call's own record gets its result.
  std::vector<StepRecord> pending_io_;
};

}  // namespace efaas::wasm
