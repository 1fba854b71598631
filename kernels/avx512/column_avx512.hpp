#pragma once
// AVX-512 column kernels for the constraint evaluator, the LogUp trace and the DEEP combination
// (prover/air column_kernels.hpp). Use only when avx512_usable().
#include "prover/air/column_kernels.hpp"

namespace efaas::avx512 {
const air::ColumnKernels& column_kernels();
}
