#pragma once
// AVX-512 NTT kernels for the CPU driver (prover/ntt). Use only when avx512_usable().
#include "prover/ntt/ntt_backend.hpp"

namespace efaas::avx512 {
const CpuNttKernels& ntt_kernels();
}
