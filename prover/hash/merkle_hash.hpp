#pragma once
// Which hash a Merkle commitment uses: a soundness parameter of a proof (FriParams::merkle_hash),
// chosen per proof, and the HashConfig field the Merkle tree and batch hashing dispatch on.
// Poseidon2's leaf and compress: poseidon2.hpp; BLAKE3's: blake3.hpp. Both give 8-element
// digests, so trees, transcripts and proof formats have the same shape under either.
#include <cstdint>
#include <optional>
#include <string_view>

#include "prover/common/status.hpp"

namespace efaas {

enum class MerkleHash : uint8_t {
  kPoseidon2 = 0,  // arithmetic-friendly: what a recursive verifier (STARK in a circuit) needs
  kBlake3 = 1,     // fast natively: what nodes verifying PostOps need
};
inline constexpr uint32_t kMaxMerkleHash = 1;  // the largest MerkleHash value
const char* merkle_hash_name(MerkleHash h);  // "poseidon2", "blake3" (blake3.cpp)
Result<MerkleHash> parse_merkle_hash(std::string_view name);
// A verifier's choice: "any" (empty: either hash accepted) or one hash's name.
Result<std::optional<MerkleHash>> parse_accepted_merkle_hash(std::string_view name);

}  // namespace efaas
