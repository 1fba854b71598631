// Groth16 against snarkjs: our proofs pass `snarkjs groth16 verify`, snarkjs's proofs pass ours,
// tampered proofs and inputs are rejected by both; malformed files give clear errors. Uses the
// fixture in ../shared/fixtures/groth16 and a second circuit compiled here with circom2.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "prover/common/rng.hpp"
#include "prover/groth16/groth16.hpp"

namespace efaas::groth16 {
namespace {

namespace fs = std::filesystem;

std::string shared_dir() {
  const char* d = std::getenv("EFAAS_SHARED_DIR");
  return d ? d : EFAAS_SOURCE_DIR "/../shared";
}
std::string fixture(const std::string& name) {
  return shared_dir() + "/fixtures/groth16/poseidon_chain40/" + name;
}
std::string tool(const std::string& name) {
  return std::string(EFAAS_SOURCE_DIR) + "/tools/node_modules/.bin/" + name;
}

// A fresh directory under the system temp dir, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "efaas-groth16-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path); }
  std::string operator/(const std::string& f) const { return (path / f).string(); }
};

// Runs a shell command; returns its exit status; its output goes to `log`.
int sh(const std::string& cmd, const std::string& log) {
  int rc = std::system((cmd + " >" + log + " 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}
std::string slurp(const std::string& path) { return *read_file_text(path); }

void require_npm_tools() {
  ASSERT_TRUE(fs::exists(tool("snarkjs")))
      << "snarkjs is missing: run tools/setup.sh (npm install in tools/)";
  ASSERT_TRUE(fs::exists(tool("circom2"))) << "circom2 is missing: run tools/setup.sh";
}

// `snarkjs groth16 verify`: "accepted" (exit 0, prints OK), "rejected" (prints "Invalid
// proof"), anything else is reported verbatim so a broken tool never counts as a rejection.
std::string snarkjs_verify(const TempDir& tmp, const std::string& vk, const std::string& pub,
                           const std::string& proof) {
  std::string log = tmp / "snarkjs_verify.log";
  int rc = sh(tool("snarkjs") + " groth16 verify " + vk + " " + pub + " " + proof, log);
  std::string text = slurp(log);
  if (rc == 0 && text.find("OK!") != std::string::npos) return "accepted";
  if (rc != 0 && text.find("Invalid proof") != std::string::npos) return "rejected";
  return "snarkjs failed (exit " + std::to_string(rc) + "): " + text;
}

Proof tampered_a(const Proof& p) {
  Proof t = p;  // still on the curve: only the pairing equation can catch it
  t.a = (bn254::G1Jacobian::from_affine(p.a).add_affine(bn254::g1_generator())).to_affine();
  return t;
}
Proof tampered_c(const Proof& p) {
  Proof t = p;
  t.c = bn254::G1Jacobian::from_affine(p.c).dbl().to_affine();
  return t;
}
Proof tampered_b(const Proof& p) {
  Proof t = p;
  t.b = bn254::G2Jacobian::from_affine(p.b).add_affine(bn254::g2_generator()).to_affine();
  return t;
}

// Our verifier and snarkjs's agree on the proof at (pub, proof) and on tampered copies.
void check_accept_and_tamper(const TempDir& tmp, const std::string& vk_path, const Proof& proof,
                             const std::vector<Limbs>& pub, bool check_snarkjs) {
  auto vk = verifying_key_from_json(slurp(vk_path), vk_path);
  ASSERT_TRUE(vk.is_ok()) << vk.status().to_string();
  auto v = verify(*vk, pub, proof);
  ASSERT_TRUE(v.is_ok()) << v.status().to_string();
  EXPECT_TRUE(v->accepted) << v->reason;

  auto write = [&](const std::string& name, const Proof& p, const std::vector<Limbs>& pb) {
    ASSERT_TRUE(write_file_text(tmp / (name + "_proof.json"), proof_to_json(p)).is_ok());
    ASSERT_TRUE(write_file_text(tmp / (name + "_public.json"), public_to_json(pb)).is_ok());
  };
  auto snark_ok = [&](const std::string& name) {
    return snarkjs_verify(tmp, vk_path, tmp / (name + "_public.json"),
                          tmp / (name + "_proof.json"));
  };
  if (check_snarkjs) {
    write("good", proof, pub);
    EXPECT_EQ(snark_ok("good"), "accepted");
  }
  // A changed public input.
  std::vector<Limbs> pub2 = pub;
  pub2[0] = (Fr::from_canonical_unchecked(pub2[0]) + Fr::one()).to_canonical();
  EXPECT_FALSE(verify(*vk, pub2, proof)->accepted);
  // Changed proof elements.
  const std::pair<const char*, Proof> bad[] = {
      {"a", tampered_a(proof)}, {"b", tampered_b(proof)}, {"c", tampered_c(proof)}};
  for (const auto& [name, p] : bad) EXPECT_FALSE(verify(*vk, pub, p)->accepted) << name;
  // pi_a off the curve.
  Proof off = proof;
  off.a.y = off.a.y + bn254::Fq::one();
  auto r = verify(*vk, pub, off);
  EXPECT_FALSE(r->accepted);
  EXPECT_NE(r->reason.find("pi_a"), std::string::npos);
  if (check_snarkjs) {
    write("pub", proof, pub2);
    EXPECT_EQ(snark_ok("pub"), "rejected");
    for (const auto& [name, p] : bad) {
      write(name, p, pub);
      EXPECT_EQ(snark_ok(name), "rejected") << "proof with pi_" << name << " changed";
    }
  }
}

TEST(Groth16, FixtureProofAcceptedBySnarkjsAndUs) {
  require_npm_tools();
  TempDir tmp;
  auto zkey = read_zkey(fixture("circuit.zkey"));
  ASSERT_TRUE(zkey.is_ok()) << zkey.status().to_string();
  auto w = read_wtns(fixture("witness.wtns"));
  ASSERT_TRUE(w.is_ok()) << w.status().to_string();
  auto out = prove(*zkey, *w);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  // The public signals are the ones snarkjs wrote.
  auto spub = public_from_json(slurp(fixture("snarkjs_public.json")), "snarkjs_public.json");
  ASSERT_TRUE(spub.is_ok());
  EXPECT_EQ(out->public_signals, *spub);
  check_accept_and_tamper(tmp, fixture("verification_key.json"), out->proof,
                          out->public_signals, true);
  // The verification key in the zkey is the one in verification_key.json.
  auto vk = verifying_key_from_json(slurp(fixture("verification_key.json")), "vk");
  VerifyingKey mine = verifying_key(*zkey);
  EXPECT_TRUE(mine.alpha1 == vk->alpha1 && mine.beta2 == vk->beta2 &&
              mine.gamma2 == vk->gamma2 && mine.delta2 == vk->delta2 && mine.ic == vk->ic);
  // Our verification_key.json writer round-trips and snarkjs accepts our proof against it.
  ASSERT_TRUE(write_file_text(tmp / "our_vk.json", verifying_key_to_json(mine)).is_ok());
  auto back = verifying_key_from_json(slurp(tmp / "our_vk.json"), "our_vk.json");
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_TRUE(back->alpha1 == mine.alpha1 && back->beta2 == mine.beta2 &&
              back->gamma2 == mine.gamma2 && back->delta2 == mine.delta2 && back->ic == mine.ic);
  EXPECT_EQ(snarkjs_verify(tmp, tmp / "our_vk.json", tmp / "good_public.json",
                           tmp / "good_proof.json"),
            "accepted");
}

TEST(Groth16, SnarkjsProofAcceptedByUs) {
  TempDir tmp;
  auto proof = proof_from_json(slurp(fixture("snarkjs_proof.json")), "snarkjs_proof.json");
  ASSERT_TRUE(proof.is_ok()) << proof.status().to_string();
  auto pub = public_from_json(slurp(fixture("snarkjs_public.json")), "snarkjs_public.json");
  ASSERT_TRUE(pub.is_ok());
  check_accept_and_tamper(tmp, fixture("verification_key.json"), *proof, *pub, false);
}

TEST(Groth16, DeterministicBlindingIsReproducible) {
  // Fixed r, s give the same proof twice; different s a different proof; both verify.
  auto zkey = read_zkey(fixture("circuit.zkey"));
  auto w = read_wtns(fixture("witness.wtns"));
  Fr r = Fr::from_u64(12345), s = Fr::from_u64(678), s2 = Fr::from_u64(679);
  ProveConfig cfg;
  cfg.fixed_r = &r;
  cfg.fixed_s = &s;
  cfg.msm.backend = Backend::kScalar;
  cfg.msm.threads = 1;
  auto p1 = prove(*zkey, *w, cfg);
  cfg.msm.backend = Backend::kAuto;
  cfg.msm.threads = 0;
  auto p2 = prove(*zkey, *w, cfg);
  if (resolve_backend(Backend::kOpenCl).is_ok()) {  // G1 MSMs on the OpenCL device
    cfg.msm.backend = Backend::kOpenCl;
    auto po = prove(*zkey, *w, cfg);
    ASSERT_TRUE(po.is_ok()) << po.status().to_string();
    EXPECT_TRUE(p1->proof.a == po->proof.a && p1->proof.b == po->proof.b &&
                p1->proof.c == po->proof.c);
    cfg.msm.backend = Backend::kAuto;
  }
  cfg.fixed_s = &s2;
  auto p3 = prove(*zkey, *w, cfg);
  ASSERT_TRUE(p1.is_ok() && p2.is_ok() && p3.is_ok());
  EXPECT_TRUE(p1->proof.a == p2->proof.a && p1->proof.b == p2->proof.b &&
              p1->proof.c == p2->proof.c);
  EXPECT_FALSE(p1->proof.b == p3->proof.b);
  VerifyingKey vk = verifying_key(*zkey);
  EXPECT_TRUE(verify(vk, p3->public_signals, p3->proof)->accepted);
}

// --- malformed input -------------------------------------------------------------------

std::vector<uint8_t> fixture_bytes(const std::string& name) {
  return *read_file_bytes(fixture(name));
}

// Offset of the data of section `id` in a binfile.
size_t section_offset(const std::vector<uint8_t>& b, uint32_t id) {
  uint32_t n;
  std::memcpy(&n, b.data() + 8, 4);
  size_t pos = 12;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t type;
    uint64_t size;
    std::memcpy(&type, b.data() + pos, 4);
    std::memcpy(&size, b.data() + pos + 4, 8);
    if (type == id) return pos + 12;
    pos += 12 + size;
  }
  return 0;
}

void expect_error(const Status& s, StatusCode code, const std::string& needle) {
  EXPECT_EQ(s.code(), code) << s.to_string();
  EXPECT_NE(s.message().find(needle), std::string::npos)
      << "\"" << s.message() << "\" does not mention \"" << needle << "\"";
}

TEST(Groth16, MalformedZkeyGivesClearErrors) {
  const auto good = fixture_bytes("circuit.zkey");
  ASSERT_TRUE(parse_zkey(good, "k").is_ok());
  {
    auto b = good;
    b.resize(b.size() - 100);
    expect_error(parse_zkey(b, "k.zkey").status(), StatusCode::kDataLoss, "truncated");
  }
  {
    auto b = good;
    b.resize(7);
    expect_error(parse_zkey(b, "k.zkey").status(), StatusCode::kDataLoss, "too short");
  }
  {
    auto b = good;
    b[0] = 'x';
    expect_error(parse_zkey(b, "k.zkey").status(), StatusCode::kInvalidArgument, "magic");
  }
  {
    auto b = good;
    b[4] = 9;
    expect_error(parse_zkey(b, "k.zkey").status(), StatusCode::kInvalidArgument, "version 9");
  }
  {
    auto b = good;
    b[section_offset(b, 1)] = 2;  // PLONK
    expect_error(parse_zkey(b, "k.zkey").status(), StatusCode::kInvalidArgument, "PLONK");
  }
  {
    auto b = good;
    b[section_offset(b, 2) + 4] ^= 1;  // q changed: another curve
    expect_error(parse_zkey(b, "k.zkey").status(), StatusCode::kInvalidArgument, "BN254");
  }
  {
    auto b = good;
    b[section_offset(b, 5) + 64 * 3 + 5] ^= 0x40;  // A point 3's x changes: off the curve
    auto r = parse_zkey(b, "k.zkey");
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("section 5"), std::string::npos) << r.status().message();
  }
  {
    auto b = good;
    size_t o = section_offset(b, 4) + 4 + 44 * 10 + 8;  // entry 10's signal index
    uint32_t big = 0x7fffffff;
    std::memcpy(b.data() + o, &big, 4);
    expect_error(parse_zkey(b, "k.zkey").status(), StatusCode::kInvalidArgument, "entry 10");
  }
  {
    // Section 9 (H) missing: renumber it.
    auto b = good;
    size_t o = section_offset(b, 9) - 12;
    uint32_t id = 99;
    std::memcpy(b.data() + o, &id, 4);
    expect_error(parse_zkey(b, "k.zkey").status(), StatusCode::kDataLoss, "missing section 9");
  }
  expect_error(read_zkey("/nonexistent/c.zkey").status(), StatusCode::kInvalidArgument,
               "/nonexistent/c.zkey");
}

TEST(Groth16, MalformedWitnessGivesClearErrors) {
  const auto good = fixture_bytes("witness.wtns");
  ASSERT_TRUE(parse_wtns(good, "w").is_ok());
  {
    auto b = good;
    b.resize(b.size() - 1);
    expect_error(parse_wtns(b, "w.wtns").status(), StatusCode::kDataLoss, "truncated");
  }
  {
    auto b = good;
    b[section_offset(b, 1) + 4] ^= 1;  // another prime
    expect_error(parse_wtns(b, "w.wtns").status(), StatusCode::kInvalidArgument, "wrong curve");
  }
  {
    auto b = good;
    std::memset(b.data() + section_offset(b, 2) + 32 * 5, 0xff, 32);
    expect_error(parse_wtns(b, "w.wtns").status(), StatusCode::kInvalidArgument, "value 5");
  }
  {
    // A witness of the wrong length for the circuit.
    auto zkey = read_zkey(fixture("circuit.zkey"));
    auto w = *parse_wtns(good, "w");
    w.pop_back();
    expect_error(prove(*zkey, w).status(), StatusCode::kInvalidArgument, "witness has");
  }
}

TEST(Groth16, MalformedJsonGivesClearErrors) {
  const std::string proof = slurp(fixture("snarkjs_proof.json"));
  ASSERT_TRUE(proof_from_json(proof, "p").is_ok());
  expect_error(proof_from_json("{", "p.json").status(), StatusCode::kInvalidArgument,
               "not valid JSON");
  expect_error(proof_from_json(R"({"pi_b": [], "pi_c": []})", "p.json").status(),
               StatusCode::kInvalidArgument, "pi_a");
  std::string bad = proof;
  bad.replace(bad.find("\"1\""), 3, "\"x1\"");
  expect_error(proof_from_json(bad, "p.json").status(), StatusCode::kInvalidArgument, "pi_a[2]");
  bad = proof;
  bad.replace(bad.find("bn128"), 5, "bls12");
  expect_error(proof_from_json(bad, "p.json").status(), StatusCode::kInvalidArgument, "curve");
  expect_error(public_from_json("[\"1\", 2]", "pub.json").status(),
               StatusCode::kInvalidArgument, "pub.json[1]");

  // A public.json with the wrong number of inputs for the key.
  auto vk = verifying_key_from_json(slurp(fixture("verification_key.json")), "vk");
  ASSERT_TRUE(vk.is_ok());
  auto p = proof_from_json(proof, "p");
  std::vector<Limbs> two(2, Limbs{1, 0, 0, 0});
  expect_error(verify(*vk, two, *p).status(), StatusCode::kInvalidArgument, "expects 1");
  // A public input >= r is rejected, not reduced.
  std::vector<Limbs> big = {bn254::kGroupOrder};
  EXPECT_FALSE(verify(*vk, big, *p)->accepted);
  std::string vk_text = slurp(fixture("verification_key.json"));
  vk_text.replace(vk_text.find("\"nPublic\": 1"), 12, "\"nPublic\": 2");
  expect_error(verifying_key_from_json(vk_text, "vk.json").status(),
               StatusCode::kInvalidArgument, "nPublic");
}

// --- a second circuit, made at test time -------------------------------------------------

const char* kCircuit = R"(pragma circom 2.0.0;
template Mix(n) {
  signal input x;
  signal input y;
  signal output out;
  signal output sum;
  signal t[n + 1];
  t[0] <== x * y;
  for (var i = 0; i < n; i++) {
    t[i + 1] <== t[i] * t[i] + x + 7 * i;
  }
  out <== t[n];
  sum <== x + y + 3;
}
component main {public [x]} = Mix(300);
)";

TEST(Groth16, SecondCircuitFromCircom) {
  require_npm_tools();
  TempDir tmp;
  std::ofstream(tmp / "mix.circom") << kCircuit;
  std::ofstream(tmp / "input.json") << R"({"x": "3", "y": "11"})";
  const std::string log = tmp / "cmd.log";
  const std::string snarkjs = tool("snarkjs");
  const std::string ptau = shared_dir() + "/fixtures/groth16/pot15.ptau";
  const std::vector<std::string> steps = {
      tool("circom2") + " " + (tmp / "mix.circom") + " --r1cs --wasm -o " + tmp.path.string(),
      snarkjs + " groth16 setup " + (tmp / "mix.r1cs") + " " + ptau + " " + (tmp / "mix0.zkey"),
      snarkjs + " zkey contribute " + (tmp / "mix0.zkey") + " " + (tmp / "mix.zkey") +
          " --name=test -e=efaas-test-entropy",
      snarkjs + " zkey export verificationkey " + (tmp / "mix.zkey") + " " + (tmp / "vk.json"),
      snarkjs + " wtns calculate " + (tmp / "mix_js/mix.wasm") + " " + (tmp / "input.json") +
          " " + (tmp / "mix.wtns"),
      snarkjs + " groth16 prove " + (tmp / "mix.zkey") + " " + (tmp / "mix.wtns") + " " +
          (tmp / "sproof.json") + " " + (tmp / "spublic.json"),
  };
  for (const auto& cmd : steps) ASSERT_EQ(sh(cmd, log), 0) << cmd << "\n" << slurp(log);

  auto zkey = read_zkey(tmp / "mix.zkey");
  ASSERT_TRUE(zkey.is_ok()) << zkey.status().to_string();
  EXPECT_EQ(zkey->n_public, 3u);  // out, sum, x
  auto w = read_wtns(tmp / "mix.wtns");
  ASSERT_TRUE(w.is_ok());
  auto out = prove(*zkey, *w);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  auto spub = public_from_json(slurp(tmp / "spublic.json"), "spublic.json");
  EXPECT_EQ(out->public_signals, *spub);
  check_accept_and_tamper(tmp, tmp / "vk.json", out->proof, out->public_signals, true);
  // snarkjs's own proof of this circuit passes our verifier.
  auto sproof = proof_from_json(slurp(tmp / "sproof.json"), "sproof.json");
  ASSERT_TRUE(sproof.is_ok());
  auto vk = verifying_key_from_json(slurp(tmp / "vk.json"), "vk.json");
  EXPECT_TRUE(verify(*vk, *spub, *sproof)->accepted);
  // This circuit's witness does not fit the fixture's key.
  auto fixture_zkey = read_zkey(fixture("circuit.zkey"));
  expect_error(prove(*fixture_zkey, *w).status(), StatusCode::kInvalidArgument, "witness has");
}

}  // namespace
}  // namespace efaas::groth16
