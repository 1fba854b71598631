#pragma once
// EIP-712 typed-data hashes of contracts/README.md: domain ("eFaaS", "1", chainId,
// ConsensusContract), Operation, PostOp and ProofVerificationResponse.
#include "node/core/secp256k1.hpp"
#include "node/core/types.hpp"

namespace efaas::node {

struct Eip712Domain {
  uint64_t chain_id = 0;
  Address verifying_contract{};
};

Hash32 domain_separator(const Eip712Domain& d);
Hash32 operation_type_hash();
Hash32 post_op_type_hash();
Hash32 response_type_hash();

// keccak256(0x1901 || domainSeparator || hashStruct(value)).
Hash32 operation_hash(const Eip712Domain& d, const Operation& op);
Hash32 post_op_hash(const Eip712Domain& d, const PostOp& p);
Hash32 response_hash(const Eip712Domain& d, const ProofVerificationResponse& r);

// The payer: the address whose signature `op.sig` is.
Result<Address> operation_sender(const Eip712Domain& d, const Operation& op);
void sign_operation(const Eip712Domain& d, const PrivateKey& key, Operation& op);
void sign_response(const Eip712Domain& d, const PrivateKey& key, ProofVerificationResponse& r);
// OK when r.signature recovers r.responder_node_id.
Status verify_response(const Eip712Domain& d, const ProofVerificationResponse& r);

}  // namespace efaas::node
