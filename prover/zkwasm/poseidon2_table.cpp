// The Poseidon2 permutation as AIR constraints and its witness row. The round order is
// prover/hash/poseidon2.cpp's: M_E, 4 full rounds, 13 partial rounds, 4 full rounds; the
// witness here recomputes it from poseidon2_constants() and the tests compare its output with
// poseidon2_permute_reference.
#include "prover/zkwasm/poseidon2_table.hpp"

#include <algorithm>
#include <utility>

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

// M_E^-1 as a matrix (M_E is invertible: Poseidon2's external layer is MDS), by Gauss-Jordan
// elimination of M_E's columns (external_linear of the unit vectors).
const std::array<std::array<Fp, 16>, 16>& external_inverse() {
  static const std::array<std::array<Fp, 16>, 16> inv = [] {
    std::array<std::array<Fp, 32>, 16> a{};  // [M_E | I]
    for (size_t k = 0; k < 16; ++k) {
      std::array<Fp, 16> e{};
      e[k] = Fp::one();
      const std::array<Fp, 16> col = external_linear(e);
      for (size_t r = 0; r < 16; ++r) a[r][k] = col[r];
      a[k][16 + k] = Fp::one();
    }
    for (size_t c = 0; c < 16; ++c) {
      size_t p = c;
      while (a[p][c] == Fp::zero()) ++p;  // M_E is invertible: some pivot exists
      std::swap(a[p], a[c]);
      const Fp f = a[c][c].inverse();
      for (auto& x : a[c]) x *= f;
      for (size_t r = 0; r < 16; ++r) {
        if (r == c || a[r][c] == Fp::zero()) continue;
        const Fp g = a[r][c];
        for (size_t k = 0; k < 32; ++k) a[r][k] -= g * a[c][k];
      }
    }
    std::array<std::array<Fp, 16>, 16> m{};
    for (size_t r = 0; r < 16; ++r)
      for (size_t k = 0; k < 16; ++k) m[r][k] = a[r][16 + k];
    return m;
  }();
  return inv;
}

// The round constants of full-round row `phase` (0, 1, 3, 4): its first and second round's.
const std::array<Fp, 16>& full_constants(uint32_t phase, uint32_t second) {
  const Poseidon2Constants& rc = poseidon2_constants();
  const uint32_t k = 2 * (phase < Rows::kPartialRow ? phase : phase - 3) + second;
  return phase < Rows::kPartialRow ? rc.external_initial[k] : rc.external_final[k];
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

RowsExprs add_rows_constraints(TableAir& t, uint32_t base) {
  const Poseidon2Constants& rc = poseidon2_constants();
  auto c = [&](uint32_t col) { return t.main(base + col); };
  auto n = [&](uint32_t col) { return t.main_next(base + col); };
  const Fp one = Fp::one();
  constexpr uint32_t kP = Rows::kPerPerm, kPart = Rows::kPartialRow;
  // Phases: one-hot, 0 on the first row, +1 (mod kPerPerm) per row.
  std::array<Expr, kP> ph;
  Expr sum = t.constant(0);
  for (uint32_t k = 0; k < kP; ++k) {
    ph[k] = c(Rows::kPhase + k);
    t.assert_bool(ph[k]);
    sum = sum + ph[k];
    t.assert_transition(n(Rows::kPhase + (k + 1) % kP) - ph[k]);
  }
  t.assert_zero(sum - one);
  t.assert_first(ph[0] - one);
  const Expr full = one - ph[kPart];
  Expr within = t.constant(0);  // rows whose next row continues the permutation
  for (uint32_t k = 0; k + 1 < kP; ++k) within = within + ph[k];

  std::array<Expr, 16> s, next;
  for (uint32_t i = 0; i < 16; ++i) s[i] = c(Rows::kState + i), next[i] = n(Rows::kState + i);
  // Full rows: two rounds, the constants picked by the phase.
  auto round = [&](const std::array<Expr, 16>& in, uint32_t cubes, uint32_t second) {
    std::array<Expr, 16> y;
    for (uint32_t i = 0; i < 16; ++i) {
      Expr k = t.constant(0);
      for (uint32_t p = 0; p < kP; ++p)
        if (p != kPart) k = k + ph[p] * full_constants(p, second)[i];
      const Expr x = in[i] + k, cube = c(cubes + i);
      t.assert_zero(full * (cube - x * x * x));
      y[i] = cube * cube * x;
    }
    return external_linear(y);
  };
  const std::array<Expr, 16> mid_out = round(s, Rows::kCube1, 0);
  std::array<Expr, 16> mid;
  for (uint32_t i = 0; i < 16; ++i) {
    mid[i] = c(Rows::kMid + i);
    t.assert_zero(full * (mid[i] - mid_out[i]));
  }
  const std::array<Expr, 16> full_out = round(mid, Rows::kCube2, 1);
  // The partial row: 13 rounds on lane 0, the other lanes linear in the row's columns.
  std::array<Expr, 16> u = s;
  for (uint32_t r = 0; r < kPoseidon2PartialRounds; ++r) {
    const Expr x = u[0] + rc.internal[r], cube = c(Rows::kPartial + 2 * r);
    const Expr y = c(Rows::kPartial + 2 * r + 1);
    t.assert_zero(ph[kPart] * (cube - x * x * x));
    t.assert_zero(ph[kPart] * (y - cube * cube * x));
    u[0] = y;
    u = internal_linear(u);
  }
  // Within a permutation the next row starts from this row's output.
  for (uint32_t i = 0; i < 16; ++i) {
    t.assert_transition((within - ph[kPart]) * (next[i] - full_out[i]));
    t.assert_transition(ph[kPart] * (next[i] - u[i]));
  }
  RowsExprs out;
  const auto& inv = external_inverse();
  for (uint32_t j = 0; j < 16; ++j) {
    Expr v = t.constant(0);
    Expr w = t.constant(0);
    for (uint32_t k = 0; k < 16; ++k) v = v + s[k] * inv[j][k], w = w + next[k] * inv[j][k];
    out.input[j] = v;
    out.next_input[j] = w;
    out.output[j] = full_out[j];
  }
  return out;
}

Poseidon2State permutation_rows(const Poseidon2State& in, std::span<Fp> rows) {
  const Poseidon2Constants& rc = poseidon2_constants();
  std::fill(rows.begin(), rows.begin() + size_t(Rows::kPerPerm) * Rows::kWidth, Fp::zero());
  std::array<Fp, 16> s = external_linear(in);
  auto round = [&](std::span<Fp> row, const std::array<Fp, 16>& st, uint32_t cubes,
                   const std::array<Fp, 16>& k) {
    std::array<Fp, 16> y;
    for (uint32_t i = 0; i < 16; ++i) {
      const Fp x = st[i] + k[i], cube = x * x * x;
      row[cubes + i] = cube;
      y[i] = cube * cube * x;
    }
    return external_linear(y);
  };
  for (uint32_t p = 0; p < Rows::kPerPerm; ++p) {
    std::span<Fp> row = rows.subspan(size_t(p) * Rows::kWidth, Rows::kWidth);
    for (uint32_t i = 0; i < 16; ++i) row[Rows::kState + i] = s[i];
    row[Rows::kPhase + p] = Fp::one();
    if (p == Rows::kPartialRow) {
      for (uint32_t r = 0; r < kPoseidon2PartialRounds; ++r) {
        const Fp x = s[0] + rc.internal[r], cube = x * x * x;
        row[Rows::kPartial + 2 * r] = cube;
        s[0] = cube * cube * x;
        row[Rows::kPartial + 2 * r + 1] = s[0];
        s = internal_linear(s);
      }
      continue;
    }
    const std::array<Fp, 16> mid = round(row, s, Rows::kCube1, full_constants(p, 0));
    for (uint32_t i = 0; i < 16; ++i) row[Rows::kMid + i] = mid[i];
    s = round(row, mid, Rows::kCube2, full_constants(p, 1));
  }
  return s;
}

}  // namespace efaas::zkwasm::p2
