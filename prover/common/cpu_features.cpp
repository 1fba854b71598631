#include "prover/common/cpu_features.hpp"

#include <cstdlib>
#include <cstring>

namespace efaas {

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = [] {
    CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    // __builtin_cpu_supports checks cpuid and, for AVX, that the OS saves the YMM/ZMM state.
    f.avx2 = __builtin_cpu_supports("avx2");
    f.bmi2 = __builtin_cpu_supports("bmi2");
    f.avx512f = __builtin_cpu_supports("avx512f");
    f.avx512bw = __builtin_cpu_supports("avx512bw");
    f.avx512dq = __builtin_cpu_supports("avx512dq");
    f.avx512vl = __builtin_cpu_supports("avx512vl");
    f.avx512ifma = __builtin_cpu_supports("avx512ifma");
    unsigned eax, ebx, ecx, edx;
    __asm__("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(7), "c"(0));
    f.adx = (ebx >> 19) & 1;
    // XCR0 bits 1, 2 (SSE, AVX), 5, 6, 7 (opmask, ZMM0-15 upper halves, ZMM16-31), read only
    // when CPUID.1:ECX.OSXSAVE says xgetbv exists.
    __asm__("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(1), "c"(0));
    if ((ecx >> 27) & 1) {
      unsigned xcr0_lo, xcr0_hi;
      __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
      f.os_zmm = (xcr0_lo & 0xE6u) == 0xE6u;
    }
#endif
    return f;
  }();
  return features;
}

bool avx2_usable() {
  static const bool usable = [] {
    const char* off = std::getenv("EFAAS_DISABLE_AVX2");
    if (off != nullptr && std::strcmp(off, "0") != 0 && off[0] != '\0') return false;
    return cpu_features().avx2;
  }();
  return usable;
}

bool avx512_usable() {
  static const bool usable = [] {
    const char* off = std::getenv("EFAAS_DISABLE_AVX512");
    if (off != nullptr && std::strcmp(off, "0") != 0 && off[0] != '\0') return false;
    const CpuFeatures& f = cpu_features();
    return avx2_usable() && f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl && f.os_zmm;
  }();
  return usable;
}

}  // namespace efaas
