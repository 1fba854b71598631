#pragma once
// Peers over gRPC (efaas.node.v1, node/rpc/node.proto): the capability advertisement exchanged on
// connect, and ProofVerificationRequest -> signed ProofVerificationResponse. Generated protobuf
// types stay in peer.cpp; callers see the domain types.
#include <functional>
#include <memory>

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

// A refusal travels as a gRPC status whose message starts with the reason ("stale_block: ...").
struct PeerHandlers {
  std::function<Capability()> hello;
  std::function<Result<ProofVerificationResponse>(const ProofVerificationRequest&)> verify;
  // A gossiped Operation from `from` (the address the peer names in its "x-efaas-node" metadata),
  // `hops` forwards so far. The Operation's hash when admitted or already known.
  std::function<Result<Hash32>(const Operation&, const std::string& from, uint32_t hops)> gossip_operation;
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
  explicit PeerClient(const std::string& target);  // "host:port"
  ~PeerClient();
  const std::string& target() const { return target_; }
  // The peer's advertisement (signature checked) in exchange for ours.
  Result<Capability> hello(const Capability& mine, int timeout_ms = 5000);
  Result<ProofVerificationResponse> verify(const ProofVerificationRequest& request, int timeout_ms = 30000);
  // Sends one Operation on a Gossip stream; OK when the peer admitted it or already had it.
  Status gossip(const Operation& op, uint32_t hops, const Address& from, int timeout_ms = 5000);

 private:
  std::string target_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace efaas::node
