#pragma once
// Peers over gRPC (efaas.node.v1, node/rpc/node.proto): the capability advertisement exchanged on
// connect, and ProofVerificationRequest -> signed ProofVerificationResponse. Generated protobuf
// types stay in peer.cpp; callers see the domain types.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "node/core/eip712.hpp"

namespace grpc {
class Server;
class Channel;
}  // namespace grpc

namespace efaas::node {

struct Capability {
  Address node{};
  uint64_t chain_id = 0;
  Address consensus{};
  std::vector<Hash32> extensions;
  std::vector<std::string> proof_types;
  uint64_t max_proof_bytes = 0;
  std::string fee_schedule_json;
  uint64_t timestamp = 0;
  Bytes signature;  // over capability_digest()
};
Hash32 capability_digest(const Capability& c);
void sign_capability(const PrivateKey& key, Capability& c);
// OK when the signature recovers c.node.
Status verify_capability(const Capability& c);

// Peer identity: every Verify request and gossiped message carries a PeerAuth, a signature by the
// sending node's key over peer_message_digest(), so the peer a rate limit or ban applies to is the
// one holding the key (node/rpc/node.proto, PeerAuth).
struct PeerAuth {
  Address sender{};
  uint64_t timestamp_ms = 0;
  uint64_t nonce = 0;
  Bytes signature;
};
// kind: "verify", "operation" or "verdict"; payload: the canonical message bytes. The sender is
// not hashed: it is recovered from the signature and must equal PeerAuth.sender.
Hash32 peer_message_digest(std::string_view kind, uint64_t timestamp_ms, uint64_t nonce, uint32_t hops,
                           std::span<const uint8_t> payload);
PeerAuth sign_peer_message(const PrivateKey& key, std::string_view kind, uint32_t hops,
                           std::span<const uint8_t> payload, uint64_t timestamp_ms);

// The receiving side's check: the signature recovers `sender`, the timestamp is within `window_ms`
// of now and the same signed message was not seen before (replays are refused while they are
// fresh, and stale ones by their timestamp). Thread-safe.
class PeerAuthenticator {
 public:
  explicit PeerAuthenticator(int64_t window_ms = 30000) : window_ms_(window_ms) {}
  // The authenticated sender; errors start with "peer_auth: ".
  Result<Address> check(const PeerAuth& auth, std::string_view kind, uint32_t hops, std::span<const uint8_t> payload,
                        int64_t now_ms);

 private:
  int64_t window_ms_;
  std::mutex mu_;
  std::map<Hash32, int64_t> seen_;  // digest -> when it stops being fresh
};

// A refusal travels as a gRPC status whose message starts with the reason ("stale_block: ...").
// `from` is always the authenticated sender (PeerAuth), as a 0x address.
struct PeerHandlers {
  std::function<Capability()> hello;
  std::function<Result<ProofVerificationResponse>(const ProofVerificationRequest&, const std::string& from)> verify;
  // A gossiped Operation, `hops` forwards so far. The Operation's hash when admitted or already known.
  std::function<Result<Hash32>(const Operation&, const std::string& from, uint32_t hops)> gossip_operation;
  // A gossiped verdict (its EIP-712 signature not yet checked). Its hash when kept or already known.
  std::function<Result<Hash32>(const ProofVerificationResponse&, const std::string& from, uint32_t hops)>
      gossip_verdict;
};

inline constexpr uint32_t kMaxGossipHops = 2;

class PeerServer {
 public:
  // port 0: any free port.
  static Result<std::unique_ptr<PeerServer>> start(const std::string& host, int port, PeerHandlers handlers);
  ~PeerServer();
  int port() const { return port_; }
  void stop();

 private:
  PeerServer() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

class PeerClient {
 public:
  // "host:port"; `key` signs our messages (PeerAuth). `claim` is for tests only: the sender named
  // in PeerAuth instead of the key's address (a forged identity, which peers must refuse).
  PeerClient(const std::string& target, const PrivateKey& key, std::optional<Address> claim = std::nullopt);
  ~PeerClient();
  const std::string& target() const { return target_; }
  // The peer's advertisement (signature checked) in exchange for ours.
  Result<Capability> hello(const Capability& mine, int timeout_ms = 5000);
  // request.sender_node_id must be our address.
  Result<ProofVerificationResponse> verify(const ProofVerificationRequest& request, int timeout_ms = 30000);
  // Sends one Operation on a Gossip stream; OK when the peer admitted it or already had it.
  Status gossip(const Operation& op, uint32_t hops, int timeout_ms = 5000);
  // Sends verdicts on one Gossip stream; OK when the peer kept (or already had) every one. A refusal
  // ends the stream: its status names the reason and the verdicts after it are not sent.
  Status gossip_verdicts(const std::vector<ProofVerificationResponse>& verdicts, uint32_t hops, int timeout_ms = 5000);

 private:
  PeerAuth sign(std::string_view kind, uint32_t hops, std::span<const uint8_t> payload) const;
  std::string target_;
  PrivateKey key_;
  std::optional<Address> claim_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace efaas::node
