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

// (log_height, number of values) per input: the checks fri_prove documents.
Status check_inputs(const FriParams& params, std::span<const std::pair<uint32_t, size_t>> shapes);

// Called before layer `layer`'s tree is opened at `leaves` (a device pipeline reads back the
// rows the opening needs).
using LayerFetch =
    std::function<Status(size_t layer, const MerkleTree& tree, std::span<const size_t> leaves)>;

// After the commit phase: `trees` holds the layer commitments (already observed), `cur` the last
// folded vector on `shift` * H (bit-reversed). Interpolates the final polynomial, grinds, samples
// the queries and opens every layer.
Result<FriProof> finish(const FriParams& params, uint32_t log_max, std::vector<MerkleTree> trees,
                        std::span<const Fp4> cur, Fp shift, Transcript& transcript,
                        const FriProverConfig& cfg,
                        const std::function<void(std::span<const size_t>)>& open_inputs,
                        bool check_degree, const LayerFetch& fetch_layer, FriProof proof);

}  // namespace efaas::fri_internal
