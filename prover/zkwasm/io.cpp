// Host I/O: the public input table and the verifier-supplied bus tuples (docs/zkwasm.md).
// The input table receives one tuple (kind, index, byte) per public input byte and (kind,
// kSizeIndex, size) per kind from the verifier (public interactions on kBusInputPub), so its
// rows are exactly the public input; host_write rows of input_read and input_size look into it.
// Output rows send (index, byte), which the verifier receives for every claimed output byte.
#include "prover/zkwasm/io.hpp"

#include "prover/zkwasm/air_internal.hpp"
#include "prover/zkwasm/layout.hpp"

namespace efaas::zkwasm {

namespace L = layout;
using air::Expr;
using air::TableAir;

Result<PublicInputKinds> parse_public_input(std::span<const uint8_t> s) {
  PublicInputKinds k;
  if (s.empty()) return k;
  if (s.size() < 4) return invalid_argument("public input: shorter than its 4-byte Data length");
  const uint64_t n = uint64_t(s[0]) | uint64_t(s[1]) << 8 | uint64_t(s[2]) << 16 | uint64_t(s[3]) << 24;
  if (s.size() != 4 + n + 72) {
    return invalid_argument("public input: " + std::to_string(s.size()) + " bytes, the Data length " +
                            std::to_string(n) + " needs " + std::to_string(4 + n + 72));
  }
  if (n >= (uint64_t(1) << 28)) return invalid_argument("public input: Data longer than 2^28 bytes");
  k.present = true;
  size_t at = 4;
  const size_t sizes[kPublicKinds] = {size_t(n), 20, 20, 32};
  for (uint32_t kind = 0; kind < kPublicKinds; ++kind) {
    k.bytes[kind].assign(s.begin() + at, s.begin() + at + sizes[kind]);
    at += sizes[kind];
  }
  return k;
}

TableAir input_table() {
  using I = L::Input;
  TableAir t("input", I::kWidth);
  const Expr real = t.main(I::kReal), mult = t.main(I::kMult);
  t.assert_bool(real);
  t.assert_zero(mult * (Fp::one() - real));
  const std::vector<Expr> tuple = {t.main(I::kKind), t.main(I::kIdx), t.main(I::kByte)};
  t.interact(L::kBusInputPub, -real, tuple);
  t.interact(L::kBusInput, -mult, tuple);
  (void)t.finalize(3);
  return t;
}

std::vector<air::PublicInteraction> io_public_interactions(const PublicInputKinds& in,
                                                          std::span<const uint8_t> output,
                                                          uint64_t first_output) {
  std::vector<air::PublicInteraction> v;
  auto add = [&](uint32_t bus, Fp m, std::vector<Fp> values) {
    v.push_back(air::PublicInteraction{bus, m, std::move(values)});
  };
  if (in.present) {
    for (uint32_t kind = 0; kind < kPublicKinds; ++kind) {
      const auto& b = in.bytes[kind];
      add(L::kBusInputPub, Fp::one(),
          {Fp::from_u32(kind), Fp::from_u32(L::kSizeIndex), Fp::from_u64(b.size())});
      for (size_t i = 0; i < b.size(); ++i) {
        add(L::kBusInputPub, Fp::one(), {Fp::from_u32(kind), Fp::from_u64(i), Fp::from_u32(b[i])});
      }
    }
  }
  for (size_t i = 0; i < output.size(); ++i) {
    add(L::kBusOutput, -Fp::one(), {Fp::from_u64(first_output + i), Fp::from_u32(output[i])});
  }
  return v;
}

InputTableBuilder::InputTableBuilder(const PublicInputKinds& in) : in_(in) {
  for (uint32_t k = 0; k < kPublicKinds; ++k) byte_mult_[k].assign(in.bytes[k].size(), 0);
}

void InputTableBuilder::set_private(const std::vector<uint8_t>* bytes) {
  priv_ = bytes;
  priv_mult_.assign(bytes ? bytes->size() : 0, 0);
}

const std::vector<uint8_t>* InputTableBuilder::kind_bytes(uint64_t kind) const {
  if (kind < kPublicKinds) return in_.present ? &in_.bytes[kind] : nullptr;
  return kind == kPrivateKind ? priv_ : nullptr;
}

std::vector<Fp> InputTableBuilder::take() const {
  using I = L::Input;
  size_t n = 0;
  if (in_.present)
    for (uint32_t k = 0; k < kPublicKinds; ++k) n += 1 + in_.bytes[k].size();
  const size_t rows = size_t(1) << table_log_rows(n);
  std::vector<Fp> col(size_t(I::kWidth) * rows, Fp::zero());
  size_t row = 0;
  auto put = [&](uint32_t kind, uint64_t idx, uint64_t byte, uint64_t mult) {
    col[I::kReal * rows + row] = Fp::one();
    col[I::kKind * rows + row] = Fp::from_u32(kind);
    col[I::kIdx * rows + row] = Fp::from_u64(idx);
    col[I::kByte * rows + row] = Fp::from_u64(byte);
    col[I::kMult * rows + row] = Fp::from_u64(mult);
    ++row;
  };
  if (in_.present) {
    for (uint32_t kind = 0; kind < kPublicKinds; ++kind) {
      const auto& b = in_.bytes[kind];
      put(kind, L::kSizeIndex, b.size(), size_mult_[kind]);
      for (size_t i = 0; i < b.size(); ++i) put(kind, i, b[i], byte_mult_[kind][i]);
    }
  }
  return col;
}

}  // namespace efaas::zkwasm
