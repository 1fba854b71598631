// STARK prover kernels (OpenCL C 1.2): the pieces of prover/stark's OpenCL pipeline that are
// not NTTs or hashing. Built after field4.cl (BabyBear and Fp4 helpers).
//
// The quotient kernel itself is generated per table from its constraint DAG
// (prover/air/opencl_codegen.hpp) and appended to this source.

// Quotient chunks: `coords` holds the quotient's coefficients (4 base columns of qn = D n,
// natural order); chunk j's coordinate k becomes column 4j + k of `out` (lde_n rows, zeroed by
// the caller), coefficients in its first n rows. Global size (n, 4 D).
__kernel void quotient_split(__global const uint* coords, __global uint* out, uint n,
                             ulong lde_n, uint d) {
  const uint i = get_global_id(0);
  const uint col = get_global_id(1);  // 4 j + k
  const uint j = col >> 2, k = col & 3u;
  out[(ulong)col * lde_n + i] = coords[(ulong)k * ((ulong)n * d) + (ulong)j * n + i];
}

// DEEP numerators: for every row i of one committed matrix (width columns, column-major with
// `stride`), acc[i] += sum_c coeff[2c] v_c(i) and acc[h + i] += sum_c coeff[2c + 1] v_c(i)
// (the z and g z terms). `init` starts the sums at zero. Global size h.
__kernel void deep_accumulate(__global const uint* lde, uint width, ulong stride,
                              __global const fp4* coeff, __global fp4* acc, ulong h, uint init) {
  const ulong i = get_global_id(0);
  fp4 az = init ? (fp4)(0u) : acc[i];
  fp4 azg = init ? (fp4)(0u) : acc[h + i];
  for (uint c = 0; c < width; ++c) {
    const uint v = lde[(ulong)c * stride + i];
    az = fp4_add(az, fp4_mul_base(coeff[2 * c], v));
    azg = fp4_add(azg, fp4_mul_base(coeff[2 * c + 1], v));
  }
  acc[i] = az;
  acc[h + i] = azg;
}

// out[i] = (acc_z(i) - cz) / (x_i - z) + (acc_zg(i) - czg) / (x_i - g z), x_i = shift w^bitrev(i)
// on the LDE coset of 2^log_h points. Global size h.
__kernel void deep_finish(__global const fp4* acc, __global fp4* out, uint log_h, uint shift,
                          uint w, fp4 z, fp4 gz, fp4 cz, fp4 czg) {
  const uint i = get_global_id(0);
  const ulong h = (ulong)1 << log_h;
  const uint x = bb_mul(shift, bb_pow(w, bit_rev(i, log_h)));
  const fp4 a = fp4_mul(fp4_sub(acc[i], cz), fp4_inv(fp4_sub(fp4_base(x), z)));
  const fp4 b = fp4_mul(fp4_sub(acc[h + i], czg), fp4_inv(fp4_sub(fp4_base(x), gz)));
  out[i] = fp4_add(a, b);
}

// Row blocks of a column-major matrix, for the query phase: out[c * (count * block) + s * block
// + r] = src[c * stride + starts[s] + r]. Global size (count * block, cols).
__kernel void gather_rows(__global const uint* src, ulong stride, __global const uint* starts,
                          uint block, __global uint* out) {
  const uint t = get_global_id(0);
  const uint c = get_global_id(1);
  const ulong total = get_global_size(0);
  out[(ulong)c * total + t] = src[(ulong)c * stride + starts[t / block] + (t % block)];
}
