#pragma once
// Ethereum-facing byte types and their hex forms: 0x-prefixed hex for data, minimal-hex
// quantities for numbers, EIP-55 checksummed addresses. Parsers name the field they reject.
#include <array>
#include <compare>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "prover/common/status.hpp"

namespace efaas::node {

using Bytes = std::vector<uint8_t>;
using Hash32 = std::array<uint8_t, 32>;
using Address = std::array<uint8_t, 20>;

// "0x" + lower-case hex.
std::string hex0x(std::span<const uint8_t> bytes);
// EIP-55 mixed-case checksum form.
std::string address_to_string(const Address& a);

// Accepts an optional 0x prefix; an odd number of digits or a non-hex digit is an error naming
// `what` and the position.
Result<Bytes> parse_hex(std::string_view s, std::string_view what);
Result<Hash32> parse_hash32(std::string_view s, std::string_view what);
// Any case; a mixed-case address must carry a correct EIP-55 checksum.
Result<Address> parse_address(std::string_view s, std::string_view what);

Hash32 keccak(std::span<const uint8_t> data);
Hash32 keccak(std::string_view data);

// A 256-bit unsigned integer, big-endian: how uint256 values travel in ABI and EIP-712.
struct U256 {
  std::array<uint8_t, 32> be{};

  static U256 from_u64(uint64_t v);
  // "0x..." hex quantity or a decimal string.
  static Result<U256> parse(std::string_view s, std::string_view what);
  bool fits_u64() const;
  uint64_t low_u64() const;
  bool is_zero() const;
  // Minimal hex quantity ("0x0", "0x1f").
  std::string to_quantity() const;
  std::string to_decimal() const;
  auto operator<=>(const U256&) const = default;
};

}  // namespace efaas::node
