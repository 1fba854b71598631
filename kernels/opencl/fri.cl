// FRI folding (OpenCL C 1.2), built after field4.cl. A layer of height h = 2^log_h is h Fp4
// values in bit-reversed order on shift * H; positions 2i and 2i + 1 hold f(x) and f(-x) with
// x = shift w^bitrev_{log_h - 1}(i), so the layer's buffer is also its Merkle matrix (h / 2 rows
// of 8 elements, row-major).

// out[i] = (lo + hi) / 2 + beta (lo - hi) / (2 x) (+ beta^2 in[i] when an input joins here),
// with inv_two_shift = 1 / (2 shift) and w_inv = w^-1. Global size h / 2.
__kernel void fri_fold(__global const fp4* cur, __global fp4* out, uint log_h, fp4 beta,
                       uint inv_two, uint inv_two_shift, uint w_inv, __global const fp4* in,
                       uint with_input, fp4 beta2) {
  const uint i = get_global_id(0);
  const fp4 lo = cur[2 * i], hi = cur[2 * i + 1];
  const uint s = bb_mul(inv_two_shift, bb_pow(w_inv, bit_rev(i, log_h - 1u)));
  fp4 r = fp4_add(fp4_mul_base(fp4_add(lo, hi), inv_two),
                  fp4_mul(beta, fp4_mul_base(fp4_sub(lo, hi), s)));
  if (with_input) r = fp4_add(r, fp4_mul(beta2, in[i]));
  out[i] = r;
}
