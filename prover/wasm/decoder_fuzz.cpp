// libFuzzer target: arbitrary bytes through the decoder/validator/compiler; modules that load
// are instantiated with the Extension host and run under a small gas limit, with a trace.
// Built only with -DEFAAS_FUZZ=ON and clang.
#include <cstddef>
#include <cstdint>

#include "prover/wasm/extension.hpp"
#include "prover/wasm/module.hpp"
#include "prover/wasm/trace.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace efaas::wasm;
  auto m = load_module(std::span<const uint8_t>(data, size));
  if (!m) return 0;
  ExtensionInput in;
  in.data = {1, 2, 3, 4};
  ExtensionConfig cfg;
  cfg.gas_limit = 100000;
  cfg.limits.max_memory_pages = 64;
  cfg.limits.max_call_depth = 256;
  cfg.limits.max_stack_slots = 1 << 14;
  MemorySink sink;
  TraceWriter writer(sink, 4096);
  cfg.trace = &writer;
  auto r = run_extension(*m, in, cfg);
  if (r) {
    auto t = read_trace(sink.data);
    if (!t) __builtin_trap();  // a trace we wrote must read back
  }
  return 0;
}
