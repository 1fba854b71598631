#pragma once
// Number-theoretic transforms over the BN254 scalar field, the design of prover/ntt for Fr:
// one column of n = 2^k elements transformed in place, natural order in and out.
//
//   fr_ntt:        coefficients c -> y_k = sum_i c_i w^(ik),  w = fr_root_of_unity(k)
//   fr_intt:       the inverse (scaled by 1/n)
//   fr_coset_ntt:  y_k = sum_i c_i (shift w^k)^i
//   fr_coset_intt: the inverse of fr_coset_ntt
#include <span>

#include "prover/common/status.hpp"
#include "prover/ec/bn254_field.hpp"

namespace efaas::bn254 {

struct FrNttConfig {
  size_t threads = 0;  // 0 = one per allowed core
  // Butterflies on AVX-512 IFMA where the CPU has it (ifma::bn254_usable()); false: the scalar
  // code, always built, the reference the IFMA path is tested against.
  bool ifma = true;
};

Status fr_ntt(std::span<Fr> data, const FrNttConfig& cfg = {});
Status fr_intt(std::span<Fr> data, const FrNttConfig& cfg = {});
Status fr_coset_ntt(std::span<Fr> data, Fr shift, const FrNttConfig& cfg = {});
Status fr_coset_intt(std::span<Fr> data, Fr shift, const FrNttConfig& cfg = {});

// The O(n^2) reference y_k = sum_i c_i (shift w^k)^i, for tests.
void fr_naive_dft(std::span<const Fr> coeffs, std::span<Fr> out, Fr shift = Fr::one());

}  // namespace efaas::bn254
