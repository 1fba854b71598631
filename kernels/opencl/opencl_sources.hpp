#pragma once
// The OpenCL C sources of kernels/opencl, embedded at build time (efaas_embed_text).

// kernels/opencl/ntt.cl: BabyBear Montgomery arithmetic and the NTT kernels.
extern const char* const ntt_source;

// kernels/opencl/poseidon2.cl: Poseidon2 permutation, sponge, compression and grinding kernels.
extern const char* const poseidon2_source;

// kernels/opencl/stark.cl: Fp4 arithmetic, DEEP, quotient-splitting and row-gathering kernels of
// the STARK prover's OpenCL pipeline (the quotient kernel is generated and appended).
extern const char* const stark_source;
