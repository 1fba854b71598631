#pragma once
// AVX2 NTT kernels for the CPU driver (prover/ntt). Use only when avx2_usable().
#include "prover/ntt/ntt_backend.hpp"

namespace efaas::avx2 {
const CpuNttKernels& ntt_kernels();
}
