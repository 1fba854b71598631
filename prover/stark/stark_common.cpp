#include "prover/stark/stark_common.hpp"

#include <bit>

#include "prover/field/field_ops.hpp"

namespace efaas::stark_internal {

uint32_t log_quotient_chunks(const air::TableAir& table) {
  uint32_t d = table.max_degree();
  uint32_t chunks = d <= 2 ? 1 : d - 1;
  return uint32_t(std::bit_width(chunks - 1));
}

NextColumns next_columns(const air::TableAir& table) {
  std::vector<bool> main(table.main_width()), pre(table.pre_width()), aux(table.aux_width());
  for (const air::Node& node : table.graph().nodes()) {
    if (node.next == 0) continue;
    std::vector<bool>* used = node.op == air::Op::kMain  ? &main
                              : node.op == air::Op::kPre ? &pre
                              : node.op == air::Op::kAux ? &aux
                                                         : nullptr;
    if (used != nullptr && node.index < used->size()) (*used)[node.index] = true;
  }
  NextColumns out;
  for (uint32_t c = 0; c < main.size(); ++c) {
    if (main[c]) out.main.push_back(c);
  }
  for (uint32_t c = 0; c < pre.size(); ++c) {
    if (pre[c]) out.pre.push_back(c);
  }
  for (uint32_t c = 0; c < aux.size(); ++c) {
    for (uint32_t k = 0; aux[c] && k < 4; ++k) out.aux.push_back(4 * c + k);
  }
  return out;
}

void observe_header(Transcript& t, const air::MachineAir& machine, const FriParams& params,
                    std::span<const uint32_t> log_heights, std::span<const Fp> publics) {
  t.observe_label(kDomainSeparator);
  t.observe_u64(params.log_blowup);
  t.observe_u64(params.num_queries);
  t.observe_u64(params.pow_bits);
  t.observe_u64(params.log_final_poly_len);
  t.observe_u64(params.log_arity);
  t.observe_u64(uint64_t(params.merkle_hash));
  t.observe_label(machine.name);
  t.observe_u64(machine.tables.size());
  for (size_t i = 0; i < machine.tables.size(); ++i) {
    t.observe_label(machine.tables[i].name());
    t.observe_u64(log_heights[i]);
  }
  t.observe_u64(publics.size());
  t.observe(publics);
}

void observe_public_interactions(Transcript& t, std::span<const air::PublicInteraction> its) {
  t.observe_u64(its.size());
  for (const air::PublicInteraction& it : its) {
    t.observe_u64(it.bus);
    t.observe(it.multiplicity);
    t.observe_u64(it.values.size());
    t.observe(std::span<const Fp>(it.values));
  }
}

Result<Fp4> public_logup_sum(std::span<const air::PublicInteraction> its, const Fp4& alpha,
                             const Fp4& beta) {
  std::vector<Fp4> denom(its.size());
  for (size_t k = 0; k < its.size(); ++k) {
    Fp4 d = beta + Fp4(Fp::from_u32(its[k].bus));
    Fp4 power = alpha;
    for (const Fp& v : its[k].values) {
      d += power * v;
      power *= alpha;
    }
    denom[k] = d;
  }
  if (Status s = batch_inverse(denom, denom); !s) {
    return invalid_argument("a public interaction's LogUp denominator is zero");
  }
  Fp4 sum = Fp4::zero();
  for (size_t k = 0; k < its.size(); ++k) sum += denom[k] * its[k].multiplicity;
  return sum;
}

Selectors selectors_at(const Fp4& x, uint32_t log_n) {
  const size_t n = size_t(1) << log_n;
  const Fp g_inv = Fp::two_adic_generator(log_n).inverse();
  Fp4 xn = x;
  for (uint32_t i = 0; i < log_n; ++i) xn = xn.square();
  Selectors s;
  s.zh = xn - Fp4::one();
  const Fp n_inv = Fp::from_u64(n).inverse();
  s.is_first = s.zh * (x - Fp4::one()).inverse() * n_inv;
  s.is_last = s.zh * (x - Fp4(g_inv)).inverse() * (n_inv * g_inv);
  s.is_transition = x - Fp4(g_inv);
  return s;
}

Fp4 ext_from_coords(const Fp4& a0, const Fp4& a1, const Fp4& a2, const Fp4& a3) {
  const Fp4 X(Fp::zero(), Fp::one(), Fp::zero(), Fp::zero());
  return a0 + X * (a1 + X * (a2 + X * a3));
}

}  // namespace efaas::stark_internal
