// BLAKE3 Merkle hashing (prover/hash/blake3.hpp): leaves (one work-item per row) and
// compressions (one per pair), bit-identical to the scalar reference in prover/hash/blake3.cpp.
// After babybear (BB_P, for the digest's reduction mod p).

#define B3_CHUNK_START 1u
#define B3_CHUNK_END 2u
#define B3_PARENT 4u
#define B3_ROOT 8u
#define B3_BLOCK_WORDS 16u
#define B3_CHUNK_WORDS 256u
// Subtree chaining values a row keeps while its chunks are hashed: one per bit of the chunk
// count, so rows of up to 2^16 chunks (2^24 cells); the host rejects wider ones.
#define B3_MAX_STACK 16u

__constant uint B3_IV[8] = {0x6A09E667u, 0xBB67AE85u, 0x3C6EF372u, 0xA54FF53Au,
                            0x510E527Fu, 0x9B05688Cu, 0x1F83D9ABu, 0x5BE0CD19u};
__constant uchar B3_PERM[16] = {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8};

// rotate() turns left.
#define B3_G(a, b, c, d, mx, my)      \
  s[a] = s[a] + s[b] + (mx);          \
  s[d] = rotate(s[d] ^ s[a], 16u);    \
  s[c] = s[c] + s[d];                 \
  s[b] = rotate(s[b] ^ s[c], 20u);    \
  s[a] = s[a] + s[b] + (my);          \
  s[d] = rotate(s[d] ^ s[a], 24u);    \
  s[c] = s[c] + s[d];                 \
  s[b] = rotate(s[b] ^ s[c], 25u);

// cv <- the first 8 output words of the compression of block m.
inline void b3_compress(uint* cv, const uint* block, ulong counter, uint block_len, uint flags) {
  uint s[16], m[16], t[16];
  for (int i = 0; i < 8; ++i) s[i] = cv[i];
  for (int i = 0; i < 4; ++i) s[8 + i] = B3_IV[i];
  s[12] = (uint)counter;
  s[13] = (uint)(counter >> 32);
  s[14] = block_len;
  s[15] = flags;
  for (int i = 0; i < 16; ++i) m[i] = block[i];
  for (int r = 0; r < 7; ++r) {
    B3_G(0, 4, 8, 12, m[0], m[1]);
    B3_G(1, 5, 9, 13, m[2], m[3]);
    B3_G(2, 6, 10, 14, m[4], m[5]);
    B3_G(3, 7, 11, 15, m[6], m[7]);
    B3_G(0, 5, 10, 15, m[8], m[9]);
    B3_G(1, 6, 11, 12, m[10], m[11]);
    B3_G(2, 7, 8, 13, m[12], m[13]);
    B3_G(3, 4, 9, 14, m[14], m[15]);
    for (int i = 0; i < 16; ++i) t[i] = m[B3_PERM[i]];
    for (int i = 0; i < 16; ++i) m[i] = t[i];
  }
  for (int i = 0; i < 8; ++i) cv[i] = s[i] ^ s[i + 8];
}

inline void b3_set_iv(uint* cv) {
  for (int i = 0; i < 8; ++i) cv[i] = B3_IV[i];
}

// cv <- PARENT(left || cv).
inline void b3_parent(const uint* left, uint* cv, bool root) {
  uint m[16];
  for (int i = 0; i < 8; ++i) {
    m[i] = left[i];
    m[8 + i] = cv[i];
  }
  b3_set_iv(cv);
  b3_compress(cv, m, 0, 64u, B3_PARENT | (root ? B3_ROOT : 0u));
}

// The block ending at word k (exclusive; full, or the input's last) of an input of `total` words
// is in block[]: compress it and, at its chunk's end, merge or fold the stack of subtree chaining
// values (blake3.cpp's hash_bytes). The stack holds popcount(chunk) entries before chunk `chunk`.
inline void b3_end_block(uint* cv, uint* block, uint* stack, ulong k, ulong total) {
  const uint words = (uint)((k - 1) % B3_BLOCK_WORDS) + 1u;
  for (uint i = words; i < B3_BLOCK_WORDS; ++i) block[i] = 0u;
  const ulong start = k - words;
  const ulong chunk = start / B3_CHUNK_WORDS;
  const ulong chunk_end = min(total, (chunk + 1) * B3_CHUNK_WORDS);
  const bool chunk_start = start % B3_CHUNK_WORDS == 0;
  const bool chunk_last = k == chunk_end;
  const bool single_chunk = total <= B3_CHUNK_WORDS;
  if (chunk_start) b3_set_iv(cv);
  const uint flags = (chunk_start ? B3_CHUNK_START : 0u) | (chunk_last ? B3_CHUNK_END : 0u) |
                     (chunk_last && single_chunk ? B3_ROOT : 0u);
  b3_compress(cv, block, chunk, 4u * words, flags);
  if (!chunk_last || single_chunk) return;
  uint depth = popcount(chunk);
  if (k < total) {
    for (ulong t = chunk + 1; (t & 1) == 0; t >>= 1) {
      --depth;
      b3_parent(stack + 8 * depth, cv, false);
    }
    for (int i = 0; i < 8; ++i) stack[8 * depth + i] = cv[i];
  } else {
    while (depth > 0) {
      --depth;
      b3_parent(stack + 8 * depth, cv, depth == 0);
    }
  }
}

inline uint b3_mat_at(__global const uint* mat, ulong off, ulong rows, uint cols, uint col_major,
                      ulong r, uint c) {
  return col_major ? mat[off + (ulong)c * rows + r] : mat[off + r * cols + c];
}

// Words [pos, pos + cols) of every row's input of `total` words come from one matrix. A row's
// state between matrices (chaining value, partial block, the stack of popcount(pos / 256)
// subtree values) lives in `states` at `state_words` per row; the matrix that ends the input
// writes the digest: the 8 output words, each reduced mod p. total = 0: the empty input.
__kernel void b3_absorb(__global uint* states, uint state_words, __global const uint* mat,
                        ulong off, ulong rows, uint cols, uint col_major, ulong pos, ulong total,
                        __global uint* digests, ulong dig_off) {
  const ulong r = get_global_id(0);
  if (r >= rows) return;
  uint cv[8], block[16], stack[8 * B3_MAX_STACK];
  __global uint* st = states + r * state_words;
  if (pos == 0) {
    b3_set_iv(cv);
  } else {
    for (int i = 0; i < 8; ++i) cv[i] = st[i];
    for (int i = 0; i < 16; ++i) block[i] = st[8 + i];
    const uint depth = popcount(pos / B3_CHUNK_WORDS);
    for (uint i = 0; i < 8 * depth; ++i) stack[i] = st[24 + i];
  }
  for (uint c = 0; c < cols; ++c) {
    const ulong k = pos + c + 1;
    block[(k - 1) % B3_BLOCK_WORDS] = b3_mat_at(mat, off, rows, cols, col_major, r, c);
    if (k % B3_BLOCK_WORDS == 0 || k == total) b3_end_block(cv, block, stack, k, total);
  }
  const ulong end = pos + cols;
  if (end < total) {
    for (int i = 0; i < 8; ++i) st[i] = cv[i];
    for (int i = 0; i < 16; ++i) st[8 + i] = block[i];
    const uint depth = popcount(end / B3_CHUNK_WORDS);
    for (uint i = 0; i < 8 * depth; ++i) st[24 + i] = stack[i];
    return;
  }
  if (total == 0) {
    for (int i = 0; i < 16; ++i) block[i] = 0u;
    b3_set_iv(cv);
    b3_compress(cv, block, 0, 0u, B3_CHUNK_START | B3_CHUNK_END | B3_ROOT);
  }
  for (int i = 0; i < 8; ++i) digests[8 * (dig_off + r) + i] = cv[i] % BB_P;
}

// The Merkle compression of 16 words: one block, CHUNK_START | CHUNK_END | ROOT, counter 0.
inline void b3_merkle_compress(uint* m, uint* out) {
  b3_set_iv(out);
  b3_compress(out, m, 0, 64u, B3_CHUNK_START | B3_CHUNK_END | B3_ROOT);
  for (int i = 0; i < 8; ++i) out[i] %= BB_P;
}

__kernel void b3_compress_pairs(__global const uint* in, ulong in_off, __global uint* out,
                                ulong out_off, ulong n) {
  const ulong i = get_global_id(0);
  if (i >= n) return;
  uint m[16], h[8];
  for (int j = 0; j < 16; ++j) m[j] = in[8 * (in_off + 2 * i) + j];
  b3_merkle_compress(m, h);
  for (int j = 0; j < 8; ++j) out[8 * (out_off + i) + j] = h[j];
}

__kernel void b3_compress_inject(__global uint* nodes, ulong off, __global const uint* inj,
                                 ulong n) {
  const ulong i = get_global_id(0);
  if (i >= n) return;
  uint m[16], h[8];
  for (int j = 0; j < 8; ++j) m[j] = nodes[8 * (off + i) + j];
  for (int j = 0; j < 8; ++j) m[8 + j] = inj[8 * i + j];
  b3_merkle_compress(m, h);
  for (int j = 0; j < 8; ++j) nodes[8 * (off + i) + j] = h[j];
}
