// libFuzzer: the Custom-mode parsers on arbitrary bytes — the circuit manifest (an Extension's
// registered module) and the farm's groth16 proof JSON. An accepted manifest must re-serialize to
// one that parses to the same hashes; an accepted proof encodes to 256 bytes.
#include <cstdlib>

#include "node/prove/groth16.hpp"

using namespace efaas;
using namespace efaas::node;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  if (auto m = parse_circuit_manifest(in); m.is_ok()) {
    auto again = parse_circuit_manifest(circuit_manifest_bytes(*m));
    if (!again.is_ok() || again->wasm != m->wasm || again->zkey != m->zkey) std::abort();
  }
  if (auto e = contract_encoding(std::string(reinterpret_cast<const char*>(data), size)); e.is_ok()) {
    if (e->proof.size() != 256 || e->data.size() < 96 || e->data.size() % 32 != 0) std::abort();
  }
  return 0;
}
