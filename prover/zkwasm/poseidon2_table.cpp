// The Poseidon2 permutation as AIR constraints and its witness row. The round order is
// prover/hash/poseidon2.cpp's: M_E, 4 full rounds, 13 partial rounds, 4 full rounds; the
// witness here recomputes it from poseidon2_constants() and the tests compare its output with
// poseidon2_permute_reference.
#include "prover/zkwasm/poseidon2_table.hpp"

namespace efaas::zkwasm::p2 {

using air::Expr;
using air::TableAir;

namespace {

// M_E on any ring-like type: M4 on each block of 4, then each lane plus its column's sum.
template <typename T>
std::array<T, 16> external_linear(const std::array<T, 16>& s) {
  std::array<T, 16> o = s;
  for (size_t b = 0; b < 16; b += 4) {
    const T x0 = s[b], x1 = s[b + 1], x2 = s[b + 2], x3 = s[b + 3];
    const T sum = x0 + x1 + x2 + x3;
    o[b] = sum + x0 + x1 + x1;
    o[b + 1] = sum + x1 + x2 + x2;
    o[b + 2] = sum + x2 + x3 + x3;
    o[b + 3] = sum + x3 + x0 + x0;
  }
  std::array<T, 16> r = o;
  for (size_t i = 0; i < 4; ++i) {
    const T col = o[i] + o[4 + i] + o[8 + i] + o[12 + i];
    for (size_t j = i; j < 16; j += 4) r[j] = o[j] + col;
  }
  return r;
}

// M_I: every lane plus the sum of all lanes, lane i first scaled by the internal diagonal.
template <typename T>
std::array<T, 16> internal_linear(const std::array<T, 16>& s) {
  const auto& diag = poseidon2_constants().internal_diag;
  T sum = s[0];
  for (size_t i = 1; i < 16; ++i) sum = sum + s[i];
  std::array<T, 16> r = s;
  for (size_t i = 0; i < 16; ++i) r[i] = sum + s[i] * diag[i];
  return r;
}

}  // namespace

void add_permutation_constraints(TableAir& t, uint32_t base) {
  const Poseidon2Constants& rc = poseidon2_constants();
  auto c = [&](uint32_t col) { return t.main(base + col); };
  std::array<Expr, 16> s;
  for (uint32_t i = 0; i < 16; ++i) s[i] = c(Perm::kIn + i);
  s = external_linear(s);
  auto full = [&](uint32_t col, const std::array<Fp, 16>& k) {
    std::array<Expr, 16> y;
    for (uint32_t i = 0; i < 16; ++i) {
      const Expr x = s[i] + k[i], cube = c(col + i);
      t.assert_zero(cube - x * x * x);
      y[i] = cube * cube * x;
    }
    const std::array<Expr, 16> o = external_linear(y);
    for (uint32_t i = 0; i < 16; ++i) {
      t.assert_zero(c(col + 16 + i) - o[i]);
      s[i] = c(col + 16 + i);
    }
  };
  for (uint32_t r = 0; r < 4; ++r) full(Perm::kFull0 + 32 * r, rc.external_initial[r]);
  for (uint32_t r = 0; r < kPoseidon2PartialRounds; ++r) {
    const Expr x = s[0] + rc.internal[r], cube = c(Perm::kPartial + 2 * r);
    const Expr y = c(Perm::kPartial + 2 * r + 1);
    t.assert_zero(cube - x * x * x);
    t.assert_zero(y - cube * cube * x);
    s[0] = y;
    s = internal_linear(s);
  }
  for (uint32_t r = 0; r < 4; ++r) full(Perm::kFull1 + 32 * r, rc.external_final[r]);
}

TableAir permutation_table() {
  TableAir t("poseidon2", Perm::kWidth);
  add_permutation_constraints(t, 0);
  (void)t.finalize(3);
  return t;
}

void permutation_row(const Poseidon2State& in, std::span<Fp> row) {
  const Poseidon2Constants& rc = poseidon2_constants();
  std::array<Fp, 16> s = in;
  for (uint32_t i = 0; i < 16; ++i) row[Perm::kIn + i] = in[i];
  s = external_linear(s);
  auto full = [&](uint32_t col, const std::array<Fp, 16>& k) {
    std::array<Fp, 16> y;
    for (uint32_t i = 0; i < 16; ++i) {
      const Fp x = s[i] + k[i], cube = x * x * x;
      row[col + i] = cube;
      y[i] = cube * cube * x;
    }
    s = external_linear(y);
    for (uint32_t i = 0; i < 16; ++i) row[col + 16 + i] = s[i];
  };
  for (uint32_t r = 0; r < 4; ++r) full(Perm::kFull0 + 32 * r, rc.external_initial[r]);
  for (uint32_t r = 0; r < kPoseidon2PartialRounds; ++r) {
    const Fp x = s[0] + rc.internal[r], cube = x * x * x;
    row[Perm::kPartial + 2 * r] = cube;
    s[0] = cube * cube * x;
    row[Perm::kPartial + 2 * r + 1] = s[0];
    s = internal_linear(s);
  }
  for (uint32_t r = 0; r < 4; ++r) full(Perm::kFull1 + 32 * r, rc.external_final[r]);
}

}  // namespace efaas::zkwasm::p2
