// BabyBear NTT kernels (OpenCL C 1.2). Values are uint in Montgomery form (R = 2^32), < p, as in
// prover/field/babybear.hpp, and every operation gives bit-identical results to the scalar code.
//
// Data: `cols` columns of n = 2^log_n elements, column-major (column c at c << log_n).
// Twiddles: one table per direction; layer k (butterfly half-size h = 2^k) holds w_{2h}^j,
// j < h, at offset 2^k - 1, so the table for 2^L serves every size up to 2^L.
//
// Butterfly layers run in passes: a work-group loads a tile of 2^(r + c) elements into local
// memory -- r consecutive layer bits [lo, lo + r) times c low bits [0, c) kept consecutive so
// global loads coalesce -- runs all r layers there and writes the tile back. A 2^20 transform
// takes 2 or 3 passes over global memory instead of 20.

// BabyBear arithmetic (bb_*, bit_rev) comes from babybear.cl, built before this source.

// Tile element l lives at PAD(l) in local memory: one spare word every 32 spreads the strided
// accesses of the radix-8 rounds over the 32 local-memory banks of a GPU. The tile takes
// 2^t + 2^t / 32 words.
#define PAD(l) ((l) + ((l) >> 5))

// Global index (within its column) of tile element l.
inline uint tile_index(uint base, uint l, uint lo, uint c) {
  return base | ((l >> c) << lo) | (l & ((1u << c) - 1u));
}

// Loads this work-group's tile; returns the column pointer and sets *base. Work-groups take
// the columns fastest, so groups that run together share their twiddles in cache.
inline __global uint* load_tile(__global uint* x, uint log_n, uint cols, uint lo, uint r, uint c,
                                __local uint* tile, uint* base) {
  const ulong group = get_group_id(0);
  const ulong col = group % cols;
  const uint g = (uint)(group / cols);  // tile index within the column
  const uint g_low = g & ((1u << (lo - c)) - 1u);  // bits [c, lo)
  const uint g_high = g >> (lo - c);               // bits [lo + r, log_n)
  __global uint* xc = x + (col << log_n);
  *base = (g_high << (lo + r)) | (g_low << c);
  const uint size = 1u << (r + c);
  for (uint l = get_local_id(0); l < size; l += get_local_size(0)) {
    tile[PAD(l)] = xc[tile_index(*base, l, lo, c)];
  }
  barrier(CLK_LOCAL_MEM_FENCE);
  return xc;
}

inline void store_tile(__global uint* xc, uint base, uint lo, uint r, uint c,
                       __local const uint* tile) {
  const uint size = 1u << (r + c);
  for (uint l = get_local_id(0); l < size; l += get_local_size(0)) {
    xc[tile_index(base, l, lo, c)] = tile[PAD(l)];
  }
}

// Butterfly rounds on the tile in local memory. Tile bits [c, c + r) are layers lo .. lo + r - 1
// (tile bit lb <-> layer lo + lb - c); `base` places the tile in its column (see load_tile).
//
// Radix-8 rounds: each work-item holds the 8 elements that differ in tile bits [s, s + 3) in
// registers and runs those 3 layers there, so three layers cost one barrier and one local
// round trip. The global index of element i of a set is g0 + (i << gs), gs = lo + s - c, and g0
// has zeros in bits [gs, gs + 3); the twiddle of a butterfly on layer gs + b is
// w[(g0 mod 2^gs) + ((i mod 2^b) << gs)].
#define RADIX8_SETUP()                                                       \
  const uint e0 = ((u >> s) << (s + 3)) | (u & ((1u << s) - 1u));            \
  const uint gs = lo + s - c;                                                \
  const uint g0low = tile_index(base, e0, lo, c) & ((1u << gs) - 1u);        \
  uint v[8];                                                                 \
  _Pragma("unroll") for (uint i = 0; i < 8; ++i) v[i] = tile[PAD(e0 + (i << s))];

#define RADIX8_STORE() \
  _Pragma("unroll") for (uint i = 0; i < 8; ++i) tile[PAD(e0 + (i << s))] = v[i];

inline void dif_round8(__local uint* tile, __global const uint* tw, uint base, uint lo, uint c,
                       uint s, uint tsize) {
  for (uint u = get_local_id(0); u < (tsize >> 3); u += get_local_size(0)) {
    RADIX8_SETUP()
    _Pragma("unroll") for (int b = 2; b >= 0; --b) {
      const uint h = 1u << b;
      __global const uint* w = tw + ((1u << (gs + b)) - 1u) + g0low;
      _Pragma("unroll") for (uint i = 0; i < 8; ++i) {
        if ((i & h) == 0) {
          const uint t = v[i], y = v[i + h];
          v[i] = bb_add(t, y);
          v[i + h] = bb_mul(bb_sub(t, y), w[(i & (h - 1u)) << gs]);
        }
      }
    }
    RADIX8_STORE()
  }
}

inline void dit_round8(__local uint* tile, __global const uint* tw, uint base, uint lo, uint c,
                       uint s, uint tsize) {
  for (uint u = get_local_id(0); u < (tsize >> 3); u += get_local_size(0)) {
    RADIX8_SETUP()
    _Pragma("unroll") for (int b = 0; b < 3; ++b) {
      const uint h = 1u << b;
      __global const uint* w = tw + ((1u << (gs + b)) - 1u) + g0low;
      _Pragma("unroll") for (uint i = 0; i < 8; ++i) {
        if ((i & h) == 0) {
          const uint t = v[i], y = bb_mul(v[i + h], w[(i & (h - 1u)) << gs]);
          v[i] = bb_add(t, y);
          v[i + h] = bb_sub(t, y);
        }
      }
    }
    RADIX8_STORE()
  }
}

// One radix-2 layer at tile bit lb (for the 1 or 2 layers a pass has beyond its radix-8 rounds).
inline void dif_round2(__local uint* tile, __global const uint* tw, uint base, uint lo, uint c,
                       uint lb, uint tsize) {
  const uint k = lo + lb - c;
  const uint h = 1u << lb;
  __global const uint* w = tw + ((1u << k) - 1u);
  for (uint b = get_local_id(0); b < (tsize >> 1); b += get_local_size(0)) {
    const uint a = ((b >> lb) << (lb + 1)) | (b & (h - 1u));
    const uint j = tile_index(base, a, lo, c) & ((1u << k) - 1u);
    const uint t = tile[PAD(a)], y = tile[PAD(a + h)];
    tile[PAD(a)] = bb_add(t, y);
    tile[PAD(a + h)] = bb_mul(bb_sub(t, y), w[j]);
  }
}

inline void dit_round2(__local uint* tile, __global const uint* tw, uint base, uint lo, uint c,
                       uint lb, uint tsize) {
  const uint k = lo + lb - c;
  const uint h = 1u << lb;
  __global const uint* w = tw + ((1u << k) - 1u);
  for (uint b = get_local_id(0); b < (tsize >> 1); b += get_local_size(0)) {
    const uint a = ((b >> lb) << (lb + 1)) | (b & (h - 1u));
    const uint j = tile_index(base, a, lo, c) & ((1u << k) - 1u);
    const uint t = tile[PAD(a)], y = bb_mul(tile[PAD(a + h)], w[j]);
    tile[PAD(a)] = bb_add(t, y);
    tile[PAD(a + h)] = bb_sub(t, y);
  }
}

// Decimation in frequency (Gentleman-Sande), layers lo + r - 1 down to lo.
// Natural input, bit-reversed output once every layer has run.
__kernel void ntt_dif_pass(__global uint* x, __global const uint* tw, uint log_n, uint cols,
                           uint lo, uint r, uint c, __local uint* tile) {
  uint base;
  __global uint* xc = load_tile(x, log_n, cols, lo, r, c, tile, &base);
  const uint tsize = 1u << (r + c);
  uint top = c + r;  // tile bits [c, top) still to run, from the top
  for (; top >= c + 3; top -= 3) {
    dif_round8(tile, tw, base, lo, c, top - 3, tsize);
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  for (; top > c; --top) {
    dif_round2(tile, tw, base, lo, c, top - 1, tsize);
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  store_tile(xc, base, lo, r, c, tile);
}

// Decimation in time (Cooley-Tukey), layers lo up to lo + r - 1.
// Bit-reversed input, natural output once every layer has run.
__kernel void ntt_dit_pass(__global uint* x, __global const uint* tw, uint log_n, uint cols,
                           uint lo, uint r, uint c, __local uint* tile) {
  uint base;
  __global uint* xc = load_tile(x, log_n, cols, lo, r, c, tile, &base);
  const uint tsize = 1u << (r + c);
  uint bottom = c;  // tile bits [bottom, c + r) still to run, from the bottom
  for (; bottom + 3 <= c + r; bottom += 3) {
    dit_round8(tile, tw, base, lo, c, bottom, tsize);
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  for (; bottom < c + r; ++bottom) {
    dit_round2(tile, tw, base, lo, c, bottom, tsize);
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  store_tile(xc, base, lo, r, c, tile);
}

// In-place bit-reversal permutation. Range: (n, cols).
__kernel void bit_reverse(__global uint* x, uint log_n) {
  const uint i = (uint)get_global_id(0);
  const uint j = bit_rev(i, log_n);
  if (i < j) {
    __global uint* xc = x + ((ulong)get_global_id(1) << log_n);
    const uint t = xc[i];
    xc[i] = xc[j];
    xc[j] = t;
  }
}

// The element of logical index i (stored at i, or at bit_rev(i) when `bitrev`) is multiplied by
// scale * base^i. Work-item g of G takes i = g, g + G, ... stepping by step = base^G.
// Range: (G, cols), G a power of two <= n.
__kernel void scale_by_powers(__global uint* x, uint log_n, uint bitrev, uint scale, uint base,
                              uint step) {
  const uint g = (uint)get_global_id(0);
  const uint stride = (uint)get_global_size(0);
  const uint n = 1u << log_n;
  __global uint* xc = x + ((ulong)get_global_id(1) << log_n);
  uint f = bb_mul(scale, bb_pow(base, g));
  for (uint i = g; i < n; i += stride) {
    const uint pos = bitrev ? bit_rev(i, log_n) : i;
    xc[pos] = bb_mul(xc[pos], f);
    f = bb_mul(f, step);
  }
}

// LDE middle step: coefficient i of each column (read at i, or bit_rev(i, log_n) when
// `in_bitrev`) times scale * base^i is written to position i, or bit_rev(i, log_m) when
// `out_bitrev`, of the zero-filled column of 2^log_m. Range: (G, cols), G a power of two <= n.
__kernel void lde_spread(__global const uint* coeffs, __global uint* out, uint log_n, uint log_m,
                         uint in_bitrev, uint out_bitrev, uint scale, uint base, uint step) {
  const uint g = (uint)get_global_id(0);
  const uint stride = (uint)get_global_size(0);
  const uint n = 1u << log_n;
  const ulong col = get_global_id(1);
  __global const uint* src = coeffs + (col << log_n);
  __global uint* dst = out + (col << log_m);
  uint f = bb_mul(scale, bb_pow(base, g));
  for (uint i = g; i < n; i += stride) {
    const uint from = in_bitrev ? bit_rev(i, log_n) : i;
    const uint to = out_bitrev ? bit_rev(i, log_m) : i;
    dst[to] = bb_mul(src[from], f);
    f = bb_mul(f, step);
  }
}
