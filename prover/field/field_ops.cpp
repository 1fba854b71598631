#include "prover/field/field_ops.hpp"

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
  std::vector<F> prefix(n);
  F acc = F::one();
  for (size_t i = 0; i < n; ++i) {
    if (in[i].is_zero()) {
      return invalid_argument("batch_inverse: element " + std::to_string(i) + " is zero");
    }
    prefix[i] = acc;
    acc *= in[i];
  }
  F inv = acc.inverse();
  for (size_t i = n; i-- > 0;) {
    F x = in[i];  // read before writing: in and out may alias
    out[i] = inv * prefix[i];
    inv *= x;
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
Status batch_inverse(std::span<const Fp4> in, std::span<Fp4> out) {
  return batch_inverse_impl<Fp4>(in, out);
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
