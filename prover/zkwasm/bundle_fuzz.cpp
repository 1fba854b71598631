// libFuzzer target for the zkWASM proof bundle parser (and the STARK proof parser under it):
// any input must parse or fail with a Status, and anything that parses must verify against the
// module or be rejected, never crash. -DEFAAS_FUZZ=ON with clang.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>

#include "prover/wasm/instance.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace {

// testdata/sum.wat: sum(n) = n + (n - 1) + ... + 1.
const uint8_t kSumWasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f,
    0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 0x73, 0x75, 0x6d, 0x00,
    0x00, 0x0a, 0x23, 0x01, 0x21, 0x01, 0x01, 0x7f, 0x02, 0x40, 0x03, 0x40, 0x20, 0x00,
    0x45, 0x0d, 0x01, 0x20, 0x01, 0x20, 0x00, 0x6a, 0x21, 0x01, 0x20, 0x00, 0x41, 0x01,
    0x6b, 0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b, 0x20, 0x01, 0x0b};

const efaas::zkwasm::Program& program() {
  static const auto p = *efaas::zkwasm::Program::load(kSumWasm);
  return *p;
}

}  // namespace

// With EFAAS_FUZZ_SEED=<file> in the environment, writes a valid bundle of several segments
// there first (a corpus seed that gets past the header into the segment fields).
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  using namespace efaas;
  if (const char* path = std::getenv("EFAAS_FUZZ_SEED")) {
    wasm::Linker linker;
    auto inst = wasm::Instance::instantiate(program().module_ptr(), linker);
    wasm::MemorySink sink;
    wasm::TraceWriter tw(sink);
    wasm::TraceHeader h;
    h.gas_limit = 1u << 20;
    (void)tw.begin(h);
    wasm::ExecOptions eo;
    eo.gas_limit = h.gas_limit;
    eo.trace = &tw;
    const uint64_t args[1] = {3};
    auto r = (*inst)->invoke(0, args, eo);
    wasm::TraceEnd end;
    end.gas_used = r->gas_used;
    end.instructions = r->instructions;
    end.records = tw.records();
    end.results = r->results;
    (void)tw.finish(end);
    zkwasm::ProveOptions po;
    po.args = {3};
    po.segment_log = zkwasm::kMinSegmentLog;  // a split bundle: the seed reaches segment fields
    auto b = zkwasm::prove(program(), *wasm::read_trace(sink.data), po);
    const auto bytes = zkwasm::serialize_bundle(*b);
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                std::streamsize(bytes.size()));
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto b = efaas::zkwasm::deserialize_bundle(std::span<const uint8_t>(data, size));
  if (b.is_ok()) (void)efaas::zkwasm::verify(program(), *b);
  return 0;
}
