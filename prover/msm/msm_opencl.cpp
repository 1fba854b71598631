// The OpenCL G1 MSM: the host computes the signed digits and sorts every point into its
// (window, bucket) run, the device sums each bucket (kernels/opencl/msm_bn254.cl, one work-item
// per bucket, XYZZ coordinates), the host reduces the buckets per window and combines windows.
#include <cstdio>
#include <string>
#include <vector>

#include "kernels/opencl/opencl_sources.hpp"
#include "prover/device/opencl_runtime.hpp"
#include "prover/msm/msm_kernel.hpp"
#include "prover/msm/msm_opencl.hpp"

namespace efaas::msm {

namespace {

using bn254::Fq;

std::string build_options() {
  auto hex = [](uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "0x%016llxUL", static_cast<unsigned long long>(v));
    return std::string(buf);
  };
  std::string o = "-cl-std=CL1.2";
  for (int i = 0; i < 4; ++i) {
    o += " -DFQ_P" + std::to_string(i) + "=" + hex(Fq::kModulus[i]);
    o += " -DFQ_ONE" + std::to_string(i) + "=" + hex(Fq::kR[i]);
  }
  o += " -DFQ_INV=" + hex(Fq::kInv);
  return o;
}

}  // namespace

Result<G1Jacobian> msm_g1_opencl(std::span<const G1Affine> points, std::span<const Limbs> scalars,
                                 uint32_t c, int device, ThreadPool& pool) {
  const size_t n = points.size();
  if (n >= (size_t(1) << 31)) return out_of_range("OpenCL MSM: more than 2^31 points");
  Result<OpenClDevice*> dev = OpenClDevice::get(device);
  if (!dev) return dev.status();
  Result<const OpenClProgram*> prog =
      (*dev)->program("kernels/opencl/msm_bn254.cl", msm_bn254_source, build_options());
  if (!prog) return prog.status();
  Result<OpenClKernel> k = (*prog)->kernel("msm_bucket_sum");
  if (!k) return k.status();

  const uint32_t windows = (256 + c - 1) / c;
  const size_t nb = size_t(1) << (c - 1);
  std::vector<int16_t> digits(size_t(windows) * n);
  kernel::compute_digits(scalars.data(), n, c, windows, digits.data(), pool);

  // Counting sort of the entries by (window, bucket); zero digits and the point at infinity
  // (which compaction leaves in when it is rare) are dropped.
  std::vector<uint32_t> offsets(size_t(windows) * (nb + 1), 0);
  std::vector<uint32_t> entries;
  {
    size_t total = 0;
    for (uint32_t w = 0; w < windows; ++w) {
      uint32_t* off = offsets.data() + size_t(w) * (nb + 1);
      const int16_t* d = digits.data() + size_t(w) * n;
      for (size_t i = 0; i < n; ++i) {
        if (d[i] != 0 && !points[i].infinity) ++off[size_t(d[i] < 0 ? -d[i] : d[i]) - 1 + 1];
      }
      off[0] = uint32_t(total);
      for (size_t b = 1; b <= nb; ++b) off[b] += off[b - 1];
      total = off[nb];
    }
    entries.resize(total);
    std::vector<uint32_t> cursor(nb);
    for (uint32_t w = 0; w < windows; ++w) {
      const uint32_t* off = offsets.data() + size_t(w) * (nb + 1);
      for (size_t b = 0; b < nb; ++b) cursor[b] = off[b];
      const int16_t* d = digits.data() + size_t(w) * n;
      for (size_t i = 0; i < n; ++i) {
        if (d[i] == 0 || points[i].infinity) continue;
        size_t b = size_t(d[i] < 0 ? -d[i] : d[i]) - 1;
        entries[cursor[b]++] = (uint32_t(i) << 1) | (d[i] < 0 ? 1u : 0u);
      }
    }
  }

  std::vector<uint64_t> flat(n * 8);
  for (size_t i = 0; i < n; ++i) {
    for (int j = 0; j < 4; ++j) {
      flat[i * 8 + j] = points[i].x.v[j];
      flat[i * 8 + 4 + j] = points[i].y.v[j];
    }
  }
  Result<OpenClBuffer> pts = (*dev)->upload(std::span<const uint64_t>(flat));
  if (!pts) return pts.status();
  if (entries.empty()) entries.push_back(0);  // a zero-size buffer is not allowed
  Result<OpenClBuffer> ent = (*dev)->upload(std::span<const uint32_t>(entries));
  if (!ent) return ent.status();
  Result<OpenClBuffer> off = (*dev)->upload(std::span<const uint32_t>(offsets));
  if (!off) return off.status();
  const size_t total_buckets = size_t(windows) * nb;
  Result<OpenClBuffer> out = (*dev)->alloc(total_buckets * 16 * sizeof(uint64_t));
  if (!out) return out.status();
  EFAAS_RETURN_IF_ERROR(k->set_arg(0, *pts));
  EFAAS_RETURN_IF_ERROR(k->set_arg(1, *ent));
  EFAAS_RETURN_IF_ERROR(k->set_arg(2, *off));
  EFAAS_RETURN_IF_ERROR(k->set_arg(3, uint32_t(nb)));
  EFAAS_RETURN_IF_ERROR(k->set_arg(4, uint32_t(windows)));
  EFAAS_RETURN_IF_ERROR(k->set_arg(5, *out));
  EFAAS_RETURN_IF_ERROR((*dev)->launch(*k, {total_buckets}));
  std::vector<kernel::Xyzz<Fq>> buckets(total_buckets);
  static_assert(sizeof(kernel::Xyzz<Fq>) == 16 * sizeof(uint64_t));
  EFAAS_RETURN_IF_ERROR(out->read_bytes(0, buckets.data(), total_buckets * sizeof(buckets[0])));

  // Running-sum reduction per window on the host, windows across the pool.
  std::vector<kernel::Xyzz<Fq>> sums(windows, kernel::Xyzz<Fq>::identity());
  pool.parallel_for(windows, 1, [&](size_t b, size_t e) {
    for (size_t w = b; w < e; ++w) {
      kernel::Xyzz<Fq> running = kernel::Xyzz<Fq>::identity(), total = running;
      for (size_t j = nb; j-- > 0;) {
        running.add(buckets[w * nb + j]);
        total.add(running);
      }
      sums[w] = total;
    }
  });
  kernel::Xyzz<Fq> acc = kernel::Xyzz<Fq>::identity();
  for (size_t w = windows; w-- > 0;) {
    for (uint32_t i = 0; i < c; ++i) acc = acc.dbl();
    acc.add(sums[w]);
  }
  return acc.to_jacobian();
}

}  // namespace efaas::msm
