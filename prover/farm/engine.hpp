#pragma once
// A proof system as the farm sees it: one engine per job kind, with an estimate (proving
// units), prove (with progress and stop between stages) and verify. zkWASM plugs in here when
// prover/zkwasm lands: implement Engine and return it from make_engine().
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "prover/farm/types.hpp"

namespace efaas::farm {

struct EngineJob {
  JobSpec spec;
  std::string artifact_path;  // the stored artifact (.zkey, WASM module), may be empty
  std::string input_path;     // the streamed input (witness, trace, program input)
};

struct EngineHooks {
  // Called at each stage start and as work progresses (fraction of the whole job, 0..1).
  std::function<void(const std::string& stage, double fraction)> progress;
  // True when the job must stop (cancelled, or past its deadline): checked between stages.
  std::function<bool()> should_stop;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual JobKind kind() const = 0;
  // OK, or UNIMPLEMENTED while the proof system has not landed.
  virtual Outcome available() const = 0;
  // What one proving unit is ("1024 constraints of the QAP domain").
  virtual std::string unit_name() const = 0;
  // Checks an uploaded artifact of this engine's kind (parses it).
  virtual Outcome check_artifact(const std::string& path) = 0;
  // Proving units of a job, from its artifact and input size; deterministic, so the estimate
  // at admission is what is charged.
  virtual Expected<uint64_t> units(const EngineJob& job) = 0;
  // The proof (a self-contained byte string). Returns CANCELLED when should_stop() said so.
  virtual Expected<std::vector<uint8_t>> prove(const EngineJob& job, const EngineHooks& hooks) = 0;
  // Whether `proof` is a valid proof for this job's artifact (and the public values inside it).
  virtual Expected<bool> verify(const EngineJob& job, std::span<const uint8_t> proof) = 0;
};

struct EngineOptions {
  size_t threads = 0;          // CPU threads for one proof (0: all cores)
  int64_t stage_delay_ms = 0;  // testing aid: a pause before each stage (0 in production)
};

// The engine for a kind: Groth16 is real; zkWASM answers UNIMPLEMENTED until it lands.
std::unique_ptr<Engine> make_engine(JobKind kind, const EngineOptions& opts);

}  // namespace efaas::farm
