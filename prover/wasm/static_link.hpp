#pragma once
// Static linking: a set of modules that import from one another, merged into one combined
// module that the runtime runs and zkWASM proves like any other (docs/zkwasm.md, "Linked
// modules"). The combined module's function, global and type index spaces are the modules'
// concatenated (unresolved imports first), every import that names a module of the set is
// resolved to that module's export. Memories and tables shared by import are one; a module with
// one of its own adds another (the combined module's memory / table index of each module's
// loads, stores, memory.size/grow and call_indirect is in their Instr::b). Instantiating the
// combined module gives the state that instantiating the modules one after the other gives:
// data and element segments applied in module order, the start function of the last module run
// last. Start functions of
// other modules need their effects ordered among the segments: link_modules_staged says where
// each runs, and its caller runs them (zkwasm's Program::load_linked folds them).
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "prover/common/status.hpp"
#include "prover/wasm/module.hpp"

namespace efaas::wasm {

struct LinkInput {
  std::string name;  // the module name other modules of the set import it by
  std::shared_ptr<const Module> module;
};

// `modules` in instantiation order; the last is the entry module, whose exports the combined
// module exports. An import (module, name) resolves to the export `name` of the last module
// named `module` listed before the importer; one that names no module of the set stays an
// import of the combined module (efaas host functions, verifier-supplied globals or memory).
// Errors: INVALID_ARGUMENT for an unknown export or an incompatible type (naming the import and
// the module), UNIMPLEMENTED for a second memory or table imported from outside the set, a
// module reaching host functions (efaas.*, which use memory 0) that uses another memory of a
// set of several, or a start function in a module other than the last.
Result<std::shared_ptr<const Module>> link_modules(std::span<const LinkInput> modules);

// Module k's start function in the combined module, and how much of the combined module exists
// when it runs (after modules 0..k are instantiated, before module k + 1 is): the defined
// globals, data segments and element segments of modules 0..k are the first `globals`, `datas`
// and `elems` of the combined module's.
struct LinkedStart {
  uint32_t module = 0;
  uint32_t func = 0;
  size_t globals = 0;
  size_t datas = 0;
  size_t elems = 0;
};
struct LinkedSet {
  std::shared_ptr<const Module> module;  // no start function: `starts` says where they run
  std::vector<LinkedStart> starts;       // in instantiation order
};
// link_modules with start functions allowed in every module, and the combined module exporting
// the exports of module `entry` (default: the last; the modules after it count only for what
// their instantiation writes into the others).
Result<LinkedSet> link_modules_staged(std::span<const LinkInput> modules,
                                      std::optional<size_t> entry = std::nullopt);

}  // namespace efaas::wasm
