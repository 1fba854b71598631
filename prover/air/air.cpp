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
  // The last group has no column of its own: the running sum s takes its place. With T the
  // table's LogUp sum and n its height, s(r) = sum over rows i < r of (row i's fractions - T/n),
  // so on every row, the last wrapping to the first,
  //   s(r+1) - s(r) + T/n - sum_{c < G-1} h_c(r) = the last group's fractions at r,
  // which is that group's constraint with this left side in place of its column. Summed over the
  // n rows the left sides give T - sum h, so T is the sum of all fractions. No selector and no
  // first/last-row constraints: the running sum costs no column and keeps the group's degree.
  // T/n is aux public 1, which prover and verifier both compute from T (logup_aux_publics).
  const uint32_t groups = uint32_t(aux_groups_.size());
  aux_width_ = groups;  // group columns 0..groups-2, then the running sum
  const Expr s = g.aux(groups - 1), s_next = g.aux(groups - 1, true);
  Expr last_lhs = s_next - s + g.aux_public(kAuxPublicSumPerRow);
  for (uint32_t c = 0; c + 1 < groups; ++c) last_lhs = last_lhs - g.aux(c);
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
    constraints_.push_back((c + 1 < groups ? g.aux(c) : last_lhs) * prod - rhs);
  }
  return Status::ok();
}

std::array<Fp4, kNumAuxPublics> logup_aux_publics(const Fp4& sum, size_t height) {
  return {sum, sum * Fp::from_u32(uint32_t(height)).inverse()};
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
