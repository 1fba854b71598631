#include "prover/air/air.hpp"

#include <algorithm>

namespace efaas::air {

TableAir::TableAir(std::string name, uint32_t main_width, uint32_t pre_width)
    : name_(std::move(name)),
      main_width_(main_width),
      pre_width_(pre_width),
      graph_(std::make_unique<ExprGraph>()) {}

void TableAir::assert_zero(Expr e) { constraints_.push_back(e); }

void TableAir::interact(uint32_t bus, Expr multiplicity, std::vector<Expr> values) {
  interactions_.push_back({bus, multiplicity, std::move(values)});
}

Expr logup_denominator(ExprGraph& g, const Interaction& it) {
  Expr alpha = g.challenge(kChallengeAlpha);
  Expr d = g.challenge(kChallengeBeta) + g.constant(Fp::from_u32(it.bus));
  Expr power = alpha;
  for (const Expr& v : it.values) {
    d = d + power * v;
    power = power * alpha;
  }
  return d;
}

Status TableAir::finalize(uint32_t max_degree) {
  if (finalized_) return invalid_argument("table " + name_ + ": finalize() called twice");
  if (max_degree < 2) return invalid_argument("table " + name_ + ": max degree below 2");
  finalized_ = true;
  if (interactions_.empty()) return Status::ok();
  ExprGraph& g = *graph_;
  // Group interactions greedily: a group's constraint h * prod(d) - sum(m_i prod_{j!=i} d_j)
  // has degree max(1 + sum deg d, max_i deg m_i + sum_{j != i} deg d_j).
  std::vector<Expr> denominators;
  for (const Interaction& it : interactions_) {
    for (const Expr& v : it.values) {
      if (g.node(v.id()).ext) return invalid_argument("table " + name_ + ": interaction value in Fp4");
    }
    denominators.push_back(logup_denominator(g, it));
  }
  auto group_degree = [&](const std::vector<uint32_t>& group) {
    uint32_t sum_d = 0;
    for (uint32_t i : group) sum_d += g.node(denominators[i].id()).degree;
    uint32_t deg = 1 + sum_d;
    for (uint32_t i : group) {
      deg = std::max<uint32_t>(deg, g.node(interactions_[i].multiplicity.id()).degree + sum_d -
                                        g.node(denominators[i].id()).degree);
    }
    return deg;
  };
  std::vector<uint32_t> current;
  for (uint32_t i = 0; i < interactions_.size(); ++i) {
    std::vector<uint32_t> trial = current;
    trial.push_back(i);
    if (!current.empty() && group_degree(trial) > max_degree) {
      aux_groups_.push_back(current);
      current = {i};
    } else {
      current = trial;
    }
    if (group_degree(current) > max_degree) {
      return invalid_argument("table " + name_ + ": interaction " + std::to_string(i) +
                              " alone needs degree " + std::to_string(group_degree(current)) +
                              " > " + std::to_string(max_degree));
    }
  }
  aux_groups_.push_back(current);
  const uint32_t groups = uint32_t(aux_groups_.size());
  aux_width_ = groups + 1;  // group columns, then the running sum
  for (uint32_t c = 0; c < groups; ++c) {
    const auto& group = aux_groups_[c];
    Expr prod = g.constant(Fp::one());
    for (uint32_t i : group) prod = prod * denominators[i];
    Expr rhs = g.constant(Fp::zero());
    for (uint32_t i : group) {
      Expr others = interactions_[i].multiplicity;
      for (uint32_t j : group) {
        if (j != i) others = others * denominators[j];
      }
      rhs = rhs + others;
    }
    constraints_.push_back(g.aux(c) * prod - rhs);
  }
  Expr sum_cur = g.constant(Fp::zero()), sum_next = g.constant(Fp::zero());
  for (uint32_t c = 0; c < groups; ++c) {
    sum_cur = sum_cur + g.aux(c);
    sum_next = sum_next + g.aux(c, true);
  }
  Expr s = g.aux(groups), s_next = g.aux(groups, true);
  assert_first(s - sum_cur);
  assert_transition(s_next - s - sum_next);
  assert_last(s - g.aux_public(0));
  return Status::ok();
}

uint32_t TableAir::max_degree() const {
  uint32_t d = 1;
  for (const Expr& c : constraints_) d = std::max<uint32_t>(d, graph_->node(c.id()).degree);
  return d;
}

uint32_t TableAir::num_publics() const {
  uint32_t n = 0;
  for (const Node& node : graph_->nodes()) {
    if (node.op == Op::kPublic) n = std::max(n, node.index + 1);
  }
  return n;
}

}  // namespace efaas::air
