#pragma once
// Validates one function body and appends its compiled instructions to `out.code`.
#include "prover/wasm/module.hpp"
#include "prover/wasm/reader.hpp"

namespace efaas::wasm {

// `body` covers the expression after the local declarations; `m` is the module being built
// (types, functions, globals, tables and memories already decoded).
Status compile_function(const Module& m, uint32_t defined_index, Reader body,
                        const LoadOptions& options, Module& out);

}  // namespace efaas::wasm
