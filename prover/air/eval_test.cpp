// The block evaluator (eval_folded, eval_base_exprs, first_violation) against the naive
// per-point evaluator eval_folded_at_point, row by row, on random DAGs over every leaf kind
// (base and extension nodes, uniform sub-expressions, next-row references), with the scalar and
// the AVX2 column kernels.
#include "prover/air/eval.hpp"

#include <gtest/gtest.h>

#include "prover/common/cpu_features.hpp"
#include "prover/common/rng.hpp"

namespace efaas::air {
namespace {

Fp rand_fp(Rng& rng) { return Fp::from_u32(rng.next_u32()); }
Fp4 rand_fp4(Rng& rng) { return Fp4(rand_fp(rng), rand_fp(rng), rand_fp(rng), rand_fp(rng)); }
std::vector<Fp> rand_vec(Rng& rng, size_t n) {
  std::vector<Fp> v(n);
  for (Fp& x : v) x = rand_fp(rng);
  return v;
}

// gated: every constraint is multiplied by main column 4 (tests choose where it vanishes; the
// evaluators factor such a flag column out of the constraints it gates).
TableAir random_table(Rng& rng, uint32_t index, bool gated = false) {
  TableAir t("random-" + std::to_string(index), 5, 2);
  ExprGraph& g = t.graph();
  std::vector<Expr> pool;
  for (uint32_t c = 0; c < 5; ++c) pool.push_back(t.main(c)), pool.push_back(t.main_next(c));
  for (uint32_t c = 0; c < 2; ++c) pool.push_back(t.pre(c)), pool.push_back(t.pre_next(c));
  for (uint32_t c = 0; c < 2; ++c) pool.push_back(g.aux(c)), pool.push_back(g.aux(c, true));
  pool.push_back(g.challenge(0));
  pool.push_back(g.challenge(1));
  pool.push_back(g.pub(3));
  pool.push_back(g.aux_public(0));
  pool.push_back(g.is_first_row());
  pool.push_back(g.is_last_row());
  pool.push_back(g.is_transition());
  pool.push_back(g.constant(rand_fp(rng)));
  pool.push_back(g.constant(Fp::zero()));
  for (int k = 0; k < 120; ++k) {
    Expr a = pool[rng.uniform(pool.size())], b = pool[rng.uniform(pool.size())];
    switch (rng.uniform(5)) {
      case 0: pool.push_back(a + b); break;
      case 1: pool.push_back(a - b); break;
      case 2: pool.push_back(a * b); break;
      case 3: pool.push_back(-a); break;
      default: pool.push_back(a * rand_fp(rng)); break;
    }
  }
  // Constraints: recent nodes, plus leaves and uniform nodes as roots, one asserted twice.
  std::vector<Expr> cs;
  for (int k = 0; k < 12; ++k) cs.push_back(pool[pool.size() - 1 - rng.uniform(80)]);
  cs.push_back(t.main(1));
  cs.push_back(t.main_next(2));
  cs.push_back(g.aux(1, true));
  cs.push_back(g.challenge(0) * g.challenge(1));
  cs.push_back(g.pub(3));
  cs.push_back(pool.back());
  for (const Expr& c : cs) t.assert_zero(gated ? t.main(4) * c : c);
  return t;
}

struct Rows {
  size_t n, stride;
  std::vector<Fp> main, pre, aux, first, last, trans, publics;
  std::vector<uint32_t> next;
  std::vector<Fp4> challenges, aux_publics;

  // successor: row i's next row is i + 1 (the last wrapping to 0), as on the trace domain, where
  // the evaluators read next-row columns in place; otherwise random rows (gathered).
  Rows(Rng& rng, size_t rows, bool successor = false) : n(rows), stride(rows + 3) {
    main = rand_vec(rng, 5 * stride);
    pre = rand_vec(rng, 2 * stride);
    aux = rand_vec(rng, 8 * stride);
    first = rand_vec(rng, n);
    last = rand_vec(rng, n);
    trans = rand_vec(rng, n);
    publics = rand_vec(rng, 4);
    next.resize(n);
    for (size_t i = 0; i < n; ++i) {
      next[i] = successor ? uint32_t((i + 1) % n) : uint32_t(rng.uniform(stride));
    }
    challenges = {rand_fp4(rng), rand_fp4(rng)};
    aux_publics = {rand_fp4(rng)};
  }
  DomainSource source(bool simd) const {
    DomainSource s;
    s.main = main.data();
    s.pre = pre.data();
    s.aux = aux.data();
    s.stride = stride;
    s.next = next.data();
    s.is_first = first.data();
    s.is_last = last.data();
    s.is_transition = trans.data();
    s.challenges = challenges;
    s.publics = publics;
    s.aux_publics = aux_publics;
    s.simd = simd;
    return s;
  }
  PointValues point(size_t i) const {
    PointValues v;
    for (uint32_t c = 0; c < 5; ++c) {
      v.main.push_back(Fp4(main[c * stride + i]));
      v.main_next.push_back(Fp4(main[c * stride + next[i]]));
    }
    for (uint32_t c = 0; c < 2; ++c) {
      v.pre.push_back(Fp4(pre[c * stride + i]));
      v.pre_next.push_back(Fp4(pre[c * stride + next[i]]));
      auto ext = [&](size_t r) {
        return Fp4(aux[(4 * c) * stride + r], aux[(4 * c + 1) * stride + r],
                   aux[(4 * c + 2) * stride + r], aux[(4 * c + 3) * stride + r]);
      };
      v.aux.push_back(ext(i));
      v.aux_next.push_back(ext(next[i]));
    }
    v.is_first = Fp4(first[i]);
    v.is_last = Fp4(last[i]);
    v.is_transition = Fp4(trans[i]);
    v.challenges = challenges;
    v.publics = publics;
    v.aux_publics = aux_publics;
    return v;
  }
};

std::vector<bool> simd_modes() {
  std::vector<bool> m = {false};
  if (avx2_usable()) m.push_back(true);
  return m;
}

TEST(Eval, FoldedMatchesPointEvaluation) {
  Rng rng(test_seed("Eval.Folded"));
  for (uint32_t t = 0; t < 16; ++t) {
    const TableAir table = random_table(rng, t, /*gated=*/t % 2 == 1);
    const size_t n = 1 + rng.uniform(700);  // several blocks and a partial one
    const Rows rows(rng, n, /*successor=*/t % 4 >= 2);
    const Fp4 alpha = rand_fp4(rng);
    std::vector<Fp4> want(n);
    for (size_t i = 0; i < n; ++i) want[i] = eval_folded_at_point(table, rows.point(i), alpha);
    for (bool simd : simd_modes()) {
      std::vector<Fp4> got(n);
      // Two ranges, the second starting mid-way, as the prover's threads call it.
      const size_t mid = n / 3;
      eval_folded(table, rows.source(simd), 0, mid, alpha, got.data());
      eval_folded(table, rows.source(simd), mid, n, alpha, got.data() + mid);
      for (size_t i = 0; i < n; ++i) {
        ASSERT_EQ(got[i], want[i]) << "table " << t << " simd " << simd << " row " << i;
      }
    }
  }
}

// A node's value at one point, from the verifier's per-point evaluator (the oracle for single
// expressions, as eval_folded_at_point is for the folded sums above).
Fp4 naive_value(const TableAir& table, const PointValues& pv, uint32_t root) {
  return eval_nodes_at_point(table, pv, root)[root];
}

TEST(Eval, BaseExpressionsMatchNaiveValues) {
  Rng rng(test_seed("Eval.BaseExprs"));
  for (uint32_t t = 0; t < 6; ++t) {
    const TableAir table = random_table(rng, t);
    const size_t n = 1 + rng.uniform(600);
    const Rows rows(rng, n);
    std::vector<Expr> exprs;
    for (uint32_t id = 0; id < table.graph().nodes().size(); id += 3) {
      if (!table.graph().node(id).ext) exprs.push_back(Expr(const_cast<ExprGraph*>(&table.graph()), id));
    }
    ASSERT_GT(exprs.size(), 10u);
    for (bool simd : simd_modes()) {
      const size_t begin = n / 4;
      std::vector<Fp> out(exprs.size() * (n - begin));
      eval_base_exprs(table, rows.source(simd), begin, n, exprs, out.data());
      for (size_t i = begin; i < n; ++i) {
        const PointValues pv = rows.point(i);
        for (size_t k = 0; k < exprs.size(); ++k) {
          ASSERT_EQ(out[k * (n - begin) + (i - begin)], naive_value(table, pv, exprs[k].id())[0])
              << "table " << t << " simd " << simd << " expr " << k << " row " << i;
        }
      }
    }
  }
}

TEST(Eval, FirstViolationFindsTheFirstRowAndConstraint) {
  Rng rng(test_seed("Eval.FirstViolation"));
  for (uint32_t t = 0; t < 8; ++t) {
    const TableAir table = random_table(rng, t, /*gated=*/true);
    const size_t n = 2 + rng.uniform(900);
    Rows rows(rng, n, /*successor=*/t % 2 == 1);
    // The gate is zero before r0 and on about half the later rows, one at r0.
    const size_t r0 = rng.uniform(n);
    for (size_t i = 0; i < n; ++i) {
      if (i < r0 || rng.uniform(2) == 0) rows.main[4 * rows.stride + i] = Fp::zero();
    }
    rows.main[4 * rows.stride + r0] = Fp::one();
    // The naive scan, row-major.
    std::optional<Violation> want;
    for (size_t i = 0; i < n && !want; ++i) {
      const PointValues pv = rows.point(i);
      for (size_t k = 0; k < table.constraints().size(); ++k) {
        if (!naive_value(table, pv, table.constraints()[k].id()).is_zero()) {
          want = Violation{i, k};
          break;
        }
      }
    }
    for (bool simd : simd_modes()) {
      auto got = first_violation(table, rows.source(simd), n);
      ASSERT_EQ(got.has_value(), want.has_value());
      if (want) {
        EXPECT_EQ(got->row, want->row) << "table " << t << " simd " << simd;
        EXPECT_EQ(got->constraint, want->constraint) << "table " << t << " simd " << simd;
      }
      ASSERT_TRUE(want.has_value());  // random values violate at r0
      EXPECT_EQ(want->row, r0);
      // The ranged form: from the row after r0, the next gated row that violates.
      auto from = first_violation(table, rows.source(simd), r0 + 1, n);
      std::optional<size_t> want_row;
      for (size_t i = r0 + 1; i < n && !want_row; ++i) {
        const PointValues pv = rows.point(i);
        for (const Expr& c : table.constraints()) {
          if (!naive_value(table, pv, c.id()).is_zero()) {
            want_row = i;
            break;
          }
        }
      }
      ASSERT_EQ(from.has_value(), want_row.has_value());
      if (from) {
        EXPECT_EQ(from->row, *want_row);
      }
    }
    // With the gate one on every row the random factors violate on row 0; with it zero on
    // every row nothing is violated, whatever the gated factors hold.
    for (size_t i = 0; i < n; ++i) rows.main[4 * rows.stride + i] = Fp::one();
    for (bool simd : simd_modes()) {
      auto got = first_violation(table, rows.source(simd), n);
      ASSERT_TRUE(got.has_value()) << "table " << t;
      EXPECT_EQ(got->row, 0u) << "table " << t;
    }
    for (size_t i = 0; i < n; ++i) rows.main[4 * rows.stride + i] = Fp::zero();
    for (bool simd : simd_modes()) {
      EXPECT_FALSE(first_violation(table, rows.source(simd), n).has_value()) << "table " << t;
    }
  }
}

// Base constraints gated by one flag column: the check scans each factor where the flag is
// nonzero, so a violation on a block whose flags are all one is found, and factors that do not
// vanish where the flag is zero are no violation.
TEST(Eval, FirstViolationOfFlagGatedConstraints) {
  Rng rng(test_seed("Eval.FirstViolationGated"));
  TableAir table("gated", 5, 2);
  for (uint32_t k = 0; k < 6; ++k) {
    table.assert_zero(table.main(0) * (table.main(1 + k % 3) - table.graph().constant(Fp::from_u32(k))));
  }
  const size_t n = 700;
  Rows rows(rng, n, /*successor=*/true);
  for (size_t i = 0; i < n; ++i) {
    rows.main[i] = i < 512 ? Fp::zero() : Fp::one();          // the flag: blocks 0-1 off, 2 on
    rows.main[rows.stride + i] = Fp::from_u32(100 + (i % 7));  // factors nonzero everywhere
  }
  for (bool simd : simd_modes()) {
    auto got = first_violation(table, rows.source(simd), n);
    ASSERT_TRUE(got.has_value()) << "simd " << simd;
    EXPECT_EQ(got->row, 512u);
    EXPECT_EQ(got->constraint, 0u);
    EXPECT_FALSE(first_violation(table, rows.source(simd), 0, 512).has_value());
  }
}

}  // namespace
}  // namespace efaas::air
