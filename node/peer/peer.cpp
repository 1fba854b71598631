#include "node/peer/peer.hpp"

#include <grpcpp/grpcpp.h>

#include <chrono>

#include "node/core/encoding.hpp"
#include "node/rpc/node.grpc.pb.h"
#include "prover/common/bytes.hpp"

namespace efaas::node {
namespace v1 = efaas::node::v1;
namespace {

std::string to_string_bytes(std::span<const uint8_t> b) { return std::string(b.begin(), b.end()); }

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
  grpc::Status Gossip(grpc::ServerContext* ctx,
                      grpc::ServerReaderWriter<v1::GossipMessage, v1::GossipMessage>* stream) override {
    std::string from;
    auto md = ctx->client_metadata().find("x-efaas-node");
    if (md != ctx->client_metadata().end()) from.assign(md->second.data(), md->second.size());
    auto sender = parse_address(from, "x-efaas-node");
    if (!sender) return to_grpc(invalid_argument("gossip: " + sender.status().message()));
    v1::GossipMessage msg;
    while (stream->Read(&msg)) {
      if (msg.has_have()) continue;  // deduplication hint; admission dedups by hash anyway
      if (msg.has_post_op()) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            "gossip: PostOps travel as Verify requests (they are answered with signed verdicts)");
      }
      if (!msg.has_operation()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "gossip: empty message");
      if (msg.hops() > kMaxGossipHops) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "gossip: hops " + std::to_string(msg.hops()) +
                                                                    " above " + std::to_string(kMaxGossipHops));
      }
      auto op = decode_operation(std::span<const uint8_t>(
          reinterpret_cast<const uint8_t*>(msg.operation().data()), msg.operation().size()));
      if (!op) return to_grpc(op.status());
      if (!h_.gossip_operation) return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "gossip: not served");
      auto h = h_.gossip_operation(*op, address_to_string(*sender), msg.hops());
      if (!h) return to_grpc(h.status());
      v1::GossipMessage have;
      have.set_have(to_string_bytes(*h));
      stream->Write(have);
    }
    return grpc::Status::OK;
  }
  grpc::Status Verify(grpc::ServerContext*, const v1::VerifyRequest* req, v1::VerifyResponse* resp) override {
    auto request = decode_request(std::span<const uint8_t>(
        reinterpret_cast<const uint8_t*>(req->request().data()), req->request().size()));
    if (!request) return to_grpc(request.status());
    auto verdict = h_.verify(*request);
    if (!verdict) return to_grpc(verdict.status());
    Bytes enc = encode(*verdict);
    resp->set_response(to_string_bytes(enc));
    return grpc::Status::OK;
  }

 private:
  PeerHandlers h_;
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

PeerClient::PeerClient(const std::string& target) : target_(target) {
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
  req.set_request(to_string_bytes(encode(request)));
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

Status PeerClient::gossip(const Operation& op, uint32_t hops, const Address& from, int timeout_ms) {
  auto stub = v1::NodePeer::NewStub(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  ctx.AddMetadata("x-efaas-node", address_to_string(from));
  auto stream = stub->Gossip(&ctx);
  v1::GossipMessage msg;
  msg.set_operation(to_string_bytes(encode(op)));
  msg.set_hops(hops);
  stream->Write(msg);
  stream->WritesDone();
  v1::GossipMessage reply;
  bool acknowledged = false;
  while (stream->Read(&reply)) acknowledged = acknowledged || reply.has_have();
  grpc::Status s = stream->Finish();
  EFAAS_RETURN_IF_ERROR(from_grpc(s, "peer " + target_ + " Gossip"));
  if (!acknowledged) return internal_error("peer " + target_ + " Gossip: no acknowledgement");
  return Status::ok();
}

}  // namespace efaas::node
