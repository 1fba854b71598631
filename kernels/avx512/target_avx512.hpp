#pragma once
// Code between EFAAS_IFMA_BEGIN and EFAAS_IFMA_END is compiled for AVX-512F + AVX-512 IFMA, the
// rest of the translation unit for the baseline (the same scheme as kernels/avx2: never build a
// translation unit with -mavx512*, so no baseline caller can link an AVX-512 copy of an inline
// function). Callers reach these functions only after ifma::bn254_usable().
#include <immintrin.h>

#if defined(__clang__)
// (_Pragma takes one string literal: no concatenation, hence the long line.)
// clang-format off
#define EFAAS_IFMA_BEGIN \
  _Pragma("clang attribute push (__attribute__((target(\"avx512f,avx512ifma\"))), apply_to = function)")
// clang-format on
#define EFAAS_IFMA_END _Pragma("clang attribute pop")
#else
#define EFAAS_IFMA_BEGIN _Pragma("GCC push_options") _Pragma("GCC target(\"avx512f,avx512ifma\")")
#define EFAAS_IFMA_END _Pragma("GCC pop_options")
#endif

// The same scheme for the BabyBear kernels (poseidon2_avx512.cpp): AVX-512 F/BW/DQ/VL plus AVX2
// and BMI2, called only after avx512_usable() (prover/common/cpu_features.hpp).
#if defined(__clang__)
// clang-format off
#define EFAAS_AVX512_BEGIN \
  _Pragma("clang attribute push (__attribute__((target(\"avx512f,avx512bw,avx512dq,avx512vl,avx2,bmi2\"))), apply_to = function)")
// clang-format on
#define EFAAS_AVX512_END _Pragma("clang attribute pop")
#else
#define EFAAS_AVX512_BEGIN \
  _Pragma("GCC push_options") _Pragma("GCC target(\"avx512f,avx512bw,avx512dq,avx512vl,avx2,bmi2\")")
#define EFAAS_AVX512_END _Pragma("GCC pop_options")
#endif
