#pragma once
// FRI's commit phase on an OpenCL device, for inputs that are already there (the STARK prover's
// DEEP quotients): each layer is folded on the device and committed from its device copy
// (MerkleTree::build_with_device_copies); only the final vector (2^(log_final_poly_len +
// log_blowup) values) and, at the query phase, the opened rows of each layer are read back.
// The proof is bit-identical to fri_prove's.
#include <functional>
#include <span>
#include <vector>

#include "prover/device/opencl_runtime.hpp"
#include "prover/fri/fri.hpp"

namespace efaas {

struct FriDeviceInput {
  uint32_t log_height = 0;
  OpenClBuffer evals;  // 2^log_height Fp4 values, bit-reversed order on s * H
};

// As fri_prove; every input on OpenCL device cfg.opencl_device, cfg.backend kOpenCl.
Result<FriProof> fri_prove_opencl(const FriParams& params, std::vector<FriDeviceInput> inputs,
                                  Transcript& transcript, const FriProverConfig& cfg,
                                  const std::function<void(std::span<const size_t>)>& open_inputs,
                                  bool check_degree = true);

}  // namespace efaas
