#pragma once
// Readers for the binary files of the circom/snarkjs ecosystem (iden3 "binfile" containers):
// Groth16 proving keys (.zkey) and witnesses (.wtns). Only BN254 ("bn128") is supported.
// Every defect (wrong magic, version, protocol or curve, missing/duplicated/truncated
// sections, out-of-range indices, non-canonical field elements, points off the curve) is an
// error naming the file part and index; nothing crashes on malformed input.
//
// Layout (little-endian): magic[4] version:u32 nSections:u32, then per section
// type:u32 size:u64 bytes[size].
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "prover/common/status.hpp"
#include "prover/ec/curve.hpp"

namespace efaas::groth16 {

using bn254::Fr;
using bn254::G1Affine;
using bn254::G2Affine;
using bn254::Limbs;

// One (matrix, constraint, signal, value) entry of the QAP: A or B at constraint c gets
// value * w[signal].
struct QapCoef {
  uint32_t matrix;      // 0 = A, 1 = B
  uint32_t constraint;  // < domain_size
  uint32_t signal;      // < n_vars
  Fr value;
};

struct Zkey {
  uint32_t n_vars = 0;
  uint32_t n_public = 0;  // public signals, not counting the constant 1
  uint32_t domain_size = 0;
  G1Affine alpha1, beta1, delta1;
  G2Affine beta2, gamma2, delta2;
  std::vector<G1Affine> ic;  // n_public + 1
  std::vector<QapCoef> coeffs;
  std::vector<G1Affine> a, b1, c, h;  // n_vars, n_vars, n_vars - n_public - 1, domain_size
  std::vector<G2Affine> b2;           // n_vars
};

// `what` names the source in messages (usually the path).
Result<Zkey> parse_zkey(std::span<const uint8_t> bytes, const std::string& what);
Result<Zkey> read_zkey(const std::string& path);

// Witness values as canonical integers (< r), index 0 is the constant 1.
Result<std::vector<Limbs>> parse_wtns(std::span<const uint8_t> bytes, const std::string& what);
Result<std::vector<Limbs>> read_wtns(const std::string& path);

Result<std::vector<uint8_t>> read_file_bytes(const std::string& path);
Result<std::string> read_file_text(const std::string& path);
Status write_file_text(const std::string& path, const std::string& text);

}  // namespace efaas::groth16
