#pragma once
// AVX2 column kernels for the constraint evaluator and the DEEP combination (prover/air
// column_kernels.hpp). Use only when avx2_usable().
#include "prover/air/column_kernels.hpp"

namespace efaas::avx2 {
const air::ColumnKernels& column_kernels();
}
