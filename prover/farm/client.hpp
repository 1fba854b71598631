#pragma once
// Client helpers for the farm's gRPC API (the client side of the RPC edge): channels with TLS,
// chunked input streaming, event collection. Used by `efaas farm`, the tests and bench/.
#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rpc/admin.grpc.pb.h"
#include "rpc/farm.grpc.pb.h"

namespace efaas::farm::client {

namespace pb = efaas::farm::v1;

struct ChannelOptions {
  std::string tls_ca_file;      // PEM roots: TLS when set, plaintext otherwise
  std::string tls_server_name;  // overrides the name checked against the certificate
};
// An error string when the CA file cannot be read.
std::shared_ptr<grpc::Channel> make_channel(const std::string& target, const ChannelOptions& o,
                                            std::string* error);

std::unique_ptr<grpc::ClientContext> context(const std::string& api_key, double timeout_s = 0);
std::unique_ptr<grpc::ClientContext> admin_context(const std::string& token, double timeout_s = 0);

// What a Prove or Watch stream brought back.
struct StreamResult {
  grpc::Status status;
  std::string job_id;
  std::optional<pb::Accepted> accepted;
  std::vector<pb::Progress> progress;
  std::string proof;  // the reassembled proof (when it came)
  std::string proof_hash;
  std::optional<pb::Failure> failure;
};

using EventFn = std::function<void(const pb::JobEvent&)>;

// Header then `input` in chunks of `chunk` bytes; returns when the stream ends.
StreamResult prove(pb::Farm::Stub& stub, const std::string& api_key, const pb::JobHeader& header,
                   const std::string& input, size_t chunk = 256 * 1024,
                   const EventFn& on_event = {});
StreamResult watch(pb::Farm::Stub& stub, const std::string& api_key, const std::string& job_id,
                   bool include_proof, const EventFn& on_event = {});
// Accepted, or the error.
grpc::Status submit(pb::Farm::Stub& stub, const std::string& api_key, const pb::JobHeader& header,
                    const std::string& input, pb::Accepted* accepted, size_t chunk = 256 * 1024);
grpc::Status fetch_proof(pb::Farm::Stub& stub, const std::string& api_key,
                         const std::string& job_id, std::string* proof,
                         std::string* proof_hash = nullptr);
grpc::Status upload_artifact(pb::Farm::Stub& stub, const std::string& api_key,
                             pb::ArtifactKind kind, const std::string& bytes, pb::ArtifactRef* ref,
                             bool send_hash = true);

// Lower-case hex keccak256, as the farm names content.
std::string content_hash(const std::string& bytes);
const char* state_name(pb::JobState s);
const char* kind_name(pb::JobKind k);

}  // namespace efaas::farm::client
