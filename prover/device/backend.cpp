#include "prover/device/backend.hpp"

#include "prover/common/cpu_features.hpp"
#include "prover/device/opencl.hpp"

namespace efaas {

const char* backend_name(Backend b) {
  switch (b) {
    case Backend::kAuto: return "auto";
    case Backend::kScalar: return "scalar";
    case Backend::kAvx2: return "avx2";
    case Backend::kOpenCl: return "opencl";
  }
  return "?";
}

Result<Backend> parse_backend(std::string_view name) {
  for (Backend b : {Backend::kAuto, Backend::kScalar, Backend::kAvx2, Backend::kOpenCl}) {
    if (name == backend_name(b)) return b;
  }
  return invalid_argument("unknown backend '" + std::string(name) +
                          "' (expected auto, scalar, avx2 or opencl)");
}

Result<Backend> resolve_backend(Backend requested) {
  switch (requested) {
    case Backend::kAuto:
      return avx2_usable() ? Backend::kAvx2 : Backend::kScalar;
    case Backend::kScalar:
      return Backend::kScalar;
    case Backend::kAvx2:
      if (!avx2_usable()) {
        return unavailable(cpu_features().avx2 ? "AVX2 backend disabled by EFAAS_DISABLE_AVX2"
                                               : "AVX2 backend: this CPU has no AVX2");
      }
      return Backend::kAvx2;
    case Backend::kOpenCl: {
      auto devices = list_opencl_devices();
      if (!devices) return devices.status();
      if (devices->empty()) return unavailable("OpenCL backend: no OpenCL device found");
      return Backend::kOpenCl;
    }
  }
  return invalid_argument("bad backend value");
}

}  // namespace efaas
