#pragma once
// Run-time CPU checks: SIMD code is only ever called after one of these says yes, so no
// binary dies with an illegal instruction on an older CPU.
namespace efaas {

struct CpuFeatures {
  bool avx2 = false;
  bool bmi2 = false;
  bool adx = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512dq = false;
  bool avx512vl = false;
  bool avx512ifma = false;
  bool os_zmm = false;  // XCR0 has the opmask, upper-ZMM and high-ZMM state enabled
};

// Detected once (cpuid plus the OS's XSAVE support), then cached.
const CpuFeatures& cpu_features();

// EFAAS_DISABLE_AVX2=1 in the environment turns the AVX2 paths off, for tests of the fallback.
bool avx2_usable();

// AVX-512 F+BW+DQ+VL with the ZMM state saved by the OS (XCR0), unless EFAAS_DISABLE_AVX512=1
// (then the AVX2 kernels run instead, for tests and comparisons of the fallback) or AVX2 is off.
bool avx512_usable();

}  // namespace efaas
