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
inline constexpr uint32_t kPrivateKind = 4;  // the private input (private_input.hpp)
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
  void lookup_size(uint32_t kind) {
    if (kind == kPrivateKind) return lookup_private_size();
    ++size_mult_[kind];
  }
  void lookup_byte(uint32_t kind, uint32_t idx) {
    if (kind == kPrivateKind) return lookup_private_byte(idx);
    ++byte_mult_[kind][idx];
  }
  std::vector<Fp> take() const;

  // The private input (kind 4, private_input.hpp), when the prover has it: its lookups go to the
  // private table, built only if there are any (reads_private()).
  void set_private(const std::vector<uint8_t>* bytes);
  // A kind's bytes: the public kinds' (when present) and the private input's, else nullptr.
  const std::vector<uint8_t>* kind_bytes(uint64_t kind) const;
  bool reads_private() const { return reads_private_; }
  const std::vector<uint64_t>& private_byte_lookups() const { return priv_mult_; }
  uint64_t private_size_lookups() const { return priv_size_mult_; }

 private:
  void lookup_private_size() { ++priv_size_mult_, reads_private_ = true; }
  void lookup_private_byte(uint32_t idx) { ++priv_mult_[idx], reads_private_ = true; }

  const PublicInputKinds& in_;
  std::array<uint64_t, kPublicKinds> size_mult_{};
  std::array<std::vector<uint64_t>, kPublicKinds> byte_mult_;
  const std::vector<uint8_t>* priv_ = nullptr;
  std::vector<uint64_t> priv_mult_;
  uint64_t priv_size_mult_ = 0;
  bool reads_private_ = false;
};

}  // namespace efaas::zkwasm
