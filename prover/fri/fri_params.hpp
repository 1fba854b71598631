#pragma once
// FRI soundness parameters, kept apart from performance knobs (FriProverConfig).
#include <cstdint>
#include <string>

#include "prover/common/status.hpp"
#include "prover/device/backend.hpp"

namespace efaas {

struct FriParams {
  uint32_t log_blowup = 1;          // rate 2^-log_blowup
  uint32_t num_queries = 100;
  uint32_t pow_bits = 16;           // proof-of-work before the query indices are drawn
  uint32_t log_final_poly_len = 0;  // folding stops at 2^k coefficients, sent in the clear
  uint32_t log_arity = 1;           // folding arity 2^k, 1 <= k <= kMaxFriLogArity
  bool operator==(const FriParams&) const = default;
};
inline constexpr uint32_t kMaxFriLogArity = 4;

// Conjectured security in bits: log_blowup * num_queries + pow_bits (the "ethSTARK" conjecture,
// as Plonky3 and RISC Zero state it), capped by the extension field's size (about 124 bits).
double conjectured_security_bits(const FriParams& p);

// Fast, for tests: 20 conjectured bits. Not for anything real. Folding arity 8, as production.
FriParams fri_test_preset();
// At least 100 conjectured bits: blowup 4, 42 queries, 16 bits of proof-of-work; FRI folds by 8
// (about 15% smaller proofs than by 2 at zkWASM's 2^16 rows, bench/RESULTS.md "starkperf4").
FriParams fri_production_preset();
// Looks up "test" or "production".
Result<FriParams> fri_preset(const std::string& name);

// Rejects unusable parameters with a message naming the field.
Status validate(const FriParams& p);

std::string to_string(const FriParams& p);

struct FriProverConfig {
  Backend backend = Backend::kAuto;
  size_t threads = 0;
  int opencl_device = 0;  // kOpenCl: index into list_opencl_devices()
};

}  // namespace efaas
