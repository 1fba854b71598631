#pragma once
// Poseidon2 inside the zkWASM AIR (docs/zkwasm.md "Private input"): one permutation of
// prover/hash/poseidon2.hpp (width 16, x^7, 8 full + 13 partial rounds, its constants) per row,
// with an intermediate column per S-box so every constraint has degree 3:
//   full round:    t = s + rc; cube = t^3; out = M_E(cube^2 t)   (16 cube + 16 out columns)
//   partial round: t = s0 + rc; cube = t^3; x = cube^2 t; s = M_I(x, s1..s15)  (2 columns)
// The state between partial rounds is a linear expression of columns, not stored.
// Rows (below) spreads the same permutation over 5 rows of 69 columns: the private sponge's
// layout; the one-row layout stays as the tests' cross-check.
// Internal to prover/zkwasm (private_input.cpp and its tests).
#include <array>
#include <cstdint>
#include <span>

#include "prover/air/air.hpp"
#include "prover/hash/poseidon2.hpp"

namespace efaas::zkwasm::p2 {

struct Perm {
  static constexpr uint32_t kIn = 0;                      // 16: the input state
  static constexpr uint32_t kFull0 = kIn + 16;            // 4 rounds x (16 cube, 16 out)
  static constexpr uint32_t kPartial = kFull0 + 4 * 32;   // 13 rounds x (cube, x)
  static constexpr uint32_t kFull1 = kPartial + 2 * 13;   // 4 rounds x (16 cube, 16 out)
  static constexpr uint32_t kOut = kFull1 + 3 * 32 + 16;  // 16: the last round's output
  static constexpr uint32_t kWidth = kFull1 + 4 * 32;
};
static_assert(Perm::kOut + 16 == Perm::kWidth);

// Adds the permutation's constraints on columns [base, base + Perm::kWidth) of `t` (on every
// row). The output state is columns base + Perm::kOut.
void add_permutation_constraints(air::TableAir& t, uint32_t base);

// A table of permutations only (tests): one permutation per row, nothing linked.
air::TableAir permutation_table();

// The columns of one permutation of `in` (row-major, Perm::kWidth values).
void permutation_row(const Poseidon2State& in, std::span<Fp> row);

// The same permutation over Rows::kPerPerm rows (the private sponge): rows 0, 1, 3 and 4 of a
// permutation apply two full rounds each, row 2 the 13 partial rounds. A row holds its starting
// state (row 0: M_E of the input), the full rounds' cubes and the state between them, or the
// partial rounds' (cube, x^7) pairs in the same columns, and one-hot phase selectors that pick
// the round constants linearly; constraints are gated by the phase (degree 4). 74 columns with
// the sponge's own instead of 303, so 5 rows open about a quarter of the values per query.
struct Rows {
  static constexpr uint32_t kPerPerm = 5, kPartialRow = 2;
  static constexpr uint32_t kState = 0;                                     // 16
  static constexpr uint32_t kCube1 = 16, kMid = 32, kCube2 = 48;            // 16 each, full rows
  static constexpr uint32_t kPartial = 16;                                  // 13 x (cube, x^7)
  static constexpr uint32_t kPhase = 64;                                    // kPerPerm selectors
  static constexpr uint32_t kWidth = kPhase + kPerPerm;
};
static_assert(Rows::kPartial + 2 * kPoseidon2PartialRounds <= Rows::kPhase);

// Adds the constraints of Rows on columns [base, base + Rows::kWidth): the phases cycle 0..4
// from phase 0 on the first row; within a permutation each row's next state is its output.
// Returns expressions of the permutation's input (M_E^-1 of the row's state, meaningful on
// phase-0 rows; degree 1), the same of the next row's state, and of the output (meaningful on
// phase-4 rows; degree 3). Linking a phase-4 row to the next permutation's input is the caller's.
struct RowsExprs {
  std::array<air::Expr, 16> input, next_input, output;  // next_input: of the next row's state
};
RowsExprs add_rows_constraints(air::TableAir& t, uint32_t base);

// The Rows::kPerPerm rows of one permutation of `in` (row r's values at rows[r * Rows::kWidth]);
// returns the output state.
Poseidon2State permutation_rows(const Poseidon2State& in, std::span<Fp> rows);

}  // namespace efaas::zkwasm::p2
