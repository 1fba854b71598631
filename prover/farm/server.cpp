#include "prover/farm/server.hpp"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <list>
#include <optional>
#include <sstream>
#include <thread>

#include "prover/hash/keccak.hpp"
#include "rpc/admin.grpc.pb.h"
#include "rpc/farm.grpc.pb.h"

namespace efaas::farm {

namespace fs = std::filesystem;
namespace pb = efaas::farm::v1;

namespace {

constexpr size_t kProofChunk = 64 * 1024;
constexpr uint64_t kMaxArtifactBytes = 4ull << 30;

grpc::Status to_grpc(const Error& e) {
  return grpc::Status(grpc::StatusCode(int(e.code)), e.message);
}

std::string metadata(const grpc::CallbackServerContext* ctx, const char* key) {
  auto& md = ctx->client_metadata();
  auto it = md.find(key);
  return it == md.end() ? std::string() : std::string(it->second.data(), it->second.size());
}

// ---------------------------------------------------------------- conversions

pb::JobInfo to_pb(const Job& j) {
  pb::JobInfo i;
  i.set_job_id(j.id);
  i.set_kind(pb::JobKind(int(j.spec.kind)));
  i.set_state(pb::JobState(int(j.state)));
  i.set_stage(j.stage);
  i.set_fraction(j.fraction);
  i.set_artifact(j.spec.artifact);
  i.set_input_size(j.spec.input_size);
  i.set_units(j.units);
  i.set_cost(j.cost);
  i.set_created_unix_ms(j.created_ms);
  i.set_finished_unix_ms(j.finished_ms);
  i.set_error(j.error_code.empty() ? j.error : j.error_code + ": " + j.error);
  i.set_proof_hash(j.proof_hash);
  i.set_priority(j.spec.priority);
  i.set_deadline_unix_ms(j.spec.deadline_ms);
  i.set_cached(j.cached);
  return i;
}

void to_pb(const Quota& q, pb::Quota* out) {
  out->set_max_concurrent_jobs(q.max_concurrent_jobs);
  out->set_max_queued_bytes(q.max_queued_bytes);
  out->set_max_input_bytes(q.max_input_bytes);
  out->set_max_units_per_hour(q.max_units_per_hour);
}

Quota from_pb(const pb::Quota& q) {
  return {q.max_concurrent_jobs(), q.max_queued_bytes(), q.max_input_bytes(),
          q.max_units_per_hour()};
}

void to_pb(const Usage& u, pb::Usage* out) {
  out->set_tenant(u.tenant.name);
  out->set_balance(u.tenant.balance);
  out->set_units_total(u.units_total);
  out->set_units_last_hour(u.units_last_hour);
  out->set_jobs_total(u.jobs_total);
  out->set_jobs_active(u.jobs_active);
  out->set_queued_bytes(u.queued_bytes);
  to_pb(u.tenant.quota, out->mutable_quota());
}

pb::Progress progress_of(const JobSnapshot& s) {
  pb::Progress p;
  p.set_state(pb::JobState(int(s.job.state)));
  p.set_stage(s.job.stage);
  p.set_fraction(s.job.fraction);
  p.set_seconds_left(s.seconds_left);
  p.set_queue_position(s.queue_position);
  return p;
}

struct Shared {
  Farm* farm;
  InflightBudget& budget;  // the farm's: shared with the running jobs' traces
  uint64_t chunk_max;
};

// The part of the in-flight budget a stream holds for its input check's buffer (a partial
// trace chunk): adjusted before each read, so the next read waits until it is covered.
class ParseHold {
 public:
  // Reserves the stream's next read (max_chunk_bytes) and what its buffer grew by; `start`
  // posts the read, now or once reserved. The refusal when that can never fit the budget.
  std::optional<std::string> reserve_read(Shared& s, uint64_t buffered, void* owner,
                                          std::function<void()> start) {
    const uint64_t n = s.chunk_max + grow(s.budget, buffered);
    if (n > s.budget.total()) {
      return "the input's partial trace chunk and the next read need " + std::to_string(n) +
             " bytes in memory, more than the farm's inflight_budget_bytes (" +
             std::to_string(s.budget.total()) + "); write chunks of fewer records";
    }
    auto go = [this, start = std::move(start)] {
      granted();
      start();
    };
    if (s.budget.acquire(n, owner, go)) go();
    return std::nullopt;
  }
  void release_all(InflightBudget& b) {
    b.release(held_);
    held_ = 0;
  }

 private:
  // Gives back what the buffer no longer needs; returns how much more to take with the read.
  uint64_t grow(InflightBudget& b, uint64_t buffered) {
    if (buffered <= held_) {
      b.release(held_ - buffered);
      held_ = buffered;
      pending_ = 0;
    } else {
      pending_ = buffered - held_;
    }
    return pending_;
  }
  void granted() {
    held_ += pending_;
    pending_ = 0;
  }

  uint64_t held_ = 0, pending_ = 0;
};

// ---------------------------------------------------------------- streamed job input

// Header, then chunks in order, into a temp file under the store; admission happens at the
// header, so a refused job costs the client one message.
class InputSink {
 public:
  explicit InputSink(Shared& s) : s_(s) {}
  ~InputSink() {
    if (admitted_ && !committed_) s_.farm->abandon(admission_);
    if (file_) std::fclose(file_);
    if (!tmp_.empty() && !committed_) {
      std::error_code ec;
      fs::remove(tmp_, ec);
    }
  }
  bool complete() const { return admitted_ && received_ == admission_.spec.input_size; }
  // Bytes the input check holds in memory (a partial trace chunk).
  uint64_t buffered() const { return check_ ? check_->buffered_bytes() : 0; }
  uint64_t received() const { return received_; }

  Outcome add(const Tenant& tenant, const pb::ProveRequest& m) {
    if (m.has_header()) {
      if (admitted_)
        return err(Code::kInvalidArgument,
                   "a second header at input offset " + std::to_string(received_));
      const pb::JobHeader& h = m.header();
      JobSpec spec;
      switch (h.kind()) {
        case pb::JOB_KIND_GROTH16:
          spec.kind = JobKind::kGroth16;
          break;
        case pb::JOB_KIND_ZKWASM_TRACE:
          spec.kind = JobKind::kZkwasmTrace;
          break;
        case pb::JOB_KIND_ZKWASM_MODULE:
          spec.kind = JobKind::kZkwasmModule;
          break;
        default:
          return err(Code::kInvalidArgument,
                     "header.kind " + std::to_string(int(h.kind())) +
                         " is not a job kind (groth16, zkwasm trace, zkwasm module)");
      }
      spec.artifact = h.artifact();
      if (h.params_json().empty()) {
        spec.params_json = "{}";
      } else {
        auto j = nlohmann_json_canonical(h.params_json());
        if (!j) return j.error();
        spec.params_json = *j;
      }
      spec.deadline_ms = h.deadline_unix_ms();
      spec.priority = h.priority();
      spec.input_size = h.input_size();
      if (h.has_private_input()) spec.private_input = h.private_input();
      auto a = s_.farm->admit(tenant, spec);
      if (!a) return a.error();
      admission_ = *a;
      admitted_ = true;
      auto check = s_.farm->input_check(admission_);
      if (!check) return check.error();
      check_ = std::move(*check);
      tmp_ = s_.farm->tmp_path("input");
      file_ = std::fopen(tmp_.c_str(), "wb");
      if (!file_) return err(Code::kInternal, "cannot create " + tmp_);
      return ok();
    }
    if (!m.has_chunk())
      return err(Code::kInvalidArgument, "an empty message (neither header nor chunk)");
    if (!admitted_)
      return err(Code::kInvalidArgument,
                 "input chunk before the header: the first message must be the job header");
    const pb::InputChunk& c = m.chunk();
    if (c.offset() != received_) {
      return err(Code::kInvalidArgument, "chunk out of order: offset " +
                                             std::to_string(c.offset()) + ", expected " +
                                             std::to_string(received_));
    }
    if (c.data().size() > s_.chunk_max) {
      return err(Code::kInvalidArgument, "chunk of " + std::to_string(c.data().size()) +
                                             " bytes exceeds the farm's max chunk of " +
                                             std::to_string(s_.chunk_max));
    }
    if (received_ + c.data().size() > admission_.spec.input_size) {
      return err(Code::kInvalidArgument,
                 "input overruns header.input_size (" + std::to_string(admission_.spec.input_size) +
                     " bytes) at offset " + std::to_string(received_ + c.data().size()));
    }
    if (c.data().empty())
      return err(Code::kInvalidArgument, "empty chunk at offset " + std::to_string(received_));
    if (std::fwrite(c.data().data(), 1, c.data().size(), file_) != c.data().size()) {
      return err(Code::kInternal, "writing the input to the store failed");
    }
    hasher_.update(c.data());
    received_ += c.data().size();
    // Parsed as it streams in: a bad input fails here, not after it was stored and queued.
    if (check_) {
      const auto* p = reinterpret_cast<const uint8_t*>(c.data().data());
      return check_->feed(std::span<const uint8_t>(p, c.data().size()));
    }
    return ok();
  }

  // The stream ended: a complete input becomes a job.
  Expected<JobSnapshot> commit() {
    if (!admitted_) return err(Code::kInvalidArgument, "the stream ended without a job header");
    if (received_ != admission_.spec.input_size) {
      return err(Code::kInvalidArgument, "truncated input: the stream ended after " +
                                             std::to_string(received_) + " of " +
                                             std::to_string(admission_.spec.input_size) + " bytes");
    }
    if (check_) {
      if (Outcome o = check_->finish(); !o) return o.error();
    }
    if (std::fclose(file_) != 0) {
      file_ = nullptr;
      return err(Code::kInternal, "closing the input file failed");
    }
    file_ = nullptr;
    committed_ = true;
    return s_.farm->commit(admission_, tmp_, to_hex(hasher_.final()),
                           check_ ? check_->exact_units() : 0);
  }
  const Admission& admission() const { return admission_; }

 private:
  static Expected<std::string> nlohmann_json_canonical(const std::string& text);

  Shared& s_;
  bool admitted_ = false, committed_ = false;
  Admission admission_;
  std::string tmp_;
  FILE* file_ = nullptr;
  std::unique_ptr<InputCheck> check_;
  uint64_t received_ = 0;
  Keccak256 hasher_;
};

}  // namespace
}  // namespace efaas::farm

#include <nlohmann/json.hpp>

namespace efaas::farm {
namespace {

Expected<std::string> InputSink::nlohmann_json_canonical(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return err(Code::kInvalidArgument, "header.params_json is not a JSON object");
  }
  return j.dump();  // sorted keys: equal parameters give equal cache keys
}

// ---------------------------------------------------------------- job event streams

// Follows one job and writes its events: progress, then the proof in chunks or a failure.
// Base is ServerBidiReactor<ProveRequest, JobEvent> or ServerWriteReactor<JobEvent>.
template <typename Base>
class EventStream : public Base {
 public:
  explicit EventStream(Shared& s) : s_(s) {}

 protected:
  void follow(const std::string& tenant, const std::string& job_id, bool with_proof,
              std::optional<pb::Accepted> accepted) {
    job_id_ = job_id;
    tenant_ = tenant;
    with_proof_ = with_proof;
    if (accepted) {
      pb::JobEvent ev;
      ev.set_job_id(job_id);
      *ev.mutable_accepted() = *accepted;
      push(std::move(ev));
    }
    token_ = s_.farm->subscribe(job_id, [this](const JobSnapshot& snap) { on_snapshot(snap); });
    subscribed_ = true;
    // Anything that happened before the subscription.
    auto now = s_.farm->job(tenant, job_id);
    if (!now) {
      finish(to_grpc(now.error()));
      return;
    }
    on_snapshot(*now);
  }

  void on_snapshot(const JobSnapshot& snap) {
    {
      std::lock_guard lock(mu_);
      if (terminal_ || finishing_) return;
      if (is_terminal(snap.job.state)) terminal_ = true;
    }
    pb::JobEvent ev;
    ev.set_job_id(snap.job.id);
    if (!is_terminal(snap.job.state) || snap.job.state == JobState::kSucceeded) {
      *ev.mutable_progress() = progress_of(snap);
      push(std::move(ev));
    }
    if (!is_terminal(snap.job.state)) return;
    if (snap.job.state == JobState::kSucceeded) {
      if (with_proof_) {
        auto path = s_.farm->proof_path(snap.job);
        if (!path) {
          finish(to_grpc(path.error()));
          return;
        }
        auto bytes = read_whole_file(*path);
        if (!bytes) {
          finish(to_grpc(bytes.error()));
          return;
        }
        for (size_t off = 0; off < bytes->size() || off == 0; off += kProofChunk) {
          pb::JobEvent pe;
          pe.set_job_id(snap.job.id);
          pb::ProofChunk* c = pe.mutable_proof();
          const size_t n = std::min(kProofChunk, bytes->size() - off);
          c->set_offset(off);
          c->set_data(bytes->data() + off, n);
          c->set_total_size(bytes->size());
          c->set_content_hash(snap.job.proof_hash);
          c->set_last(off + n >= bytes->size());
          push(std::move(pe));
          if (bytes->empty()) break;
        }
      }
    } else {
      pb::JobEvent fe;
      fe.set_job_id(snap.job.id);
      pb::Failure* f = fe.mutable_failure();
      f->set_state(pb::JobState(int(snap.job.state)));
      f->set_code(snap.job.error_code);
      f->set_reason(snap.job.error);
      push(std::move(fe));
    }
    finish(grpc::Status::OK);
  }

  void push(pb::JobEvent ev) {
    std::lock_guard lock(mu_);
    if (finished_) return;
    queue_.push_back(std::move(ev));
    if (!writing_) {
      writing_ = true;
      this->StartWrite(&queue_.front());
    }
  }

  // Finishes once queued events are written.
  void finish(grpc::Status st) {
    std::lock_guard lock(mu_);
    if (finished_ || finishing_) return;
    finishing_ = true;
    final_status_ = std::move(st);
    if (!writing_) {
      finished_ = true;
      this->Finish(final_status_);
    }
  }

  // Finishes now, dropping queued events (errors before acceptance).
  void fail(grpc::Status st) {
    std::lock_guard lock(mu_);
    if (finished_) return;
    finishing_ = true;
    final_status_ = std::move(st);
    queue_.clear();
    if (!writing_) {
      finished_ = true;
      this->Finish(final_status_);
    }
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mu_);
    queue_.pop_front();
    if (!ok) {  // the client went away
      writing_ = false;
      if (!finished_) {
        finished_ = true;
        this->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "client gone"));
      }
      return;
    }
    if (!queue_.empty() && !finished_) {
      this->StartWrite(&queue_.front());
      return;
    }
    writing_ = false;
    if (finishing_ && !finished_) {
      finished_ = true;
      this->Finish(final_status_);
    }
  }

  void unfollow() {
    if (subscribed_) s_.farm->unsubscribe(token_);
    subscribed_ = false;
  }

  Shared& s_;
  std::mutex mu_;
  std::deque<pb::JobEvent> queue_;  // front() is being written while writing_
  bool writing_ = false, finishing_ = false, finished_ = false, terminal_ = false;
  grpc::Status final_status_;
  std::string job_id_, tenant_;
  bool with_proof_ = true;
  uint64_t token_ = 0;
  bool subscribed_ = false;
};

pb::Accepted accepted_of(const JobSnapshot& s, const Admission& a) {
  pb::Accepted acc;
  acc.set_job_id(s.job.id);
  acc.set_queue_position(s.queue_position);
  acc.set_cached(s.job.cached);
  // The job's units: the admission's, or exact when the input check knew them.
  acc.set_estimated_units(s.job.cached ? a.units : s.job.units);
  acc.set_estimated_cost(s.job.cached ? 0 : s.job.cost);
  acc.set_estimated_seconds(s.seconds_left > 0 ? s.seconds_left : a.est_seconds);
  return acc;
}

class ProveReactor final
    : public EventStream<grpc::ServerBidiReactor<pb::ProveRequest, pb::JobEvent>> {
 public:
  ProveReactor(Shared& s, grpc::CallbackServerContext* ctx) : EventStream(s), sink_(s) {
    auto t = s.farm->authenticate(metadata(ctx, "x-api-key"));
    if (!t) {
      fail(to_grpc(t.error()));
      return;
    }
    tenant_obj_ = *t;
    read_next();
  }

  void OnReadDone(bool ok) override {
    s_.budget.release(s_.chunk_max);
    reading_ = false;
    if (!ok) {  // half-close (or the client vanished) before the input was complete
      commit();
      return;
    }
    if (Outcome o = sink_.add(tenant_obj_, req_); !o) {
      spdlog::info("event=stream_refused tenant={} reason=\"{}\"", tenant_obj_.name,
                   o.error().to_string());
      fail(to_grpc(o.error()));
      return;
    }
    read_next();  // the input ends with the client's half-close
  }

  void OnCancel() override {
    if (s_.budget.forget(this)) fail(grpc::Status(grpc::StatusCode::CANCELLED, "client cancelled"));
  }

  void OnDone() override {
    unfollow();
    s_.budget.forget(this);
    parse_.release_all(s_.budget);
    delete this;
  }

 private:
  void read_next() {
    reading_ = true;
    if (auto e = parse_.reserve_read(s_, sink_.buffered(), this, [this] { StartRead(&req_); })) {
      reading_ = false;
      fail(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, *e));
    }
  }
  ParseHold parse_;

  void commit() {
    if (committed_) return;
    committed_ = true;
    auto snap = sink_.commit();
    if (!snap) {
      fail(to_grpc(snap.error()));
      return;
    }
    spdlog::info("event=job_accepted job={} tenant={} kind={} bytes={} cached={}", snap->job.id,
                 snap->job.tenant, job_kind_name(snap->job.spec.kind), snap->job.spec.input_size,
                 snap->job.cached);
    follow(tenant_obj_.name, snap->job.id, true, accepted_of(*snap, sink_.admission()));
  }

  InputSink sink_;
  Tenant tenant_obj_;
  pb::ProveRequest req_;
  bool reading_ = false, committed_ = false;
};

class WatchReactor final : public EventStream<grpc::ServerWriteReactor<pb::JobEvent>> {
 public:
  WatchReactor(Shared& s, grpc::CallbackServerContext* ctx, const pb::WatchRequest* req)
      : EventStream(s) {
    auto t = s.farm->authenticate(metadata(ctx, "x-api-key"));
    if (!t) {
      fail(to_grpc(t.error()));
      return;
    }
    follow(t->name, req->job_id(), req->include_proof(), std::nullopt);
  }
  void OnDone() override {
    unfollow();
    delete this;
  }
};

class SubmitReactor final : public grpc::ServerReadReactor<pb::ProveRequest> {
 public:
  SubmitReactor(Shared& s, grpc::CallbackServerContext* ctx, pb::SubmitReply* reply)
      : s_(s), sink_(s), reply_(reply) {
    auto t = s.farm->authenticate(metadata(ctx, "x-api-key"));
    if (!t) {
      done(to_grpc(t.error()));
      return;
    }
    tenant_ = *t;
    read_next();
  }
  void OnReadDone(bool ok) override {
    s_.budget.release(s_.chunk_max);
    if (!ok) {
      commit();
      return;
    }
    if (Outcome o = sink_.add(tenant_, req_); !o) {
      done(to_grpc(o.error()));
      return;
    }
    read_next();
  }
  void OnCancel() override {
    if (s_.budget.forget(this)) done(grpc::Status(grpc::StatusCode::CANCELLED, "client cancelled"));
  }
  void OnDone() override {
    s_.budget.forget(this);
    parse_.release_all(s_.budget);
    delete this;
  }

 private:
  void read_next() {
    if (auto e = parse_.reserve_read(s_, sink_.buffered(), this, [this] { StartRead(&req_); })) {
      done(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, *e));
    }
  }
  ParseHold parse_;
  void commit() {
    auto snap = sink_.commit();
    if (!snap) {
      done(to_grpc(snap.error()));
      return;
    }
    spdlog::info("event=job_accepted job={} tenant={} kind={} bytes={} cached={}", snap->job.id,
                 snap->job.tenant, job_kind_name(snap->job.spec.kind), snap->job.spec.input_size,
                 snap->job.cached);
    *reply_->mutable_accepted() = accepted_of(*snap, sink_.admission());
    done(grpc::Status::OK);
  }
  void done(grpc::Status st) {
    std::lock_guard lock(mu_);
    if (finished_) return;
    finished_ = true;
    Finish(st);
  }

  Shared& s_;
  InputSink sink_;
  pb::SubmitReply* reply_;
  Tenant tenant_;
  pb::ProveRequest req_;
  std::mutex mu_;
  bool finished_ = false;
};

class FetchReactor final : public grpc::ServerWriteReactor<pb::ProofChunk> {
 public:
  FetchReactor(Shared& s, grpc::CallbackServerContext* ctx, const pb::FetchRequest* req) {
    auto t = s.farm->authenticate(metadata(ctx, "x-api-key"));
    if (!t) {
      Finish(to_grpc(t.error()));
      return;
    }
    auto snap = s.farm->job(t->name, req->job_id());
    if (!snap) {
      Finish(to_grpc(snap.error()));
      return;
    }
    auto path = s.farm->proof_path(snap->job);
    if (!path) {
      Finish(to_grpc(path.error()));
      return;
    }
    auto bytes = read_whole_file(*path);
    if (!bytes) {
      Finish(to_grpc(bytes.error()));
      return;
    }
    bytes_ = std::move(*bytes);
    hash_ = snap->job.proof_hash;
    if (req->offset() > bytes_.size()) {
      Finish(grpc::Status(grpc::StatusCode::OUT_OF_RANGE,
                          "offset " + std::to_string(req->offset()) + " is past the proof's " +
                              std::to_string(bytes_.size()) + " bytes"));
      return;
    }
    off_ = req->offset();
    next();
  }
  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "client gone"));
      return;
    }
    if (off_ >= bytes_.size()) {
      Finish(grpc::Status::OK);
      return;
    }
    next();
  }
  void OnDone() override { delete this; }

 private:
  void next() {
    const size_t n = std::min<size_t>(kProofChunk, bytes_.size() - off_);
    chunk_.set_offset(off_);
    chunk_.set_data(bytes_.data() + off_, n);
    chunk_.set_total_size(bytes_.size());
    chunk_.set_content_hash(hash_);
    chunk_.set_last(off_ + n >= bytes_.size());
    off_ += n;
    StartWrite(&chunk_);
  }
  std::vector<uint8_t> bytes_;
  std::string hash_;
  size_t off_ = 0;
  pb::ProofChunk chunk_;
};

class UploadReactor final : public grpc::ServerReadReactor<pb::ArtifactUpload> {
 public:
  UploadReactor(Shared& s, grpc::CallbackServerContext* ctx, pb::ArtifactRef* reply)
      : s_(s), reply_(reply) {
    auto t = s.farm->authenticate(metadata(ctx, "x-api-key"));
    if (!t) {
      Finish(to_grpc(t.error()));
      return;
    }
    StartRead(&req_);
  }
  ~UploadReactor() override {
    if (file_) std::fclose(file_);
    if (!tmp_.empty() && !installed_) {
      std::error_code ec;
      fs::remove(tmp_, ec);
    }
  }
  void OnReadDone(bool ok) override {
    if (!ok) {
      finish_upload();
      return;
    }
    if (req_.has_header()) {
      if (have_header_) return fail("a second artifact header");
      const pb::ArtifactHeader& h = req_.header();
      if (h.kind() == pb::ARTIFACT_KIND_ZKEY)
        kind_ = ArtifactKind::kZkey;
      else if (h.kind() == pb::ARTIFACT_KIND_WASM)
        kind_ = ArtifactKind::kWasm;
      else
        return fail("header.kind: want ZKEY or WASM");
      if (h.size() == 0 || h.size() > kMaxArtifactBytes)
        return fail("header.size must be in 1.." + std::to_string(kMaxArtifactBytes));
      size_ = h.size();
      declared_ = h.content_hash();
      have_header_ = true;
      // Content addressed: something already stored is not sent again.
      if (!declared_.empty() && s_.farm->has_artifact(declared_)) {
        reply_->set_content_hash(declared_);
        reply_->set_size(size_);
        reply_->set_already_stored(true);
        Finish(grpc::Status::OK);
        return;
      }
      tmp_ = s_.farm->tmp_path("artifact");
      file_ = std::fopen(tmp_.c_str(), "wb");
      if (!file_) {
        Finish(grpc::Status(grpc::StatusCode::INTERNAL, "cannot create " + tmp_));
        return;
      }
    } else if (req_.has_chunk()) {
      if (!have_header_) return fail("artifact chunk before the header");
      const auto& c = req_.chunk();
      if (c.offset() != received_) {
        return fail("chunk out of order: offset " + std::to_string(c.offset()) + ", expected " +
                    std::to_string(received_));
      }
      if (received_ + c.data().size() > size_)
        return fail("artifact overruns header.size (" + std::to_string(size_) + ")");
      if (std::fwrite(c.data().data(), 1, c.data().size(), file_) != c.data().size()) {
        Finish(grpc::Status(grpc::StatusCode::INTERNAL, "writing the artifact failed"));
        return;
      }
      hasher_.update(c.data());
      received_ += c.data().size();
    } else {
      return fail("an empty message");
    }
    StartRead(&req_);
  }
  void OnDone() override { delete this; }

 private:
  void fail(const std::string& m) { Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, m)); }
  void finish_upload() {
    if (!have_header_) return fail("the stream ended without an artifact header");
    if (received_ != size_) {
      return fail("truncated artifact: " + std::to_string(received_) + " of " +
                  std::to_string(size_) + " bytes");
    }
    std::fclose(file_);
    file_ = nullptr;
    const std::string hash = to_hex(hasher_.final());
    if (!declared_.empty() && declared_ != hash) {
      return fail("content_hash " + declared_ + " does not match the uploaded bytes (" + hash +
                  ")");
    }
    const bool existed = s_.farm->has_artifact(hash);
    auto rec = s_.farm->put_artifact(kind_, tmp_, hash, size_);
    installed_ = true;  // put_artifact moved or removed the temp file
    if (!rec) {
      Finish(to_grpc(rec.error()));
      return;
    }
    spdlog::info("event=artifact_stored hash={} bytes={}", hash, size_);
    reply_->set_content_hash(hash);
    reply_->set_size(size_);
    reply_->set_already_stored(existed);
    Finish(grpc::Status::OK);
  }

  Shared& s_;
  pb::ArtifactRef* reply_;
  pb::ArtifactUpload req_;
  bool have_header_ = false, installed_ = false;
  ArtifactKind kind_ = ArtifactKind::kZkey;
  uint64_t size_ = 0, received_ = 0;
  std::string declared_, tmp_;
  FILE* file_ = nullptr;
  Keccak256 hasher_;
};

// Unary handlers: authenticate, run, answer.
template <typename F>
grpc::ServerUnaryReactor* unary(grpc::CallbackServerContext* ctx, F&& body) {
  grpc::ServerUnaryReactor* r = ctx->DefaultReactor();
  r->Finish(body());
  return r;
}

class FarmService final : public pb::Farm::CallbackService {
 public:
  explicit FarmService(Shared& s) : s_(s) {}

  grpc::ServerBidiReactor<pb::ProveRequest, pb::JobEvent>* Prove(
      grpc::CallbackServerContext* ctx) override {
    return new ProveReactor(s_, ctx);
  }
  grpc::ServerReadReactor<pb::ProveRequest>* Submit(grpc::CallbackServerContext* ctx,
                                                    pb::SubmitReply* reply) override {
    return new SubmitReactor(s_, ctx, reply);
  }
  grpc::ServerWriteReactor<pb::JobEvent>* Watch(grpc::CallbackServerContext* ctx,
                                                const pb::WatchRequest* req) override {
    return new WatchReactor(s_, ctx, req);
  }
  grpc::ServerWriteReactor<pb::ProofChunk>* FetchProof(grpc::CallbackServerContext* ctx,
                                                       const pb::FetchRequest* req) override {
    return new FetchReactor(s_, ctx, req);
  }
  grpc::ServerReadReactor<pb::ArtifactUpload>* UploadArtifact(grpc::CallbackServerContext* ctx,
                                                              pb::ArtifactRef* reply) override {
    return new UploadReactor(s_, ctx, reply);
  }
  grpc::ServerUnaryReactor* Cancel(grpc::CallbackServerContext* ctx, const pb::JobRef* req,
                                   pb::CancelReply* reply) override {
    return unary(ctx, [&] {
      auto t = s_.farm->authenticate(metadata(ctx, "x-api-key"));
      if (!t) return to_grpc(t.error());
      auto st = s_.farm->cancel(t->name, req->job_id());
      if (!st) return to_grpc(st.error());
      spdlog::info("event=cancel job={} tenant={} state={}", req->job_id(), t->name,
                   job_state_name(*st));
      reply->set_state(pb::JobState(int(*st)));
      return grpc::Status::OK;
    });
  }
  grpc::ServerUnaryReactor* GetJob(grpc::CallbackServerContext* ctx, const pb::JobRef* req,
                                   pb::JobInfo* reply) override {
    return unary(ctx, [&] {
      auto t = s_.farm->authenticate(metadata(ctx, "x-api-key"));
      if (!t) return to_grpc(t.error());
      auto j = s_.farm->job(t->name, req->job_id());
      if (!j) return to_grpc(j.error());
      *reply = to_pb(j->job);
      return grpc::Status::OK;
    });
  }
  grpc::ServerUnaryReactor* ListJobs(grpc::CallbackServerContext* ctx,
                                     const pb::ListJobsRequest* req,
                                     pb::ListJobsReply* reply) override {
    return unary(ctx, [&] {
      auto t = s_.farm->authenticate(metadata(ctx, "x-api-key"));
      if (!t) return to_grpc(t.error());
      auto js = s_.farm->jobs(t->name, req->limit(), int(req->state()));
      if (!js) return to_grpc(js.error());
      for (const Job& j : *js) *reply->add_jobs() = to_pb(j);
      return grpc::Status::OK;
    });
  }
  grpc::ServerUnaryReactor* GetUsage(grpc::CallbackServerContext* ctx, const pb::UsageRequest*,
                                     pb::Usage* reply) override {
    return unary(ctx, [&] {
      auto t = s_.farm->authenticate(metadata(ctx, "x-api-key"));
      if (!t) return to_grpc(t.error());
      auto u = s_.farm->usage(t->name);
      if (!u) return to_grpc(u.error());
      to_pb(*u, reply);
      return grpc::Status::OK;
    });
  }
  grpc::ServerUnaryReactor* GetCapacity(grpc::CallbackServerContext* ctx,
                                        const pb::CapacityRequest*, pb::Capacity* reply) override {
    return unary(ctx, [&] {
      auto t = s_.farm->authenticate(metadata(ctx, "x-api-key"));
      if (!t) return to_grpc(t.error());
      CapacityReport c = s_.farm->capacity();
      for (const auto& d : c.devices) {
        pb::DeviceInfo* di = reply->add_devices();
        di->set_name(d.name);
        di->set_kind(d.kind);
        di->set_cores(d.cores);
        di->set_busy_fraction(d.busy_fraction);
        di->set_running_jobs(d.running);
        di->set_slots(d.slots);
        for (const auto& k : d.throughput) {
          pb::KindThroughput* kt = di->add_throughput();
          kt->set_kind(pb::JobKind(int(k.kind)));
          kt->set_available(k.available);
          kt->set_unit(k.unit);
          kt->set_units_per_second(k.units_per_second);
          kt->set_source(k.source);
        }
      }
      reply->set_queue_depth(c.queue_depth);
      reply->set_running(c.running);
      for (const auto& k : c.kinds) {
        pb::KindThroughput* kt = reply->add_kinds();
        kt->set_kind(pb::JobKind(int(k.kind)));
        kt->set_available(k.available);
        kt->set_unit(k.unit);
        kt->set_units_per_second(k.units_per_second);
        kt->set_price_per_unit(k.price);
        kt->set_source(k.source);
      }
      return grpc::Status::OK;
    });
  }

 private:
  Shared& s_;
};

class AdminService final : public pb::FarmAdmin::CallbackService {
 public:
  AdminService(Shared& s, std::string token) : s_(s), token_(std::move(token)) {}

  grpc::ServerUnaryReactor* CreateTenant(grpc::CallbackServerContext* ctx,
                                         const pb::CreateTenantRequest* req,
                                         pb::TenantKey* reply) override {
    return admin(ctx, "create_tenant", [&] {
      auto key =
          s_.farm->create_tenant(req->name(), req->balance(), from_pb(req->quota()), req->weight());
      if (!key) return to_grpc(key.error());
      reply->set_tenant(req->name());
      reply->set_api_key(*key);
      return grpc::Status::OK;
    });
  }
  grpc::ServerUnaryReactor* RotateKey(grpc::CallbackServerContext* ctx, const pb::TenantRef* req,
                                      pb::TenantKey* reply) override {
    return admin(ctx, "rotate_key", [&] {
      auto key = s_.farm->rotate_key(req->tenant());
      if (!key) return to_grpc(key.error());
      reply->set_tenant(req->tenant());
      reply->set_api_key(*key);
      return grpc::Status::OK;
    });
  }
  grpc::ServerUnaryReactor* TopUp(grpc::CallbackServerContext* ctx, const pb::TopUpRequest* req,
                                  pb::Usage* reply) override {
    return admin(ctx, "top_up", [&] {
      if (Outcome o = s_.farm->top_up(req->tenant(), req->amount()); !o) return to_grpc(o.error());
      return usage_of(req->tenant(), reply);
    });
  }
  grpc::ServerUnaryReactor* SetQuota(grpc::CallbackServerContext* ctx,
                                     const pb::SetQuotaRequest* req, pb::Usage* reply) override {
    return admin(ctx, "set_quota", [&] {
      if (Outcome o = s_.farm->set_quota(req->tenant(), from_pb(req->quota()), req->weight()); !o)
        return to_grpc(o.error());
      return usage_of(req->tenant(), reply);
    });
  }
  grpc::ServerUnaryReactor* SetPrice(grpc::CallbackServerContext* ctx,
                                     const pb::SetPriceRequest* req, pb::Empty*) override {
    return admin(ctx, "set_price", [&] {
      int k = int(req->kind());
      if (k < 1 || k > 3)
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "kind: not a job kind");
      if (Outcome o = s_.farm->set_price(JobKind(k), req->price_per_unit()); !o)
        return to_grpc(o.error());
      return grpc::Status::OK;
    });
  }
  grpc::ServerUnaryReactor* GetTenantUsage(grpc::CallbackServerContext* ctx,
                                           const pb::TenantRef* req, pb::Usage* reply) override {
    return admin(ctx, "", [&] { return usage_of(req->tenant(), reply); });
  }
  grpc::ServerUnaryReactor* ListTenants(grpc::CallbackServerContext* ctx,
                                        const pb::ListTenantsRequest*,
                                        pb::ListTenantsReply* reply) override {
    return admin(ctx, "", [&] {
      auto all = s_.farm->all_usage();
      if (!all) return to_grpc(all.error());
      for (const auto& u : *all) to_pb(u, reply->add_tenants());
      return grpc::Status::OK;
    });
  }
  grpc::ServerUnaryReactor* GetLedger(grpc::CallbackServerContext* ctx,
                                      const pb::LedgerRequest* req,
                                      pb::LedgerReply* reply) override {
    return admin(ctx, "", [&] {
      auto l = s_.farm->ledger(req->tenant(), req->limit());
      if (!l) return to_grpc(l.error());
      for (const auto& e : *l) {
        pb::LedgerEntry* o = reply->add_entries();
        o->set_seq(e.seq);
        o->set_tenant(e.tenant);
        o->set_job_id(e.job_id);
        o->set_amount(e.amount);
        o->set_units(e.units);
        o->set_reason(e.reason);
        o->set_unix_ms(e.unix_ms);
      }
      return grpc::Status::OK;
    });
  }

 private:
  grpc::Status usage_of(const std::string& tenant, pb::Usage* reply) {
    auto u = s_.farm->usage(tenant);
    if (!u) return to_grpc(u.error());
    to_pb(*u, reply);
    return grpc::Status::OK;
  }
  bool authorized(grpc::CallbackServerContext* ctx) const {
    const std::string given = metadata(ctx, "x-admin-token");
    // Constant time in the token's length.
    if (given.size() != token_.size() || token_.empty()) return false;
    unsigned char diff = 0;
    for (size_t i = 0; i < given.size(); ++i)
      diff |= static_cast<unsigned char>(given[i] ^ token_[i]);
    return diff == 0;
  }
  template <typename F>
  grpc::ServerUnaryReactor* admin(grpc::CallbackServerContext* ctx, const char* what, F&& body) {
    return unary(ctx, [&] {
      if (!authorized(ctx)) {
        return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                            "admin API: missing or wrong x-admin-token");
      }
      grpc::Status st = body();
      if (*what)
        spdlog::info("event=admin op={} ok={} msg=\"{}\"", what, st.ok(), st.error_message());
      return st;
    });
  }
  Shared& s_;
  std::string token_;
};

Expected<std::string> slurp(const std::string& path) {
  std::ifstream in(path);
  if (!in) return err(Code::kInvalidArgument, "cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The admin token: from admin_token_file, or a fresh random one written to
// <store>/admin.token (mode 0600) so the operator on this machine can read it.
Expected<std::string> admin_token(const FarmConfig& c) {
  if (!c.admin_token_file.empty()) {
    auto t = slurp(c.admin_token_file);
    if (!t) return t.error();
    std::string tok = t->substr(0, t->find('\n'));
    if (tok.size() < 16)
      return err(Code::kInvalidArgument,
                 c.admin_token_file + ": the admin token must have at least 16 characters");
    return tok;
  }
  const std::string path = c.store_dir + "/admin.token";
  if (auto t = slurp(path); t && !t->empty()) return t->substr(0, t->find('\n'));
  std::vector<uint8_t> b(24);
  std::ifstream ur("/dev/urandom", std::ios::binary);
  ur.read(reinterpret_cast<char*>(b.data()), std::streamsize(b.size()));
  std::string tok = "efa_" + to_hex(b);
  {
    std::ofstream out(path, std::ios::trunc);
    out << tok << "\n";
    if (!out) return err(Code::kInternal, "cannot write " + path);
  }
  ::chmod(path.c_str(), 0600);
  return tok;
}

class FarmServerImpl final : public FarmServer {
 public:
  explicit FarmServerImpl(Farm& farm)
      : farm_(farm), shared_{&farm, farm.budget(), farm.config().max_chunk_bytes} {}

  Outcome init() {
    const FarmConfig& c = farm_.config();
    std::shared_ptr<grpc::ServerCredentials> creds;
    if (!c.tls_cert.empty() || !c.tls_key.empty()) {
      auto cert = slurp(c.tls_cert);
      if (!cert) return err(Code::kInvalidArgument, "tls_cert: " + cert.error().message);
      auto key = slurp(c.tls_key);
      if (!key) return err(Code::kInvalidArgument, "tls_key: " + key.error().message);
      grpc::SslServerCredentialsOptions opts;
      opts.pem_key_cert_pairs.push_back({*key, *cert});
      creds = grpc::SslServerCredentials(opts);
    } else {
      for (const std::string& addr : {c.listen, c.admin_listen}) {
        if (!is_loopback_address(addr) && !c.allow_insecure) {
          return err(Code::kInvalidArgument,
                     "refusing plaintext gRPC on " + addr +
                         ": API keys travel in the metadata; "
                         "set tls_cert and tls_key, or allow_insecure to insist");
        }
      }
      creds = grpc::InsecureServerCredentials();
    }
    auto token = admin_token(c);
    if (!token) return token.error();

    farm_service_ = std::make_unique<FarmService>(shared_);
    admin_service_ = std::make_unique<AdminService>(shared_, *token);
    grpc::EnableDefaultHealthCheckService(true);
    // Job input is held to max_chunk_bytes by InputSink (a clear error); artifact uploads use
    // chunks up to 4 MiB.
    const int max_msg = int(std::max<uint64_t>(c.max_chunk_bytes, 4u << 20) + 64 * 1024);
    {
      grpc::ServerBuilder b;
      b.AddListeningPort(c.listen, creds, &ports_.farm);
      b.RegisterService(farm_service_.get());
      b.SetMaxReceiveMessageSize(max_msg);
      server_ = b.BuildAndStart();
      if (!server_ || ports_.farm == 0)
        return err(Code::kUnavailable, "cannot listen on " + c.listen);
    }
    {
      grpc::ServerBuilder b;
      b.AddListeningPort(c.admin_listen, creds, &ports_.admin);
      b.RegisterService(admin_service_.get());
      admin_server_ = b.BuildAndStart();
      if (!admin_server_ || ports_.admin == 0)
        return err(Code::kUnavailable, "cannot listen on " + c.admin_listen);
    }
    if (auto* h = server_->GetHealthCheckService()) h->SetServingStatus(true);
    if (!c.metrics_listen.empty()) {
      http_ = std::make_unique<httplib::Server>();
      http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
        std::string text = farm_.metrics_text();
        text +=
            "# HELP efaas_farm_throttled_reads_total Stream reads paused by the in-flight memory "
            "budget.\n"
            "# TYPE efaas_farm_throttled_reads_total counter\nefaas_farm_throttled_reads_total " +
            std::to_string(shared_.budget.throttled()) + "\n";
        res.set_content(text, "text/plain; version=0.0.4");
      });
      std::string host = c.metrics_listen.substr(0, c.metrics_listen.rfind(':'));
      int port = std::atoi(c.metrics_listen.c_str() + c.metrics_listen.rfind(':') + 1);
      if (port == 0) {
        ports_.metrics = http_->bind_to_any_port(host);
      } else {
        ports_.metrics = http_->bind_to_port(host, port) ? port : -1;
      }
      if (ports_.metrics <= 0)
        return err(Code::kUnavailable, "cannot listen on " + c.metrics_listen);
      http_thread_ = std::thread([this] { http_->listen_after_bind(); });
    }
    return ok();
  }

  ~FarmServerImpl() override {
    drain(0);
    wait();
  }

  ServerPorts ports() const override { return ports_; }

  void drain(int grace_s) override {
    std::lock_guard lock(drain_mu_);
    if (drained_) return;
    drained_ = true;
    spdlog::info("event=drain_start running_timeout_s={}", farm_.config().drain_timeout_s);
    if (server_) {
      if (auto* h = server_->GetHealthCheckService()) h->SetServingStatus(false);
    }
    farm_.stop(grace_s > 0 ? farm_.config().drain_timeout_s : 0);
    const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(grace_s);
    if (server_) server_->Shutdown(deadline);
    if (admin_server_) admin_server_->Shutdown(deadline);
    if (http_) http_->stop();
    if (http_thread_.joinable()) http_thread_.join();
    spdlog::info("event=drain_done");
    done_cv_.notify_all();
  }

  void wait() override {
    std::unique_lock lock(drain_mu_);
    done_cv_.wait(lock, [&] { return drained_; });
  }

 private:
  Farm& farm_;
  Shared shared_;
  ServerPorts ports_;
  std::unique_ptr<FarmService> farm_service_;
  std::unique_ptr<AdminService> admin_service_;
  std::unique_ptr<grpc::Server> server_, admin_server_;
  std::unique_ptr<httplib::Server> http_;
  std::thread http_thread_;
  std::mutex drain_mu_;
  std::condition_variable done_cv_;
  bool drained_ = false;
};

}  // namespace

Expected<std::unique_ptr<FarmServer>> FarmServer::start(Farm& farm) {
  auto s = std::make_unique<FarmServerImpl>(farm);
  if (Outcome o = s->init(); !o) return o.error();
  return std::unique_ptr<FarmServer>(std::move(s));
}

}  // namespace efaas::farm
