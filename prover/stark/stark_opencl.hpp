#pragma once
// The STARK prover's OpenCL pipeline (StarkConfig::backend == kOpenCl): trace LDEs, Merkle
// leaves, quotient evaluation and DEEP quotients run on one device with the data kept there
// between stages. stark_prover.cpp drives the protocol; these pieces do its heavy stages.
//
// Transfers per proof: each trace (main, fixed, LogUp aux) is uploaded once; the quotient's
// coefficients (4 D n elements per table, needed on the host for the out-of-domain openings) are
// read back; the DEEP quotients stay on the device for FRI (fri_opencl.hpp), which reads back
// its small final vector; the LDE matrices and FRI layers are read back only at the query
// phase, and only the row blocks the Merkle openings touch (fetch_rows).
//
// Functions enqueue on the device's in-order queue; a kernel's failure surfaces as a Status at
// the next blocking read (or OpenClDevice::finish()), never as a crash.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "prover/air/air.hpp"
#include "prover/air/opencl_codegen.hpp"
#include "prover/common/status.hpp"
#include "prover/device/host_mirror.hpp"
#include "prover/device/opencl_runtime.hpp"
#include "prover/field/babybear_ext.hpp"
#include "prover/hash/poseidon2_opencl.hpp"

namespace efaas::stark_internal {

// A column-major matrix in device memory.
struct DeviceMatrix {
  OpenClBuffer buffer;
  size_t rows = 0, cols = 0;
  OpenClMatrix view() const { return {&buffer, 0, rows, cols, Layout::kColMajor}; }
};

// Uploads `trace` (cols columns of 2^log_n, natural order) and extends it on the device to the
// FRI coset (fri_domain_shift), 2^(log_n + log_blowup) rows in bit-reversed order: what
// lde_columns computes on the host.
Result<DeviceMatrix> opencl_trace_lde(OpenClDevice& dev, std::span<const Fp> trace, size_t cols,
                                      uint32_t log_n, uint32_t log_blowup);

// The generated quotient program of a table (stark.cl + opencl_codegen), built once per device
// and table shape through the runtime's program cache; its kernels are `parts` pieces of the
// constraint fold of at most max_nodes_per_kernel DAG nodes each (opencl_codegen.hpp).
struct QuotientProgram {
  const OpenClProgram* program = nullptr;
  uint32_t parts = 0;
};
Result<QuotientProgram> quotient_program(
    OpenClDevice& dev, const air::TableAir& table,
    size_t max_nodes_per_kernel = air::kQuotientNodesPerKernel);

// Inputs of the quotient kernel (opencl_codegen.hpp documents each); host vectors are uploaded.
struct QuotientEvalArgs {
  const DeviceMatrix* main = nullptr;
  const DeviceMatrix* pre = nullptr;  // null: none
  const DeviceMatrix* aux = nullptr;  // null: none
  uint32_t log_qn = 0, log_d = 0;     // rows read: the first 2^log_qn of each matrix
  std::span<const Fp> is_first, is_last, is_transition;  // 2^log_qn each
  std::span<const Fp> zh_inv;                            // 2^log_d
  std::span<const Fp4> challenges;
  std::span<const Fp> publics;
  std::span<const Fp4> aux_publics;
  Fp4 alpha;
  size_t max_nodes_per_kernel = air::kQuotientNodesPerKernel;  // tests vary the split
};
// The quotient's values on the quotient domain: 4 base columns of 2^log_qn (bit-reversed
// order), on the device.
Result<OpenClBuffer> opencl_quotient_values(OpenClDevice& dev, const air::TableAir& table,
                                            const QuotientEvalArgs& args);

// From the values (consumed): the coefficients, split into D = 2^log_d chunks of n = 2^log_n,
// each chunk's 4 coordinate columns extended to the LDE coset (bit-reversed). chunk_coeffs[j][i]
// is coefficient i of chunk j (read back for the out-of-domain openings).
Status opencl_quotient_chunks(OpenClDevice& dev, OpenClBuffer& values, uint32_t log_n,
                              uint32_t log_d, uint32_t log_blowup,
                              std::vector<std::vector<Fp4>>& chunk_coeffs, DeviceMatrix& lde);

// One committed matrix's part of a DEEP quotient: per column, its coefficients for the value at
// z and at g z (zero where the column is not opened at g z).
struct DeepMatrixTerms {
  const DeviceMatrix* matrix = nullptr;
  std::vector<Fp4> coeff_z, coeff_zg;  // matrix->cols each
};
// sum_m sum_c (coeff_z (v_c(x) - cz) / (x - z) + coeff_zg (v_c(x) - czg) / (x - g z)) over the
// LDE coset of 2^log_h points (bit-reversed), where const_z / const_zg are the coefficient-
// weighted claimed values; all matrices 2^log_h rows. The result (2^log_h Fp4) stays on the
// device: FRI's input (fri_opencl.hpp).
Result<OpenClBuffer> opencl_deep_quotient(OpenClDevice& dev, std::span<const DeepMatrixTerms> terms,
                                          uint32_t log_h, Fp4 z, Fp4 gz, Fp4 const_z, Fp4 const_zg);

// Query phase: copies into `host` (the column-major host matrix of the same shape, which the
// Merkle tree views) the aligned blocks of 2^log_block rows around each row in `rows`.
Status fetch_rows(const DeviceMatrix& m, std::span<const size_t> rows, uint32_t log_block,
                  std::span<Fp> host);

}  // namespace efaas::stark_internal
