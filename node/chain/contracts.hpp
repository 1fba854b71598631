#pragma once
// Views of the ExtensionRegistry and ConsensusContract (contracts/README.md), read with eth_call,
// and the slot-leader election computed off-chain exactly as the contract does.
#include <vector>

#include "node/chain/eth_client.hpp"
#include "node/core/types.hpp"

namespace efaas::node {

enum class VerificationMode : uint8_t { kUniversal = 0, kCustom = 1 };

struct ExtensionEntry {
  Hash32 id{};
  bool deprecated = false;
  VerificationMode mode = VerificationMode::kUniversal;
  Address verifier_contract{};
};

class RegistryClient {
 public:
  RegistryClient(EthClient& eth, Address registry) : eth_(eth), registry_(registry) {}
  Result<uint64_t> count();
  Result<Hash32> id_at(uint64_t index);
  // registered == false for unknown ids.
  Result<std::pair<bool, ExtensionEntry>> info(const Hash32& id);
  // Every registered Extension (ids in registration order).
  Result<std::vector<ExtensionEntry>> list();
  // The module bytes; refused unless keccak256(wasm) == id.
  Result<Bytes> fetch_wasm(const Hash32& id, size_t max_bytes = 16 << 20);

 private:
  EthClient& eth_;
  Address registry_;
};

struct SlotParams {
  uint64_t genesis_block = 0;
  uint64_t slot_blocks = 1;
};

class ConsensusClient {
 public:
  ConsensusClient(EthClient& eth, Address consensus) : eth_(eth), consensus_(consensus) {}
  const Address& address() const { return consensus_; }
  Result<std::vector<Address>> active_nodes(const std::string& block = "latest");
  Result<SlotParams> slot_params();
  Result<Address> leader_of(uint64_t slot);  // the contract's own view, for cross-checks
  Result<bool> is_active(const Address& node);
  Result<U256> deposit_of(const Address& user);
  // The contract's groth16 check (the registered verifier contract) of a Custom-mode PostOp.
  Result<uint64_t> quorum();
  Result<bool> settled(const Hash32& operation_hash);
  Result<bool> check_proof(const Hash32& extension_id, std::span<const uint8_t> proof, std::span<const uint8_t> data);

 private:
  EthClient& eth_;
  Address consensus_;
};

// One batch entry of submitBatch (contracts/README.md, "Settlement").
struct SettlementEntry {
  Operation op;
  PostOp post_op;
  U256 fee;
  std::vector<ProofVerificationResponse> verdicts;  // VALID, sorted by responder address
};
// Call data of submitBatch(uint256 slot, Settlement[] batch).
Bytes encode_submit_batch(uint64_t slot, const std::vector<SettlementEntry>& batch);

// Call data of the ConsensusContract's slashing entry points (contracts/README.md):
// slashConflictingVerdicts(a, b) and slashInvalidProofVerdict(postOp, v).
Bytes encode_slash_conflicting(const ProofVerificationResponse& a, const ProofVerificationResponse& b);
Bytes encode_slash_invalid_proof(const PostOp& p, const ProofVerificationResponse& v);

// keccak256(abi.encode(uint256 chainId, address consensus, uint256 slot)).
Hash32 slot_seed(uint64_t chain_id, const Address& consensus, uint64_t slot);
// keccak256(the 20 address bytes).
Hash32 node_id(const Address& node);
// The active node with the smallest nodeId XOR seed; an error for an empty set.
Result<Address> elect_leader(uint64_t chain_id, const Address& consensus, uint64_t slot,
                             std::span<const Address> active);
uint64_t slot_of(const SlotParams& p, uint64_t block_number);

}  // namespace efaas::node
