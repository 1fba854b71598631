#pragma once
// Keccak-256 as Ethereum uses it: the original Keccak padding (0x01 ... 0x80), not FIPS-202
// SHA3-256 (0x06). For ids, hashes and signatures that Ethereum sees.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace efaas {

using Hash256 = std::array<uint8_t, 32>;

// Incremental hashing: update() any number of times, then final() once.
class Keccak256 {
 public:
  static constexpr size_t kRateBytes = 136;  // 1600 - 2 * 256 bits

  Keccak256() = default;
  void update(std::span<const uint8_t> data);
  void update(std::string_view data);
  // Pads, squeezes 32 bytes and resets the object for reuse.
  Hash256 final();

 private:
  std::array<uint64_t, 25> state_{};
  size_t absorbed_ = 0;  // bytes absorbed into the current block
};

Hash256 keccak256(std::span<const uint8_t> data);
Hash256 keccak256(std::string_view data);

// The Keccak-f[1600] permutation (24 rounds), in place.
void keccak_f1600(std::array<uint64_t, 25>& state);

// Lower-case hex without a 0x prefix.
std::string to_hex(std::span<const uint8_t> bytes);

}  // namespace efaas
