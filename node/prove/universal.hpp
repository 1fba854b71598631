#pragma once
// Universal-mode (zkWASM) PostOps: how a bundle from the farm becomes PostOp.proof, and how a
// PostOp is checked against the Extension's module (docs/node.md, "What a zkWASM PostOp proves").
//
// PostOp.proof = canonical Proof {ExtensionID, Inputs, Output, ProofData = zkWASM bundle
// (serialize_bundle), Metadata (JSON)}. Inputs is the bundle's public input (encode_public_inputs
// of the Operation's Data, To, sender and the PostOp's ProcessedBlockHash), Output the bytes the
// Extension wrote, and PostOp.data = Output, so everything a verifier reads off the PostOp is
// bound to the proof, and the proof to the Operation it answers.
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "node/core/types.hpp"
#include "prover/wasm/extension.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::node {

// What the Extension is given for `op` (signed by `sender`) processed at `block`: the runtime's
// input when proving, and the public input a verifier rebuilds (encode_public_inputs of it).
wasm::ExtensionInput extension_input(const Operation& op, const Address& sender, const Hash32& block);

// "" when `got` == `want` (both encode_public_inputs()), else which field differs first
// ("Data length 3, the Operation's 5", "Data byte 2", "To", "sender", "block hash").
std::string public_input_mismatch(std::span<const uint8_t> got, std::span<const uint8_t> want);

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
// under `verify` (min_security_bits and, when set, the one Merkle hash accepted), proves the
// module's efaas_main returning 0, its public input is `public_input` (extension_input() of the
// Operation and the PostOp's block, encoded), and the PostOp's Inputs, Output and Data are the
// proof's public input and output. INVALID names the
// first mismatch; ERROR is a failure of the verifier itself (e.g. UNIMPLEMENTED), not of the proof.
UniversalCheck check_universal(const zkwasm::Program& program, const PostOp& p,
                               const zkwasm::VerifyOptions& verify, std::span<const uint8_t> public_input);

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
