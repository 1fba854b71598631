#pragma once
// What each backend implements. ntt.cpp validates arguments and dispatches here; a backend can
// assume power-of-two lengths within the two-adicity and buffers of the right size.
#include <cstddef>
#include <cstdint>
#include <span>

#include "prover/common/status.hpp"
#include "prover/field/babybear.hpp"
#include "prover/ntt/ntt.hpp"

namespace efaas {

struct TransformSpec {
  uint32_t log_n = 0;
  bool inverse = false;  // inverse transforms include the 1/n scaling
  Order input_order = Order::kNatural;
  Order output_order = Order::kNatural;
  Fp shift = Fp::one();  // coset: forward evaluates on shift*H, inverse interpolates from it
};

struct LdeSpec {
  uint32_t log_n = 0;  // input length 2^log_n; output 2^(log_n + log_blowup)
  uint32_t log_blowup = 1;
  Order input_order = Order::kNatural;
  Order output_order = Order::kNatural;
  Fp input_shift = Fp::one();
  Fp output_shift = Fp::one();
};

// Per-layer twiddles shared by the CPU backends: layer(k) holds w_{2h}^j for j < h = 2^k, where
// w_{2h} is the primitive 2h-th root (inverse roots for the inverse table). `mu` holds
// w * p^-1 mod 2^32 (Montgomery form) for the AVX2 multiply with a precomputed quotient.
// Tables are built on first use and never move, so pointers stay valid.
struct TwiddleLayer {
  const Fp* w;
  const uint32_t* mu;
};
TwiddleLayer twiddle_layer(bool inverse, uint32_t k);

// CPU kernels: one column, no scaling, no order conversion.
//   dif: natural input -> bit-reversed output (Gentleman-Sande)
//   dit: bit-reversed input -> natural output (Cooley-Tukey)
struct CpuNttKernels {
  void (*dif)(Fp* x, uint32_t log_n, bool inverse);
  void (*dit)(Fp* x, uint32_t log_n, bool inverse);
  // x[i] *= scale * base^i for i < n (coset shifts and 1/n), in order of i.
  void (*scale_by_powers)(Fp* x, size_t n, Fp scale, Fp base);
  // One butterfly layer of half-size 2^k across all blocks in [begin, end) of butterfly
  // indices, for splitting a single large column across threads.
  void (*dif_layer)(Fp* x, uint32_t log_n, uint32_t k, bool inverse, size_t begin, size_t end);
  void (*dit_layer)(Fp* x, uint32_t log_n, uint32_t k, bool inverse, size_t begin, size_t end);
  // scale_by_powers(x, n, scale, base) then dif, with the scaling folded into the first pass
  // over the column (the coset NTTs of the LDEs); nullptr: the driver runs the two.
  void (*coset_dif)(Fp* x, uint32_t log_n, bool inverse, Fp scale, Fp base);
  // x = src (2^log_n elements, not overlapping), then coset_dif forward, with the copy folded
  // into the first pass (the LDE blocks computed from cached coefficients); nullptr: the driver
  // copies and runs coset_dif or scale_by_powers and dif.
  void (*coset_dif_from)(const Fp* src, Fp* x, uint32_t log_n, Fp scale, Fp base);
};
const CpuNttKernels& scalar_ntt_kernels();

// Runs a transform on the CPU with the given kernels (scalar or AVX2) and thread count.
Status cpu_transform(const CpuNttKernels& kernels, std::span<Fp> data, size_t cols,
                     const TransformSpec& spec, size_t threads);
// coset_ntt_from on the CPU (natural in, bit-reversed out).
Status cpu_coset_ntt_from(const CpuNttKernels& kernels, std::span<const Fp> src,
                          std::span<Fp> dst, size_t cols, uint32_t log_n, Fp shift,
                          size_t threads);
// coset_ntt_rows on the CPU (natural in, bit-reversed out, only `rows` computed).
Status cpu_coset_ntt_rows(const CpuNttKernels& kernels, std::span<Fp> data, size_t cols,
                          uint32_t log_n, Fp shift, std::span<const size_t> rows, size_t threads);
Status cpu_lde(const CpuNttKernels& kernels, std::span<const Fp> in, std::span<Fp> out,
               size_t cols, const LdeSpec& spec, size_t threads);

// OpenCL backend (ntt_opencl.cpp): the whole transform on the device, data copied in and out.
Status opencl_transform(std::span<Fp> data, size_t cols, const TransformSpec& spec, int device);
Status opencl_lde(std::span<const Fp> in, std::span<Fp> out, size_t cols, const LdeSpec& spec,
                  int device);

}  // namespace efaas
