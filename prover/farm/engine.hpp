#pragma once
// A proof system as the farm sees it: one engine per job kind, with an estimate (proving
// units), a check of the input as it streams in, prove (with progress and stop between stages)
// and verify. Groth16 in groth16_engine.cpp, both zkWASM kinds in zkwasm_engine.cpp.
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
  // The exact units once the engine knows them (zkWASM: the executed instructions), never more
  // than the units reserved at admission; the job is charged for these.
  std::function<void(uint64_t units)> exact_units;
};

// Checks a job's input as it streams in, before it is stored: the chunks in order, then
// finish() when the stream is complete. Holds bounded state (never the whole input).
class InputCheck {
 public:
  virtual ~InputCheck() = default;
  virtual Outcome feed(std::span<const uint8_t> bytes) = 0;
  virtual Outcome finish() = 0;
  // After finish(): the job's exact units when the input alone tells (a zkWASM trace's
  // instruction count); 0 when it does not.
  virtual uint64_t exact_units() const { return 0; }
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
  // Proving units of a job, from its header (artifact, parameters, input size): checks the
  // parameters and reserves that many units at admission. Deterministic; Groth16 charges
  // exactly this, zkWASM an upper bound refined through EngineHooks::exact_units.
  virtual Expected<uint64_t> units(const EngineJob& job) = 0;
  // A streaming check of the input for an admitted job, or nullptr when the kind has none.
  virtual Expected<std::unique_ptr<InputCheck>> input_check(const EngineJob&) {
    return std::unique_ptr<InputCheck>();
  }
  // The proof (a self-contained byte string). Returns CANCELLED when should_stop() said so.
  virtual Expected<std::vector<uint8_t>> prove(const EngineJob& job, const EngineHooks& hooks) = 0;
  // Whether `proof` is a valid proof for this job's artifact (and the public values inside it).
  virtual Expected<bool> verify(const EngineJob& job, std::span<const uint8_t> proof) = 0;
};

struct EngineOptions {
  size_t threads = 0;          // CPU threads for one proof (0: all cores)
  int64_t stage_delay_ms = 0;  // testing aid: a pause before each stage (0 in production)
};

// The engine for a kind.
std::unique_ptr<Engine> make_engine(JobKind kind, const EngineOptions& opts);
std::unique_ptr<Engine> make_groth16_engine(const EngineOptions& opts);
std::unique_ptr<Engine> make_zkwasm_engine(JobKind kind, const EngineOptions& opts);

}  // namespace efaas::farm
