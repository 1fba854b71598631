#pragma once
// The optimal ate pairing on BN254, e: G1 x G2 -> GT (a subgroup of Fq12*), for verification.
// Miller loop over 6x+2 with affine line functions on the twist, then the final exponentiation
// f^((p^12-1)/r) split as (p^6-1) by conjugation and inversion, then (p^6+1)/r.
#include <span>
#include <utility>

#include "prover/ec/curve.hpp"

namespace efaas::bn254 {

Fq12 miller_loop(const G1Affine& p, const G2Affine& q);
Fq12 final_exponentiation(const Fq12& f);
Fq12 pairing(const G1Affine& p, const G2Affine& q);
// prod e(p_i, q_i) == 1, with one final exponentiation.
bool pairing_product_is_one(std::span<const std::pair<G1Affine, G2Affine>> pairs);

}  // namespace efaas::bn254
