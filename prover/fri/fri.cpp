#include "prover/fri/fri.hpp"

#include <algorithm>
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
  std::vector<uint32_t> heights;
  for (const FriInput& in : inputs) {
    shapes.push_back({in.log_height, in.evals.size()});
    heights.push_back(in.log_height);
  }
  EFAAS_RETURN_IF_ERROR(fri_internal::check_inputs(params, shapes));
  const std::vector<fri_internal::FoldLayer> schedule = fri_internal::fold_schedule(params, heights);
  const HashConfig hcfg{cfg.backend, cfg.threads, cfg.opencl_device, params.merkle_hash};
  ThreadPool& pool = ThreadPool::with_threads(cfg.threads);
  FriProof proof;
  const uint32_t log_max = inputs[0].log_height;
  uint32_t log_h = log_max;
  std::vector<Fp4> cur = std::move(inputs[0].evals);
  size_t next_input = 1;
  Fp shift = fri_domain_shift();
  std::vector<MerkleTree> trees;
  const Fp inv_two = Fp::from_canonical(2).inverse();
  for (const fri_internal::FoldLayer& layer : schedule) {
    // The layer's Merkle matrix: one row per coset of 2^log_arity consecutive values.
    const size_t h = size_t(1) << log_h;
    std::vector<Fp> flat(4 * h);
    pool.parallel_for(h, 4096, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        for (int c = 0; c < 4; ++c) flat[4 * i + c] = cur[i][c];
      }
    });
    std::vector<Matrix> leaves;
    leaves.emplace_back(std::move(flat), h >> layer.log_arity, size_t(4) << layer.log_arity,
                        Layout::kRowMajor);
    auto tree = MerkleTree::build(std::move(leaves), hcfg);
    if (!tree) return tree.status();
    transcript.observe(tree->root());
    proof.commitments.push_back(tree->root());
    trees.push_back(std::move(*tree));
    // Folding by 2^k with beta is k folds by 2 with beta, beta^2, ..., beta^(2^(k-1)).
    Fp4 beta = transcript.sample_ext();
    for (uint32_t j = 0; j < layer.log_arity; ++j) {
      const size_t hj = size_t(1) << log_h;
      // w^-j for j < h/2, indexed by bit-reversed pair index.
      const Fp shift_inv = shift.inverse();
      const Fp w_inv = Fp::two_adic_generator(log_h).inverse();
      std::vector<Fp> pw(hj / 2);
      pool.parallel_for(hj / 2, 4096, [&](size_t b, size_t e) {
        Fp x = w_inv.pow(b);
        for (size_t k = b; k < e; ++k) {
          pw[k] = x;
          x *= w_inv;
        }
      });
      std::vector<Fp4> folded(hj / 2);
      pool.parallel_for(hj / 2, 4096, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) {
          Fp inv_x = shift_inv * pw[bitrev(i, log_h - 1)];
          folded[i] = fold_pair(cur[2 * i], cur[2 * i + 1], beta, inv_two, inv_x);
        }
      });
      cur = std::move(folded);
      shift = shift.square();
      --log_h;
      beta = beta.square();
    }
    // An input of this height joins times beta^(2^log_arity).
    if (next_input < inputs.size() && inputs[next_input].log_height == log_h) {
      const auto& in = inputs[next_input].evals;
      pool.parallel_for(cur.size(), 4096, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) cur[i] += beta * in[i];
      });
      ++next_input;
    }
  }
  return fri_internal::finish(params, log_max, schedule, std::move(trees), cur, shift, transcript,
                              cfg, open_inputs, check_degree, nullptr, std::move(proof));
}

namespace fri_internal {

std::vector<FoldLayer> fold_schedule(const FriParams& params, std::span<const uint32_t> log_heights) {
  const uint32_t final_log = params.log_final_poly_len + params.log_blowup;
  std::vector<FoldLayer> layers;
  size_t next_input = 1;
  for (uint32_t log_h = log_heights.empty() ? 0 : log_heights[0]; log_h > final_log;) {
    while (next_input < log_heights.size() && log_heights[next_input] >= log_h) ++next_input;
    uint32_t stop = log_h > params.log_arity ? log_h - params.log_arity : 0;
    stop = std::max(stop, final_log);
    if (next_input < log_heights.size()) stop = std::max(stop, log_heights[next_input]);
    layers.push_back({log_h, log_h - stop});
    log_h = stop;
  }
  return layers;
}

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

Result<FriProof> finish(const FriParams& params, uint32_t log_max,
                        std::span<const FoldLayer> schedule, std::vector<MerkleTree> trees,
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
    const FoldLayer& layer = schedule[r];
    std::vector<size_t> leaf(proof.query_indices.size());
    std::vector<size_t> pos(leaf.size());
    for (size_t q = 0; q < leaf.size(); ++q) {
      const size_t idx = proof.query_indices[q] >> (log_max - layer.log_height);
      leaf[q] = idx >> layer.log_arity;
      pos[q] = idx & ((size_t(1) << layer.log_arity) - 1);
    }
    if (fetch_layer) EFAAS_RETURN_IF_ERROR(fetch_layer(r, trees[r], leaf));
    auto opening = trees[r].open_batch(leaf);
    if (!opening) return opening.status();
    // The value at the query's own position is the one the verifier folded from the layer before.
    for (size_t q = 0; q < leaf.size(); ++q) {
      std::vector<Fp>& row = opening->rows[q][0];
      row.erase(row.begin() + 4 * pos[q], row.begin() + 4 * pos[q] + 4);
    }
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
  const std::vector<fri_internal::FoldLayer> schedule =
      fri_internal::fold_schedule(params, log_heights);
  const size_t layers = schedule.size();
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
  // Each layer's opened rows lack the value at the query's position: the verifier puts in the
  // one it folded, so the Merkle check below also checks the fold chain.
  std::vector<MerkleBatchOpening> full(layers);
  for (size_t r = 0; r < layers; ++r) {
    const MerkleBatchOpening& op = proof.layer_openings[r];
    const size_t width = (size_t(4) << schedule[r].log_arity) - 4;
    if (op.rows.size() != indices.size()) {
      return invalid_argument("FRI proof: layer " + std::to_string(r) + " opens " +
                              std::to_string(op.rows.size()) + " queries, expected " +
                              std::to_string(indices.size()));
    }
    for (size_t q = 0; q < op.rows.size(); ++q) {
      if (op.rows[q].size() != 1 || op.rows[q][0].size() != width) {
        return invalid_argument("FRI proof: layer " + std::to_string(r) + " query " +
                                std::to_string(q) + " opens a row of the wrong shape (expected " +
                                std::to_string(width) + " values)");
      }
    }
    full[r].rows.resize(indices.size());
    full[r].siblings = op.siblings;
  }
  const Fp inv_two = Fp::from_canonical(2).inverse();
  std::vector<Fp4> coset;
  for (size_t q = 0; q < indices.size(); ++q) {
    const auto& in = (*values)[q];
    if (in.size() != log_heights.size()) return internal_error("FRI: input values per height");
    size_t idx = indices[q];
    uint32_t log_h = log_max;
    Fp4 folded = in[0];
    size_t next_input = 1;
    Fp shift = fri_domain_shift();
    for (size_t r = 0; r < layers; ++r) {
      const uint32_t a = schedule[r].log_arity;
      const size_t n = size_t(1) << a, pos = idx & (n - 1), leaf = idx >> a;
      const std::vector<Fp>& sent = proof.layer_openings[r].rows[q][0];
      coset.assign(n, Fp4::zero());
      std::vector<Fp> row(4 * n);
      for (size_t k = 0, s = 0; k < n; ++k) {
        if (k == pos) {
          coset[k] = folded;
        } else {
          coset[k] = Fp4(sent[4 * s], sent[4 * s + 1], sent[4 * s + 2], sent[4 * s + 3]);
          ++s;
        }
        for (int c = 0; c < 4; ++c) row[4 * k + c] = coset[k][c];
      }
      full[r].rows[q] = {std::move(row)};
      Fp4 beta = betas[r];
      for (uint32_t j = 0; j < a; ++j) {
        const Fp shift_inv = shift.inverse();
        const size_t half = n >> (j + 1);
        for (size_t i = 0; i < half; ++i) {
          const size_t pair = (leaf << (a - j - 1)) + i;
          coset[i] = fold_pair(coset[2 * i], coset[2 * i + 1], beta, inv_two,
                               inv_x_at(shift_inv, log_h, pair));
        }
        shift = shift.square();
        --log_h;
        beta = beta.square();
      }
      folded = coset[0];
      idx = leaf;
      if (next_input < log_heights.size() && log_heights[next_input] == log_h) {
        folded += beta * in[next_input];
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
  // Every layer's rows, completed, against its commitment.
  for (size_t r = 0; r < layers; ++r) {
    const fri_internal::FoldLayer& layer = schedule[r];
    std::vector<size_t> leaf(indices.size());
    for (size_t q = 0; q < leaf.size(); ++q) {
      leaf[q] = indices[q] >> (log_max - layer.log_height + layer.log_arity);
    }
    const MatrixDims dims[1] = {
        {size_t(1) << (layer.log_height - layer.log_arity), size_t(4) << layer.log_arity}};
    Status s = verify_batch_opening(params.merkle_hash, proof.commitments[r], dims, leaf, full[r]);
    if (!s) return invalid_argument("FRI proof: layer " + std::to_string(r) + ": " + s.message());
  }
  return Status::ok();
}

}  // namespace efaas
