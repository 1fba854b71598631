#pragma once
// What node/examples/example_extension.c writes, computed without the runtime: the oracle the
// node tests check a proved run's output against.
#include <cstdint>
#include <span>

#include "node/core/bytes.hpp"
#include "prover/wasm/extension.hpp"

namespace efaas::node::testing {

// Data upper-cased, then the FNV-1a 32-bit digest of Data || To || sender, little-endian.
inline Bytes example_extension_output(const wasm::ExtensionInput& in) {
  uint32_t h = 2166136261u;
  auto mix = [&](std::span<const uint8_t> b) {
    for (uint8_t c : b) h = (h ^ c) * 16777619u;
  };
  mix(in.data);
  mix(in.to);
  mix(in.sender);
  Bytes out;
  for (uint8_t c : in.data) out.push_back(c >= 'a' && c <= 'z' ? uint8_t(c - 32) : c);
  for (int i = 0; i < 4; ++i) out.push_back(uint8_t(h >> (8 * i)));
  return out;
}

}  // namespace efaas::node::testing
