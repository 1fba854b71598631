#pragma once
// The OpenCL C sources of kernels/opencl, embedded at build time (efaas_embed_text).

// kernels/opencl/babybear.cl: BabyBear Montgomery arithmetic, the prelude of every BabyBear
// program (use with_babybear()).
extern const char* const babybear_source;

// kernels/opencl/ntt.cl: the NTT kernels. After babybear.
extern const char* const ntt_source;

// kernels/opencl/poseidon2.cl: Poseidon2 permutation, sponge, compression and grinding kernels.
// After babybear.
extern const char* const poseidon2_source;

// kernels/opencl/msm_bn254.cl: BN254 G1 MSM bucket accumulation (XYZZ) kernel.
extern const char* const msm_bn254_source;

// kernels/opencl/field4.cl: Fp4 helpers, the prelude of stark.cl and fri.cl. After babybear.
extern const char* const field4_source;

// kernels/opencl/stark.cl: DEEP, quotient-splitting and row-gathering kernels of the STARK
// prover's OpenCL pipeline (the quotient kernel is generated and appended). After field4.
extern const char* const stark_source;

// kernels/opencl/fri.cl: FRI folding. After field4.
extern const char* const fri_source;

// kernels/opencl/blake3.cl: BLAKE3 Merkle leaf and compression kernels. After babybear.
extern const char* const blake3_source;

#include <string>

// The program source babybear.cl followed by `sources`, in order.
template <typename... S>
std::string with_babybear(const S&... sources) {
  std::string out(babybear_source);
  (out.append(sources), ...);
  return out;
}
