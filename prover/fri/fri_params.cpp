#include "prover/fri/fri_params.hpp"

#include <algorithm>
#include <cmath>

#include "prover/field/babybear.hpp"
#include "prover/hash/transcript.hpp"

namespace efaas {

double conjectured_security_bits(const FriParams& p) {
  // |Fp4| = p^4 ~ 2^123.6 bounds every probabilistic argument made over the extension field.
  const double field_bits = 4.0 * std::log2(double(Fp::kP));
  return std::min(double(p.log_blowup) * p.num_queries + p.pow_bits, field_bits);
}

FriParams fri_test_preset() { return {2, 8, 4, 2, 3, MerkleHash::kPoseidon2}; }

FriParams fri_production_preset() { return {2, 42, 16, 3, 3, MerkleHash::kBlake3}; }

FriParams fri_production_poseidon2_preset() {
  FriParams p = fri_production_preset();
  p.merkle_hash = MerkleHash::kPoseidon2;
  return p;
}

const char* fri_preset_names() { return "test, production, production-poseidon2"; }

Result<FriParams> fri_preset(const std::string& name) {
  if (name == "test") return fri_test_preset();
  if (name == "production") return fri_production_preset();
  if (name == "production-poseidon2") return fri_production_poseidon2_preset();
  return invalid_argument("unknown FRI preset '" + name + "' (expected one of " +
                          fri_preset_names() + ")");
}

Status validate(const FriParams& p) {
  if (p.log_blowup < 1 || p.log_blowup > 6) {
    return invalid_argument("FRI log_blowup " + std::to_string(p.log_blowup) + " not in 1..6");
  }
  if (p.num_queries < 1 || p.num_queries > 1024) {
    return invalid_argument("FRI num_queries " + std::to_string(p.num_queries) +
                            " not in 1..1024");
  }
  if (p.pow_bits > kMaxPowBits) {
    return invalid_argument("FRI pow_bits " + std::to_string(p.pow_bits) + " above " +
                            std::to_string(kMaxPowBits));
  }
  if (p.log_final_poly_len > 16) {
    return invalid_argument("FRI log_final_poly_len " + std::to_string(p.log_final_poly_len) +
                            " above 16");
  }
  if (p.log_arity < 1 || p.log_arity > kMaxFriLogArity) {
    return invalid_argument("FRI log_arity " + std::to_string(p.log_arity) + " not in 1.." +
                            std::to_string(kMaxFriLogArity));
  }
  if (uint32_t(p.merkle_hash) > kMaxMerkleHash) {
    return invalid_argument("Merkle hash " + std::to_string(int(p.merkle_hash)) +
                            " is not one of poseidon2 (0) or blake3 (1)");
  }
  return Status::ok();
}

std::string to_string(const FriParams& p) {
  return "blowup 2^" + std::to_string(p.log_blowup) + ", " + std::to_string(p.num_queries) +
         " queries, " + std::to_string(p.pow_bits) + " PoW bits, final poly 2^" +
         std::to_string(p.log_final_poly_len) + ", arity 2^" + std::to_string(p.log_arity) +
         ", Merkle " + merkle_hash_name(p.merkle_hash);
}

}  // namespace efaas
