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
    f.avx512ifma = __builtin_cpu_supports("avx512ifma");
    unsigned eax, ebx, ecx, edx;
    __asm__("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(7), "c"(0));
    f.adx = (ebx >> 19) & 1;
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

}  // namespace efaas
