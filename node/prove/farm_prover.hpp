#pragma once
// Proving through efaas-farm: run an Extension's efaas_main in the WASM runtime and stream its
// EFWTRACE to the farm (JOB_KIND_ZKWASM_TRACE, docs/farm.md) chunk by chunk while the
// interpreter produces it, then receive the zkWASM bundle on the same stream.
//
// The farm admits a job by its exact input size (quotas are checked on the header), which a
// trace does not know before it ends; execution is deterministic, so a first run into a byte
// counter gives the size and the second run streams the identical bytes as they are written.
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "node/core/types.hpp"
#include "prover/common/status.hpp"
#include "prover/wasm/extension.hpp"

namespace grpc {
class Channel;
}

namespace efaas::node {

struct FarmConfig {
  std::string target;       // host:port of efaas-farm; empty: no farm, proving is unavailable
  std::string api_key;      // the tenant's key ("x-api-key")
  std::string tls_ca_file;  // PEM roots: TLS when set
  std::string preset = "production";  // FRI preset the farm proves at (a fri_preset name)
  double timeout_s = 600;   // one proving job, end to end
  uint64_t gas_limit = 10'000'000'000ull;
  uint32_t chunk_records = 4096;  // trace records per chunk: how often bytes leave for the farm
};

struct FarmProof {
  Bytes bundle;  // serialize_bundle() bytes (EFZKWASM)
  std::string job_id;
  bool cached = false;  // the farm had proved the identical request before
  uint64_t trace_bytes = 0;
  uint64_t instructions = 0;
  int32_t exit_code = 0;  // efaas_main's return value
  double execute_s = 0;   // the counting run
  double stream_s = 0;    // the traced run, streaming to the farm
  double prove_s = 0;     // from the last input byte to the proof
};

// What a groth16 job (JOB_KIND_GROTH16) brought back: the farm's proof JSON,
// {"protocol":"groth16","proof":<snarkjs proof.json>,"public":<snarkjs public.json>}.
struct FarmGroth16Proof {
  std::string proof_json;
  std::string job_id;
  bool cached = false;
  double prove_s = 0;  // upload, stream and proving, end to end
};

class FarmProver {
 public:
  explicit FarmProver(FarmConfig config);
  ~FarmProver();
  const FarmConfig& config() const { return config_; }
  // Errors name the stage: UNAVAILABLE (farm unreachable or over quota), INVALID_ARGUMENT (the
  // Extension trapped, the module is not an Extension, the farm refused the job), UNIMPLEMENTED
  // (the farm or zkWASM cannot prove this yet, e.g. an unconstrained opcode), INTERNAL.
  Result<FarmProof> prove(std::span<const uint8_t> module_bytes, std::shared_ptr<const wasm::Module> module,
                          const wasm::ExtensionInput& input);
  // A Custom-mode groth16 proof: the .zkey as a content-addressed artifact (uploaded once), the
  // .wtns streamed as the job's input. Errors as for prove().
  Result<FarmGroth16Proof> prove_groth16(std::span<const uint8_t> zkey, std::span<const uint8_t> wtns);

 private:
  Status upload(std::span<const uint8_t> bytes, const std::string& content_hash, int kind);

  FarmConfig config_;
  std::shared_ptr<grpc::Channel> channel_;
  std::string channel_error_;
  std::mutex mu_;
  std::set<std::string> uploaded_;  // content hashes the farm has
};

}  // namespace efaas::node
