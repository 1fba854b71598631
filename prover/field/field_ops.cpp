#include "prover/field/field_ops.hpp"

#include <algorithm>
#include <string>

namespace efaas {

namespace {

template <typename F>
Status batch_inverse_impl(std::span<const F> in, std::span<F> out) {
  if (in.size() != out.size()) {
    return invalid_argument("batch_inverse: input has " + std::to_string(in.size()) +
                            " elements, output " + std::to_string(out.size()));
  }
  const size_t n = in.size();
  if (n == 0) return Status::ok();
  // kLanes interleaved product chains (element i on chain i mod kLanes): the multiplications
  // of one chain depend on each other, so a single chain runs at the multiplier's latency.
  constexpr size_t kLanes = 8;
  std::vector<F> prefix(n);
  F acc[kLanes];
  for (F& a : acc) a = F::one();
  for (size_t b = 0; b < n; b += kLanes) {
    const size_t m = std::min(kLanes, n - b);
    for (size_t j = 0; j < m; ++j) {
      if (in[b + j].is_zero()) {
        return invalid_argument("batch_inverse: element " + std::to_string(b + j) + " is zero");
      }
    }
#pragma GCC unroll 8
    for (size_t j = 0; j < kLanes; ++j) {
      if (j < m) {
        prefix[b + j] = acc[j];
        acc[j] *= in[b + j];
      }
    }
  }
  // Each chain's inverse from one inversion: 1/acc_j = (prod of the others) / (prod of all).
  F before[kLanes], after = F::one();
  F all = F::one();
  for (size_t j = 0; j < kLanes; ++j) {
    before[j] = all;
    all *= acc[j];
  }
  const F all_inv = all.inverse();
  F inv[kLanes];
  for (size_t j = kLanes; j-- > 0;) {
    inv[j] = all_inv * before[j] * after;
    after *= acc[j];
  }
  const size_t last = (n - 1) / kLanes * kLanes;
  for (size_t b = last + kLanes; b >= kLanes; b -= kLanes) {
    const size_t b0 = b - kLanes, m = std::min(kLanes, n - b0);
#pragma GCC unroll 8
    for (size_t k = 0; k < kLanes; ++k) {
      const size_t j = kLanes - 1 - k;  // each chain backwards
      if (j < m) {
        const F x = in[b0 + j];  // read before writing: in and out may alias
        out[b0 + j] = inv[j] * prefix[b0 + j];
        inv[j] *= x;
      }
    }
  }
  return Status::ok();
}

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(uint8_t(v >> (8 * i)));
}

}  // namespace

Status batch_inverse(std::span<const Fp> in, std::span<Fp> out) {
  return batch_inverse_impl<Fp>(in, out);
}
// Fp4 through the base field: with u = x^2 (u^2 = W), d = A + x B for A, B in Fp2 = Fp[u], and
// d (A - x B) = A^2 - u B^2 = C in Fp2, C (c0 - c1 u) = c0^2 - W c1^2 = N(d) in Fp. So
// 1/d = (A - x B)(c0 - c1 u) / N(d): about 25 base multiplications and one base-field batch
// inversion per element instead of three Fp4 products on one serial chain (the LogUp
// denominators, DEEP and barycentric weights). N(d) = 0 only for d = 0 (x^4 - W irreducible).
Status batch_inverse(std::span<const Fp4> in, std::span<Fp4> out) {
  if (in.size() != out.size()) {
    return invalid_argument("batch_inverse: input has " + std::to_string(in.size()) +
                            " elements, output " + std::to_string(out.size()));
  }
  const size_t n = in.size();
  if (n == 0) return Status::ok();
  const Fp w = Fp::from_canonical(Fp4::kW), w2 = w + w;
  std::vector<Fp> c0(n), c1(n), norm(n);
  for (size_t i = 0; i < n; ++i) {
    const Fp4& d = in[i];
    if (d.is_zero()) {
      return invalid_argument("batch_inverse: element " + std::to_string(i) + " is zero");
    }
    const Fp d0 = d[0], d1 = d[1], d2 = d[2], d3 = d[3];
    const Fp a = d0 * d0 + w * (d2 * d2) - w2 * (d1 * d3);
    const Fp b = (d0 * d2) + (d0 * d2) - d1 * d1 - w * (d3 * d3);
    c0[i] = a;
    c1[i] = b;
    norm[i] = a * a - w * (b * b);
  }
  EFAAS_RETURN_IF_ERROR(batch_inverse_impl<Fp>(norm, norm));
  for (size_t i = 0; i < n; ++i) {
    const Fp4 d = in[i];  // read before writing: in and out may alias
    const Fp a = c0[i] * norm[i], b = c1[i] * norm[i];  // (c0 - c1 u) / N(d)
    const Fp wb = w * b;
    out[i] = Fp4(d[0] * a - d[2] * wb, d[3] * wb - d[1] * a, d[2] * a - d[0] * b,
                 d[1] * b - d[3] * a);
  }
  return Status::ok();
}

void serialize(std::span<const Fp> in, std::vector<uint8_t>& out) {
  out.reserve(out.size() + 4 * in.size());
  for (Fp x : in) put_u32(out, x.to_canonical());
}

void serialize(std::span<const Fp4> in, std::vector<uint8_t>& out) {
  out.reserve(out.size() + 16 * in.size());
  for (const Fp4& x : in) {
    for (Fp c : x.coeffs()) put_u32(out, c.to_canonical());
  }
}

Result<Fp> read_fp(std::span<const uint8_t> bytes, size_t offset) {
  if (offset + 4 > bytes.size()) {
    return invalid_argument("field element at byte " + std::to_string(offset) +
                            " is truncated (" + std::to_string(bytes.size()) + " bytes in all)");
  }
  uint32_t v = uint32_t(bytes[offset]) | uint32_t(bytes[offset + 1]) << 8 |
               uint32_t(bytes[offset + 2]) << 16 | uint32_t(bytes[offset + 3]) << 24;
  if (v >= Fp::kP) {
    return invalid_argument("field element at byte " + std::to_string(offset) +
                            " is not canonical: " + std::to_string(v) + " >= p");
  }
  return Fp::from_canonical(v);
}

Result<std::vector<Fp>> deserialize_fp(std::span<const uint8_t> bytes) {
  if (bytes.size() % 4 != 0) {
    return invalid_argument("field element bytes: length " + std::to_string(bytes.size()) +
                            " is not a multiple of 4");
  }
  std::vector<Fp> out;
  out.reserve(bytes.size() / 4);
  for (size_t off = 0; off < bytes.size(); off += 4) {
    Result<Fp> x = read_fp(bytes, off);
    if (!x) return x.status();
    out.push_back(*x);
  }
  return out;
}

Result<std::vector<Fp4>> deserialize_fp4(std::span<const uint8_t> bytes) {
  if (bytes.size() % 16 != 0) {
    return invalid_argument("extension field bytes: length " + std::to_string(bytes.size()) +
                            " is not a multiple of 16");
  }
  std::vector<Fp4> out;
  out.reserve(bytes.size() / 16);
  for (size_t off = 0; off < bytes.size(); off += 16) {
    Fp c[4];
    for (int i = 0; i < 4; ++i) {
      Result<Fp> x = read_fp(bytes, off + 4 * i);
      if (!x) return x.status();
      c[i] = *x;
    }
    out.emplace_back(c[0], c[1], c[2], c[3]);
  }
  return out;
}

}  // namespace efaas
