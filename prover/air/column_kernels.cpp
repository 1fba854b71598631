#include "prover/air/column_kernels.hpp"

#include "kernels/avx2/column_avx2.hpp"
#include "kernels/avx512/column_avx512.hpp"
#include "prover/common/cpu_features.hpp"

namespace efaas::air {

namespace {

void add(const Fp* a, const Fp* b, Fp* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}
void sub(const Fp* a, const Fp* b, Fp* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = a[i] - b[i];
}
void mul(const Fp* a, const Fp* b, Fp* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}
void neg(const Fp* a, Fp* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = -a[i];
}
Fp4 at(ExtCols a, size_t i) { return {a.c[0][i], a.c[1][i], a.c[2][i], a.c[3][i]}; }
void put(ExtColsOut o, size_t i, const Fp4& v) {
  for (int c = 0; c < 4; ++c) o.c[c][i] = v[c];
}
void ext_mul_base(ExtCols a, const Fp* b, ExtColsOut out, size_t n) {
  for (size_t i = 0; i < n; ++i) put(out, i, at(a, i) * b[i]);
}
void ext_mul(ExtCols a, ExtCols b, ExtColsOut out, size_t n) {
  for (size_t i = 0; i < n; ++i) put(out, i, at(a, i) * at(b, i));
}
void mul_acc(const Fp* col, const Fp4& coeff, ExtColsOut acc, size_t n) {
  for (int c = 0; c < 4; ++c) {
    const Fp k = coeff[c];
    Fp* o = acc.c[c];
    for (size_t i = 0; i < n; ++i) o[i] += k * col[i];
  }
}
void ext_mul_acc(ExtCols a, const Fp4& coeff, ExtColsOut acc, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const Fp4 v = at(a, i) * coeff;
    for (int c = 0; c < 4; ++c) acc.c[c][i] += v[c];
  }
}

void mul_acc2(const Fp* a, const Fp4& ka, const Fp* b, const Fp4& kb, ExtColsOut acc, size_t n) {
  for (int c = 0; c < 4; ++c) {
    const Fp x = ka[c], y = kb[c];
    Fp* o = acc.c[c];
    for (size_t i = 0; i < n; ++i) o[i] += x * a[i] + y * b[i];
  }
}

Fp4 dot(const Fp* col, ExtCols w, size_t n) {
  Fp4 acc = Fp4::zero();
  for (size_t i = 0; i < n; ++i) acc += at(w, i) * col[i];
  return acc;
}

const ColumnKernels kScalar{add, sub, mul, neg, ext_mul_base, ext_mul, mul_acc, ext_mul_acc, dot,
                             mul_acc2};

}  // namespace

const ColumnKernels& scalar_column_kernels() { return kScalar; }

const ColumnKernels& column_kernels(bool simd) {
  if (!simd) return kScalar;
  if (avx512_usable()) return avx512::column_kernels();
  return avx2_usable() ? avx2::column_kernels() : kScalar;
}

}  // namespace efaas::air
