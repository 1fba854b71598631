#pragma once
// Which implementation runs an operation. Every operation that has device paths (NTT, hashing,
// Merkle trees, ...) takes a Backend in its config; all backends give identical results and the
// scalar one is the reference.
#include <string>
#include <string_view>
#include <vector>

#include "prover/common/status.hpp"

namespace efaas {

enum class Backend {
  kAuto,    // the fastest available: OpenCL is never picked automatically on CPU-only machines
  kScalar,  // portable C++, the reference
  kAvx2,    // AVX2 translation units, after a run-time CPU check
  kOpenCl,  // an OpenCL 1.2 device (PoCL on machines without a GPU)
};

const char* backend_name(Backend b);
// "auto", "scalar", "avx2", "opencl" (case-sensitive).
Result<Backend> parse_backend(std::string_view name);

// kAuto becomes the best CPU path; an unavailable backend is an UNAVAILABLE error naming why.
Result<Backend> resolve_backend(Backend requested);

}  // namespace efaas
