// zkWASM against the WebAssembly core spec tests (../shared/wasm-spec/*.wast, every file the
// runtime's spec test runs): for every module that Program::load accepts, at least one
// assert_return and one assert_trap per invoked export are proved and verified (test preset),
// and the verified public values are compared with the spec's own expected results (each
// proof is also shown to be rejected when it claims another result or trap code). The runtime
// follows the spec's command sequence on one instance per module, as the runtime test does. A
// proof starts from the module's initial state (data segments, global initializers): an
// assertion made while the instance is in that state is proved from the trace of the spec's own
// call; one made after earlier commands changed it, from a fresh instance when the spec's result
// holds there too. A module with imports is proved as a static link set (Program::load_linked:
// spectest as a module, the registered modules it imports from, itself), from a fresh instance
// of the combined module.
//
// Every module or function that is not proved gets a reason from a short allow-list; a refusal
// whose reason is not on it (a prover or verifier failure, a wrong public value) fails the test.
// EFAAS_SPEC_PROVE_ALL=1 proves every assertion it can, not one per kind and function (long).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "prover/common/timer.hpp"
#include "prover/wasm/instance.hpp"
#include "prover/wasm/module.hpp"
#include "prover/wasm/trace.hpp"
#include "prover/zkwasm/spec_testing.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::zkwasm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The allow-list: why a module or an invoked function is not proved. The test decides the
// first ones itself; the others stand for a prover refusal (a substring of Program::load's or
// prove()'s UNIMPLEMENTED message).
constexpr const char* kFloats = "module uses floats (the runtime skips it too)";
constexpr const char* kStart =
    "has a start function and imports (Program::load runs the start function itself, with "
    "nothing to import)";
constexpr const char* kReexport = "export is an imported function (nothing of this module runs)";
constexpr const char* kNotInitialState =
    "asserted only after earlier commands changed the instance, on a result that differs from "
    "the initial state's (proofs start there)";
constexpr const char* kExhaustionOnly =
    "only assert_exhaustion (deep recursion: proved in zkwasm_stack_traps_test)";
constexpr const char* kSameShape =
    "same compiled code as an export of this module proved already, up to constants "
    "(EFAAS_SPEC_PROVE_ALL=1 proves it)";
constexpr const char* kImportedTable =
    "call_indirect of an imported function or through an imported table";
constexpr const char* kLinkAlias =
    "links one instance under two names or a name registered again (the static link set "
    "cannot say which)";
struct Refusal {
  const char* message;  // a substring of the prover's refusal
  const char* reason;
};
const Refusal kRefusals[] = {
    {"importing globals", "imports globals from another module's instance (values not supplied)"},
    {"importing their linear memory",
     "imports a memory not supplied (another module's, or spectest's after other modules' "
     "data segments: only a zero memory below the module's own data is)"},
    {"(an unknown import)",
     "calls an import that is not an efaas host function (spectest.*, other modules)"},
    {"call_indirect of an imported function", kImportedTable},
    {"through an imported table", kImportedTable},
    {"holding an imported function", kImportedTable},
    {"a start function in a module with imports", kStart},
};

const char* reason_of_message(const std::string& msg) {
  for (const Refusal& r : kRefusals)
    if (msg.find(r.message) != std::string::npos) return r.reason;
  return nullptr;
}

bool is_float_type(const json& v) {
  const std::string t = v.value("type", "");
  return t == "f32" || t == "f64";
}

// A defined function's code with its constants left out and branch targets relative to its
// entry: two functions with one shape differ in constants only (the AIR is the same for both).
std::string shape(const wasm::Module& m, uint32_t func) {
  const wasm::Function& f = m.funcs[func - m.num_imported_funcs];
  uint32_t end = uint32_t(m.code.size());
  for (const wasm::Function& g : m.funcs)
    if (g.entry_pc > f.entry_pc) end = std::min(end, g.entry_pc);
  std::string s = std::to_string(f.type_index) + "/" + std::to_string(f.num_locals) + ":";
  for (uint32_t pc = f.entry_pc; pc < end; ++pc) {
    const wasm::Instr& in = m.code[pc];
    s += std::to_string(uint32_t(in.op));
    switch (in.op) {
      case wasm::Op::kI32Const:
      case wasm::Op::kI64Const:
        break;
      case wasm::Op::kBr:
      case wasm::Op::kBrIf:
      case wasm::Op::kBrUnless:
        s += "," + std::to_string(int64_t(in.a) - f.entry_pc) + "," + std::to_string(in.b);
        break;
      case wasm::Op::kBrTable:
        for (uint64_t i = 0; i < in.b; ++i) {
          const wasm::BrTarget& t = m.br_targets[in.a + i];
          s += "," + std::to_string(int64_t(t.pc) - f.entry_pc) + "," + std::to_string(t.height) +
               "," + std::to_string(t.arity);
        }
        break;
      default:
        s += "," + std::to_string(in.a) + "," + std::to_string(in.b);
    }
    s += ";";
  }
  return s;
}

// The "spectest" host module the spec files import (as in prover/wasm/spec_test.cpp).
void define_spectest(wasm::Linker& linker) {
  using wasm::ExternFunc, wasm::FuncType, wasm::ValType;
  auto nop = [](wasm::Instance&, const uint64_t*, uint64_t*) { return wasm::TrapCode::kNone; };
  linker.define("spectest", "print", ExternFunc{FuncType{}, nop, {}});
  linker.define("spectest", "print_i32", ExternFunc{FuncType{{ValType::kI32}, {}}, nop, {}});
  linker.define("spectest", "print_i64", ExternFunc{FuncType{{ValType::kI64}, {}}, nop, {}});
  linker.define("spectest", "print_i32_i32",
                ExternFunc{FuncType{{ValType::kI32, ValType::kI32}, {}}, nop, {}});
  for (const auto& [name, type] :
       {std::pair{"global_i32", ValType::kI32}, {"global_i64", ValType::kI64}}) {
    auto g = std::make_shared<wasm::GlobalCell>();
    g->value = 666;
    g->type = {type, false};
    linker.define("spectest", name, g);
  }
  auto table = std::make_shared<wasm::Table>();
  table->elems.resize(10);
  table->has_max = true;
  table->max = 20;
  linker.define("spectest", "table", table);
  auto mem = std::make_shared<wasm::Memory>();
  mem->pages = 1;
  mem->max_pages = 2;
  mem->bytes.assign(65536, 0);
  linker.define("spectest", "memory", mem);
}

// The same "spectest" as a module of a static link set (docs/zkwasm.md, "Linked modules"): its
// print functions do nothing, its globals, table and memory are the host's.
const char* kSpectestWat = R"((module
  (func (export "print"))
  (func (export "print_i32") (param i32))
  (func (export "print_i64") (param i64))
  (func (export "print_i32_i32") (param i32 i32))
  (global (export "global_i32") i32 (i32.const 666))
  (global (export "global_i64") i64 (i64.const 666))
  (table (export "table") 10 20 funcref)
  (memory (export "memory") 1 2)))";

const std::vector<uint8_t>& spectest_bytes(const fs::path& dir) {
  static const std::vector<uint8_t> bytes = [&] {
    const fs::path wat = dir / "spectest.wat";
    std::ofstream(wat) << kSpectestWat;
    const std::string cmd = "wat2wasm '" + wat.string() + "' -o '" +
                            (dir / "spectest.wasm").string() + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return spec_testing::read_bytes(dir / "spectest.wasm");
  }();
  return bytes;
}

// What an instance holds that a proof's initial state fixes: memory, globals, exported tables.
struct Snapshot {
  uint32_t pages = 0;
  std::vector<uint8_t> memory;
  std::vector<uint64_t> globals;
  std::vector<std::vector<std::pair<const void*, uint32_t>>> tables;
};

std::vector<std::vector<std::pair<const void*, uint32_t>>> exported_tables(wasm::Instance& inst) {
  std::vector<std::vector<std::pair<const void*, uint32_t>>> out;
  for (const wasm::Export& e : inst.module().exports) {
    if (e.kind != wasm::ExternKind::kTable) continue;
    auto x = inst.export_extern(e.name);
    if (!x) continue;
    if (const auto* t = std::get_if<std::shared_ptr<wasm::Table>>(&*x)) {
      auto& v = out.emplace_back();
      for (const wasm::FuncRef& f : (*t)->elems) v.emplace_back(f.instance, f.func);
    }
  }
  return out;
}

Snapshot snapshot(wasm::Instance& inst) {
  Snapshot s;
  if (const auto& m = inst.memory()) {
    s.pages = m->pages;
    s.memory = m->bytes;
  }
  for (const auto& g : inst.globals()) s.globals.push_back(g->value);
  s.tables = exported_tables(inst);
  return s;
}

// Whether `inst` still holds `s` (compared in place: memories may grow to hundreds of MiB).
bool holds(wasm::Instance& inst, const Snapshot& s) {
  if (const auto& m = inst.memory()) {
    if (m->pages != s.pages || m->bytes != s.memory) return false;
  } else if (s.pages != 0) {
    return false;
  }
  const auto& globals = inst.globals();
  if (globals.size() != s.globals.size()) return false;
  for (size_t i = 0; i < globals.size(); ++i)
    if (globals[i]->value != s.globals[i]) return false;
  return exported_tables(inst) == s.tables;
}

// One row of the summary table.
struct Row {
  int modules = 0, modules_loaded = 0;
  int functions = 0, functions_proved = 0;
  int returns_proved = 0, traps_proved = 0;
  int skipped = 0;  // assertions not proved (each function's others included)
  int failed = 0;
  std::map<std::string, int> module_refusals, function_refusals;
};

struct Totals {
  std::map<std::string, Row> rows;
  std::vector<std::string> refusals;  // "file.wast:line function: reason" of each function
  double cpu_seconds = 0;
  std::vector<std::pair<double, std::string>> costs;  // per proof: CPU-s, "file:line export"
  std::vector<std::string> replayed;  // proved on a state the verifier replays: "file:line export"
};
Totals& totals() {
  static Totals t;
  return t;
}

void print_tables() {
  Totals& t = totals();
  if (t.rows.empty()) return;
  std::printf("\nfunctions not proved (file:line of the first assertion, export, reason):\n");
  for (const std::string& r : t.refusals) std::printf("  %s\n", r.c_str());
  std::printf("\n%-26s %7s %7s %6s %6s %7s %6s %7s %6s\n", "spec file", "modules", "loaded",
              "funcs", "proved", "returns", "traps", "skipped", "failed");
  Row sum;
  std::map<std::string, int> mref, fref;
  for (const auto& [file, r] : t.rows) {
    std::printf("%-26s %7d %7d %6d %6d %7d %6d %7d %6d\n", file.c_str(), r.modules,
                r.modules_loaded, r.functions, r.functions_proved, r.returns_proved, r.traps_proved,
                r.skipped, r.failed);
    sum.modules += r.modules, sum.modules_loaded += r.modules_loaded;
    sum.functions += r.functions, sum.functions_proved += r.functions_proved;
    sum.returns_proved += r.returns_proved, sum.traps_proved += r.traps_proved;
    sum.skipped += r.skipped, sum.failed += r.failed;
    for (const auto& [k, n] : r.module_refusals) mref[k] += n;
    for (const auto& [k, n] : r.function_refusals) fref[k] += n;
  }
  std::printf("%-26s %7d %7d %6d %6d %7d %6d %7d %6d\n", "TOTAL", sum.modules, sum.modules_loaded,
              sum.functions, sum.functions_proved, sum.returns_proved, sum.traps_proved,
              sum.skipped, sum.failed);
  std::printf("\nproved on a state the verifier replays (a failed instantiation, earlier calls):\n");
  for (const std::string& r : t.replayed) std::printf("  %s\n", r.c_str());
  std::printf("\nmodules not loaded, by reason:\n");
  for (const auto& [k, n] : mref) std::printf("  %5d  %s\n", n, k.c_str());
  std::printf("functions not proved, by reason:\n");
  for (const auto& [k, n] : fref) std::printf("  %5d  %s\n", n, k.c_str());
  std::printf(
      "proving and verifying: %.1f CPU-s (process CPU time) in %zu prove calls; "
      "the costliest:\n",
      t.cpu_seconds, t.costs.size());
  std::sort(t.costs.rbegin(), t.costs.rend());
  for (size_t i = 0; i < t.costs.size() && i < 5; ++i)
    std::printf("  %6.2f CPU-s  %s\n", t.costs[i].first, t.costs[i].second.c_str());
}

class TableEnv : public ::testing::Environment {
 public:
  void TearDown() override { print_tables(); }
};
const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new TableEnv);

bool prove_all() {
  const char* v = std::getenv("EFAAS_SPEC_PROVE_ALL");
  return v && std::string(v) == "1";
}

std::vector<std::string> spec_files() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e :
       fs::directory_iterator(fs::path(spec_testing::shared_dir()) / "wasm-spec", ec)) {
    if (e.path().extension() == ".wast") out.push_back(e.path().stem().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class FileProver {
 public:
  FileProver(std::string file, fs::path dir, Row& row)
      : file_(std::move(file)), dir_(std::move(dir)), row_(row) {
    define_spectest(linker_);
  }

  void run(const json& commands) {
    for (const json& c : commands) command(c);
    finish();
  }

 private:
  // Per invoked export: its first assertion's line, what was proved and the refusals met.
  struct Function {
    int line = 0;
    std::string name;
    int returns = 0, traps = 0, exhaustions = 0;
    int returns_proved = 0, traps_proved = 0;
    std::optional<std::string> refusal;  // the first refusal's reason
  };
  struct Loaded {
    std::unique_ptr<wasm::Instance> instance;
    std::vector<uint8_t> bytes;
    std::shared_ptr<Program> program;    // null when evicted (see program())
    ImportValues imports;  // the verifier's values of imported globals and memory (spectest's)
    size_t seq = 0;        // creation order (the static link set's instantiation order)
    // A module with imports is proved as a static link set (Program::load_linked): the modules
    // it imports from, transitively, spectest as a module, then itself. `deps`: those modules
    // with the names they are imported by (spectest: nullptr), in creation order.
    std::vector<std::pair<std::string, Loaded*>> deps;
    std::optional<LinkSpec> link;
    // A later instantiation that imported from this module and failed in its start function
    // after writing its segments (linking.wast's $Ms): the set that replays it, this module its
    // entry (LinkSpec::entry), and its Program once loaded.
    std::optional<LinkSpec> replay;
    std::shared_ptr<Program> replay_program;
    // The invocations of this instance so far (after `replay`'s failed instantiation, if any),
    // for LinkSpec::calls; `calls_valid` is false once something the set cannot say happened
    // (calls before a failed instantiation).
    std::vector<LinkSpec::Call> calls;
    bool calls_valid = true;
    bool alias = false;  // one instance under two names, or a name registered again
    // Why the static linker refused the set (the module is then loaded alone, and what needs
    // the other modules is refused for this reason).
    const char* link_reason = nullptr;
    std::optional<std::string> refusal;  // why nothing of it is proved
    Snapshot initial;
    std::map<std::string, Function> functions;  // by export name, in order of first use
    std::vector<std::string> order;
    std::set<std::string> shapes;  // of the exports proved (their assert_return)
  };

  std::string where(const json& c) const {
    return file_ + ".wast:" + std::to_string(c.value("line", 0));
  }

  void fail(const json& c, const std::string& why) {
    ++row_.failed;
    ADD_FAILURE() << where(c) << ": " << why;
  }

  Loaded* target(const json& action) {
    if (action.contains("module")) {
      auto it = named_.find(action["module"].get<std::string>());
      return it == named_.end() ? nullptr : it->second;
    }
    return current_;
  }

  void load(const json& c) {
    auto holder = std::make_unique<Loaded>();
    Loaded* l = holder.get();
    owned_.push_back(std::move(holder));
    current_ = l;
    l->seq = owned_.size();
    if (c.contains("name")) named_[c["name"]] = l;
    ++row_.modules;
    l->bytes = spec_testing::read_bytes(dir_ / c["filename"].get<std::string>());
    auto m = wasm::load_module(l->bytes);
    if (!m) {
      if (!wasm::is_float_rejection(m.status())) return fail(c, m.status().to_string());
      l->refusal = kFloats;
    } else {
      auto inst = wasm::Instance::instantiate(*m, linker_);
      if (!inst) {
        // A module importing from one skipped for floats (as in the runtime's test).
        for (const wasm::Import& im : (*m)->imports) {
          if (float_modules_.count(im.module)) l->refusal = kFloats;
        }
        if (!l->refusal) return fail(c, "instantiation failed: " + inst.status().to_string());
      } else {
        l->instance = std::move(*inst);
        l->initial = snapshot(*l->instance);
        l->imports = spectest_imports(**m, *l->instance);
        if (!(*m)->imports.empty()) l->link = link_spec(**m, *l);
      }
    }
    if (!l->refusal) {
      // Linked first; when the static linker refuses (separate memories, ...), the module alone
      // with spectest's values as before.
      std::optional<Status> link_refusal;
      Result<std::shared_ptr<Program>> p = invalid_argument("not loaded");
      if (l->link) {
        p = Program::load_linked(*l->link);
        if (!p) {
          if (p.status().code() != StatusCode::kUnimplemented) {
            return fail(c, "Program::load_linked: " + p.status().to_string());
          }
          link_refusal = p.status();
          l->link_reason = reason_of_message(p.status().message());
          l->link.reset();
        }
      }
      if (!l->link) p = Program::load(l->bytes, l->imports);
      if (!p) {
        const char* r = reason_of_message(p.status().message());
        if (!r && link_refusal) r = reason_of_message(link_refusal->message());
        if (!r && l->alias) r = kLinkAlias;
        if (!r) return fail(c, "Program::load: " + p.status().to_string());
        l->refusal = r;
      } else {
        l->program = *p;
        keep(l);
      }
    }
    if (l->refusal) {
      ++row_.module_refusals[*l->refusal];
    } else {
      ++row_.modules_loaded;
    }
  }

  // The static link set of a module importing `m`'s imports: the registered modules it imports
  // from with their own sets, spectest as a module; none when an import names no registered
  // module or the set would hold one instance under two names or two modules of one name where
  // the runtime linked the later-registered one (resolution by position could not tell).
  std::optional<LinkSpec> link_spec(const wasm::Module& m, Loaded& l) {
    std::vector<std::pair<std::string, Loaded*>> deps;
    auto add = [&](const std::string& name, Loaded* who) {
      for (const auto& d : deps)
        if (d == std::make_pair(name, who)) return;
      deps.emplace_back(name, who);
    };
    for (const wasm::Import& im : m.imports) {
      if (im.module == "spectest") {
        add("spectest", nullptr);
        continue;
      }
      auto it = registered_.find(im.module);
      if (it == registered_.end() || !it->second->instance) return std::nullopt;
      for (const auto& d : it->second->deps) add(d.first, d.second);
      add(im.module, it->second);
    }
    std::stable_sort(deps.begin(), deps.end(), [](const auto& a, const auto& b) {
      return (a.second ? a.second->seq : 0) < (b.second ? b.second->seq : 0);
    });
    for (size_t i = 0; i < deps.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (deps[i].second == deps[j].second || deps[i].first == deps[j].first) {
          l.alias = true;
          return std::nullopt;
        }
      }
    }
    l.deps = deps;
    LinkSpec spec;
    for (const auto& [name, who] : deps) {
      spec.modules.push_back({name, who ? who->bytes : spectest_bytes(dir_)});
    }
    spec.modules.push_back({"", l.bytes});
    return spec;
  }

  // Imported globals and memory from "spectest" (its values are the spec's, fixed: global_i32 =
  // 666, a zeroed memory of 1 page, ...): the values a verifier supplies. Imports from other
  // modules' instances (whose state earlier commands may have changed) are not supplied, and
  // Program::load refuses those modules.
  static ImportValues spectest_imports(const wasm::Module& m, const wasm::Instance& inst) {
    ImportValues iv;
    for (const wasm::Import& im : m.imports) {
      if ((im.kind == wasm::ExternKind::kGlobal || im.kind == wasm::ExternKind::kMemory) &&
          im.module != "spectest") {
        return iv;
      }
    }
    for (uint32_t g = 0; g < m.num_imported_globals; ++g) iv.globals.push_back(inst.globals()[g]->value);
    // The memory is supplied as zero below the module's data segments: only when that is what
    // the instance holds (other modules may have written into the shared spectest memory).
    if (m.memory_imported && inst.memory()) {
      std::vector<uint8_t> want(inst.memory()->bytes.size(), 0);
      for (const wasm::DataSegment& d : m.datas) {
        uint64_t off = d.offset.value;
        if (d.offset.kind == wasm::ConstExpr::Kind::kGlobal) off = inst.globals()[d.offset.global_index]->value;
        off = uint32_t(off);
        if (off + d.bytes.size() > want.size()) return iv;
        std::copy(d.bytes.begin(), d.bytes.end(), want.begin() + long(off));
      }
      if (want == inst.memory()->bytes) iv.memory_pages = inst.memory()->pages;
    }
    return iv;
  }

  // A Program holds its proving key once used (tens of MiB): only the last few loaded or used
  // stay alive; an evicted one is loaded again from its bytes when a later command needs it.
  void keep(Loaded* l) {
    live_.erase(std::remove(live_.begin(), live_.end(), l), live_.end());
    live_.push_back(l);
    if (live_.size() > 2) {
      live_.front()->program.reset();
      live_.erase(live_.begin());
    }
  }
  const Program* program(Loaded& l) {
    if (!l.program) {
      auto p = l.link ? Program::load_linked(*l.link) : Program::load(l.bytes, l.imports);
      EXPECT_TRUE(p.is_ok()) << p.status().to_string();  // it loaded before
      if (!p) return nullptr;
      l.program = *p;
    }
    keep(&l);
    return l.program.get();
  }

  // The set of `l` (after its failed instantiation, if any) with the invocations made on it
  // before the current one as LinkSpec::calls; loaded anew for every command (its state).
  const Program* calls_program(Loaded& l) {
    calls_program_.reset();
    if (!l.calls_valid || l.calls.size() < 2) return nullptr;
    LinkSpec spec;
    if (l.replay) {
      spec = *l.replay;
    } else if (l.link) {
      spec = *l.link;
    } else {
      spec.modules.push_back({"", l.bytes});
    }
    spec.calls.assign(l.calls.begin(), l.calls.end() - 1);  // the last is the current command
    auto p = Program::load_linked(spec);
    if (!p) return nullptr;
    calls_program_ = *p;
    return calls_program_.get();
  }

  const Program* replay_program(Loaded& l) {
    if (!l.replay) return nullptr;
    if (!l.replay_program) {
      auto p = Program::load_linked(*l.replay);
      if (!p) {
        l.replay.reset();
        return nullptr;
      }
      l.replay_program = *p;
    }
    return l.replay_program.get();
  }

  // A module that fails to link or whose start function traps: as in the runtime's test (and
  // the spec), the segments it wrote into other instances' memories and tables stay.
  // A start function that traps is replayed by the verifier: the modules it imports from get
  // the link set {their own set, the failed module} with themselves as the entry, proved when
  // an assertion on them no longer holds in their initial state.
  void side_effects(const json& c) {
    const auto bytes = spec_testing::read_bytes(dir_ / c["filename"].get<std::string>());
    auto m = wasm::load_module(bytes);
    if (!m) return;
    auto inst = wasm::Instance::instantiate(*m, linker_, {}, false);
    if (!inst) return;
    const bool trapped = !(*inst)->run_start().is_ok();
    zombies_.push_back(std::move(*inst));
    if (!trapped) return;
    Loaded failed;
    failed.bytes = bytes;
    std::optional<LinkSpec> spec = link_spec(**m, failed);
    if (!spec) return;
    for (size_t k = 0; k < failed.deps.size(); ++k) {
      Loaded* dep = failed.deps[k].second;
      if (!dep) continue;
      if (!dep->calls.empty()) {
        dep->calls_valid = false;
        continue;
      }
      LinkSpec replay = *spec;
      replay.entry = uint32_t(k);
      dep->replay = std::move(replay);
      dep->replay_program.reset();
    }
  }

  Function& function(Loaded& l, const json& c, const std::string& name) {
    auto [it, fresh] = l.functions.try_emplace(name);
    if (fresh) {
      it->second.line = c.value("line", 0);
      it->second.name = name;
      l.order.push_back(name);
    }
    return it->second;
  }

  void command(const json& c) {
    const std::string type = c["type"];
    if (type == "module") return load(c);
    if (type == "register") {
      Loaded* l = c.contains("name") ? named_[c["name"]] : current_;
      if (l && l->instance) linker_.define_instance(c["as"], *l->instance);
      if (l) registered_[c["as"]] = l;
      if (l && !l->instance) float_modules_.insert(c["as"]);
      return;
    }
    if (type == "assert_uninstantiable" || type == "assert_unlinkable") return side_effects(c);
    if (type != "action" && type != "assert_return" && type != "assert_trap" &&
        type != "assert_exhaustion") {
      return;
    }
    const json& action = c["action"];
    Loaded* l = target(action);
    if (!l || !l->instance || action["type"] != "invoke") return;
    for (const json& a : action.value("args", json::array()))
      if (is_float_type(a)) return;
    for (const json& e : c.value("expected", json::array()))
      if (is_float_type(e)) return;
    const std::string field = action["field"];
    std::vector<uint64_t> args;
    for (const json& a : action.value("args", json::array()))
      args.push_back(std::stoull(a["value"].get<std::string>()));
    const wasm::Export* ex = l->instance->module().find_export(field);
    if (!ex || ex->kind != wasm::ExternKind::kFunc) return fail(c, "no exported function " + field);

    Function* f = type == "action" ? nullptr : &function(*l, c, field);
    if (f) {
      if (type == "assert_return") ++f->returns;
      if (type == "assert_trap") ++f->traps;
      if (type == "assert_exhaustion") ++f->exhaustions;
    }
    // Prove this assertion? Only in the initial state, and (unless EFAAS_SPEC_PROVE_ALL) while
    // the function has none of its kind proved yet.
    bool want = f && !l->refusal && type != "assert_exhaustion";
    if (want && !prove_all()) {
      want = type == "assert_return" ? f->returns_proved == 0 : f->traps_proved == 0;
    }
    if (want && !l->link && ex->index < l->instance->module().num_imported_funcs) {
      if (!f->refusal) f->refusal = l->link_reason ? l->link_reason : kReexport;
      want = false;
    }
    // The proved module (a linked set's combined module) and the export's index there.
    const Program* proved = want && l->link ? program(*l) : nullptr;
    if (want && l->link && !proved) return fail(c, "Program::load_linked");
    const wasm::Module& pm = proved ? proved->module() : l->instance->module();
    const wasm::Export* pex = pm.find_export(field);
    if (!pex) return fail(c, "no export " + field + " in the proved module");
    const uint32_t pidx = pex->index;
    if (want && pidx < pm.num_imported_funcs) {  // a host import: nothing of the set runs
      if (!f->refusal) f->refusal = kReexport;
      want = false;
    }
    if (want && !prove_all() && type == "assert_return" && l->shapes.count(shape(pm, pidx))) {
      if (!f->refusal) f->refusal = kSameShape;
      want = false;
    }
    const Program* replayed = nullptr;  // when proved after a failed instantiation
    // A linked set is always proved from a fresh instance of its combined module.
    const bool initial = want && !l->link && holds(*l->instance, l->initial);

    // The spec's own call, on the instance that the spec's earlier commands ran on (traced
    // while that instance is in its initial state).
    Traced run = invoke(*l->instance, ex->index, args, initial);
    if (!run.result) return fail(c, "invoke: " + run.result.status().to_string());
    l->calls.push_back({field, args});
    if (type == "action" || type == "assert_exhaustion") return;
    if (!check_spec(c, run.result->trap, run.result->results, "runtime")) return;
    if (!want) return;
    if (!initial) {
      // Earlier commands changed the instance: prove the call from the initial state in a
      // fresh instance when the spec's result holds there too. Only for modules that cannot
      // touch other instances (no imports but spectest's, no imported table), so the spec's
      // command sequence is unchanged.
      bool isolated = !l->instance->module().table_imported;
      for (const wasm::Import& im : l->instance->module().imports)
        if (im.module != "spectest") isolated = false;
      if (l->link) isolated = true;  // the combined module touches no other instance
      std::unique_ptr<wasm::Instance> fresh;
      const Program* prog = program(*l);
      if (isolated && prog) {
        auto inst = wasm::Instance::instantiate(prog->module_ptr(), linker_);
        if (inst) fresh = std::move(*inst);
      }
      if (fresh) run = invoke(*fresh, pidx, args, true);
      if (!fresh || !run.result ||
          !check_spec(c, run.result->trap, run.result->results, "fresh", false)) {
        // The state a failed instantiation left, replayed by the verifier (LinkSpec::entry).
        replayed = replay_program(*l);
        std::unique_ptr<wasm::Instance> after;
        const wasm::Export* rex = replayed ? replayed->module().find_export(field) : nullptr;
        if (rex) {
          auto inst = wasm::Instance::instantiate(replayed->module_ptr(), linker_);
          if (inst) after = std::move(*inst);
        }
        if (after) run = invoke(*after, rex->index, args, true);
        if (!after || !run.result ||
            !check_spec(c, run.result->trap, run.result->results, "replayed", false)) {
          // The state the earlier invocations left, replayed by the verifier
          // (LinkSpec::calls).
          replayed = calls_program(*l);
          after.reset();
          rex = replayed ? replayed->module().find_export(field) : nullptr;
          if (rex) {
            auto inst = wasm::Instance::instantiate(replayed->module_ptr(), linker_);
            if (inst) after = std::move(*inst);
          }
          if (after) run = invoke(*after, rex->index, args, true);
          if (!after || !run.result ||
              !check_spec(c, run.result->trap, run.result->results, "after calls", false)) {
            if (!f->refusal) f->refusal = kNotInitialState;
            return;
          }
        }
      }
    }
    if (!run.trace) return fail(c, "trace: " + run.trace.status().to_string());
    const wasm::TraceEnd end = run.trace->end;
    const wasm::Trace* t = &*run.trace;

    const double cpu0 = process_cpu_seconds();
    ProveOptions po;
    po.params = fri_test_preset();
    po.args = args;
    // Segments of 2^18 rows: memory_grow.wast's check-memory-zero (1.2M steps) proves as five
    // segments (the test's peak RSS 2.9 GiB rather than 3.9 GiB with two of 2^20 rows).
    po.segment_log = 18;
    const Program* prog = replayed ? replayed : program(*l);
    if (!prog) return fail(c, "Program::load");
    auto b = prove(*prog, *t, po);
    Result<PublicValues> pv = b ? verify(*prog, *b) : Result<PublicValues>(b.status());
    const double cpu = process_cpu_seconds() - cpu0;
    totals().cpu_seconds += cpu;
    totals().costs.emplace_back(
        cpu, where(c) + " " + field + " (" + std::to_string(t->steps.size()) + " steps)");
    if (!b) {
      const char* why = b.status().code() == StatusCode::kUnimplemented
                            ? reason_of_message(b.status().message())
                            : nullptr;
      if (!why) return fail(c, field + ": prove: " + b.status().to_string());
      if (!f->refusal) f->refusal = l->link_reason ? l->link_reason : why;
      return;
    }
    if (!pv) return fail(c, field + ": verify: " + pv.status().to_string());
    // The verified claim against the spec's expected values (not the runtime's).
    if (pv->status != end.status || pv->trap_code != end.trap_code) {
      return fail(c, field + ": the proof claims another exit status");
    }
    if (!check_spec(c, wasm::TrapCode(pv->trap_code), pv->results, "proof")) return;
    // The same proof claiming another result (or, for a trap, another trap code) is rejected.
    Bundle forged = *b;
    if (!forged.publics.results.empty()) {
      forged.publics.results[0] ^= 1;
    } else {
      forged.publics.trap_code = forged.publics.trap_code == 1 ? 2 : 1;
      forged.publics.status = 1;
    }
    if (verify(*prog, forged).is_ok()) {
      return fail(c, field + ": the proof verified with a forged result or trap code");
    }
    if (replayed) {
      totals().replayed.push_back(where(c) + " " + field + " (" + type + ", " +
                                  (replayed == calls_program_.get()
                                       ? std::to_string(l->calls.size() - 1) + " calls"
                                       : std::string("after a failed instantiation")) +
                                  ")");
    }
    if (type == "assert_return") {
      l->shapes.insert(shape(pm, pidx));
      ++f->returns_proved;
      ++row_.returns_proved;
    } else {
      ++f->traps_proved;
      ++row_.traps_proved;
    }
  }

  // An invocation's result and, when traced, its trace.
  struct Traced {
    Result<wasm::ExecResult> result = invalid_argument("not run");
    Result<wasm::Trace> trace = invalid_argument("not traced");
  };
  static Traced invoke(wasm::Instance& inst, uint32_t func, const std::vector<uint64_t>& args,
                       bool traced) {
    Traced out;
    wasm::MemorySink sink;
    wasm::TraceWriter tw(sink, 1024);
    wasm::ExecOptions o;
    o.gas_limit = 1ull << 32;
    if (traced) {
      wasm::TraceHeader h;
      h.gas_limit = o.gas_limit;
      h.entry_function = func;
      if (Status s = tw.begin(h); !s) out.trace = s;
      o.trace = &tw;
    }
    out.result = inst.invoke(func, args, o);
    if (!traced || !out.result) return out;
    const wasm::ExecResult& r = *out.result;
    if (Status s = tw.finish(wasm::trace_end(r, tw.records())); !s) {
      out.trace = s;
      return out;
    }
    out.trace = wasm::read_trace(sink.data);
    return out;
  }

  // `trap` and `results` (from the runtime or a verified proof) against the spec's assertion;
  // a mismatch fails the test when `report`.
  bool check_spec(const json& c, wasm::TrapCode trap, const std::vector<uint64_t>& results,
                  const char* who, bool report = true) {
    auto fail = [&](const json& cmd, const std::string& why) {
      if (report) this->fail(cmd, why);
    };
    const std::string field = c["action"]["field"];
    if (c["type"] == "assert_trap") {
      const std::string text = c.value("text", "");
      const std::string got = trap == wasm::TrapCode::kNone ? "no trap" : wasm::trap_reason(trap);
      if (trap == wasm::TrapCode::kNone || (text.rfind(got, 0) != 0 && got.rfind(text, 0) != 0)) {
        fail(c, std::string(who) + ": " + field + " expected trap \"" + text + "\", got " + got);
        return false;
      }
      return true;
    }
    if (trap != wasm::TrapCode::kNone) {
      fail(c, std::string(who) + ": " + field + " trapped: " + wasm::trap_reason(trap));
      return false;
    }
    const json& exp = c["expected"];
    if (results.size() != exp.size()) {
      fail(c, std::string(who) + ": " + field + " has " + std::to_string(results.size()) +
                  " results, the spec expects " + std::to_string(exp.size()));
      return false;
    }
    for (size_t i = 0; i < exp.size(); ++i) {
      uint64_t want = std::stoull(exp[i]["value"].get<std::string>());
      uint64_t got = results[i];
      if (exp[i]["type"] == "i32") want = uint32_t(want), got = uint32_t(got);
      if (want != got) {
        fail(c, std::string(who) + ": " + field + " result " + std::to_string(i) + " is " +
                    std::to_string(got) + ", the spec expects " + std::to_string(want));
        return false;
      }
    }
    return true;
  }

  void finish() {
    for (const auto& l : owned_) {
      for (const std::string& name : l->order) {
        const Function& f = l->functions.at(name);
        ++row_.functions;
        const bool any = f.returns_proved + f.traps_proved > 0;
        const int asserted = f.returns + f.traps + f.exhaustions;
        row_.skipped += asserted - f.returns_proved - f.traps_proved;
        if (any) {
          ++row_.functions_proved;
          // A function whose returns proved but whose traps did not (or the reverse) still
          // names the reason.
          if ((f.returns > 0 && f.returns_proved == 0) || (f.traps > 0 && f.traps_proved == 0)) {
            note(f, f.refusal.value_or("?"), true);
          }
          continue;
        }
        std::string why;
        if (l->refusal) {
          why = *l->refusal;
        } else if (f.returns + f.traps == 0) {
          why = kExhaustionOnly;
        } else {
          why = f.refusal.value_or("?");
        }
        note(f, why, false);
      }
    }
  }

  void note(const Function& f, const std::string& why, bool partly) {
    std::string name;  // names.wast's exports hold control characters
    for (const char ch : f.name) {
      if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7F) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "\\x%02X", unsigned(static_cast<unsigned char>(ch)));
        name += hex;
      } else {
        name += ch;
      }
    }
    const std::string at = file_ + ".wast:" + std::to_string(f.line) + " \"" + name + "\"";
    if (why == "?") {
      ++row_.failed;
      ADD_FAILURE() << at << ": not proved, and no reason from the allow-list";
    }
    if (!partly) ++row_.function_refusals[why];
    totals().refusals.push_back(at + (partly ? " (its traps or returns): " : ": ") + why);
  }

  std::string file_;
  fs::path dir_;
  Row& row_;
  wasm::Linker linker_;
  std::set<std::string> float_modules_;
  Loaded* current_ = nullptr;
  std::map<std::string, Loaded*> named_;
  std::map<std::string, Loaded*> registered_;  // by the name modules import it by
  std::vector<std::unique_ptr<Loaded>> owned_;
  std::vector<std::unique_ptr<wasm::Instance>> zombies_;  // tables elsewhere may point in
  std::vector<Loaded*> live_;  // the Programs kept, least recently used first
  std::shared_ptr<Program> calls_program_;  // the last calls_program()
};

class ZkWasmSpecProve : public ::testing::TestWithParam<std::string> {};

TEST_P(ZkWasmSpecProve, File) {
  const std::string name = GetParam();
  char tmpl[] = "/tmp/efaas-zkspec-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const fs::path dir = tmpl;
  // MVP semantics, as the runtime's spec test converts them.
  const json j =
      spec_testing::wast_commands(dir, name, "--disable-reference-types --disable-bulk-memory");
  ASSERT_TRUE(j.is_object()) << name;
  Row& row = totals().rows[name];
  row = Row{};
  FileProver(name, dir, row).run(j["commands"]);
  std::error_code ec;
  fs::remove_all(dir, ec);
  std::printf(
      "%s: %d/%d modules loaded, %d/%d functions proved (%d assert_return, %d "
      "assert_trap), %d assertions not proved, %d failed\n",
      name.c_str(), row.modules_loaded, row.modules, row.functions_proved, row.functions,
      row.returns_proved, row.traps_proved, row.skipped, row.failed);
}

INSTANTIATE_TEST_SUITE_P(Wast, ZkWasmSpecProve, ::testing::ValuesIn(spec_files()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string s = info.param;
                           for (char& ch : s)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return s;
                         });

}  // namespace
}  // namespace efaas::zkwasm
