#pragma once
// Custom-mode (groth16) Extensions a node can prove. The Extension's registered module is a
// circuit manifest, {"efaas":"groth16-circuit/1","wasm":"0x<keccak256 of the circom witness
// generator>","zkey":"0x<keccak256 of the .zkey>"}, so the circuit is bound on-chain (Extension id
// = keccak256(manifest)); the node finds the two files by those hashes in a local directory, runs
// the witness generator with `snarkjs wtns calculate` (npm) on the Operation's Data (the circuit's
// input JSON) and proves with the .zkey through the farm's groth16 job kind. The PostOp carries
// proof and public signals in the ConsensusContract's encoding, so its registered verifier decides.
#include <string>

#include "node/core/types.hpp"
#include "prover/common/status.hpp"

namespace efaas::node {

inline constexpr const char* kCircuitManifestFormat = "groth16-circuit/1";

struct CircuitManifest {
  Hash32 wasm{};  // keccak256 of the circom witness generator (.wasm)
  Hash32 zkey{};  // keccak256 of the snarkjs .zkey
};
// Refuses anything but the manifest above (naming the field).
Result<CircuitManifest> parse_circuit_manifest(std::span<const uint8_t> module);
Bytes circuit_manifest_bytes(const CircuitManifest& m);

// The regular file under `dir` whose keccak256 is `hash` (its name ending in `ext`): its bytes.
Result<Bytes> find_artifact(const std::string& dir, const Hash32& hash, const std::string& ext);

// `snarkjs wtns calculate` of `circuit_wasm` on `input_json` (must be a JSON object): the .wtns.
// `snarkjs` is the command (e.g. tools/node_modules/.bin/snarkjs). INVALID_ARGUMENT when the input
// does not satisfy the circuit (snarkjs's message), UNAVAILABLE when snarkjs cannot be started.
Result<Bytes> calculate_witness(const std::string& snarkjs, std::span<const uint8_t> circuit_wasm,
                                std::string_view input_json, double timeout_s = 120);

// The farm's groth16 proof JSON ({"proof":<snarkjs proof.json>,"public":[...]}) in the contract's
// encoding (contracts/README.md): proof = abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c)
// with b's coordinates swapped as the EVM pairing wants; data = abi.encode(uint256[] publics).
struct ContractGroth16 {
  Bytes proof;
  Bytes data;
};
Result<ContractGroth16> contract_encoding(const std::string& farm_proof_json);

}  // namespace efaas::node
