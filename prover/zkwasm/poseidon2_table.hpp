#pragma once
// Poseidon2 inside the zkWASM AIR (docs/zkwasm.md "Private input"): one permutation of
// prover/hash/poseidon2.hpp (width 16, x^7, 8 full + 13 partial rounds, its constants) per row,
// with an intermediate column per S-box so every constraint has degree 3:
//   full round:    t = s + rc; cube = t^3; out = M_E(cube^2 t)   (16 cube + 16 out columns)
//   partial round: t = s0 + rc; cube = t^3; x = cube^2 t; s = M_I(x, s1..s15)  (2 columns)
// The state between partial rounds is a linear expression of columns, not stored.
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

}  // namespace efaas::zkwasm::p2
