#pragma once
// Deterministic, seedable random numbers for tests and benchmarks (xoshiro256**).
#include <cstdint>
#include <string>

namespace efaas {

class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t next_u64();
  uint32_t next_u32() { return uint32_t(next_u64() >> 32); }
  // Uniform in [0, bound), bound > 0, without modulo bias.
  uint64_t uniform(uint64_t bound);

 private:
  uint64_t s_[4];
};

// The seed a randomized test uses: EFAAS_SEED from the environment if set, else fresh entropy.
// Prints "seed=<n> (rerun with EFAAS_SEED=<n>)" tagged with `what` to stderr.
uint64_t test_seed(const std::string& what);

}  // namespace efaas
