// BabyBear arithmetic for OpenCL C 1.2: the prelude every BabyBear program is built from
// (ntt.cl, poseidon2.cl, and field4.cl's programs). Values are uint in Montgomery form
// (R = 2^32), < p, as in prover/field/babybear.hpp; results are canonical, so kernels built on
// these helpers are bit-identical to the scalar code.

#define BB_P 0x78000001u
#define BB_MU 0x88000001u   // p^-1 mod 2^32
#define BB_ONE 0x0ffffffeu  // 2^32 mod p: one in Montgomery form

inline uint bb_add(uint a, uint b) {
  uint s = a + b;  // < 2p < 2^32
  return s >= BB_P ? s - BB_P : s;
}

inline uint bb_sub(uint a, uint b) {
  uint d = a - b;
  return a < b ? d + BB_P : d;
}

inline uint bb_neg(uint a) { return a == 0u ? 0u : BB_P - a; }

// a * b * 2^-32 mod p.
inline uint bb_mul(uint a, uint b) {
  uint lo = a * b;
  uint hi = mul_hi(a, b);
  uint q = lo * BB_MU;
  uint qp_hi = mul_hi(q, BB_P);
  uint r = hi - qp_hi;
  return hi < qp_hi ? r + BB_P : r;
}

inline uint bb_pow(uint base, uint e) {
  uint acc = BB_ONE;
  while (e != 0) {
    if (e & 1u) acc = bb_mul(acc, base);
    base = bb_mul(base, base);
    e >>= 1;
  }
  return acc;
}

inline uint bb_inv(uint a) { return bb_pow(a, BB_P - 2u); }  // a != 0

inline uint bit_rev(uint x, uint bits) {
  x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
  x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
  x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
  x = ((x >> 8) & 0x00ff00ffu) | ((x & 0x00ff00ffu) << 8);
  x = (x >> 16) | (x << 16);
  return bits == 0 ? 0u : x >> (32u - bits);
}
