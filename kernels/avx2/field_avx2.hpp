#pragma once
// Element-wise BabyBear vector arithmetic on AVX2. Call only when avx2_usable() is true.
#include <cstddef>

#include "prover/field/babybear.hpp"

namespace efaas::avx2 {

void add_arrays(const Fp* a, const Fp* b, Fp* out, size_t n);
void sub_arrays(const Fp* a, const Fp* b, Fp* out, size_t n);
void mul_arrays(const Fp* a, const Fp* b, Fp* out, size_t n);
// out[i] = a[i] * s.
void scale_array(const Fp* a, Fp s, Fp* out, size_t n);

}  // namespace efaas::avx2
