#pragma once
// The eFaaS messages (issue 8, contracts/README.md). Field order is the canonical order used by
// the binary encoding (encoding.hpp) and, for the signed structs, by EIP-712 (eip712.hpp).
#include <cstdint>
#include <string>

#include "node/core/bytes.hpp"

namespace efaas::node {

// Size limits every decoder enforces before allocating.
inline constexpr size_t kMaxDataBytes = 1 << 20;        // Operation/PostOp data, gas data
inline constexpr size_t kMaxProofBytes = 16 << 20;      // PostOp.proof (STARK proofs are large)
inline constexpr size_t kMaxTextBytes = 64 << 10;       // metadata, diagnostics

struct Operation {
  Hash32 extension_id{};
  Address to{};
  U256 gas;
  Bytes gas_management_data;  // abi.encode(uint256 maxFee, ...)
  Bytes data;
  Bytes sig;                  // 65 bytes r || s || v over the EIP-712 digest
  Hash32 block_hash{};
  bool operator==(const Operation&) const = default;
};

struct PostOp {
  Hash32 operation_hash{};
  Hash32 extension_id{};
  Bytes proof;
  Bytes data;
  Hash32 processed_block_hash{};
  bool operator==(const PostOp&) const = default;
};

// What PostOp.proof carries for Universal-mode Extensions (canonical encoding of this struct).
struct Proof {
  Hash32 extension_id{};
  Bytes inputs;
  Bytes output;
  Bytes proof_data;
  std::string metadata;  // JSON text: proof system, parameters
  bool operator==(const Proof&) const = default;
};

struct ProofVerificationRequest {
  Hash32 request_id{};  // = the EIP-712 PostOp hash
  Address sender_node_id{};
  Hash32 operation_id{};
  PostOp post_op;
  uint64_t timestamp = 0;  // Unix seconds
  std::string metadata;
  Hash32 request_hash{};  // keccak256 of the canonical encoding of the fields above
  bool operator==(const ProofVerificationRequest&) const = default;
};

enum class Verdict : uint8_t { kValid = 1, kInvalid = 2, kError = 3 };
const char* verdict_name(Verdict v);

struct ProofVerificationResponse {
  Hash32 request_id{};
  Address responder_node_id{};
  Verdict verdict = Verdict::kError;
  Bytes signature;  // 65 bytes over the EIP-712 ProofVerificationResponse digest
  std::string diagnostics;
  uint64_t timestamp = 0;
  bool operator==(const ProofVerificationResponse&) const = default;
};

// First 32-byte word of gasManagementData (the user's maximum fee); zero when absent.
U256 max_fee_of(const Operation& op);

}  // namespace efaas::node
