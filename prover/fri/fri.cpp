#include "prover/fri/fri.hpp"

#include <cstring>
#include <memory>

#include "prover/common/bits.hpp"
#include "prover/common/thread_pool.hpp"
#include "prover/fri/fri_internal.hpp"
#include "prover/ntt/ntt.hpp"

namespace efaas {

namespace {

size_t bitrev(size_t i, uint32_t bits) { return reverse_bits(i, bits); }

// The folded pair: (lo + hi)/2 + beta (lo - hi) / (2x), where lo = f(x), hi = f(-x).
inline Fp4 fold_pair(const Fp4& lo, const Fp4& hi, const Fp4& beta, Fp inv_two, Fp inv_x) {
  return (lo + hi) * inv_two + beta * ((lo - hi) * (inv_two * inv_x));
}

// 1/x for the even positions 2i of a layer of height 2^log_h on shift * H: x = shift *
// w^bitrev_{log_h - 1}(i).
Fp inv_x_at(Fp shift_inv, uint32_t log_h, size_t pair_index) {
  Fp w_inv = Fp::two_adic_generator(log_h).inverse();
  return shift_inv * w_inv.pow(bitrev(pair_index, log_h - 1));
}

Fp4 eval_poly(std::span<const Fp4> coeffs, Fp4 x) {
  Fp4 acc = Fp4::zero();
  for (size_t i = coeffs.size(); i-- > 0;) acc = acc * x + coeffs[i];
  return acc;
}

}  // namespace

Fp fri_domain_shift() { return Fp::from_canonical(Fp::kGenerator); }

Result<FriProof> fri_prove(const FriParams& params, std::vector<FriInput> inputs,
                           Transcript& transcript, const FriProverConfig& cfg,
                           const std::function<void(std::span<const size_t>)>& open_inputs,
                           bool check_degree) {
  std::vector<std::pair<uint32_t, size_t>> shapes;
  for (const FriInput& in : inputs) shapes.push_back({in.log_height, in.evals.size()});
  EFAAS_RETURN_IF_ERROR(fri_internal::check_inputs(params, shapes));
  const uint32_t final_log = params.log_final_poly_len + params.log_blowup;
  HashConfig hcfg{cfg.backend, cfg.threads, cfg.opencl_device};
  ThreadPool& pool = ThreadPool::with_threads(cfg.threads);
  FriProof proof;
  const uint32_t log_max = inputs[0].log_height;
  uint32_t log_h = log_max;
  std::vector<Fp4> cur = std::move(inputs[0].evals);
  size_t next_input = 1;
  Fp shift = fri_domain_shift();
  std::vector<MerkleTree> trees;
  const Fp inv_two = Fp::from_canonical(2).inverse();
  while (log_h > final_log) {
    const size_t h = size_t(1) << log_h;
    std::vector<Fp> flat(4 * h);
    pool.parallel_for(h, 4096, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        for (int c = 0; c < 4; ++c) flat[4 * i + c] = cur[i][c];
      }
    });
    std::vector<Matrix> leaves;
    leaves.emplace_back(std::move(flat), h / 2, 8, Layout::kRowMajor);
    auto tree = MerkleTree::build(std::move(leaves), hcfg);
    if (!tree) return tree.status();
    transcript.observe(tree->root());
    proof.commitments.push_back(tree->root());
    trees.push_back(std::move(*tree));
    const Fp4 beta = transcript.sample_ext();
    // w^-j for j < h/2, indexed by bit-reversed pair index.
    const Fp shift_inv = shift.inverse();
    const Fp w_inv = Fp::two_adic_generator(log_h).inverse();
    std::vector<Fp> pw(h / 2);
    pool.parallel_for(h / 2, 4096, [&](size_t b, size_t e) {
      Fp x = w_inv.pow(b);
      for (size_t j = b; j < e; ++j) {
        pw[j] = x;
        x *= w_inv;
      }
    });
    std::vector<Fp4> folded(h / 2);
    pool.parallel_for(h / 2, 4096, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        Fp inv_x = shift_inv * pw[bitrev(i, log_h - 1)];
        folded[i] = fold_pair(cur[2 * i], cur[2 * i + 1], beta, inv_two, inv_x);
      }
    });
    cur = std::move(folded);
    shift = shift.square();
    --log_h;
    if (next_input < inputs.size() && inputs[next_input].log_height == log_h) {
      const Fp4 beta2 = beta.square();
      const auto& in = inputs[next_input].evals;
      pool.parallel_for(cur.size(), 4096, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) cur[i] += beta2 * in[i];
      });
      ++next_input;
    }
  }
  return fri_internal::finish(params, log_max, std::move(trees), cur, shift, transcript, cfg,
                              open_inputs, check_degree, nullptr, std::move(proof));
}

namespace fri_internal {

Status check_inputs(const FriParams& params,
                    std::span<const std::pair<uint32_t, size_t>> shapes) {
  EFAAS_RETURN_IF_ERROR(validate(params));
  const uint32_t final_log = params.log_final_poly_len + params.log_blowup;
  if (shapes.empty()) return invalid_argument("FRI: no inputs");
  for (size_t k = 0; k < shapes.size(); ++k) {
    const uint32_t log_h = shapes[k].first;
    if (log_h > kMaxLogNtt || shapes[k].second != (size_t(1) << log_h)) {
      return invalid_argument("FRI: input " + std::to_string(k) + " has " +
                              std::to_string(shapes[k].second) + " values, expected 2^" +
                              std::to_string(log_h));
    }
    if (log_h < final_log) {
      return invalid_argument("FRI: input " + std::to_string(k) + " of height 2^" +
                              std::to_string(log_h) + " is below the final domain 2^" +
                              std::to_string(final_log));
    }
    if (k > 0 && log_h >= shapes[k - 1].first) {
      return invalid_argument("FRI: input heights must strictly decrease");
    }
  }
  return Status::ok();
}

Result<FriProof> finish(const FriParams& params, uint32_t log_max, std::vector<MerkleTree> trees,
                        std::span<const Fp4> cur, Fp shift, Transcript& transcript,
                        const FriProverConfig& cfg,
                        const std::function<void(std::span<const size_t>)>& open_inputs,
                        bool check_degree, const LayerFetch& fetch_layer, FriProof proof) {
  // Interpolate the final vector (bit-reversed, on shift * H) coordinate by coordinate.
  const size_t fh = cur.size();
  std::vector<Fp> coords(4 * fh);
  for (size_t i = 0; i < fh; ++i) {
    for (int c = 0; c < 4; ++c) coords[c * fh + i] = cur[i][c];
  }
  NttConfig ncfg;
  ncfg.backend = Backend::kScalar;
  ncfg.input_order = Order::kBitReversed;
  EFAAS_RETURN_IF_ERROR(coset_intt(coords, 4, shift, ncfg));
  const size_t final_len = size_t(1) << params.log_final_poly_len;
  for (size_t i = 0; i < fh; ++i) {
    Fp4 c(coords[i], coords[fh + i], coords[2 * fh + i], coords[3 * fh + i]);
    if (i < final_len) {
      proof.final_poly.push_back(c);
    } else if (check_degree && !c.is_zero()) {
      return invalid_argument("FRI: the folded polynomial has degree >= " +
                              std::to_string(final_len) +
                              " (an input is not of low degree)");
    }
  }
  for (const Fp4& c : proof.final_poly) transcript.observe(c);
  auto witness = transcript.grind(params.pow_bits, GrindConfig{cfg.backend, cfg.threads});
  if (!witness) return witness.status();
  proof.pow_witness = *witness;
  proof.query_indices = transcript.sample_indices(params.num_queries, log_max);
  open_inputs(proof.query_indices);
  for (size_t r = 0; r < trees.size(); ++r) {
    std::vector<size_t> leaf(proof.query_indices.size());
    for (size_t q = 0; q < leaf.size(); ++q) leaf[q] = proof.query_indices[q] >> (r + 1);
    if (fetch_layer) EFAAS_RETURN_IF_ERROR(fetch_layer(r, trees[r], leaf));
    auto opening = trees[r].open_batch(leaf);
    if (!opening) return opening.status();
    proof.layer_openings.push_back(std::move(*opening));
  }
  return proof;
}

}  // namespace fri_internal

Status fri_verify(const FriParams& params, std::span<const uint32_t> log_heights,
                  const FriProof& proof, Transcript& transcript,
                  const FriInputValues& input_values) {
  EFAAS_RETURN_IF_ERROR(validate(params));
  const uint32_t final_log = params.log_final_poly_len + params.log_blowup;
  if (log_heights.empty()) return invalid_argument("FRI: no inputs");
  for (size_t k = 0; k < log_heights.size(); ++k) {
    if (log_heights[k] < final_log || log_heights[k] > kMaxLogNtt ||
        (k > 0 && log_heights[k] >= log_heights[k - 1])) {
      return invalid_argument("FRI: bad input heights");
    }
  }
  const uint32_t log_max = log_heights[0];
  const size_t layers = log_max - final_log;
  if (proof.commitments.size() != layers || proof.layer_openings.size() != layers) {
    return invalid_argument("FRI proof: " + std::to_string(proof.commitments.size()) +
                            " layer commitments, expected " + std::to_string(layers));
  }
  if (proof.final_poly.size() != (size_t(1) << params.log_final_poly_len)) {
    return invalid_argument("FRI proof: final polynomial has " +
                            std::to_string(proof.final_poly.size()) + " coefficients, expected " +
                            std::to_string(size_t(1) << params.log_final_poly_len));
  }
  std::vector<Fp4> betas;
  for (const Digest& c : proof.commitments) {
    transcript.observe(c);
    betas.push_back(transcript.sample_ext());
  }
  for (const Fp4& c : proof.final_poly) transcript.observe(c);
  if (!transcript.check_pow(params.pow_bits, proof.pow_witness)) {
    return invalid_argument("FRI proof: insufficient proof of work");
  }
  const std::vector<size_t> indices = transcript.sample_indices(params.num_queries, log_max);
  auto values = input_values(indices);
  if (!values) return values.status();
  if (values->size() != indices.size()) return internal_error("FRI: input values per query");
  // Check every layer's openings against its commitment.
  for (size_t r = 0; r < layers; ++r) {
    const MerkleBatchOpening& op = proof.layer_openings[r];
    if (op.rows.size() != indices.size()) {
      return invalid_argument("FRI proof: layer " + std::to_string(r) + " opens " +
                              std::to_string(op.rows.size()) + " queries, expected " +
                              std::to_string(indices.size()));
    }
    std::vector<size_t> leaf(indices.size());
    for (size_t q = 0; q < leaf.size(); ++q) leaf[q] = indices[q] >> (r + 1);
    const MatrixDims dims[1] = {{size_t(1) << (log_max - r - 1), 8}};
    Status s = verify_batch_opening(proof.commitments[r], dims, leaf, op);
    if (!s) return invalid_argument("FRI proof: layer " + std::to_string(r) + ": " + s.message());
  }
  const Fp inv_two = Fp::from_canonical(2).inverse();
  for (size_t q = 0; q < indices.size(); ++q) {
    const auto& in = (*values)[q];
    if (in.size() != log_heights.size()) return internal_error("FRI: input values per height");
    size_t idx = indices[q];
    uint32_t log_h = log_max;
    Fp4 folded = in[0];
    size_t next_input = 1;
    Fp shift = fri_domain_shift();
    for (size_t r = 0; r < layers; ++r) {
      const std::vector<Fp>& row = proof.layer_openings[r].rows[q][0];
      const Fp4 lo(row[0], row[1], row[2], row[3]), hi(row[4], row[5], row[6], row[7]);
      if ((idx & 1 ? hi : lo) != folded) {
        return invalid_argument("FRI proof: query " + std::to_string(q) + " is inconsistent at layer " +
                                std::to_string(r));
      }
      folded = fold_pair(lo, hi, betas[r], inv_two, inv_x_at(shift.inverse(), log_h, idx >> 1));
      idx >>= 1;
      shift = shift.square();
      --log_h;
      if (next_input < log_heights.size() && log_heights[next_input] == log_h) {
        folded += betas[r].square() * in[next_input];
        ++next_input;
      }
    }
    // The final polynomial at this query's point: shift * w^bitrev(idx).
    const Fp x = shift * Fp::two_adic_generator(log_h).pow(bitrev(idx, log_h));
    if (eval_poly(proof.final_poly, Fp4(x)) != folded) {
      return invalid_argument("FRI proof: query " + std::to_string(q) +
                              " does not match the final polynomial");
    }
  }
  return Status::ok();
}

}  // namespace efaas
