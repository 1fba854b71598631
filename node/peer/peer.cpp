#include "node/peer/peer.hpp"

#include <grpcpp/grpcpp.h>
#include <sys/random.h>

#include <chrono>

#include "node/core/encoding.hpp"
#include "node/rpc/node.grpc.pb.h"
#include "prover/common/bytes.hpp"

namespace efaas::node {
namespace v1 = efaas::node::v1;
namespace {

std::string to_string_bytes(std::span<const uint8_t> b) { return std::string(b.begin(), b.end()); }

std::span<const uint8_t> as_span(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void to_proto(const PeerAuth& a, v1::PeerAuth* p) {
  p->set_sender(to_string_bytes(a.sender));
  p->set_timestamp_ms(a.timestamp_ms);
  p->set_nonce(a.nonce);
  p->set_signature(to_string_bytes(a.signature));
}

Result<PeerAuth> from_proto(const v1::PeerAuth& p) {
  PeerAuth a;
  if (p.sender().size() != a.sender.size()) return invalid_argument("peer_auth: sender: expected 20 bytes");
  std::copy(p.sender().begin(), p.sender().end(), a.sender.begin());
  a.timestamp_ms = p.timestamp_ms();
  a.nonce = p.nonce();
  a.signature.assign(p.signature().begin(), p.signature().end());
  return a;
}

template <size_t N>
Result<std::array<uint8_t, N>> fixed(const std::string& s, const char* what) {
  if (s.size() != N) return invalid_argument(std::string("capability.") + what + ": expected " + std::to_string(N) + " bytes");
  std::array<uint8_t, N> out;
  std::copy(s.begin(), s.end(), out.begin());
  return out;
}

v1::CapabilityAdvertisement to_proto(const Capability& c) {
  v1::CapabilityAdvertisement p;
  p.set_node_address(to_string_bytes(c.node));
  p.set_chain_id(c.chain_id);
  p.set_consensus_contract(to_string_bytes(c.consensus));
  for (const auto& e : c.extensions) p.add_extensions(to_string_bytes(e));
  for (const auto& t : c.proof_types) p.add_proof_types(t);
  p.set_max_proof_bytes(c.max_proof_bytes);
  p.set_fee_schedule_json(c.fee_schedule_json);
  p.set_timestamp(c.timestamp);
  p.set_signature(to_string_bytes(c.signature));
  return p;
}

Result<Capability> from_proto(const v1::CapabilityAdvertisement& p) {
  Capability c;
  auto node = fixed<20>(p.node_address(), "node_address");
  if (!node) return node.status();
  c.node = *node;
  auto consensus = fixed<20>(p.consensus_contract(), "consensus_contract");
  if (!consensus) return consensus.status();
  c.consensus = *consensus;
  c.chain_id = p.chain_id();
  if (p.extensions_size() > 100000) return invalid_argument("capability.extensions: too many");
  for (const auto& e : p.extensions()) {
    auto id = fixed<32>(e, "extensions");
    if (!id) return id.status();
    c.extensions.push_back(*id);
  }
  for (const auto& t : p.proof_types()) c.proof_types.push_back(t);
  c.max_proof_bytes = p.max_proof_bytes();
  c.fee_schedule_json = p.fee_schedule_json();
  c.timestamp = p.timestamp();
  c.signature.assign(p.signature().begin(), p.signature().end());
  return c;
}

grpc::Status to_grpc(const Status& s) {
  grpc::StatusCode code = grpc::StatusCode::INTERNAL;
  switch (s.code()) {
    case StatusCode::kInvalidArgument: code = grpc::StatusCode::INVALID_ARGUMENT; break;
    case StatusCode::kOutOfRange: code = grpc::StatusCode::OUT_OF_RANGE; break;
    case StatusCode::kUnimplemented: code = grpc::StatusCode::UNIMPLEMENTED; break;
    case StatusCode::kUnavailable: code = grpc::StatusCode::UNAVAILABLE; break;
    default: break;
  }
  return grpc::Status(code, s.message());
}

Status from_grpc(const grpc::Status& s, const std::string& what) {
  if (s.ok()) return Status::ok();
  StatusCode code = StatusCode::kInternal;
  switch (s.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT: code = StatusCode::kInvalidArgument; break;
    case grpc::StatusCode::OUT_OF_RANGE: code = StatusCode::kOutOfRange; break;
    case grpc::StatusCode::UNIMPLEMENTED: code = StatusCode::kUnimplemented; break;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED: code = StatusCode::kUnavailable; break;
    default: break;
  }
  return Status(code, what + ": " + s.error_message());
}

class Service final : public v1::NodePeer::Service {
 public:
  explicit Service(PeerHandlers h) : h_(std::move(h)) {}
  grpc::Status Hello(grpc::ServerContext*, const v1::CapabilityAdvertisement* req,
                     v1::CapabilityAdvertisement* resp) override {
    auto theirs = from_proto(*req);
    if (!theirs) return to_grpc(theirs.status());
    if (Status s = verify_capability(*theirs); !s.is_ok()) return to_grpc(s);
    *resp = to_proto(h_.hello());
    return grpc::Status::OK;
  }
  grpc::Status Gossip(grpc::ServerContext*,
                      grpc::ServerReaderWriter<v1::GossipMessage, v1::GossipMessage>* stream) override {
    v1::GossipMessage msg;
    while (stream->Read(&msg)) {
      if (msg.has_have()) continue;  // deduplication hint; admission dedups by hash anyway
      if (msg.has_post_op()) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            "gossip: PostOps travel as Verify requests (they are answered with signed verdicts)");
      }
      if (!msg.has_operation() && !msg.has_verdict()) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "gossip: empty message");
      }
      if (msg.hops() > kMaxGossipHops) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "gossip: hops " + std::to_string(msg.hops()) +
                                                                    " above " + std::to_string(kMaxGossipHops));
      }
      const bool is_op = msg.has_operation();
      const std::string& body = is_op ? msg.operation() : msg.verdict();
      auto from = authenticate(msg.has_auth() ? &msg.auth() : nullptr, is_op ? "operation" : "verdict", msg.hops(),
                               as_span(body));
      if (!from) return to_grpc(from.status());
      Result<Hash32> h = Hash32{};
      if (is_op) {
        auto op = decode_operation(as_span(body));
        if (!op) return to_grpc(op.status());
        if (!h_.gossip_operation) return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "gossip: Operations not served");
        h = h_.gossip_operation(*op, *from, msg.hops());
      } else {
        auto v = decode_response(as_span(body));
        if (!v) return to_grpc(v.status());
        if (!h_.gossip_verdict) return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "gossip: verdicts not served");
        h = h_.gossip_verdict(*v, *from, msg.hops());
      }
      if (!h) return to_grpc(h.status());
      v1::GossipMessage have;
      have.set_have(to_string_bytes(*h));
      stream->Write(have);
    }
    return grpc::Status::OK;
  }
  grpc::Status Verify(grpc::ServerContext*, const v1::VerifyRequest* req, v1::VerifyResponse* resp) override {
    auto from = authenticate(req->has_auth() ? &req->auth() : nullptr, "verify", 0, as_span(req->request()));
    if (!from) return to_grpc(from.status());
    auto request = decode_request(as_span(req->request()));
    if (!request) return to_grpc(request.status());
    if (address_to_string(request->sender_node_id) != *from) {
      return to_grpc(invalid_argument("peer_auth: the request names sender " +
                                      address_to_string(request->sender_node_id) + " but is signed by " + *from));
    }
    auto verdict = h_.verify(*request, *from);
    if (!verdict) return to_grpc(verdict.status());
    Bytes enc = encode(*verdict);
    resp->set_response(to_string_bytes(enc));
    return grpc::Status::OK;
  }

 private:
  Result<std::string> authenticate(const v1::PeerAuth* p, std::string_view kind, uint32_t hops,
                                   std::span<const uint8_t> payload) {
    if (!p) return invalid_argument("peer_auth: missing (every " + std::string(kind) + " message is signed by its sender)");
    auto a = from_proto(*p);
    if (!a) return a.status();
    auto who = auth_.check(*a, kind, hops, payload, wall_ms());
    if (!who) return who.status();
    return address_to_string(*who);
  }
  PeerHandlers h_;
  PeerAuthenticator auth_;
};

}  // namespace

Hash32 capability_digest(const Capability& c) {
  ByteWriter w;
  w.raw("efaas.node.v1.CapabilityAdvertisement");
  w.bytes(c.node);
  w.u64(c.chain_id);
  w.bytes(c.consensus);
  w.u32(uint32_t(c.extensions.size()));
  for (const auto& e : c.extensions) w.bytes(e);
  w.u32(uint32_t(c.proof_types.size()));
  for (const auto& t : c.proof_types) {
    w.u32(uint32_t(t.size()));
    w.raw(t);
  }
  w.u64(c.max_proof_bytes);
  w.u32(uint32_t(c.fee_schedule_json.size()));
  w.raw(c.fee_schedule_json);
  w.u64(c.timestamp);
  return keccak(w.buffer());
}

void sign_capability(const PrivateKey& key, Capability& c) {
  c.node = key.address();
  Signature s = key.sign(capability_digest(c));
  c.signature.assign(s.begin(), s.end());
}

Status verify_capability(const Capability& c) {
  auto signer = recover_signer(capability_digest(c), c.signature);
  if (!signer) return invalid_argument("capability signature: " + signer.status().message());
  if (*signer != c.node) return invalid_argument("capability signature: not signed by " + address_to_string(c.node));
  return Status::ok();
}

Hash32 peer_message_digest(std::string_view kind, uint64_t timestamp_ms, uint64_t nonce, uint32_t hops,
                           std::span<const uint8_t> payload) {
  ByteWriter w;
  w.raw("efaas.node.v1.PeerMessage");
  w.u32(uint32_t(kind.size()));
  w.raw(kind);
  w.u64(timestamp_ms);
  w.u64(nonce);
  w.u32(hops);
  w.bytes(keccak(payload));
  return keccak(w.buffer());
}

PeerAuth sign_peer_message(const PrivateKey& key, std::string_view kind, uint32_t hops,
                           std::span<const uint8_t> payload, uint64_t timestamp_ms) {
  PeerAuth a;
  a.sender = key.address();
  a.timestamp_ms = timestamp_ms;
  if (getrandom(&a.nonce, sizeof(a.nonce), 0) != ssize_t(sizeof(a.nonce))) a.nonce = uint64_t(wall_ms());
  Signature s = key.sign(peer_message_digest(kind, a.timestamp_ms, a.nonce, hops, payload));
  a.signature.assign(s.begin(), s.end());
  return a;
}

Result<Address> PeerAuthenticator::check(const PeerAuth& auth, std::string_view kind, uint32_t hops,
                                         std::span<const uint8_t> payload, int64_t now_ms) {
  const int64_t ts = int64_t(auth.timestamp_ms);
  if (ts < now_ms - window_ms_ || ts > now_ms + window_ms_) {
    return invalid_argument("peer_auth: timestamp " + std::to_string(ts) + " ms is more than " +
                            std::to_string(window_ms_) + " ms from now (" + std::to_string(now_ms) + ")");
  }
  const Hash32 digest = peer_message_digest(kind, auth.timestamp_ms, auth.nonce, hops, payload);
  auto signer = recover_signer(digest, auth.signature);
  if (!signer) return invalid_argument("peer_auth: signature: " + signer.status().message());
  if (*signer != auth.sender) {
    return invalid_argument("peer_auth: the message names sender " + address_to_string(auth.sender) +
                            " but is signed by " + address_to_string(*signer));
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = seen_.begin(); it != seen_.end();) it = it->second < now_ms ? seen_.erase(it) : std::next(it);
  if (!seen_.emplace(digest, ts + window_ms_).second) {
    return invalid_argument("peer_auth: replayed message from " + address_to_string(auth.sender));
  }
  return auth.sender;
}

struct PeerServer::Impl {
  std::unique_ptr<Service> service;
  std::unique_ptr<grpc::Server> server;
};

Result<std::unique_ptr<PeerServer>> PeerServer::start(const std::string& host, int port, PeerHandlers handlers) {
  std::unique_ptr<PeerServer> s(new PeerServer());
  s->impl_ = std::make_unique<Impl>();
  s->impl_->service = std::make_unique<Service>(std::move(handlers));
  grpc::ServerBuilder builder;
  int selected = 0;
  builder.AddListeningPort(host + ":" + std::to_string(port), grpc::InsecureServerCredentials(), &selected);
  builder.RegisterService(s->impl_->service.get());
  builder.SetMaxReceiveMessageSize(64 << 20);
  s->impl_->server = builder.BuildAndStart();
  if (!s->impl_->server || selected == 0) {
    return unavailable("peer gRPC: cannot listen on " + host + ":" + std::to_string(port));
  }
  s->port_ = selected;
  return s;
}

PeerServer::~PeerServer() { stop(); }

void PeerServer::stop() {
  if (impl_ && impl_->server) {
    impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    impl_->server.reset();
  }
}

PeerClient::PeerClient(const std::string& target, const PrivateKey& key, std::optional<Address> claim)
    : target_(target), key_(key), claim_(claim) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  channel_ = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

PeerClient::~PeerClient() = default;

Result<Capability> PeerClient::hello(const Capability& mine, int timeout_ms) {
  auto stub = v1::NodePeer::NewStub(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  v1::CapabilityAdvertisement resp;
  grpc::Status s = stub->Hello(&ctx, to_proto(mine), &resp);
  EFAAS_RETURN_IF_ERROR(from_grpc(s, "peer " + target_ + " Hello"));
  auto theirs = from_proto(resp);
  if (!theirs) return theirs.status();
  EFAAS_RETURN_IF_ERROR(verify_capability(*theirs));
  return theirs;
}

Result<ProofVerificationResponse> PeerClient::verify(const ProofVerificationRequest& request, int timeout_ms) {
  auto stub = v1::NodePeer::NewStub(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  v1::VerifyRequest req;
  const Bytes body = encode(request);
  req.set_request(to_string_bytes(body));
  to_proto(sign("verify", 0, body), req.mutable_auth());
  v1::VerifyResponse resp;
  grpc::Status s = stub->Verify(&ctx, req, &resp);
  EFAAS_RETURN_IF_ERROR(from_grpc(s, "peer " + target_ + " Verify"));
  auto r = decode_response(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(resp.response().data()),
                                                    resp.response().size()));
  if (!r) return r.status();
  if (r->request_id != request.request_id) {
    return invalid_argument("peer " + target_ + " answered another request id");
  }
  return r;
}

PeerAuth PeerClient::sign(std::string_view kind, uint32_t hops, std::span<const uint8_t> payload) const {
  PeerAuth a = sign_peer_message(key_, kind, hops, payload, uint64_t(wall_ms()));
  if (claim_) a.sender = *claim_;  // tests: a forged identity
  return a;
}

namespace {
// One Gossip stream carrying `messages`; OK when every one was acknowledged with `have`.
Status gossip_stream(const std::shared_ptr<grpc::Channel>& channel, const std::string& target,
                     const std::vector<v1::GossipMessage>& messages, int timeout_ms) {
  auto stub = v1::NodePeer::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  auto stream = stub->Gossip(&ctx);
  for (const auto& m : messages) {
    if (!stream->Write(m)) break;  // the peer ended the stream (a refusal): Finish says why
  }
  stream->WritesDone();
  v1::GossipMessage reply;
  size_t acknowledged = 0;
  while (stream->Read(&reply)) acknowledged += reply.has_have() ? 1 : 0;
  grpc::Status s = stream->Finish();
  EFAAS_RETURN_IF_ERROR(from_grpc(s, "peer " + target + " Gossip"));
  if (acknowledged != messages.size()) {
    return internal_error("peer " + target + " Gossip: " + std::to_string(acknowledged) + " of " +
                          std::to_string(messages.size()) + " acknowledged");
  }
  return Status::ok();
}
}  // namespace

Status PeerClient::gossip(const Operation& op, uint32_t hops, int timeout_ms) {
  v1::GossipMessage msg;
  const Bytes body = encode(op);
  msg.set_operation(to_string_bytes(body));
  msg.set_hops(hops);
  to_proto(sign("operation", hops, body), msg.mutable_auth());
  return gossip_stream(channel_, target_, {msg}, timeout_ms);
}

Status PeerClient::gossip_verdicts(const std::vector<ProofVerificationResponse>& verdicts, uint32_t hops,
                                   int timeout_ms) {
  std::vector<v1::GossipMessage> messages;
  for (const auto& v : verdicts) {
    v1::GossipMessage msg;
    const Bytes body = encode(v);
    msg.set_verdict(to_string_bytes(body));
    msg.set_hops(hops);
    to_proto(sign("verdict", hops, body), msg.mutable_auth());
    messages.push_back(std::move(msg));
  }
  if (messages.empty()) return Status::ok();
  return gossip_stream(channel_, target_, messages, timeout_ms);
}

}  // namespace efaas::node
