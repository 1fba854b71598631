#pragma once
// Host I/O of Extensions in the zkWASM AIR (docs/zkwasm.md, "Host I/O"): the public input
// table, the verifier's bus tuples for the public input and the output, and their witness.
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "prover/air/air.hpp"
#include "prover/common/status.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::zkwasm {

inline constexpr uint32_t kPublicKinds = 4;  // Data, To, sender, block hash
inline constexpr size_t kMaxOutputBytes = size_t(1) << 20;  // the ABI's default output limit

// The public input kinds' bytes from the canonical string encode_public_inputs() (u32 length
// of Data, Data, To, sender, block hash); an empty string means "no Extension input" (no rows).
struct PublicInputKinds {
  bool present = false;
  std::array<std::vector<uint8_t>, kPublicKinds> bytes;
};
Result<PublicInputKinds> parse_public_input(std::span<const uint8_t> s);

air::TableAir input_table();

// The verifier's bus tuples: every public input byte and size (received by the input table, in
// its row order) and every output byte (sent by output rows). Prover and verifier both use it.
// A segment of a split run gets the whole input and its own output bytes, which start at
// output index `first_output` (its entry output cursor).
std::vector<air::PublicInteraction> io_public_interactions(const PublicInputKinds& in,
                                                          std::span<const uint8_t> output,
                                                          uint64_t first_output = 0);

// Lookups into the input table made by the witness, and the table's main columns.
class InputTableBuilder {
 public:
  explicit InputTableBuilder(const PublicInputKinds& in);
  void lookup_size(uint32_t kind) { ++size_mult_[kind]; }
  void lookup_byte(uint32_t kind, uint32_t idx) { ++byte_mult_[kind][idx]; }
  std::vector<Fp> take() const;

 private:
  const PublicInputKinds& in_;
  std::array<uint64_t, kPublicKinds> size_mult_{};
  std::array<std::vector<uint64_t>, kPublicKinds> byte_mult_;
};

}  // namespace efaas::zkwasm
