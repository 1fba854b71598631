#include "prover/hash/keccak.hpp"

#include <bit>

namespace efaas {

namespace {

constexpr uint64_t kRoundConstants[24] = {
    0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808aull, 0x8000000080008000ull,
    0x000000000000808bull, 0x0000000080000001ull, 0x8000000080008081ull, 0x8000000000008009ull,
    0x000000000000008aull, 0x0000000000000088ull, 0x0000000080008009ull, 0x000000008000000aull,
    0x000000008000808bull, 0x800000000000008bull, 0x8000000000008089ull, 0x8000000000008003ull,
    0x8000000000008002ull, 0x8000000000000080ull, 0x000000000000800aull, 0x800000008000000aull,
    0x8000000080008081ull, 0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull};

// Rotation offsets and the pi lane order, walked along the rho-pi cycle starting at lane 1.
constexpr int kRho[24] = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                          27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
constexpr int kPi[24] = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                         15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

}  // namespace

void keccak_f1600(std::array<uint64_t, 25>& a) {
  for (int round = 0; round < 24; ++round) {
    // theta
    uint64_t c[5];
    for (int x = 0; x < 5; ++x) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    for (int x = 0; x < 5; ++x) {
      uint64_t d = c[(x + 4) % 5] ^ std::rotl(c[(x + 1) % 5], 1);
      for (int y = 0; y < 25; y += 5) a[y + x] ^= d;
    }
    // rho and pi
    uint64_t t = a[1];
    for (int i = 0; i < 24; ++i) {
      int j = kPi[i];
      uint64_t tmp = a[j];
      a[j] = std::rotl(t, kRho[i]);
      t = tmp;
    }
    // chi
    for (int y = 0; y < 25; y += 5) {
      uint64_t row[5];
      for (int x = 0; x < 5; ++x) row[x] = a[y + x];
      for (int x = 0; x < 5; ++x) a[y + x] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5]);
    }
    // iota
    a[0] ^= kRoundConstants[round];
  }
}

void Keccak256::update(std::span<const uint8_t> data) {
  for (uint8_t byte : data) {
    // Lanes are little-endian: byte i of the block is byte i % 8 of lane i / 8.
    state_[absorbed_ / 8] ^= uint64_t(byte) << (8 * (absorbed_ % 8));
    if (++absorbed_ == kRateBytes) {
      keccak_f1600(state_);
      absorbed_ = 0;
    }
  }
}

void Keccak256::update(std::string_view data) {
  update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
}

Hash256 Keccak256::final() {
  // Keccak's pad10*1 with domain bits 0x01 (FIPS-202 SHA3 would use 0x06).
  state_[absorbed_ / 8] ^= uint64_t(0x01) << (8 * (absorbed_ % 8));
  state_[(kRateBytes - 1) / 8] ^= uint64_t(0x80) << (8 * ((kRateBytes - 1) % 8));
  keccak_f1600(state_);
  Hash256 out;
  for (size_t i = 0; i < out.size(); ++i) out[i] = uint8_t(state_[i / 8] >> (8 * (i % 8)));
  state_ = {};
  absorbed_ = 0;
  return out;
}

Hash256 keccak256(std::span<const uint8_t> data) {
  Keccak256 h;
  h.update(data);
  return h.final();
}

Hash256 keccak256(std::string_view data) {
  Keccak256 h;
  h.update(data);
  return h.final();
}

std::string to_hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 15]);
  }
  return s;
}

}  // namespace efaas
