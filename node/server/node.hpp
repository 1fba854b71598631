#pragma once
// The efaas-node service: chain client, Extension catalog, admission and mempools, PostOp
// verification with signed verdicts, reputation, the user JSON-RPC 2.0 API over HTTP (plus
// GET /metrics and GET /health), and a background loop (registry refresh, module fetch, head
// tracking, re-org sweep of the PostOp pool, slot leader). See docs/node.md.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "node/peer/peer.hpp"
#include "node/pool/admission.hpp"
#include "node/prove/farm_prover.hpp"
#include "node/prove/universal.hpp"
#include "node/server/metrics.hpp"
#include "prover/hash/merkle_hash.hpp"

namespace httplib {
class Server;
}

namespace efaas::node {

struct NodeConfig {
  std::string listen_host = "127.0.0.1";
  int listen_port = 8645;  // 0: any free port (see Node::port())
  std::string eth_rpc = "http://127.0.0.1:8545";
  std::string registry;   // ExtensionRegistry address
  std::string consensus;  // ConsensusContract address (also the EIP-712 verifyingContract)
  std::string data_dir = "efaas-node-data";
  std::string key_file;  // default: <data_dir>/node.key (created on first start)
  int poll_ms = 1000;
  std::vector<std::string> serve;  // Extension ids this node runs; empty: all registered
  size_t max_proof_bytes = kMaxProofBytes;
  std::string log_level = "info";
  int peer_listen_port = -1;       // gRPC peer API; -1: off, 0: any free port
  std::vector<std::string> peers;  // "host:port" of peers asked to verify our PostOps
  FarmConfig farm;                 // proving through efaas-farm (empty target: none)
  double min_security_bits = 100;  // zkWASM PostOps proved with weaker FRI parameters are INVALID
  // zkWASM PostOps committed with another Merkle hash are INVALID; empty: either (both are above
  // the presets' bits). A node that re-proves PostOps in a circuit pins Poseidon2.
  std::optional<MerkleHash> merkle_hash;
  double prove_retry_s = 30;       // a served Operation whose farm was unavailable is retried after this
  // Custom-mode (groth16) proving (node/prove/groth16.hpp): the snarkjs command that computes
  // witnesses, and where circuit files are found by their keccak256. Either empty: not proved.
  std::string snarkjs;
  std::string groth16_artifacts_dir;
  ChainViewConfig chain;
  RateLimit verdict_rate{200, 1000};  // gossiped verdicts per authenticated peer
  AdmissionConfig admission;
  OperationPoolConfig operation_pool;
  PostOpPoolConfig post_op_pool;
  ReputationConfig reputation;
};

// Reads the JSON config (every key optional; unknown keys are refused with their name), then
// validate_config()s it.
Result<NodeConfig> parse_config(const nlohmann::json& j, NodeConfig base = {});
// The range and cross-key checks, naming the key (config.<key>); run again after command-line
// flags override the file.
Status validate_config(const NodeConfig& c);
nlohmann::json config_to_json(const NodeConfig& c);

// JSON-RPC 2.0 error codes (Ethereum conventions for the -32000 range).
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kRefused = -32000;        // admission / verification refused; data.reason says why
inline constexpr int kUnimplemented = -32004;  // a feature that is not there yet

class Node {
 public:
  static Result<std::unique_ptr<Node>> create(NodeConfig config);
  ~Node();
  // Binds the HTTP server and starts the background loop.
  Status start();
  void stop();
  int port() const { return port_; }
  int peer_port() const { return peer_server_ ? peer_server_->port() : 0; }
  const Address& address() const { return key_->address(); }

  // One JSON-RPC request object (or batch array) in, the response (null for notifications).
  nlohmann::json handle(const nlohmann::json& request);
  // One pass of the background loop (public for tests).
  void tick();
  Metrics& metrics() { return metrics_; }

 private:
  Node() = default;
  nlohmann::json dispatch(const std::string& method, const nlohmann::json& params);
  nlohmann::json send_operation(const nlohmann::json& params);
  nlohmann::json get_operation(const nlohmann::json& params);
  nlohmann::json get_post_ops(const nlohmann::json& params);
  nlohmann::json submit_post_op(const nlohmann::json& params);
  struct VerifyOutcome {
    std::string refused;  // reason; empty when a verdict was given
    std::string message;
    ProofVerificationResponse response;
    bool stored = false;
    uint64_t processed_block_number = 0;
  };
  VerifyOutcome verify_post_op(const PostOp& p, const std::string& peer, int64_t now);
  // Asks every configured peer for a verdict on `p` over gRPC; signatures and stake checked.
  nlohmann::json collect_peer_verdicts(const PostOp& p, const Hash32& request_id, int64_t now);
  Capability capability();
  // The Extension's module: data_dir/modules, else the registry (keccak256 checked), then saved.
  Result<Bytes> module_bytes(const Hash32& id);
  Result<std::shared_ptr<zkwasm::Program>> program_for(const Hash32& id);
  // Processing (the prover thread): served Operations run, proved through the farm, turned into
  // self-verified PostOps that the peers are asked to verify.
  void prove_pending();
  void prove_operation(const Hash32& h);
  // When two PostOps answer one Operation: run it again locally and compare the outputs.
  void rerun_and_compare(const Hash32& operation_hash);
  // Operation gossip (the loop): forwards admitted Operations to the peers advertising their Extension.
  void flush_gossip();
  // Signed VALID/INVALID verdicts (own, peers' answers, gossiped), persisted and forwarded to the
  // peers (hops so far: 0 for our own); the leader settles with the VALID ones of active nodes.
  // A second verdict of one responder on one request that differs, or a VALID verdict on a PostOp
  // this node found INVALID, is slashing evidence. True when the verdict was new.
  bool add_verdict(const ProofVerificationResponse& v, const std::string& from, uint32_t hops);
  // A verdict gossiped by an authenticated peer: bans, throttling, rate limit, signature.
  Result<Hash32> on_gossip_verdict(const ProofVerificationResponse& v, const std::string& from, uint32_t hops);
  // A PostOp this node verified INVALID: kept (bounded) so that a VALID verdict on it is evidence.
  void note_invalid_post_op(const Hash32& request_id, const PostOp& p);
  // Slashing: evidence is persisted, the offender's reputation lowered; the loop reports it on-chain.
  void record_evidence(EvidenceRecord e);
  void submit_evidence();
  nlohmann::json evidence_info();
  // When this node leads the slot of the next block: submitBatch for the PostOps with a quorum.
  void settle_as_leader();
  nlohmann::json list_extensions();
  nlohmann::json chain_info();
  nlohmann::json node_info();
  nlohmann::json reputation_info(const nlohmann::json& params);
  void log(const std::string& level, const std::string& event, nlohmann::json fields);
  int64_t now_ms() const;

  NodeConfig config_;
  std::unique_ptr<PrivateKey> key_;
  std::unique_ptr<EthClient> eth_;
  std::unique_ptr<RegistryClient> registry_;
  std::unique_ptr<ConsensusClient> consensus_;
  std::unique_ptr<ExtensionCatalog> catalog_;
  std::unique_ptr<ChainView> chain_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<OperationPool> operations_;
  std::unique_ptr<PostOpPool> post_ops_;
  std::unique_ptr<Reputation> reputation_;
  std::unique_ptr<Admission> admission_;
  std::unique_ptr<RateLimiter> verify_limiter_;
  Eip712Domain domain_;
  uint64_t chain_id_ = 0;
  Metrics metrics_;
  std::mutex modules_mu_;
  std::set<Hash32> modules_;  // fetched and checked
  ProgramCache programs_;
  std::unique_ptr<FarmProver> prover_;
  std::thread prover_thread_;
  std::mutex prover_mu_;
  std::condition_variable prover_cv_;
  std::map<Hash32, int64_t> retry_at_ms_;           // Operations waiting for the farm again
  std::map<Hash32, nlohmann::json> prove_timings_;  // per Operation: seconds per stage

  std::mutex verdicts_mu_;
  std::map<Hash32, std::map<Address, ProofVerificationResponse>> verdicts_;  // by request id
  std::map<Hash32, PostOp> invalid_post_ops_;  // by request id, oldest evicted first
  std::deque<Hash32> invalid_order_;
  std::unique_ptr<RateLimiter> verdict_limiter_;
  std::mutex evidence_mu_;
  std::map<Hash32, EvidenceRecord> evidence_;  // by id
  std::set<Hash32> settled_;  // operation hashes settled on-chain

  std::unique_ptr<PeerServer> peer_server_;
  std::vector<std::unique_ptr<PeerClient>> peers_;
  std::mutex peers_mu_;
  std::map<std::string, Capability> peer_capabilities_;  // by target
  struct GossipItem {
    Operation op;
    uint32_t hops;
    std::string from;  // the peer it came from ("" for a user's)
    std::set<std::string> done = {};  // peer targets already considered
    int passes = 0;
  };
  std::vector<GossipItem> gossip_queue_;  // drained by the loop
  struct VerdictItem {
    ProofVerificationResponse verdict;
    uint32_t hops;     // as sent
    std::string from;  // the peer it came from ("" for our own)
  };
  std::vector<VerdictItem> verdict_queue_;  // drained by the loop, to every greeted peer

  std::unique_ptr<httplib::Server> http_;
  std::thread http_thread_;
  std::thread loop_thread_;
  std::atomic<bool> stopping_{false};
  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  int port_ = 0;
};

}  // namespace efaas::node
