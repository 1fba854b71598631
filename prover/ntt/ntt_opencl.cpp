// OpenCL NTT: not built yet. Answers UNIMPLEMENTED rather than a fake result.
#include "prover/ntt/ntt_backend.hpp"

namespace efaas {

Status opencl_transform(std::span<Fp>, size_t, const TransformSpec&, int) {
  return unimplemented("NTT on the OpenCL backend is not implemented yet");
}

Status opencl_lde(std::span<const Fp>, std::span<Fp>, size_t, const LdeSpec&, int) {
  return unimplemented("LDE on the OpenCL backend is not implemented yet");
}

}  // namespace efaas
