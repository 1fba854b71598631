#pragma once
// Bulk operations on field elements: batch inversion and canonical serialization.
#include <cstdint>
#include <span>
#include <vector>

#include "prover/common/status.hpp"
#include "prover/field/babybear.hpp"
#include "prover/field/babybear_ext.hpp"

namespace efaas {

// out[i] = 1 / in[i] with one field inversion (Montgomery's trick). `in` and `out` may alias.
// A zero input is an error naming its index; `out` is then unspecified.
Status batch_inverse(std::span<const Fp> in, std::span<Fp> out);
Status batch_inverse(std::span<const Fp4> in, std::span<Fp4> out);

// Canonical encoding: each element as its canonical value, 4 bytes little-endian.
void serialize(std::span<const Fp> in, std::vector<uint8_t>& out);
void serialize(std::span<const Fp4> in, std::vector<uint8_t>& out);
// Rejects a length that is not a multiple of the element size and any value >= p, naming the
// byte offset of the offending element.
Result<std::vector<Fp>> deserialize_fp(std::span<const uint8_t> bytes);
Result<std::vector<Fp4>> deserialize_fp4(std::span<const uint8_t> bytes);
// One element at `bytes[0..4)`.
Result<Fp> read_fp(std::span<const uint8_t> bytes, size_t offset);

}  // namespace efaas
