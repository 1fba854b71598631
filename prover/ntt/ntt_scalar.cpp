// The scalar reference kernels. Recursive (depth-first) so that once a block fits in cache every
// remaining layer runs there.
#include "prover/ntt/ntt_backend.hpp"

namespace efaas {

namespace {

constexpr uint32_t kLeafLog = 11;  // blocks of 2^11 elements (8 KiB) finish in L1

void dif_layer_range(Fp* x, uint32_t k, const Fp* w, size_t begin, size_t end) {
  // Butterfly index t: block t >> k, position j = t & (h - 1).
  const size_t h = size_t(1) << k;
  for (size_t t = begin; t < end; ++t) {
    size_t j = t & (h - 1);
    Fp* a = x + ((t >> k) << (k + 1)) + j;
    Fp u = a[0], v = a[h];
    a[0] = u + v;
    a[h] = (u - v) * w[j];
  }
}

void dit_layer_range(Fp* x, uint32_t k, const Fp* w, size_t begin, size_t end) {
  const size_t h = size_t(1) << k;
  for (size_t t = begin; t < end; ++t) {
    size_t j = t & (h - 1);
    Fp* a = x + ((t >> k) << (k + 1)) + j;
    Fp u = a[0], v = a[h] * w[j];
    a[0] = u + v;
    a[h] = u - v;
  }
}

void dif_rec(Fp* x, uint32_t log_n, bool inverse) {
  if (log_n == 0) return;
  if (log_n <= kLeafLog) {
    for (uint32_t k = log_n; k-- > 0;) {
      dif_layer_range(x, k, twiddle_layer(inverse, k).w, 0, size_t(1) << (log_n - 1));
    }
    return;
  }
  const size_t h = size_t(1) << (log_n - 1);
  dif_layer_range(x, log_n - 1, twiddle_layer(inverse, log_n - 1).w, 0, h);
  dif_rec(x, log_n - 1, inverse);
  dif_rec(x + h, log_n - 1, inverse);
}

void dit_rec(Fp* x, uint32_t log_n, bool inverse) {
  if (log_n == 0) return;
  if (log_n <= kLeafLog) {
    for (uint32_t k = 0; k < log_n; ++k) {
      dit_layer_range(x, k, twiddle_layer(inverse, k).w, 0, size_t(1) << (log_n - 1));
    }
    return;
  }
  const size_t h = size_t(1) << (log_n - 1);
  dit_rec(x, log_n - 1, inverse);
  dit_rec(x + h, log_n - 1, inverse);
  dit_layer_range(x, log_n - 1, twiddle_layer(inverse, log_n - 1).w, 0, h);
}

void scale_by_powers(Fp* x, size_t n, Fp scale, Fp base) {
  Fp s = scale;
  for (size_t i = 0; i < n; ++i) {
    x[i] *= s;
    s *= base;
  }
}

void dif_layer(Fp* x, uint32_t log_n, uint32_t k, bool inverse, size_t begin, size_t end) {
  dif_layer_range(x, k, twiddle_layer(inverse, k).w, begin, end);
}
void dit_layer(Fp* x, uint32_t log_n, uint32_t k, bool inverse, size_t begin, size_t end) {
  dit_layer_range(x, k, twiddle_layer(inverse, k).w, begin, end);
}

}  // namespace

const CpuNttKernels& scalar_ntt_kernels() {
  static const CpuNttKernels kernels{dif_rec,   dit_rec,   scale_by_powers,
                                     dif_layer, dit_layer, nullptr,   nullptr};
  return kernels;
}

}  // namespace efaas
