#include <nlohmann/json.hpp>

#include <utility>

#include "prover/ec/pairing.hpp"
#include "prover/groth16/groth16.hpp"

namespace efaas::groth16 {

namespace {

using bn254::Fq;
using bn254::Fq2;
using bn254::G1Jacobian;
using bn254::G2Jacobian;
using nlohmann::json;

Result<json> parse_json(std::string_view text, const std::string& what) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return invalid_argument(what + ": not valid JSON");
  return j;
}

Result<Fq> fq_at(const json& j, const std::string& where) {
  if (!j.is_string()) return invalid_argument(where + ": expected a decimal string");
  return bn254::fq_from_decimal(j.get<std::string>(), where);
}

// [x, y, z] in Jacobian coordinates (snarkjs writes z = "1"; z = "0" is infinity).
Result<G1Affine> g1_at(const json& j, const std::string& where) {
  if (!j.is_array() || (j.size() != 3 && j.size() != 2)) {
    return invalid_argument(where + ": expected [x, y, z]");
  }
  Fq c[3] = {Fq::zero(), Fq::zero(), Fq::one()};
  for (size_t i = 0; i < j.size(); ++i) {
    Result<Fq> v = fq_at(j[i], where + "[" + std::to_string(i) + "]");
    if (!v) return v.status();
    c[i] = *v;
  }
  return G1Jacobian{c[0], c[1], c[2]}.to_affine();
}

Result<G2Affine> g2_at(const json& j, const std::string& where) {
  if (!j.is_array() || (j.size() != 3 && j.size() != 2)) {
    return invalid_argument(where + ": expected [[x0, x1], [y0, y1], [z0, z1]]");
  }
  Fq2 c[3] = {Fq2::zero(), Fq2::zero(), Fq2::one()};
  for (size_t i = 0; i < j.size(); ++i) {
    std::string w = where + "[" + std::to_string(i) + "]";
    if (!j[i].is_array() || j[i].size() != 2) return invalid_argument(w + ": expected [c0, c1]");
    Result<Fq> a = fq_at(j[i][0], w + "[0]");
    if (!a) return a.status();
    Result<Fq> b = fq_at(j[i][1], w + "[1]");
    if (!b) return b.status();
    c[i] = {*a, *b};
  }
  return G2Jacobian{c[0], c[1], c[2]}.to_affine();
}

json g1_json(const G1Affine& p) {
  if (p.infinity) return json::array({"0", "1", "0"});
  return json::array({bn254::to_decimal(p.x), bn254::to_decimal(p.y), "1"});
}

json g2_json(const G2Affine& p) {
  if (p.infinity) return json::array({json::array({"0", "0"}), json::array({"1", "0"}),
                                      json::array({"0", "0"})});
  return json::array({json::array({bn254::to_decimal(p.x.c0), bn254::to_decimal(p.x.c1)}),
                      json::array({bn254::to_decimal(p.y.c0), bn254::to_decimal(p.y.c1)}),
                      json::array({"1", "0"})});
}

Status check_tag(const json& j, const char* key, const char* want, const std::string& what) {
  if (!j.contains(key)) return Status::ok();
  if (!j[key].is_string() || j[key].get<std::string>() != want) {
    return invalid_argument(what + ": \"" + key + "\" is " + j[key].dump() + ", expected \"" +
                            want + "\"");
  }
  return Status::ok();
}

}  // namespace

std::string proof_to_json(const Proof& p) {
  json j{{"pi_a", g1_json(p.a)},
         {"pi_b", g2_json(p.b)},
         {"pi_c", g1_json(p.c)},
         {"protocol", "groth16"},
         {"curve", "bn128"}};
  return j.dump(1) + "\n";
}

std::string public_to_json(std::span<const Limbs> pub) {
  json j = json::array();
  for (const Limbs& v : pub) j.push_back(bn254::to_decimal(v));
  return j.dump(1) + "\n";
}

std::string verifying_key_to_json(const VerifyingKey& vk) {
  json ic = json::array();
  for (const auto& p : vk.ic) ic.push_back(g1_json(p));
  json j{{"protocol", "groth16"},       {"curve", "bn128"},
         {"nPublic", vk.ic.size() - 1}, {"vk_alpha_1", g1_json(vk.alpha1)},
         {"vk_beta_2", g2_json(vk.beta2)}, {"vk_gamma_2", g2_json(vk.gamma2)},
         {"vk_delta_2", g2_json(vk.delta2)}, {"IC", ic}};
  return j.dump(1) + "\n";
}

Result<Proof> proof_from_json(std::string_view text, const std::string& what) {
  Result<json> jr = parse_json(text, what);
  if (!jr) return jr.status();
  const json& j = *jr;
  if (!j.is_object()) return invalid_argument(what + ": expected a JSON object");
  EFAAS_RETURN_IF_ERROR(check_tag(j, "protocol", "groth16", what));
  EFAAS_RETURN_IF_ERROR(check_tag(j, "curve", "bn128", what));
  for (const char* k : {"pi_a", "pi_b", "pi_c"}) {
    if (!j.contains(k)) return invalid_argument(what + ": missing \"" + k + "\"");
  }
  Result<G1Affine> a = g1_at(j["pi_a"], what + ": pi_a");
  if (!a) return a.status();
  Result<G2Affine> b = g2_at(j["pi_b"], what + ": pi_b");
  if (!b) return b.status();
  Result<G1Affine> c = g1_at(j["pi_c"], what + ": pi_c");
  if (!c) return c.status();
  return Proof{*a, *b, *c};
}

Result<std::vector<Limbs>> public_from_json(std::string_view text, const std::string& what) {
  Result<json> jr = parse_json(text, what);
  if (!jr) return jr.status();
  if (!jr->is_array()) return invalid_argument(what + ": expected an array of decimal strings");
  std::vector<Limbs> out;
  for (size_t i = 0; i < jr->size(); ++i) {
    const json& v = (*jr)[i];
    std::string where = what + "[" + std::to_string(i) + "]";
    if (!v.is_string()) return invalid_argument(where + ": expected a decimal string");
    Result<Limbs> l = bn254::parse_decimal_u256(v.get<std::string>(), where);
    if (!l) return l.status();
    out.push_back(*l);
  }
  return out;
}

Result<VerifyingKey> verifying_key_from_json(std::string_view text, const std::string& what) {
  Result<json> jr = parse_json(text, what);
  if (!jr) return jr.status();
  const json& j = *jr;
  if (!j.is_object()) return invalid_argument(what + ": expected a JSON object");
  EFAAS_RETURN_IF_ERROR(check_tag(j, "protocol", "groth16", what));
  EFAAS_RETURN_IF_ERROR(check_tag(j, "curve", "bn128", what));
  for (const char* k : {"vk_alpha_1", "vk_beta_2", "vk_gamma_2", "vk_delta_2", "IC"}) {
    if (!j.contains(k)) return invalid_argument(what + ": missing \"" + k + "\"");
  }
  VerifyingKey vk;
  Result<G1Affine> alpha = g1_at(j["vk_alpha_1"], what + ": vk_alpha_1");
  if (!alpha) return alpha.status();
  vk.alpha1 = *alpha;
  const char* g2keys[] = {"vk_beta_2", "vk_gamma_2", "vk_delta_2"};
  G2Affine* g2dst[] = {&vk.beta2, &vk.gamma2, &vk.delta2};
  for (int i = 0; i < 3; ++i) {
    Result<G2Affine> q = g2_at(j[g2keys[i]], what + ": " + g2keys[i]);
    if (!q) return q.status();
    if (!bn254::is_on_curve(*q) || !bn254::is_in_subgroup(*q)) {
      return invalid_argument(what + ": " + g2keys[i] + " is not a point of G2");
    }
    *g2dst[i] = *q;
  }
  if (!bn254::is_on_curve(vk.alpha1)) {
    return invalid_argument(what + ": vk_alpha_1 is not on the curve");
  }
  const json& ic = j["IC"];
  if (!ic.is_array() || ic.empty()) return invalid_argument(what + ": IC must be a non-empty array");
  for (size_t i = 0; i < ic.size(); ++i) {
    std::string where = what + ": IC[" + std::to_string(i) + "]";
    Result<G1Affine> p = g1_at(ic[i], where);
    if (!p) return p.status();
    if (!bn254::is_on_curve(*p)) return invalid_argument(where + " is not on the curve");
    vk.ic.push_back(*p);
  }
  if (j.contains("nPublic") &&
      (!j["nPublic"].is_number_unsigned() || j["nPublic"].get<size_t>() + 1 != ic.size())) {
    return invalid_argument(what + ": nPublic does not match the " + std::to_string(ic.size()) +
                            " IC points");
  }
  return vk;
}

Result<Verdict> verify(const VerifyingKey& vk, std::span<const Limbs> pub, const Proof& proof) {
  if (pub.size() + 1 != vk.ic.size()) {
    return invalid_argument("the verification key expects " + std::to_string(vk.ic.size() - 1) +
                            " public inputs, got " + std::to_string(pub.size()));
  }
  for (size_t i = 0; i < pub.size(); ++i) {
    if (!Fr::is_canonical(pub[i])) {
      return Verdict{false, "public input " + std::to_string(i) + " is not below r"};
    }
  }
  if (!bn254::is_on_curve(proof.a)) return Verdict{false, "pi_a is not on the curve"};
  if (!bn254::is_on_curve(proof.c)) return Verdict{false, "pi_c is not on the curve"};
  if (!bn254::is_on_curve(proof.b) || !bn254::is_in_subgroup(proof.b)) {
    return Verdict{false, "pi_b is not a point of G2"};
  }
  // vk_x = IC_0 + sum_i pub_i IC_{i+1}
  G1Jacobian vkx = G1Jacobian::from_affine(vk.ic[0]);
  for (size_t i = 0; i < pub.size(); ++i) vkx += G1Jacobian::from_affine(vk.ic[i + 1]).mul(pub[i]);
  // e(-A, B) e(alpha, beta) e(vk_x, gamma) e(C, delta) == 1
  std::pair<G1Affine, G2Affine> pairs[] = {{-proof.a, proof.b},
                                           {vk.alpha1, vk.beta2},
                                           {vkx.to_affine(), vk.gamma2},
                                           {proof.c, vk.delta2}};
  if (!bn254::pairing_product_is_one(pairs)) return Verdict{false, "pairing check failed"};
  return Verdict{true, ""};
}

}  // namespace efaas::groth16
