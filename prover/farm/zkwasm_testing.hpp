#pragma once
// Test and benchmark helpers for zkWASM jobs: WAT compiled by wabt's wat2wasm, executions
// recorded by the runtime as EFWTRACE bytes, and traces re-encoded after an edit (valid
// framing and checksums, so only the prover's and verifier's checks can catch the edit).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "prover/common/status.hpp"
#include "prover/wasm/extension.hpp"
#include "prover/wasm/instance.hpp"
#include "prover/wasm/module.hpp"
#include "prover/wasm/trace.hpp"

namespace efaas::farm::testing {

// The module's bytes, or an error naming what failed.
inline Result<std::vector<uint8_t>> wat2wasm(const std::string& text) {
  namespace fs = std::filesystem;
  std::string tmpl = (fs::temp_directory_path() / "efaas-farm-wat-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return internal_error("mkdtemp failed");
  const fs::path dir = tmpl;
  std::ofstream(dir / "m.wat") << text;
  const std::string cmd = "wat2wasm '" + (dir / "m.wat").string() + "' -o '" +
                          (dir / "m.wasm").string() + "' > '" + (dir / "log").string() + "' 2>&1";
  const int rc = std::system(cmd.c_str());
  std::ifstream in(dir / "m.wasm", std::ios::binary);
  std::vector<uint8_t> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (rc != 0 || b.empty()) return internal_error("wat2wasm failed (is wabt installed?)");
  return b;
}

// Encodes a trace (header, steps, end) as the runtime writes it.
inline Result<std::vector<uint8_t>> encode_trace(const wasm::Trace& t, uint32_t chunk_records = 64) {
  wasm::MemorySink sink;
  wasm::TraceWriter w(sink, chunk_records);
  wasm::TraceHeader h = t.header;
  h.chunk_records = chunk_records;
  EFAAS_RETURN_IF_ERROR(w.begin(h));
  for (const auto& s : t.steps) {
    const bool io =
        s.op == uint16_t(wasm::Op::kHostRead) || s.op == uint16_t(wasm::Op::kHostWrite);
    *(io ? w.slot_io() : w.slot()) = s;
  }
  EFAAS_RETURN_IF_ERROR(w.finish(t.end));
  return sink.data;
}

// Runs export `name` of `module` with `args` and the Extension host over `input` (for modules
// importing it), recording an EFWTRACE.
inline Result<std::vector<uint8_t>> record_trace_with_input(const std::vector<uint8_t>& module,
                                                            const std::string& name,
                                                            const std::vector<uint64_t>& args,
                                                            const wasm::ExtensionInput& input,
                                                            uint32_t chunk_records = 64,
                                                            uint64_t gas_limit = uint64_t(1) << 30) {
  auto m = wasm::load_module(module);
  if (!m) return m.status();
  const wasm::Export* ex = (*m)->find_export(name);
  if (ex == nullptr) return invalid_argument("no export " + name);
  wasm::Linker linker;
  std::vector<uint8_t> output;
  for (const wasm::Import& im : (*m)->imports) {
    if (im.module == wasm::kHostModule) {
      wasm::define_extension_host(linker, input, output, wasm::ExtensionConfig{}.max_output_bytes);
      break;
    }
  }
  auto inst = wasm::Instance::instantiate(*m, linker);
  if (!inst) return inst.status();
  wasm::MemorySink sink;
  wasm::TraceWriter w(sink, chunk_records);
  wasm::TraceHeader h;
  h.gas_limit = gas_limit;
  h.entry_function = ex->index;
  h.chunk_records = chunk_records;
  EFAAS_RETURN_IF_ERROR(w.begin(h));
  wasm::ExecOptions o;
  o.gas_limit = h.gas_limit;
  o.trace = &w;
  auto r = (*inst)->invoke(ex->index, args, o);
  if (!r) return r.status();
  EFAAS_RETURN_IF_ERROR(w.finish(wasm::trace_end(*r, w.records(), output)));
  return sink.data;
}

// The same with no input (modules importing the Extension host get it over an empty one).
inline Result<std::vector<uint8_t>> record_trace(const std::vector<uint8_t>& module,
                                                 const std::string& name,
                                                 const std::vector<uint64_t>& args,
                                                 uint32_t chunk_records = 64,
                                                 uint64_t gas_limit = uint64_t(1) << 30) {
  return record_trace_with_input(module, name, args, wasm::ExtensionInput{}, chunk_records,
                                 gas_limit);
}

// Reads all of its private input (kind 4), writes its first byte + 1 and returns 0: a run a
// trace job proves only with that private input (JobHeader.private_input).
inline const char* kPrivateWat = R"((module
  (import "efaas" "input_size" (func $size (param i32) (result i32)))
  (import "efaas" "input_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "efaas" "output_write" (func $write (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "efaas_main") (result i32)
    (drop (call $read (i32.const 4) (i32.const 0) (i32.const 0) (call $size (i32.const 4))))
    (i32.store8 (i32.const 0) (i32.add (i32.load8_u (i32.const 0)) (i32.const 1)))
    (call $write (i32.const 0) (i32.const 1))
    (i32.const 0)))
)";

// sum(n) = n + (n-1) + ... + 1 with the opcodes the zkWASM AIR constrains; exported as "sum"
// and, with the argument fixed, as the Extension entry "efaas_main" (its result is the exit
// code: sum(0) = 0 means success).
inline const char* kSumWat = R"((module
  (func $sum (export "sum") (param $n i32) (result i32) (local $s i32)
    (block $d (loop $l
      (br_if $d (i32.eqz (local.get $n)))
      (local.set $s (i32.add (local.get $s) (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $s))
  (func (export "efaas_main") (result i32) (call $sum (i32.const 0))))
)";

// A run the zkWASM prover still refuses with UNIMPLEMENTED: input_size(0) in a proof without
// public input (a trace job with none; record it with record_trace(..., kUnprovableGasLimit)).
// Out of gas inside a host function, the example before session 8, proves now.
inline constexpr const char* kUnprovableWat =
    "(module (import \"efaas\" \"input_size\" (func $s (param i32) (result i32)))"
    " (func (export \"f\") (param i32) (result i32)"
    " (call $s (i32.const 0))))";
inline constexpr uint64_t kUnprovableGasLimit = 25;
inline constexpr const char* kUnprovableReason = "not a public input";

}  // namespace efaas::farm::testing
