#include "kernels/avx2/field_avx2.hpp"

#include "kernels/avx2/babybear_avx2.hpp"

EFAAS_AVX2_BEGIN
namespace efaas::avx2 {

namespace {
template <typename VecOp, typename ScalarOp>
void elementwise(const Fp* a, const Fp* b, Fp* out, size_t n, VecOp vop, ScalarOp sop) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    PackedFp r{vop(PackedFp::load(a + i).v, PackedFp::load(b + i).v)};
    r.store(out + i);
  }
  for (; i < n; ++i) out[i] = sop(a[i], b[i]);
}
}  // namespace

void add_arrays(const Fp* a, const Fp* b, Fp* out, size_t n) {
  elementwise(a, b, out, n, add, [](Fp x, Fp y) { return x + y; });
}
void sub_arrays(const Fp* a, const Fp* b, Fp* out, size_t n) {
  elementwise(a, b, out, n, sub, [](Fp x, Fp y) { return x - y; });
}
void mul_arrays(const Fp* a, const Fp* b, Fp* out, size_t n) {
  elementwise(a, b, out, n, mul, [](Fp x, Fp y) { return x * y; });
}
void scale_array(const Fp* a, Fp s, Fp* out, size_t n) {
  const __m256i sv = PackedFp::broadcast(s).v;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) PackedFp{mul(PackedFp::load(a + i).v, sv)}.store(out + i);
  for (; i < n; ++i) out[i] = a[i] * s;
}

}  // namespace efaas::avx2
EFAAS_AVX2_END
