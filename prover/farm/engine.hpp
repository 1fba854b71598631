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

#include "prover/device/backend.hpp"
#include "prover/farm/types.hpp"

namespace efaas::farm {

struct EngineJob {
  JobSpec spec;
  std::string artifact_path;  // the stored artifact (.zkey, WASM module), may be empty
  std::string input_path;     // the streamed input (witness, trace, program input)
  // The device slots the farm placed the job on (docs/farm.md, "Devices and placement"): the
  // first is the job's own, the others were idle and lent for its segments. Empty: the
  // engine's default (the CPU).
  std::vector<Backend> devices;
  // The OpenCL device index of each entry of `devices` (opencl:N gives N; missing: 0).
  std::vector<int> opencl_devices;
  std::string id;          // the job id (for log lines)
  std::string input_hash;  // hex keccak256 of the input (checkpoints are bound to it)
};

struct EngineHooks {
  // Called at each stage start and as work progresses (fraction of the whole job, 0..1).
  std::function<void(const std::string& stage, double fraction)> progress;
  // True when the job must stop (cancelled, or past its deadline): checked between stages.
  std::function<bool()> should_stop;
  // The exact units once the engine knows them (zkWASM: the executed instructions), never more
  // than the units reserved at admission; the job is charged for these.
  std::function<void(uint64_t units)> exact_units;
  // The time left as the engine measures it (zkWASM: from the segments proved so far); the
  // farm then judges the deadline on it and reports it instead of its rate-based estimate.
  std::function<void(double seconds)> time_left;
  // Holds `bytes` of the farm's in-flight memory budget for the job (replacing what it held
  // before; released when the job ends): waits while the budget is spent. CANCELLED when the
  // job is stopped while waiting, RESOURCE_EXHAUSTED when `bytes` exceeds the whole budget.
  std::function<Outcome(uint64_t bytes)> hold_memory;
  // Checkpoints of a job that splits (zkWASM segments), kept across restarts: what earlier
  // attempts of this job saved, by piece index (opaque bytes the engine checks before use), a
  // durable save of each newly proved piece, and how many pieces came from the checkpoints.
  std::function<std::vector<std::pair<uint32_t, std::vector<uint8_t>>>()> saved_pieces;
  std::function<void(uint32_t index, std::span<const uint8_t> bytes)> save_piece;
  std::function<void(uint32_t reused)> pieces_reused;
  // A job whose size is known only while proving (zkWASM module jobs: after the execution)
  // asks for idle slots to prove its `pieces` on: the backend and OpenCL device index of each
  // slot lent to it (its own excluded), possibly none.
  std::function<std::vector<std::pair<Backend, int>>(uint32_t pieces)> borrow_slots;
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
  // Input bytes the check holds in memory now (a trace chunk not yet complete); the stream
  // holds that much of the farm's in-flight budget before its next read.
  virtual uint64_t buffered_bytes() const { return 0; }
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
  // True when units() is only an upper bound until prove() reports exact_units (the farm then
  // judges deadlines on the exact count instead of the bound).
  virtual bool units_are_bounds() const { return false; }
  // Whether jobs of this kind run on a device of this backend (every engine runs on the CPU).
  virtual bool runs_on(Backend b) const { return b != Backend::kOpenCl; }
  // How many pieces the job splits into that devices can prove at once (zkWASM: its segments,
  // estimated from its units and segment size); 1 when it cannot be split.
  virtual uint32_t parallel_pieces(const JobSpec&, uint64_t /*units*/) const { return 1; }
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
  uint32_t segment_log = 20;   // zkWASM: the farm's default segment size (FarmConfig)
  uint64_t memory_budget = 0;  // FarmConfig::inflight_budget_bytes (0: unbounded)
};

// The engine for a kind.
std::unique_ptr<Engine> make_engine(JobKind kind, const EngineOptions& opts);
std::unique_ptr<Engine> make_groth16_engine(const EngineOptions& opts);
std::unique_ptr<Engine> make_zkwasm_engine(JobKind kind, const EngineOptions& opts);

}  // namespace efaas::farm
