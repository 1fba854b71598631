#include <map>

#include "prover/air/eval.hpp"
#include "prover/ntt/ntt.hpp"
#include "prover/stark/stark.hpp"
#include "prover/stark/stark_common.hpp"

namespace efaas {

using namespace stark_internal;

namespace {

Status reject(const std::string& why) { return invalid_argument("STARK proof rejected: " + why); }

Status check_sizes(const char* what, const std::string& table, size_t got, size_t want) {
  if (got != want) {
    return reject(std::string(what) + " of table " + table + ": " + std::to_string(got) +
                  " values, expected " + std::to_string(want));
  }
  return Status::ok();
}

}  // namespace

Status stark_verify(const air::MachineAir& machine, const VerifyingKey& vk,
                    const StarkProof& proof,
                    std::span<const air::PublicInteraction> public_interactions) {
  const FriParams& params = vk.params;
  if (!(proof.params == params)) {
    return reject("its parameters (" + to_string(proof.params) +
                  ") are not the verifying key's (" + to_string(params) + ")");
  }
  EFAAS_RETURN_IF_ERROR(validate(params));
  if (vk.machine != machine.name) return reject("verifying key is for machine " + vk.machine);
  const size_t T = machine.tables.size();
  if (proof.log_heights.size() != T || proof.openings.size() != T || proof.aux_sums.size() != T ||
      vk.pre_log_heights.size() != T) {
    return reject("it describes " + std::to_string(proof.log_heights.size()) + " tables, the machine has " +
                  std::to_string(T));
  }
  if (proof.publics.size() != machine.num_publics) {
    return reject(std::to_string(proof.publics.size()) + " public inputs, expected " +
                  std::to_string(machine.num_publics));
  }
  const uint32_t log_b = params.log_blowup;
  bool any_logup = false;
  std::vector<uint32_t> log_d(T);
  std::vector<NextColumns> next_cols(T);
  for (size_t t = 0; t < T; ++t) {
    const air::TableAir& table = machine.tables[t];
    const uint32_t log_n = proof.log_heights[t];
    if (log_n < params.log_final_poly_len || log_n + log_b > kMaxLogNtt) {
      return reject("table " + table.name() + " height 2^" + std::to_string(log_n) + " out of range");
    }
    if (vk.pre_log_heights[t] >= 0 && uint32_t(vk.pre_log_heights[t]) != log_n) {
      return reject("table " + table.name() + " height differs from its fixed columns");
    }
    log_d[t] = log_quotient_chunks(table);
    if (log_d[t] > log_b) return reject("table " + table.name() + " degree too high for the blowup");
    any_logup |= table.uses_logup();
    const TableOpenings& o = proof.openings[t];
    next_cols[t] = next_columns(table);
    const NextColumns& nx = next_cols[t];
    EFAAS_RETURN_IF_ERROR(check_sizes("main openings", table.name(), o.main.size(), table.main_width()));
    EFAAS_RETURN_IF_ERROR(check_sizes("next-row main openings", table.name(), o.main_next.size(), nx.main.size()));
    EFAAS_RETURN_IF_ERROR(check_sizes("fixed openings", table.name(), o.pre.size(), table.pre_width()));
    EFAAS_RETURN_IF_ERROR(check_sizes("next-row fixed openings", table.name(), o.pre_next.size(), nx.pre.size()));
    const size_t aux_base = table.uses_logup() ? 4 * table.aux_width() : 0;
    EFAAS_RETURN_IF_ERROR(check_sizes("aux openings", table.name(), o.aux.size(), aux_base));
    EFAAS_RETURN_IF_ERROR(check_sizes("next-row aux openings", table.name(), o.aux_next.size(),
                                      table.uses_logup() ? nx.aux.size() : 0));
    EFAAS_RETURN_IF_ERROR(check_sizes("quotient openings", table.name(), o.quotient.size(),
                                      4 * (size_t(1) << log_d[t])));
    if (!table.uses_logup() && !proof.aux_sums[t].is_zero()) {
      return reject("table " + table.name() + " has a LogUp sum but no interactions");
    }
  }
  if (any_logup != proof.aux_root.has_value()) return reject("auxiliary commitment presence");
  if (!any_logup && !public_interactions.empty()) {
    return reject("public interactions, but no table has a LogUp bus");
  }
  if (vk.pre_root.has_value() != proof.pre_queries.has_value()) return reject("fixed-column openings presence");
  if (proof.aux_root.has_value() != proof.aux_queries.has_value()) return reject("aux openings presence");

  Transcript tr;
  observe_header(tr, machine, params, proof.log_heights, proof.publics);
  observe_public_interactions(tr, public_interactions);
  if (vk.pre_root) tr.observe(*vk.pre_root);
  tr.observe(proof.main_root);
  std::vector<Fp4> challenges(air::kNumChallenges, Fp4::zero());
  if (any_logup) {
    challenges[air::kChallengeAlpha] = tr.sample_ext();
    challenges[air::kChallengeBeta] = tr.sample_ext();
    tr.observe(*proof.aux_root);
    for (const Fp4& s : proof.aux_sums) tr.observe(s);
    auto public_sum = public_logup_sum(public_interactions, challenges[air::kChallengeAlpha],
                                       challenges[air::kChallengeBeta]);
    if (!public_sum) return reject(public_sum.status().message());
    Fp4 total = *public_sum;
    for (const Fp4& s : proof.aux_sums) total += s;
    if (!total.is_zero()) return reject("the LogUp buses do not balance");
  }
  const Fp4 alpha = tr.sample_ext();
  tr.observe(proof.quotient_root);
  const Fp4 z = tr.sample_ext();
  for (const TableOpenings& o : proof.openings) {
    for (auto* v : {&o.main, &o.main_next, &o.pre, &o.pre_next, &o.aux, &o.aux_next, &o.quotient}) {
      for (const Fp4& x : *v) tr.observe(x);
    }
  }

  // Constraints at z against each table's quotient.
  for (size_t t = 0; t < T; ++t) {
    const air::TableAir& table = machine.tables[t];
    const TableOpenings& o = proof.openings[t];
    const uint32_t log_n = proof.log_heights[t];
    const Selectors sel = selectors_at(z, log_n);
    if (sel.zh.is_zero()) return reject("out-of-domain point lies in the trace domain");
    // Columns without a g z opening are read by no constraint there: zero stands in.
    auto spread = [](const std::vector<Fp4>& sent, const std::vector<uint32_t>& cols, size_t width) {
      std::vector<Fp4> full(width, Fp4::zero());
      for (size_t k = 0; k < cols.size(); ++k) full[cols[k]] = sent[k];
      return full;
    };
    const NextColumns& nx = next_cols[t];
    const std::vector<Fp4> aux_next = spread(o.aux_next, nx.aux, o.aux.size());
    air::PointValues pv;
    pv.main = o.main;
    pv.main_next = spread(o.main_next, nx.main, o.main.size());
    pv.pre = o.pre;
    pv.pre_next = spread(o.pre_next, nx.pre, o.pre.size());
    for (size_t k = 0; k + 3 < o.aux.size(); k += 4) {
      pv.aux.push_back(ext_from_coords(o.aux[k], o.aux[k + 1], o.aux[k + 2], o.aux[k + 3]));
      pv.aux_next.push_back(
          ext_from_coords(aux_next[k], aux_next[k + 1], aux_next[k + 2], aux_next[k + 3]));
    }
    pv.is_first = sel.is_first;
    pv.is_last = sel.is_last;
    pv.is_transition = sel.is_transition;
    pv.challenges = challenges;
    pv.publics = proof.publics;
    const auto aux_publics = air::logup_aux_publics(proof.aux_sums[t], size_t(1) << log_n);
    pv.aux_publics = aux_publics;
    const Fp4 folded = air::eval_folded_at_point(table, pv, alpha);
    // Q(z) = sum_j z^(j n) Q_j(z).
    Fp4 zn = z;
    for (uint32_t i = 0; i < log_n; ++i) zn = zn.square();
    Fp4 q = Fp4::zero(), zjn = Fp4::one();
    for (size_t k = 0; k < o.quotient.size(); k += 4) {
      q += zjn * ext_from_coords(o.quotient[k], o.quotient[k + 1], o.quotient[k + 2], o.quotient[k + 3]);
      zjn *= zn;
    }
    if (folded != q * sel.zh) {
      return reject("the constraints of table " + table.name() +
                    " do not match its quotient at the out-of-domain point");
    }
  }

  // DEEP: gamma powers in the prover's order.
  const Fp4 gamma = tr.sample_ext();
  struct Term {
    int tree;       // 0 fixed, 1 main, 2 aux, 3 quotient
    size_t matrix;  // index within that tree
    size_t col;
    Fp4 coeff, value;
    bool next;
  };
  std::vector<std::vector<Term>> terms(T);
  Fp4 gamma_pow = Fp4::one();
  size_t pre_matrix = 0, aux_matrix = 0;
  for (size_t t = 0; t < T; ++t) {
    const air::TableAir& table = machine.tables[t];
    const TableOpenings& o = proof.openings[t];
    // The prover's order: each column at z, then at g z if it is opened there.
    auto add = [&](int tree, size_t matrix, size_t width, const std::vector<Fp4>& at_z,
                   const std::vector<Fp4>* at_zg, const std::vector<uint32_t>* next) {
      size_t k = 0;
      for (size_t c = 0; c < width; ++c) {
        gamma_pow *= gamma;
        terms[t].push_back({tree, matrix, c, gamma_pow, at_z[c], false});
        if (at_zg && k < next->size() && (*next)[k] == c) {
          gamma_pow *= gamma;
          terms[t].push_back({tree, matrix, c, gamma_pow, (*at_zg)[k++], true});
        }
      }
    };
    const NextColumns& nx = next_cols[t];
    if (table.pre_width() > 0) add(0, pre_matrix++, table.pre_width(), o.pre, &o.pre_next, &nx.pre);
    add(1, t, table.main_width(), o.main, &o.main_next, &nx.main);
    if (table.uses_logup()) add(2, aux_matrix++, 4 * table.aux_width(), o.aux, &o.aux_next, &nx.aux);
    add(3, t, o.quotient.size(), o.quotient, nullptr, nullptr);
  }
  std::map<uint32_t, std::vector<size_t>, std::greater<>> by_height;
  for (size_t t = 0; t < T; ++t) by_height[proof.log_heights[t] + log_b].push_back(t);
  std::vector<uint32_t> log_heights;
  for (const auto& [h, tables] : by_height) log_heights.push_back(h);
  const uint32_t log_max = log_heights.front();

  // Dimensions of the four commitments.
  std::vector<MatrixDims> main_dims, aux_dims, q_dims;
  for (size_t t = 0; t < T; ++t) {
    const air::TableAir& table = machine.tables[t];
    const size_t h = size_t(1) << (proof.log_heights[t] + log_b);
    main_dims.push_back({h, table.main_width()});
    if (table.uses_logup()) aux_dims.push_back({h, 4 * size_t(table.aux_width())});
    q_dims.push_back({h, 4 * (size_t(1) << log_d[t])});
  }
  auto tree_height = [](const std::vector<MatrixDims>& dims) {
    size_t h = 0;
    for (const auto& d : dims) h = std::max(h, d.height);
    return uint32_t(std::countr_zero(h));
  };
  auto input_values = [&](std::span<const size_t> indices) -> Result<std::vector<std::vector<Fp4>>> {
    auto check_tree = [&](const char* name, const Digest& root, const std::vector<MatrixDims>& dims,
                          const MerkleBatchOpening& op) -> Status {
      std::vector<size_t> idx(indices.size());
      const uint32_t lh = tree_height(dims);
      for (size_t q = 0; q < idx.size(); ++q) idx[q] = indices[q] >> (log_max - lh);
      Status s = verify_batch_opening(params.merkle_hash, root, dims, idx, op);
      if (!s) return reject(std::string(name) + " openings: " + s.message());
      return Status::ok();
    };
    if (vk.pre_root) EFAAS_RETURN_IF_ERROR(check_tree("fixed-column", *vk.pre_root, vk.pre_dims, *proof.pre_queries));
    EFAAS_RETURN_IF_ERROR(check_tree("main-trace", proof.main_root, main_dims, proof.main_queries));
    if (proof.aux_root) EFAAS_RETURN_IF_ERROR(check_tree("aux-trace", *proof.aux_root, aux_dims, *proof.aux_queries));
    EFAAS_RETURN_IF_ERROR(check_tree("quotient", proof.quotient_root, q_dims, proof.quotient_queries));
    const Fp shift = fri_domain_shift();
    std::vector<std::vector<Fp4>> out(indices.size());
    for (size_t q = 0; q < indices.size(); ++q) {
      for (const auto& [log_h, tables] : by_height) {
        const size_t row = indices[q] >> (log_max - log_h);
        const Fp x = shift * Fp::two_adic_generator(log_h).pow(bitrev(row, log_h));
        const Fp g = Fp::two_adic_generator(log_h - log_b);
        Fp4 az = Fp4::zero(), azg = Fp4::zero(), cz = Fp4::zero(), czg = Fp4::zero();
        for (size_t t : tables) {
          for (const Term& term : terms[t]) {
            const MerkleBatchOpening* op = term.tree == 0   ? &*proof.pre_queries
                                           : term.tree == 1 ? &proof.main_queries
                                           : term.tree == 2 ? &*proof.aux_queries
                                                            : &proof.quotient_queries;
            const Fp f = op->rows[q][term.matrix][term.col];
            (term.next ? azg : az) += term.coeff * f;
            (term.next ? czg : cz) += term.coeff * term.value;
          }
        }
        const Fp4 dz = Fp4(x) - z, dzg = Fp4(x) - z * g;
        if (dz.is_zero() || dzg.is_zero()) return reject("a query point equals the out-of-domain point");
        out[q].push_back((az - cz) * dz.inverse() + (azg - czg) * dzg.inverse());
      }
    }
    return out;
  };
  Status s = fri_verify(params, log_heights, proof.fri, tr, input_values);
  if (!s) {
    if (s.message().rfind("STARK proof rejected", 0) == 0) return s;
    return reject(s.message());
  }
  return Status::ok();
}

}  // namespace efaas
