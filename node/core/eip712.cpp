#include "node/core/eip712.hpp"

#include <algorithm>

namespace efaas::node {
namespace {

constexpr std::string_view kDomainType =
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";
constexpr std::string_view kOperationType =
    "Operation(bytes32 extensionId,address to,uint256 gas,bytes gasManagementData,bytes data,bytes32 blockHash)";
constexpr std::string_view kPostOpType =
    "PostOp(bytes32 operationHash,bytes32 extensionId,bytes proof,bytes data,bytes32 processedBlockHash)";
constexpr std::string_view kResponseType =
    "ProofVerificationResponse(bytes32 requestId,address responderNodeId,uint8 verdict,string diagnostics,uint64 timestamp)";

// Concatenated 32-byte words of encodeData.
class Words {
 public:
  void word(const Hash32& w) { out_.insert(out_.end(), w.begin(), w.end()); }
  void address(const Address& a) {
    out_.insert(out_.end(), 12, 0);
    out_.insert(out_.end(), a.begin(), a.end());
  }
  void uint(const U256& v) { word(v.be); }
  void uint(uint64_t v) { word(U256::from_u64(v).be); }
  void dynamic(std::span<const uint8_t> b) { word(keccak(b)); }
  void dynamic(std::string_view s) { word(keccak(s)); }
  Hash32 hash() const { return keccak(out_); }

 private:
  Bytes out_;
};

Hash32 digest(const Eip712Domain& d, const Hash32& struct_hash) {
  Bytes buf = {0x19, 0x01};
  Hash32 sep = domain_separator(d);
  buf.insert(buf.end(), sep.begin(), sep.end());
  buf.insert(buf.end(), struct_hash.begin(), struct_hash.end());
  return keccak(buf);
}

}  // namespace

Hash32 domain_separator(const Eip712Domain& d) {
  Words w;
  w.word(keccak(kDomainType));
  w.dynamic(std::string_view("eFaaS"));
  w.dynamic(std::string_view("1"));
  w.uint(d.chain_id);
  w.address(d.verifying_contract);
  return w.hash();
}

Hash32 operation_type_hash() { return keccak(kOperationType); }
Hash32 post_op_type_hash() { return keccak(kPostOpType); }
Hash32 response_type_hash() { return keccak(kResponseType); }

Hash32 operation_hash(const Eip712Domain& d, const Operation& op) {
  Words w;
  w.word(operation_type_hash());
  w.word(op.extension_id);
  w.address(op.to);
  w.uint(op.gas);
  w.dynamic(op.gas_management_data);
  w.dynamic(op.data);
  w.word(op.block_hash);
  return digest(d, w.hash());
}

Hash32 post_op_hash(const Eip712Domain& d, const PostOp& p) {
  Words w;
  w.word(post_op_type_hash());
  w.word(p.operation_hash);
  w.word(p.extension_id);
  w.dynamic(p.proof);
  w.dynamic(p.data);
  w.word(p.processed_block_hash);
  return digest(d, w.hash());
}

Hash32 response_hash(const Eip712Domain& d, const ProofVerificationResponse& r) {
  Words w;
  w.word(response_type_hash());
  w.word(r.request_id);
  w.address(r.responder_node_id);
  w.uint(uint64_t(r.verdict));
  w.dynamic(std::string_view(r.diagnostics));
  w.uint(r.timestamp);
  return digest(d, w.hash());
}

Result<Address> operation_sender(const Eip712Domain& d, const Operation& op) {
  return recover_signer(operation_hash(d, op), op.sig);
}

void sign_operation(const Eip712Domain& d, const PrivateKey& key, Operation& op) {
  Signature s = key.sign(operation_hash(d, op));
  op.sig.assign(s.begin(), s.end());
}

void sign_response(const Eip712Domain& d, const PrivateKey& key, ProofVerificationResponse& r) {
  r.responder_node_id = key.address();
  Signature s = key.sign(response_hash(d, r));
  r.signature.assign(s.begin(), s.end());
}

Status verify_response(const Eip712Domain& d, const ProofVerificationResponse& r) {
  auto signer = recover_signer(response_hash(d, r), r.signature);
  if (!signer) return signer.status();
  if (*signer != r.responder_node_id) {
    return invalid_argument("verdict signature: signed by " + address_to_string(*signer) + ", not by responder " +
                            address_to_string(r.responder_node_id));
  }
  return Status::ok();
}

}  // namespace efaas::node
