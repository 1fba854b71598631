#pragma once
// The node's durable state in SQLite (WAL, synchronous=FULL): accepted Operations, PostOps and
// reputation counters. Every accepted message is written before the caller is told so, which is
// why a restarted node loses no accepted Operation or PostOp.
#include <memory>
#include <mutex>
#include <vector>

#include "node/core/types.hpp"

struct sqlite3;

namespace efaas::node {

struct OperationRecord {
  Hash32 hash{};
  Operation op;
  Address sender{};
  int64_t received_ms = 0;
  std::string source;  // "user" or the peer's address
  std::string status;  // pending | proving_unavailable | proved | settled
  std::string detail;  // why, for statuses that need one
};

struct PostOpRecord {
  Hash32 hash{};  // EIP-712 PostOp hash = RequestID
  PostOp post_op;
  int64_t received_ms = 0;
  std::string source;
  uint64_t processed_block_number = 0;
};

struct ReputationCounters {
  double valid = 0, invalid = 0;          // proofs
  double accepted = 0, rejected = 0;      // messages accepted / refused at admission
  double available = 0, unavailable = 0;  // answered / missed requests
  double disputes_won = 0, disputes_lost = 0;
  int64_t updated_ms = 0;
  int64_t blacklisted_until_ms = 0;
};

// Slashing evidence this node holds against a staked node (docs/node.md, "Slashing reports").
struct EvidenceRecord {
  Hash32 id{};             // keccak256(kind || offender || request id)
  std::string kind;        // "conflicting_verdicts" | "invalid_proof_verdict"
  Address offender{};
  Hash32 request_id{};     // the PostOp the verdicts are about
  std::vector<Bytes> verdicts;  // canonical signed ProofVerificationResponses: two (conflict) or one
  Bytes post_op;           // canonical PostOp (invalid_proof_verdict), else empty
  std::string status;      // pending | submitted | refused_on_chain | recorded
  std::string detail;
  int64_t created_ms = 0;
};

class Store {
 public:
  static Result<std::unique_ptr<Store>> open(const std::string& path);
  ~Store();

  Status put_operation(const OperationRecord& r);
  Status set_operation_status(const Hash32& hash, const std::string& status, const std::string& detail);
  Status delete_operation(const Hash32& hash);
  Result<std::vector<OperationRecord>> load_operations();

  Status put_post_op(const PostOpRecord& r);
  Status delete_post_op(const Hash32& hash);
  Result<std::vector<PostOpRecord>> load_post_ops();

  // Signed verdicts collected for a PostOp (request id), one per responder.
  Status put_verdict(const Hash32& request_id, const Address& responder, std::span<const uint8_t> encoded);
  Result<std::vector<std::pair<Hash32, Bytes>>> load_verdicts();

  // Inserted once (an existing id is left as it is), then its status updated.
  Status put_evidence(const EvidenceRecord& e);
  Status set_evidence_status(const Hash32& id, const std::string& status, const std::string& detail);
  Result<std::vector<EvidenceRecord>> load_evidence();

  // kind: "peer" or "extension".
  Status put_reputation(const std::string& kind, const std::string& key, const ReputationCounters& c);
  Result<std::vector<std::tuple<std::string, std::string, ReputationCounters>>> load_reputation();

 private:
  Store() = default;
  Status exec(const char* sql);
  std::mutex mu_;
  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace efaas::node
