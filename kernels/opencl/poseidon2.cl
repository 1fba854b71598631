// Poseidon2-BabyBear width 16 (OpenCL C 1.2): the permutation, the rate-8 overwrite sponge over
// matrix rows, 2-to-1 compression and proof-of-work search, bit-identical to the scalar
// reference in prover/hash/poseidon2.cpp. One work-item per permutation (state in registers).
//
// Values are uint in Montgomery form (R = 2^32), < p. Digests are 8 consecutive uints.
// Round constants (Montgomery form) come in one __constant buffer `rc`:
//   [0, 64) external initial rounds, [64, 128) external final rounds, [128, 141) internal.
// Matrices: `mat` + `off` elements, `rows` x `cols`, column-major when col_major != 0.

// BabyBear arithmetic (bb_*) comes from babybear.cl, built before this source.

inline uint sbox(uint x) {
  uint x2 = bb_mul(x, x);
  uint x3 = bb_mul(x2, x);
  uint x4 = bb_mul(x2, x2);
  return bb_mul(x3, x4);
}

// x * 2^-k (1 <= k <= 27): hi - lo * 15 * 2^(27-k) mod p, see mul_2exp_neg in poseidon2.cpp.
inline uint mul_2exp_neg(uint x, uint k) {
  uint lo = x & ((1u << k) - 1u);
  uint t = ((lo << 4) - lo) << (27u - k);
  return bb_sub(x >> k, t);
}

// M_E: M4 = [[2,3,1,1],[1,2,3,1],[1,1,2,3],[3,1,1,2]] per block of 4 (row i: sum + x_i +
// 2 x_{i+1}), then out[i] = t[i] + sum_j t[4j + i % 4].
inline void external_linear(uint* s) {
  for (int b = 0; b < 16; b += 4) {
    uint x0 = s[b], x1 = s[b + 1], x2 = s[b + 2], x3 = s[b + 3];
    uint sum = bb_add(bb_add(x0, x1), bb_add(x2, x3));
    s[b] = bb_add(bb_add(sum, x0), bb_add(x1, x1));
    s[b + 1] = bb_add(bb_add(sum, x1), bb_add(x2, x2));
    s[b + 2] = bb_add(bb_add(sum, x2), bb_add(x3, x3));
    s[b + 3] = bb_add(bb_add(sum, x3), bb_add(x0, x0));
  }
  for (int i = 0; i < 4; ++i) {
    uint col = bb_add(bb_add(s[i], s[4 + i]), bb_add(s[8 + i], s[12 + i]));
    s[i] = bb_add(s[i], col);
    s[4 + i] = bb_add(s[4 + i], col);
    s[8 + i] = bb_add(s[8 + i], col);
    s[12 + i] = bb_add(s[12 + i], col);
  }
}

// Partial round with the internal diagonal [-2, 1, 2, 1/2, 3, 4, -1/2, -3, -4, 2^-8, 1/4, 1/8,
// 2^-27, -2^-8, -1/16, -2^-27] (checked against the vectors file in poseidon2.cpp).
inline void partial_round(uint* s, uint rc) {
  uint part = bb_add(bb_add(bb_add(s[1], s[2]), bb_add(s[3], s[4])),
                     bb_add(bb_add(s[5], s[6]), bb_add(s[7], s[8])));
  part = bb_add(part, bb_add(bb_add(bb_add(s[9], s[10]), bb_add(s[11], s[12])),
                             bb_add(bb_add(s[13], s[14]), s[15])));
  uint x0 = sbox(bb_add(s[0], rc));
  uint sum = bb_add(part, x0);
  s[0] = bb_sub(sum, bb_add(x0, x0));
  s[1] = bb_add(sum, s[1]);
  s[2] = bb_add(sum, bb_add(s[2], s[2]));
  s[3] = bb_add(sum, mul_2exp_neg(s[3], 1));
  s[4] = bb_add(sum, bb_add(bb_add(s[4], s[4]), s[4]));
  uint d5 = bb_add(s[5], s[5]);
  s[5] = bb_add(sum, bb_add(d5, d5));
  s[6] = bb_sub(sum, mul_2exp_neg(s[6], 1));
  s[7] = bb_sub(sum, bb_add(bb_add(s[7], s[7]), s[7]));
  uint d8 = bb_add(s[8], s[8]);
  s[8] = bb_sub(sum, bb_add(d8, d8));
  s[9] = bb_add(sum, mul_2exp_neg(s[9], 8));
  s[10] = bb_add(sum, mul_2exp_neg(s[10], 2));
  s[11] = bb_add(sum, mul_2exp_neg(s[11], 3));
  s[12] = bb_add(sum, mul_2exp_neg(s[12], 27));
  s[13] = bb_sub(sum, mul_2exp_neg(s[13], 8));
  s[14] = bb_sub(sum, mul_2exp_neg(s[14], 4));
  s[15] = bb_sub(sum, mul_2exp_neg(s[15], 27));
}

inline void permute(uint* s, __constant const uint* rc) {
  external_linear(s);
  for (int r = 0; r < 4; ++r) {
    for (int i = 0; i < 16; ++i) s[i] = sbox(bb_add(s[i], rc[16 * r + i]));
    external_linear(s);
  }
  for (int r = 0; r < 13; ++r) partial_round(s, rc[128 + r]);
  for (int r = 0; r < 4; ++r) {
    for (int i = 0; i < 16; ++i) s[i] = sbox(bb_add(s[i], rc[64 + 16 * r + i]));
    external_linear(s);
  }
}

inline uint mat_at(__global const uint* mat, ulong off, ulong rows, uint cols, uint col_major,
                   ulong r, uint c) {
  return col_major ? mat[off + (ulong)c * rows + r] : mat[off + r * cols + c];
}

// n states of 16 elements, in place.
__kernel void p2_permute(__global uint* states, ulong n, __constant const uint* rc) {
  const ulong i = get_global_id(0);
  if (i >= n) return;
  uint s[16];
  for (int j = 0; j < 16; ++j) s[j] = states[16 * i + j];
  permute(s, rc);
  for (int j = 0; j < 16; ++j) states[16 * i + j] = s[j];
}

// digests[dig_off + r] = sponge of row r, for a leaf made of one matrix.
__kernel void p2_hash_matrix(__global const uint* mat, ulong off, ulong rows, uint cols,
                             uint col_major, __global uint* digests, ulong dig_off,
                             __constant const uint* rc) {
  const ulong r = get_global_id(0);
  if (r >= rows) return;
  uint s[16];
  for (int j = 0; j < 16; ++j) s[j] = 0;
  uint pos = 0;
  for (uint c = 0; c < cols; ++c) {
    s[pos++] = mat_at(mat, off, rows, cols, col_major, r, c);
    if (pos == 8) {
      permute(s, rc);
      pos = 0;
    }
  }
  if (pos != 0) permute(s, rc);
  for (int j = 0; j < 8; ++j) digests[8 * (dig_off + r) + j] = s[j];
}

// Leaves made of several matrices: each matrix in turn is absorbed into per-row sponge states
// (zeroed before the first), `pos` = elements absorbed so far mod 8; p2_finish then pads out
// the last partial chunk and writes the digests.
__kernel void p2_absorb(__global uint* states, __global const uint* mat, ulong off, ulong rows,
                        uint cols, uint col_major, uint pos, __constant const uint* rc) {
  const ulong r = get_global_id(0);
  if (r >= rows) return;
  uint s[16];
  for (int j = 0; j < 16; ++j) s[j] = states[16 * r + j];
  for (uint c = 0; c < cols; ++c) {
    s[pos++] = mat_at(mat, off, rows, cols, col_major, r, c);
    if (pos == 8) {
      permute(s, rc);
      pos = 0;
    }
  }
  for (int j = 0; j < 16; ++j) states[16 * r + j] = s[j];
}

__kernel void p2_finish(__global const uint* states, ulong rows, uint pos,
                        __global uint* digests, ulong dig_off, __constant const uint* rc) {
  const ulong r = get_global_id(0);
  if (r >= rows) return;
  uint s[16];
  for (int j = 0; j < 16; ++j) s[j] = states[16 * r + j];
  if (pos != 0) permute(s, rc);
  for (int j = 0; j < 8; ++j) digests[8 * (dig_off + r) + j] = s[j];
}

// out[out_off + i] = compress(in[in_off + 2i], in[in_off + 2i + 1]), i < n (digest indices).
__kernel void p2_compress_pairs(__global const uint* in, ulong in_off, __global uint* out,
                                ulong out_off, ulong n, __constant const uint* rc) {
  const ulong i = get_global_id(0);
  if (i >= n) return;
  uint s[16];
  for (int j = 0; j < 16; ++j) s[j] = in[8 * (in_off + 2 * i) + j];
  permute(s, rc);
  for (int j = 0; j < 8; ++j) out[8 * (out_off + i) + j] = s[j];
}

// nodes[off + i] = compress(nodes[off + i], inj[i]), i < n: rows injected at a tree level.
__kernel void p2_compress_inject(__global uint* nodes, ulong off, __global const uint* inj,
                                 ulong n, __constant const uint* rc) {
  const ulong i = get_global_id(0);
  if (i >= n) return;
  uint s[16];
  for (int j = 0; j < 8; ++j) s[j] = nodes[8 * (off + i) + j];
  for (int j = 0; j < 8; ++j) s[8 + j] = inj[8 * i + j];
  permute(s, rc);
  for (int j = 0; j < 8; ++j) nodes[8 * (off + i) + j] = s[j];
}

// Proof of work: candidate w = start + i is written into lane `lane` of `base`; the smallest
// w whose permuted lane 7 has its low `bits` bits zero is kept in *best (atomic_min).
// Candidates are canonical values; the lane takes their Montgomery form w * 2^32 mod p.
__kernel void p2_grind(__constant const uint* base, uint lane, uint start, uint count,
                       uint mask, __global volatile uint* best, __constant const uint* rc) {
  const uint i = get_global_id(0);
  if (i >= count) return;
  const uint w = start + i;
  if (w >= *best) return;
  uint s[16];
  for (int j = 0; j < 16; ++j) s[j] = base[j];
  // Montgomery form of w: w * R mod p = mont_mul(w, R^2 mod p).
  s[lane] = bb_mul(w, 0x45dddde3u);
  permute(s, rc);
  // Canonical value of lane 7: mont_mul(x, 1).
  const uint v = bb_mul(s[7], 1u);
  if ((v & mask) == 0) atomic_min(best, w);
}
