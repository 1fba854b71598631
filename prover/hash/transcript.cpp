#include "prover/hash/transcript.hpp"

#include <algorithm>
#include <atomic>
#include <string>

#include "prover/common/thread_pool.hpp"
#include "prover/hash/hash_backend.hpp"
#include "prover/hash/poseidon2_opencl.hpp"

namespace efaas {

Transcript::Transcript(std::string_view domain_separator) {
  observe_label(domain_separator);
}

void Transcript::duplex() {
  // Overwrite mode, as in the sponge: pending inputs replace the first rate lanes.
  std::copy(input_.begin(), input_.end(), state_.begin());
  input_.clear();
  poseidon2_permute(state_);
  output_.assign(state_.begin(), state_.begin() + kPoseidon2Rate);
}

void Transcript::observe(Fp x) {
  output_.clear();  // outputs squeezed before this observation must never be reused
  input_.push_back(x);
  if (input_.size() == kPoseidon2Rate) duplex();
}

void Transcript::observe(const Fp4& x) {
  for (Fp c : x.coeffs()) observe(c);
}

void Transcript::observe(std::span<const Fp> xs) {
  for (Fp x : xs) observe(x);
}

void Transcript::observe(std::span<const Fp4> xs) {
  for (const Fp4& x : xs) observe(x);
}

void Transcript::observe(const Digest& d) {
  observe(std::span<const Fp>(d));
}

void Transcript::observe_label(std::string_view label) {
  observe_u64(label.size());
  for (size_t i = 0; i < label.size(); i += 3) {
    uint32_t v = 0;
    for (size_t j = 0; j < 3 && i + j < label.size(); ++j) {
      v |= uint32_t(uint8_t(label[i + j])) << (8 * j);
    }
    observe(Fp::from_canonical(v));
  }
}

void Transcript::observe_u64(uint64_t x) {
  observe(Fp::from_canonical(uint32_t(x & 0xffffff)));
  observe(Fp::from_canonical(uint32_t((x >> 24) & 0xffffff)));
  observe(Fp::from_canonical(uint32_t(x >> 48)));
}

Fp Transcript::sample() {
  if (!input_.empty() || output_.empty()) duplex();
  Fp x = output_.back();
  output_.pop_back();
  return x;
}

Fp4 Transcript::sample_ext() {
  Fp c0 = sample();
  Fp c1 = sample();
  Fp c2 = sample();
  Fp c3 = sample();
  return {c0, c1, c2, c3};
}

uint32_t Transcript::sample_bits(uint32_t bits) {
  bits = std::min(bits, kMaxSampleBits);
  return sample().to_canonical() & ((uint32_t(1) << bits) - 1);
}

std::vector<size_t> Transcript::sample_indices(size_t count, uint32_t bits) {
  std::vector<size_t> out(count);
  for (size_t& i : out) i = sample_bits(bits);
  return out;
}

namespace {
// Candidates per thread chunk and per round: a round is a parallel_for over chunks; the smallest
// witness found in the first round that has one wins, whatever the thread count.
constexpr size_t kChunk = 1024;
constexpr size_t kBatch = 64;  // states permuted per kernel call
}  // namespace

Result<Fp> Transcript::grind(uint32_t bits, const GrindConfig& cfg) {
  if (bits > kMaxPowBits) {
    return out_of_range("grind: " + std::to_string(bits) + " proof-of-work bits, at most " +
                        std::to_string(kMaxPowBits) + " supported");
  }
  Result<Backend> backend = resolve_backend(cfg.backend);
  if (!backend) return backend.status();

  // observe(w) then sample() permutes the state with the pending inputs and w written over the
  // first lanes, and returns lane rate - 1; every candidate costs one permutation.
  Poseidon2State base = state_;
  std::copy(input_.begin(), input_.end(), base.begin());
  const size_t lane = input_.size();
  const uint32_t mask = (uint32_t(1) << bits) - 1;

  if (*backend == Backend::kOpenCl) {
    Result<uint32_t> w = opencl_grind(base, lane, bits, cfg.opencl_device);
    if (!w) return w.status();
    const Fp witness = Fp::from_canonical(*w);
    if (!check_pow(bits, witness)) {
      return internal_error("grind: OpenCL witness " + std::to_string(*w) +
                            " failed its own check");
    }
    return witness;
  }
  auto kernels = poseidon2_kernels_for(*backend);
  if (!kernels) return kernels.status();
  const Poseidon2Kernels* k = *kernels;

  ThreadPool& pool = ThreadPool::with_threads(cfg.threads);
  const size_t round = kChunk * std::max<size_t>(1, pool.size()) * 4;
  const uint64_t kNone = ~uint64_t(0);
  Fp witness;
  bool found = false;
  for (uint64_t start = 0; start < Fp::kP && !found; start += round) {
    const uint64_t end = std::min<uint64_t>(start + round, Fp::kP);
    std::atomic<uint64_t> best{kNone};
    pool.parallel_for((end - start + kChunk - 1) / kChunk, 1, [&](size_t cb, size_t ce) {
      Poseidon2State states[kBatch];
      for (size_t c = cb; c < ce; ++c) {
        const uint64_t c0 = start + c * kChunk, c1 = std::min<uint64_t>(c0 + kChunk, end);
        for (uint64_t b = c0; b < c1; b += kBatch) {
          if (best.load(std::memory_order_relaxed) < b) return;  // a smaller one is known
          const size_t n = size_t(std::min<uint64_t>(kBatch, c1 - b));
          for (size_t i = 0; i < n; ++i) {
            states[i] = base;
            states[i][lane] = Fp::from_canonical(uint32_t(b + i));
          }
          k->permute(states, n);
          for (size_t i = 0; i < n; ++i) {
            if ((states[i][kPoseidon2Rate - 1].to_canonical() & mask) == 0) {
              uint64_t w = b + i, cur = best.load();
              while (w < cur && !best.compare_exchange_weak(cur, w)) {
              }
              break;
            }
          }
        }
      }
    });
    if (best.load() != kNone) {
      witness = Fp::from_canonical(uint32_t(best.load()));
      found = true;
    }
  }
  if (!found) {
    return out_of_range("grind: no proof-of-work witness for " + std::to_string(bits) +
                        " bits among all field elements");
  }
  if (!check_pow(bits, witness)) {
    return internal_error("grind: witness " + std::to_string(witness.to_canonical()) +
                          " failed its own check");
  }
  return witness;
}

bool Transcript::check_pow(uint32_t bits, Fp witness) {
  if (bits > kMaxPowBits) return false;
  observe(witness);
  return sample_bits(bits) == 0;
}

}  // namespace efaas
