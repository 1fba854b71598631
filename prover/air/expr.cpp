#include "prover/air/expr.hpp"

#include <algorithm>
#include <cassert>

namespace efaas::air {

Expr ExprGraph::leaf(Node n) {
  // Deduplicate leaves: the same column or constant referenced twice is one node.
  for (uint32_t i = 0; i < nodes_.size(); ++i) {
    const Node& m = nodes_[i];
    if (m.op == n.op && m.next == n.next && m.index == n.index && m.value == n.value &&
        m.op != Op::kAdd && m.op != Op::kSub && m.op != Op::kMul && m.op != Op::kNeg) {
      return Expr(this, i);
    }
  }
  nodes_.push_back(n);
  return Expr(this, uint32_t(nodes_.size() - 1));
}

Expr ExprGraph::constant(Fp v) { return leaf({Op::kConst, 0, false, 0, 0, 0, v}); }
Expr ExprGraph::main(uint32_t col, bool next) {
  return leaf({Op::kMain, uint8_t(next), false, 1, col, 0, Fp()});
}
Expr ExprGraph::pre(uint32_t col, bool next) {
  return leaf({Op::kPre, uint8_t(next), false, 1, col, 0, Fp()});
}
Expr ExprGraph::aux(uint32_t col, bool next) {
  return leaf({Op::kAux, uint8_t(next), true, 1, col, 0, Fp()});
}
Expr ExprGraph::challenge(uint32_t i) { return leaf({Op::kChallenge, 0, true, 0, i, 0, Fp()}); }
Expr ExprGraph::pub(uint32_t i) { return leaf({Op::kPublic, 0, false, 0, i, 0, Fp()}); }
Expr ExprGraph::aux_public(uint32_t i) {
  return leaf({Op::kAuxPublic, 0, true, 0, i, 0, Fp()});
}
Expr ExprGraph::is_first_row() { return leaf({Op::kIsFirstRow, 0, false, 1, 0, 0, Fp()}); }
Expr ExprGraph::is_last_row() { return leaf({Op::kIsLastRow, 0, false, 1, 0, 0, Fp()}); }
Expr ExprGraph::is_transition() { return leaf({Op::kIsTransition, 0, false, 0, 0, 0, Fp()}); }

Expr ExprGraph::binary(Op op, Expr a, Expr b) {
  assert(a.graph() == this && b.graph() == this);
  const Node& x = nodes_[a.id()];
  const Node& y = nodes_[b.id()];
  Node n{op, 0, x.ext || y.ext, 0, a.id(), b.id(), Fp()};
  n.degree = op == Op::kMul ? uint16_t(x.degree + y.degree) : std::max(x.degree, y.degree);
  nodes_.push_back(n);
  return Expr(this, uint32_t(nodes_.size() - 1));
}

Expr ExprGraph::neg(Expr a) {
  const Node& x = nodes_[a.id()];
  nodes_.push_back({Op::kNeg, 0, x.ext, x.degree, a.id(), 0, Fp()});
  return Expr(this, uint32_t(nodes_.size() - 1));
}

Expr operator+(Expr a, Expr b) { return a.graph()->binary(Op::kAdd, a, b); }
Expr operator-(Expr a, Expr b) { return a.graph()->binary(Op::kSub, a, b); }
Expr operator*(Expr a, Expr b) { return a.graph()->binary(Op::kMul, a, b); }
Expr operator-(Expr a) { return a.graph()->neg(a); }
Expr operator+(Expr a, Fp b) { return a + a.graph()->constant(b); }
Expr operator-(Expr a, Fp b) { return a - a.graph()->constant(b); }
Expr operator*(Expr a, Fp b) { return a * a.graph()->constant(b); }
Expr operator-(Fp a, Expr b) { return b.graph()->constant(a) - b; }

}  // namespace efaas::air
