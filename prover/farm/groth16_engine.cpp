// Groth16 jobs: a snarkjs .zkey artifact + a streamed .wtns witness -> a snarkjs proof.json and
// public.json, bundled as {"protocol":"groth16","proof":...,"public":[...]}.
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "prover/farm/engine.hpp"
#include "prover/groth16/groth16.hpp"

namespace efaas::farm {

namespace {

constexpr uint64_t kConstraintsPerUnit = 1024;
constexpr size_t kKeyCacheSize = 4;

class Groth16Engine final : public Engine {
 public:
  explicit Groth16Engine(const EngineOptions& o) : opts_(o) {}
  JobKind kind() const override { return JobKind::kGroth16; }
  Outcome available() const override { return ok(); }
  std::string unit_name() const override { return "1024 constraints (QAP domain)"; }

  Outcome check_artifact(const std::string& path) override {
    auto key = load(path);
    if (!key) return key.error();
    return ok();
  }

  Expected<uint64_t> units(const EngineJob& job) override {
    auto key = load(job.artifact_path);
    if (!key) return key.error();
    return std::max<uint64_t>(
        1, ((*key)->domain_size + kConstraintsPerUnit - 1) / kConstraintsPerUnit);
  }

  Expected<std::vector<uint8_t>> prove(const EngineJob& job, const EngineHooks& hooks) override {
    auto stage = [&](const char* name, double fraction) -> bool {
      if (opts_.stage_delay_ms > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(opts_.stage_delay_ms));
      }
      if (hooks.should_stop && hooks.should_stop()) return false;
      if (hooks.progress) hooks.progress(name, fraction);
      return true;
    };
    const Error stopped = err(Code::kCancelled, "stopped between stages");
    if (!stage("load key", 0.0)) return stopped;
    auto key = load(job.artifact_path);
    if (!key) return key.error();
    if (!stage("read witness", 0.05)) return stopped;
    auto wtns = groth16::read_wtns(job.input_path);
    if (!wtns) return err(Code::kInvalidArgument, "witness: " + wtns.status().message());
    if (wtns->size() != (*key)->n_vars) {
      return err(Code::kInvalidArgument, "witness has " + std::to_string(wtns->size()) +
                                             " values, the .zkey expects " +
                                             std::to_string((*key)->n_vars));
    }
    if (!stage("prove", 0.1)) return stopped;
    groth16::ProveConfig cfg;
    cfg.msm.threads = opts_.threads;
    auto out = groth16::prove(**key, *wtns, cfg);
    if (!out) return out.status();
    if (!stage("self-check", 0.9)) return stopped;
    // The farm never hands out a proof its own verifier rejects.
    auto verdict = groth16::verify(groth16::verifying_key(**key), out->public_signals, out->proof);
    if (!verdict) return verdict.status();
    if (!verdict->accepted) {
      return err(Code::kInternal, "the fresh proof failed the self-check: " + verdict->reason);
    }
    if (!stage("package", 0.98)) return stopped;
    nlohmann::json j;
    j["protocol"] = "groth16";
    j["proof"] = nlohmann::json::parse(groth16::proof_to_json(out->proof));
    j["public"] = nlohmann::json::parse(groth16::public_to_json(out->public_signals));
    std::string text = j.dump();
    return std::vector<uint8_t>(text.begin(), text.end());
  }

  Expected<bool> verify(const EngineJob& job, std::span<const uint8_t> proof) override {
    auto key = load(job.artifact_path);
    if (!key) return key.error();
    auto parsed = parse_bundle(proof);
    if (!parsed) return parsed.error();
    auto v = groth16::verify(groth16::verifying_key(**key), parsed->second, parsed->first);
    if (!v) return v.status();
    return v->accepted;
  }

 private:
  static Expected<std::pair<groth16::Proof, std::vector<bn254::Limbs>>> parse_bundle(
      std::span<const uint8_t> bytes) {
    nlohmann::json j = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("proof") || !j.contains("public")) {
      return err(Code::kInvalidArgument, "not a groth16 proof bundle (want {proof, public})");
    }
    auto proof = groth16::proof_from_json(j["proof"].dump(), "bundle.proof");
    if (!proof) return proof.status();
    auto pub = groth16::public_from_json(j["public"].dump(), "bundle.public");
    if (!pub) return pub.status();
    return std::make_pair(*proof, *pub);
  }

  // Parsed keys by path (paths are content addressed), a few kept.
  Expected<std::shared_ptr<const groth16::Zkey>> load(const std::string& path) {
    {
      std::lock_guard lock(mu_);
      if (auto it = keys_.find(path); it != keys_.end()) return it->second;
    }
    auto z = groth16::read_zkey(path);
    if (!z) return err(Code::kInvalidArgument, ".zkey: " + z.status().message());
    auto key = std::make_shared<const groth16::Zkey>(std::move(*z));
    std::lock_guard lock(mu_);
    if (keys_.size() >= kKeyCacheSize) keys_.erase(keys_.begin());
    keys_[path] = key;
    return key;
  }

  EngineOptions opts_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const groth16::Zkey>> keys_;
};

}  // namespace

std::unique_ptr<Engine> make_groth16_engine(const EngineOptions& opts) {
  return std::make_unique<Groth16Engine>(opts);
}

std::unique_ptr<Engine> make_engine(JobKind kind, const EngineOptions& opts) {
  switch (kind) {
    case JobKind::kGroth16:
      return make_groth16_engine(opts);
    case JobKind::kZkwasmTrace:
    case JobKind::kZkwasmModule:
      return make_zkwasm_engine(kind, opts);
  }
  return nullptr;
}

}  // namespace efaas::farm
