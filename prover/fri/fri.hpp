#pragma once
// FRI low-degree test over Fp4 with inputs at several heights (Plonky3's two-adic FRI PCS
// shape). Each input is a vector of evaluations, in bit-reversed order, on the coset
// s * H_h (s = the field generator), of a polynomial of degree < h / blowup. Folding starts with
// the tallest input; when the folded vector reaches the height of another input, that input is
// added in (times beta^(2^k) at a fold by 2^k). Arity 2^k (FriParams::log_arity, less where an
// input's height or the final domain comes first: fri_internal::fold_schedule): a layer's Merkle
// leaf is the 2^k values adjacent in bit-reversed order that fold into one, f(x w^i) for the
// 2^k-th roots of unity w^i; the fold is k folds by 2 with beta, beta^2, ..., beta^(2^(k-1)).
// The opened leaf omits the value at the query's own position: the verifier has it already (an
// input value or the previous layer's fold) and puts it back before checking the Merkle path.
//
// The caller (the STARK prover/verifier) commits the inputs itself; at query time FRI hands it
// the query indices (at the tallest height) and receives the inputs' values there.
#include <cstddef>
#include <functional>
#include <span>
#include <vector>

#include "prover/common/status.hpp"
#include "prover/field/babybear_ext.hpp"
#include "prover/fri/fri_params.hpp"
#include "prover/hash/transcript.hpp"
#include "prover/merkle/merkle.hpp"
#include "prover/ntt/ntt.hpp"

namespace efaas {

struct FriInput {
  uint32_t log_height = 0;
  std::vector<Fp4> evals;  // 2^log_height values, bit-reversed order on s * H
};

struct FriProof {
  std::vector<Digest> commitments;               // one per folding layer
  // Per layer: rows[q] = {the leaf's 2^k Fp4 values but the query's own, 4 (2^k - 1) Fp}.
  std::vector<MerkleBatchOpening> layer_openings;
  std::vector<Fp4> final_poly;                   // 2^log_final_poly_len coefficients
  Fp pow_witness;
  std::vector<size_t> query_indices;             // not serialized: re-derived by the verifier
};

// The coset shift of every LDE domain.
Fp fri_domain_shift();

// `inputs` sorted by strictly decreasing height, the tallest at least
// 2^(log_final_poly_len + log_blowup + 1)... or equal to it (no folding layer then).
// `open_inputs` is called once with the query indices (at the tallest height) so the caller can
// record its own openings. With check_degree, a final vector of too high a degree (an input
// that is not low-degree) is an error instead of a proof that fails verification.
Result<FriProof> fri_prove(const FriParams& params, std::vector<FriInput> inputs,
                           Transcript& transcript, const FriProverConfig& cfg,
                           const std::function<void(std::span<const size_t>)>& open_inputs,
                           bool check_degree = true);

// `log_heights`: the inputs' heights, strictly decreasing. `input_values` receives the query
// indices and returns, per query, the inputs' values in the same order (verifying the caller's
// own openings), or an error that rejects the proof.
using FriInputValues =
    std::function<Result<std::vector<std::vector<Fp4>>>(std::span<const size_t>)>;
Status fri_verify(const FriParams& params, std::span<const uint32_t> log_heights,
                  const FriProof& proof, Transcript& transcript,
                  const FriInputValues& input_values);

}  // namespace efaas
