#pragma once
// Device-resident NTT and LDE on OpenCL, for pipelines that keep data on the device between
// stages (LDE -> Merkle -> quotient -> FRI). The host-memory entry points are ntt()/lde() with
// NttConfig::backend = kOpenCl (ntt_backend.hpp: opencl_transform / opencl_lde).
//
// These functions only enqueue work on the buffers' device queue (in order): errors of the
// kernels themselves surface at the next blocking read or OpenClDevice::finish().
#include <cstddef>
#include <cstdint>

#include "prover/common/status.hpp"
#include "prover/device/opencl_runtime.hpp"
#include "prover/ntt/ntt_backend.hpp"

namespace efaas {

// Performance knobs; results do not depend on them.
struct OpenClNttTuning {
  // log2 of the elements one work-group transforms in local memory; 0 = from the device's
  // local memory size (at most 2^11 elements, 8 KiB). Small values force many passes (tests).
  uint32_t tile_log = 0;
  // In passes over large strides, runs of 2^coalesce_log consecutive elements per tile row so
  // that global loads coalesce (32 elements = 128 bytes).
  uint32_t coalesce_log = 5;
};

// In place on `data`: cols columns of 2^spec.log_n elements, as TransformSpec says.
Status opencl_transform_device(OpenClBuffer& data, size_t cols, const TransformSpec& spec,
                               const OpenClNttTuning& tuning = {});

// `in`: cols columns of 2^spec.log_n evaluations (left unchanged); `out`: cols columns of
// 2^(log_n + log_blowup) evaluations on the output coset. Both on the same device.
Status opencl_lde_device(const OpenClBuffer& in, OpenClBuffer& out, size_t cols,
                         const LdeSpec& spec, const OpenClNttTuning& tuning = {});

}  // namespace efaas
