#pragma once
// Element-wise kernels over blocks of rows, used by the constraint evaluator (eval.cpp) and the
// prover's DEEP combination. Extension values are four coordinate arrays (structure of arrays),
// so every kernel is base-field arithmetic on contiguous rows. All implementations give
// identical results (field arithmetic is exact); the scalar one is the reference.
#include <cstddef>

#include "prover/field/babybear.hpp"
#include "prover/field/babybear_ext.hpp"

namespace efaas::air {

// Four coordinate arrays of n extension elements.
struct ExtCols {
  const Fp* c[4];
};
struct ExtColsOut {
  Fp* c[4];
};

struct ColumnKernels {
  void (*add)(const Fp* a, const Fp* b, Fp* out, size_t n);
  void (*sub)(const Fp* a, const Fp* b, Fp* out, size_t n);
  void (*mul)(const Fp* a, const Fp* b, Fp* out, size_t n);
  void (*neg)(const Fp* a, Fp* out, size_t n);
  // out = a * b, a in Fp4, b in Fp.
  void (*ext_mul_base)(ExtCols a, const Fp* b, ExtColsOut out, size_t n);
  // out = a * b in Fp4.
  void (*ext_mul)(ExtCols a, ExtCols b, ExtColsOut out, size_t n);
  // acc += coeff * col: a base column scaled by one Fp4 (the folding and DEEP sums).
  void (*mul_acc)(const Fp* col, const Fp4& coeff, ExtColsOut acc, size_t n);
  // acc += coeff * a, a in Fp4.
  void (*ext_mul_acc)(ExtCols a, const Fp4& coeff, ExtColsOut acc, size_t n);
  // sum_i col[i] * w[i], w in Fp4 (the out-of-domain openings: a column against barycentric
  // weights). n < 2^28.
  Fp4 (*dot)(const Fp* col, ExtCols w, size_t n);
  // acc += ka * a + kb * b: two base columns folded at once (the SIMD kernels reduce the two
  // products' sum once and load and store the accumulator once).
  void (*mul_acc2)(const Fp* a, const Fp4& ka, const Fp* b, const Fp4& kb, ExtColsOut acc,
                   size_t n);
};

const ColumnKernels& scalar_column_kernels();
// With `simd`: the AVX-512 kernels where avx512_usable(), else the AVX2 ones where
// avx2_usable(); otherwise the scalar ones.
const ColumnKernels& column_kernels(bool simd);

}  // namespace efaas::air
