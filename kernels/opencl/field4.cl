// The degree-4 extension Fp4 = Fp[x] / (x^4 - 11) for OpenCL C 1.2, after babybear.cl: the
// prelude of stark.cl and fri.cl (programs are built from babybear.cl, this source, then theirs).
// Fp4 is a uint4 (x, y, z, w = coefficients of 1, x, x^2, x^3), the memory layout of the host's
// Fp4.

#define BB_W 0x37ffffe9u  // 11 in Montgomery form: x^4 = 11

typedef uint4 fp4;

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

