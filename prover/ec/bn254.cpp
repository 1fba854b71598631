#include <gmp.h>

#include <cstdlib>
#include <cstring>

#include "prover/common/cpu_features.hpp"
#include "prover/ec/curve.hpp"

namespace efaas::bn254 {

bool mulx_supported() {
#if defined(__x86_64__)
  return cpu_features().bmi2 && cpu_features().adx;
#else
  return false;
#endif
}

bool detail::detect_mulx() {
  const char* off = std::getenv("EFAAS_DISABLE_MULX");
  if (off != nullptr && std::strcmp(off, "1") == 0) return false;
  return mulx_supported();
}

Limbs detail::invert_mod(const Limbs& x, const Limbs& m) {
  mpz_t a, mod;
  mpz_init(a);
  mpz_init(mod);
  mpz_import(a, 4, -1, 8, 0, 0, x.data());
  mpz_import(mod, 4, -1, 8, 0, 0, m.data());
  Limbs r{};
  if (mpz_invert(a, a, mod) != 0) {
    size_t count = 0;
    mpz_export(r.data(), &count, -1, 8, 0, 0, a);
  }
  mpz_clear(a);
  mpz_clear(mod);
  return r;
}

namespace {

void to_mpz(const Limbs& x, mpz_t out) { mpz_import(out, 4, -1, 8, 0, 0, x.data()); }

Limbs from_mpz(const mpz_t x) {
  Limbs r{};
  size_t count = 0;
  mpz_export(r.data(), &count, -1, 8, 0, 0, x);
  return r;
}

}  // namespace

Fr fr_root_of_unity(uint32_t k) {
  static const Fr kRoot28 = [] {
    // (r - 1) >> 28
    Limbs e = detail::sub_nb(FrTag::kModulus, Limbs{1, 0, 0, 0});
    for (int s = 0; s < 28; ++s) {
      for (int i = 0; i < 4; ++i) e[i] = (e[i] >> 1) | (i < 3 ? e[i + 1] << 63 : 0);
    }
    return Fr::from_u64(5).pow(e);
  }();
  Fr w = kRoot28;
  for (uint32_t i = k; i < kFrTwoAdicity; ++i) w = w.square();
  return w;
}

Result<Limbs> parse_decimal_u256(std::string_view s, const std::string& what) {
  if (s.empty()) return invalid_argument(what + ": empty number");
  if (s.size() > 80) return invalid_argument(what + ": number too long");
  for (char c : s) {
    if (c < '0' || c > '9') {
      return invalid_argument(what + ": not a decimal number: \"" + std::string(s) + "\"");
    }
  }
  mpz_t z;
  mpz_init(z);
  std::string str(s);
  mpz_set_str(z, str.c_str(), 10);
  if (mpz_sizeinbase(z, 2) > 256) {
    mpz_clear(z);
    return invalid_argument(what + ": number exceeds 256 bits");
  }
  Limbs r = from_mpz(z);
  mpz_clear(z);
  return r;
}

std::string to_decimal(const Limbs& x) {
  mpz_t z;
  mpz_init(z);
  to_mpz(x, z);
  char* str = mpz_get_str(nullptr, 10, z);
  std::string out(str);
  void (*freefunc)(void*, size_t);
  mp_get_memory_functions(nullptr, nullptr, &freefunc);
  freefunc(str, std::strlen(str) + 1);
  mpz_clear(z);
  return out;
}

template <typename F>
static Result<F> field_from_decimal(std::string_view s, const std::string& what,
                                    const char* field) {
  Result<Limbs> l = parse_decimal_u256(s, what);
  if (!l) return l.status();
  if (!F::is_canonical(*l)) {
    return invalid_argument(what + ": " + std::string(s) + " is not below the " + field +
                            " modulus");
  }
  return F::from_canonical_unchecked(*l);
}

Result<Fq> fq_from_decimal(std::string_view s, const std::string& what) {
  return field_from_decimal<Fq>(s, what, "BN254 base field");
}
Result<Fr> fr_from_decimal(std::string_view s, const std::string& what) {
  return field_from_decimal<Fr>(s, what, "BN254 scalar field");
}

Limbs limbs_from_le_bytes(const uint8_t* p) {
  Limbs r;
  std::memcpy(r.data(), p, 32);  // x86-64 is little-endian
  return r;
}
void limbs_to_le_bytes(const Limbs& x, uint8_t* out) { std::memcpy(out, x.data(), 32); }

const Fq& g1_b() {
  static const Fq b = Fq::from_u64(3);
  return b;
}
const Fq2& g2_b() {
  static const Fq2 b = Fq2{Fq::from_u64(3), Fq::zero()} * Fq2{Fq::from_u64(9), Fq::one()}.inverse();
  return b;
}

G1Affine g1_generator() { return {Fq::from_u64(1), Fq::from_u64(2), false}; }

G2Affine g2_generator() {
  static const G2Affine g = [] {
    auto f = [](const char* s) { return *fq_from_decimal(s, "G2 generator"); };
    return G2Affine{
        {f("10857046999023057135944570762232829481370756359578518086990519993285655852781"),
         f("11559732032986387107991004021392285783925812861821192530917403151452391805634")},
        {f("8495653923123431417604973247489272438418190587263600148770280649306958101930"),
         f("4082367875863433681332203403145435568316851327593401208105741076214120093531")},
        false};
  }();
  return g;
}

bool is_on_curve(const G1Affine& p) {
  if (p.infinity) return true;
  return p.y.square() == p.x.square() * p.x + g1_b();
}
bool is_on_curve(const G2Affine& p) {
  if (p.infinity) return true;
  return p.y.square() == p.x.square() * p.x + g2_b();
}
bool is_in_subgroup(const G2Affine& p) {
  return G2Jacobian::from_affine(p).mul(kGroupOrder).is_identity();
}

}  // namespace efaas::bn254
