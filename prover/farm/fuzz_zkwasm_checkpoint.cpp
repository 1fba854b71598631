// libFuzzer target: a stored segment checkpoint (segments/<job>/<index>, read back after a
// restart) must parse into a checkpoint or an error, never crash; what parses re-serializes to
// bytes that parse to the same segment boundary.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "prover/farm/zkwasm_engine.hpp"
#include "prover/zkwasm/zkwasm.hpp"

// With EFAAS_FUZZ_BUNDLE=<bundle file> (e.g. one of zkwasm_bundle_fuzz's seeds) and
// EFAAS_FUZZ_SEED=<prefix>, writes each segment of the bundle as a checkpoint <prefix>.<index>:
// seeds that get past the header into the exit state, the keys and the STARK proof.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* bundle_path = std::getenv("EFAAS_FUZZ_BUNDLE");
  const char* prefix = std::getenv("EFAAS_FUZZ_SEED");
  if (bundle_path == nullptr || prefix == nullptr) return 0;
  std::ifstream in(bundle_path, std::ios::binary);
  const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
  auto b = efaas::zkwasm::deserialize_bundle(bytes);
  if (!b) {  // a seed that does not parse is a broken setup, not a finding
    std::fprintf(stderr, "%s: %s\n", bundle_path, b.status().to_string().c_str());
    std::abort();
  }
  efaas::farm::ZkwasmCheckpoint c;
  c.run.fill(0x5A);
  c.count = uint32_t(b->segments.size());
  for (const auto& s : b->segments) {
    c.segment = s;
    const auto out = efaas::farm::serialize_zkwasm_checkpoint(c);
    const std::string path = std::string(prefix) + "." + std::to_string(c.index++);
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(out.data()), std::streamsize(out.size()));
  }
  std::fprintf(stderr, "%u checkpoints from %s\n", c.count, bundle_path);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace efaas::farm;
  std::span<const uint8_t> bytes(data, size);
  auto c = parse_zkwasm_checkpoint(bytes);
  if (c) {
    auto again = parse_zkwasm_checkpoint(serialize_zkwasm_checkpoint(*c));
    if (!again || again->run != c->run || again->index != c->index ||
        again->segment.exit != c->segment.exit || again->segment.keys != c->segment.keys ||
        again->segment.exit_values != c->segment.exit_values) {
      std::abort();
    }
  }
  return 0;
}
