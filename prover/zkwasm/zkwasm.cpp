// zkWASM proving and verification of one-segment runs, the program cache and the bundle format
// (split runs: segments.cpp).
#include "prover/zkwasm/zkwasm.hpp"

#include <cstdio>
#include <cstdlib>
#include <algorithm>

#include "prover/common/bytes.hpp"
#include "prover/common/timer.hpp"
#include "prover/fri/fri_params.hpp"
#include "prover/wasm/instance.hpp"
#include "prover/wasm/static_link.hpp"
#include "prover/zkwasm/air_internal.hpp"
#include "prover/zkwasm/alu_chip.hpp"
#include "prover/zkwasm/io.hpp"
#include "prover/zkwasm/layout.hpp"
#include "prover/zkwasm/memory_chip.hpp"
#include "prover/zkwasm/private_input.hpp"
#include "prover/zkwasm/segments_internal.hpp"

namespace efaas::zkwasm {

namespace L = layout;

std::span<const wasm::Op> constrained_ops() {
  // Execution-table flags, the ALU chip's operations, unreachable (a trap row), linear memory.
  static const std::vector<wasm::Op> ops = [] {
    std::vector<wasm::Op> v(L::kFlagOps.begin(), L::kFlagOps.end());
    v.insert(v.end(), L::kCmpOps.begin() + 1, L::kCmpOps.end());  // lt_s's flag
    v.insert(v.end(), L::kWideOps.begin(), L::kWideOps.end());
    v.insert(v.end(), alu::kOps.begin(), alu::kOps.end());
    v.push_back(wasm::Op::kUnreachable);
    v.insert(v.end(), L::kMemOps.begin(), L::kMemOps.end());
    v.push_back(wasm::Op::kHostRead);  // I/O rows of call_host (input_read, output_write)
    v.push_back(wasm::Op::kHostWrite);
    return v;
  }();
  return ops;
}
bool is_constrained(wasm::Op op) {
  return L::flag_index(op) >= 0 || alu::is_alu(op) || op == wasm::Op::kUnreachable ||
         L::mem_op_index(op) >= 0 || op == wasm::Op::kHostRead || op == wasm::Op::kHostWrite;
}

// --- start functions (docs/zkwasm.md, "Start functions") ------------------------------------
// The runtime runs a module's start function at instantiation, before any call, without a
// trace: every call then starts from the state it left. The prover and the verifier both fold
// it into the module here: Program::load runs it (deterministic: no arguments, and no imports
// allowed, so nothing but the module bytes decides it) and takes the globals and linear memory
// it leaves as the module's initial state (the fixed init table, in the verifying key). The
// start function has no other effect (MVP: no table writes), so a proof of a call from that
// state is a proof of the call on the instantiated module. Bounded: kStartGas per function.
// A linked set's start functions run in instantiation order, each on the combined module cut
// after its own module (the segments and globals of modules 0..k, the state earlier start
// functions left), as instantiating the modules one after another runs them.
constexpr uint64_t kStartGas = uint64_t(1) << 26;

// The nonzero 8-byte words of a memory, as data segments.
static void memory_words(const wasm::Memory& mem, uint32_t index,
                         std::vector<wasm::DataSegment>& out) {
  for (size_t at = 0; at + 8 <= mem.bytes.size(); at += 8) {
    const uint8_t* w = mem.bytes.data() + at;
    if (std::all_of(w, w + 8, [](uint8_t b) { return b == 0; })) continue;
    wasm::DataSegment d;
    d.offset.value = at;
    d.bytes.assign(w, w + 8);
    d.memory = index;
    out.push_back(std::move(d));
  }
}

// Takes an instance's globals and memory sizes as `m`'s initializers and returns its memories'
// nonzero words (the instance's tables are `m`'s own: MVP code does not write tables).
static std::vector<wasm::DataSegment> take_state(const wasm::Instance& inst, wasm::Module& m) {
  const auto& globals = inst.globals();
  for (size_t g = 0; g < m.global_inits.size(); ++g) {
    m.global_inits[g].value = globals[g + m.num_imported_globals]->value;
  }
  std::vector<wasm::DataSegment> words;
  const auto& mems = inst.memories();
  for (size_t i = 0; i < mems.size() && i < m.memories.size(); ++i) {
    m.memories[i].min = mems[i]->pages;
    memory_words(*mems[i], uint32_t(i), words);
  }
  return words;
}

static Result<std::shared_ptr<const wasm::Module>> fold_start_functions(
    std::shared_ptr<const wasm::Module> m, std::vector<wasm::LinkedStart> starts,
    bool last_may_trap) {
  if (m->start) {  // a module's own: one stage holding all of it
    starts.assign(1, wasm::LinkedStart{0, *m->start, m->global_inits.size(), m->datas.size(),
                                       m->elems.size()});
  }
  if (starts.empty()) return m;
  if (!m->imports.empty()) {
    return unimplemented(
        "zkwasm: a start function in a module with imports (the verifier runs the start "
        "function itself, so its state may depend on the module bytes alone)");
  }
  auto folded = std::make_shared<wasm::Module>(*m);
  folded->start.reset();
  std::vector<wasm::DataSegment> image;  // the memory the previous start functions left
  size_t datas_done = 0;
  for (size_t i = 0; i < starts.size(); ++i) {
    const wasm::LinkedStart& s = starts[i];
    auto stage = std::make_shared<wasm::Module>(*folded);
    stage->datas = image;
    stage->datas.insert(stage->datas.end(), m->datas.begin() + long(datas_done),
                        m->datas.begin() + long(s.datas));
    stage->elems.assign(m->elems.begin(), m->elems.begin() + long(s.elems));
    wasm::Linker none;
    auto inst = wasm::Instance::instantiate(stage, none, {}, false);
    if (!inst) return inst.status();
    wasm::ExecOptions o;
    o.gas_limit = kStartGas;
    auto r = (*inst)->invoke(s.func, {}, o);
    if (!r) return r.status();
    if (r->trap == wasm::TrapCode::kOutOfGas) {
      return unimplemented("zkwasm: the start function of module " + std::to_string(s.module) +
                           " runs beyond " + std::to_string(kStartGas) +
                           " gas, the most the verifier runs it for");
    }
    const bool may_trap = last_may_trap && i + 1 == starts.size();
    if (r->trap != wasm::TrapCode::kNone && !may_trap) {
      return invalid_argument("zkwasm: module " + std::to_string(s.module) +
                              " does not instantiate: its start function traps (" +
                              r->trap_message + ")");
    }
    // Globals of later modules hold their initializers still (nothing before them reaches them).
    image = take_state(**inst, *folded);
    datas_done = s.datas;
  }
  folded->datas = image;
  folded->datas.insert(folded->datas.end(), m->datas.begin() + long(datas_done), m->datas.end());
  return std::shared_ptr<const wasm::Module>(std::move(folded));
}

// Calls run before the proved one (LinkSpec::calls): run on an instance of the folded module,
// the state they leave becomes its initial state, as a start function's does.
static Result<std::shared_ptr<const wasm::Module>> fold_calls(
    std::shared_ptr<const wasm::Module> m, std::span<const LinkSpec::Call> calls) {
  if (calls.empty()) return m;
  if (!m->imports.empty()) {
    return unimplemented(
        "zkwasm: calls before the proved one in a module with imports (the verifier runs "
        "them itself, so their state may depend on the module bytes alone)");
  }
  wasm::Linker none;
  auto inst = wasm::Instance::instantiate(m, none);
  if (!inst) return inst.status();
  for (size_t i = 0; i < calls.size(); ++i) {
    const LinkSpec::Call& c = calls[i];
    const std::string who = "zkwasm: call " + std::to_string(i) + " (\"" + c.function + "\")";
    const wasm::Export* ex = m->find_export(c.function);
    if (!ex || ex->kind != wasm::ExternKind::kFunc) {
      return invalid_argument(who + ": no exported function of that name");
    }
    if (m->func_type(ex->index).params.size() != c.args.size()) {
      return invalid_argument(who + ": " + std::to_string(c.args.size()) + " arguments for " +
                              wasm::func_type_string(m->func_type(ex->index)));
    }
    wasm::ExecOptions o;
    o.gas_limit = kStartGas;
    auto r = (*inst)->invoke(ex->index, c.args, o);
    if (!r) return Status(r.status().code(), who + ": " + r.status().message());
    if (r->trap == wasm::TrapCode::kOutOfGas) {
      return unimplemented(who + " runs beyond " + std::to_string(kStartGas) +
                           " gas, the most the verifier runs it for");
    }
  }
  auto folded = std::make_shared<wasm::Module>(*m);
  folded->datas = take_state(**inst, *folded);
  return std::shared_ptr<const wasm::Module>(std::move(folded));
}

// --- imported globals and memory (docs/zkwasm.md, "Imported globals and memory") -----------
// The verifier's values of the imports become the module's own: imported globals turn into
// defined ones with those initializers (indices unchanged: imports come first), initializers
// and segment offsets reading them into constants, an imported memory into a defined one of the
// given size. The fixed init table then commits to them as to any initializer.
static Result<std::shared_ptr<const wasm::Module>> fold_imports(
    std::shared_ptr<const wasm::Module> m, const ImportValues& iv) {
  const bool globals = m->num_imported_globals != 0 && !iv.globals.empty();
  const bool memory = m->memory_imported && iv.memory_pages.has_value();
  if (!globals && !memory) return m;
  auto f = std::make_shared<wasm::Module>(*m);
  auto value_of = [&](uint32_t g) -> Result<uint64_t> {
    if (g >= iv.globals.size()) {
      return invalid_argument("zkwasm: no value for imported global " + std::to_string(g));
    }
    return m->global_types[g].type == wasm::ValType::kI32 ? uint32_t(iv.globals[g])
                                                            : iv.globals[g];
  };
  auto resolve = [&](wasm::ConstExpr& e) -> Status {
    if (e.kind != wasm::ConstExpr::Kind::kGlobal || !globals) return Status::ok();
    auto v = value_of(e.global_index);
    if (!v) return v.status();
    e.kind = wasm::ConstExpr::Kind::kConst;
    e.value = *v;
    return Status::ok();
  };
  if (globals) {
    if (iv.globals.size() != m->num_imported_globals) {
      return invalid_argument("zkwasm: the module imports " +
                              std::to_string(m->num_imported_globals) + " globals, " +
                              std::to_string(iv.globals.size()) + " values given");
    }
    for (uint32_t g = 0; g < m->num_imported_globals; ++g) {
      if (m->global_types[g].type == wasm::ValType::kI32 && iv.globals[g] > UINT32_MAX) {
        return invalid_argument("zkwasm: imported global " + std::to_string(g) +
                                " is an i32, its value exceeds 32 bits");
      }
    }
    std::vector<wasm::ConstExpr> inits;
    for (uint32_t g = 0; g < m->num_imported_globals; ++g) {
      wasm::ConstExpr e;
      e.value = *value_of(g);
      inits.push_back(e);
    }
    for (wasm::ConstExpr e : m->global_inits) {
      EFAAS_RETURN_IF_ERROR(resolve(e));
      inits.push_back(e);
    }
    f->global_inits = std::move(inits);
    f->num_imported_globals = 0;
    for (auto& d : f->datas) EFAAS_RETURN_IF_ERROR(resolve(d.offset));
    for (auto& e : f->elems) EFAAS_RETURN_IF_ERROR(resolve(e.offset));
  }
  if (memory) {
    const wasm::Limits& lim = m->memories.at(0);
    const uint32_t pages = *iv.memory_pages;
    if (pages < lim.min || (lim.has_max && pages > lim.max)) {
      return invalid_argument("zkwasm: an imported memory of " + std::to_string(pages) +
                              " pages does not match the import's limits");
    }
    f->memory_imported = false;
    f->memories[0].min = pages;
  }
  return std::shared_ptr<const wasm::Module>(std::move(f));
}

Result<std::shared_ptr<Program>> Program::load(std::span<const uint8_t> module_bytes) {
  return load(module_bytes, ImportValues{});
}

Result<std::shared_ptr<Program>> Program::load(std::span<const uint8_t> module_bytes,
                                               const ImportValues& imports) {
  auto m0 = wasm::load_module(module_bytes);
  if (!m0) return m0.status();
  return from_module(wasm::LinkedSet{*m0, {}}, keccak256(module_bytes), imports);
}

// --- linked modules (docs/zkwasm.md, "Linked modules") --------------------------------------
// The public module hash binds every module of the set, its name and its place: keccak256 of
// "EFAAS-LINK-v1", the module count, then per module (instantiation order, entry last) its
// name's length and bytes and the keccak256 of its bytes. One module alone keeps its own hash.
// An entry module other than the last or calls run before the proved one: "EFAAS-LINK-v2", the
// count, the entry's index, the calls (name length and bytes, argument count, arguments as
// u64), then the modules as in v1.
static bool entry_is_last(const LinkSpec& spec) {
  return !spec.entry || *spec.entry + size_t(1) == spec.modules.size();
}

Hash256 link_hash(const LinkSpec& spec) {
  const bool v1 = entry_is_last(spec) && spec.calls.empty();
  if (spec.modules.size() == 1 && v1) return keccak256(spec.modules[0].bytes);
  std::vector<uint8_t> buf;
  auto u32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) buf.push_back(uint8_t(v >> (8 * i)));
  };
  const std::string_view tag = v1 ? "EFAAS-LINK-v1" : "EFAAS-LINK-v2";
  buf.insert(buf.end(), tag.begin(), tag.end());
  u32(uint32_t(spec.modules.size()));
  if (!v1) {
    u32(spec.entry.value_or(uint32_t(spec.modules.size() - 1)));
    u32(uint32_t(spec.calls.size()));
    for (const LinkSpec::Call& c : spec.calls) {
      u32(uint32_t(c.function.size()));
      buf.insert(buf.end(), c.function.begin(), c.function.end());
      u32(uint32_t(c.args.size()));
      for (uint64_t a : c.args) {
        u32(uint32_t(a));
        u32(uint32_t(a >> 32));
      }
    }
  }
  for (const LinkedModule& lm : spec.modules) {
    u32(uint32_t(lm.name.size()));
    buf.insert(buf.end(), lm.name.begin(), lm.name.end());
    const Hash256 h = keccak256(lm.bytes);
    buf.insert(buf.end(), h.begin(), h.end());
  }
  return keccak256(buf);
}

Result<std::shared_ptr<Program>> Program::load_linked(const LinkSpec& spec,
                                                      const ImportValues& imports) {
  if (spec.modules.empty()) return invalid_argument("zkwasm: a link spec without modules");
  std::vector<wasm::LinkInput> in;
  for (size_t k = 0; k < spec.modules.size(); ++k) {
    auto m = wasm::load_module(spec.modules[k].bytes);
    if (!m) {
      return Status(m.status().code(), "zkwasm: linked module " + std::to_string(k) + " (\"" +
                                           spec.modules[k].name + "\"): " + m.status().message());
    }
    in.push_back({spec.modules[k].name, *m});
  }
  if (spec.entry && *spec.entry >= spec.modules.size()) {
    return invalid_argument("zkwasm: entry module " + std::to_string(*spec.entry) +
                            " of a link spec of " + std::to_string(spec.modules.size()));
  }
  auto linked = wasm::link_modules_staged(in, spec.entry);
  if (!linked) return linked.status();
  // Only the last module's instantiation may fail (its start function trapping), and only when
  // it is not the entry: what it wrote before the trap stays, as in the runtime.
  const bool last_may_trap = !entry_is_last(spec) && !linked->starts.empty() &&
                             linked->starts.back().module + size_t(1) == spec.modules.size();
  return from_module(std::move(*linked), link_hash(spec), imports, last_may_trap, spec.calls);
}

Result<std::shared_ptr<Program>> Program::from_module(wasm::LinkedSet set, const Hash256& hash,
                                                      const ImportValues& imports,
                                                      bool last_start_may_trap,
                                                      std::span<const LinkSpec::Call> calls) {
  auto mi = fold_imports(set.module, imports);
  if (!mi) return mi.status();
  auto ms = fold_start_functions(*mi, std::move(set.starts), last_start_may_trap);
  if (!ms) return ms.status();
  auto m = fold_calls(*ms, calls);
  if (!m) return m.status();
  const wasm::Module& mod = **m;
  if (mod.num_imported_globals != 0) {
    return unimplemented(
        "zkwasm: modules importing globals need their values (Program::load with ImportValues)");
  }
  for (const auto& g : mod.global_inits) {
    if (g.kind != wasm::ConstExpr::Kind::kConst) {
      return unimplemented("zkwasm: global initializers reading imported globals");
    }
  }
  if (auto images = memory_images(mod); !images) return images.status();
  if (mod.tables.size() > L::kMaxTables) {
    return unimplemented("zkwasm: " + std::to_string(mod.tables.size()) + " tables (at most " +
                         std::to_string(L::kMaxTables) + ")");
  }
  if (mod.code.size() >= (size_t(1) << 26)) return unimplemented("zkwasm: more than 2^26 instructions");
  if (mod.global_types.size() >= (size_t(1) << 20)) return unimplemented("zkwasm: more than 2^20 globals");
  auto p = std::shared_ptr<Program>(new Program());
  p->module_ = *m;
  p->hash_ = hash;
  p->fixed_ = zkwasm::fixed_columns(mod);
  return p;
}

const air::MachineAir& Program::air() const { return machine_air(); }

// The private machine's tables have no fixed columns.
static std::vector<std::vector<Fp>> machine_fixed(const std::vector<std::vector<Fp>>& fixed,
                                                  bool with_private) {
  std::vector<std::vector<Fp>> f = fixed;
  if (with_private) f.resize(f.size() + priv::kNumPrivateTables);
  return f;
}

Result<std::shared_ptr<const ProvingKey>> Program::proving_key(const FriParams& params,
                                                               bool with_private) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto& pks = with_private ? private_pks_ : pks_;
  for (const auto& [p, k] : pks)
    if (p == params) return k;
  auto pk = stark_setup(machine_air(with_private), machine_fixed(fixed_, with_private), params);
  if (!pk) return pk.status();
  auto shared = std::make_shared<const ProvingKey>(std::move(*pk));
  pks.emplace_back(params, shared);
  return shared;
}

// The fixed columns' commitment depends on the blowup and the Merkle hash alone (the other
// parameters only name the key's params), so it is computed once per (blowup, hash): a bundle
// cannot make the verifier commit the fixed columns again (or grow this cache) by varying its
// queries, PoW, arity or final degree.
Result<std::shared_ptr<const VerifyingKey>> Program::verifying_key(const FriParams& params,
                                                                   bool with_private) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto& vks = with_private ? private_vks_ : vks_;
  auto with_params = [&](const VerifyingKey& k) -> Result<std::shared_ptr<const VerifyingKey>> {
    if (k.params == params) return std::make_shared<const VerifyingKey>(k);
    EFAAS_RETURN_IF_ERROR(validate(params));
    for (int32_t log_n : k.pre_log_heights) {  // stark_setup's check, which the cache skips
      if (log_n >= 0 && uint32_t(log_n) < params.log_final_poly_len) {
        return invalid_argument("setup: a fixed table of height 2^" + std::to_string(log_n) +
                                " is below the final polynomial's 2^" +
                                std::to_string(params.log_final_poly_len));
      }
    }
    auto v = std::make_shared<VerifyingKey>(k);
    v->params = params;
    return std::shared_ptr<const VerifyingKey>(std::move(v));
  };
  auto same_commitment = [&](const FriParams& p) {
    return p.log_blowup == params.log_blowup && p.merkle_hash == params.merkle_hash;
  };
  for (const auto& [p, k] : vks)
    if (same_commitment(p)) return with_params(*k);
  for (const auto& [p, k] : with_private ? private_pks_ : pks_) {
    if (same_commitment(p)) {  // the prover's key holds the same commitment
      vks.emplace_back(p, std::make_shared<const VerifyingKey>(k->vk));
      return with_params(k->vk);
    }
  }
  auto vk = stark_verifying_key(machine_air(with_private), machine_fixed(fixed_, with_private),
                                params);
  if (!vk) return vk.status();
  ++key_commitments_;
  auto shared = std::make_shared<const VerifyingKey>(std::move(*vk));
  vks.emplace_back(params, shared);
  return shared;
}

size_t Program::key_commitments() const {
  std::lock_guard<std::mutex> lock(mu_);
  return key_commitments_;
}

Result<std::pair<uint32_t, uint32_t>> Program::entry(uint32_t func) const {
  const wasm::Module& m = *module_;
  if (func < m.num_imported_funcs || func - m.num_imported_funcs >= m.funcs.size()) {
    return invalid_argument("zkwasm: entry function " + std::to_string(func) +
                            " is not a function defined by the module");
  }
  const wasm::Function& f = m.funcs[func - m.num_imported_funcs];
  return std::make_pair(f.entry_pc, f.num_locals);
}

Result<std::vector<Fp>> public_inputs(const Program& program, const PublicValues& pv) {
  const wasm::Module& m = program.module();
  auto entry = program.entry(pv.entry_function);
  if (!entry) return entry.status();
  const wasm::FuncType& type = m.func_type(pv.entry_function);
  if (pv.args.size() != type.params.size()) {
    return invalid_argument("zkwasm: function " + std::to_string(pv.entry_function) +
                            " takes " + std::to_string(type.params.size()) + " arguments, the " +
                            "claim has " + std::to_string(pv.args.size()));
  }
  if (type.params.size() > L::kMaxArgs) return unimplemented("zkwasm: more than 8 parameters");
  for (size_t i = 0; i < pv.args.size(); ++i) {
    if (type.params[i] == wasm::ValType::kI32 && pv.args[i] > UINT32_MAX) {
      return invalid_argument("zkwasm: argument " + std::to_string(i) + " exceeds i32");
    }
  }
  if (pv.status > 1) return invalid_argument("zkwasm: status " + std::to_string(pv.status));
  if (pv.status == 0 && pv.trap_code != 0) {
    return invalid_argument("zkwasm: a trap code without a trap status");
  }
  if (pv.status == 1 && !L::is_provable_trap(pv.trap_code)) {
    return unimplemented("zkwasm: trap code " + std::to_string(pv.trap_code) +
                         " is not provable yet");
  }
  if (pv.abort_code != 0 && pv.trap_code != L::kTrapHostAbort) {
    return invalid_argument("zkwasm: an abort code without the abort trap code " +
                            std::to_string(L::kTrapHostAbort));
  }
  if (pv.status == 1 && !pv.results.empty()) {
    return invalid_argument("zkwasm: a trapped execution has no results");
  }
  if (pv.status == 0 && pv.results.size() != type.results.size()) {
    return invalid_argument("zkwasm: function " + std::to_string(pv.entry_function) +
                            " returns " + std::to_string(type.results.size()) +
                            " values, the claim has " + std::to_string(pv.results.size()));
  }
  if (!type.results.empty() && !pv.results.empty() && type.results[0] == wasm::ValType::kI32 && pv.results[0] > UINT32_MAX) {
    return invalid_argument("zkwasm: result exceeds i32");
  }
  const bool out_of_gas = pv.status == 1 && pv.trap_code == L::kTrapOutOfGas;
  // Out of gas before the first instruction runs none.
  if (pv.gas_used >= (uint64_t(1) << 30) || pv.instructions >= (uint64_t(1) << 30) ||
      (pv.instructions == 0 && !out_of_gas)) {
    return invalid_argument("zkwasm: gas used or instruction count out of the supported range");
  }
  // The gas limit: claimed only with out of gas, at least the gas used and below 2^30 (the
  // trap row's range check relies on it, air.cpp).
  if (!out_of_gas && pv.gas_limit != 0) {
    return invalid_argument("zkwasm: a gas limit without the out-of-gas trap code " +
                            std::to_string(L::kTrapOutOfGas));
  }
  if (out_of_gas && (pv.gas_limit < pv.gas_used || pv.gas_limit >= L::kMaxGasLimit)) {
    return invalid_argument("zkwasm: gas limit " + std::to_string(pv.gas_limit) +
                            " is not between the gas used " + std::to_string(pv.gas_used) +
                            " and 2^30 (kMaxGasLimit)");
  }
  if (auto in = parse_public_input(pv.public_input); !in) return in.status();
  if (pv.output.size() > kMaxOutputBytes) {
    return invalid_argument("zkwasm: output of " + std::to_string(pv.output.size()) +
                            " bytes exceeds the " + std::to_string(kMaxOutputBytes) + " byte limit");
  }
  std::vector<Fp> pub(L::kNumPublics, Fp::zero());
  pub[L::kPubOutputLen] = Fp::from_u64(pv.output.size());
  for (uint32_t j = 0; j < 16; ++j) {
    pub[L::kPubHash + j] = Fp::from_u32(uint32_t(pv.module_hash[2 * j]) |
                                        (uint32_t(pv.module_hash[2 * j + 1]) << 8));
  }
  pub[L::kPubEntryPc] = Fp::from_u32(entry->first);
  pub[L::kPubSp0] = Fp::from_u32(entry->second);
  pub[L::kPubGasUsed] = Fp::from_u64(pv.gas_used);
  pub[L::kPubInstructions] = Fp::from_u64(pv.instructions);
  pub[L::kPubStatus] = Fp::from_u32(pv.status);
  pub[L::kPubTrapCode] = Fp::from_u32(pv.trap_code);
  pub[L::kPubAbortCode] = Fp::from_u32(pv.abort_code & 0xFFFF);
  pub[L::kPubAbortCode + 1] = Fp::from_u32(pv.abort_code >> 16);
  pub[L::kPubGasLimit] = Fp::from_u64(pv.gas_limit);
  const uint64_t res = pv.results.empty() ? 0 : pv.results[0];
  pub[L::kPubHasResult] = Fp::from_u32(pv.results.empty() ? 0 : 1);
  for (uint32_t j = 0; j < 4; ++j) pub[L::kPubResult + j] = Fp::from_u32(uint32_t(res >> (16 * j)) & 0xFFFF);
  for (size_t i = 0; i < pv.args.size(); ++i) {
    pub[L::kPubArgs + 5 * i] = Fp::one();
    for (uint32_t j = 0; j < 4; ++j) {
      pub[L::kPubArgs + 5 * i + 1 + j] = Fp::from_u32(uint32_t(pv.args[i] >> (16 * j)) & 0xFFFF);
    }
  }
  // One segment: the whole run (continuations overwrite these, set_segment_publics).
  pub[L::kPubSegLast] = Fp::one();
  pub[L::kPubEntryInst] = Fp::one();
  return pub;
}

Result<Bundle> prove(const Program& program, const wasm::Trace& trace, const ProveOptions& opts,
                     StarkTimings* timings) {
  // call_indirect of imported functions: each gets its host tail record (air_internal.hpp).
  if (auto expanded = expand_host_calls(program.module(), trace)) {
    return prove(program, *expanded, opts, timings);
  }
  if (opts.segment_log < kMinSegmentLog || opts.segment_log > kMaxSegmentLog) {
    return invalid_argument("zkwasm: segment_log " + std::to_string(opts.segment_log) +
                            " is outside [" + std::to_string(kMinSegmentLog) + ", " +
                            std::to_string(kMaxSegmentLog) + "]");
  }
  if (run_rows(program.module(), trace) > (size_t(1) << opts.segment_log)) {
    return prove_segments(program, trace, opts, timings);
  }
  Stopwatch clock;
  WitnessOptions wo;
  wo.check_trace = opts.check_trace;
  wo.args = opts.args;
  wo.public_input = opts.public_input;
  wo.private_input = opts.private_input;
  wo.threads = opts.stark.threads;
  Bundle b;
  auto w = build_witness(program, trace, wo, b.publics);
  if (!w) return w.status();
  StarkConfig cfg = opts.stark;
  if (!opts.devices.empty()) cfg.backend = opts.devices[0];
  if (!opts.devices.empty() && !opts.opencl_devices.empty()) {
    cfg.opencl_device = opts.opencl_devices[0];
  }
  const bool show = std::getenv("EFAAS_WITNESS_TIMINGS") != nullptr;
  if (show) std::fprintf(stderr, "witness built     %.3f s\n", clock.seconds());
  Stopwatch stark_clock;
  auto proof = prove_witness(program, opts.params, *w, cfg, timings);
  if (!proof) return proof.status();
  if (show) std::fprintf(stderr, "stark_prove       %.3f s\n", stark_clock.seconds());
  b.segments.emplace_back();
  b.segments[0].proof = std::move(*proof);
  if (opts.on_segment) opts.on_segment(0, 1, clock.seconds());
  return b;
}

Result<StarkProof> prove_witness(const Program& program, const FriParams& params,
                                 const MachineWitness& w, const StarkConfig& cfg,
                                 StarkTimings* timings) {
  const bool with_private = w.main.size() > L::kNumTables;  // the run reads the private input
  auto pk = program.proving_key(params, with_private);
  if (!pk) return pk.status();
  return stark_prove(machine_air(with_private), **pk, w, cfg, timings);
}

Status verify_segment_proof(const Program& program, const StarkProof& proof,
                            const std::vector<Fp>& base_pub,
                            std::span<const air::PublicInteraction> interactions,
                            const VerifyOptions& opts, const std::optional<Digest>& private_digest,
                            bool* used_private) {
  auto reject = [](const std::string& why) { return invalid_argument("rejected: " + why); };
  const double bits = conjectured_security_bits(proof.params);
  if (bits < opts.min_security_bits) {
    return reject("FRI parameters give " + std::to_string(bits) + " conjectured bits, below " +
                  std::to_string(opts.min_security_bits));
  }
  if (Status s = validate(proof.params); !s) return reject(s.message());
  if (opts.merkle_hash && proof.params.merkle_hash != *opts.merkle_hash) {
    return reject(std::string("the proof's Merkle hash is ") +
                  merkle_hash_name(proof.params.merkle_hash) + ", the verifier accepts only " +
                  merkle_hash_name(*opts.merkle_hash));
  }
  // A proof with the private input's tables (private_machine_air) binds the claimed digest.
  const bool with_private = proof.log_heights.size() == L::kNumTables + priv::kNumPrivateTables;
  if (used_private) *used_private = with_private;
  if (with_private && !private_digest) {
    return reject("the proof reads the private input but the claim has no private-input digest");
  }
  std::vector<Fp> pub = base_pub;
  if (with_private) priv::append_digest_publics(pub, *private_digest);
  if (proof.publics != pub) {
    return reject("the proof's public inputs differ from the claimed module, input and output");
  }
  // Timestamps 4 * row + slot must stay far below p (the memory argument's ordering).
  if ((proof.log_heights.size() != L::kNumTables && !with_private) ||
      (with_private && (proof.log_heights[priv::kPrivateTable] > kMaxLogExecRows ||
                        proof.log_heights[priv::kSpongeTable] > kMaxLogExecRows)) ||
      proof.log_heights[L::kExec] > kMaxLogExecRows ||
      proof.log_heights[L::kMemory] > kMaxLogExecRows + 2 ||
      proof.log_heights[L::kMemAccess] > kMaxLogExecRows ||
      proof.log_heights[L::kBitwise] > kMaxLogExecRows ||
      proof.log_heights[L::kShift] > kMaxLogExecRows ||
      proof.log_heights[L::kInput] > kMaxLogExecRows + 2) {
    return reject("table heights out of the supported range");
  }
  auto vk = program.verifying_key(proof.params, with_private);
  if (!vk) return vk.status();
  if (Status s = stark_verify(machine_air(with_private), **vk, proof, interactions); !s) {
    return reject(s.message());
  }
  return Status::ok();
}

Result<PublicValues> verify(const Program& program, const Bundle& bundle, const VerifyOptions& opts) {
  auto reject = [](const std::string& why) { return invalid_argument("rejected: " + why); };
  if (bundle.version != kBundleVersion) return reject("unsupported bundle version");
  const PublicValues& pv = bundle.publics;
  if (pv.module_hash != program.module_hash()) {
    return reject("the proof is for module " + to_hex(pv.module_hash) + ", not " +
                  to_hex(program.module_hash()));
  }
  if (bundle.segments.empty()) return reject("the bundle has no segments");
  if (bundle.segments.size() > 1) return verify_segments(program, bundle, opts);
  const Segment& seg = bundle.segments[0];
  if (!seg.keys.empty() || !seg.exit_values.empty() || seg.exit != SegmentState{}) {
    return reject("a one-segment bundle carries boundary keys or an exit state");
  }
  auto pub = public_inputs(program, pv);
  if (!pub) return reject(pub.status().message());
  // The public input and output bytes enter as bus tuples the verifier supplies.
  auto input = parse_public_input(pv.public_input);
  if (!input) return reject(input.status().message());
  const auto interactions = io_public_interactions(*input, pv.output);
  bool used_private = false;
  if (Status s = verify_segment_proof(program, seg.proof, *pub, interactions, opts,
                                      pv.private_digest, &used_private);
      !s) {
    return s;
  }
  if (pv.private_digest && !used_private) {
    return reject("the claim has a private-input digest that the proof does not bind");
  }
  return pv;
}

namespace {
constexpr std::string_view kMagic = "EFZKWASM";
constexpr uint32_t kMaxValues = 1024;

void put_varint(ByteWriter& w, uint64_t v) {
  while (v >= 0x80) {
    w.u8(uint8_t(v) | 0x80);
    v >>= 7;
  }
  w.u8(uint8_t(v));
}

Status get_varint(ByteReader& r, uint64_t& v, const std::string& what) {
  v = 0;
  for (uint32_t shift = 0;; shift += 7) {
    uint8_t byte = 0;
    EFAAS_RETURN_IF_ERROR(r.u8(byte, what));
    if (shift == 63 && byte > 1) {
      return invalid_argument(what + " at byte " + std::to_string(r.offset() - 1) +
                              ": varint overflows 64 bits");
    }
    v |= uint64_t(byte & 0x7F) << shift;
    if (!(byte & 0x80)) return Status::ok();
  }
}
Status read_private_digest(ByteReader& r, std::optional<Digest>& digest) {
  uint8_t flag = 0;
  const size_t at = r.offset();
  EFAAS_RETURN_IF_ERROR(r.u8(flag, "private digest flag"));
  if (flag > 1) {
    return invalid_argument("private digest flag " + std::to_string(flag) + " at byte " +
                            std::to_string(at) + " is neither 0 nor 1");
  }
  if (flag == 0) return Status::ok();
  Digest d;
  for (size_t j = 0; j < d.size(); ++j) {
    uint32_t v = 0;
    EFAAS_RETURN_IF_ERROR(r.u32(v, "private digest element " + std::to_string(j)));
    if (v >= Fp::kP) {
      return invalid_argument("private digest element " + std::to_string(j) + " at byte " +
                              std::to_string(r.offset() - 4) + " is not below p");
    }
    d[j] = Fp::from_canonical(v);
  }
  digest = d;
  return Status::ok();
}
}  // namespace

std::vector<uint8_t> serialize_bundle(const Bundle& b) {
  ByteWriter w;
  w.raw(kMagic);
  w.u32(b.version);
  w.u32(uint32_t(b.segments.size()));
  const PublicValues& pv = b.publics;
  w.bytes(pv.module_hash);
  w.u32(pv.entry_function);
  w.u32(uint32_t(pv.args.size()));
  for (uint64_t a : pv.args) w.u64(a);
  w.u32(pv.status);
  w.u32(pv.trap_code);
  if (pv.trap_code == L::kTrapHostAbort) w.u32(pv.abort_code);  // only an abort has one
  w.u32(uint32_t(pv.results.size()));
  for (uint64_t r : pv.results) w.u64(r);
  w.u64(pv.gas_used);
  w.u64(pv.instructions);
  w.u32(uint32_t(pv.public_input.size()));
  w.bytes(pv.public_input);
  w.u32(uint32_t(pv.output.size()));
  w.bytes(pv.output);
  w.u64(pv.gas_limit);  // nonzero only for out of gas
  // The private input's digest: a flag byte, then 8 canonical u32 elements when set.
  w.u8(pv.private_digest ? 1 : 0);
  if (pv.private_digest)
    for (const Fp& x : *pv.private_digest) w.u32(x.to_canonical());
  const bool split = b.segments.size() > 1;
  for (size_t i = 0; i < b.segments.size(); ++i) {
    const Segment& seg = b.segments[i];
    if (split && i + 1 < b.segments.size()) {
      const SegmentState& e = seg.exit;
      for (uint32_t v : {e.pc, e.sp, e.fp, e.depth}) w.u32(v);
      w.u64(e.gas);
      w.u64(e.instructions);
      w.u64(e.output);
      write_exit_cursor(w, e);  // a cut inside a host call's I/O or zero-local rows
    }
    if (split) {  // keys as gaps (the first as is), values as LEB128
      w.u32(uint32_t(seg.keys.size()));
      uint32_t prev = 0;
      for (size_t k = 0; k < seg.keys.size(); ++k) {
        put_varint(w, uint32_t(seg.keys[k] - prev));
        prev = seg.keys[k];
      }
      for (size_t k = 0; k < seg.keys.size(); ++k) {
        put_varint(w, k < seg.exit_values.size() ? seg.exit_values[k] : 0);
      }
    }
    const std::vector<uint8_t> proof = serialize_proof(seg.proof);
    w.u64(proof.size());
    w.bytes(proof);
  }
  return w.take();
}

Result<Bundle> deserialize_bundle(std::span<const uint8_t> bytes) {
  ByteReader r(bytes);
  Bundle b;
  EFAAS_RETURN_IF_ERROR(r.expect(kMagic, "bundle magic"));
  EFAAS_RETURN_IF_ERROR(r.u32(b.version, "bundle version"));
  if (b.version != kBundleVersion) {
    return invalid_argument("bundle version " + std::to_string(b.version) + " is not supported (" +
                            std::to_string(kBundleVersion) + " is)");
  }
  uint32_t segments = 0;
  EFAAS_RETURN_IF_ERROR(r.u32(segments, "segment count"));
  if (segments == 0 || segments > kMaxSegments) {
    return invalid_argument("segment count " + std::to_string(segments) + " at byte 12 is outside [1, " +
                            std::to_string(kMaxSegments) + "]");
  }
  PublicValues& pv = b.publics;
  EFAAS_RETURN_IF_ERROR(r.bytes(pv.module_hash, "module hash"));
  EFAAS_RETURN_IF_ERROR(r.u32(pv.entry_function, "entry function"));
  uint32_t n = 0;
  EFAAS_RETURN_IF_ERROR(r.count(n, kMaxValues, "argument count"));
  pv.args.resize(n);
  for (auto& a : pv.args) EFAAS_RETURN_IF_ERROR(r.u64(a, "argument"));
  EFAAS_RETURN_IF_ERROR(r.u32(pv.status, "status"));
  EFAAS_RETURN_IF_ERROR(r.u32(pv.trap_code, "trap code"));
  if (pv.trap_code == L::kTrapHostAbort) EFAAS_RETURN_IF_ERROR(r.u32(pv.abort_code, "abort code"));
  EFAAS_RETURN_IF_ERROR(r.count(n, kMaxValues, "result count"));
  pv.results.resize(n);
  for (auto& v : pv.results) EFAAS_RETURN_IF_ERROR(r.u64(v, "result"));
  EFAAS_RETURN_IF_ERROR(r.u64(pv.gas_used, "gas used"));
  EFAAS_RETURN_IF_ERROR(r.u64(pv.instructions, "instruction count"));
  EFAAS_RETURN_IF_ERROR(r.count(n, (1u << 28) + 76, "public input length"));
  if (n > r.remaining()) return invalid_argument("public input length exceeds the bundle");
  pv.public_input.resize(n);
  EFAAS_RETURN_IF_ERROR(r.bytes(pv.public_input, "public input"));
  EFAAS_RETURN_IF_ERROR(r.count(n, uint32_t(kMaxOutputBytes), "output length"));
  if (n > r.remaining()) return invalid_argument("output length exceeds the bundle");
  pv.output.resize(n);
  EFAAS_RETURN_IF_ERROR(r.bytes(pv.output, "output"));
  {
    const size_t at = r.offset();
    EFAAS_RETURN_IF_ERROR(r.u64(pv.gas_limit, "gas limit"));
    const bool out_of_gas = pv.status == 1 && pv.trap_code == L::kTrapOutOfGas;
    if (!out_of_gas && pv.gas_limit != 0) {
      return invalid_argument("gas limit " + std::to_string(pv.gas_limit) + " at byte " +
                              std::to_string(at) + " without the out-of-gas trap code " +
                              std::to_string(L::kTrapOutOfGas));
    }
    if (out_of_gas && (pv.gas_limit < pv.gas_used || pv.gas_limit >= L::kMaxGasLimit)) {
      return invalid_argument("gas limit " + std::to_string(pv.gas_limit) + " at byte " +
                              std::to_string(at) + " is not between the gas used " +
                              std::to_string(pv.gas_used) + " and 2^30 (kMaxGasLimit)");
    }
  }
  EFAAS_RETURN_IF_ERROR(read_private_digest(r, pv.private_digest));
  const bool split = segments > 1;
  // Segments are added as they are read, so that a hostile count costs no memory up front.
  for (uint32_t i = 0; i < segments; ++i) {
    Segment& seg = b.segments.emplace_back();
    const std::string name = "segment " + std::to_string(i) + " ";
    if (split && i + 1 < segments) {
      SegmentState& e = seg.exit;
      EFAAS_RETURN_IF_ERROR(r.u32(e.pc, name + "exit pc"));
      EFAAS_RETURN_IF_ERROR(r.u32(e.sp, name + "exit sp"));
      EFAAS_RETURN_IF_ERROR(r.u32(e.fp, name + "exit fp"));
      EFAAS_RETURN_IF_ERROR(r.u32(e.depth, name + "exit depth"));
      EFAAS_RETURN_IF_ERROR(r.u64(e.gas, name + "exit gas"));
      EFAAS_RETURN_IF_ERROR(r.u64(e.instructions, name + "exit instruction count"));
      EFAAS_RETURN_IF_ERROR(r.u64(e.output, name + "exit output cursor"));
      if (e.output > pv.output.size()) {
        return invalid_argument(name + "exit output cursor " + std::to_string(e.output) +
                                " at byte " + std::to_string(r.offset() - 8) +
                                " exceeds the output length " + std::to_string(pv.output.size()));
      }
      EFAAS_RETURN_IF_ERROR(read_exit_cursor(r, e, name));
    }
    if (split) {
      // Each key takes at least two bytes (gap and value): a count beyond that is malformed.
      uint32_t nkeys = 0;
      const size_t at = r.offset();
      EFAAS_RETURN_IF_ERROR(r.u32(nkeys, name + "key count"));
      if (nkeys > r.remaining() / 2 || nkeys > (1u << 30)) {
        return invalid_argument(name + "key count " + std::to_string(nkeys) + " at byte " +
                                std::to_string(at) + " exceeds the " +
                                std::to_string(r.remaining()) + " bytes that follow");
      }
      seg.keys.resize(nkeys);
      seg.exit_values.resize(nkeys);
      uint64_t key = 0;
      for (uint32_t k = 0; k < nkeys; ++k) {
        uint64_t gap = 0;
        const std::string what = name + "key " + std::to_string(k);
        EFAAS_RETURN_IF_ERROR(get_varint(r, gap, what));
        if (k > 0 && gap == 0) {
          return invalid_argument(what + " at byte " + std::to_string(r.offset() - 1) +
                                  " repeats the key before it (keys strictly increase)");
        }
        // The gap alone first: a 64-bit gap would wrap the sum around to a smaller key.
        if (gap >= (uint64_t(1) << 30) || key + gap >= (uint64_t(1) << 30)) {
          return invalid_argument(what + " at byte " + std::to_string(r.offset() - 1) +
                                  " is not below 2^30");
        }
        key += gap;
        seg.keys[k] = uint32_t(key);
      }
      for (uint32_t k = 0; k < nkeys; ++k) {
        EFAAS_RETURN_IF_ERROR(get_varint(r, seg.exit_values[k], name + "value " + std::to_string(k)));
      }
    }
    uint64_t len = 0;
    EFAAS_RETURN_IF_ERROR(r.u64(len, name + "proof length"));
    const bool last = i + 1 == segments;
    if (last && len < r.remaining()) {
      return invalid_argument("trailing bytes: " + std::to_string(r.remaining() - len) +
                              " after the bundle's last proof (" + std::to_string(len) +
                              " bytes from byte " + std::to_string(r.offset()) + ")");
    }
    if (len > r.remaining()) {
      return invalid_argument(name + "proof length " + std::to_string(len) + " at byte " +
                              std::to_string(r.offset() - 8) + " exceeds the " +
                              std::to_string(r.remaining()) + " bytes that follow");
    }
    auto proof = deserialize_proof(bytes.subspan(r.offset(), len));
    if (!proof) return Status(proof.status().code(), name + "proof: " + proof.status().message());
    seg.proof = std::move(*proof);
    std::vector<uint8_t> skipped(len);  // ByteReader has no skip; a copy costs little here
    EFAAS_RETURN_IF_ERROR(r.bytes(skipped, name + "proof"));
  }
  return b;
}

void write_exit_cursor(ByteWriter& w, const SegmentState& e) {
  w.u8(e.io.active ? 1 : e.zl.active ? 2 : 0);
  if (e.io.active) {
    w.u8(e.io.out ? 1 : 0);
    w.u8(uint8_t(e.io.kind));
    for (uint32_t v : {e.io.addr, e.io.idx, e.io.rem}) w.u32(v);
  } else if (e.zl.active) {
    w.u32(e.zl.next);
  }
}

Status read_exit_cursor(ByteReader& r, SegmentState& e, const std::string& name) {
  uint8_t flag = 0, dir = 0, kind = 0;
  EFAAS_RETURN_IF_ERROR(r.u8(flag, name + "exit cursor flag"));
  if (flag > 2) {
    return invalid_argument(name + "exit cursor flag " + std::to_string(flag) + " at byte " +
                            std::to_string(r.offset() - 1) + " is not 0, 1 or 2");
  }
  if (flag == 0) return Status::ok();
  if (flag == 2) {
    e.zl.active = true;
    return r.u32(e.zl.next, name + "exit zero-local cursor");
  }
  SegmentState::IoCursor& c = e.io;
  c.active = true;
  EFAAS_RETURN_IF_ERROR(r.u8(dir, name + "exit I/O cursor direction"));
  if (dir > 1) {
    return invalid_argument(name + "exit I/O cursor direction " + std::to_string(dir) +
                            " at byte " + std::to_string(r.offset() - 1) + " is not 0 or 1");
  }
  c.out = dir == 1;
  EFAAS_RETURN_IF_ERROR(r.u8(kind, name + "exit I/O cursor kind"));
  c.kind = kind;
  EFAAS_RETURN_IF_ERROR(r.u32(c.addr, name + "exit I/O cursor address"));
  EFAAS_RETURN_IF_ERROR(r.u32(c.idx, name + "exit I/O cursor index"));
  EFAAS_RETURN_IF_ERROR(r.u32(c.rem, name + "exit I/O cursor bytes left"));
  return Status::ok();
}

}  // namespace efaas::zkwasm
