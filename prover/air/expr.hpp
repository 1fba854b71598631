#pragma once
// Constraint expressions: a DAG of field operations over a table's columns, built once by the
// AIR and then evaluated three ways — on the trace (the prover's own check), over the LDE/quotient
// domain in blocks of rows (the prover's quotient), and at the out-of-domain point in Fp4 (the
// verifier). Degrees are computed symbolically so the prover can size the quotient.
#include <cstdint>
#include <memory>
#include <vector>

#include "prover/field/babybear.hpp"
#include "prover/field/babybear_ext.hpp"

namespace efaas::air {

enum class Op : uint8_t {
  kConst,         // value
  kMain,          // main column `index` at row offset `next` (0: this row, 1: next row)
  kPre,           // preprocessed (fixed) column
  kAux,           // auxiliary extension column (LogUp), Fp4-valued
  kChallenge,     // verifier challenge `index` (Fp4), e.g. LogUp's alpha and beta
  kPublic,        // public input `index` (Fp)
  kAuxPublic,     // per-table extension value sent by the prover (LogUp sum), Fp4
  kIsFirstRow,
  kIsLastRow,
  kIsTransition,  // 1 on every row but the last
  kAdd,
  kSub,
  kMul,
  kNeg,
};

struct Node {
  Op op;
  uint8_t next = 0;     // row offset for column references
  bool ext = false;     // Fp4-valued (aux columns, challenges, and anything built on them)
  uint16_t degree = 0;  // in multiples of the trace length (selectors first/last count 1)
  uint32_t index = 0;   // column / challenge / public index, or left operand
  uint32_t rhs = 0;     // right operand
  Fp value;             // kConst
};

class ExprGraph;

// A handle to a node; cheap to copy. Arithmetic builds new nodes in the same graph.
class Expr {
 public:
  Expr() = default;
  Expr(ExprGraph* g, uint32_t id) : g_(g), id_(id) {}
  uint32_t id() const { return id_; }
  ExprGraph* graph() const { return g_; }
  bool valid() const { return g_ != nullptr; }

  friend Expr operator+(Expr a, Expr b);
  friend Expr operator-(Expr a, Expr b);
  friend Expr operator*(Expr a, Expr b);
  friend Expr operator-(Expr a);
  friend Expr operator+(Expr a, Fp b);
  friend Expr operator-(Expr a, Fp b);
  friend Expr operator*(Expr a, Fp b);
  friend Expr operator+(Fp a, Expr b) { return b + a; }
  friend Expr operator*(Fp a, Expr b) { return b * a; }
  friend Expr operator-(Fp a, Expr b);
  Expr& operator+=(Expr b) { return *this = *this + b; }
  Expr& operator-=(Expr b) { return *this = *this - b; }
  Expr& operator*=(Expr b) { return *this = *this * b; }

 private:
  ExprGraph* g_ = nullptr;
  uint32_t id_ = 0;
};

class ExprGraph {
 public:
  Expr constant(Fp v);
  Expr constant(uint64_t v) { return constant(Fp::from_u64(v)); }
  Expr main(uint32_t col, bool next = false);
  Expr pre(uint32_t col, bool next = false);
  Expr aux(uint32_t col, bool next = false);
  Expr challenge(uint32_t i);
  Expr pub(uint32_t i);
  Expr aux_public(uint32_t i);
  Expr is_first_row();
  Expr is_last_row();
  Expr is_transition();
  Expr binary(Op op, Expr a, Expr b);
  Expr neg(Expr a);

  const std::vector<Node>& nodes() const { return nodes_; }
  const Node& node(uint32_t id) const { return nodes_[id]; }

 private:
  Expr leaf(Node n);
  std::vector<Node> nodes_;
};

}  // namespace efaas::air
