#pragma once
// Pieces the STARK prover and verifier must compute identically.
#include <cstdint>
#include <string_view>
#include <vector>

#include "prover/air/air.hpp"
#include "prover/common/status.hpp"
#include "prover/common/bits.hpp"
#include "prover/field/babybear_ext.hpp"
#include "prover/fri/fri_params.hpp"
#include "prover/hash/transcript.hpp"

namespace efaas::stark_internal {

inline constexpr std::string_view kDomainSeparator = "efaas-stark-v1";

// log2 of the number of quotient chunks: the smallest D = 2^k >= max_degree - 1.
uint32_t log_quotient_chunks(const air::TableAir& table);

// The columns some node of the table's constraint graph reads at the next row, ascending, as
// base columns of each committed matrix (aux: the 4 of each extension column). Only these are
// opened at g z: the constraints read no other column there, and the DEEP quotient of a column
// without a g z opening has its z term alone.
struct NextColumns {
  std::vector<uint32_t> main, pre, aux;
};
NextColumns next_columns(const air::TableAir& table);

void observe_header(Transcript& t, const air::MachineAir& machine, const FriParams& params,
                    std::span<const uint32_t> log_heights, std::span<const Fp> publics);

// Absorbs the public interactions (count, then bus, multiplicity, arity, values of each).
void observe_public_interactions(Transcript& t, std::span<const air::PublicInteraction> its);
// Sum of their LogUp terms; an error if a denominator is zero.
Result<Fp4> public_logup_sum(std::span<const air::PublicInteraction> its, const Fp4& alpha,
                             const Fp4& beta);

// Selector values at a point outside H (|H| = 2^log_n): L_first, L_last, x - g^-1, and Z_H(x).
struct Selectors {
  Fp4 is_first, is_last, is_transition, zh;
};
Selectors selectors_at(const Fp4& x, uint32_t log_n);

// a0 + a1 X + a2 X^2 + a3 X^3 for the four base-coordinate values of an extension column.
Fp4 ext_from_coords(const Fp4& a0, const Fp4& a1, const Fp4& a2, const Fp4& a3);

inline size_t bitrev(size_t i, uint32_t bits) { return reverse_bits(i, bits); }

}  // namespace efaas::stark_internal
