#pragma once
// The STARK prover and verifier for multi-table AIRs (prover/air) over BabyBear, with FRI
// (prover/fri) as the polynomial commitment's low-degree test.
//
// Protocol (both sides drive one Poseidon2 transcript in this order):
//   1. domain separator, FRI parameters (the Merkle hash included), machine name, table
//      heights, public inputs
//   2. preprocessed commitment (from the verifying key), main-trace commitment
//   3. LogUp challenges alpha, beta (Fp4); auxiliary-trace commitment; per-table LogUp sums
//   4. constraint-folding challenge; quotient commitment (chunks of degree < n per table)
//   5. out-of-domain point z; every committed column's value at z (and at g z for the trace
//      columns a constraint reads at the next row: stark_internal::next_columns)
//   6. DEEP challenge gamma; FRI on the DEEP quotients, one input per LDE height
// Every Merkle commitment (fixed, main, aux, quotient, FRI layers) uses FriParams::merkle_hash
// (Poseidon2 or BLAKE3); the transcript is Poseidon2 either way.
// The verifier checks each table's constraints at z against its quotient, that the LogUp sums
// cancel across the machine together with the public interactions' terms (absorbed in step 1), every Merkle opening, and FRI.
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "prover/air/air.hpp"
#include "prover/common/status.hpp"
#include "prover/fri/fri.hpp"
#include "prover/hash/poseidon2.hpp"
#include "prover/merkle/merkle.hpp"

namespace efaas {

// Progress: a stage name and the fraction of the whole proof done so far, in [0, 1].
using ProgressCallback = std::function<void(std::string_view stage, double fraction)>;

// Performance knobs; soundness lives in FriParams.
struct StarkConfig {
  // kOpenCl runs LDE, commitments, quotient, DEEP and FRI folding on OpenCL device
  // `opencl_device` (an index into list_opencl_devices(); one the machine does not have is
  // INVALID_ARGUMENT naming it) with the data kept there between stages (stark_opencl.hpp);
  // every backend gives the same proof.
  Backend backend = Backend::kAuto;
  int opencl_device = 0;
  size_t threads = 0;
  // The prover's own checks: constraints on the trace and the LogUp balance before proving.
  // Tests turn them off to see the verifier reject a bad witness.
  bool check_witness = true;
  // Soundness tests only (with check_witness off): the last LogUp table claims the sum that
  // balances the buses, its running sum shifted to match on every row but the wrap-around;
  // the verifier must reject (air::TableAir::finalize).
  bool forge_logup_balance_for_testing = false;
  ProgressCallback progress;
  const std::atomic<bool>* cancel = nullptr;  // checked between stages: CANCELLED
  // Host backends: the most bytes of main, auxiliary and quotient LDEs kept in memory. LDEs are
  // held as 2^log_blowup coset blocks; when all of them do not fit, the largest are streamed:
  // only some blocks (and maybe their coefficients) stay, the others are recomputed by a coset
  // NTT for each pass that reads them (commit, quotient, query openings). The proof is
  // the same bit for bit; only memory and CPU time change (docs/stark.md). The default keeps a
  // 2^20-row zkWASM segment under 4 GiB. Ignored by the OpenCL pipeline (data on the device).
  size_t max_lde_bytes = size_t(2432) << 20;
};

// Per-stage wall time of the last proof (seconds).
struct StarkTimings {
  double trace_lde = 0, trace_commit = 0, aux = 0, quotient = 0, ood = 0, deep = 0, fri = 0;
  double total = 0;
  // Host backends: LDEs streamed under StarkConfig::max_lde_bytes, and the coset blocks computed
  // again after their first time (the recomputation's cost, in blocks of n rows).
  size_t streamed_ldes = 0, recomputed_blocks = 0;
  // ... and the blocks computed again at the opened rows only (the query openings).
  size_t partly_recomputed_blocks = 0;
};

// Preprocessed (fixed) columns and their commitment: the circuit-specific part of the key.
struct VerifyingKey {
  std::string machine;
  FriParams params;
  std::vector<int32_t> pre_log_heights;  // per table; -1 for tables without fixed columns
  std::optional<Digest> pre_root;
  std::vector<MatrixDims> pre_dims;      // commit order: tables with fixed columns, in order
};

struct ProvingKey {
  VerifyingKey vk;
  std::vector<std::vector<Fp>> pre_traces;  // per table, column-major (empty if none)
  std::vector<std::vector<Fp>> pre_ldes;    // LDEs, column-major, bit-reversed order
  std::optional<MerkleTree> pre_tree;
};

// `pre_traces[t]`: table t's fixed columns, column-major, pre_width columns of 2^k rows each
// (empty for tables without). Tables must be finalized.
Result<ProvingKey> stark_setup(const air::MachineAir& machine,
                               std::vector<std::vector<Fp>> pre_traces, const FriParams& params,
                               const StarkConfig& cfg = {});
// The verifier can recompute the key from the fixed columns alone (and cache it).
Result<VerifyingKey> stark_verifying_key(const air::MachineAir& machine,
                                         std::vector<std::vector<Fp>> pre_traces,
                                         const FriParams& params);

struct TableOpenings {
  // Per base column; the *_next vectors hold only the columns next_columns() lists, in order.
  std::vector<Fp4> main, main_next, pre, pre_next, aux, aux_next;
  std::vector<Fp4> quotient;                                       // per base column of chunks
};

struct StarkProof {
  FriParams params;
  std::vector<uint32_t> log_heights;  // per table
  std::vector<Fp> publics;
  Digest main_root{};
  std::optional<Digest> aux_root;
  std::vector<Fp4> aux_sums;          // per table (zero where unused)
  Digest quotient_root{};
  std::vector<TableOpenings> openings;
  std::optional<MerkleBatchOpening> pre_queries;
  MerkleBatchOpening main_queries;
  std::optional<MerkleBatchOpening> aux_queries;
  MerkleBatchOpening quotient_queries;
  FriProof fri;
};

// A witness: per table, its main columns (column-major, main_width columns of 2^k rows).
struct MachineWitness {
  std::vector<std::vector<Fp>> main;
  std::vector<Fp> publics;
  // Bus terms the verifier supplies too (stark_verify's `public_interactions`); not in the proof.
  std::vector<air::PublicInteraction> public_interactions;
};

Result<StarkProof> stark_prove(const air::MachineAir& machine, const ProvingKey& pk,
                               const MachineWitness& witness, const StarkConfig& cfg = {},
                               StarkTimings* timings = nullptr);

// OK for a valid proof; otherwise the reason it was rejected (INVALID_ARGUMENT).
// `public_interactions` must be the prover's MachineWitness::public_interactions, in order.
Status stark_verify(const air::MachineAir& machine, const VerifyingKey& vk,
                    const StarkProof& proof,
                    std::span<const air::PublicInteraction> public_interactions = {});

// Versioned binary format with a parameter header; parsing rejects malformed, truncated,
// oversized and trailing input with a message naming the field.
std::vector<uint8_t> serialize_proof(const StarkProof& proof);
Result<StarkProof> deserialize_proof(std::span<const uint8_t> bytes);

// Where the serialized proof's bytes go: one part per row, the parts summing to
// serialize_proof(proof).size(). `table` is the table index for per-table parts (-1 otherwise);
// `machine`, when given, names the tables of the fixed and aux trees' matrices.
struct ProofSizePart {
  std::string name;
  int table = -1;
  size_t bytes = 0;
};
std::vector<ProofSizePart> proof_size_breakdown(const StarkProof& proof,
                                                const air::MachineAir* machine = nullptr);

}  // namespace efaas
