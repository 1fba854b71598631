#include "node/core/bytes.hpp"

#include <algorithm>

#include "prover/hash/keccak.hpp"

namespace efaas::node {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view strip0x(std::string_view s) {
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  return s;
}

template <size_t N>
Result<std::array<uint8_t, N>> parse_fixed(std::string_view s, std::string_view what) {
  auto bytes = parse_hex(s, what);
  if (!bytes) return bytes.status();
  if (bytes->size() != N) {
    return invalid_argument(std::string(what) + ": expected " + std::to_string(N) + " bytes, got " +
                            std::to_string(bytes->size()));
  }
  std::array<uint8_t, N> out;
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

}  // namespace

std::string hex0x(std::span<const uint8_t> bytes) { return "0x" + to_hex(bytes); }

Hash32 keccak(std::span<const uint8_t> data) { return keccak256(data); }
Hash32 keccak(std::string_view data) { return keccak256(data); }

std::string address_to_string(const Address& a) {
  std::string lower = to_hex(a);
  Hash32 h = keccak256(std::string_view(lower));
  std::string out = "0x";
  for (size_t i = 0; i < lower.size(); ++i) {
    char c = lower[i];
    int nibble = (i % 2 == 0) ? (h[i / 2] >> 4) : (h[i / 2] & 0xf);
    out.push_back((c >= 'a' && nibble >= 8) ? char(c - 'a' + 'A') : c);
  }
  return out;
}

Result<Bytes> parse_hex(std::string_view s, std::string_view what) {
  std::string_view digits = strip0x(s);
  if (digits.size() % 2 != 0) {
    return invalid_argument(std::string(what) + ": odd number of hex digits (" + std::to_string(digits.size()) + ")");
  }
  Bytes out(digits.size() / 2);
  for (size_t i = 0; i < digits.size(); ++i) {
    int d = hex_digit(digits[i]);
    if (d < 0) {
      return invalid_argument(std::string(what) + ": non-hex character at position " +
                              std::to_string(i + (s.size() - digits.size())));
    }
    out[i / 2] = uint8_t(out[i / 2] << 4 | d);
  }
  return out;
}

Result<Hash32> parse_hash32(std::string_view s, std::string_view what) { return parse_fixed<32>(s, what); }

Result<Address> parse_address(std::string_view s, std::string_view what) {
  auto a = parse_fixed<20>(s, what);
  if (!a) return a.status();
  std::string_view digits = strip0x(s);
  bool has_lower = std::any_of(digits.begin(), digits.end(), [](char c) { return c >= 'a' && c <= 'f'; });
  bool has_upper = std::any_of(digits.begin(), digits.end(), [](char c) { return c >= 'A' && c <= 'F'; });
  if (has_lower && has_upper && address_to_string(*a).substr(2) != digits) {
    return invalid_argument(std::string(what) + ": bad EIP-55 checksum");
  }
  return a;
}

U256 U256::from_u64(uint64_t v) {
  U256 out;
  for (int i = 0; i < 8; ++i) out.be[31 - i] = uint8_t(v >> (8 * i));
  return out;
}

Result<U256> U256::parse(std::string_view s, std::string_view what) {
  U256 out;
  if (s.empty()) return invalid_argument(std::string(what) + ": empty number");
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    std::string_view digits = s.substr(2);
    if (digits.empty()) return invalid_argument(std::string(what) + ": empty hex quantity");
    while (digits.size() > 1 && digits[0] == '0') digits.remove_prefix(1);
    if (digits.size() > 64) return out_of_range(std::string(what) + ": does not fit in 256 bits");
    for (size_t i = 0; i < digits.size(); ++i) {
      int d = hex_digit(digits[digits.size() - 1 - i]);
      if (d < 0) return invalid_argument(std::string(what) + ": non-hex character in quantity");
      out.be[31 - i / 2] |= uint8_t(d << (4 * (i % 2)));
    }
    return out;
  }
  for (char c : s) {
    if (c < '0' || c > '9') return invalid_argument(std::string(what) + ": not a decimal or 0x-hex number");
    // out = out * 10 + digit, detecting overflow out of the top byte.
    unsigned carry = unsigned(c - '0');
    for (int i = 31; i >= 0; --i) {
      unsigned v = unsigned(out.be[i]) * 10 + carry;
      out.be[i] = uint8_t(v);
      carry = v >> 8;
    }
    if (carry != 0) return out_of_range(std::string(what) + ": does not fit in 256 bits");
  }
  return out;
}

bool U256::fits_u64() const {
  return std::all_of(be.begin(), be.begin() + 24, [](uint8_t b) { return b == 0; });
}

uint64_t U256::low_u64() const {
  uint64_t v = 0;
  for (int i = 24; i < 32; ++i) v = v << 8 | be[i];
  return v;
}

bool U256::is_zero() const {
  return std::all_of(be.begin(), be.end(), [](uint8_t b) { return b == 0; });
}

std::string U256::to_quantity() const {
  std::string h = to_hex(be);
  size_t first = h.find_first_not_of('0');
  return first == std::string::npos ? "0x0" : "0x" + h.substr(first);
}

std::string U256::to_decimal() const {
  std::array<uint8_t, 32> v = be;
  std::string out;
  while (std::any_of(v.begin(), v.end(), [](uint8_t b) { return b != 0; })) {
    unsigned rem = 0;
    for (auto& b : v) {
      unsigned cur = rem << 8 | b;
      b = uint8_t(cur / 10);
      rem = cur % 10;
    }
    out.push_back(char('0' + rem));
  }
  if (out.empty()) out = "0";
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace efaas::node
