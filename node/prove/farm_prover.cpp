#include "node/prove/farm_prover.hpp"

#include <nlohmann/json.hpp>

#include "prover/common/timer.hpp"
#include "prover/farm/client.hpp"
#include "prover/hash/keccak.hpp"

namespace efaas::node {
namespace pb = efaas::farm::v1;
namespace fc = efaas::farm::client;
namespace {

constexpr size_t kMaxChunkBytes = 256 * 1024;

StatusCode code_from_name(const std::string& name) {
  if (name == "UNIMPLEMENTED") return StatusCode::kUnimplemented;
  if (name == "UNAVAILABLE" || name == "RESOURCE_EXHAUSTED" || name == "DEADLINE_EXCEEDED") {
    return StatusCode::kUnavailable;
  }
  if (name == "INVALID_ARGUMENT" || name == "FAILED_PRECONDITION" || name == "NOT_FOUND" ||
      name == "UNAUTHENTICATED" || name == "PERMISSION_DENIED") {
    return StatusCode::kInvalidArgument;
  }
  if (name == "CANCELLED") return StatusCode::kCancelled;
  return StatusCode::kInternal;
}

const char* grpc_code_name(grpc::StatusCode c) {
  switch (c) {
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "INTERNAL";
  }
}

Status from_grpc(const grpc::Status& s, const std::string& what) {
  const char* name = grpc_code_name(s.error_code());
  return Status(code_from_name(name), what + " (" + name + "): " + s.error_message());
}

// Counts the trace bytes of the sizing run.
class CountingSink : public wasm::TraceSink {
 public:
  Status write(std::span<const uint8_t> bytes) override {
    bytes_ += bytes.size();
    return Status::ok();
  }
  uint64_t bytes() const { return bytes_; }

 private:
  uint64_t bytes_ = 0;
};

// Hands every chunk the TraceWriter flushes to the farm's Prove stream at once.
class FarmSink : public wasm::TraceSink {
 public:
  using Stream = grpc::ClientReaderWriter<pb::ProveRequest, pb::JobEvent>;
  explicit FarmSink(Stream& s) : stream_(s) {}
  Status write(std::span<const uint8_t> bytes) override {
    for (size_t off = 0; off < bytes.size(); off += kMaxChunkBytes) {
      const size_t n = std::min(kMaxChunkBytes, bytes.size() - off);
      pb::ProveRequest req;
      req.mutable_chunk()->set_offset(sent_);
      req.mutable_chunk()->set_data(reinterpret_cast<const char*>(bytes.data() + off), n);
      if (!stream_.Write(req)) return unavailable("the farm closed the trace stream at byte " + std::to_string(sent_));
      sent_ += n;
    }
    return Status::ok();
  }
  uint64_t sent() const { return sent_; }

 private:
  Stream& stream_;
  uint64_t sent_ = 0;
};

Status extension_outcome(const wasm::ExtensionResult& r) {
  if (r.status == wasm::ExtensionResult::Status::kTrap) {
    return invalid_argument("the Extension trapped: " + r.trap_message);
  }
  // A PostOp answers an Operation the Extension accepted: efaas_main returned 0.
  if (r.status == wasm::ExtensionResult::Status::kExit) {
    return invalid_argument("the Extension exited with code " + std::to_string(r.exit_code) +
                            " (efaas_main must return 0 for a PostOp)");
  }
  return Status::ok();
}

}  // namespace

FarmProver::FarmProver(FarmConfig config) : config_(std::move(config)) {
  if (!config_.target.empty()) {
    fc::ChannelOptions o;
    o.tls_ca_file = config_.tls_ca_file;
    channel_ = fc::make_channel(config_.target, o, &channel_error_);
  }
}

FarmProver::~FarmProver() = default;

Status FarmProver::upload(std::span<const uint8_t> bytes, const std::string& content_hash, int kind) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (uploaded_.count(content_hash)) return Status::ok();
  }
  auto stub = pb::Farm::NewStub(channel_);
  pb::ArtifactRef ref;
  grpc::Status s = fc::upload_artifact(*stub, config_.api_key, pb::ArtifactKind(kind),
                                       std::string(bytes.begin(), bytes.end()), &ref);
  if (!s.ok()) {
    return from_grpc(s, "farm " + config_.target + ": uploading the " +
                            (kind == pb::ARTIFACT_KIND_ZKEY ? "zkey" : "module"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  uploaded_.insert(content_hash);
  return Status::ok();
}

Result<FarmProof> FarmProver::prove(std::span<const uint8_t> module_bytes, std::shared_ptr<const wasm::Module> module,
                                    const wasm::ExtensionInput& input) {
  if (config_.target.empty()) return unavailable("no farm configured (config.farm)");
  if (!channel_) return unavailable("farm " + config_.target + ": " + channel_error_);
  FarmProof out;
  wasm::ExtensionConfig ec;
  ec.gas_limit = config_.gas_limit;

  // 1. The sizing run: the exact trace length, and the Extension's outcome before renting the farm.
  Stopwatch sw;
  CountingSink counter;
  {
    wasm::TraceWriter tw(counter, config_.chunk_records);
    ec.trace = &tw;
    auto r = wasm::run_extension(module, input, ec);
    if (!r) return Status(r.status().code(), "running the Extension: " + r.status().message());
    EFAAS_RETURN_IF_ERROR(extension_outcome(*r));
    out.instructions = r->instructions;
    out.exit_code = r->exit_code;
  }
  out.trace_bytes = counter.bytes();
  out.execute_s = sw.seconds();

  // 2. The module as a content-addressed artifact, then the job with the trace streamed in.
  const std::string hash = fc::content_hash(std::string(module_bytes.begin(), module_bytes.end()));
  EFAAS_RETURN_IF_ERROR(upload(module_bytes, hash, pb::ARTIFACT_KIND_WASM));
  auto stub = pb::Farm::NewStub(channel_);
  auto ctx = fc::context(config_.api_key, config_.timeout_s);
  auto stream = stub->Prove(ctx.get());
  pb::ProveRequest hreq;
  pb::JobHeader& h = *hreq.mutable_header();
  h.set_kind(pb::JOB_KIND_ZKWASM_TRACE);
  h.set_artifact(hash);
  // The trace does not hold the public input; the proof binds it (docs/farm.md, zkWASM jobs).
  const Bytes pub = wasm::encode_public_inputs(input);
  h.set_params_json(nlohmann::json{{"entry", wasm::kExtensionEntry},
                                   {"preset", config_.preset},
                                   {"public_input", to_hex(std::span<const uint8_t>(pub))}}
                        .dump());
  // Nor the private input (kind 4, none from an Operation today): it travels in the header,
  // not in params_json (which job listings echo), and the proof commits to it by its digest.
  if (!input.private_input.empty()) {
    h.set_private_input(std::string(input.private_input.begin(), input.private_input.end()));
  }
  h.set_input_size(out.trace_bytes);
  sw.reset();
  Status streamed = stream->Write(hreq) ? Status::ok() : unavailable("the farm closed the stream after the header");
  if (streamed.is_ok()) {
    FarmSink sink(*stream);
    wasm::TraceWriter tw(sink, config_.chunk_records);
    ec.trace = &tw;
    auto r = wasm::run_extension(module, input, ec);
    if (!r) {
      streamed = Status(r.status().code(), "running the Extension: " + r.status().message());
    } else if (!tw.status().is_ok()) {
      streamed = tw.status();
    } else if (sink.sent() != out.trace_bytes) {
      streamed = internal_error("the traced run wrote " + std::to_string(sink.sent()) + " bytes, the sizing run " +
                                std::to_string(out.trace_bytes) + ": execution is not deterministic");
    }
  }
  stream->WritesDone();
  out.stream_s = sw.seconds();
  sw.reset();
  fc::StreamResult res;
  pb::JobEvent ev;
  std::string proof;
  while (stream->Read(&ev)) {
    if (!ev.job_id().empty()) out.job_id = ev.job_id();
    if (ev.has_accepted()) out.cached = ev.accepted().cached();
    if (ev.has_proof() && ev.proof().offset() == proof.size()) proof += ev.proof().data();
    if (ev.has_failure()) res.failure = ev.failure();
  }
  grpc::Status fin = stream->Finish();
  out.prove_s = sw.seconds();
  const std::string job = "farm " + config_.target + (out.job_id.empty() ? "" : " job " + out.job_id);
  if (res.failure) {
    return Status(code_from_name(res.failure->code()),
                  job + " failed (" + res.failure->code() + "): " + res.failure->reason());
  }
  if (!fin.ok()) return from_grpc(fin, job);
  if (!streamed.is_ok()) return Status(streamed.code(), job + ": " + streamed.message());
  if (proof.empty()) return internal_error(job + ": the stream ended without a proof");
  out.bundle.assign(proof.begin(), proof.end());
  return out;
}

Result<FarmGroth16Proof> FarmProver::prove_groth16(std::span<const uint8_t> zkey, std::span<const uint8_t> wtns) {
  if (config_.target.empty()) return unavailable("no farm configured (config.farm)");
  if (!channel_) return unavailable("farm " + config_.target + ": " + channel_error_);
  FarmGroth16Proof out;
  Stopwatch sw;
  const std::string hash = fc::content_hash(std::string(zkey.begin(), zkey.end()));
  EFAAS_RETURN_IF_ERROR(upload(zkey, hash, pb::ARTIFACT_KIND_ZKEY));
  auto stub = pb::Farm::NewStub(channel_);
  pb::JobHeader h;
  h.set_kind(pb::JOB_KIND_GROTH16);
  h.set_artifact(hash);
  h.set_input_size(wtns.size());
  fc::StreamResult res = fc::prove(*stub, config_.api_key, h, std::string(wtns.begin(), wtns.end()));
  out.prove_s = sw.seconds();
  out.job_id = res.job_id;
  out.cached = res.accepted && res.accepted->cached();
  const std::string job = "farm " + config_.target + (out.job_id.empty() ? "" : " job " + out.job_id);
  if (res.failure) {
    return Status(code_from_name(res.failure->code()),
                  job + " failed (" + res.failure->code() + "): " + res.failure->reason());
  }
  if (!res.status.ok()) return from_grpc(res.status, job);
  if (res.proof.empty()) return internal_error(job + ": the stream ended without a proof");
  out.proof_json = res.proof;
  return out;
}

}  // namespace efaas::node
