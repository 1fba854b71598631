// BN254 G1 multi-scalar multiplication: the bucket-accumulation stage of Pippenger.
// Field elements are 4 x 64-bit limbs in Montgomery form (R = 2^256), the layout of
// prover/ec/bn254_field.hpp; the modulus and constants come in as build options
// (-DFQ_P0..FQ_P3, -DFQ_INV, -DFQ_ONE0..FQ_ONE3) from the C++ definitions.
//
// msm_bucket_sum: one work-item per (window, bucket). The host sorted every point's signed
// digit into per-window, per-bucket runs of entries (point index << 1 | negate); the item adds
// its run in XYZZ coordinates (x = X/ZZ, y = Y/ZZZ) and writes the bucket (16 ulongs).

typedef struct {
  ulong v[4];
} fq;

typedef struct {
  fq x, y, zz, zzz;
} xyzz;

__constant ulong kP[4] = {FQ_P0, FQ_P1, FQ_P2, FQ_P3};

inline fq fq_reduce_once(fq a) {
  fq d;
  ulong borrow = 0;
  for (int i = 0; i < 4; ++i) {
    ulong t = a.v[i] - kP[i];
    ulong b1 = a.v[i] < kP[i];
    ulong r = t - borrow;
    ulong b2 = t < borrow;
    d.v[i] = r;
    borrow = b1 | b2;
  }
  return borrow ? a : d;
}

inline fq fq_add(fq a, fq b) {
  fq r;
  ulong carry = 0;
  for (int i = 0; i < 4; ++i) {
    ulong s = a.v[i] + b.v[i];
    ulong c1 = s < a.v[i];
    ulong t = s + carry;
    ulong c2 = t < s;
    r.v[i] = t;
    carry = c1 | c2;
  }
  return fq_reduce_once(r);  // both < p < 2^254: no carry out
}

inline fq fq_sub(fq a, fq b) {
  fq r;
  ulong borrow = 0;
  for (int i = 0; i < 4; ++i) {
    ulong t = a.v[i] - b.v[i];
    ulong b1 = a.v[i] < b.v[i];
    ulong u = t - borrow;
    ulong b2 = t < borrow;
    r.v[i] = u;
    borrow = b1 | b2;
  }
  if (borrow) {
    ulong carry = 0;
    for (int i = 0; i < 4; ++i) {
      ulong s = r.v[i] + kP[i];
      ulong c1 = s < r.v[i];
      ulong t = s + carry;
      ulong c2 = t < s;
      r.v[i] = t;
      carry = c1 | c2;
    }
  }
  return r;
}

inline int fq_is_zero(fq a) { return (a.v[0] | a.v[1] | a.v[2] | a.v[3]) == 0; }

inline fq fq_neg(fq a) {
  fq z = {{0, 0, 0, 0}};
  return fq_is_zero(a) ? a : fq_sub(z, a);
}

// lo of a * b + c + d; *hi gets the high word (the sum fits in 128 bits).
inline ulong mac(ulong a, ulong b, ulong c, ulong d, ulong* hi) {
  ulong lo = a * b;
  ulong h = mul_hi(a, b);
  lo += c;
  h += lo < c;
  lo += d;
  h += lo < d;
  *hi = h;
  return lo;
}

// Montgomery product, the no-carry CIOS of prover/ec/bn254_field.hpp.
inline fq fq_mul(fq a, fq b) {
  ulong t[4] = {0, 0, 0, 0};
  for (int i = 0; i < 4; ++i) {
    ulong a_carry, c, t0;
    t0 = mac(a.v[0], b.v[i], t[0], 0, &a_carry);
    ulong m = t0 * FQ_INV;
    mac(m, kP[0], t0, 0, &c);
    for (int j = 1; j < 4; ++j) {
      ulong lo = mac(a.v[j], b.v[i], t[j], a_carry, &a_carry);
      t[j - 1] = mac(m, kP[j], lo, c, &c);
    }
    t[3] = c + a_carry;
  }
  fq r = {{t[0], t[1], t[2], t[3]}};
  return fq_reduce_once(r);
}

inline fq fq_sqr(fq a) { return fq_mul(a, a); }
inline fq fq_dbl(fq a) { return fq_add(a, a); }

inline fq fq_one(void) {
  fq r = {{FQ_ONE0, FQ_ONE1, FQ_ONE2, FQ_ONE3}};
  return r;
}

// acc += (qx, qy) (madd-2008-s), with the doubling and cancellation cases.
inline void xyzz_add_affine(xyzz* acc, fq qx, fq qy) {
  if (fq_is_zero(acc->zz)) {
    acc->x = qx;
    acc->y = qy;
    acc->zz = fq_one();
    acc->zzz = fq_one();
    return;
  }
  fq u2 = fq_mul(qx, acc->zz);
  fq s2 = fq_mul(qy, acc->zzz);
  fq p = fq_sub(u2, acc->x);
  fq r = fq_sub(s2, acc->y);
  if (fq_is_zero(p)) {
    if (fq_is_zero(r)) {
      // mdbl-2008-s-1 of (qx, qy)
      fq u = fq_dbl(qy);
      fq v = fq_sqr(u);
      fq w = fq_mul(u, v);
      fq s = fq_mul(qx, v);
      fq x2 = fq_sqr(qx);
      fq m = fq_add(fq_dbl(x2), x2);
      fq x3 = fq_sub(fq_sqr(m), fq_dbl(s));
      acc->y = fq_sub(fq_mul(m, fq_sub(s, x3)), fq_mul(w, qy));
      acc->x = x3;
      acc->zz = v;
      acc->zzz = w;
    } else {
      fq z = {{0, 0, 0, 0}};
      acc->zz = z;
      acc->zzz = z;
    }
    return;
  }
  fq pp = fq_sqr(p);
  fq ppp = fq_mul(p, pp);
  fq q = fq_mul(acc->x, pp);
  fq x3 = fq_sub(fq_sub(fq_sqr(r), ppp), fq_dbl(q));
  acc->y = fq_sub(fq_mul(r, fq_sub(q, x3)), fq_mul(acc->y, ppp));
  acc->x = x3;
  acc->zz = fq_mul(acc->zz, pp);
  acc->zzz = fq_mul(acc->zzz, ppp);
}

// points: n affine points, 8 ulongs each (x then y). entries: per window, the point indices
// sorted by bucket, (index << 1) | negate. offsets: per window, buckets + 1 run starts (into
// entries, absolute). out: windows * buckets XYZZ points, 16 ulongs each.
__kernel void msm_bucket_sum(__global const ulong* points, __global const uint* entries,
                             __global const uint* offsets, uint buckets, uint windows,
                             __global ulong* out) {
  const uint gid = get_global_id(0);
  if (gid >= buckets * windows) return;
  const uint w = gid / buckets, b = gid % buckets;
  const uint begin = offsets[w * (buckets + 1) + b], end = offsets[w * (buckets + 1) + b + 1];
  xyzz acc;
  for (int i = 0; i < 4; ++i) {
    acc.x.v[i] = 0;
    acc.y.v[i] = 0;
    acc.zz.v[i] = 0;
    acc.zzz.v[i] = 0;
  }
  for (uint e = begin; e < end; ++e) {
    const uint entry = entries[e];
    __global const ulong* pt = points + (size_t)(entry >> 1) * 8;
    fq x, y;
    for (int i = 0; i < 4; ++i) {
      x.v[i] = pt[i];
      y.v[i] = pt[4 + i];
    }
    if (entry & 1) y = fq_neg(y);
    xyzz_add_affine(&acc, x, y);
  }
  __global ulong* o = out + (size_t)gid * 16;
  for (int i = 0; i < 4; ++i) {
    o[i] = acc.x.v[i];
    o[4 + i] = acc.y.v[i];
    o[8 + i] = acc.zz.v[i];
    o[12 + i] = acc.zzz.v[i];
  }
}
