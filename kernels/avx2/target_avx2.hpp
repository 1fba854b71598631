#pragma once
// Code between EFAAS_AVX2_BEGIN and EFAAS_AVX2_END is compiled for AVX2 + BMI2, the rest of the
// translation unit for the baseline. Translation units are therefore not built with -mavx2:
// header-inline functions (Fp operators, std:: templates) included before the region keep
// baseline code, so the linker can never pick an AVX2 copy of them for baseline callers.
// Callers reach these functions only after avx2_usable().
#include <immintrin.h>

#if defined(__clang__)
#define EFAAS_AVX2_BEGIN \
  _Pragma("clang attribute push (__attribute__((target(\"avx2,bmi2\"))), apply_to = function)")
#define EFAAS_AVX2_END _Pragma("clang attribute pop")
#else
#define EFAAS_AVX2_BEGIN _Pragma("GCC push_options") _Pragma("GCC target(\"avx2,bmi2\")")
#define EFAAS_AVX2_END _Pragma("GCC pop_options")
#endif
