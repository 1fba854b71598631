#pragma once
// Universal-mode (zkWASM) PostOps: how a bundle from the farm becomes PostOp.proof, and how a
// PostOp is checked against the Extension's module (docs/node.md, "What a zkWASM PostOp proves").
//
// PostOp.proof = canonical Proof {ExtensionID, Inputs, Output, ProofData = zkWASM bundle
// (serialize_bundle), Metadata (JSON)}. Inputs and Output are the bundle's public arguments and
// results (u64 little-endian each), and PostOp.data = Output, so everything a verifier reads off
// the PostOp is bound to the proof.
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "node/core/types.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::node {

// u64 little-endian per value: the encoding of Proof.Inputs (arguments) and Proof.Output (results).
Bytes encode_values(std::span<const uint64_t> values);

// The PostOp answering `operation_hash` with a zkWASM bundle (serialize_bundle bytes).
Result<PostOp> make_universal_post_op(const Hash32& operation_hash, const Hash32& extension_id,
                                      std::span<const uint8_t> bundle, const Hash32& processed_block,
                                      const std::string& metadata_json);

struct UniversalCheck {
  Verdict verdict = Verdict::kError;
  std::string diagnostics;
  zkwasm::PublicValues publics;  // when VALID
};

// VALID when the bundle verifies against `program` (whose module hash must be the Extension id)
// at `min_security_bits` or more, proves the module's efaas_main returning normally, and the
// PostOp's Inputs, Output and Data are the proof's public values. INVALID names the first
// mismatch; ERROR is a failure of the verifier itself (e.g. UNIMPLEMENTED), not of the proof.
UniversalCheck check_universal(const zkwasm::Program& program, const PostOp& p, double min_security_bits);

// Loaded Programs (compiled module, preprocessed tables, cached keys) by Extension id, so a
// module's verifying key is derived once. Bounded: the least recently used goes first.
class ProgramCache {
 public:
  explicit ProgramCache(size_t capacity = 32) : capacity_(capacity) {}
  using Fetch = std::function<Result<Bytes>()>;
  // The cached Program, or loads it from fetch() (whose bytes must hash to `id`).
  Result<std::shared_ptr<zkwasm::Program>> get(const Hash32& id, const Fetch& fetch);
  size_t size() const;

 private:
  size_t capacity_;
  mutable std::mutex mu_;
  uint64_t tick_ = 0;
  std::map<Hash32, std::pair<uint64_t, std::shared_ptr<zkwasm::Program>>> programs_;
};

}  // namespace efaas::node
