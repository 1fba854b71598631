#pragma once
// FRI soundness parameters, kept apart from performance knobs (FriProverConfig).
#include <cstdint>
#include <string>

#include "prover/common/status.hpp"
#include "prover/device/backend.hpp"
#include "prover/hash/merkle_hash.hpp"

namespace efaas {

struct FriParams {
  uint32_t log_blowup = 1;          // rate 2^-log_blowup
  uint32_t num_queries = 100;
  uint32_t pow_bits = 16;           // proof-of-work before the query indices are drawn
  uint32_t log_final_poly_len = 0;  // folding stops at 2^k coefficients, sent in the clear
  uint32_t log_arity = 1;           // folding arity 2^k, 1 <= k <= kMaxFriLogArity
  // The hash of every Merkle commitment of the proof (trace, auxiliary, quotient, fixed columns,
  // FRI layers): a soundness parameter like the others, absorbed in the transcript, serialized,
  // and checked against what the verifier accepts.
  MerkleHash merkle_hash = MerkleHash::kPoseidon2;
  bool operator==(const FriParams&) const = default;
};
inline constexpr uint32_t kMaxFriLogArity = 4;

// Conjectured security in bits: log_blowup * num_queries + pow_bits (the "ethSTARK" conjecture,
// as Plonky3 and RISC Zero state it), capped by the extension field's size (about 124 bits).
double conjectured_security_bits(const FriParams& p);

// Fast, for tests: 20 conjectured bits. Not for anything real. Folding arity 8, as production;
// Poseidon2 Merkle trees, so that the many tests on this preset keep the recursion-friendly hash
// covered (production's BLAKE3 has its own tests).
FriParams fri_test_preset();
// At least 100 conjectured bits: blowup 4, 42 queries, 16 bits of proof-of-work; FRI folds by 8
// (about 15% smaller proofs than by 2 at zkWASM's 2^16 rows, bench/RESULTS.md "starkperf4");
// BLAKE3 Merkle trees (docs/stark.md "Merkle hash": the leaves are most of the proving CPU, and
// nodes verify natively).
FriParams fri_production_preset();
// The production numbers with Poseidon2 Merkle trees: for a verifier inside a circuit.
FriParams fri_production_poseidon2_preset();
// Looks up "test", "production" or "production-poseidon2".
Result<FriParams> fri_preset(const std::string& name);
// The preset names fri_preset accepts, for usage messages: "test, production, production-poseidon2".
const char* fri_preset_names();

// Rejects unusable parameters (an unknown Merkle hash included) with a message naming the field.
Status validate(const FriParams& p);

std::string to_string(const FriParams& p);

struct FriProverConfig {
  Backend backend = Backend::kAuto;
  size_t threads = 0;
  int opencl_device = 0;  // kOpenCl: index into list_opencl_devices()
};

}  // namespace efaas
