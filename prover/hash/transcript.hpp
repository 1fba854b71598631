#pragma once
// Fiat-Shamir transcript: a duplex sponge on Poseidon2-BabyBear (width 16, rate 8), as Plonky3's
// DuplexChallenger. Observed elements are buffered; when 8 are pending, or before a sample, they
// overwrite state[0..n), the state is permuted and state[0..8) becomes the output buffer; samples
// are taken from that buffer (last element first), and any observation discards what is left of
// it. Prover and verifier make the same calls in the same order and get the same challenges.
// A Transcript is a value: copy it to fork.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "prover/common/status.hpp"
#include "prover/field/babybear.hpp"
#include "prover/field/babybear_ext.hpp"
#include "prover/hash/poseidon2.hpp"

namespace efaas {

// Largest bit count for sample_bits and proof-of-work: a canonical value mod 2^27 is uniform up
// to a 2^-27 relative bias (p = 15 * 2^27 + 1); beyond that it is not.
constexpr uint32_t kMaxSampleBits = 27;
constexpr uint32_t kMaxPowBits = 27;

struct GrindConfig {
  Backend backend = Backend::kAuto;  // for the batch of candidate permutations
  size_t threads = 0;                // 0 = one per allowed core
  int opencl_device = 0;             // index into list_opencl_devices(), for kOpenCl
};

class Transcript {
 public:
  Transcript() = default;
  // Starts from a domain separator: the label observed with observe_label().
  explicit Transcript(std::string_view domain_separator);

  void observe(Fp x);
  void observe(const Fp4& x);  // four coefficients, c0 first
  void observe(std::span<const Fp> xs);
  void observe(std::span<const Fp4> xs);
  void observe(const Digest& d);
  // Length, then the bytes packed three to an element (little-endian): for labels and
  // parameters.
  void observe_label(std::string_view label);
  // As three elements of 24, 24 and 16 bits (low first): injective, for sizes and counts.
  void observe_u64(uint64_t x);

  Fp sample();
  Fp4 sample_ext();
  // Uniform (up to the bias noted above) in [0, 2^bits); bits above kMaxSampleBits are taken
  // as kMaxSampleBits.
  uint32_t sample_bits(uint32_t bits);
  // `count` samples of sample_bits(bits), for query indices.
  std::vector<size_t> sample_indices(size_t count, uint32_t bits);

  // Proof of work: finds the smallest witness w in [0, p) such that observing w and then
  // sample_bits(bits) gives 0, observes it (leaving the transcript as check_pow would), and
  // returns it. The search runs over cfg.threads threads and gives the same witness for any
  // thread count and backend. bits == 0 needs no work (the witness is still observed).
  // OUT_OF_RANGE for bits > kMaxPowBits.
  Result<Fp> grind(uint32_t bits, const GrindConfig& cfg = {});
  // The verifier's side: observes `witness`, samples `bits` bits, true if they are all zero.
  bool check_pow(uint32_t bits, Fp witness);

 private:
  void duplex();

  Poseidon2State state_{};
  std::vector<Fp> input_;   // pending observations, fewer than 8 after each call
  std::vector<Fp> output_;  // unread samples from the last duplex
};

}  // namespace efaas
