#pragma once
// The OpenCL C sources of kernels/opencl, embedded at build time (efaas_embed_text).

// kernels/opencl/ntt.cl: BabyBear Montgomery arithmetic and the NTT kernels.
extern const char* const ntt_source;

// kernels/opencl/poseidon2.cl: Poseidon2 permutation, sponge, compression and grinding kernels.
extern const char* const poseidon2_source;

// kernels/opencl/msm_bn254.cl: BN254 G1 MSM bucket accumulation (XYZZ) kernel.
extern const char* const msm_bn254_source;
