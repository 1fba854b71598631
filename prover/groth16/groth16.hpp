#pragma once
// Groth16 over BN254, compatible with snarkjs: proves from a .zkey and a .wtns exactly as
// `snarkjs groth16 prove` does (same QAP evaluation domain and odd-coset quotient), writes
// proof.json / public.json in snarkjs's format, and verifies against verification_key.json.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "prover/groth16/snarkjs_files.hpp"
#include "prover/msm/msm.hpp"

namespace efaas::groth16 {

struct Proof {
  G1Affine a;
  G2Affine b;
  G1Affine c;
};

struct VerifyingKey {
  G1Affine alpha1;
  G2Affine beta2, gamma2, delta2;
  std::vector<G1Affine> ic;  // n_public + 1
};

struct ProveConfig {
  // Backend and threads (threads also for the NTTs and the QAP). With kOpenCl the four G1
  // MSMs run on the device and the G2 MSM on the CPU.
  msm::MsmConfig msm;
  // The blinding scalars r and s; random from the OS (getrandom) unless set (tests).
  const Fr* fixed_r = nullptr;
  const Fr* fixed_s = nullptr;
};

struct ProveTimings {
  double qap_s = 0;  // witness into the A/B/C evaluations
  double ntt_s = 0;  // the six transforms and the quotient on the odd coset
  double msm_s = 0;  // the five MSMs
  double total_s = 0;
};

struct ProveOutput {
  Proof proof;
  std::vector<Limbs> public_signals;  // witness[1..n_public]
  ProveTimings timings;
};

// The witness must have zkey.n_vars values (an INVALID_ARGUMENT otherwise).
Result<ProveOutput> prove(const Zkey& zkey, std::span<const Limbs> witness,
                          const ProveConfig& cfg = {});

VerifyingKey verifying_key(const Zkey& zkey);

// A rejected proof is a Verdict, not an error; errors are for inputs that do not fit together
// (wrong number of public inputs).
struct Verdict {
  bool accepted = false;
  std::string reason;  // why it was rejected
};
Result<Verdict> verify(const VerifyingKey& vk, std::span<const Limbs> public_signals,
                       const Proof& proof);

// snarkjs JSON formats. `what` names the source in error messages.
std::string proof_to_json(const Proof& proof);
std::string public_to_json(std::span<const Limbs> public_signals);
std::string verifying_key_to_json(const VerifyingKey& vk);
Result<Proof> proof_from_json(std::string_view text, const std::string& what);
Result<std::vector<Limbs>> public_from_json(std::string_view text, const std::string& what);
Result<VerifyingKey> verifying_key_from_json(std::string_view text, const std::string& what);

}  // namespace efaas::groth16
