#pragma once
// OpenCL C for a table's folded constraints, generated from its constraint DAG (expr.hpp) so
// that the quotient is evaluated on the device with the LDE data where it already lies.
//
// The generated kernels need the field helpers of kernels/opencl/field4.cl before them (bb_*,
// fp4_*, bit_rev). Together they compute, for every row i of the quotient domain (the first
// qn = 2^log_qn rows of LDE matrices of `stride` rows, bit-reversed coset order):
//   q_i = fold(constraints at row i) * zh_inv[bitrev(i) mod D]
// with the same Horner folding as air::eval_folded (result bit-identical), the next row of i at
// bitrev((bitrev(i) + D) mod qn), and write q_i's four coordinates to out[k * qn + i].
//
// The constraints are split, in order, into parts of at most max_nodes_per_kernel DAG nodes
// (a constraint larger than that gets a part of its own), one kernel per part:
// quotient_eval_0, quotient_eval_1, ... launched in that order over the same `out`. Part 0
// starts the Horner accumulator at zero, later parts continue from `out`, the last multiplies
// by Z_H^-1. Why: one straight-line kernel of a whole table's DAG (3392 nodes for the zkWASM exec
// table) takes an optimizing compiler minutes (PoCL: > 5 min of one core), while parts of a few
// hundred nodes optimize in seconds each; nodes shared across parts are evaluated
// once per part that needs them. Only the nodes a part's constraints depend on are emitted;
// constants are inlined, so the source (and the program the OpenCL runtime caches by source)
// depends only on the table's shape.
//
// Arguments of every kernel, in order:
//   0 main, 1 pre, 2 aux       __global const uint*: column-major, `stride` rows per column
//                              (aux: 4 base columns per extension column); a dummy when absent
//   3 stride                   ulong
//   4 log_qn, 5 log_d          uint
//   6 is_first, 7 is_last, 8 is_transition   __global const uint*: selector values per row
//   9 zh_inv                   __global const uint*: D values
//   10 challenges              __global const uint4*
//   11 publics                 __global const uint*
//   12 aux_publics             __global const uint4*
//   13 alpha                   uint4
//   14 out                     __global uint*: 4 columns of qn (the accumulator between parts)
// Global size qn.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "prover/air/air.hpp"

namespace efaas::air {

inline constexpr const char* kQuotientKernelName = "quotient_eval";
// PoCL 3.1's optimizing build time grows faster than linearly with a kernel's size (bench/
// RESULTS.md, session 9): the exec table's 3392 nodes took minutes per 2000-node part, and 43
// CPU-s in all as 16 parts of at most 300 nodes.
inline constexpr size_t kQuotientNodesPerKernel = 300;

struct QuotientKernels {
  std::string source;
  uint32_t parts = 0;  // kernels quotient_eval_0 .. quotient_eval_{parts-1}
};

QuotientKernels opencl_quotient_kernels(const TableAir& table,
                                        size_t max_nodes_per_kernel = kQuotientNodesPerKernel);
// "quotient_eval_<part>".
std::string quotient_kernel_name(uint32_t part);
// The constraint indices of each part, in order (what opencl_quotient_kernels emits).
std::vector<std::vector<uint32_t>> split_constraints(const TableAir& table,
                                                     size_t max_nodes_per_kernel);

}  // namespace efaas::air
