#pragma once
// zkWASM: STARK proofs that a WebAssembly execution trace (prover/wasm/trace.hpp) is a correct
// run of a module. One universal AIR (air.cpp) for every module; the module enters only through
// fixed tables (program, globals' initial values, function table slots, br_table targets)
// and the public inputs (keccak256 of its bytes), so a module's verifying key is recomputed
// from its bytes.
// Design, tables and columns: docs/zkwasm.md.
//
// This slice proves executions of the opcodes listed in constrained_ops() (linear memory, the
// Extension host I/O, shifts, bit counts, i64.mul and div/rem included), including runs that end
// in unreachable, a division trap, an out-of-bounds load or store, a call_indirect trap,
// efaas.abort (its code public) or out of gas before an instruction (the gas limit public). Runs
// longer than one segment are split into segments chained by their boundary state
// (continuations, segments.cpp: control state, output cursor, memory words and the page count).
// Reads of the private input (kind 4) are proved with two more tables that hash it, its digest
// public (private_input.hpp). Other traps are refused with UNIMPLEMENTED (never an
// unconstrained row).
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "prover/air/air.hpp"
#include "prover/common/status.hpp"
#include "prover/hash/keccak.hpp"
#include "prover/common/bytes.hpp"
#include "prover/stark/stark.hpp"
#include "prover/wasm/module.hpp"
#include "prover/wasm/static_link.hpp"
#include "prover/wasm/trace_source.hpp"
#include "prover/wasm/trace.hpp"

namespace efaas::zkwasm {

// 2: public input and output bytes; 3: the output cursor in a split run's exit states;
// 6: the session-6 AIR (shift table, new traps); v5 proofs cannot verify; 7: the session-7
// AIR (out of gas, host I/O out of bounds, host call_indirect, the private input's tables),
// STARK proof format v2 (FRI folds by 8), the gas limit and private digest fields; 8: cuts
// inside a call's rows (exit cursors); 9: LogUp running sums that hold each table's last group;
// 10: STARK proof format v3 (the Merkle hash is a proof parameter; production commits with
// BLAKE3) and memory / table ids for link sets with several memories and tables.
inline constexpr uint32_t kBundleVersion = 10;
inline constexpr uint32_t kMaxArgs = 8;
// Continuations: a segment is at most 2^segment_log execution-table rows (steps and the
// zero-local rows of calls); longer runs are split.
inline constexpr uint32_t kDefaultSegmentLog = 20;
inline constexpr uint32_t kMinSegmentLog = 4;
// At most 2^21 rows per segment (and one-segment runs): the timestamp gaps of the execution
// table are checked below 2^24 (air_internal.hpp, kMaxLogExecRows).
inline constexpr uint32_t kMaxSegmentLog = 21;
inline constexpr uint32_t kMaxSegments = 1u << 16;

// The opcodes the AIR constrains in this version.
std::span<const wasm::Op> constrained_ops();
bool is_constrained(wasm::Op op);

// What a proof claims; every field is bound to the proof through the public inputs.
struct PublicValues {
  Hash256 module_hash{};
  uint32_t entry_function = 0;
  std::vector<uint64_t> args;     // the entry function's arguments (i32 zero-extended)
  uint32_t status = 0;            // 0 returned, 1 trapped (results then empty)
  uint32_t trap_code = 0;         // wasm::TrapCode 1..8, 10 (out of gas), 11, 12
  uint32_t abort_code = 0;        // efaas.abort's argument when trap_code is 11 (kHostAbort)
  std::vector<uint64_t> results;  // the entry function's results
  uint64_t gas_used = 0;
  uint64_t instructions = 0;
  // Host I/O of an Extension: the public input (encode_public_inputs(): kinds 0..3; empty when
  // the run had none) and the bytes written with output_write.
  std::vector<uint8_t> public_input;
  std::vector<uint8_t> output;
  // Out of gas (trap_code 10): the gas limit of the run, with gas_used <= gas_limit <
  // gas_used + the cost of the instruction not run, or of the byte gas of the input_read /
  // output_write that ran out of it (below kMaxGasLimit = 2^30); 0 for every other exit.
  uint64_t gas_limit = 0;
  // The private input's commitment (docs/zkwasm.md "Private input"): the Poseidon2 sponge digest
  // of the kind-4 bytes, present exactly when the run reads kind 4 (input_size or input_read).
  std::optional<Digest> private_digest;
  bool operator==(const PublicValues&) const = default;
};

// Values of a module's imported globals and memory that its proofs start from: constants the
// verifier supplies (docs/zkwasm.md, "Imported globals and memory"), committed in the fixed
// init table like the module's own initializers, never taken from the prover.
struct ImportValues {
  std::vector<uint64_t> globals;         // per imported global, in import order
  std::optional<uint32_t> memory_pages;  // an imported memory's size (its contents: zero below
                                         // the module's own data segments)
};

// A program of several modules linked statically (docs/zkwasm.md, "Linked modules"): the
// modules in instantiation order, the entry module last; each named as the others import it.
// Start functions run in that order (the verifier runs them, Program::load_linked).
struct LinkedModule {
  std::string name;
  std::vector<uint8_t> bytes;
};
struct LinkSpec {
  std::vector<LinkedModule> modules;
  // The module whose exports are proved, when not the last: the modules after it only leave
  // what their instantiation writes into the others' memory, table and globals (the last one's
  // start function may trap: an instantiation that failed after writing its segments).
  std::optional<uint32_t> entry;
  // Calls of the entry module's exports that the verifier runs, in order, on the instantiated
  // set before the proved call (each at most 2^26 gas; one that traps keeps what it wrote): the
  // proof is of a call on the state they leave (commands that ran before it).
  struct Call {
    std::string function;
    std::vector<uint64_t> args;
  };
  std::vector<Call> calls;
};
// The public module hash of a linked program: binds every module's bytes, name and place (and
// an entry module other than the last, and the calls run before the proved one).
Hash256 link_hash(const LinkSpec& spec);

// A module prepared for proving and verifying: its compiled code, hash and preprocessed
// tables. Keys are derived per FRI parameter set and cached.
class Program {
 public:
  static Result<std::shared_ptr<Program>> load(std::span<const uint8_t> module_bytes);
  // A module importing globals or its memory, with their values (the same for the prover and
  // the verifier, or the proof does not verify).
  static Result<std::shared_ptr<Program>> load(std::span<const uint8_t> module_bytes,
                                               const ImportValues& imports);

  // Linked modules merged into one (wasm::link_modules), with ImportValues for what no module
  // of the set defines; module_hash() is link_hash(spec), module() the combined module, whose
  // exports are the entry module's.
  static Result<std::shared_ptr<Program>> load_linked(const LinkSpec& spec,
                                                      const ImportValues& imports = {});

  const wasm::Module& module() const { return *module_; }
  std::shared_ptr<const wasm::Module> module_ptr() const { return module_; }
  const Hash256& module_hash() const { return hash_; }
  const air::MachineAir& air() const;
  const std::vector<std::vector<Fp>>& fixed_columns() const { return fixed_; }
  // The proving key (with the verifying key inside) for `params`, computed once; with_private:
  // of the machine with the private input's tables (runs that read kind 4).
  Result<std::shared_ptr<const ProvingKey>> proving_key(const FriParams& params,
                                                        bool with_private = false) const;
  Result<std::shared_ptr<const VerifyingKey>> verifying_key(const FriParams& params,
                                                            bool with_private = false) const;
  // How many times verifying_key() committed the fixed columns (at most once per blowup, Merkle
  // hash and machine; keys taken from a proving key do not count).
  size_t key_commitments() const;
  // Entry pc and initial stack height of a defined function.
  Result<std::pair<uint32_t, uint32_t>> entry(uint32_t func) const;

 private:
  // `set.starts` run in order (a module's own start function when empty); the last may trap
  // when `last_start_may_trap` (a linked set's failed instantiation after its entry module).
  // `calls` then run on the instantiated module (LinkSpec::calls).
  static Result<std::shared_ptr<Program>> from_module(
      wasm::LinkedSet set, const Hash256& hash, const ImportValues& imports,
      bool last_start_may_trap = false, std::span<const LinkSpec::Call> calls = {});
  std::shared_ptr<const wasm::Module> module_;
  Hash256 hash_{};
  std::vector<std::vector<Fp>> fixed_;
  mutable std::mutex mu_;
  mutable std::vector<std::pair<FriParams, std::shared_ptr<const ProvingKey>>> pks_;
  mutable std::vector<std::pair<FriParams, std::shared_ptr<const VerifyingKey>>> vks_;
  mutable std::vector<std::pair<FriParams, std::shared_ptr<const ProvingKey>>> private_pks_;
  mutable std::vector<std::pair<FriParams, std::shared_ptr<const VerifyingKey>>> private_vks_;
  mutable size_t key_commitments_ = 0;
};

// The machine state between two segments of a split run (before the next instruction).
struct SegmentState {
  uint32_t pc = 0, sp = 0, fp = 0, depth = 0;
  uint64_t gas = 0;           // gas used so far
  uint64_t instructions = 0;  // instructions executed so far
  uint64_t output = 0;        // output bytes written so far (the output cursor)
  // A boundary inside a host call's I/O rows (docs/zkwasm.md "Continuations"): the cursor of
  // the next I/O row (`instructions` then counts the host call itself); all zero at a
  // boundary between instructions.
  struct IoCursor {
    bool active = false, out = false;  // out: output_write's rows (else input_read's)
    uint32_t addr = 0, idx = 0, rem = 0, kind = 0;
    bool operator==(const IoCursor&) const = default;
  } io{};
  // A boundary inside a call's zero-local rows: the key of the next local to zero (the
  // callee's frame ends at sp); `instructions` counts the call.
  struct ZeroCursor {
    bool active = false;
    uint32_t next = 0;
    bool operator==(const ZeroCursor&) const = default;
  } zl{};
  bool operator==(const SegmentState&) const = default;
};

struct Segment {
  // Split runs only (more than one segment): the state after this segment, which is the next
  // one's entry (unused for the last), and the memory keys it touches, strictly increasing,
  // with their values at its exit. The values at entry are not sent: the verifier knows them
  // from the initial image and the earlier segments' exit values.
  SegmentState exit;
  std::vector<uint32_t> keys;
  std::vector<uint64_t> exit_values;
  StarkProof proof;
};

struct Bundle {
  uint32_t version = kBundleVersion;
  PublicValues publics;
  std::vector<Segment> segments;  // one for a run that fits one segment
};

struct ProveOptions {
  FriParams params = fri_test_preset();
  StarkConfig stark;
  // The prover's own check that the trace matches the module (first bad step named). Tests
  // turn it off (with stark.check_witness) to show that the verifier rejects forged traces.
  bool check_trace = true;
  std::vector<uint64_t> args;  // the invocation's arguments (the trace does not hold them)
  // An Extension's public input (wasm::encode_public_inputs), which the trace does not hold.
  std::vector<uint8_t> public_input;
  // An Extension's private input (kind 4; wasm::ExtensionInput::private_input). Needed only if
  // the run reads kind 4: its bytes are then committed by a public digest.
  std::optional<std::vector<uint8_t>> private_input;
  // Continuations: runs longer than 2^segment_log rows are split into segments, proved by
  // `segment_workers` threads at once (0: one per entry of `devices` when there are several,
  // else one per hardware thread, at most the segment count), each with its share of
  // stark.threads. Worker w proves with devices[w % size] (empty: stark.backend).
  uint32_t segment_log = kDefaultSegmentLog;
  uint32_t segment_workers = 0;
  std::vector<Backend> devices;
  // The OpenCL device index of each entry of `devices` (missing: stark.opencl_device).
  std::vector<int> opencl_devices;
  // Called once per proved segment (from the worker that proved it): its index, the segment
  // count and its proving wall time in seconds.
  std::function<void(uint32_t index, uint32_t count, double seconds)> on_segment;
  // Resuming a split run (the farm keeps finished segments across restarts): segments proved
  // before for this same run and options, by index, used only when the vector has one entry per
  // segment of the run. An entry is reused instead of proving its segment again when its exit
  // state, keys and exit values equal the witness's; otherwise that segment is proved. Its proof
  // is not checked here: verify() the bundle.
  std::vector<std::optional<Segment>> proved_segments;
  // Split runs: each segment once its proof is final (from the worker that proved it, or from
  // the witness builder with `reused` for an entry of proved_segments), e.g. to persist it.
  std::function<void(uint32_t index, uint32_t count, const Segment& segment, bool reused)>
      on_segment_proof;
};

// Witness generation from a recorded trace (no re-execution) and the STARK proof.
Result<Bundle> prove(const Program& program, const wasm::Trace& trace, const ProveOptions& opts,
                     StarkTimings* timings = nullptr);

// prove() from a recorded trace read through `source` (a file, or its bytes in memory): one
// checked pass finds the segments and the run's totals, then each segment's records are read
// just before its witness is built, so a split run holds about one segment's records per
// worker instead of the whole trace (40 bytes per record). The same bundle as prove() on the
// trace read whole; a run that fits one segment is read whole.
Result<Bundle> prove(const Program& program, wasm::TraceSource& source, const ProveOptions& opts,
                     StarkTimings* timings = nullptr);

// Checks a bundle against the module: recomputes the program commitment (cached in Program),
// the public inputs, and verifies the proof. OK with the checked public values, or
// INVALID_ARGUMENT "rejected: ..." naming the reason.
struct VerifyOptions {
  double min_security_bits = 0;  // reject proofs made with weaker FRI parameters
  // The Merkle hash the proofs must be committed with (a caller that will re-verify in a circuit
  // needs Poseidon2); empty: either, both being above the security the presets claim. A proof
  // whose declared hash is not accepted is rejected like one below min_security_bits.
  std::optional<MerkleHash> merkle_hash;
};
Result<PublicValues> verify(const Program& program, const Bundle& bundle,
                            const VerifyOptions& opts = {});

// Versioned binary bundle (kBundleVersion): "EFZKWASM", version, segment count, public values,
// then per segment (exit state and delta-encoded keys with exit values when there are several)
// its STARK proof. Parsing rejects bad magic, versions, counts, truncation and trailing bytes,
// naming the field.
std::vector<uint8_t> serialize_bundle(const Bundle& b);
Result<Bundle> deserialize_bundle(std::span<const uint8_t> bytes);

// A split segment's exit cursor as the bundle (and the farm's checkpoints) store it: a flag byte
// (0 none, 1 an I/O cursor: direction and kind bytes, address, index and bytes left u32; 2 a
// zero-local cursor: the next local's key u32). Reading checks the flag and the direction,
// naming the field after `name`.
void write_exit_cursor(ByteWriter& w, const SegmentState& e);
Status read_exit_cursor(ByteReader& r, SegmentState& e, const std::string& name);

// The public inputs of the AIR for `pv` (layout in air.cpp / docs/zkwasm.md).
Result<std::vector<Fp>> public_inputs(const Program& program, const PublicValues& pv);

}  // namespace efaas::zkwasm
