#pragma once
// OpenCL C for a table's folded constraints, generated from its constraint DAG (expr.hpp) so
// that the quotient is evaluated on the device with the LDE data where it already lies.
//
// The generated kernel `quotient_eval` needs the field helpers of kernels/opencl/field4.cl
// before it (bb_*, fp4_*, bit_rev). It computes, for every row i of the quotient domain (the
// first qn = 2^log_qn rows of LDE matrices of `stride` rows, bit-reversed coset order):
//   q_i = fold(constraints at row i) * zh_inv[bitrev(i) mod D]
// with the same Horner folding as air::eval_folded (result bit-identical), the next row of i at
// bitrev((bitrev(i) + D) mod qn), and writes q_i's four coordinates to out[k * qn + i].
// Only the nodes the constraints depend on are emitted; constants are inlined, so the source
// (and the program the OpenCL runtime caches by source) depends only on the table's shape.
//
// Kernel arguments, in order:
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
//   14 out                     __global uint*: 4 columns of qn
// Global size qn.
#include <string>

#include "prover/air/air.hpp"

namespace efaas::air {

inline constexpr const char* kQuotientKernelName = "quotient_eval";

std::string opencl_quotient_kernel(const TableAir& table);

}  // namespace efaas::air
