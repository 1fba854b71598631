#include "prover/ntt/ntt.hpp"

#include <algorithm>
#include <bit>
#include <string>

#include "kernels/avx2/ntt_avx2.hpp"
#include "kernels/avx512/ntt_avx512.hpp"
#include "prover/common/cpu_features.hpp"
#include "prover/ntt/ntt_backend.hpp"

namespace efaas {

namespace {

// The CPU vector kernels: AVX-512 where usable (EFAAS_DISABLE_AVX512=1 turns it off), else AVX2.
const CpuNttKernels& vector_kernels() {
  return avx512_usable() ? avx512::ntt_kernels() : avx2::ntt_kernels();
}

// Checks the batch shape; on success sets log_n.
Status check_shape(const char* op, size_t len, size_t cols, uint32_t& log_n) {
  if (cols == 0) return invalid_argument(std::string(op) + ": column count is zero");
  if (len % cols != 0) {
    return invalid_argument(std::string(op) + ": buffer of " + std::to_string(len) +
                            " elements does not split into " + std::to_string(cols) +
                            " equal columns");
  }
  const size_t n = len / cols;
  if (n == 0 || !std::has_single_bit(n)) {
    return invalid_argument(std::string(op) + ": column length " + std::to_string(n) +
                            " is not a power of two");
  }
  log_n = uint32_t(std::countr_zero(n));
  if (log_n > kMaxLogNtt) {
    return out_of_range(std::string(op) + ": column length 2^" + std::to_string(log_n) +
                        " exceeds the field's two-adicity 2^" + std::to_string(kMaxLogNtt));
  }
  return Status::ok();
}

Status run_transform(const char* op, std::span<Fp> data, size_t cols, TransformSpec spec,
                     const NttConfig& cfg) {
  EFAAS_RETURN_IF_ERROR(check_shape(op, data.size(), cols, spec.log_n));
  if (spec.shift.is_zero()) return invalid_argument(std::string(op) + ": coset shift is zero");
  spec.input_order = cfg.input_order;
  spec.output_order = cfg.output_order;
  Result<Backend> backend = resolve_backend(cfg.backend);
  if (!backend) return backend.status();
  switch (*backend) {
    case Backend::kOpenCl:
      return opencl_transform(data, cols, spec, cfg.opencl_device);
    case Backend::kAvx2:
      return cpu_transform(vector_kernels(), data, cols, spec, cfg.threads);
    default:
      return cpu_transform(scalar_ntt_kernels(), data, cols, spec, cfg.threads);
  }
}

}  // namespace

Status ntt(std::span<Fp> data, size_t cols, const NttConfig& cfg) {
  return run_transform("ntt", data, cols, TransformSpec{0, false}, cfg);
}

Status intt(std::span<Fp> data, size_t cols, const NttConfig& cfg) {
  return run_transform("intt", data, cols, TransformSpec{0, true}, cfg);
}

Status coset_ntt(std::span<Fp> data, size_t cols, Fp shift, const NttConfig& cfg) {
  TransformSpec spec;
  spec.shift = shift;
  return run_transform("coset_ntt", data, cols, spec, cfg);
}

Status coset_intt(std::span<Fp> data, size_t cols, Fp shift, const NttConfig& cfg) {
  TransformSpec spec;
  spec.inverse = true;
  spec.shift = shift;
  return run_transform("coset_intt", data, cols, spec, cfg);
}

Status coset_ntt_from(std::span<const Fp> src, std::span<Fp> dst, size_t cols, Fp shift,
                      const NttConfig& cfg) {
  uint32_t log_n = 0;
  EFAAS_RETURN_IF_ERROR(check_shape("coset_ntt_from", dst.size(), cols, log_n));
  if (src.size() != dst.size()) {
    return invalid_argument("coset_ntt_from: source of " + std::to_string(src.size()) +
                            " elements, destination of " + std::to_string(dst.size()));
  }
  if (src.data() < dst.data() + dst.size() && dst.data() < src.data() + src.size()) {
    return invalid_argument("coset_ntt_from: source and destination overlap");
  }
  if (shift.is_zero()) return invalid_argument("coset_ntt_from: coset shift is zero");
  Result<Backend> backend = resolve_backend(cfg.backend);
  if (!backend) return backend.status();
  if (*backend == Backend::kAvx2 || *backend == Backend::kScalar) {
    const CpuNttKernels& k = *backend == Backend::kAvx2 ? vector_kernels() : scalar_ntt_kernels();
    return cpu_coset_ntt_from(k, src, dst, cols, log_n, shift, cfg.threads);
  }
  std::copy(src.begin(), src.end(), dst.begin());
  NttConfig full = cfg;
  full.input_order = Order::kNatural;
  full.output_order = Order::kBitReversed;
  return coset_ntt(dst, cols, shift, full);
}

Status coset_ntt_rows(std::span<Fp> data, size_t cols, Fp shift, std::span<const size_t> rows,
                      const NttConfig& cfg) {
  uint32_t log_n = 0;
  EFAAS_RETURN_IF_ERROR(check_shape("coset_ntt_rows", data.size(), cols, log_n));
  if (shift.is_zero()) return invalid_argument("coset_ntt_rows: coset shift is zero");
  const size_t n = size_t(1) << log_n;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] >= n || (i > 0 && rows[i] <= rows[i - 1])) {
      return invalid_argument("coset_ntt_rows: row " + std::to_string(rows[i]) + " (entry " +
                              std::to_string(i) + ") is not ascending within " +
                              std::to_string(n) + " rows");
    }
  }
  Result<Backend> backend = resolve_backend(cfg.backend);
  if (!backend) return backend.status();
  switch (*backend) {
    case Backend::kOpenCl: {
      // The device transforms whole columns.
      NttConfig full = cfg;
      full.input_order = Order::kNatural;
      full.output_order = Order::kBitReversed;
      return coset_ntt(data, cols, shift, full);
    }
    case Backend::kAvx2:
      return cpu_coset_ntt_rows(vector_kernels(), data, cols, log_n, shift, rows, cfg.threads);
    default:
      return cpu_coset_ntt_rows(scalar_ntt_kernels(), data, cols, log_n, shift, rows,
                                cfg.threads);
  }
}

Status lde(std::span<const Fp> in, std::span<Fp> out, size_t cols, const LdeParams& params,
           const NttConfig& cfg) {
  LdeSpec spec;
  EFAAS_RETURN_IF_ERROR(check_shape("lde", in.size(), cols, spec.log_n));
  if (params.log_blowup == 0 || spec.log_n + params.log_blowup > kMaxLogNtt) {
    return out_of_range("lde: blowup 2^" + std::to_string(params.log_blowup) +
                        " of length 2^" + std::to_string(spec.log_n) +
                        " is outside 2..2^" + std::to_string(kMaxLogNtt) + " in all");
  }
  const size_t expected = in.size() << params.log_blowup;
  if (out.size() != expected) {
    return invalid_argument("lde: output holds " + std::to_string(out.size()) +
                            " elements, expected " + std::to_string(expected) + " (" +
                            std::to_string(cols) + " columns of " +
                            std::to_string(expected / cols) + ")");
  }
  if (params.input_shift.is_zero() || params.output_shift.is_zero()) {
    return invalid_argument("lde: coset shift is zero");
  }
  const Fp* ib = in.data();
  const Fp* ob = out.data();
  if (ib < ob + out.size() && ob < ib + in.size()) {
    return invalid_argument("lde: input and output buffers overlap");
  }
  spec.log_blowup = params.log_blowup;
  spec.input_order = cfg.input_order;
  spec.output_order = cfg.output_order;
  spec.input_shift = params.input_shift;
  spec.output_shift = params.output_shift;
  Result<Backend> backend = resolve_backend(cfg.backend);
  if (!backend) return backend.status();
  switch (*backend) {
    case Backend::kOpenCl:
      return opencl_lde(in, out, cols, spec, cfg.opencl_device);
    case Backend::kAvx2:
      return cpu_lde(vector_kernels(), in, out, cols, spec, cfg.threads);
    default:
      return cpu_lde(scalar_ntt_kernels(), in, out, cols, spec, cfg.threads);
  }
}

}  // namespace efaas
