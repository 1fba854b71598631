#pragma once
#include <cstddef>
#include <cstdint>

namespace efaas {

// The low `bits` bits of i, reversed (bit-reversed order of domains of size 2^bits).
inline size_t reverse_bits(size_t i, uint32_t bits) {
  uint64_t r = i;
  r = ((r >> 1) & 0x5555555555555555ULL) | ((r & 0x5555555555555555ULL) << 1);
  r = ((r >> 2) & 0x3333333333333333ULL) | ((r & 0x3333333333333333ULL) << 2);
  r = ((r >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((r & 0x0F0F0F0F0F0F0F0FULL) << 4);
  return bits == 0 ? 0 : size_t(__builtin_bswap64(r) >> (64 - bits));
}

}  // namespace efaas
