// BabyBear and its degree-4 extension for OpenCL C 1.2, the prelude of stark.cl and fri.cl
// (programs are built from this source followed by theirs). Values are uint in Montgomery form
// (R = 2^32), < p, as in prover/field/babybear.hpp; Fp4 = Fp[x] / (x^4 - 11) as uint4 (x, y, z,
// w = coefficients of 1, x, x^2, x^3), the memory layout of the host's Fp4. Field results are
// canonical, so kernels built on these helpers are bit-identical to the scalar code.

#define BB_P 0x78000001u
#define BB_MU 0x88000001u   // p^-1 mod 2^32
#define BB_ONE 0x0ffffffeu  // 2^32 mod p: one in Montgomery form
#define BB_W 0x37ffffe9u    // 11 in Montgomery form: x^4 = 11

typedef uint4 fp4;

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

inline fp4 fp4_base(uint a) { return (fp4)(a, 0u, 0u, 0u); }

inline fp4 fp4_add(fp4 a, fp4 b) {
  return (fp4)(bb_add(a.x, b.x), bb_add(a.y, b.y), bb_add(a.z, b.z), bb_add(a.w, b.w));
}

inline fp4 fp4_sub(fp4 a, fp4 b) {
  return (fp4)(bb_sub(a.x, b.x), bb_sub(a.y, b.y), bb_sub(a.z, b.z), bb_sub(a.w, b.w));
}

inline fp4 fp4_neg(fp4 a) { return (fp4)(bb_neg(a.x), bb_neg(a.y), bb_neg(a.z), bb_neg(a.w)); }

inline fp4 fp4_add_base(fp4 a, uint b) { return (fp4)(bb_add(a.x, b), a.y, a.z, a.w); }

inline fp4 fp4_mul_base(fp4 a, uint b) {
  return (fp4)(bb_mul(a.x, b), bb_mul(a.y, b), bb_mul(a.z, b), bb_mul(a.w, b));
}

inline fp4 fp4_mul(fp4 a, fp4 b) {
  uint c0 = bb_add(bb_mul(a.x, b.x), bb_mul(BB_W, bb_add(bb_add(bb_mul(a.y, b.w), bb_mul(a.z, b.z)),
                                                        bb_mul(a.w, b.y))));
  uint c1 = bb_add(bb_add(bb_mul(a.x, b.y), bb_mul(a.y, b.x)),
                   bb_mul(BB_W, bb_add(bb_mul(a.z, b.w), bb_mul(a.w, b.z))));
  uint c2 = bb_add(bb_add(bb_add(bb_mul(a.x, b.z), bb_mul(a.y, b.y)), bb_mul(a.z, b.x)),
                   bb_mul(BB_W, bb_mul(a.w, b.w)));
  uint c3 = bb_add(bb_add(bb_mul(a.x, b.w), bb_mul(a.y, b.z)),
                   bb_add(bb_mul(a.z, b.y), bb_mul(a.w, b.x)));
  return (fp4)(c0, c1, c2, c3);
}

// a = A + x B with A = a0 + a2 y, B = a1 + a3 y in Fp[y] / (y^2 - 11): a (A - x B) = A^2 - y B^2
// lies in that quadratic field, whose inverse needs one base-field inversion. a != 0.
inline fp4 fp4_inv(fp4 a) {
  // N = A^2 - y B^2 = n0 + n1 y.
  uint a0a0 = bb_mul(a.x, a.x), a2a2 = bb_mul(a.z, a.z), a1a1 = bb_mul(a.y, a.y),
       a3a3 = bb_mul(a.w, a.w);
  uint a0a2 = bb_mul(a.x, a.z), a1a3 = bb_mul(a.y, a.w);
  // A^2 = a0^2 + 11 a2^2 + 2 a0 a2 y; y B^2 = 11 (2 a1 a3) + (a1^2 + 11 a3^2) y.
  uint n0 = bb_sub(bb_add(a0a0, bb_mul(BB_W, a2a2)), bb_mul(BB_W, bb_add(a1a3, a1a3)));
  uint n1 = bb_sub(bb_add(a0a2, a0a2), bb_add(a1a1, bb_mul(BB_W, a3a3)));
  // 1 / (n0 + n1 y) = (n0 - n1 y) / (n0^2 - 11 n1^2).
  uint d = bb_inv(bb_sub(bb_mul(n0, n0), bb_mul(BB_W, bb_mul(n1, n1))));
  uint m0 = bb_mul(n0, d), m1 = bb_neg(bb_mul(n1, d));
  // 1/a = (A - x B) (m0 + m1 y), with A - x B = a0 - a1 x + a2 x^2 - a3 x^3 and y = x^2.
  fp4 conj = (fp4)(a.x, bb_neg(a.y), a.z, bb_neg(a.w));
  return fp4_mul(conj, (fp4)(m0, 0u, m1, 0u));
}

