#pragma once
// For OpenCL tests: skip (not fail) where the machine has no OpenCL device.
#include <gtest/gtest.h>

#include "prover/device/backend.hpp"

#define EFAAS_REQUIRE_OPENCL()                                                          \
  do {                                                                                  \
    if (!::efaas::resolve_backend(::efaas::Backend::kOpenCl).is_ok()) {                 \
      GTEST_SKIP() << "no OpenCL device on this machine";                               \
    }                                                                                   \
  } while (0)
