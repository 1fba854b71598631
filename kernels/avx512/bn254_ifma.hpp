#pragma once
// BN254 base-field (Fq) arithmetic on AVX-512 IFMA: eight field elements per register set, in
// radix 2^52 (five 52-bit limbs per element, one limb per 64-bit lane), with the same Montgomery
// constant R = 2^256 as bn254::Fq, so converting is a bit shuffle and never a multiplication.
// The entry points take and return bn254::Fq arrays (canonical Montgomery form).
//
// Call only when bn254_usable() is true. prover/msm uses it for the batch-affine bucket
// additions, the MSM's hot loop, and prover/ec for the Fr NTT's butterflies; the scalar code
// (bn254::Fq, bn254::Fr) is the oracle it is tested against.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "prover/ec/tower.hpp"

namespace efaas::ifma {

// AVX-512F and AVX-512 IFMA present (and the OS saves the ZMM state), and EFAAS_DISABLE_IFMA
// is not set to 1 (tests and comparisons of the fallback).
bool bn254_usable();
bool bn254_supported();  // the CPU part alone

// Fr NTT support (prover/ec/fr_ntt.cpp). Fr elements in "planes": limb l (of five, radix 2^52)
// of element i at planes[l * stride + i]; values < 2r between butterflies, canonical on the way
// out. count, h, j0 and the butterfly counts are multiples of 8.
void fr_to_planes(const bn254::Fr* x, size_t count, uint64_t* planes, size_t stride);
void fr_from_planes(const uint64_t* planes, size_t stride, size_t count, bn254::Fr* x);
// Butterflies j in [j0, j0 + count) of the 2h-block at s: (u, v) -> (u + t v, u - t v) with
// u = x[s + j], v = x[s + j + h], t = tw[h + j] (twiddles in planes too).
void fr_butterflies(uint64_t* planes, size_t stride, size_t s, size_t h, size_t j0,
                    size_t count, const uint64_t* tw, size_t tw_stride);

// out[i] = a[i] * b[i] in Fq through the 8-lane kernel (any n; for tests and benchmarks).
void fq_mul_arrays(const bn254::Fq* a, const bn254::Fq* b, bn254::Fq* out, size_t n);
void fq2_mul_arrays(const bn254::Fq2* a, const bn254::Fq2* b, bn254::Fq2* out, size_t n);

// One batch of affine additions B[idx[k]] += (px[k], py[k]), k < n, where den[k] = px[k] -
// B[idx[k]].x is non-zero and the idx[k] are distinct (the caller sends doublings,
// cancellations and repeated buckets elsewhere). Split in two around the inversion, which the
// caller does in scalar code: forward() returns in lanes[0..8) the products of the
// denominators of each lane; the caller replaces them by their inverses and calls backward().
// F is bn254::Fq (G1) or bn254::Fq2 (G2); n <= max_batch.
template <typename F>
class BatchAffine {
 public:
  explicit BatchAffine(size_t max_batch);
  void forward(const F* den, size_t n, F lanes[8]);
  void backward(F* bx, F* by, const uint32_t* idx, const F* px, const F* py, size_t n,
                const F lanes[8]);

 private:
  struct alignas(64) Block {
    uint64_t w[8];
  };
  size_t max_batch_;
  // Per group of 8 additions, one vector per limb: the denominators and the prefix products.
  std::vector<Block> den_, prefix_;
};

}  // namespace efaas::ifma
