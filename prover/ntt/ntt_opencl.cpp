// The OpenCL NTT backend: kernels/opencl/ntt.cl driven through prover/device's runtime.
// The program is built once per device; twiddle tables are uploaded once per device and
// direction (the table for 2^L serves every smaller size) and kept.
#include "prover/ntt/ntt_opencl.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kernels/opencl/opencl_sources.hpp"

namespace efaas {

namespace {

static_assert(Fp::one().montgomery() == 0x0ffffffeu, "BB_ONE in ntt.cl");
static_assert(Fp::kMu == 0x88000001u && Fp::kP == 0x78000001u, "BB_P / BB_MU in ntt.cl");

constexpr uint32_t kMaxTileLog = 11;  // 8 KiB of local memory per work-group
constexpr size_t kMaxWorkGroup = 256;
constexpr uint32_t kElementsPerItem = 4;  // log2 of elements per work-item in scale/spread

Result<const OpenClProgram*> ntt_program(OpenClDevice& dev) {
  static const std::string source = with_babybear(ntt_source);  // built once
  return dev.program("kernels/opencl/ntt.cl", source, "-cl-std=CL1.2");
}

// Twiddles of every layer below 2^log_n for one direction, on the device.
Result<std::shared_ptr<const OpenClBuffer>> twiddles(OpenClDevice& dev, bool inverse,
                                                     uint32_t log_n) {
  struct Entry {
    std::shared_ptr<const OpenClBuffer> buffer;
    uint32_t log_n = 0;
  };
  static std::mutex mu;
  static auto* cache = new std::map<std::pair<OpenClDevice*, bool>, Entry>();
  std::lock_guard<std::mutex> lock(mu);
  Entry& e = (*cache)[{&dev, inverse}];
  if (e.buffer && e.log_n >= log_n) return e.buffer;
  // Layer k at offset 2^k - 1; one spare element keeps the table non-empty for log_n = 0.
  std::vector<Fp> table(size_t(1) << log_n);
  for (uint32_t k = 0; k < log_n; ++k) {
    const Fp* w = twiddle_layer(inverse, k).w;
    std::copy(w, w + (size_t(1) << k), table.begin() + ((size_t(1) << k) - 1));
  }
  Result<OpenClBuffer> buf = dev.upload(std::span<const Fp>(table));
  if (!buf) return buf.status();
  e.buffer = std::make_shared<const OpenClBuffer>(std::move(*buf));
  e.log_n = log_n;
  return e.buffer;
}

struct Pass {
  uint32_t lo, r, c;  // layers [lo, lo + r), tile low bits [0, c)
};

uint32_t tile_log_for(const OpenClDevice& dev, const OpenClNttTuning& tuning) {
  // At most half the local memory (padding included), so two work-groups share a compute unit.
  const uint64_t words = std::max<uint64_t>(dev.info().local_mem_bytes * 32 / 33 / 8, 2);
  const uint32_t fits = std::min<uint32_t>(kMaxTileLog, uint32_t(std::bit_width(words) - 1));
  return tuning.tile_log != 0 ? std::min(tuning.tile_log, fits) : fits;
}

// Passes from the lowest layers up; DIF runs them in reverse.
std::vector<Pass> plan_passes(uint32_t log_n, uint32_t tile_log, uint32_t coalesce_log) {
  std::vector<Pass> passes;
  for (uint32_t lo = 0; lo < log_n;) {
    Pass p{lo, 0, 0};
    p.c = std::min({lo, coalesce_log, tile_log - 1});
    p.r = std::min(tile_log - p.c, log_n - lo);
    p.c = std::min(lo, tile_log - p.r);  // a short last pass widens its rows instead
    passes.push_back(p);
    lo += p.r;
  }
  return passes;
}

// Local memory of a tile of 2^tile_log elements, with ntt.cl's PAD spare word every 32.
size_t padded_tile_bytes(uint32_t tile_log) {
  const size_t words = size_t(1) << tile_log;
  return (words + words / 32) * sizeof(uint32_t);
}

size_t floor_pow2(size_t x) {
  return x == 0 ? 1 : std::bit_floor(x);
}

// Runs the DIF (dif = true: natural -> bit-reversed) or DIT chain over every column.
Status run_chain(OpenClDevice& dev, const OpenClProgram& prog, OpenClBuffer& data, size_t cols,
                 uint32_t log_n, bool dif, bool inverse, const OpenClNttTuning& tuning) {
  if (log_n == 0) return Status::ok();
  Result<std::shared_ptr<const OpenClBuffer>> tw = twiddles(dev, inverse, log_n);
  if (!tw) return tw.status();
  Result<OpenClKernel> k = prog.kernel(dif ? "ntt_dif_pass" : "ntt_dit_pass");
  if (!k) return k.status();
  std::vector<Pass> passes = plan_passes(log_n, tile_log_for(dev, tuning), tuning.coalesce_log);
  if (dif) std::reverse(passes.begin(), passes.end());
  EFAAS_RETURN_IF_ERROR(k->set_arg(0, data));
  EFAAS_RETURN_IF_ERROR(k->set_arg(1, **tw));
  EFAAS_RETURN_IF_ERROR(k->set_arg(2, log_n));
  EFAAS_RETURN_IF_ERROR(k->set_arg(3, uint32_t(cols)));
  for (const Pass& p : passes) {
    const uint32_t tile = p.r + p.c;
    // One radix-8 set per work-item (radix-2 rounds loop over their butterflies).
    const size_t wg = std::min({size_t(1) << (tile - std::min(p.r, 3u)), kMaxWorkGroup,
                                floor_pow2(k->max_work_group_size()),
                                floor_pow2(dev.info().max_work_group_size)});
    const size_t groups = cols << (log_n - tile);
    EFAAS_RETURN_IF_ERROR(k->set_arg(4, p.lo));
    EFAAS_RETURN_IF_ERROR(k->set_arg(5, p.r));
    EFAAS_RETURN_IF_ERROR(k->set_arg(6, p.c));
    EFAAS_RETURN_IF_ERROR(k->set_local(7, padded_tile_bytes(tile)));
    EFAAS_RETURN_IF_ERROR(dev.launch(*k, {groups * wg}, {wg}));
  }
  return Status::ok();
}

Status run_bit_reverse(OpenClDevice& dev, const OpenClProgram& prog, OpenClBuffer& data,
                       size_t cols, uint32_t log_n) {
  if (log_n < 2) return Status::ok();
  Result<OpenClKernel> k = prog.kernel("bit_reverse");
  if (!k) return k.status();
  EFAAS_RETURN_IF_ERROR(k->set_arg(0, data));
  EFAAS_RETURN_IF_ERROR(k->set_arg(1, log_n));
  return dev.launch(*k, {size_t(1) << log_n, cols});
}

// Work-items per column for the scale and spread kernels, each taking 2^kElementsPerItem.
uint32_t log_items(uint32_t log_n) {
  return log_n > kElementsPerItem ? log_n - kElementsPerItem : 0;
}

// x_i *= scale * base^i for logical index i (stored bit-reversed when `bitrev`).
Status run_scale(OpenClDevice& dev, const OpenClProgram& prog, OpenClBuffer& data, size_t cols,
                 uint32_t log_n, bool bitrev, Fp scale, Fp base) {
  if (scale == Fp::one() && base == Fp::one()) return Status::ok();
  Result<OpenClKernel> k = prog.kernel("scale_by_powers");
  if (!k) return k.status();
  const uint32_t log_g = log_items(log_n);
  EFAAS_RETURN_IF_ERROR(k->set_arg(0, data));
  EFAAS_RETURN_IF_ERROR(k->set_arg(1, log_n));
  EFAAS_RETURN_IF_ERROR(k->set_arg(2, uint32_t(bitrev)));
  EFAAS_RETURN_IF_ERROR(k->set_arg(3, scale.montgomery()));
  EFAAS_RETURN_IF_ERROR(k->set_arg(4, base.montgomery()));
  EFAAS_RETURN_IF_ERROR(k->set_arg(5, base.pow(uint64_t(1) << log_g).montgomery()));
  return dev.launch(*k, {size_t(1) << log_g, cols});
}

Status check_device_buffer(const char* op, const OpenClBuffer& b, size_t cols, uint32_t log_n,
                           const char* what) {
  if (!b.valid())
    return invalid_argument(std::string(op) + ": " + what + " buffer is not allocated");
  const size_t expected = (cols << log_n) * sizeof(Fp);
  if (b.size_bytes() != expected) {
    return invalid_argument(std::string(op) + ": " + what + " buffer holds " +
                            std::to_string(b.size_bytes()) + " bytes, expected " +
                            std::to_string(expected) + " (" + std::to_string(cols) +
                            " columns of 2^" + std::to_string(log_n) + " elements)");
  }
  return Status::ok();
}

Status check_shape(const char* op, size_t cols, uint32_t log_n) {
  if (cols == 0) return invalid_argument(std::string(op) + ": column count is zero");
  if (cols > UINT32_MAX) {
    return out_of_range(std::string(op) + ": " + std::to_string(cols) +
                        " columns exceed the kernels' 32-bit column count");
  }
  if (log_n > kMaxLogNtt) {
    return out_of_range(std::string(op) + ": column length 2^" + std::to_string(log_n) +
                        " exceeds the field's two-adicity 2^" + std::to_string(kMaxLogNtt));
  }
  return Status::ok();
}

Status transform_on_device(OpenClBuffer& data, size_t cols, const TransformSpec& s,
                           const OpenClNttTuning& tuning) {
  OpenClDevice& dev = *data.device();
  Result<const OpenClProgram*> prog = ntt_program(dev);
  if (!prog) return prog.status();
  const OpenClProgram& p = **prog;
  const bool shifted = s.shift != Fp::one();
  Order cur = s.input_order;
  if (!s.inverse) {
    // Coefficient i times shift^i, wherever it is stored.
    if (shifted) {
      EFAAS_RETURN_IF_ERROR(
          run_scale(dev, p, data, cols, s.log_n, cur == Order::kBitReversed, Fp::one(), s.shift));
    }
  }
  const bool dif = cur == Order::kNatural;
  EFAAS_RETURN_IF_ERROR(run_chain(dev, p, data, cols, s.log_n, dif, s.inverse, tuning));
  cur = dif ? Order::kBitReversed : Order::kNatural;
  if (s.inverse) {
    const Fp n_inv = Fp::from_u64(uint64_t(1) << s.log_n).inverse();
    EFAAS_RETURN_IF_ERROR(run_scale(dev, p, data, cols, s.log_n, cur == Order::kBitReversed, n_inv,
                                    shifted ? s.shift.inverse() : Fp::one()));
  }
  if (cur != s.output_order) EFAAS_RETURN_IF_ERROR(run_bit_reverse(dev, p, data, cols, s.log_n));
  return Status::ok();
}

// `coeffs` holds the input and is overwritten (it becomes the interpolant's coefficients).
Status lde_on_device(OpenClBuffer& coeffs, OpenClBuffer& out, size_t cols, const LdeSpec& s,
                     const OpenClNttTuning& tuning) {
  OpenClDevice& dev = *coeffs.device();
  Result<const OpenClProgram*> prog = ntt_program(dev);
  if (!prog) return prog.status();
  const OpenClProgram& p = **prog;
  const uint32_t log_m = s.log_n + s.log_blowup;
  // Interpolate (unscaled): natural evaluations give bit-reversed coefficients and vice versa.
  const bool dif_in = s.input_order == Order::kNatural;
  EFAAS_RETURN_IF_ERROR(run_chain(dev, p, coeffs, cols, s.log_n, dif_in, true, tuning));
  // Evaluate with DIT (bit-reversed in, natural out) or DIF (natural in, bit-reversed out), so
  // no permutation pass is needed: the spread writes coefficients where that chain wants them.
  const bool natural_out = s.output_order == Order::kNatural;
  EFAAS_RETURN_IF_ERROR(out.fill_zero(0, out.size_bytes()));
  Result<OpenClKernel> k = p.kernel("lde_spread");
  if (!k) return k.status();
  // c_i = raw_i / n * in_shift^-i, evaluated on out_shift * H': times (out_shift / in_shift)^i.
  const Fp scale = Fp::from_u64(uint64_t(1) << s.log_n).inverse();
  const Fp base = s.output_shift * s.input_shift.inverse();
  const uint32_t log_g = log_items(s.log_n);
  EFAAS_RETURN_IF_ERROR(k->set_arg(0, coeffs));
  EFAAS_RETURN_IF_ERROR(k->set_arg(1, out));
  EFAAS_RETURN_IF_ERROR(k->set_arg(2, s.log_n));
  EFAAS_RETURN_IF_ERROR(k->set_arg(3, log_m));
  EFAAS_RETURN_IF_ERROR(k->set_arg(4, uint32_t(dif_in)));
  EFAAS_RETURN_IF_ERROR(k->set_arg(5, uint32_t(natural_out)));
  EFAAS_RETURN_IF_ERROR(k->set_arg(6, scale.montgomery()));
  EFAAS_RETURN_IF_ERROR(k->set_arg(7, base.montgomery()));
  EFAAS_RETURN_IF_ERROR(k->set_arg(8, base.pow(uint64_t(1) << log_g).montgomery()));
  EFAAS_RETURN_IF_ERROR(dev.launch(*k, {size_t(1) << log_g, cols}));
  return run_chain(dev, p, out, cols, log_m, !natural_out, false, tuning);
}

}  // namespace

Status opencl_transform_device(OpenClBuffer& data, size_t cols, const TransformSpec& spec,
                               const OpenClNttTuning& tuning) {
  EFAAS_RETURN_IF_ERROR(check_shape("opencl ntt", cols, spec.log_n));
  EFAAS_RETURN_IF_ERROR(check_device_buffer("opencl ntt", data, cols, spec.log_n, "data"));
  if (spec.shift.is_zero()) return invalid_argument("opencl ntt: coset shift is zero");
  return transform_on_device(data, cols, spec, tuning);
}

Status opencl_lde_device(const OpenClBuffer& in, OpenClBuffer& out, size_t cols,
                         const LdeSpec& spec, const OpenClNttTuning& tuning) {
  EFAAS_RETURN_IF_ERROR(check_shape("opencl lde", cols, spec.log_n));
  if (spec.log_blowup == 0 || spec.log_n + spec.log_blowup > kMaxLogNtt) {
    return out_of_range("opencl lde: blowup 2^" + std::to_string(spec.log_blowup) +
                        " of length 2^" + std::to_string(spec.log_n) + " is outside 2..2^" +
                        std::to_string(kMaxLogNtt) + " in all");
  }
  EFAAS_RETURN_IF_ERROR(check_device_buffer("opencl lde", in, cols, spec.log_n, "input"));
  EFAAS_RETURN_IF_ERROR(
      check_device_buffer("opencl lde", out, cols, spec.log_n + spec.log_blowup, "output"));
  if (in.device() != out.device()) {
    return invalid_argument("opencl lde: input and output buffers live on different devices");
  }
  if (in.raw() == out.raw()) return invalid_argument("opencl lde: input and output are one buffer");
  if (spec.input_shift.is_zero() || spec.output_shift.is_zero()) {
    return invalid_argument("opencl lde: coset shift is zero");
  }
  // The interpolation runs in place, so it works on a copy and `in` stays as it was.
  Result<OpenClBuffer> scratch = in.device()->alloc(in.size_bytes());
  if (!scratch) return scratch.status();
  EFAAS_RETURN_IF_ERROR(scratch->copy_from(in, 0, 0, in.size_bytes()));
  return lde_on_device(*scratch, out, cols, spec, tuning);
}

Status opencl_transform(std::span<Fp> data, size_t cols, const TransformSpec& spec, int device) {
  Result<OpenClDevice*> dev = OpenClDevice::get(device);
  if (!dev) return dev.status();
  Result<OpenClBuffer> buf = (*dev)->upload(std::span<const Fp>(data));
  if (!buf) return buf.status();
  EFAAS_RETURN_IF_ERROR(opencl_transform_device(*buf, cols, spec));
  return buf->read(data);
}

Status opencl_lde(std::span<const Fp> in, std::span<Fp> out, size_t cols, const LdeSpec& spec,
                  int device) {
  EFAAS_RETURN_IF_ERROR(check_shape("opencl lde", cols, spec.log_n));
  Result<OpenClDevice*> dev = OpenClDevice::get(device);
  if (!dev) return dev.status();
  // One upload, one download: the upload buffer doubles as the interpolation scratch.
  Result<OpenClBuffer> coeffs = (*dev)->upload(in);
  if (!coeffs) return coeffs.status();
  Result<OpenClBuffer> result = (*dev)->alloc(out.size_bytes());
  if (!result) return result.status();
  EFAAS_RETURN_IF_ERROR(lde_on_device(*coeffs, *result, cols, spec, {}));
  return result->read(out);
}

}  // namespace efaas
