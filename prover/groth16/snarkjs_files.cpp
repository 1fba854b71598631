#include "prover/groth16/snarkjs_files.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace efaas::groth16 {

namespace {

using bn254::Fq;
using bn254::Fq2;

struct SectionRef {
  size_t offset;
  uint64_t size;
};

// A parsed binfile container.
class BinFile {
 public:
  static Result<BinFile> parse(std::span<const uint8_t> bytes, const char* magic,
                               uint32_t max_version, const std::string& what) {
    BinFile f;
    f.bytes_ = bytes;
    f.what_ = what;
    if (bytes.size() < 12) return data_loss(what + ": file too short for a header");
    if (std::memcmp(bytes.data(), magic, 4) != 0) {
      return invalid_argument(what + ": not a ." + magic + " file (bad magic bytes)");
    }
    uint32_t version = f.u32(4), n = f.u32(8);
    if (version == 0 || version > max_version) {
      return invalid_argument(what + ": ." + magic + " version " + std::to_string(version) +
                              " is not supported (at most " + std::to_string(max_version) + ")");
    }
    size_t pos = 12;
    for (uint32_t i = 0; i < n; ++i) {
      if (bytes.size() - pos < 12) {
        return data_loss(what + ": truncated: header of section entry " + std::to_string(i) +
                         " at offset " + std::to_string(pos) + " runs past the end");
      }
      uint32_t type = f.u32(pos);
      uint64_t size = f.u64(pos + 4);
      pos += 12;
      if (size > bytes.size() - pos) {
        return data_loss(what + ": truncated: section " + std::to_string(type) + " claims " +
                         std::to_string(size) + " bytes at offset " + std::to_string(pos) +
                         " but the file ends at " + std::to_string(bytes.size()));
      }
      f.sections_[type].push_back({pos, size});
      pos += size;
    }
    return f;
  }

  // The only section `id`, which must be exactly `expected` bytes long (if non-zero).
  Result<SectionRef> section(uint32_t id, const char* name, uint64_t expected) const {
    auto it = sections_.find(id);
    if (it == sections_.end()) {
      return data_loss(what_ + ": missing section " + std::to_string(id) + " (" + name + ")");
    }
    if (it->second.size() != 1) {
      return invalid_argument(what_ + ": section " + std::to_string(id) + " (" + name +
                              ") appears more than once");
    }
    SectionRef s = it->second[0];
    if (expected != 0 && s.size != expected) {
      return data_loss(what_ + ": section " + std::to_string(id) + " (" + name + ") is " +
                       std::to_string(s.size) + " bytes, expected " + std::to_string(expected) +
                       (s.size < expected ? " (truncated)" : ""));
    }
    return s;
  }

  uint32_t u32(size_t off) const {
    uint32_t v;
    std::memcpy(&v, bytes_.data() + off, 4);
    return v;
  }
  uint64_t u64(size_t off) const {
    uint64_t v;
    std::memcpy(&v, bytes_.data() + off, 8);
    return v;
  }
  Limbs limbs(size_t off) const { return bn254::limbs_from_le_bytes(bytes_.data() + off); }
  const std::string& what() const { return what_; }

 private:
  std::span<const uint8_t> bytes_;
  std::string what_;
  std::map<uint32_t, std::vector<SectionRef>> sections_;
};

std::string hex_limbs(const Limbs& l) {
  static const char* d = "0123456789abcdef";
  std::string s = "0x";
  for (int i = 3; i >= 0; --i) {
    for (int b = 60; b >= 0; b -= 4) s += d[(l[i] >> b) & 15];
  }
  return s;
}

// A field element stored in Montgomery form (snarkjs "LEM"); must be below q.
bool load_fq(const BinFile& f, size_t off, Fq* out) {
  Limbs l = f.limbs(off);
  if (!Fq::is_canonical(l)) return false;
  *out = Fq::from_mont(l);
  return true;
}

Status point_error(const BinFile& f, const char* section, size_t index, const char* why) {
  return invalid_argument(f.what() + ": " + section + ": point " + std::to_string(index) + " " +
                          why);
}

// Affine point in Montgomery form; all-zero bytes are the point at infinity.
Status load_g1(const BinFile& f, size_t off, const char* section, size_t index, G1Affine* out) {
  Fq x, y;
  if (!load_fq(f, off, &x) || !load_fq(f, off + 32, &y)) {
    return point_error(f, section, index, "has a coordinate not below q");
  }
  if (x.is_zero() && y.is_zero()) {
    *out = G1Affine::identity();
    return Status::ok();
  }
  *out = {x, y, false};
  if (!bn254::is_on_curve(*out)) return point_error(f, section, index, "is not on the curve");
  return Status::ok();
}

Status load_g2(const BinFile& f, size_t off, const char* section, size_t index, G2Affine* out) {
  Fq c[4];
  for (int i = 0; i < 4; ++i) {
    if (!load_fq(f, off + 32 * i, &c[i])) {
      return point_error(f, section, index, "has a coordinate not below q");
    }
  }
  Fq2 x{c[0], c[1]}, y{c[2], c[3]};
  if (x.is_zero() && y.is_zero()) {
    *out = G2Affine::identity();
    return Status::ok();
  }
  *out = {x, y, false};
  if (!bn254::is_on_curve(*out)) return point_error(f, section, index, "is not on the curve");
  return Status::ok();
}

Status load_g1_section(const BinFile& f, uint32_t id, const char* name, size_t count,
                       std::vector<G1Affine>* out) {
  Result<SectionRef> s = f.section(id, name, uint64_t(count) * 64);
  if (!s) return s.status();
  out->resize(count);
  for (size_t i = 0; i < count; ++i) {
    EFAAS_RETURN_IF_ERROR(load_g1(f, s->offset + 64 * i, name, i, &(*out)[i]));
  }
  return Status::ok();
}

Status load_g2_section(const BinFile& f, uint32_t id, const char* name, size_t count,
                       std::vector<G2Affine>* out) {
  Result<SectionRef> s = f.section(id, name, uint64_t(count) * 128);
  if (!s) return s.status();
  out->resize(count);
  for (size_t i = 0; i < count; ++i) {
    EFAAS_RETURN_IF_ERROR(load_g2(f, s->offset + 128 * i, name, i, &(*out)[i]));
  }
  return Status::ok();
}

}  // namespace

Result<Zkey> parse_zkey(std::span<const uint8_t> bytes, const std::string& what) {
  Result<BinFile> fr = BinFile::parse(bytes, "zkey", 2, what);
  if (!fr) return fr.status();
  const BinFile& f = *fr;

  Result<SectionRef> s1 = f.section(1, "header", 4);
  if (!s1) return s1.status();
  uint32_t protocol = f.u32(s1->offset);
  if (protocol != 1) {
    const char* name = protocol == 2 ? " (PLONK)" : protocol == 10 ? " (FFLONK)" : "";
    return invalid_argument(what + ": protocol " + std::to_string(protocol) + name +
                            " is not Groth16 (1)");
  }

  Result<SectionRef> s2 = f.section(2, "Groth16 header", 0);
  if (!s2) return s2.status();
  size_t p = s2->offset;
  const uint64_t header_size = 4 + 32 + 4 + 32 + 12 + 3 * 64 + 3 * 128;
  if (s2->size < 8 || f.u32(p) != 32) {
    return invalid_argument(what + ": base field element size is not 32 bytes: not BN254 "
                                   "(only bn128/BN254 is supported)");
  }
  if (s2->size != header_size) {
    return data_loss(what + ": section 2 (Groth16 header) is " + std::to_string(s2->size) +
                     " bytes, expected " + std::to_string(header_size));
  }
  Limbs q = f.limbs(p + 4);
  if (q != bn254::FqTag::kModulus) {
    return invalid_argument(what + ": curve base field q = " + hex_limbs(q) +
                            " is not BN254's (only bn128/BN254 is supported)");
  }
  if (f.u32(p + 36) != 32 || f.limbs(p + 40) != bn254::FrTag::kModulus) {
    return invalid_argument(what + ": scalar field is not BN254's r");
  }
  Zkey z;
  z.n_vars = f.u32(p + 72);
  z.n_public = f.u32(p + 76);
  z.domain_size = f.u32(p + 80);
  if (z.n_vars == 0 || uint64_t(z.n_public) + 1 > z.n_vars) {
    return invalid_argument(what + ": nPublic " + std::to_string(z.n_public) +
                            " + 1 exceeds nVars " + std::to_string(z.n_vars));
  }
  if (z.domain_size == 0 || (z.domain_size & (z.domain_size - 1)) != 0) {
    return invalid_argument(what + ": domain size " + std::to_string(z.domain_size) +
                            " is not a power of two");
  }
  if (z.domain_size > (1u << 27)) {
    return out_of_range(what + ": domain size " + std::to_string(z.domain_size) +
                        " exceeds 2^27 (the prover needs a 2n-th root of unity)");
  }
  p += 84;
  EFAAS_RETURN_IF_ERROR(load_g1(f, p, "vk_alpha_1", 0, &z.alpha1));
  EFAAS_RETURN_IF_ERROR(load_g1(f, p + 64, "vk_beta_1", 0, &z.beta1));
  EFAAS_RETURN_IF_ERROR(load_g2(f, p + 128, "vk_beta_2", 0, &z.beta2));
  EFAAS_RETURN_IF_ERROR(load_g2(f, p + 256, "vk_gamma_2", 0, &z.gamma2));
  EFAAS_RETURN_IF_ERROR(load_g1(f, p + 384, "vk_delta_1", 0, &z.delta1));
  EFAAS_RETURN_IF_ERROR(load_g2(f, p + 448, "vk_delta_2", 0, &z.delta2));

  EFAAS_RETURN_IF_ERROR(load_g1_section(f, 3, "section 3 (IC)", z.n_public + 1, &z.ic));

  Result<SectionRef> s4 = f.section(4, "QAP coefficients", 0);
  if (!s4) return s4.status();
  if (s4->size < 4) return data_loss(what + ": section 4 (QAP coefficients) is truncated");
  uint32_t n_coef = f.u32(s4->offset);
  if (s4->size != 4 + uint64_t(n_coef) * 44) {
    return data_loss(what + ": section 4 (QAP coefficients) is " + std::to_string(s4->size) +
                     " bytes, but " + std::to_string(n_coef) + " entries need " +
                     std::to_string(4 + uint64_t(n_coef) * 44));
  }
  z.coeffs.resize(n_coef);
  // Stored as the canonical integer value * R^2 mod r (snarkjs multiplies by R^2 so that one
  // Montgomery product with a plain witness value lands in Montgomery form). Reading those
  // limbs as a Montgomery representation and reducing once more gives `value` itself.
  const Fr raw_one = Fr::from_mont(Limbs{1, 0, 0, 0});
  for (uint32_t i = 0; i < n_coef; ++i) {
    size_t o = s4->offset + 4 + size_t(i) * 44;
    QapCoef& c = z.coeffs[i];
    c.matrix = f.u32(o);
    c.constraint = f.u32(o + 4);
    c.signal = f.u32(o + 8);
    Limbs v = f.limbs(o + 12);
    std::string at = what + ": section 4 (QAP coefficients) entry " + std::to_string(i) + ": ";
    if (c.matrix > 1) return invalid_argument(at + "matrix " + std::to_string(c.matrix));
    if (c.constraint >= z.domain_size) {
      return invalid_argument(at + "constraint " + std::to_string(c.constraint) +
                              " outside the domain of " + std::to_string(z.domain_size));
    }
    if (c.signal >= z.n_vars) {
      return invalid_argument(at + "signal " + std::to_string(c.signal) + " >= nVars " +
                              std::to_string(z.n_vars));
    }
    if (!Fr::is_canonical(v)) return invalid_argument(at + "value not below r");
    c.value = Fr::from_mont(v) * raw_one;
  }

  EFAAS_RETURN_IF_ERROR(load_g1_section(f, 5, "section 5 (A points)", z.n_vars, &z.a));
  EFAAS_RETURN_IF_ERROR(load_g1_section(f, 6, "section 6 (B1 points)", z.n_vars, &z.b1));
  EFAAS_RETURN_IF_ERROR(load_g2_section(f, 7, "section 7 (B2 points)", z.n_vars, &z.b2));
  EFAAS_RETURN_IF_ERROR(
      load_g1_section(f, 8, "section 8 (C points)", z.n_vars - z.n_public - 1, &z.c));
  EFAAS_RETURN_IF_ERROR(load_g1_section(f, 9, "section 9 (H points)", z.domain_size, &z.h));
  return z;
}

Result<std::vector<Limbs>> parse_wtns(std::span<const uint8_t> bytes, const std::string& what) {
  Result<BinFile> fr = BinFile::parse(bytes, "wtns", 2, what);
  if (!fr) return fr.status();
  const BinFile& f = *fr;
  Result<SectionRef> s1 = f.section(1, "header", 0);
  if (!s1) return s1.status();
  if (s1->size < 4 || f.u32(s1->offset) != 32 || s1->size != 40) {
    return invalid_argument(what + ": witness field elements are not 32 bytes: not BN254");
  }
  if (f.limbs(s1->offset + 4) != bn254::FrTag::kModulus) {
    return invalid_argument(what + ": witness prime is not BN254's scalar field r (wrong curve)");
  }
  uint32_t n = f.u32(s1->offset + 36);
  Result<SectionRef> s2 = f.section(2, "witness values", uint64_t(n) * 32);
  if (!s2) return s2.status();
  std::vector<Limbs> w(n);
  for (uint32_t i = 0; i < n; ++i) {
    w[i] = f.limbs(s2->offset + size_t(i) * 32);
    if (!Fr::is_canonical(w[i])) {
      return invalid_argument(what + ": witness value " + std::to_string(i) + " is not below r");
    }
  }
  return w;
}

Result<std::vector<uint8_t>> read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalid_argument("cannot open " + path + ": " + std::strerror(errno));
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return data_loss("error reading " + path);
  return data;
}

Result<std::string> read_file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalid_argument("cannot open " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status write_file_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return invalid_argument("cannot write " + path + ": " + std::strerror(errno));
  out << text;
  out.close();
  if (!out) return internal_error("error writing " + path);
  return Status::ok();
}

Result<Zkey> read_zkey(const std::string& path) {
  Result<std::vector<uint8_t>> b = read_file_bytes(path);
  if (!b) return b.status();
  return parse_zkey(*b, path);
}

Result<std::vector<Limbs>> read_wtns(const std::string& path) {
  Result<std::vector<uint8_t>> b = read_file_bytes(path);
  if (!b) return b.status();
  return parse_wtns(*b, path);
}

}  // namespace efaas::groth16
