// Static linking of a module set into one combined module (static_link.hpp).
#include "prover/wasm/static_link.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>

namespace efaas::wasm {

namespace {

// A function or global of the set before the combined index spaces are laid out: an unresolved
// import of the combined module (its index among the imports of that kind) or a definition of
// module `k` (its index among k's definitions).
struct Ref {
  bool imported = false;
  uint32_t k = 0;
  uint32_t idx = 0;
};

// The one memory (or table) of the set: defined by module `k`, or an unresolved import.
struct Owner {
  bool imported = false;
  uint32_t k = 0;  // defining module, or the index of the unresolved import in `imports`
  bool operator==(const Owner&) const = default;
};

std::string import_name(const Import& im) { return "\"" + im.module + "\".\"" + im.name + "\""; }

bool limits_fit(const Limits& have, const Limits& want) {
  if (have.min < want.min) return false;
  return !want.has_max || (have.has_max && have.max <= want.max);
}

}  // namespace

Result<std::shared_ptr<const Module>> link_modules(std::span<const LinkInput> modules) {
  auto set = link_modules_staged(modules);
  if (!set) return set.status();
  for (const LinkedStart& s : set->starts) {
    if (s.module + 1 != modules.size()) {
      return unimplemented(
          "link: a start function in module " + std::to_string(s.module) + " (\"" +
          modules[s.module].name +
          "\"), not the last one (its effects would have to be ordered among the other "
          "modules' segments; zkwasm's Program::load_linked folds them in order)");
    }
  }
  if (set->starts.empty()) return set->module;
  auto out = std::make_shared<Module>(*set->module);
  out->start = set->starts.back().func;
  return std::shared_ptr<const Module>(std::move(out));
}

Result<LinkedSet> link_modules_staged(std::span<const LinkInput> modules,
                                      std::optional<size_t> entry_module) {
  if (modules.empty()) return invalid_argument("link: no modules");
  const size_t n = modules.size();
  const size_t entry_k = entry_module.value_or(n - 1);
  if (entry_k >= n) {
    return invalid_argument("link: entry module " + std::to_string(entry_k) + " of a set of " +
                            std::to_string(n));
  }
  for (size_t k = 0; k < n; ++k) {
    if (!modules[k].module) return invalid_argument("link: module " + std::to_string(k) + " is null");
  }

  // Pass 1: resolve every import to a Ref / Owner; collect the unresolved ones.
  std::vector<std::vector<Ref>> fref(n), gref(n);
  std::vector<std::optional<Owner>> mem(n), table(n);
  std::vector<Import> imports;  // the combined module's, in order
  std::vector<uint32_t> import_type_module;  // for function imports: the importer (types)
  std::map<std::tuple<std::string, std::string, ExternKind>, uint32_t> unresolved;
  uint32_t nimp_f = 0, nimp_g = 0;
  for (size_t k = 0; k < n; ++k) {
    const Module& m = *modules[k].module;
    const std::string who = "link: module " + std::to_string(k) + " (\"" + modules[k].name + "\")";
    for (const Import& im : m.imports) {
      // The last module of that name listed before the importer.
      std::optional<size_t> t;
      for (size_t j = 0; j < k; ++j)
        if (modules[j].name == im.module) t = j;
      if (!t) {
        const auto key = std::make_tuple(im.module, im.name, im.kind);
        auto it = unresolved.find(key);
        uint32_t at = 0;
        if (it == unresolved.end()) {
          at = uint32_t(imports.size());
          unresolved.emplace(key, at);
          imports.push_back(im);
          import_type_module.push_back(uint32_t(k));
          if (im.kind == ExternKind::kFunc) imports.back().type_index = nimp_f++;  // fixed below
          if (im.kind == ExternKind::kGlobal) imports.back().type_index = nimp_g++;
        } else {
          at = it->second;
        }
        switch (im.kind) {
          case ExternKind::kFunc:
            fref[k].push_back(Ref{true, 0, imports[at].type_index});
            break;
          case ExternKind::kGlobal:
            gref[k].push_back(Ref{true, 0, imports[at].type_index});
            break;
          case ExternKind::kMemory:
            mem[k] = Owner{true, at};
            break;
          case ExternKind::kTable:
            table[k] = Owner{true, at};
            break;
        }
        continue;
      }
      const Module& tm = *modules[*t].module;
      const Export* ex = tm.find_export(im.name);
      if (!ex || ex->kind != im.kind) {
        return invalid_argument(who + ": import " + import_name(im) + ": module " +
                                std::to_string(*t) + " has no " + extern_kind_name(im.kind) +
                                " export of that name (unknown import)");
      }
      switch (im.kind) {
        case ExternKind::kFunc:
          if (!(tm.func_type(ex->index) == m.types[im.type_index])) {
            return invalid_argument(who + ": import " + import_name(im) + " has type " +
                                    func_type_string(m.types[im.type_index]) + ", the export " +
                                    func_type_string(tm.func_type(ex->index)) +
                                    " (incompatible import type)");
          }
          fref[k].push_back(fref[*t][ex->index]);
          break;
        case ExternKind::kGlobal: {
          const GlobalType& gt = tm.global_types[ex->index];
          if (gt.type != im.global.type || gt.is_mutable != im.global.is_mutable) {
            return invalid_argument(who + ": import " + import_name(im) +
                                    ": global type does not match (incompatible import type)");
          }
          gref[k].push_back(gref[*t][ex->index]);
          break;
        }
        case ExternKind::kMemory:
          if (!mem[*t]) return invalid_argument(who + ": import " + import_name(im) + ": no memory");
          if (!limits_fit(tm.memories[0], im.limits)) {
            return invalid_argument(who + ": import " + import_name(im) +
                                    ": memory limits do not match (incompatible import type)");
          }
          mem[k] = mem[*t];
          break;
        case ExternKind::kTable:
          if (!table[*t]) return invalid_argument(who + ": import " + import_name(im) + ": no table");
          if (!limits_fit(tm.tables[0], im.limits)) {
            return invalid_argument(who + ": import " + import_name(im) +
                                    ": table limits do not match (incompatible import type)");
          }
          table[k] = table[*t];
          break;
      }
    }
    for (uint32_t i = 0; i < m.funcs.size(); ++i) fref[k].push_back(Ref{false, uint32_t(k), i});
    for (uint32_t i = 0; i < m.global_inits.size(); ++i) gref[k].push_back(Ref{false, uint32_t(k), i});
    if (!m.memory_imported && !m.memories.empty()) mem[k] = Owner{false, uint32_t(k)};
    if (!m.table_imported && !m.tables.empty()) table[k] = Owner{false, uint32_t(k)};
  }
  // Function imports of one name must agree on the type (the host links one function).
  for (size_t k = 0; k < n; ++k) {
    const Module& m = *modules[k].module;
    for (const Import& im : m.imports) {
      auto it = unresolved.find(std::make_tuple(im.module, im.name, im.kind));
      if (it == unresolved.end() || im.kind != ExternKind::kFunc) continue;
      const uint32_t owner = import_type_module[it->second];
      const Module& om = *modules[owner].module;
      for (const Import& o : om.imports) {
        if (o.module == im.module && o.name == im.name && o.kind == im.kind &&
            !(om.types[o.type_index] == m.types[im.type_index])) {
          return invalid_argument("link: import " + import_name(im) +
                                  " is imported with two different types");
        }
      }
    }
  }
  // The set's memories and tables: an unresolved import first (it is index 0 of the combined
  // module, imports coming first), then the definitions in module order; each module uses the
  // one its own index 0 resolves to.
  using Indexed = std::pair<std::vector<Owner>, std::vector<uint32_t>>;  // owners, per module
  auto index_owners = [&](const std::vector<std::optional<Owner>>& per_module,
                          const char* what) -> Result<Indexed> {
    std::vector<Owner> owners;
    for (size_t k = 0; k < n; ++k) {
      if (!per_module[k] || !per_module[k]->imported) continue;
      if (!owners.empty() && !(owners[0] == *per_module[k])) {
        return unimplemented("link: module " + std::to_string(k) + " (\"" + modules[k].name +
                             "\") imports a second " + what + " from outside the set");
      }
      if (owners.empty()) owners.push_back(*per_module[k]);
    }
    for (size_t k = 0; k < n; ++k) {
      if (per_module[k] && !per_module[k]->imported &&
          std::find(owners.begin(), owners.end(), *per_module[k]) == owners.end()) {
        owners.push_back(*per_module[k]);
      }
    }
    std::vector<uint32_t> index(n, 0);
    for (size_t k = 0; k < n; ++k) {
      if (per_module[k]) {
        const auto at = std::find(owners.begin(), owners.end(), *per_module[k]);
        index[k] = uint32_t(at - owners.begin());
      }
    }
    return Indexed(std::move(owners), std::move(index));
  };
  auto mems = index_owners(mem, "memory");
  if (!mems) return mems.status();
  auto tabs = index_owners(table, "table");
  if (!tabs) return tabs.status();
  const auto& [mem_owners, mem_index] = *mems;
  const auto& [table_owners, table_index] = *tabs;
  // Host functions (efaas.*) read and write memory 0: with several memories, a module that
  // can reach one (an import of the set left unresolved) must use memory 0.
  if (mem_owners.size() > 1) {
    for (size_t k = 0; k < n; ++k) {
      const bool reaches_host = std::any_of(fref[k].begin(), fref[k].end(),
                                            [](const Ref& r) { return r.imported; });
      if (reaches_host && (!mem[k] || mem_index[k] != 0)) {
        const std::string uses =
            mem[k] ? "uses memory " + std::to_string(mem_index[k]) : std::string("has no memory");
        return unimplemented("link: module " + std::to_string(k) + " (\"" + modules[k].name +
                             "\") imports host functions but " + uses + " of a set with " +
                             std::to_string(mem_owners.size()) +
                             " memories (host functions access memory 0)");
      }
    }
  }

  // Pass 2: lay out the combined index spaces.
  auto out = std::make_shared<Module>();
  LinkedSet set;
  std::vector<uint32_t> type_off(n), fbase(n), gbase(n), pc_off(n), bt_off(n);
  uint32_t nf = nimp_f, ng = nimp_g;
  for (size_t k = 0; k < n; ++k) {
    const Module& m = *modules[k].module;
    type_off[k] = uint32_t(out->types.size());
    out->types.insert(out->types.end(), m.types.begin(), m.types.end());
    fbase[k] = nf;
    nf += uint32_t(m.funcs.size());
    gbase[k] = ng;
    ng += uint32_t(m.global_inits.size());
  }
  for (uint32_t i = 0; i < out->types.size(); ++i) {
    uint32_t c = i;
    for (uint32_t j = 0; j < i; ++j) {
      if (out->types[j] == out->types[i]) {
        c = j;
        break;
      }
    }
    out->canonical_type.push_back(c);
  }
  auto func_index = [&](const Ref& r) { return r.imported ? r.idx : fbase[r.k] + r.idx; };
  auto global_index = [&](const Ref& r) { return r.imported ? r.idx : gbase[r.k] + r.idx; };

  // Unresolved imports keep their order; function imports take the importer's type.
  out->func_type_index.resize(nimp_f);
  out->global_types.resize(nimp_g);
  for (size_t i = 0; i < imports.size(); ++i) {
    Import im = imports[i];
    const uint32_t k = import_type_module[i];
    const Module& m = *modules[k].module;
    for (const Import& o : m.imports) {  // the importer's own description
      if (o.module == im.module && o.name == im.name && o.kind == im.kind) {
        if (im.kind == ExternKind::kFunc) {
          out->func_type_index[im.type_index] = o.type_index + type_off[k];
          im.type_index = o.type_index + type_off[k];
        } else if (im.kind == ExternKind::kGlobal) {
          out->global_types[im.type_index] = o.global;
          im.type_index = 0;
        }
        break;
      }
    }
    out->imports.push_back(im);
  }
  out->num_imported_funcs = nimp_f;
  out->num_imported_globals = nimp_g;
  for (const Owner& o : mem_owners) {
    out->memories.push_back(o.imported ? imports[o.k].limits : modules[o.k].module->memories[0]);
  }
  out->memory_imported = !mem_owners.empty() && mem_owners[0].imported;
  for (const Owner& o : table_owners) {
    out->tables.push_back(o.imported ? imports[o.k].limits : modules[o.k].module->tables[0]);
  }
  out->table_imported = !table_owners.empty() && table_owners[0].imported;

  for (size_t k = 0; k < n; ++k) {
    const Module& m = *modules[k].module;
    // Constant expressions: an imported global resolved to another module's definition takes
    // that definition's (already resolved) initializer.
    auto resolve = [&](ConstExpr e) {
      if (e.kind != ConstExpr::Kind::kGlobal) return e;
      const Ref& r = gref[k].at(e.global_index);
      if (r.imported) {
        e.global_index = r.idx;
        return e;
      }
      return out->global_inits.at(gbase[r.k] + r.idx - nimp_g);
    };
    for (uint32_t i = 0; i < m.global_inits.size(); ++i) {
      out->global_types.push_back(m.global_types[m.num_imported_globals + i]);
      out->global_inits.push_back(resolve(m.global_inits[i]));
    }
    for (uint32_t i = 0; i < m.funcs.size(); ++i) {
      Function f = m.funcs[i];
      f.type_index += type_off[k];
      f.entry_pc += uint32_t(out->code.size());
      out->funcs.push_back(f);
      out->func_type_index.push_back(f.type_index);
    }
    for (const ElemSegment& s : m.elems) {
      ElemSegment e;
      e.offset = resolve(s.offset);
      e.table = table_index[k];
      for (uint32_t fi : s.funcs) e.funcs.push_back(func_index(fref[k][fi]));
      out->elems.push_back(std::move(e));
    }
    for (const DataSegment& s : m.datas) {
      DataSegment d = s;
      d.offset = resolve(s.offset);
      d.memory = mem_index[k];
      out->datas.push_back(std::move(d));
    }
    pc_off[k] = uint32_t(out->code.size());
    bt_off[k] = uint32_t(out->br_targets.size());
    for (BrTarget t : m.br_targets) {
      t.pc += pc_off[k];
      out->br_targets.push_back(t);
    }
    for (Instr in : m.code) {
      switch (in.op) {
        case Op::kBr:
        case Op::kBrIf:
        case Op::kBrUnless:
          in.a += pc_off[k];
          break;
        case Op::kBrTable:
          in.a += bt_off[k];
          break;
        case Op::kCall:
        case Op::kCallHost:
          in.a = func_index(fref[k].at(in.a));
          in.op = in.a < nimp_f ? Op::kCallHost : Op::kCall;
          in.gas = op_info(in.op).gas;
          break;
        case Op::kCallIndirect:
          in.a += type_off[k];
          in.b = table_index[k];
          break;
        case Op::kMemorySize:
        case Op::kMemoryGrow:
          in.b = mem_index[k];
          break;
        case Op::kGlobalGet:
        case Op::kGlobalSet:
          in.a = global_index(gref[k].at(in.a));
          break;
        default:
          if (op_info(in.op).imm == Imm::kMem) in.b = mem_index[k];
          break;
      }
      out->code.push_back(in);
    }
    if (m.start) {
      set.starts.push_back(LinkedStart{uint32_t(k), func_index(fref[k][*m.start]),
                                       out->global_inits.size(), out->datas.size(),
                                       out->elems.size()});
    }
  }
  const Module& entry = *modules[entry_k].module;
  for (Export e : entry.exports) {
    if (e.kind == ExternKind::kFunc) e.index = func_index(fref[entry_k][e.index]);
    if (e.kind == ExternKind::kGlobal) e.index = global_index(gref[entry_k][e.index]);
    if (e.kind == ExternKind::kMemory) e.index = mem_index[entry_k];
    if (e.kind == ExternKind::kTable) e.index = table_index[entry_k];
    out->exports.push_back(e);
  }
  set.module = std::move(out);
  return set;
}

}  // namespace efaas::wasm
