/* Keccak-256 (the Ethereum hash: original Keccak padding 0x01, rate 136) on 64-bit lanes. */
#include "program.h"

static const uint64_t RC[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};
static const int ROT[25] = {0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43,
                            25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14};

static uint64_t rotl64(uint64_t x, int n) { return n == 0 ? x : (x << n) | (x >> (64 - n)); }

static void keccak_f(uint64_t s[25]) {
  for (int round = 0; round < 24; ++round) {
    uint64_t c[5], d[5], b[25];
    for (int x = 0; x < 5; ++x) c[x] = s[x] ^ s[x + 5] ^ s[x + 10] ^ s[x + 15] ^ s[x + 20];
    for (int x = 0; x < 5; ++x) d[x] = c[(x + 4) % 5] ^ rotl64(c[(x + 1) % 5], 1);
    for (int i = 0; i < 25; ++i) s[i] ^= d[i % 5];
    for (int x = 0; x < 5; ++x) {
      for (int y = 0; y < 5; ++y) b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl64(s[x + 5 * y], ROT[x + 5 * y]);
    }
    for (int x = 0; x < 5; ++x) {
      for (int y = 0; y < 5; ++y) {
        s[x + 5 * y] = b[x + 5 * y] ^ (~b[(x + 1) % 5 + 5 * y] & b[(x + 2) % 5 + 5 * y]);
      }
    }
    s[0] ^= RC[round];
  }
}

static void absorb(uint64_t s[25], const uint8_t* p) {
  for (int i = 0; i < 17; ++i) {
    uint64_t v = 0;
    for (int k = 0; k < 8; ++k) v |= (uint64_t)p[8 * i + k] << (8 * k);
    s[i] ^= v;
  }
  keccak_f(s);
}

static uint32_t program(const uint8_t* in, uint32_t len, uint8_t* out) {
  uint64_t s[25];
  memset(s, 0, sizeof s);
  uint32_t i = 0;
  for (; i + 136 <= len; i += 136) absorb(s, in + i);
  uint8_t block[136];
  memset(block, 0, sizeof block);
  memcpy(block, in + i, len - i);
  block[len - i] ^= 0x01;
  block[135] ^= 0x80;
  absorb(s, block);
  for (int k = 0; k < 32; ++k) out[k] = (uint8_t)(s[k / 8] >> (8 * (k % 8)));
  return 32;
}
