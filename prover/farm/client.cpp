#include "prover/farm/client.hpp"

#include <fstream>
#include <sstream>

#include "prover/hash/keccak.hpp"

namespace efaas::farm::client {

std::shared_ptr<grpc::Channel> make_channel(const std::string& target, const ChannelOptions& o,
                                            std::string* error) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  if (o.tls_ca_file.empty()) {
    return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  }
  std::ifstream in(o.tls_ca_file);
  if (!in) {
    if (error) *error = "cannot read the CA file " + o.tls_ca_file;
    return nullptr;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ss.str();
  if (!o.tls_server_name.empty()) args.SetSslTargetNameOverride(o.tls_server_name);
  return grpc::CreateCustomChannel(target, grpc::SslCredentials(ssl), args);
}

namespace {
void set_deadline(grpc::ClientContext& c, double timeout_s) {
  if (timeout_s > 0) {
    c.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(int64_t(timeout_s * 1000)));
  }
}

void absorb(StreamResult& r, const pb::JobEvent& ev) {
  if (!ev.job_id().empty()) r.job_id = ev.job_id();
  if (ev.has_accepted()) r.accepted = ev.accepted();
  if (ev.has_progress()) r.progress.push_back(ev.progress());
  if (ev.has_proof()) {
    if (ev.proof().offset() == r.proof.size()) r.proof += ev.proof().data();
    r.proof_hash = ev.proof().content_hash();
  }
  if (ev.has_failure()) r.failure = ev.failure();
}
}  // namespace

std::unique_ptr<grpc::ClientContext> context(const std::string& api_key, double timeout_s) {
  auto c = std::make_unique<grpc::ClientContext>();
  if (!api_key.empty()) c->AddMetadata("x-api-key", api_key);
  set_deadline(*c, timeout_s);
  return c;
}

std::unique_ptr<grpc::ClientContext> admin_context(const std::string& token, double timeout_s) {
  auto c = std::make_unique<grpc::ClientContext>();
  c->AddMetadata("x-admin-token", token);
  set_deadline(*c, timeout_s);
  return c;
}

StreamResult prove(pb::Farm::Stub& stub, const std::string& api_key, const pb::JobHeader& header,
                   const std::string& input, size_t chunk, const EventFn& on_event) {
  StreamResult r;
  auto ctx = context(api_key);
  auto stream = stub.Prove(ctx.get());
  pb::ProveRequest req;
  *req.mutable_header() = header;
  bool open = stream->Write(req);
  for (size_t off = 0; open && off < input.size(); off += chunk) {
    pb::ProveRequest c;
    c.mutable_chunk()->set_offset(off);
    c.mutable_chunk()->set_data(input.substr(off, chunk));
    open = stream->Write(c);
  }
  stream->WritesDone();
  pb::JobEvent ev;
  while (stream->Read(&ev)) {
    absorb(r, ev);
    if (on_event) on_event(ev);
  }
  r.status = stream->Finish();
  return r;
}

StreamResult watch(pb::Farm::Stub& stub, const std::string& api_key, const std::string& job_id,
                   bool include_proof, const EventFn& on_event) {
  StreamResult r;
  auto ctx = context(api_key);
  pb::WatchRequest req;
  req.set_job_id(job_id);
  req.set_include_proof(include_proof);
  auto stream = stub.Watch(ctx.get(), req);
  pb::JobEvent ev;
  while (stream->Read(&ev)) {
    absorb(r, ev);
    if (on_event) on_event(ev);
  }
  r.status = stream->Finish();
  return r;
}

grpc::Status submit(pb::Farm::Stub& stub, const std::string& api_key, const pb::JobHeader& header,
                    const std::string& input, pb::Accepted* accepted, size_t chunk) {
  auto ctx = context(api_key);
  pb::SubmitReply reply;
  auto stream = stub.Submit(ctx.get(), &reply);
  pb::ProveRequest req;
  *req.mutable_header() = header;
  bool open = stream->Write(req);
  for (size_t off = 0; open && off < input.size(); off += chunk) {
    pb::ProveRequest c;
    c.mutable_chunk()->set_offset(off);
    c.mutable_chunk()->set_data(input.substr(off, chunk));
    open = stream->Write(c);
  }
  stream->WritesDone();
  grpc::Status st = stream->Finish();
  if (st.ok() && accepted) *accepted = reply.accepted();
  return st;
}

grpc::Status fetch_proof(pb::Farm::Stub& stub, const std::string& api_key,
                         const std::string& job_id, std::string* proof, std::string* proof_hash) {
  auto ctx = context(api_key);
  pb::FetchRequest req;
  req.set_job_id(job_id);
  auto stream = stub.FetchProof(ctx.get(), req);
  pb::ProofChunk c;
  proof->clear();
  while (stream->Read(&c)) {
    if (c.offset() != proof->size()) {
      return grpc::Status(grpc::StatusCode::DATA_LOSS, "proof chunks out of order");
    }
    *proof += c.data();
    if (proof_hash) *proof_hash = c.content_hash();
  }
  grpc::Status st = stream->Finish();
  if (st.ok() && proof_hash && !proof_hash->empty() && content_hash(*proof) != *proof_hash) {
    return grpc::Status(grpc::StatusCode::DATA_LOSS, "the proof does not match its content hash");
  }
  return st;
}

grpc::Status upload_artifact(pb::Farm::Stub& stub, const std::string& api_key,
                             pb::ArtifactKind kind, const std::string& bytes, pb::ArtifactRef* ref,
                             bool send_hash) {
  auto ctx = context(api_key);
  auto stream = stub.UploadArtifact(ctx.get(), ref);
  pb::ArtifactUpload h;
  h.mutable_header()->set_kind(kind);
  h.mutable_header()->set_size(bytes.size());
  if (send_hash) h.mutable_header()->set_content_hash(content_hash(bytes));
  bool open = stream->Write(h);
  constexpr size_t kChunk = 1 << 20;
  for (size_t off = 0; open && off < bytes.size(); off += kChunk) {
    pb::ArtifactUpload c;
    c.mutable_chunk()->set_offset(off);
    c.mutable_chunk()->set_data(bytes.substr(off, kChunk));
    open = stream->Write(c);  // false once the farm answered early (already stored)
  }
  stream->WritesDone();
  return stream->Finish();
}

std::string content_hash(const std::string& bytes) {
  return to_hex(keccak256(std::string_view(bytes)));
}

const char* state_name(pb::JobState s) {
  switch (s) {
    case pb::JOB_STATE_QUEUED:
      return "queued";
    case pb::JOB_STATE_RUNNING:
      return "running";
    case pb::JOB_STATE_SUCCEEDED:
      return "succeeded";
    case pb::JOB_STATE_FAILED:
      return "failed";
    case pb::JOB_STATE_CANCELLED:
      return "cancelled";
    case pb::JOB_STATE_EXPIRED:
      return "expired";
    default:
      return "unknown";
  }
}

const char* kind_name(pb::JobKind k) {
  switch (k) {
    case pb::JOB_KIND_GROTH16:
      return "groth16";
    case pb::JOB_KIND_ZKWASM_TRACE:
      return "zkwasm-trace";
    case pb::JOB_KIND_ZKWASM_MODULE:
      return "zkwasm-module";
    default:
      return "unknown";
  }
}

}  // namespace efaas::farm::client
