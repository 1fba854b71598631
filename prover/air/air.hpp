#pragma once
// Multi-table AIRs. A machine is a list of tables; each table has main columns (the witness),
// optional preprocessed (fixed) columns, polynomial constraints that vanish on every row, and
// interactions on LogUp buses through which tables exchange values. Interactions become
// auxiliary extension-field columns and constraints (finalize()); the verifier checks that the
// per-table LogUp sums cancel across the machine.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "prover/air/expr.hpp"
#include "prover/common/status.hpp"

namespace efaas::air {

// LogUp challenges are the first two verifier challenges of every table's graph.
constexpr uint32_t kChallengeAlpha = 0;  // combines the tuple: bus + sum alpha^(k+1) v_k
constexpr uint32_t kChallengeBeta = 1;   // the shift: 1 / (beta + fingerprint)
constexpr uint32_t kNumChallenges = 2;

// A LogUp table's aux publics: its sum T (sent in the proof, index 0) and T / height (index 1),
// which the running-sum constraint reads (finalize()); prover and verifier compute the second
// from the first with logup_aux_publics.
constexpr uint32_t kAuxPublicSum = 0;
constexpr uint32_t kAuxPublicSumPerRow = 1;
constexpr uint32_t kNumAuxPublics = 2;

struct Interaction {
  uint32_t bus = 0;
  Expr multiplicity;          // base field; positive on the sending side, negative receiving
  std::vector<Expr> values;   // base field
};

class TableAir {
 public:
  TableAir(std::string name, uint32_t main_width, uint32_t pre_width = 0);
  TableAir(TableAir&&) = default;
  TableAir& operator=(TableAir&&) = default;

  const std::string& name() const { return name_; }
  uint32_t main_width() const { return main_width_; }
  uint32_t pre_width() const { return pre_width_; }
  uint32_t aux_width() const { return aux_width_; }  // extension columns, after finalize()
  ExprGraph& graph() { return *graph_; }
  const ExprGraph& graph() const { return *graph_; }

  // Column and selector references.
  Expr main(uint32_t col) { return graph_->main(col); }
  Expr main_next(uint32_t col) { return graph_->main(col, true); }
  Expr pre(uint32_t col) { return graph_->pre(col); }
  Expr pre_next(uint32_t col) { return graph_->pre(col, true); }
  Expr constant(uint64_t v) { return graph_->constant(v); }
  Expr pub(uint32_t i) { return graph_->pub(i); }

  // Constraints.
  void assert_zero(Expr e);
  void assert_first(Expr e) { assert_zero(graph_->is_first_row() * e); }
  void assert_last(Expr e) { assert_zero(graph_->is_last_row() * e); }
  void assert_transition(Expr e) { assert_zero(graph_->is_transition() * e); }
  void assert_bool(Expr e) { assert_zero(e * (e - Fp::one())); }

  // Sends `values` on `bus` with `multiplicity` (negate it to receive).
  void interact(uint32_t bus, Expr multiplicity, std::vector<Expr> values);

  // Builds the LogUp auxiliary columns and constraints, keeping every constraint's degree at
  // most max_degree (>= 2). Call once, after all interactions.
  Status finalize(uint32_t max_degree);
  bool finalized() const { return finalized_; }

  const std::vector<Expr>& constraints() const { return constraints_; }
  const std::vector<Interaction>& interactions() const { return interactions_; }
  // Interaction groups: aux column g < aux_width() - 1 holds the sum over its interactions of
  // m / (beta + fp); the last group's sum lives only in the running sum, column aux_width() - 1.
  const std::vector<std::vector<uint32_t>>& aux_groups() const { return aux_groups_; }
  // Highest constraint degree (>= 1).
  uint32_t max_degree() const;
  bool uses_logup() const { return !interactions_.empty(); }
  // Number of public inputs referenced (max index + 1).
  uint32_t num_publics() const;

 private:
  std::string name_;
  uint32_t main_width_, pre_width_, aux_width_ = 0;
  std::unique_ptr<ExprGraph> graph_;  // heap-held so Expr handles survive moves
  std::vector<Expr> constraints_;
  std::vector<Interaction> interactions_;
  std::vector<std::vector<uint32_t>> aux_groups_;
  bool finalized_ = false;
};

// The LogUp fingerprint denominator of an interaction: beta + bus + sum_k alpha^(k+1) v_k.
Expr logup_denominator(ExprGraph& g, const Interaction& it);

std::array<Fp4, kNumAuxPublics> logup_aux_publics(const Fp4& sum, size_t height);

// An interaction whose bus, tuple and multiplicity both prover and verifier know (public I/O,
// state at a segment boundary): it is absorbed into the transcript with the public inputs and its
// LogUp term m / (beta + bus + sum_k alpha^(k+1) v_k) enters the balance check, so tables can
// send or receive values that the verifier supplies, without a public input per value.
struct PublicInteraction {
  uint32_t bus = 0;
  Fp multiplicity = Fp::zero();  // positive sends, negated receives, as in TableAir::interact
  std::vector<Fp> values;
};

struct MachineAir {
  std::string name;
  std::vector<TableAir> tables;
  uint32_t num_publics = 0;
};

}  // namespace efaas::air
