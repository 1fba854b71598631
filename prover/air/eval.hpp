#pragma once
// Evaluating a table's constraints: over a block of domain rows (the prover's quotient and its
// own trace check) and at a single point in Fp4 (the verifier, out of domain).
// Constraints are folded with a challenge alpha by Horner's rule, in constraint order:
//   folded = (((C_0) alpha + C_1) alpha + ...) + C_{k-1}
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "prover/air/air.hpp"

namespace efaas::air {

// Rows of a domain, each matrix column-major with `stride` elements per column. Aux columns are
// stored as 4 base columns per extension column (coordinate c of aux column k at column 4k+c).
struct DomainSource {
  const Fp* main = nullptr;
  const Fp* pre = nullptr;
  const Fp* aux = nullptr;
  size_t stride = 0;
  const uint32_t* next = nullptr;  // next[i]: the row holding the point g * x_i
  const Fp* is_first = nullptr;    // selector values per row
  const Fp* is_last = nullptr;
  const Fp* is_transition = nullptr;
  std::span<const Fp4> challenges;
  std::span<const Fp> publics;
  std::span<const Fp4> aux_publics;
  bool simd = false;  // AVX2 column kernels where usable (same results as scalar)
};

// out[i - begin] = folded constraints at row i, for i in [begin, end).
void eval_folded(const TableAir& table, const DomainSource& src, size_t begin, size_t end,
                 Fp4 alpha, Fp4* out);

// Base-field expressions on rows [begin, end): out[k * (end - begin) + (i - begin)] = exprs[k]
// at row i (the LogUp multiplicities and tuple values).
void eval_base_exprs(const TableAir& table, const DomainSource& src, size_t begin, size_t end,
                     std::span<const Expr> exprs, Fp* out);

// The first constraint that does not vanish, scanning rows in order: (row, constraint index).
struct Violation {
  size_t row;
  size_t constraint;
};
std::optional<Violation> first_violation(const TableAir& table, const DomainSource& src,
                                         size_t rows);
// The same over rows [begin, end).
std::optional<Violation> first_violation(const TableAir& table, const DomainSource& src,
                                         size_t begin, size_t end);

// Values at one point (the verifier's out-of-domain point z and g z).
struct PointValues {
  std::vector<Fp4> main, main_next, pre, pre_next, aux, aux_next;
  Fp4 is_first, is_last, is_transition;
  std::span<const Fp4> challenges;
  std::span<const Fp> publics;
  std::span<const Fp4> aux_publics;
};
Fp4 eval_folded_at_point(const TableAir& table, const PointValues& v, Fp4 alpha);
// The value at one point of every node of the table's graph with id <= last (nodes are in
// topological order): the plain definition the block evaluators are tested against.
std::vector<Fp4> eval_nodes_at_point(const TableAir& table, const PointValues& v, uint32_t last);

}  // namespace efaas::air
