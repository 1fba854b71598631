#pragma once
// The farm's zkWASM job contract (docs/farm.md): the parameters of both zkWASM job kinds and
// the streaming checks of their inputs, exposed for tests and the fuzz target. The engine
// itself is make_zkwasm_engine() (engine.hpp).
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "prover/farm/engine.hpp"
#include "prover/farm/types.hpp"
#include "prover/hash/keccak.hpp"
#include "prover/wasm/module.hpp"
#include "prover/zkwasm/zkwasm.hpp"

namespace efaas::farm {

// One proving unit of zkWASM: this many executed WASM instructions, rounded up. A proof has a
// fixed cost too (the 2^16-row range table, the program's tables): measured at about that of
// 4 units (bench/RESULTS.md, Prover farm), so a job is at least kZkwasmMinUnits.
inline constexpr uint64_t kZkwasmInstructionsPerUnit = 1024;
inline constexpr uint64_t kZkwasmMinUnits = 4;
// The units of a proof of `instructions` executed instructions.
inline uint64_t zkwasm_units(uint64_t instructions) {
  const uint64_t u = (instructions + kZkwasmInstructionsPerUnit - 1) / kZkwasmInstructionsPerUnit;
  return u < kZkwasmMinUnits ? kZkwasmMinUnits : u;
}
// Module jobs: the farm executes at most this many instructions (the reservation's bound):
// 16 segments of the default 2^20 rows. Memory: a parsed trace takes 40 bytes per record, and
// while a module job executes its encoded trace is held too, so a module job holds up to
// kZkwasmModuleBytesPerInstruction per instruction of its bound (1.25 GiB here) of the farm's
// inflight_budget_bytes until the execution ends, then 40 bytes per record.
inline constexpr uint64_t kZkwasmMaxModuleInstructions = uint64_t(1) << 24;
inline constexpr uint64_t kZkwasmTraceRecordBytes = 40;  // sizeof(wasm::StepRecord)
inline constexpr uint64_t kZkwasmModuleBytesPerInstruction = 2 * kZkwasmTraceRecordBytes;

// JobHeader.params_json of zkWASM jobs; every key optional.
struct ZkwasmParams {
  std::variant<std::monostate, std::string, uint32_t> entry;  // export name or function index
  std::vector<uint64_t> args;
  std::string preset = "production";  // a fri_preset name: production, production-poseidon2, test
  std::optional<uint64_t> gas_limit;  // module jobs only
  // Trace jobs only: the Extension's public input (wasm::encode_public_inputs), which the trace
  // does not hold; module jobs take it from the input they execute.
  std::vector<uint8_t> public_input;
  // Continuations: segments of at most 2^segment_log execution rows (kMinSegmentLog ..
  // kMaxSegmentLog, config.hpp); unset: the farm's FarmConfig::segment_log.
  std::optional<uint32_t> segment_log;
};
// The longest public input a trace job takes: an Operation's Data (at most 1 MiB) and its framing.
inline constexpr size_t kZkwasmMaxPublicInputBytes = 4 + (size_t(1) << 20) + 72;

// Unknown keys, wrong types and out-of-range values are INVALID_ARGUMENT naming the key.
Expected<ZkwasmParams> parse_zkwasm_params(const std::string& params_json, JobKind kind);

// The defined function a job runs: `entry` resolved against the module (default: the trace's
// own entry function for trace jobs, efaas_main for module jobs), with the argument count
// checked against its type.
Expected<uint32_t> resolve_zkwasm_entry(const wasm::Module& m, const ZkwasmParams& p,
                                        std::optional<uint32_t> trace_entry);

// Streaming checks: the EFWTRACE stream (framing, checksums, and every step's opcode against
// the module's code at its pc: a trace of another module fails at its first step), and the
// canonical Extension input's framing (wasm::decode_extension_input).
std::unique_ptr<InputCheck> make_trace_check(std::shared_ptr<const wasm::Module> module,
                                             ZkwasmParams params);
std::unique_ptr<InputCheck> make_extension_input_check();

// Checkpoints of a split job (EngineHooks::save_piece, docs/farm.md "Persistence and
// restarts"): one proved segment of `count`, with the digest of the run it belongs to.
// "EFZKSEG2", run digest, index, count, exit state, exit cursor (as in the bundle: a flag
// byte, then an I/O or zero-local cursor), keys and exit values, the STARK proof. "EFZKSEG1"
// (before the cursor) is refused by name, so such a segment is proved again.
struct ZkwasmCheckpoint {
  Hash256 run{};
  uint32_t index = 0, count = 0;
  zkwasm::Segment segment;
};
std::vector<uint8_t> serialize_zkwasm_checkpoint(const ZkwasmCheckpoint& c);
// Refuses bad magic, counts, truncation and trailing bytes, naming the field.
Expected<ZkwasmCheckpoint> parse_zkwasm_checkpoint(std::span<const uint8_t> bytes);
// What a job's checkpoints are bound to: its kind, module, input hash, parameters and the
// segment size it is proved with (the farm's default may change across a restart).
Hash256 zkwasm_run_digest(const EngineJob& job, uint32_t segment_log);

}  // namespace efaas::farm
