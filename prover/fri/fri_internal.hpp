#pragma once
// Pieces of the FRI prover shared by the host (fri.cpp) and OpenCL (fri_opencl.cpp) commit
// phases, so that both end in the same final polynomial, grinding and query openings.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <utility>
#include <vector>

#include "prover/fri/fri.hpp"

namespace efaas::fri_internal {

// One committed layer: its log height and the log of the arity it folds by. Its Merkle leaves
// are the 2^log_arity consecutive values (a coset of the 2^log_arity-th roots of unity, in
// bit-reversed order) that fold into one value of the next layer.
struct FoldLayer {
  uint32_t log_height = 0;
  uint32_t log_arity = 0;
};

// The layers from the tallest input down to the final domain: each folds by 2^params.log_arity,
// less where that would pass the final domain or the height of another input, so that every
// input joins at a layer boundary (the verifier knows each input's value only at the query).
// `log_heights` strictly decreasing, checked by check_inputs.
std::vector<FoldLayer> fold_schedule(const FriParams& params, std::span<const uint32_t> log_heights);

// (log_height, number of values) per input: the checks fri_prove documents.
Status check_inputs(const FriParams& params, std::span<const std::pair<uint32_t, size_t>> shapes);

// Called before layer `layer`'s tree is opened at `leaves` (a device pipeline reads back the
// rows the opening needs).
using LayerFetch =
    std::function<Status(size_t layer, const MerkleTree& tree, std::span<const size_t> leaves)>;

// After the commit phase: `trees` holds the layer commitments (already observed), `cur` the last
// folded vector on `shift` * H (bit-reversed). Interpolates the final polynomial, grinds, samples
// the queries and opens every layer (without the value the verifier folds itself).
Result<FriProof> finish(const FriParams& params, uint32_t log_max,
                        std::span<const FoldLayer> schedule, std::vector<MerkleTree> trees,
                        std::span<const Fp4> cur, Fp shift, Transcript& transcript,
                        const FriProverConfig& cfg,
                        const std::function<void(std::span<const size_t>)>& open_inputs,
                        bool check_degree, const LayerFetch& fetch_layer, FriProof proof);

}  // namespace efaas::fri_internal
