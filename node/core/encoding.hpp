#pragma once
// The one canonical encoding of every eFaaS message: a 4-byte tag, then the fields in declaration
// order; fixed-size fields raw, U256 as 32 big-endian bytes, integers little-endian, byte strings
// and text as a u32 length then the bytes. Decoders enforce the size limits of types.hpp and
// refuse trailing bytes, so encode(decode(x)) == x for every accepted x.
//
// JSON (the user API, Ethereum conventions): 0x-hex data, hex or decimal quantities, camelCase
// keys as in contracts/README.md; unknown keys are refused.
#include <nlohmann/json.hpp>

#include "node/core/types.hpp"

namespace efaas::node {

Bytes encode(const Operation& v);
Bytes encode(const PostOp& v);
Bytes encode(const Proof& v);
Bytes encode(const ProofVerificationRequest& v);
Bytes encode(const ProofVerificationResponse& v);

Result<Operation> decode_operation(std::span<const uint8_t> in);
Result<PostOp> decode_post_op(std::span<const uint8_t> in);
Result<Proof> decode_proof(std::span<const uint8_t> in);
Result<ProofVerificationRequest> decode_request(std::span<const uint8_t> in);
Result<ProofVerificationResponse> decode_response(std::span<const uint8_t> in);

// keccak256 of the canonical encoding of the request with request_hash zeroed.
Hash32 compute_request_hash(const ProofVerificationRequest& r);

nlohmann::json to_json(const Operation& v);
nlohmann::json to_json(const PostOp& v);
nlohmann::json to_json(const ProofVerificationResponse& v);
Result<Operation> operation_from_json(const nlohmann::json& j);
Result<PostOp> post_op_from_json(const nlohmann::json& j);

}  // namespace efaas::node
