#pragma once
// A zkWASM workload the farm's calibration (`efaas bench`) and load generator (bench/farm_load)
// share: sum(n) = n + (n-1) + ... + 1, a loop of 12 instructions per step of n using only
// opcodes the prover constrains, and its execution trace recorded by the runtime.
#include <cstdint>
#include <span>
#include <vector>

#include "prover/common/status.hpp"
#include "prover/wasm/instance.hpp"
#include "prover/wasm/module.hpp"
#include "prover/wasm/trace.hpp"

namespace efaas::farm {

// wat2wasm of: (module (func (export "sum") (param $n i32) (result i32) (local $s i32)
//   (block $d (loop $l (br_if $d (i32.eqz (local.get $n)))
//     (local.set $s (i32.add (local.get $s) (local.get $n)))
//     (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br $l))) (local.get $s)))
inline constexpr uint8_t kSumModuleWasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f,
    0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 0x73, 0x75, 0x6d, 0x00,
    0x00, 0x0a, 0x23, 0x01, 0x21, 0x01, 0x01, 0x7f, 0x02, 0x40, 0x03, 0x40, 0x20, 0x00,
    0x45, 0x0d, 0x01, 0x20, 0x01, 0x20, 0x00, 0x6a, 0x21, 0x01, 0x20, 0x00, 0x41, 0x01,
    0x6b, 0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b, 0x20, 0x01, 0x0b};
inline constexpr uint64_t kSumInstructionsPerStep = 12;

// The EFWTRACE bytes of sum(n), as a zkwasm-trace job streams them.
inline Result<std::vector<uint8_t>> record_sum_trace(uint64_t n) {
  auto m = wasm::load_module(kSumModuleWasm);
  if (!m) return m.status();
  wasm::Linker linker;
  auto inst = wasm::Instance::instantiate(*m, linker);
  if (!inst) return inst.status();
  wasm::MemorySink sink;
  wasm::TraceWriter w(sink);
  wasm::TraceHeader h;
  h.gas_limit = uint64_t(1) << 40;
  h.entry_function = 0;
  EFAAS_RETURN_IF_ERROR(w.begin(h));
  wasm::ExecOptions eo;
  eo.gas_limit = h.gas_limit;
  eo.trace = &w;
  const uint64_t args[] = {n};
  auto r = (*inst)->invoke(0, args, eo);
  if (!r) return r.status();
  EFAAS_RETURN_IF_ERROR(w.finish(wasm::trace_end(*r, w.records())));
  return std::move(sink.data);
}

}  // namespace efaas::farm
